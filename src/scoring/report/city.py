"""The city's monthly bulletin (全市月度通报), section by section, from the month's stage tables."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from scoring.render import display
from scoring.report import charts, narrative
from scoring.report.common import arrow, header, pass_text, percent, progress_section, provenance_section, signed
from scoring.report.context import MonthContext
from scoring.report.narrative import number


@dataclass
class CityReport:
    ctx: MonthContext

    def __post_init__(self) -> None:
        self.changes = self.ctx.table("changes")
        movers = self.ctx.table("movers").sort_values(["direction", "position"])
        by_unit = self.changes.set_index("unit")
        self.up, self.down = (by_unit.loc[list(movers.loc[movers["direction"] == d, "unit"])].reset_index()
                              for d in ("up", "down"))
        self.indicator_moves = self.ctx.table("indicator_moves")

    def header(self) -> list:
        return header(self.ctx)

    def narrative(self) -> list:
        paragraphs = narrative.city_paragraphs(self.ctx, self.changes, self.up, self.down, self.indicator_moves)
        return [display.Heading(self.ctx.text["sections"]["summary"], level=2),
                *[display.Paragraph(p) for p in paragraphs]]

    def ranking(self) -> list:
        t, d = self.ctx.text, self.ctx.decimals
        cols = t["columns"]
        c = self.changes.sort_values(["rank", "unit"])
        sens = self.ctx.table("sensitivity").set_index("unit").reindex(c["unit"])
        frame = pd.DataFrame({
            cols["rank"]: c["rank"].astype(int),
            cols["unit"]: c["name"],
            cols["tier"]: [self.ctx.units.tiers[x] for x in c["tier"]],
            cols["total"]: [number(v, d) for v in c["total"]],
            cols["change"]: [signed(v, d) for v in c["delta_total"]],
            cols["rank_change"]: [arrow(t, v) for v in c["rank_change"]],
            cols["tier_rank"]: c["tier_rank"].astype(int),
            cols["pass"]: [pass_text(t, p) for p in c["pass"]],
            cols["rank_band"]: [f"{int(a)}–{int(b)}" for a, b in zip(sens["rank_p05"], sens["rank_p95"], strict=True)],
            cols["pass_probability"]: [percent(v) for v in sens["pass_probability"]],
        })
        return [display.Heading(t["sections"]["ranking"], level=2), display.Table(frame),
                display.Note(t.fill("rank_band_note"))]

    def heatmap(self) -> list:
        t, spec = self.ctx.text, self.ctx.spec
        fractions = (self.ctx.table("categories").pivot(index="unit", columns="code", values="fraction")
                     .reindex(index=self.ctx.units.codes, columns=[c.code for c in spec.categories]))
        names = [self.ctx.unit_name(u) for u in fractions.index]
        fig = charts.heatmap(fractions, names, [spec.label(c) for c in fractions.columns], t["charts"])
        return [display.Heading(t["sections"]["heatmap"], level=2), display.Figure(fig)]

    def distribution(self) -> list:
        t, c = self.ctx.text, self.changes
        fig = charts.distribution(c["total"], list(c["name"]), self.ctx.spec.pass_line, t["charts"])
        return [display.Heading(t["sections"]["distribution"], level=2), display.Figure(fig)]

    def leaders_and_movers(self) -> list:
        t, d = self.ctx.text, self.ctx.decimals
        cols = t["columns"]

        def table(frame: pd.DataFrame) -> pd.DataFrame:
            return pd.DataFrame({cols["unit"]: frame["name"], cols["total"]: [number(v, d) for v in frame["total"]],
                                 cols["change"]: [signed(v, d) for v in frame["delta_total"]],
                                 cols["rank_change"]: [arrow(t, v) for v in frame["rank_change"]]})

        out = [display.Heading(t["sections"]["moves"], level=2)]
        if len(self.up):
            out.append(display.Table(table(self.up), caption=t["captions"]["movers_up"]))
        if len(self.down):
            out.append(display.Table(table(self.down), caption=t["captions"]["movers_down"]))
        if not len(self.up) and not len(self.down):
            out.append(display.Paragraph(t.fill("movers_none")))
        return out

    def progress(self) -> list:
        return progress_section(self.ctx)

    def method(self) -> list:
        return [display.Heading(self.ctx.text["sections"]["method"], level=2),
                display.Paragraph(narrative.method_note(self.ctx))]

    def provenance(self) -> list:
        return provenance_section(self.ctx)
