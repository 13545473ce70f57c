"""The demo's files: each month's folder and the year folder, as bytes.

A month (January–November) holds the mark file, the register as CSV (UTF-8, with a BOM in
even months), the indicator sheet as .xlsx with a notes sheet, one records file per
department (GBK; GB18030 in even months or UTF-8 with BOM in odd months) and the reviewer
scores (UTF-8); December holds one filled template workbook instead (and, beyond
TEMPLATE_RECORDS_MAX records, the records files: a workbook that large is refused by ingestion). The year folder holds
the mark file and the acceptance reviewers' reviews.csv (UTF-8 with BOM).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

import openpyxl

from scoring.demo.generator import Generator, apply_cases
from scoring.demo.settings import DemoSettings
from scoring.index.spec import IndexSpec, Metric, Units
from scoring.ingest.contract import (
    ANNUAL_REVIEW_SOURCE,
    INDICATOR_SOURCE,
    RECORDS_SOURCE,
    REGISTER_SOURCE,
    REVIEW_SOURCE,
    Contract,
    SourceSpec,
)
from scoring.ingest.derive import month_bounds
from scoring.ingest.template import build_template, workbook_bytes

REVIEWS_FILE = "reviews.csv"  # the year folder's file (data/raw/YYYY/reviews.csv)
TEMPLATE_RECORDS_MAX = 20_000  # list records the filled December template holds at most (else: the CSV files)


def generate(spec: IndexSpec, units: Units, contract: Contract, settings: DemoSettings, years: Sequence[int],
             seed: int) -> dict[str, dict[str, bytes]]:
    """The demo files of `years`: folder of data/raw → file name → bytes. Each year's folders are
    its twelve months (YYYY-MM) and the year (YYYY: the acceptance reviewers' scores). One
    simulation runs from the demo's first year (params/demo.yaml `years`, or an earlier one asked
    for) through the last asked for, each year continuing the one before, so a year's bytes are
    the same whichever years are written with it."""
    out: dict[str, dict[str, bytes]] = {}
    g: Generator | None = None
    for year in range(min(settings.years[0], *years), max(years) + 1):
        g = Generator(spec, units, contract, settings, year, seed) if g is None else g.next_year()
        g.simulate_lists()  # all the next year needs from this one
        if year in years:
            out.update(_year_folders(g))
    return out


def _year_folders(g: Generator) -> dict[str, dict[str, bytes]]:
    """One simulated year's folders: the twelve months, then the year folder."""
    sheets = {m: g.sheet_values(m) for m in range(1, 13)}
    reviews = {m: g.review_scores(m) for m in range(1, 13)}
    apply_cases(g, sheets, reviews)
    out = {f"{g.year}-{m:02d}": _month_files(g, f"{g.year}-{m:02d}", m, sheets[m], reviews[m]) for m in range(1, 13)}
    out[str(g.year)] = _year_files(g)  # drawn last: the months' bytes do not depend on it
    return out


# --------------------------------------------------------------------------- files


def _csv(headers: list[str], rows: list[list[Any]], encoding: str) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([["" if v is None else v for v in r] for r in rows])
    return buf.getvalue().encode(encoding)


def _rows(source: SourceSpec, records: list[dict[str, Any]]) -> list[list[Any]]:
    return [[r.get(c.name) for c in source.columns] for r in records]


def _marker(g: Generator, month: str, period: str = "month") -> bytes:
    return (f"{g.contract.mark} (synthetic demo data)\nsynthetic: true\ngenerator: credit-county demo-data\n"
            f"seed: {g.seed}\n{period}: {month}\n{g.s.note}\n").encode()


def _year_files(g: Generator) -> dict[str, bytes]:
    """data/raw/YYYY/: the mark and the reviewers' scores (UTF-8 with BOM, as Excel's "CSV UTF-8")."""
    source = g.contract.annual_source(ANNUAL_REVIEW_SOURCE)

    def text(value: Any) -> Any:
        return f"{value:g}" if isinstance(value, float) else _text(value)

    rows = [[text(v) for v in r] for r in _rows(source, g.annual_reviews())]
    return {g.contract.marker_file: _marker(g, str(g.year), "year"),
            REVIEWS_FILE: _csv([c.header for c in source.columns], rows, "utf-8-sig")}


def _month_tables(g: Generator, month: str, m: int, sheet: dict[str, dict[str, Any]],
                  reviews: list[tuple[str, Metric, float]]) -> dict[str, list[dict[str, Any]]]:
    """Each source's rows as dicts keyed by column name (dates as dates, 备注 = the mark)."""
    mark = g.contract.mark
    names = {u.code: u.name for u in g.units.units}
    _start, end = month_bounds(month)
    register = [{"unit": p.unit.name, "legal_persons": p.legal(m),
                 "market_entities": p.market(m), "population": p.population,
                 "note": mark} for p in g.plans]
    indicators = [{"unit": names[u], **values, "note": mark} for u, values in sheet.items()]
    records = [{"credit_code": e.code, "entity": e.name, "unit": names[e.unit], "list_type": e.list_type,
                "domain": e.domain, "entry_date": e.entry, "exit_date": e.exit if e.exit and e.exit <= end else None,
                "violations": e.violations, "note": mark, "_department": e.department}
               for e in g.records_of(month)]
    scored = []
    for unit, metric, score in reviews:
        late = g.rng.random() < 0.3
        day = end + dt.timedelta(days=int(g.rng.integers(1, 6))) if late else end
        scored.append({"unit": names[unit], "metric": metric.code, "score": score,
                       "reviewer": g.s.reviewers[int(g.rng.integers(0, len(g.s.reviewers)))],
                       "date": day, "note": mark})
    return {REGISTER_SOURCE: register, INDICATOR_SOURCE: indicators, RECORDS_SOURCE: records, REVIEW_SOURCE: scored}


