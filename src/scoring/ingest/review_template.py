"""The reviewers' workbook of a year's acceptance (`credit-county template --year YYYY --reviews`).

One sheet, the contract's annual source `annual_reviews` (params/sources.yaml): the headers in
Chinese, every unit of params/units.yaml pre-filled (one row each, in order), data validation
on every cell — a unit from the list (a hidden range of the notes sheet beyond Excel's
255-character inline list), each score between 0 and its item's maximum (the column's `max`),
the date within the year or the January after it — and the notes sheet (填表说明): how to fill
it in, the scored items with their maxima, and every column. The texts are the contract's
`template.annual` over the month template's. Filled in and placed in data/raw/YYYY/ under
its name (reviews.xlsx) it is what `scoring.ingest.reviews.read_reviews` reads, unchanged.
The file is byte-identical for the same year and params.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from scoring.errors import CreditCountyError
from scoring.index.spec import IndexSpec, Units
from scoring.ingest.context import Context
from scoring.ingest.contract import ANNUAL_REVIEW_SOURCE, ColumnSpec, Contract, SourceSpec
from scoring.ingest.process import load_params
from scoring.ingest.template import (
    ListColumns,
    bold_row,
    column_validation,
    header_row,
    template_target,
    workbook_bytes,
)
from scoring.ingest.types import DateType, NumberType, UnitType, column_type
from scoring.ingest.windows import DATE_WINDOWS, YearWindow
from scoring.project import Project
from scoring.safeio import atomic_write_bytes

NOTES_WIDTHS = (14, 30, 16, 12, 10, 24, 10, 80)  # columns A–H of the notes sheet


def annual_texts(contract: Contract) -> dict[str, Any]:
    """The reviewers' workbook texts: the contract's `template.annual` (empty when it has none)."""
    return dict(contract.template.get("annual") or {})


def review_template_path(project: Project, contract: Contract, year: int) -> Path:
    """outputs/templates/YYYY/<template.annual.file> (reviews.xlsx) — never inside data/raw."""
    name = str(annual_texts(contract).get("file", "reviews.xlsx")).format(year=year)
    return project.outputs / "templates" / str(year) / name


def write_review_template(project: Project, year: int, path: str | Path | None = None) -> Path:
    """Write the year's reviewers' workbook (default outputs/templates/YYYY/reviews.xlsx); the path
    written. Refuses a path inside data/raw (a blank workbook there would be read as the scores)."""
    year = check_year(year)
    spec, units, contract = load_params(project)
    target = template_target(project, Path(path) if path else review_template_path(project, contract, year))
    return atomic_write_bytes(target, workbook_bytes(build_review_template(spec, units, contract, year)))


def check_year(year: int | str) -> int:
    """`year` as an int when it is written YYYY, else a clear error."""
    text = str(year).strip()
    if not (len(text) == 4 and text.isdigit() and int(text) >= 1000):
        raise CreditCountyError(f"year {year!r} must be written YYYY, e.g. 2019")
    return int(text)


def build_review_template(spec: IndexSpec, units: Units, contract: Contract, year: int) -> openpyxl.Workbook:
    """The reviewers' workbook as an openpyxl workbook: the notes sheet first, then the scores' sheet."""
    t, texts = contract.template, annual_texts(contract)
    source = contract.annual_source(ANNUAL_REVIEW_SOURCE)
    window = YearWindow.of(year)
    wb = openpyxl.Workbook()
    wb.properties.creator = "credit-county"
    wb.properties.title = f"{texts.get('title', '')} {year}".strip()
    notes = wb.active
    notes.title = str(t.get("notes_sheet", contract.notes_sheets[0] if contract.notes_sheets else "notes"))
    ctx = Context(window=window, units=units, spec=spec)
    _scores_sheet(wb.create_sheet(source.sheets[0]), source, contract, ctx, ListColumns(notes))
    _notes(notes, source, contract, window, len(units.units))
    return wb


def score_items(source: SourceSpec) -> list[ColumnSpec]:
    """The scored items: the source's number columns with a maximum (现场调研得分, 非现场评议得分)."""
    return [c for c in source.columns if isinstance(column_type(c), NumberType) and c.max is not None]


def _scores_sheet(ws: Worksheet, source: SourceSpec, contract: Contract, ctx: Context, lists: ListColumns) -> None:
    """Headers, one pre-filled row per unit, number formats and one validation per column."""
    header_row(ws, source, min_width=12)
    ws.freeze_panes = "B2"
    unit_column = next(i for i, c in enumerate(source.columns) if isinstance(column_type(c), UnitType))
    for u in ctx.units.units:
        row: list[Any] = [None] * len(source.columns)
        row[unit_column] = u.name
        ws.append(row)
    last = 1 + len(ctx.units.units)
    items = score_items(source)
    for i, col in enumerate(source.columns, start=1):
        letter = get_column_letter(i)
        number_format = column_type(col).number_format
        if number_format is not None:
            for r in range(2, last + 1):
                ws[f"{letter}{r}"].number_format = number_format
        dv = column_validation(col, source, contract, ctx, lists)
        if dv is not None:
            if col in items:  # the item's maximum in the cell's prompt
                dv.prompt = f"{col.note} (0 – {col.max:g})"[:255] if col.note else f"0 – {col.max:g}"
                dv.showInputMessage = True
            dv.add(f"{letter}2:{letter}{last}")
            ws.add_data_validation(dv)


def column_range_text(col: ColumnSpec, source: SourceSpec, words: dict[str, Any], window: YearWindow,
                      units: int) -> str:
    """The allowed values of a column of the reviewers' workbook in words."""
    kind = column_type(col)
    if isinstance(kind, UnitType):
        return str(words.get("unit", "")).format(units=units)
    if isinstance(kind, DateType):
        if col.window is None:
            return ""
        low, high = DATE_WINDOWS[col.window].allowed(window)
        return str(words.get(col.window, "")).format(start=low, end=high)
    return kind.range_text(col, source, words, window)  # type: ignore[arg-type]  # numbers, text: no calendar


def _notes(ws: Worksheet, source: SourceSpec, contract: Contract, window: YearWindow, units: int) -> None:
    """How to fill it in, the items and their maxima, every column (as the month template's notes)."""
    t, texts = contract.template, annual_texts(contract)
    year = window.year
    values = {"year": year, "next": year + 1, "file": texts.get("file", "reviews.xlsx"), "units": units}
    ws.append([str(texts.get("title", ""))])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([str(texts.get("year_label", "{year}")).format(year=year)])
    for line in texts.get("intro", []):
        ws.append([str(line).format(**values)])
    ws.append([])
    ws.append(list(texts.get("items_header", [])))
    bold_row(ws)
    for col in score_items(source):
        ws.append([col.label, col.max, col.note])
    ws.append([])
    ws.append(list(t.get("sources_header", [])))
    bold_row(ws)
    ws.append([source.sheets[0], source.provider, source.note])
    ws.append([])
    ws.append(list(t.get("columns_header", [])))
    bold_row(ws)
    words = {**t.get("range_text", {}), **texts.get("range_text", {})}
    types, required = t.get("type_labels", {}), t.get("required_text", {})
    for col in source.columns:
        need = "optional_column" if not col.required else "optional" if col.empty_ok else "required"
        ws.append([source.sheets[0], col.header, col.name, str(types.get(col.type, col.type)), col.unit,
                   column_range_text(col, source, words, window, units), str(required.get(need, need)), col.note])
    for letter, width in zip("ABCDEFGH", NOTES_WIDTHS, strict=True):
        ws.column_dimensions[letter].width = width
