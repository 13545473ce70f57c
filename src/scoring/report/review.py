"""The acceptance report of a year (总结验收), from the review stage's tables in outputs/YYYY/:
components, combined score, pass or fail with the reason, the list for the 通报表彰, and the
titles register after this year's decisions."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from scoring.analysis.acceptance_rules import ReviewRules, load_rules
from scoring.project import Project
from scoring.render import display
from scoring.report.common import SHORT_HASH, pass_text, percent, provenance_section
from scoring.report.context import MonthContext
from scoring.report.narrative import number
from scoring.report.text import load_report_text
from scoring.tables import StageFolder


def load_year(year: int, tables: str | Path | None = None, root: str | Path | None = None) -> MonthContext:
    """The acceptance tables of `year`: from `tables` (a folder), else outputs/YYYY of the project."""
    project = Project.find(root)
    stage = StageFolder(Path(tables) if tables else project.outputs / str(int(year)))
    return MonthContext(project, stage, load_report_text(project.params / "report.yaml"))


@dataclass
class ReviewReport:
    ctx: MonthContext

    def __post_init__(self) -> None:
        self.year = int(self.ctx.stage.meta["year"])
        self.table = self.ctx.table("review")
        self.reviews = self.ctx.table("reviewers")
        self.register_table = self.ctx.table("titles")
        self.text = self.ctx.text

    @cached_property
    def rules(self) -> ReviewRules:
        return load_rules(self.ctx.project.params / "review.yaml", self.ctx.spec)

    def _name(self, unit: str) -> str:
        return self.ctx.unit_name(unit)

    def header(self) -> list:
        return [display.Banner(self.text.fill("synthetic"))] if self.ctx.synthetic else []

    def _platform_label(self) -> str:
        r, figures = self.rules, self.text["review"]["figures"]
        if r.platform_figure == "december":
            return figures["december"].format(year=self.year, month=r.acceptance_month)
        return figures["creation_mean"].format(year=self.year, first=r.creation_months[0],
                                               last=r.creation_months[-1])

    def narrative(self) -> list:
        t, r, table = self.text["review"]["narrative"], self.rules, self.table
        w = r.weights
        passed = table[table["passed"]]
        paragraphs = [t["summary"].format(
            year=self.year, platform_label=self._platform_label(), w_platform=percent(w["platform"]),
            w_onsite=percent(w["onsite"]), w_offsite=percent(w["offsite"]), pass_line=f"{r.pass_line:g}",
            n_units=len(table), n_passed=len(passed))]
        paragraphs.append(t["passed_list"].format(items=self.text.join([self._name(u) for u in passed["unit"]]))
                          if len(passed) else t["none_passed"])
        vetoed = table[table["reason"].str.startswith(self.text["review"]["reasons"]["veto"].split("{")[0])]
        if len(vetoed):
            paragraphs.append(t["vetoed"].format(items=self.text.join([self._name(u) for u in vetoed["unit"]])))
        decided = self.register_table[self.register_table["year"] == self.year]
        if len(decided):
            status = self.text["review"]["status"]
            paragraphs.append(t["register"].format(items=self.text.join(
                [self.text.fill("item_status", name=self._name(x.unit), status=status[x.status])
                 for x in decided.itertuples()])))
        return [display.Heading(self.text["sections"]["summary"], level=2),
                *[display.Paragraph(p) for p in paragraphs]]

    def results(self) -> list:
        d, t = self.ctx.decimals, self.table
        cols, rc = self.text["columns"], self.text["review"]["columns"]
        frame = pd.DataFrame({
            cols["rank"]: t["rank"].astype(int), cols["unit"]: [self._name(u) for u in t["unit"]],
            rc["platform"]: [number(x, d) for x in t["platform"]],
            rc["onsite"]: [number(x, d) for x in t["onsite"]], rc["offsite"]: [number(x, d) for x in t["offsite"]],
            rc["combined"]: [number(x, d) for x in t["combined"]],
            rc["passed"]: [pass_text(self.text, p) for p in t["passed"]],
            rc["reason"]: t["reason"],
        })
        return [display.Heading(rc["combined"], level=2), display.Table(frame)]

    def reviewers(self) -> list:
        rc, cols, r = self.text["review"]["columns"], self.text["columns"], self.reviews
        frame = pd.DataFrame({cols["unit"]: [self._name(u) for u in r["unit"]],
                              rc["onsite"] + rc["reviewer"]: r["onsite_reviewer"],
                              rc["offsite"] + rc["reviewer"]: r["offsite_reviewer"],
                              rc["review_date"]: r["review_date"]})
        return [display.Heading(rc["reviewer"], level=2), display.Table(frame)]

    def register(self) -> list:
        rc, cols = self.text["review"]["columns"], self.text["columns"]
        status, reg = self.text["review"]["status"], self.register_table
        if not len(reg):
            return []
        frame = pd.DataFrame({rc["year"]: reg["year"].astype(int), cols["unit"]: [self._name(u) for u in reg["unit"]],
                              rc["status"]: [status[s] for s in reg["status"]], rc["valid_until"]: reg["valid_until"]})
        return [display.Heading(rc["status"], level=2), display.Table(frame)]

    def provenance(self) -> list:
        """The acceptance month's 附注 line plus the reviewers' file (short hash; the rules' hash: stage.json)."""
        meta, labels = self.ctx.stage.meta, self.text["provenance"]
        extra = [(labels["input"].format(file=meta["reviewers_file"]["file"]),
                  meta["reviewers_file"]["sha256"][:SHORT_HASH])]
        return provenance_section(self.ctx, extra)
