"""Where a project's files live: params, raw and processed data, outputs, notebooks.

The folders show the pipeline: data/raw → data/processed → outputs/YYYY-MM.
The root is the folder holding `params/index.yaml` (the current directory by default,
or $CREDIT_COUNTY_ROOT, or `--root` on the command line).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from scoring.errors import CreditCountyError

MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def check_month(month: str) -> str:
    """Return `month` if it is YYYY-MM, else raise a clear error."""
    if not isinstance(month, str) or not MONTH_PATTERN.match(month):
        raise CreditCountyError(f"month {month!r} must be written YYYY-MM, e.g. 2019-12")
    return month


def previous_month(month: str) -> str:
    year, mon = map(int, check_month(month).split("-"))
    return f"{year - 1}-12" if mon == 1 else f"{year}-{mon - 1:02d}"


def same_month_last_year(month: str) -> str:
    """YYYY-MM of the month twelve months before `month` (2020-12 → 2019-12)."""
    year, mon = check_month(month).split("-")
    return f"{int(year) - 1}-{mon}"


def is_project(folder: Path) -> bool:
    return (folder / "params" / "index.yaml").is_file()


def find_root(root: str | Path | None = None, start: str | Path | None = None) -> Path | None:
    """The one project-root finder: `root` if given (None unless it is a project), else
    $CREDIT_COUNTY_ROOT, else `start` (default: the current folder) or the nearest folder above it
    that is a project (holds params/index.yaml)."""
    explicit = root or os.environ.get("CREDIT_COUNTY_ROOT")
    if explicit:
        base = Path(explicit).resolve()
        return base if is_project(base) else None
    here = Path(start or Path.cwd()).resolve()
    return next((folder for folder in (here, *here.parents) if is_project(folder)), None)


@dataclass(frozen=True)
class Project:
    root: Path

    @classmethod
    def find(cls, root: str | Path | None = None) -> Project:
        """The project at `root`; else at $CREDIT_COUNTY_ROOT; else the current folder or the
        nearest folder above it that holds params/index.yaml (a notebook runs in notebooks/)."""
        found = find_root(root)
        if found is None:
            base = Path(root or os.environ.get("CREDIT_COUNTY_ROOT") or Path.cwd()).resolve()
            raise CreditCountyError(f"{base} is not a project: params/index.yaml is missing "
                                    "(run from the project folder or pass --root)")
        return cls(found)

    @property
    def params(self) -> Path:
        return self.root / "params"

    @property
    def index_file(self) -> Path:
        return self.params / "index.yaml"

    @property
    def units_file(self) -> Path:
        return self.params / "units.yaml"

    @property
    def labels_file(self) -> Path:
        return self.params / "labels.yaml"

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def processed(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def outputs(self) -> Path:
        return self.root / "outputs"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    def raw_month(self, month: str) -> Path:
        return self.raw / check_month(month)

    def processed_month(self, month: str) -> Path:
        return self.processed / check_month(month)

    def metrics_file(self, month: str) -> Path:
        return self.processed_month(month) / "metrics.csv"

    def output_month(self, month: str) -> Path:
        return self.outputs / check_month(month)

    def raw_months(self) -> list[str]:
        """Months that have a folder of raw data, oldest first."""
        if not self.raw.is_dir():
            return []
        return sorted(p.name for p in self.raw.iterdir() if p.is_dir() and MONTH_PATTERN.match(p.name))

    def processed_months(self) -> list[str]:
        if not self.processed.is_dir():
            return []
        return sorted(p.name for p in self.processed.iterdir()
                      if MONTH_PATTERN.match(p.name) and (p / "metrics.csv").is_file())
