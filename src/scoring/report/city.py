"""The city's monthly bulletin (全市月度通报) as a 公文, part by part, from the month's stage tables.

Parts in order (GB/T 9704-2012; one method each, so that a renderer can style each part):
header (示例数据 / 试算 marks) · masthead (发文机关标志, 文号) · title · addressees (主送) ·
overview 一、总体情况 · ranking 二、排名情况 · problems 三、存在问题 · next_steps 四、下一步工作 ·
annex_list (附件说明) · signature (落款, 成文日期) · provenance (附注) · annex_ranking 附件1 with
distribution · annex_indicators 附件2 with heatmap · annex_robustness 附件3 · imprint (版记).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from scoring.analysis import profiles
from scoring.index.spec import Node
from scoring.render import display
from scoring.report import body, charts
from scoring.report.common import (
    arrow,
    date_text,
    header,
    issue_date,
    numbered,
    pass_text,
    provenance_section,
    rank_label,
    share_text,
    signed,
    varied_text,
)
from scoring.report.context import MonthContext
from scoring.report.narrative import number

ANNEXES = ("ranking", "indicators", "robustness")  # 附件1, 2, 3 (titles: bulletin.annexes)


def _way(value: float) -> str:
    """up / down / same: the key suffix of a change's template."""
    return "up" if value > 0 else "down" if value < 0 else "same"


