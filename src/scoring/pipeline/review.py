"""The review stage: the year's scored months + the reviewers' file + the titles register →
the acceptance stage tables (review, reviewers, titles) in outputs/YYYY/.

Reading the register (data/titles.csv) and the reviewers' file (data/raw/YYYY/) happens here,
once; the acceptance report reads only the tables this stage writes.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from scoring import provenance, tables
from scoring.analysis.acceptance import STATUSES, TITLES_COLUMNS, ReviewOutcome, evaluate
from scoring.analysis.acceptance_rules import load_rules
from scoring.errors import DataError, StateError
from scoring.hashing import sha256_file
from scoring.ingest.reviews import read_reviews
from scoring.pipeline.score import load_spec, score_history
from scoring.project import Project
from scoring.report.text import load_report_text
from scoring.state import SHOWN, read_state_csv


def reviews_file(project: Project, year: int) -> Path:
    """data/raw/YYYY/reviews.csv or .xlsx (exactly one of them)."""
    folder = project.raw / str(year)
    found = [p for p in (folder / "reviews.csv", folder / "reviews.xlsx") if p.is_file()]
    if not found:
        raise DataError(f"{folder}: no reviews.csv or reviews.xlsx (on-site and off-site scores, see docs/review.md)")
    if len(found) > 1:
        raise DataError(f"{folder}: both reviews.csv and reviews.xlsx exist; keep one")
    return found[0]


def register_file(project: Project) -> Path:
    return project.root / "data" / "titles.csv"


REGISTER_FIX = ("correct it (UTF-8 CSV with the columns " + ",".join(TITLES_COLUMNS) + ") or restore it from a "
                "backup; running `credit-county review` for every earlier year, in order, writes it again")
_YEAR = re.compile(r"\d{4}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _is_date(text: str) -> bool:
    try:
        return bool(_DATE.fullmatch(text)) and dt.date.fromisoformat(text) is not None
    except ValueError:
        return False


def read_register(path: Path) -> pd.DataFrame:
    """data/titles.csv, the decisions of the earlier years (empty when the file does not exist).

    Read as department input is: a register that cannot be read, is not UTF-8, is empty, cut
    short or lacks a column, or a row with an unknown status, a year that is not YYYY, a date
    that is not YYYY-MM-DD, a combined score that is not a number, or a unit and year twice, is
    a StateError listing each problem (row, column, value, rule; a few per column, then a count)."""
    if not path.exists():
        return pd.DataFrame(columns=TITLES_COLUMNS)
    kinds = {c: str for c in TITLES_COLUMNS} | {"combined": float}
    frame = read_state_csv(path, "the titles register", REGISTER_FIX, kinds)
    found: dict[str, list[str]] = {}
    seen: dict[tuple[str, str], int] = {}

    def problem(column: str, row: int, value: object, rule: str) -> None:
        found.setdefault(column, []).append(f"{path}: row {row}, column {column!r}: value {value!r} — {rule}")

    for row, r in enumerate(frame.itertuples(index=False), start=2):
        if not r.unit.strip():
            problem("unit", row, r.unit, "must be a unit code (params/units.yaml)")
        if r.status not in STATUSES:
            problem("status", row, r.status, f"must be one of {', '.join(STATUSES)}")
        if not _YEAR.fullmatch(r.year):
            problem("year", row, r.year, "must be a year such as 2019")
        elif (r.unit, r.year) in seen:
            problem("year", row, r.year, f"unit {r.unit!r} already has a decision for {r.year} in row "
                                         f"{seen[(r.unit, r.year)]}")
        seen.setdefault((r.unit, r.year), row)
        if not _is_date(r.valid_until):
            problem("valid_until", row, r.valid_until, "must be a date YYYY-MM-DD")
    problems = [line for lines in found.values() for line in lines[:SHOWN]]
    problems += [f"{path}: column {column!r}: and {len(lines) - SHOWN} more row(s) like these"
                 for column, lines in found.items() if len(lines) > SHOWN]
    if problems:
        raise StateError(f"{path}: the titles register is not valid", problems=[*problems, f"{path}: {REGISTER_FIX}"])
    return frame.assign(year=frame["year"].astype(int))[TITLES_COLUMNS]


def review_stage(project: Project, year: int, out: str | Path) -> tuple[ReviewOutcome, Path]:
    """Evaluate `year` and write its acceptance tables into `out`; returns the outcome and stage.json."""
    spec, units = load_spec(project)
    rules = load_rules(project.params / "review.yaml", spec)
    month = f"{year}-{rules.acceptance_month:02d}"
    scored = score_history(project, month, spec, units)
    source = reviews_file(project, year)
    reviews = read_reviews(source, units, year)
    texts = load_report_text(project.params / "report.yaml")["review"]
    outcome = evaluate(scored, year, reviews, read_register(register_file(project)), rules, texts)
    meta = {
        "month": month, "year": year, "synthetic": provenance.is_synthetic(project, month),
        "index": {"source": provenance.project_path(project, spec.path), "version": spec.version,
                  "sha256": spec.sha256},
        "reviewers_file": {"file": f"{year}/{source.name}", "sha256": sha256_file(source)},
        "rules_sha256": rules.sha256,
        "provenance": provenance.data_record(project, month),
    }
    found = {"review": outcome.table, "reviewers": reviews, "titles": outcome.register}
    return outcome, tables.write_tables(out, found, meta, project.index_file.read_text(encoding="utf-8"))
