"""The cell values of a workbook's sheets, read straight from the sheet XML (lxml): the values
openpyxl's `load_workbook(data_only=True)` gives, at a fraction of its cost on large sheets.

openpyxl (read-only) reads the workbook's structure: sheet names and order, shared strings,
which cell styles are dates or durations, the date epoch. The cells themselves are parsed here
as openpyxl's `WorkSheetParser.parse_cell` does (numbers as int or float, date styles through
`from_excel`, shared and inline strings, booleans, ISO dates, errors as their text), without
building a Cell object per cell. `sheet_values` returns None when the workbook is one this
reader leaves to openpyxl (it cannot be opened as read-only, or a sheet's XML is unusual);
the caller then reads it the usual way, with openpyxl's own messages.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

from lxml import etree

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE, _INLINE, _TEXT, _RUN = (f"{_NS}{t}" for t in ("row", "c", "v", "is", "t", "r"))


Styles = tuple[list[Any], Any, set[int], set[int]]  # shared strings, date epoch, date styles, duration styles


def _worksheets(data: bytes) -> list[tuple[str, bytes, Styles]] | None:
    """(title, sheet XML, what its cells need) of every worksheet in workbook order, as openpyxl
    (read-only) finds them; None when openpyxl cannot open the workbook so."""
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl's full reader tells what is wrong
        return None
    try:
        out = []
        for ws in wb.worksheets:  # what the cells need: openpyxl keeps it private
            with wb._archive.open(ws._worksheet_path) as source:
                out.append((ws.title, source.read(),
                            (ws._shared_strings, wb.epoch, wb._date_formats, wb._timedelta_formats)))
        return out
    except Exception:  # anything unusual: openpyxl's full reader decides
        return None
    finally:
        wb.close()


def _each_sheet(data: bytes, read: Any) -> list[tuple[str, Any]] | None:
    """(title, read(sheet XML, styles)) of every worksheet in workbook order; None when the workbook is
    left to openpyxl: it cannot be opened read-only, or `read` gives None or fails for a sheet."""
    sheets = _worksheets(data)
    if sheets is None:
        return None
    out = []
    for title, xml, styles in sheets:
        try:
            found = read(xml, styles)
        except Exception:  # anything unusual: openpyxl's full reader decides
            return None
        if found is None:
            return None
        out.append((title, found))
    return out


def sheet_values(data: bytes) -> list[tuple[str, list[list[Any]]]] | None:
    """(title, rows) of every worksheet in workbook order; each row a list of cell values from
    column A (row 1 first, missing rows empty); None when the workbook is left to openpyxl."""
    return _each_sheet(data, lambda xml, styles: _parse(io.BytesIO(xml), *styles))


SheetTable = tuple[list[Any], list[int], list[Any]]  # header texts, row numbers, columns (as readers.RawTable)


def sheet_tables(data: bytes) -> list[tuple[str, SheetTable]] | None:
    """(title, (header, row numbers, columns)) of every worksheet in workbook order, the cells as
    texts (`grid.cell_text`): what `sheet_values` and `grid.value_rows` give, the usual sheet XML
    read by `sheetxml.sheet_texts`, any other by `_parse`; None when the workbook is left to openpyxl."""
    from scoring.ingest.grid import rows_to_columns, value_rows
    from scoring.ingest.sheetxml import sheet_texts

    def table(xml: bytes, styles: Styles) -> SheetTable | None:
        found = sheet_texts(xml, *styles)
        if found is None and (rows := _parse(io.BytesIO(xml), *styles)) is not None:
            header, body = value_rows(rows)
            found = (header, *rows_to_columns(body))
        return found

    return _each_sheet(data, table)


def plain_sheet_tables(data: bytes) -> list[tuple[str, SheetTable]] | None:
    """`sheet_tables` when every worksheet has the usual layout `sheetxml.sheet_texts` reads (which holds
    no formula: an <f> element is not one it knows); None otherwise."""
    from scoring.ingest.sheetxml import sheet_texts

    return _each_sheet(data, lambda xml, styles: sheet_texts(xml, *styles))


def _parse(source: Any, shared: list[Any], epoch: Any, dates: set[int],
           durations: set[int]) -> list[list[Any]] | None:
    """The rows of one sheet's XML (None: a layout left to openpyxl)."""
    rows: list[list[Any]] = []
    row_counter = 0
    for _event, row in etree.iterparse(source, events=("end",), tag=_ROW, huge_tree=True):
        number = row.get("r")
        row_counter = int(number) if number is not None else row_counter + 1
        if row_counter <= len(rows) or row_counter > 10_000_000:
            return None  # rows out of order or repeated: unusual, left to openpyxl
        cells = _row_cells(row, str(row_counter), shared, epoch, dates, durations)
        if cells is None:
            return None
        rows.extend([] for _ in range(row_counter - len(rows)))
        rows[row_counter - 1] = cells
        row.clear()
        while row.getprevious() is not None:
            del row.getparent()[0]
    return rows