def _text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _month_files(g: Generator, month: str, m: int, sheet: dict[str, dict[str, Any]],
                 reviews: list[tuple[str, Metric, float]]) -> dict[str, bytes]:
    tables = _month_tables(g, month, m, sheet, reviews)
    c = g.contract
    files = {c.marker_file: _marker(g, month)}
    src = {k: c.source(k) for k in tables}
    if m == 12:
        records = tables[RECORDS_SOURCE]
        split = len(records) > TEMPLATE_RECORDS_MAX  # a province's or the nation's: beyond a workbook's size
        files[str(c.template.get("file", "template-{month}.xlsx")).format(month=month)] = _filled_template(
            g, month, {k: v for k, v in tables.items() if not (split and k == RECORDS_SOURCE)})
        if split:
            files.update(_records_files(g, src[RECORDS_SOURCE], records, m))
        return files

    def headers(key: str) -> list[str]:
        return [col.header for col in src[key].columns]

    def text_rows(key: str, rows: list[dict[str, Any]]) -> list[list[Any]]:
        return [[_text(v) for v in r] for r in _rows(src[key], rows)]

    names = g.s.files
    files[names.of(REGISTER_SOURCE)] = _csv(headers(REGISTER_SOURCE),
                                            text_rows(REGISTER_SOURCE, tables[REGISTER_SOURCE]),
                                            "utf-8-sig" if m % 2 == 0 else "utf-8")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = src[INDICATOR_SOURCE].sheets[0]
    ws.append(headers(INDICATOR_SOURCE))
    for row in _rows(src[INDICATOR_SOURCE], tables[INDICATOR_SOURCE]):
        ws.append(row)
    wb.create_sheet(g.s.notes_sheet).append([g.s.note])
    files[names.of(INDICATOR_SOURCE)] = workbook_bytes(wb)
    files.update(_records_files(g, src[RECORDS_SOURCE], tables[RECORDS_SOURCE], m))
    files[names.of(REVIEW_SOURCE)] = _csv(headers(REVIEW_SOURCE), text_rows(REVIEW_SOURCE, tables[REVIEW_SOURCE]),
                                          "utf-8")
    return files


def _records_files(g: Generator, source: SourceSpec, records: list[dict[str, Any]], m: int) -> dict[str, bytes]:
    """One records file per department: GBK for the first, GB18030 (even months) or UTF-8 with BOM."""
    files = {}
    by_department: dict[str, list[dict[str, Any]]] = {d: [] for d in g.s.departments}
    for r in records:
        by_department[r["_department"]].append(r)
    header = [col.header for col in source.columns]
    for k, (department, rows) in enumerate(by_department.items()):
        encoding = "gbk" if k == 0 else ("gb18030" if m % 2 == 0 else "utf-8-sig")
        files[g.s.files.of(RECORDS_SOURCE).format(department=department)] = _csv(
            header, [[_text(v) for v in r] for r in _rows(source, rows)], encoding)
    return files


def _filled_template(g: Generator, month: str, tables: dict[str, list[dict[str, Any]]]) -> bytes:
    """The month's template with every sheet filled in, as a department would return it."""
    wb = build_template(g.spec, g.units, g.contract, month)
    for key in set(g.contract.sources) - set(tables):  # sent as files of their own
        del wb[g.contract.source(key).sheets[0]]
    for key, rows in tables.items():
        source = g.contract.source(key)
        ws = wb[source.sheets[0]]
        columns = {col.name: i for i, col in enumerate(source.columns, start=1)}
        if key == REVIEW_SOURCE:  # pre-filled unit × item rows: fill the score, reviewer and date
            where = {(ws.cell(r, columns["unit"]).value, ws.cell(r, columns["metric"]).value): r
                     for r in range(2, ws.max_row + 1)}
            shorts = {m.code: m.short for m in g.spec.metrics()}
            for row in rows:
                r = where[(row["unit"], shorts[row["metric"]])]
                for name in ("score", "reviewer", "date", "note"):
                    ws.cell(r, columns[name]).value = row[name]
            continue
        for r, row in enumerate(rows, start=2):
            for name, i in columns.items():
                ws.cell(r, i).value = row.get(name)
    wb.create_sheet(g.s.notes_sheet).append([g.s.note])
    return workbook_bytes(wb)
