"""Sheets of data as an Excel workbook (.xlsx) and as CSV for Excel.

`DataSheet` / `SheetColumn` are plain data: a header and cells (str, int, float, date or None)
with an Excel number format each. `xlsx_bytes` writes them:

- numbers stay numbers, written at full precision (the shortest repr that reads back as the
  same float, as the stage CSVs; openpyxl alone writes "%.16g", which may not); the number
  format only decides how Excel shows them;
- text that a spreadsheet would run as a formula (`safeio.FORMULA_PREFIXES`) is a string cell
  with Excel's quote prefix: shown exactly as it is, never evaluated, not even on editing;
- a bold grey header row, frozen, on every printed page; column widths fitted to the content
  (a CJK character counts two); an autofilter on data sheets; A4 landscape, one page wide;
- the same sheets give the same bytes: the document's created/modified dates and the zip
  entries' times are the `when` given (openpyxl stamps the clock otherwise; the zip is
  rewritten by scoring.render.reproducible.normalise_zip).

`write_excel_csv` writes a table as CSV meant for Excel: UTF-8 with a BOM, booleans as the
words given (是/否), formula-like text neutralised.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import math
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from openpyxl.cell import _writer as cell_writer
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from scoring.render.reproducible import normalise_zip
from scoring.safeio import FORMULA_PREFIXES, atomic_write_text, neutralise_frame

MAX_WIDTH, NOTE_WIDTH = 48, 90  # column widths (characters): data columns, a notes sheet's text column
_HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")  # grey: reads the same in black-and-white print
INTEGER = "0"  # the number format of whole numbers (ranks, positions)


@dataclass(frozen=True)
class SheetColumn:
    """One column: its header, its cells and the Excel number format of each (one for all, or one
    per row; None: Excel's General)."""

    header: str
    values: list[Any]
    number_format: str | list[str] | None = None

    def format_of(self, row: int) -> str | None:
        return self.number_format[row] if isinstance(self.number_format, list) else self.number_format


@dataclass(frozen=True)
class DataSheet:
    """One sheet: `key` (the code's name for it), its name and columns; `table`: a data table
    (autofilter), else a notes sheet (its text columns wrapped)."""

    key: str
    name: str
    columns: list[SheetColumn]
    table: bool = True

    def frame(self) -> pd.DataFrame:
        """The sheet as a table with its headers (dates as ISO text, whole numbers as integers)."""
        whole = [all(v is None or type(v) is int for v in c.values) for c in self.columns]
        return pd.DataFrame({c.header: pd.array(c.values, dtype="Int64") if w else
                             [v.isoformat() if isinstance(v, dt.date) else v for v in c.values]
                             for c, w in zip(self.columns, whole, strict=True)})


def _width(value: Any, number_format: str | None, decimals: int) -> int:
    """Display width of a cell in Excel's character units (a CJK character counts two)."""
    if value is None:
        return 0
    if isinstance(value, dt.date):
        return 10
    if isinstance(value, int | float) and not isinstance(value, bool):
        shown = f"{value:.{decimals + 1}%}" if number_format and "%" in number_format else f"{value:,.{decimals}f}"
        return len(shown) + 1
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(value))


def _cell(ws: Worksheet, row: int, col: int, value: Any, number_format: str | None) -> Cell:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters an .xlsx cannot hold
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        cell.data_type, cell.quotePrefix = "s", True  # text, never a formula
    elif number_format and value is not None and not isinstance(value, str):
        cell.number_format = number_format
    return cell


def _write_sheet(ws: Worksheet, sheet: DataSheet, decimals: int, mark: str | None, footer: str | None) -> None:
    for j, column in enumerate(sheet.columns, 1):
        head = _cell(ws, 1, j, column.header, None)
        head.font, head.fill, head.alignment = Font(bold=True), _HEADER_FILL, Alignment(horizontal="center")
        widest = _width(column.header, None, decimals) + 2
        wrap = not sheet.table and j > 1  # a notes sheet's texts
        for i, value in enumerate(column.values):
            fmt = column.format_of(i)
            cell, widest = _cell(ws, i + 2, j, value, fmt), max(widest, _width(value, fmt, decimals))
            if wrap:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(j)].width = min(widest + 2, NOTE_WIDTH if wrap else MAX_WIDTH)
    ws.freeze_panes, ws.print_title_rows = "A2", "1:1"
    if sheet.table and sheet.columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{len(sheet.columns[0].values) + 1}"
    setup = ws.page_setup  # printed: A4 landscape, as wide as one page, the header row on every page
    setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight = "landscape", ws.PAPERSIZE_A4, 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddHeader.right.text, ws.oddFooter.center.text = mark, footer


@contextlib.contextmanager
def _exact_numbers() -> Iterator[None]:
    """Floats written as their shortest round-trip repr, not openpyxl's "%.16g"."""
    original = cell_writer.safe_string
    cell_writer.safe_string = lambda v: repr(v) if type(v) is float and math.isfinite(v) else original(v)
    try:
        yield
    finally:
        cell_writer.safe_string = original


def xlsx_bytes(sheets: list[DataSheet], when: dt.datetime, *, title: str = "", decimals: int = 2,
               mark: str | None = None, footer: str | None = None) -> bytes:
    """The sheets as .xlsx bytes that depend only on them and `when` (the document's created and
    modified dates, every zip entry's time). `decimals`: for fitting the widths of numbers;
    `mark`: printed at the top right of every page (示例数据); `footer`: printed at the bottom
    (Excel's codes: &P page, &N pages)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet in sheets:
        _write_sheet(wb.create_sheet(sheet.name), sheet, decimals, mark, footer)
    props = wb.properties
    props.title, props.creator, props.lastModifiedBy, props.language = title, "credit-county", "credit-county", "zh-CN"
    props.created = props.modified = when
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive, _exact_numbers():
        ExcelWriter(wb, archive).save()  # not wb.save(): that sets modified to now
    return normalise_zip(buf.getvalue(), when)


def write_excel_csv(frame: pd.DataFrame, path: str | Path, yes: str, no: str) -> Path:
    """A CSV meant for Excel: UTF-8 with a BOM (so that Excel reads the Chinese right), booleans as
    `yes`/`no`, formula-like text neutralised, floats at full precision, CRLF line ends."""
    out = frame.apply(lambda col: col.map({True: yes, False: no}) if col.dtype == bool else col)
    text = neutralise_frame(out).to_csv(index=False, lineterminator="\r\n")
    return atomic_write_text(path, "\ufeff" + text)
