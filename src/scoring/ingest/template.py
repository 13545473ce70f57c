"""The Excel workbook departments fill in (`credit-county template --month YYYY-MM`).

One sheet per source of the contract (params/sources.yaml), headers in Chinese with their
units, the units of params/units.yaml pre-filled where a source has one row per unit, data
validation for ranges, dates, units and list types, and a notes sheet (填表说明) explaining every
column. A unit drop-down longer than Excel's 255-character inline list (more than about 49 units)
refers to a hidden column of the notes sheet holding the names (ListColumns).
A filled copy placed in data/raw/YYYY-MM/ ingests without edits. The file is byte-identical
for the same month and params (no clock time inside). The acceptance reviewers' workbook of a
year (`--year YYYY --reviews`) is built from the same pieces in `scoring.ingest.review_template`.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from scoring.errors import CreditCountyError
from scoring.index.spec import IndexSpec, Units
from scoring.ingest.context import Context
from scoring.ingest.contract import REVIEW_SOURCE, ColumnSpec, Contract, SourceSpec
from scoring.ingest.process import load_params
from scoring.ingest.types import UnitType, column_type
from scoring.ingest.windows import MonthWindow
from scoring.project import Project, check_month
from scoring.safeio import atomic_write_bytes

FIXED_TIME = (2019, 1, 1, 0, 0, 0)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
EXCEL_LIST_LIMIT = 255  # characters of an inline drop-down list ("a,b,c") Excel accepts
LIST_FIRST_COLUMN = 10  # the notes sheet's column J onward: hidden columns holding long drop-down lists


class ListColumns:
    """Long drop-down lists (the units of a province or the nation) as hidden columns of the notes
    sheet — a notes sheet, so ingestion reads past it — referred to by a range: Excel's inline list
    holds at most 255 characters (about 49 unit names)."""

    def __init__(self, notes: Worksheet) -> None:
        self.notes = notes
        self.ranges: dict[tuple[str, ...], str] = {}

    def range(self, values: tuple[str, ...]) -> str:
        """The absolute range ('sheet'!$J$1:$J$n) holding `values`, written once per distinct list."""
        if values not in self.ranges:
            column = LIST_FIRST_COLUMN + len(self.ranges)
            for row, value in enumerate(values, start=1):
                self.notes.cell(row=row, column=column).value = value
            letter = get_column_letter(column)
            self.notes.column_dimensions[letter].hidden = True
            title = self.notes.title.replace("'", "''")
            self.ranges[values] = f"'{title}'!${letter}$1:${letter}${len(values)}"
        return self.ranges[values]


def workbook_bytes(wb: openpyxl.Workbook) -> bytes:
    """The workbook as .xlsx bytes that depend only on its content: the zip entries' times and
    the document's created / modified dates (openpyxl stamps the clock) are fixed."""
    buf = io.BytesIO()
    wb.save(buf)
    stamp = dt.datetime(*FIXED_TIME).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>" + stamp.encode()
                              + rb"\g<3>", data)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            dst.writestr(entry, data)
    return out.getvalue()


def default_path(project: Project, contract: Contract, month: str) -> Path:
    """outputs/templates/<template file name of the contract> — never inside data/raw."""
    name = str(contract.template.get("file", "template-{month}.xlsx")).format(month=month)
    return project.outputs / "templates" / name


def write_template(project: Project, month: str, path: str | Path | None = None) -> Path:
    """Write the month's workbook (default outputs/templates/信用县数据填报-YYYY-MM.xlsx).

    Refuses a path inside data/raw: raw data is never overwritten, and a blank template
    there would be read as a (wrong) month of data.
    """
    month = check_month(month)
    spec, units, contract = load_params(project)
    target = template_target(project, Path(path) if path else default_path(project, contract, month))
    return atomic_write_bytes(target, workbook_bytes(build_template(spec, units, contract, month)))


def template_target(project: Project, target: Path) -> Path:
    """`target` (relative: to the working folder) when a template may be written there: an .xlsx
    name outside data/raw, where a blank template would be read as (wrong) data."""
    target = target if target.is_absolute() else Path.cwd() / target
    raw = project.raw.resolve()
    if target.resolve() == raw or raw in target.resolve().parents:
        raise CreditCountyError(f"{target}: a template is not written inside {project.raw} (raw data is never "
                                "overwritten); write it elsewhere and place the filled copy there")
    if target.suffix.lower() != ".xlsx":
        raise CreditCountyError(f"{target}: the template is an Excel workbook: the name must end in .xlsx")
    return target


# --------------------------------------------------------------------------- building


def build_template(spec: IndexSpec, units: Units, contract: Contract, month: str) -> openpyxl.Workbook:
    """The template as an openpyxl workbook (the demo generator fills one in)."""
    t = contract.template
    window = MonthWindow.of(month)
    wb = openpyxl.Workbook()
    wb.properties.creator = "credit-county"
    wb.properties.title = f"{t.get('title', '')} {month}".strip()
    notes = wb.active
    notes.title = str(t.get("notes_sheet", contract.notes_sheets[0] if contract.notes_sheets else "notes"))
    lists = ListColumns(notes)
    for source in contract.sources.values():
        ws = wb.create_sheet(source.sheets[0])
        _source_sheet(ws, source, spec, units, contract, window, lists)
    _notes_sheet(notes, spec, contract, window)
    return wb


def headers_of(source: SourceSpec) -> list[str]:
    """The template's header row of a source, in order."""
    return [c.header for c in source.columns]


