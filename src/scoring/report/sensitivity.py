"""The weighting-robustness report (权重敏感性分析), from the month's sensitivity stage tables.

The analysis itself is the score stage's (scoring.analysis.sensitivity); a researcher who
wants other draws, range or seed loads a trial (`report.load(month, draws=…)`).
`reading_paragraphs(ctx, units)` is the plain reading (sensitivity_reading, sensitivity_inputs):
one sentence per unit whose rank or 达标 decision is fragile, naming the input that makes it so
— the city bulletin and the unit reports can show it too. Templates: params/report.yaml
`sensitivity.reading`; labels of levels, methods and aggregations: params/sensitivity.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from scoring.analysis.sensitivity import load_settings
from scoring.render import display
from scoring.report import charts
from scoring.report.common import header, pass_text, percent, provenance_section, rank_label
from scoring.report.context import MonthContext
from scoring.report.narrative import number


def _shift(value: float) -> str:
    return f"{int(value):+d}".replace("-", "−")


def band_text(low: float, high: float) -> str:
    """A rank band "7–9" (quantiles between two ranks keep their decimals: "7–8.95")."""
    return f"{rank_label(low)}–{rank_label(high)}"


def _reading_clause(ctx: MonthContext, row, inputs: pd.DataFrame, labels: dict[str, dict[str, str]]) -> str:
    """One clause of the plain reading: what the input does to the unit's rank or 达标."""
    text = ctx.text
    mine = inputs[inputs["input"] == row.input]
    values = {"name": ctx.unit_name(row.unit), "verdict": pass_text(text, bool(row.nominal_pass)),
              "probability": percent(row.pass_probability), "p05": rank_label(row.rank_p05),
              "p95": rank_label(row.rank_p95), "rank": int(row.nominal_rank), "moved": percent(row.moved)}
    if row.input == "weights":
        values["weights"] = text.join([text.fill("sensitivity.reading.weights_level",
                                                 level=labels.get("levels", {}).get(r.level, r.level),
                                                 range=percent(r.high - 1.0)) for r in mine.itertuples()])
    elif row.input == "pass_line" and len(mine):
        values.update(low=number(mine["low"].iloc[0], 0), high=number(mine["high"].iloc[0], 0))
    elif len(mine):
        group = {"normalisation": "methods", "aggregation": "aggregation"}[row.input]
        values["methods"] = text.join([labels.get(group, {}).get(o, o) for o in str(mine["options"].iloc[0]).split()])
    return text.fill(f"sensitivity.reading.{row.subject}_{row.input}", **values)


def reading_paragraphs(ctx: MonthContext, units: list[str] | None = None) -> list[str]:
    """The plain reading for `units` (default: all, by published rank): per unit whose 达标 or rank
    is fragile under an input varied alone, one sentence naming the input that makes it most so
    (order 1 of sensitivity_reading). Empty when the stage has no reading table."""
    if not (ctx.stage.has("sensitivity_reading") and ctx.stage.has("sensitivity_inputs")):
        return []
    reading, inputs = ctx.table("sensitivity_reading"), ctx.table("sensitivity_inputs")
    labels = load_settings(ctx.project.params / "sensitivity.yaml").labels
    top = reading[reading["fragile"] & (reading["order"] == 1)]
    if units is not None:
        top = top[top["unit"].isin(units)]
    out = []
    for unit, rows in top.sort_values(["nominal_rank", "unit", "subject"]).groupby("unit", sort=False):
        clauses = [_reading_clause(ctx, r, inputs, labels) for r in rows.itertuples()]
        out.append(ctx.text.fill("sensitivity.reading.unit", name=ctx.unit_name(unit),
                                 clauses=ctx.text.template("sensitivity.reading.separator").join(clauses)))
    return out


