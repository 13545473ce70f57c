"""What every report of a month starts from: its stage tables, the index they were scored
with, the units and the report texts — and nothing else.

    ctx = report.load("2019-12")                       # outputs/2019-12 of the project
    ctx = report.load("2019-12", tables="/tmp/build")  # a build or trial folder
    ctx = report.load("2019-12", weights_file="w.yaml")  # runs the score stage into a trial folder

A report never computes a number that is not in a stage table: it selects, orders and
formats the rows of `ctx.table(name)` (see scoring.tables).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from scoring.errors import CreditCountyError
from scoring.index.spec import IndexSpec, Units, load_index, load_units
from scoring.project import Project, check_month
from scoring.report.text import ReportText, load_report_text
from scoring.tables import StageFolder


@dataclass
class MonthContext:
    """One month's stage folder, read for the reports."""

    project: Project
    stage: StageFolder
    text: ReportText

    @property
    def month(self) -> str:
        return str(self.stage.meta["month"])

    @cached_property
    def spec(self) -> IndexSpec:
        """The index exactly as the stage scored it (alternative weights applied)."""
        return load_index(self.stage.index_file)

    @cached_property
    def units(self) -> Units:
        return load_units(self.project.units_file)

    @property
    def decimals(self) -> int:
        return self.spec.display_decimals

    @property
    def synthetic(self) -> bool:
        return bool(self.stage.meta.get("synthetic"))

    @property
    def trial(self) -> dict[str, Any] | None:
        """The researcher's variation this stage was computed with (None: the published analysis)."""
        return self.stage.meta.get("trial")

    def table(self, name: str) -> pd.DataFrame:
        return self.stage.table(name)

    def unit_table(self, name: str, unit: str) -> pd.DataFrame:
        """The rows of table `name` for one unit, in the order the stage wrote them."""
        frame = self.table(name)
        return frame[frame["unit"] == unit].reset_index(drop=True)

    def unit_name(self, code: str) -> str:
        return self.units.by_code()[code].name

    def check_unit(self, unit: str) -> None:
        if unit not in self.units.codes:
            raise CreditCountyError(f"unit {unit!r} is not in params/units.yaml (known: {', '.join(self.units.codes)})")


def load(month: str, tables: str | Path | None = None, root: str | Path | None = None, *,
         index_file: str | None = None, weights_file: str | None = None, **sensitivity: Any) -> MonthContext:
    """The stage tables of `month`: from `tables` (a folder), else outputs/M of the project.

    With `index_file`, `weights_file` or sensitivity settings (draws, weight_range, seed), the
    score stage is run for that trial into outputs/trials/ (reused when current) and read from
    there; the reports say that they are 试算.
    """
    from scoring.pipeline.score import Trial, trial_stage

    project = Project.find(root)
    check_month(month)
    trial = Trial.of(index_file, weights_file, **sensitivity)
    if trial:
        if tables is not None:
            raise CreditCountyError("give either a stage folder (tables) or a trial (index_file, weights_file, "
                                    "sensitivity settings), not both")
        folder = trial_stage(project, month, trial)
    else:
        folder = Path(tables) if tables else project.output_month(month)
    stage = StageFolder(folder)
    if stage.meta.get("month") != month:
        raise CreditCountyError(f"{folder}: the stage tables are for {stage.meta.get('month')}, not {month}")
    return MonthContext(project, stage, load_report_text(project.params / "report.yaml"))
