"""Reading a month folder: which file holds which source, CSV in any Chinese encoding, xlsx.

Symbolic links are followed only when they lead to a file or folder inside the project
(`link_problem`). `read_file` reads one file the same way; given a source (an annual file, whose name and
folder already say what it holds) it reads the file as that source only.

Nothing is interpreted here beyond text: every cell comes back as the text a user sees
(numbers without a trailing '.0', Excel dates as YYYY-MM-DD, empty cells as None), with
the row number the user sees in the file (the header is row 1).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from scoring.hashing import sha256_bytes, sha256_file
from scoring.ingest.contract import Contract, SourceSpec
from scoring.ingest.grid import Cell, bytes_grid, rows_to_columns, text_grid, value_rows
from scoring.ingest.messages import escaped, excerpt
from scoring.ingest.sheets import plain_sheet_tables, sheet_tables

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")  # a formula element of a worksheet's XML


@dataclass
class RawTable:
    """One source's table as found in one file (a CSV file or a workbook sheet)."""

    source: SourceSpec
    where: str  # how messages name it: 'data/raw/2019-07/名单记录.csv' or '….xlsx, sheet 名单记录'
    file: str  # file name inside the month folder
    sheet: str | None
    headers: list[Cell]
    numbers: list[int]  # row number in the file of each data row, blank rows left out
    columns: list[np.ndarray]  # the data rows' cells by column (object arrays), as wide as the widest row

    @property
    def rows(self) -> list[tuple[int, list[Cell]]]:
        """(row number in the file, cells) of each data row, every row as wide as the widest."""
        return list(zip(self.numbers, (list(r) for r in zip(*self.columns, strict=True)), strict=True)) \
            if self.columns else [(n, []) for n in self.numbers]


@dataclass
class InputFile:
    """One file of the month folder, with its hash and what was read from it."""

    name: str
    sha256: str
    kind: str  # "csv" | "xlsx" | "ignored"
    encoding: str | None = None
    tables: list[RawTable] = field(default_factory=list)
    refused: bool = False  # too large: not read (and the month is refused)

    @property
    def rows(self) -> int:
        return sum(len(t.numbers) for t in self.tables)


def detect_encoding(data: bytes, encodings: tuple[str, ...] = ("utf-8", "gbk", "gb18030")) -> tuple[str, str]:
    """Decode `data` strictly: a UTF-8 byte-order mark first, then each encoding in turn.

    Returns (text, encoding name); raises UnicodeDecodeError when none fits. Valid UTF-8 is
    tried before GBK because Chinese text in GBK is almost never valid UTF-8, while the
    converse (UTF-8 bytes that happen to be valid GBK) is common.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8"), "utf-8-sig"
    last: UnicodeDecodeError | None = None
    for encoding in encodings:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            last = exc
    raise last or UnicodeDecodeError("utf-8", data, 0, 1, "no encoding to try")


_rows = value_rows  # the name the tests know


def _text_rows(records: Iterable[list[str]]) -> tuple[list[Cell], list[tuple[int, list[Cell]]]]:
    """`_rows` of a CSV file, whose cells are all text: stripped, None when empty."""
    header: list[Cell] = []
    body = []
    for number, record in enumerate(records, start=1):
        cells = [c.strip() or None for c in record]
        if number == 1:
            header = cells
        elif any(cells):
            body.append((number, cells))
    return header, body


def read_csv_bytes(data: bytes, encodings: tuple[str, ...]) -> tuple[list[Cell], list[int], list[np.ndarray], str]:
    """Header, row numbers and columns of the non-blank rows, and detected encoding of a CSV file
    (comma-separated, any line ends): the usual file split by Arrow, its cells decoded once per distinct
    cell (`grid.bytes_grid`), else by whole-text operations (`grid.text_grid`), any other by the csv module."""
    found = bytes_grid(data, encodings)
    if found is not None:
        return (*found[0], found[1])
    text, encoding = detect_encoding(data, encodings)
    fast = text_grid(text)
    del text  # read again as a stream: no second copy of a large file in memory
    if fast is not None:
        return (*fast, encoding)
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    header, body = _text_rows(csv.reader(stream))
    return (header, *rows_to_columns(body), encoding)


def sheet_records(ws: Worksheet) -> list[list[object]]:
    """Every row of a worksheet as a list of values (row 1 first), trailing empty rows kept out."""
    return [list(r) for r in ws.iter_rows(min_row=1, max_row=ws.max_row, values_only=True)]


def link_problem(path: Path, root: Path, where: str) -> str | None:
    """Why `path` is not read when it is, or lies under, a symbolic link leading outside the project
    `root` or nowhere; None otherwise. The message names the link and its target, never the target's content."""
    top = root.resolve()
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        parts = ()
    links = [root.joinpath(*parts[:i]) for i in range(1, len(parts) + 1) if root.joinpath(*parts[:i]).is_symlink()]
    if not links:
        return None
    link = links[0]
    target = excerpt(escaped(os.readlink(link)), 120)
    shown = where if link == path else f"{where} (through the symbolic link {link.relative_to(root).as_posix()})"
    if not path.resolve().is_relative_to(top):
        return (f"{shown}: a symbolic link to {target}, outside the project — not read: department files are read "
                "only from inside the project; copy the file (or folder) here instead of linking it")
    if not path.exists():
        return f"{shown}: a symbolic link to {target}, which does not exist — not read"
    return None