def header_row(ws: Worksheet, source: SourceSpec, min_width: int = 10) -> None:
    """The source's headers as row 1: bold on the header fill, wrapped, columns sized to them."""
    ws.append(headers_of(source))
    for i, col in enumerate(source.columns, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(i)].width = max(min_width, min(28, 2 * len(col.header) + 2))
    ws.row_dimensions[1].height = 42


def _source_sheet(ws: Worksheet, source: SourceSpec, spec: IndexSpec, units: Units, contract: Contract,
                  window: MonthWindow, lists: ListColumns) -> None:
    header_row(ws, source)
    names = {c.name: i for i, c in enumerate(source.columns, start=1)}
    prefilled: list[list[Any]] = []
    if source.per_unit:
        prefilled = [[u.name] for u in units.units]
    elif source.key == REVIEW_SOURCE:
        reviewed = [m for m in spec.metrics() if m.source == "review"]
        prefilled = [[u.name, m.short] for u in units.units for m in reviewed]
    for values in prefilled:
        row = [None] * len(source.columns)
        row[names["unit"] - 1] = values[0]
        if len(values) > 1:
            row[names["metric"] - 1] = values[1]
        ws.append(row)
    last = 1 + (len(prefilled) or int(contract.template.get("record_rows", 1000)))
    ws.freeze_panes = "B2" if source.per_unit else "A2"
    ctx = Context(window=window, units=units, spec=spec)
    for col in source.columns:
        letter = get_column_letter(names[col.name])
        area = f"{letter}2:{letter}{last}"
        number_format = column_type(col).number_format
        if number_format is not None:
            for r in range(2, last + 1):
                ws[f"{letter}{r}"].number_format = number_format
        if _scored_per_item(source, col):
            _score_validations(ws, letter, spec, units, contract, col)
            continue
        dv = column_validation(col, source, contract, ctx, lists)
        if dv is not None:
            dv.add(area)
            ws.add_data_validation(dv)


def _scored_per_item(source: SourceSpec, col: ColumnSpec) -> bool:
    """The reviewers' score: its range is each reviewed metric's points (one validation per metric)."""
    return source.key == REVIEW_SOURCE and col.name == "score"


def column_validation(col: ColumnSpec, source: SourceSpec, contract: Contract, ctx: Context,
                      lists: ListColumns) -> DataValidation | None:
    """The Excel data validation of one column, by its type (None for free text), with the contract's
    error text and the column's note as its prompt. A unit list too long to be written inline
    refers to a hidden column of the notes sheet (ListColumns)."""
    names = tuple(u.name for u in ctx.units.units)
    if isinstance(column_type(col), UnitType) and len(",".join(names)) > EXCEL_LIST_LIMIT:
        dv = DataValidation(type="list", formula1=lists.range(names))
    else:
        dv = column_type(col).validation(col, source, ctx)
    if dv is None:
        return None
    t = contract.template
    dv.allow_blank = True
    dv.showErrorMessage = True
    dv.errorTitle = str(t.get("error_title", ""))[:32]
    dv.error = str(t.get("error_text", ""))[:255]
    dv.showInputMessage = bool(col.note)
    dv.promptTitle = col.label[:32]
    dv.prompt = col.note[:255]
    return dv


def _score_validations(ws: Worksheet, letter: str, spec: IndexSpec, units: Units, contract: Contract,
                       col: ColumnSpec) -> None:
    """One validation per reviewed metric: the score lies between 0 and that item's points."""
    reviewed = [m for m in spec.metrics() if m.source == "review"]
    for j, m in enumerate(reviewed):
        rows = [2 + i * len(reviewed) + j for i in range(len(units.units))]
        dv = DataValidation(type="decimal", operator="between", formula1="0", formula2=f"{m.points:g}",
                            allow_blank=True, showErrorMessage=True, showInputMessage=True)
        dv.errorTitle = str(contract.template.get("error_title", ""))[:32]
        dv.error = str(contract.template.get("error_text", ""))[:255]
        dv.promptTitle = col.label[:32]
        dv.prompt = f"{m.short}: 0 – {m.points:g}"[:255]
        dv.sqref = " ".join(f"{letter}{r}" for r in rows)
        ws.add_data_validation(dv)


def range_text(col: ColumnSpec, source: SourceSpec, contract: Contract, window: MonthWindow) -> str:
    """The allowed values of a column in words (from the contract's `template.range_text`)."""
    words = contract.template.get("range_text", {})
    if _scored_per_item(source, col):
        return str(words.get("score", ""))
    return column_type(col).range_text(col, source, words, window)


def _notes_sheet(ws: Worksheet, spec: IndexSpec, contract: Contract, window: MonthWindow) -> None:
    t = contract.template
    ws.append([str(t.get("title", ""))])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([str(t.get("month_label", "{month}")).format(month=window.month)])
    for line in t.get("intro", []):
        ws.append([str(line)])
    ws.append([])
    ws.append(list(t.get("sources_header", [])))
    bold_row(ws)
    for source in contract.sources.values():
        ws.append([source.sheets[0], source.provider, source.note])
    ws.append([])
    ws.append(list(t.get("columns_header", [])))
    bold_row(ws)
    types = t.get("type_labels", {})
    required = t.get("required_text", {})
    for source in contract.sources.values():
        for col in source.columns:
            need = ("optional_column" if not col.required else "optional" if col.empty_ok else "required")
            ws.append([source.sheets[0], col.header, col.name, str(types.get(col.type, col.type)), col.unit,
                       range_text(col, source, contract, window), str(required.get(need, need)), col.note])
    for letter, width in zip("ABCDEFGH", (14, 30, 12, 12, 10, 24, 10, 80), strict=True):
        ws.column_dimensions[letter].width = width


def bold_row(ws: Worksheet) -> None:
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