@dataclass
class SensitivityReport:
    ctx: MonthContext

    def __post_init__(self) -> None:
        self.summary = self.ctx.table("sensitivity")
        self.families = self.ctx.table("sensitivity_scenarios")
        self.factors = self.ctx.table("sensitivity_factors")
        self.remove_one = self.ctx.table("sensitivity_remove_one")
        self.settings = self.ctx.stage.meta["sensitivity"]
        all_labels = load_settings(self.ctx.project.params / "sensitivity.yaml").labels
        self.labels = all_labels["columns"]
        self.factor_labels = all_labels.get("factors", {})
        self.remove_category = (self.ctx.table("sensitivity_remove_category")
                                if self.ctx.stage.has("sensitivity_remove_category") else None)

    def _name(self, unit: str) -> str:
        return self.ctx.unit_name(unit)

    def _factor(self, code: str) -> str:
        """A Sobol factor's name: a node's, or the input's (labels.factors of params/sensitivity.yaml)."""
        try:
            return self.ctx.spec.label(code)
        except KeyError:
            return self.factor_labels.get(code, code)

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
                self._fill("item_band", name=self._name(r.unit), low=rank_label(r.rank_p05),
                           high=rank_label(r.rank_p95))
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
            out.append(self._fill("sobol", factor=self._factor(top["factor"]), st=number(top["ST"], 2)))
        ro = self.remove_one.assign(size=self.remove_one["shift"].abs())
        if ro["size"].max() > 0:
            r = ro.sort_values(["size", "unit"], ascending=[False, True]).iloc[0]
            out.append(self._fill("remove_one", indicator=spec.label(r["dropped"]), unit=self._name(r["unit"]),
                                  shift=_shift(r["shift"])))
        reading = reading_paragraphs(self.ctx)
        if self.ctx.stage.has("sensitivity_reading"):
            out.append(t.template("sensitivity.reading.intro") if reading else t.template("sensitivity.reading.none"))
        return [display.Heading(t["sections"]["summary"], level=2), *[display.Paragraph(x) for x in out],
                *[display.Paragraph(x) for x in reading]]

    def intervals(self) -> list:
        t, labels = self.ctx.text, self.labels
        s = self.summary
        fig = charts.rank_intervals(s, [self._name(u) for u in s["unit"]], t["sensitivity"]["charts"])
        ordered = s.sort_values(["nominal_rank", "unit"])
        frame = pd.DataFrame({
            labels["unit"]: [self._name(u) for u in ordered["unit"]],
            labels["nominal_rank"]: ordered["nominal_rank"].astype(int),
            labels["median_rank"]: [number(v, 1) for v in ordered["median_rank"]],
            labels["rank_band"]: [band_text(a, b) for a, b in zip(ordered["rank_p05"], ordered["rank_p95"],
                                                                  strict=True)],
            labels["pass_probability"]: [percent(v) for v in ordered["pass_probability"]],
        })
        return [display.Heading(t["sections"]["sensitivity"], level=2), display.Figure(fig), display.Table(frame)]

    def sobol_chart(self) -> list:
        t, mean = self.ctx.text, self.factors
        if not len(mean):
            return []
        names = [self._factor(f) for f in mean["factor"]]
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

    def _largest_shifts(self, table: pd.DataFrame, dropped: str) -> pd.DataFrame | None:
        spec, labels = self.ctx.spec, self.labels
        cols = self.ctx.text["sensitivity"]["columns"]
        ro = table.assign(size=table["shift"].abs())
        top = ro[ro["size"] > 0].sort_values(["size", "unit"], ascending=[False, True])
        top = top.groupby("dropped", sort=False).head(1).sort_values(["size", "dropped"], ascending=[False, True])
        if not len(top):
            return None
        return pd.DataFrame({dropped: [spec.label(c) for c in top["dropped"]],
                             cols["max_shift"]: top["size"].astype(int),
                             cols["unit_most_moved"]: [self._name(u) for u in top["unit"]],
                             labels["shift"]: [_shift(v) for v in top["shift"]]})

    def remove_one_table(self) -> list:
        out: list = [display.Heading(self.ctx.text["sections"]["remove_one"], level=2)]
        frame = self._largest_shifts(self.remove_one, self.labels["dropped"])
        out.append(display.Paragraph(self._fill("remove_one_none")) if frame is None else display.Table(frame))
        if self.remove_category is not None:
            frame = self._largest_shifts(self.remove_category,
                                         self.ctx.text["sensitivity"]["columns"]["dropped_category"])
            out.append(display.Paragraph(self._fill("remove_category")))
            out.append(display.Paragraph(self._fill("remove_category_none")) if frame is None
                       else display.Table(frame))
        return out

    def provenance(self) -> list:
        return provenance_section(self.ctx)