def read_month_folder(folder: Path, contract: Contract, label: str,
                      root: Path | None = None) -> tuple[list[InputFile], list[str]]:
    """Every file of a month folder: hashed, sorted by name, data files read into tables.

    `label` names the folder in messages (e.g. 'data/raw/2019-07'). Returns the files and
    the problems found (unreadable files, unknown files, wrong or missing sheets, symbolic
    links leading outside the project `root` (the folder itself when not given), or nowhere).
    """
    files: list[InputFile] = []
    visible = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    links = {p: link_problem(p, root or folder, f"{label}/{p.name}") for p in visible if p.is_symlink()}
    problems: list[str] = [why for why in links.values() if why is not None]
    visible = [p for p in visible if links.get(p) is None]
    problems += [f"{label}/{p.name}: a folder — files in sub-folders are not read; move them into {label}"
                 for p in visible if p.is_dir()]
    for path in (p for p in visible if p.is_file()):
        if contract.is_ignored(path.name):
            files.append(InputFile(name=path.name, sha256=sha256_file(path),
                                   kind="ignored"))
            continue
        too_big = too_large(path.name, path.stat().st_size, contract, f"{label}/{path.name}")
        if too_big:  # refused unread
            files.append(InputFile(name=path.name, sha256="", kind="ignored", refused=True))
            problems.append(too_big)
            continue
        item, found = read_file(path, path.read_bytes(), contract, f"{label}/{path.name}")
        files.append(item)
        problems.extend(found)
    return files, problems


def too_large(name: str, size: int, contract: Contract, where: str) -> str | None:
    """Why a data file of `size` bytes is not read: larger than the contract's `files.max_megabytes`
    for its kind (what ingestion holds in memory grows with the file); None when it is not."""
    limit = contract.max_megabytes.get(Path(name).suffix.lower())
    if limit is None or size <= limit * 1e6:
        return None
    return (f"{where}: {size / 1e6:,.1f} MB, larger than the {limit:g} MB a {Path(name).suffix.lower()} file may "
            "have (params/sources.yaml, files.max_megabytes) — not read; split it into several files of the "
            "same source (名单记录-1.csv, 名单记录-2.csv …) or save a workbook as CSV")


def read_file(path: Path, data: bytes, contract: Contract, where: str,
              source: SourceSpec | None = None) -> tuple[InputFile, list[str]]:
    """One data file (`data` are its bytes) read into tables; `where` names it in messages.

    Without `source`, the file name and sheet names say which sources it holds (a month
    folder). With `source`, a CSV file is that source whatever its name, and a workbook
    must hold that source's sheet; no other source is looked for.
    Returns the file and its problems (unreadable, wrong or unknown sheets, …).
    """
    problems: list[str] = []
    item = InputFile(name=path.name, sha256=sha256_bytes(data), kind="ignored")
    suffix = path.suffix.lower()
    if source is not None:
        contract = replace(contract, sources={source.key: source})
    too_big = too_large(path.name, len(data), contract, where)
    if too_big:
        problems.append(too_big)
    elif suffix not in contract.data_extensions:
        hint = " (old Excel format: save it as .xlsx)" if suffix in (".xls", ".et") else ""
        problems.append(f"{where}: not a data file of the contract{hint} — expected "
                        f"{' or '.join(contract.data_extensions)}"
                        + (f" (or a note: {', '.join(contract.ignored)})" if source is None else ""))
    elif suffix == ".csv":
        item.kind = "csv"
        _read_csv(item, path, data, contract, where, problems, source)
    else:
        item.kind = "xlsx"
        _read_xlsx(item, path, data, contract, where, problems, source)
    return item, problems