@dataclass
class CityReport:
    ctx: MonthContext

    def __post_init__(self) -> None:
        self.changes = self.ctx.table("changes").sort_values(["rank", "unit"]).reset_index(drop=True)
        self.office = self.ctx.text["bulletin"]["office"]

    def _fill(self, key: str, **values: object) -> str:
        return self.ctx.text.fill(f"bulletin.{key}", **values)

    # ------------------------------------------------------------------ the 公文's head

    def header(self) -> list:
        return header(self.ctx)

    @property
    def number(self) -> str:
        """The 文号 of this month's bulletin (bulletin.office.numbers), or the placeholder."""
        return self.office.get("numbers", {}).get(self.ctx.month) or self.office["number_placeholder"]

    def masthead(self) -> list:
        """发文机关标志 (红头) and 发文字号."""
        return [display.OrganHeader(self._fill("office.organ_line", organ=self.office["organ"])),
                display.DocNumber(self.number)]

    def title(self) -> list:
        return [display.DocTitle(self._fill("office.title", organ=self.office["organ"],
                                            month_label=self.ctx.text.month_label(self.ctx.month)))]

    def addressees(self) -> list:
        """主送机关."""
        return [display.Recipients(self._fill("office.addressee_line", addressees=self.office["addressees"]))]

    # ------------------------------------------------------------------ the body

    def _section(self, n: int, key: str, parts: list[tuple[str, list]] | None = None,
                 paragraphs: list | None = None) -> list:
        headings = self.ctx.text["bulletin"]["headings"]
        out: list = [display.Heading(numbered(self.ctx.text, 1, n, headings[key]), level=2), *(paragraphs or [])]
        for i, (sub, objects) in enumerate(parts or [], start=1):
            out += [display.Heading(numbered(self.ctx.text, 2, i, headings[sub]), level=3), *objects]
        return out

    def overview(self) -> list:
        """一、总体情况: the city-wide paragraph, then one sentence on the tiers of units."""
        tiers = self.tiers()
        paragraphs = [display.Paragraph(body.overview(self.ctx)), *([display.Paragraph(tiers)] if tiers else [])]
        return self._section(1, "overview", paragraphs=paragraphs)

    def tiers(self) -> str:
        """Per tier of params/units.yaml: units, mean total, 达标 count and their changes (stage table
        city_tiers); '' with a single tier (or a stage folder written before the table existed)."""
        ctx, d = self.ctx, self.ctx.decimals
        if not ctx.stage.has("city_tiers"):
            return ""
        rows = ctx.table("city_tiers").sort_values("position")
        if len(rows) < 2:
            return ""
        items = []
        for r in rows.itertuples():  # no change text where the tier had no units the month before (first month)
            first = bool(pd.isna(r.prev_n_pass))
            mean_change = "" if first else self._fill(f"overview.mean_{_way(r.delta_mean)}",
                                                      delta=number(abs(r.delta_mean), d))
            pass_change = "" if first else self._fill(f"overview.pass_{_way(r.delta_pass)}", n=int(abs(r.delta_pass)))
            items.append(self._fill("overview.tier_item", tier=ctx.units.tiers[r.tier], n_units=int(r.n_units),
                                    mean=number(r.mean_total, d), mean_change=mean_change, n_pass=int(r.n_pass),
                                    pass_change=pass_change))
        return self._fill("overview.tiers", items=ctx.text["bulletin"]["overview"]["tier_separator"].join(items))

    def ranking(self) -> list:
        return self._section(2, "ranking", body.ranking_parts(self.ctx))

    def problems(self) -> list:
        return self._section(3, "problems", body.problem_parts(self.ctx))

    def next_steps(self) -> list:
        return self._section(4, "next_steps", body.next_step_parts(self.ctx))

    # ------------------------------------------------------------------ the 公文's foot

    def annex_list(self) -> list:
        """附件说明: 附件：1. … 2. … 3. …"""
        texts = self.ctx.text["bulletin"]["annexes"]
        items = texts["list_separator"].join(self._fill("annexes.list_item", n=i, title=texts[key])
                                             for i, key in enumerate(ANNEXES, start=1))
        return [display.Paragraph(self._fill("annexes.list", items=items))]

    def signature(self) -> list:
        """落款 (the issuing organ) and 成文日期 (bulletin.office.issue_dates, else the rule there)."""
        return [display.Signature(self.office["organ"], date_text(self.ctx.text, issue_date(self.ctx)))]

    def provenance(self) -> list:
        """附注: one line — data month, run id, short data hash (the full record: stage.json)."""
        return provenance_section(self.ctx)

    def imprint(self) -> list:
        """版记: 抄送 (when set), 印发机关 and 印发日期."""
        out = []
        if self.office.get("copy_to"):
            out.append(display.Paragraph(self._fill("office.copy_line", copy_to=self.office["copy_to"])))
        printer = self.office.get("printer") or self.office["organ"]
        out.append(display.Paragraph(self._fill("office.imprint", printer=printer,
                                                date=date_text(self.ctx.text, issue_date(self.ctx)))))
        return out

    # ------------------------------------------------------------------ 附件

    def _annex_head(self, n: int) -> list:
        texts = self.ctx.text["bulletin"]["annexes"]
        return [display.AttachmentHeading(self._fill("annexes.label", n=n), texts[ANNEXES[n - 1]])]

    def annex_ranking(self) -> list:
        """附件1: unit × categories, total, change (and against the same month last year, when it was
        scored), rank, rank change, tier rank, 达标; the notes
        on the method and the project's own rules, each with its source."""
        t, d, spec = self.ctx.text, self.ctx.decimals, self.ctx.spec
        cols, c = t["columns"], self.changes
        scores = self.ctx.table("scores").set_index("unit").reindex(c["unit"])
        frame = pd.DataFrame({cols["rank"]: c["rank"].astype(int), cols["unit"]: c["name"],
                              cols["tier"]: [self.ctx.units.tiers[x] for x in c["tier"]]})
        for cat in spec.categories:
            header_text = self._fill("annexes.indicator_column", name=cat.short, points=number(cat.points, 0))
            frame[header_text] = [number(v, d) for v in scores[cat.code]]
        frame[cols["total"]] = [number(v, d) for v in c["total"]]
        frame[cols["change"]] = [signed(v, d) for v in c["delta_total"]]
        if self.ctx.stage.has("year_on_year") and len(self.ctx.table("year_on_year")):  # 同比, when last year is there
            last_year = self.ctx.table("year_on_year").set_index("unit").reindex(c["unit"])
            frame[cols["year_change"]] = [signed(v, d) for v in last_year["delta_total"]]
        frame[cols["rank_change"]] = [arrow(t, v) for v in c["rank_change"]]
        frame[cols["tier_rank"]] = c["tier_rank"].astype(int)
        frame[cols["pass"]] = [pass_text(t, p) for p in c["pass"]]
        return [display.Landscape(*self._annex_head(1), display.Table(frame, landscape=True),
                                  *self._short_names(spec.categories)), *self.method()]

    def _short_names(self, nodes: Sequence[Node]) -> list:
        """A note giving the full name of every node a table heads by its short label."""
        items = [self._fill("annexes.short_name_item", short=n.short, name=n.name) for n in nodes if n.short != n.name]
        return [display.TableNote(self._fill("annexes.short_names", items=self.ctx.text.join(items)))] if items else []

    def method(self) -> list:
        """说明 under 附件1: basis, pass line, zero-tolerance rule, sub-item weights — each project
        choice with its source as params give it (index.yaml pass_line.reason, rationale)."""
        t, spec = self.ctx.text, self.ctx.spec
        texts = t["bulletin"]["annexes"]
        indicators = [n for n in spec.nodes() if n.metrics]
        zero = profiles.zero_tolerance_metrics(spec)
        lines = [self._fill("annexes.note_basis", document=self.office["guidance"], n_categories=len(spec.categories),
                            n_indicators=len(indicators), full=number(spec.total, 0), n_units=len(self.ctx.units.units),
                            organ=self.office["organ"]),
                 self._fill("annexes.note_pass_line", pass_line=number(spec.pass_line, 0),
                            reason=spec.pass_line_reason)]
        if zero:
            lines.append(self._fill("annexes.note_zero_tolerance", items=t.join([m.short for m in zero]),
                                    reasons=texts["reason_separator"].join(dict.fromkeys(m.rationale for m in zero))))
        unequal = [(node, m) for node in indicators for m in node.metrics
                   if len({x.weight for x in node.metrics}) > 1]
        weights = t.join([self._fill("annexes.weights_item", indicator=node.name, metric=m.short,
                                     share=f"{m.points / node.points:.0%}") for node, m in unequal])
        lines.append(self._fill("annexes.note_weights", items=weights or texts["weights_equal"]))
        return [display.TableNote("\n".join([texts["note_title"], *lines]))]

    def distribution(self) -> list:
        t, c = self.ctx.text, self.changes
        return [display.Figure(charts.distribution(c["total"], list(c["name"]), self.ctx.spec.pass_line, t["charts"]))]

    def annex_indicators(self) -> list:
        """附件2: the indicators' points by unit, one table per category (units by rank)."""
        d, spec, cols = self.ctx.decimals, self.ctx.spec, self.ctx.text["columns"]
        points = self.ctx.table("indicators").pivot(index="unit", columns="code", values="points").reindex(
            self.changes["unit"])
        out: list = self._annex_head(2)
        for cat in spec.categories:
            frame = pd.DataFrame({cols["rank"]: self.changes["rank"].astype(int), cols["unit"]: self.changes["name"]})
            nodes = cat.children or (cat,)
            for node in nodes:
                header_text = self._fill("annexes.indicator_column", name=node.short,
                                         points=number(node.points, 0))
                frame[header_text] = [number(v, d) for v in points[node.code]]
            caption = self._fill("annexes.category_caption", name=cat.name, points=number(cat.points, 0))
            out += [display.Table(frame, caption=caption), *self._short_names(nodes)]
        return out

    def heatmap(self) -> list:
        """Category score rates, units in rank order (stage table categories)."""
        t, spec = self.ctx.text, self.ctx.spec
        fractions = (self.ctx.table("categories").pivot(index="unit", columns="code", values="fraction")
                     .reindex(index=self.changes["unit"], columns=[c.code for c in spec.categories]))
        names = [self.ctx.unit_name(u) for u in fractions.index]
        ranks = self.changes.set_index("unit").loc[fractions.index, "rank"].astype(int).tolist()
        fig = charts.heatmap(fractions, names, [spec.label(c) for c in fractions.columns], t["charts"], ranks=ranks)
        return [display.Figure(fig)]

    def annex_robustness(self) -> list:
        """附件3: the weighting's effect on ranks and 达标 (stage tables sensitivity and
        sensitivity_factors) in plain words, every term explained."""
        t, spec = self.ctx.text, self.ctx.spec
        r, cols = t["bulletin"]["robustness"], t["columns"]
        settings = self.ctx.stage.meta.get("sensitivity") or {}
        out = [*self._annex_head(3), display.Paragraph(self._fill(
            "robustness.intro", draws=settings.get("draws", ""), range=f"{settings.get('weight_range', 0):.0%}",
            full=number(spec.total, 0)))]
        sens = self.ctx.table("sensitivity").set_index("unit").reindex(self.changes["unit"])
        bands = [self._fill("robustness.stable_cell" if rank_label(a) == rank_label(b) else "robustness.band_cell",
                            low=rank_label(a), high=rank_label(b))
                 for a, b in zip(sens["rank_p05"], sens["rank_p95"], strict=True)]
        out.append(display.Table(pd.DataFrame({
            cols["unit"]: self.changes["name"].to_list(), r["columns_rank"]: sens["nominal_rank"].astype(int).to_list(),
            r["columns_band"]: bands, r["columns_pass"]: [share_text(t, p) for p in sens["pass_probability"]]}),
            caption=varied_text(self.ctx)))
        out.append(display.Paragraph(r["terms"]))
        factors = self.ctx.table("sensitivity_factors")
        if len(factors):
            top = factors.sort_values(["ST", "factor"], ascending=[False, True]).iloc[0]
            out += [display.Paragraph(r["sobol_term"] + self._fill(
                        "robustness.sobol", factor=self._factor(top["factor"]), s1=number(top["S1"], 2),
                        st=number(top["ST"], 2))),
                    display.Table(pd.DataFrame({r["columns_factor"]: [self._factor(f) for f in factors["factor"]],
                                                r["columns_s1"]: [number(v, 2) for v in factors["S1"]],
                                                r["columns_st"]: [number(v, 2) for v in factors["ST"]]}))]
        out.append(display.Paragraph(self._fill("robustness.more", title=t["titles"]["sensitivity"])))
        return out

    def _factor(self, code: str) -> str:
        try:
            return self.ctx.spec.label(code)
        except KeyError:
            return code
