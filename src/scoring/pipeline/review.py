"""The review stage: the year's scored months + the reviewers' file + the titles register →
the acceptance stage tables (review, reviewers, titles) in outputs/YYYY/.

Reading the register (data/titles.csv) and the reviewers' file (data/raw/YYYY/) happens here,
once; the acceptance report reads only the tables this stage writes.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from scoring import provenance, tables
from scoring.analysis.acceptance import STATUSES, TITLES_COLUMNS, ReviewOutcome, evaluate
from scoring.analysis.acceptance_rules import load_rules
from scoring.errors import DataError
from scoring.hashing import sha256_file
from scoring.ingest.reviews import read_reviews
from scoring.pipeline.score import load_spec, score_history
from scoring.project import Project
from scoring.report.text import load_report_text


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


def read_register(path: Path) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame(columns=TITLES_COLUMNS)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = set(TITLES_COLUMNS) - set(frame.columns)
    if missing:
        raise DataError(f"{path}: missing columns {sorted(missing)}")
    problems = []
    for row, r in enumerate(frame.itertuples(index=False), start=2):
        if r.status not in STATUSES:
            problems.append(f"{path}: row {row}, column 'status': value {r.status!r} — must be one of {STATUSES}")
        if not r.year.isdigit():
            problems.append(f"{path}: row {row}, column 'year': value {r.year!r} — must be a year such as 2019")
        if pd.to_datetime(r.valid_until, format="%Y-%m-%d", errors="coerce") is pd.NaT:
            problems.append(f"{path}: row {row}, column 'valid_until': value {r.valid_until!r} — must be YYYY-MM-DD")
    if problems:
        raise DataError(f"{path}: the titles register is not valid", problems=problems)
    frame = frame.assign(year=frame["year"].astype(int),
                         combined=pd.to_numeric(frame["combined"], errors="coerce"))
    return frame[TITLES_COLUMNS]
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
        "index": {"source": spec.path, "version": spec.version, "sha256": spec.sha256},
        "reviewers_file": {"file": f"{year}/{source.name}", "sha256": sha256_file(source)},
        "rules_sha256": rules.sha256,
        "provenance": provenance.data_record(project, month),
    }
    found = {"review": outcome.table, "reviewers": reviews, "titles": outcome.register}
    return outcome, tables.write_tables(out, found, meta, project.index_file.read_text(encoding="utf-8"))