def _read_csv(item: InputFile, path: Path, data: bytes, contract: Contract, where: str, problems: list[str],
              forced: SourceSpec | None = None) -> None:
    source = forced or contract.source_for_file(path.stem)
    if source is None:
        problems.append(f"{where}: the file name says nothing the contract knows — name a CSV file after its "
                        f"source: {_file_names(contract)}")
        return
    try:
        header, numbers, columns, encoding = read_csv_bytes(data, contract.encodings)
    except UnicodeDecodeError as exc:
        problems.append(f"{where}: unreadable — not text in {', '.join(contract.encodings)} "
                        f"(byte {exc.start}: {data[exc.start:exc.start + 4]!r}); save it as CSV UTF-8 or GBK")
        return
    except csv.Error as exc:
        hint = (f" — a cell of more than {csv.field_size_limit():,} characters: most often a quote (\") that is "
                "never closed, so the rest of the file reads as one cell" if "field limit" in str(exc) else "")
        problems.append(f"{where}: unreadable as CSV — {exc}{hint}")
        return
    item.encoding = encoding
    if b"\x00" in data and any("\x00" in (c or "") for c in [*header, *(c for col in columns for c in col)]):
        problems.append(f"{where}: unreadable — binary data (NUL bytes), not a CSV text file")
        return
    if not any(h is not None for h in header):
        problems.append(f"{where}: empty — row 1 must hold the column headers of {source.title}")
        return
    item.tables.append(RawTable(source, where, path.name, None, header, numbers, columns))


def _read_xlsx(item: InputFile, path: Path, data: bytes, contract: Contract, where: str, problems: list[str],
               forced: SourceSpec | None = None) -> None:
    import openpyxl

    wb = formulas = None
    try:
        fast = plain_sheet_tables(data)  # sheets of the usual layout: no formula among them
        has_formulas = fast is None and _has_formulas(data)
        fast = fast if fast is not None or has_formulas else sheet_tables(data)  # no formula to check: fast
        if fast is None:
            wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
            formulas = openpyxl.load_workbook(io.BytesIO(data), data_only=False) if has_formulas else None
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        problems.append(f"{where}: unreadable — not an Excel .xlsx workbook ({type(exc).__name__}: {exc})")
        return
    sheets = fast if fast is not None else [(ws.title, _table(sheet_records(ws))) for ws in wb.worksheets]
    named = forced or contract.source_for_file(path.stem)
    found = {}
    for title, (header, numbers, columns) in sheets:
        source = contract.source_for_sheet(title)
        blank = not numbers and all(h is None for h in header)
        if source is None:
            if not blank and not contract.is_notes_sheet(title):
                problems.append(f"{where}: sheet {title!r} is not a sheet of the contract — expected "
                                f"{_sheet_names(contract)} (or a notes sheet: {', '.join(contract.notes_sheets)})")
            continue
        if source.key in found:
            problems.append(f"{where}: sheets {found[source.key]!r} and {title!r} both hold {source.title}")
            continue
        found[source.key] = title
        sheet_where = f"{where}, sheet {title}"
        uncomputed = (_uncomputed_formulas(wb[title], formulas[title]) if wb is not None and formulas is not None
                      else [])
        if uncomputed:
            problems.append(f"{sheet_where}: cells {', '.join(uncomputed[:10])}{' …' if len(uncomputed) > 10 else ''}"
                            " hold formulas without a computed value (the file was not saved by a spreadsheet "
                            "program); open it in Excel or WPS and save it again, or type the values")
        if not any(h is not None for h in header):
            problems.append(f"{sheet_where}: empty — row 1 must hold the column headers of {source.title}")
            continue
        item.tables.append(RawTable(source, sheet_where, path.name, title, header, numbers, columns))
    shown = ", ".join(repr(title) for title, _table in sheets)
    if named is not None and named.key not in found:
        problems.append(f"{where}: wrong sheet — the file name says {named.title}, so it needs a sheet named "
                        f"{' or '.join(repr(s) for s in named.sheets)}; sheets found: {shown}")
    elif not found and named is None:
        problems.append(f"{where}: no sheet of the contract — expected {_sheet_names(contract)}; sheets found: "
                        f"{shown}")


def _table(records: list[list[object]]) -> tuple[list[Cell], list[int], list[np.ndarray]]:
    """Header, row numbers and columns of a sheet's rows of values (`sheet_records`), cells as texts."""
    header, body = value_rows(records)
    return (header, *rows_to_columns(body))


def _has_formulas(data: bytes) -> bool:
    """Whether a worksheet of the workbook holds a formula (an <f> element): read from the zip,
    without loading the workbook a second time (a large sheet of data has none)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            with archive.open(name) as sheet:
                tail = b""
                while chunk := sheet.read(1 << 20):
                    window = tail + chunk
                    if (b"<f" in window or b":f" in window) and _FORMULA.search(window):  # '<f' or '<x:f'
                        return True
                    tail = chunk[-16:]
    return False


def _uncomputed_formulas(values: Worksheet, formulas: Worksheet) -> list[str]:
    """Cells that hold a formula but no cached value: they would otherwise read as empty."""
    out = []
    for row in formulas.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("=") and values[cell.coordinate].value is None:
                out.append(cell.coordinate)
    return out


def _file_names(contract: Contract) -> str:
    return "; ".join(f"{s.title}: {', '.join(s.files)}" for s in contract.sources.values())


def _sheet_names(contract: Contract) -> str:
    return ", ".join(repr(s.sheets[0]) for s in contract.sources.values())