def _column(letters: str) -> int:
    """1 for 'A', 27 for 'AA' …; 0 when `letters` is not a column name."""
    if not letters.isascii() or not letters.isalpha() or not letters.isupper() or len(letters) > 3:
        return 0
    out = 0
    for ch in letters:
        out = out * 26 + ord(ch) - 64
    return out


def _row_cells(row: Any, number: str, shared: list[Any], epoch: Any, dates: set[int],
               durations: set[int]) -> list[Any] | None:
    """The values of one <row> element from column A (None: a layout left to openpyxl)."""
    from openpyxl.utils.datetime import from_excel

    cells: list[Any] = []
    col = 0
    for c in row:
        if c.tag != _CELL:
            continue
        ref = c.get("r")
        if ref:
            letters = ref.rstrip("0123456789")
            col = _COLUMNS.get(letters) or _COLUMNS.setdefault(letters, _column(letters))
            if ref[len(letters):] != number or not col:
                return None  # a cell of another row, or an odd reference
        else:
            col += 1
        xml_type = c.get("t") or "n"  # the cell's data type in the sheet XML
        inline = xml_type == _INLINE_TYPE
        value: Any = None
        for child in c:
            tag = child.tag
            if tag == _VALUE and not inline:
                value = child.text or None
                break
            if tag == _INLINE and inline:
                value = (child.findtext(_TEXT) or "") + "".join(
                    t for run in child.iterchildren(_RUN) if (t := run.findtext(_TEXT)) is not None)
                break
        if value is None:
            continue
        if xml_type == _NUMBER:
            value = float(value) if ("." in value or "E" in value or "e" in value) else int(value)
            style = int(c.get("s") or 0)
            if style in dates:
                try:
                    value = from_excel(value, epoch, timedelta=style in durations)
                except (OverflowError, ValueError):
                    value = "#VALUE!"
        elif xml_type in _CONVERT:
            value = _CONVERT[xml_type](value, shared)
        elif xml_type not in _AS_TEXT:
            return None
        if col <= len(cells) and cells[col - 1] is not None:
            return None  # a cell given twice
        if col > len(cells):
            cells.extend([None] * (col - len(cells)))
        cells[col - 1] = value
    return cells


def _iso_date(value: str, _shared: list[Any]) -> Any:
    from openpyxl.utils.datetime import from_ISO8601

    return from_ISO8601(value)


_COLUMNS: dict[str, int] = {}
_NUMBER, _INLINE_TYPE = "n", "inlineStr"
_CONVERT: dict[str, Any] = {  # the other data types with a <v> value, as openpyxl reads them
    "s": lambda value, shared: shared[int(value)], "b": lambda value, _shared: bool(int(value)), "d": _iso_date}
_AS_TEXT = frozenset({"str", "e", _INLINE_TYPE})  # formula text results, errors ('#N/A'), inline strings
