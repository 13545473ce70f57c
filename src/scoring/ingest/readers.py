"""Reading a month folder: which file holds which source, CSV in any Chinese encoding, xlsx.

`read_file` reads one file the same way; given a source (an annual file, whose name and
folder already say what it holds) it reads the file as that source only.

Nothing is interpreted here beyond text: every cell comes back as the text a user sees
(numbers without a trailing '.0', Excel dates as YYYY-MM-DD, empty cells as None), with
the row number the user sees in the file (the header is row 1).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from scoring.hashing import sha256_bytes, sha256_file
from scoring.ingest.contract import Contract, SourceSpec

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

Cell = str | None


@dataclass
class RawTable:
    """One source's table as found in one file (a CSV file or a workbook sheet)."""

    source: SourceSpec
    where: str  # how messages name it: 'data/raw/2019-07/名单记录.csv' or '….xlsx, sheet 名单记录'
    file: str  # file name inside the month folder
    sheet: str | None
    headers: list[Cell]
    rows: list[tuple[int, list[Cell]]]  # (row number in the file, cells), blank rows left out


@dataclass
class InputFile:
    """One file of the month folder, with its hash and what was read from it."""

    name: str
    sha256: str
    kind: str  # "csv" | "xlsx" | "ignored"
    encoding: str | None = None
    tables: list[RawTable] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(len(t.rows) for t in self.tables)


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


def cell_text(value: object) -> Cell:
    """A cell value as the text a user sees: None when empty; 3.0 → '3'; dates as YYYY-MM-DD."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value).strip()
    return text or None


def _rows(records: list[list[object]]) -> tuple[list[Cell], list[tuple[int, list[Cell]]]]:
    """Header and non-blank rows, cells as text, numbered from 1 (the header)."""
    header = [cell_text(v) for v in records[0]] if records else []
    body = []
    for number, record in enumerate(records[1:], start=2):
        cells = [cell_text(v) for v in record]
        if any(c is not None for c in cells):
            body.append((number, cells))
    return header, body


def read_csv_bytes(data: bytes, encodings: tuple[str, ...]) -> tuple[list[Cell], list[tuple[int, list[Cell]]], str]:
    """Header, rows and detected encoding of a CSV file (comma-separated, any line ends)."""
    text, encoding = detect_encoding(data, encodings)
    records = [list(r) for r in csv.reader(io.StringIO(text, newline=""))]
    header, body = _rows(records)
    return header, body, encoding


def sheet_records(ws: Worksheet) -> list[list[object]]:
    """Every row of a worksheet as a list of values (row 1 first), trailing empty rows kept out."""
    return [list(r) for r in ws.iter_rows(min_row=1, max_row=ws.max_row, values_only=True)]


def read_month_folder(folder: Path, contract: Contract, label: str) -> tuple[list[InputFile], list[str]]:
    """Every file of a month folder: hashed, sorted by name, data files read into tables.

    `label` names the folder in messages (e.g. 'data/raw/2019-07'). Returns the files and
    the problems found (unreadable files, unknown files, wrong or missing sheets).
    """
    files: list[InputFile] = []
    problems: list[str] = [f"{label}/{p.name}: a folder — files in sub-folders are not read; move them into {label}"
                           for p in sorted(folder.iterdir()) if p.is_dir() and not p.name.startswith(".")]
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        if contract.is_ignored(path.name):
            files.append(InputFile(name=path.name, sha256=sha256_file(path),
                                   kind="ignored"))
            continue
        item, found = read_file(path, path.read_bytes(), contract, f"{label}/{path.name}")
        files.append(item)
        problems.extend(found)
    return files, problems


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
    if suffix not in contract.data_extensions:
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
        header, body, encoding = read_csv_bytes(data, contract.encodings)
    except UnicodeDecodeError as exc:
        problems.append(f"{where}: unreadable — not text in {', '.join(contract.encodings)} "
                        f"(byte {exc.start}: {data[exc.start:exc.start + 4]!r}); save it as CSV UTF-8 or GBK")
        return
    except csv.FieldProblem as exc:
        problems.append(f"{where}: unreadable as CSV — {exc}")
        return
    item.encoding = encoding
    if "\x00" in "".join(c or "" for c in header) or any("\x00" in (c or "") for _, r in body for c in r):
        problems.append(f"{where}: unreadable — binary data (NUL bytes), not a CSV text file")
        return
    if not any(h is not None for h in header):
        problems.append(f"{where}: empty — row 1 must hold the column headers of {source.title}")
        return
    item.tables.append(RawTable(source, where, path.name, None, header, body))


def _read_xlsx(item: InputFile, path: Path, data: bytes, contract: Contract, where: str, problems: list[str],
               forced: SourceSpec | None = None) -> None:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        problems.append(f"{where}: unreadable — not an Excel .xlsx workbook ({type(exc).__name__}: {exc})")
        return
    named = forced or contract.source_for_file(path.stem)
    found = {}
    for ws in wb.worksheets:
        source = contract.source_for_sheet(ws.title)
        records = sheet_records(ws)
        blank = not any(v is not None and str(v).strip() for r in records for v in r)
        if source is None:
            if not blank and not contract.is_notes_sheet(ws.title):
                problems.append(f"{where}: sheet {ws.title!r} is not a sheet of the contract — expected "
                                f"{_sheet_names(contract)} (or a notes sheet: {', '.join(contract.notes_sheets)})")
            continue
        if source.key in found:
            problems.append(f"{where}: sheets {found[source.key]!r} and {ws.title!r} both hold {source.title}")
            continue
        found[source.key] = ws.title
        header, body = _rows(records)
        sheet_where = f"{where}, sheet {ws.title}"
        uncomputed = _uncomputed_formulas(ws, formulas[ws.title])
        if uncomputed:
            problems.append(f"{sheet_where}: cells {', '.join(uncomputed[:10])}{' …' if len(uncomputed) > 10 else ''}"
                            " hold formulas without a computed value (the file was not saved by a spreadsheet "
                            "program); open it in Excel or WPS and save it again, or type the values")
        if not any(h is not None for h in header):
            problems.append(f"{sheet_where}: empty — row 1 must hold the column headers of {source.title}")
            continue
        item.tables.append(RawTable(source, sheet_where, path.name, ws.title, header, body))
    sheets = ", ".join(repr(ws.title) for ws in wb.worksheets)
    if named is not None and named.key not in found:
        problems.append(f"{where}: wrong sheet — the file name says {named.title}, so it needs a sheet named "
                        f"{' or '.join(repr(s) for s in named.sheets)}; sheets found: {sheets}")
    elif not found and named is None:
        problems.append(f"{where}: no sheet of the contract — expected {_sheet_names(contract)}; sheets found: "
                        f"{sheets}")


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
