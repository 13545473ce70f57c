"""The weighting-robustness report (权重敏感性分析), from the month's sensitivity stage tables.

The analysis itself is the score stage's (scoring.analysis.sensitivity); a researcher who
wants other draws, range or seed loads a trial (`report.load(month, draws=…)`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from scoring.analysis.sensitivity import load_settings
from scoring.render import display
from scoring.report import charts
from scoring.report.common import header, percent, provenance_section
from scoring.report.context import MonthContext
from scoring.report.narrative import number


def _shift(value: float) -> str:
    return f"{int(value):+d}".replace("-", "−")


@dataclass
class SensitivityReport:
    ctx: MonthContext

    def __post_init__(self) -> None:
        self.summary = self.ctx.table("sensitivity")
        self.families = self.ctx.table("sensitivity_scenarios")
        self.factors = self.ctx.table("sensitivity_factors")
        self.remove_one = self.ctx.table("sensitivity_remove_one")
        self.settings = self.ctx.stage.meta["sensitivity"]
        self.labels = load_settings(self.ctx.project.params / "sensitivity.yaml").labels["columns"]

    def _name(self, unit: str) -> str:
        return self.ctx.unit_name(unit)

    def _fill(self, key: str, **values) -> str:
        return self.ctx.text["sensitivity"]["narrative"][key].format(**values)

    def header(self) -> list:
        return header(self.ctx)

    def narrative(self) -> list:
        t, s, spec = self.ctx.text, self.summary, self.ctx.spec
        join = t.join
        out = [self._fill("intro", draws=self.settings["draws"], range=percent(self.settings["weight_range"]),
                          full=number(spec.total, 0))]
        robust = s[s["rank_p05"] == s["rank_p95"]]
        out.append(self._fill("robust_ranks", items=join([self._name(u) for u in robust["unit"]])) if len(robust)
                   else self._fill("no_robust_ranks"))
        width = s["rank_p95"] - s["rank_p05"]
        widest = s.assign(width=width).sort_values(["width", "nominal_rank"], ascending=[False, True]).head(3)
        widest = widest[widest["width"] > 0]
        if len(widest):
            out[-1] += self._fill("wide_bands", items=join([
                self._fill("item_band", name=self._name(r.unit), low=int(r.rank_p05), high=int(r.rank_p95))
                for r in widest.itertuples()]))
        p = s["pass_probability"]
        uncertain = s[(p > 0.05) & (p < 0.95)]
        sentence = self._fill("pass_robust", n=int(len(s) - len(uncertain)))
        sentence += (self._fill("pass_uncertain", items=join([
            self._fill("item_probability", name=self._name(r.unit), probability=percent(r.pass_probability))
            for r in uncertain.itertuples()])) if len(uncertain) else self._fill("pass_all_robust"))
        out.append(sentence)
        out.append(self._fill("families", items=join([self._fill("family_item", label=r.label,
                                                                 value=number(r.spearman, 3))
                                                      for r in self.families.itertuples()])))
        if len(self.factors) and self.factors["ST"].notna().any():
            top = self.factors.sort_values("ST", ascending=False).iloc[0]
            out.append(self._fill("sobol", factor=spec.label(top["factor"]), st=number(top["ST"], 2)))
        ro = self.remove_one.assign(size=self.remove_one["shift"].abs())
        if ro["size"].max() > 0:
            r = ro.sort_values(["size", "unit"], ascending=[False, True]).iloc[0]
            out.append(self._fill("remove_one", indicator=spec.label(r["dropped"]), unit=self._name(r["unit"]),
                                  shift=_shift(r["shift"])))
        return [display.Heading(t["sections"]["summary"], level=2), *[display.Paragraph(x) for x in out]]

    def intervals(self) -> list:
        t, labels = self.ctx.text, self.labels
        s = self.summary
        fig = charts.rank_intervals(s, [self._name(u) for u in s["unit"]], t["sensitivity"]["charts"])
        ordered = s.sort_values(["nominal_rank", "unit"])
        frame = pd.DataFrame({
            labels["unit"]: [self._name(u) for u in ordered["unit"]],
            labels["nominal_rank"]: ordered["nominal_rank"].astype(int),
            labels["median_rank"]: [number(v, 1) for v in ordered["median_rank"]],
            labels["rank_band"]: [f"{int(a)}–{int(b)}" for a, b in zip(ordered["rank_p05"], ordered["rank_p95"],
                                                                       strict=True)],
            labels["pass_probability"]: [percent(v) for v in ordered["pass_probability"]],
        })
        return [display.Heading(t["sections"]["sensitivity"], level=2), display.Figure(fig), display.Table(frame)]

    def sobol_chart(self) -> list:
        t, spec, mean = self.ctx.text, self.ctx.spec, self.factors
        if not len(mean):
            return []
        names = [spec.label(f) for f in mean["factor"]]
        fig = charts.sobol_bars(mean, names, t["sensitivity"]["charts"])
        frame = pd.DataFrame({self.labels["factor"]: names,
                              self.labels["S1"]: [number(v, 3) for v in mean["S1"]],
                              self.labels["ST"]: [number(v, 3) for v in mean["ST"]]})
        return [display.Heading(t["sections"]["sobol"], level=2), display.Figure(fig), display.Table(frame)]

    def scenarios(self) -> list:
        labels, f = self.labels, self.families
        frame = pd.DataFrame({labels["family"]: f["label"], labels["draws"]: f["draws"],
                              labels["spearman"]: [number(v, 3) for v in f["spearman"]],
                              labels["mean_abs_shift"]: [number(v, 2) for v in f["mean_abs_shift"]],
                              labels["share_moved_gt2"]: [percent(v) for v in f["share_moved_gt2"]]})
        return [display.Heading(self.ctx.text["sections"]["scenarios"], level=2), display.Table(frame)]

    def remove_one_table(self) -> list:
        spec, labels = self.ctx.spec, self.labels
        cols = self.ctx.text["sensitivity"]["columns"]
        heading = display.Heading(self.ctx.text["sections"]["remove_one"], level=2)
        ro = self.remove_one.assign(size=self.remove_one["shift"].abs())
        top = ro[ro["size"] > 0].sort_values(["size", "unit"], ascending=[False, True])
        top = top.groupby("dropped", sort=False).head(1).sort_values(["size", "dropped"], ascending=[False, True])
        if not len(top):
            return [heading, display.Paragraph(self._fill("remove_one_none"))]
        frame = pd.DataFrame({labels["dropped"]: [spec.label(c) for c in top["dropped"]],
                              cols["max_shift"]: top["size"].astype(int),
                              cols["unit_most_moved"]: [self._name(u) for u in top["unit"]],
                              labels["shift"]: [_shift(v) for v in top["shift"]]})
        return [heading, display.Table(frame)]

    def provenance(self) -> list:
        return provenance_section(self.ctx)
