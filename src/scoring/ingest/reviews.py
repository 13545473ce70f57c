"""The annual review file: reviewers' on-site and off-site scores per unit, for the acceptance.

    data/raw/YYYY/reviews.csv  or  data/raw/YYYY/reviews.xlsx (sheet 验收评审)
        县区 | 现场调研得分 | 非现场评议得分 | 现场调研评审人 | 非现场评议评审人 | 评审日期 | 备注

The file is the contract's annual source `annual_reviews` (params/sources.yaml,
`annual_sources`), read and checked by the same machinery as a month's files: the readers
(CSV in UTF-8 / BOM / GBK / GB18030, .xlsx), the column types and the pandera schemas, with
the year (and the January after it) as the date window. Every problem is one line naming
file, row, column, value and rule; all of them are raised together as one DataError.
Reading writes nothing. docs/data.md documents the file. The reviewers' workbook
(`credit-county template --year YYYY --reviews`, `scoring.ingest.review_template`) is this file,
blank: filled in and placed in data/raw/YYYY/ as it is named, it is read here unchanged.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from scoring.errors import DataError
from scoring.index.spec import Units
from scoring.ingest.context import Context, DataProblem, sorted_lines
from scoring.ingest.contract import ANNUAL_REVIEW_SOURCE
from scoring.ingest.pools import typed_frame, validate_pool
from scoring.ingest.process import load_params
from scoring.ingest.readers import link_problem, read_file
from scoring.ingest.tables import to_raw_frame, validate_table
from scoring.ingest.windows import YearWindow
from scoring.project import Project, is_project

ANNUAL_REVIEW_COLUMNS = ["unit", "onsite", "offsite", "onsite_reviewer", "offsite_reviewer", "review_date"]


def project_of(path: Path) -> Project:
    """The project a raw file belongs to: the nearest folder above it holding params/index.yaml
    (data/raw/YYYY/reviews.csv → the project root), else the current project (`Project.find`)."""
    found = next((folder for folder in Path(path).resolve().parents if is_project(folder)), None)
    return Project(found) if found is not None else Project.find()


def _label(project: Project, path: Path) -> str:
    try:
        return Path(path).resolve().relative_to(project.root).as_posix()
    except ValueError:
        return Path(path).as_posix()


def read_reviews(path: Path, units: Units, year: int, *, project: Project | None = None) -> pd.DataFrame:
    """The reviewers' scores of `year`, one row per unit in params/units.yaml order.

    Columns: unit (code), onsite and offsite (float, 0–100), onsite_reviewer and
    offsite_reviewer (text), review_date (YYYY-MM-DD, in `year` or January of `year` + 1).
    `frame.attrs["synthetic"]` is True for demo data (示例数据: the mark file beside it, or a
    备注 cell saying so), as a month's manifest says.
    The contract (params/sources.yaml, `annual_sources.annual_reviews`) is the one of the
    project holding `path`, or of `project` when given. Messages name the file relative to
    the project root. Raises DataError listing every problem, one line each.
    """
    path = Path(path)
    year = int(year)
    project = project or project_of(path)
    spec, _units, contract = load_params(project)
    where = _label(project, path)
    source = contract.annual_source(ANNUAL_REVIEW_SOURCE)
    if refused := link_problem(path, project.root, where):  # never read a link leading outside the project
        raise DataError(refused)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{where}: cannot read the review scores ({exc.strerror or exc})") from exc
    item, read_problems = read_file(path, data, contract, where, source=source)
    problems = [DataProblem(where, 0, i, p) for i, p in enumerate(read_problems)]
    tables = [to_raw_frame(raw, problems) for raw in item.tables]
    if not tables and not problems:
        problems.append(DataProblem(where, 0, 0, f"{where}: no {source.title} table — expected a sheet named "
                                                 f"{' or '.join(repr(s) for s in source.sheets)}"))
    ctx = Context(window=YearWindow.of(year), units=units, spec=spec)
    for table in tables:
        problems.extend(validate_table(table, ctx))
    problems.extend(validate_pool(source, tables, ctx))
    if problems:
        lines = sorted_lines(problems)
        raise DataError(f"{where}: {len(lines)} problem(s) in the review scores of {year}", problems=lines)

    typed = typed_frame(source, tables, ctx)
    order = {code: i for i, code in enumerate(units.codes)}
    typed = typed.assign(_u=typed["unit"].map(order)).sort_values("_u", kind="stable")
    out = pd.DataFrame({
        "unit": typed["unit"].astype(str).to_numpy(),
        "onsite": typed["onsite"].astype(float).to_numpy(),
        "offsite": typed["offsite"].astype(float).to_numpy(),
        "onsite_reviewer": typed["onsite_reviewer"].astype(str).to_numpy(),
        "offsite_reviewer": typed["offsite_reviewer"].astype(str).to_numpy(),
        "review_date": [d.isoformat() for d in typed["review_date"]],
    })
    out = out[ANNUAL_REVIEW_COLUMNS]
    out.attrs["synthetic"] = (path.parent / contract.marker_file).is_file() or any(
        contract.mark in str(v) for v in typed["note"] if v is not None)
    return out
