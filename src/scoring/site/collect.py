"""What outputs/ holds, as plain tables for the site: the published months, the annual reviews,
the history of every scored month, the categories and the titles register.

Read only through the hash-checked stage readers (scoring.tables.StageFolder, scoring.state):
nothing is scored or computed here. A folder that cannot be read (no stage.json, a table changed
since it was written, a damaged record) is left out, `SiteData.skipped` saying which folder and
why; the site is built from the rest.

Paths of report files are relative to outputs/ ("2019-12/bulletin.pdf"); only files that exist
are listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from scoring.errors import CreditCountyError
from scoring.index.schema import IndexFile
from scoring.project import MONTH_PATTERN, Project
from scoring.state import read_state_csv
from scoring.tables import CATALOGUE, StageFolder

#: The report files linked per report, in the order shown.
REPORT_SUFFIXES = ("html", "pdf", "docx")
#: The month's reports other than the units' (file stems in the month folder).
MONTH_REPORTS = ("bulletin", "sensitivity")
YEAR_PATTERN = re.compile(r"^\d{4}$")
REGISTER = Path("data") / "titles.csv"
DEFAULT_DECIMALS = IndexFile.model_fields["display_decimals"].default


@dataclass(frozen=True)
class Category:
    """A category of the index as scored: its code (a column of the scores), name and short label."""

    code: str
    name: str
    short: str


@dataclass
class MonthFolder:
    """A published month (outputs/YYYY-MM): its scores and city row as written, and its files.

    `reports`: 'bulletin', 'sensitivity' or a unit code → {suffix: path relative to outputs/};
    `extras`: 'month_index' (the month's index.html) and 'workbook' (its .xlsx) when present."""

    month: str
    synthetic: bool
    scores: pd.DataFrame
    city: dict[str, Any]
    reports: dict[str, dict[str, str]] = field(default_factory=dict)
    extras: dict[str, str] = field(default_factory=dict)


@dataclass
class YearFolder:
    """An annual review (outputs/YYYY): its review and titles tables and report files."""

    year: int
    synthetic: bool
    decimals: int
    review: pd.DataFrame
    titles: pd.DataFrame
    files: dict[str, str] = field(default_factory=dict)


@dataclass
class SiteData:
    """Everything the pages show. `history`: the `history` table of the latest readable month (every
    scored month up to it, scored with the index as then), `basis`: that month; `register`: the
    titles register (data/titles.csv); `skipped`: (path relative to the project, why) per folder
    or file left out."""

    months: list[MonthFolder] = field(default_factory=list)
    years: list[YearFolder] = field(default_factory=list)
    history: pd.DataFrame = field(default_factory=pd.DataFrame)
    basis: str | None = None
    categories: list[Category] = field(default_factory=list)
    decimals: int = DEFAULT_DECIMALS
    pass_line: float = 0.0
    register: pd.DataFrame = field(default_factory=pd.DataFrame)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def synthetic(self) -> bool:
        return any(m.synthetic for m in self.months) or any(y.synthetic for y in self.years)

    def units(self) -> list[tuple[str, str]]:
        """(code, name) of every unit shown: those of the latest scored month in its table's order, then
        any other of the history, a month's scores, a review or the register (its code as name when no
        table names it)."""
        frames = [self.history.sort_values("month", ascending=False, kind="stable") if len(self.history) else None,
                  *(m.scores for m in reversed(self.months))]
        found: dict[str, str] = {}
        for frame in frames:
            if frame is not None and len(frame):
                for code, name in zip(frame["unit"], frame["name"], strict=True):
                    found.setdefault(str(code), str(name))
        for frame in [*(y.review for y in self.years), self.register]:
            for code in frame["unit"] if "unit" in frame.columns else []:
                found.setdefault(str(code), str(code))
        return list(found.items())

    def history_months(self) -> list[str]:
        return sorted(self.history["month"].unique()) if not self.history.empty else []


def _index_settings(stage: StageFolder) -> tuple[list[Category], int, float]:
    """The categories, display decimals and pass line of the index as scored (the folder's index.yaml)."""
    data = yaml.safe_load(stage.index_file.read_text(encoding="utf-8")) or {}
    categories = [Category(str(c["code"]), str(c["name"]), str(c.get("short") or c["name"]))
                  for c in data.get("children") or []]
    return categories, int(data.get("display_decimals", DEFAULT_DECIMALS)), float(data["pass_line"]["points"])


def _files(outputs: Path, stem: str) -> dict[str, str]:
    """suffix → path relative to outputs/ of `stem`.<suffix> for each report suffix that exists."""
    return {s: f"{stem}.{s}" for s in REPORT_SUFFIXES if (outputs / f"{stem}.{s}").is_file()}


def _month(outputs: Path, month: str) -> MonthFolder:
    stage = StageFolder(outputs / month)
    scores, city = stage.table("scores"), stage.table("city")
    found = MonthFolder(month=month, synthetic=bool(stage.meta.get("synthetic")), scores=scores,
                        city=city.iloc[0].to_dict() if len(city) else {})
    for stem in MONTH_REPORTS:
        if files := _files(outputs, f"{month}/{stem}"):
            found.reports[stem] = files
    for unit in scores["unit"]:
        if files := _files(outputs, f"{month}/units/{unit}"):
            found.reports[unit] = files
    if (outputs / month / "index.html").is_file():
        found.extras["month_index"] = f"{month}/index.html"
    workbooks = sorted(p.name for p in (outputs / month).glob("*.xlsx") if not p.name.startswith("."))
    if workbooks:
        found.extras["workbook"] = f"{month}/{workbooks[0]}"
    return found


def _year(outputs: Path, year: int) -> YearFolder:
    stage = StageFolder(outputs / str(year))
    _categories, decimals, _line = _index_settings(stage)
    return YearFolder(year=year, synthetic=bool(stage.meta.get("synthetic")), decimals=decimals,
                      review=stage.table("review"),
                      titles=stage.table("titles") if stage.has("titles") else pd.DataFrame(),
                      files=_files(outputs, f"{year}/review"))


def _reason(exc: Exception) -> str:
    """The first line of an error, for a note."""
    first = str(exc).splitlines()[0] if str(exc) else ""
    return first if isinstance(exc, CreditCountyError) else f"unreadable ({type(exc).__name__}: {first})"


def read_register_table(project: Project) -> pd.DataFrame:
    """data/titles.csv as the review stage wrote it (empty when there is none); StateError when damaged."""
    path = project.root / REGISTER
    if not path.exists():
        return pd.DataFrame(columns=list(CATALOGUE["titles"].columns))
    return read_state_csv(path, "the titles register", "run `credit-county review` for every year, in order, "
                          "to write it again", CATALOGUE["titles"].columns)


#: What reading a folder this program wrote may raise beyond StateError (a record with odd contents).
READ_ERRORS = (CreditCountyError, KeyError, ValueError, TypeError, AttributeError)


def collect_site(project: Project) -> SiteData:
    """Read every month folder (YYYY-MM) and review folder (YYYY) of outputs/ and the titles register."""
    outputs = project.outputs
    data = SiteData()

    def skip(path: Path, exc: Exception) -> None:
        data.skipped.append((path.relative_to(project.root).as_posix(), _reason(exc)))

    names = sorted(p.name for p in outputs.iterdir() if p.is_dir()) if outputs.is_dir() else []
    for name in names:
        try:
            if MONTH_PATTERN.match(name):
                data.months.append(_month(outputs, name))
            elif YEAR_PATTERN.match(name):
                data.years.append(_year(outputs, int(name)))
        except READ_ERRORS as exc:
            skip(outputs / name, exc)
    for month in reversed([m.month for m in data.months]):  # the newest month whose history reads
        try:
            stage = StageFolder(outputs / month)
            data.history = stage.table("history")
            data.categories, data.decimals, data.pass_line = _index_settings(stage)
            data.basis = month
            break
        except READ_ERRORS as exc:
            skip(outputs / month / "history.csv", exc)
    try:
        data.register = read_register_table(project)
    except READ_ERRORS as exc:
        skip(project.root / REGISTER, exc)
        data.register = pd.DataFrame(columns=list(CATALOGUE["titles"].columns))
    return data
