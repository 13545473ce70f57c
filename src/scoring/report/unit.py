"""A unit's monthly report (县区月度报告), section by section, from the month's stage tables."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from scoring.project import same_month_last_year
from scoring.render import display
from scoring.report import body, charts, narrative
from scoring.report.common import (
    arrow,
    header,
    pass_text,
    percent,
    progress_section,
    provenance_section,
    robustness_sentences,
    signed,
    value_with_unit,
    weak_line,
)
from scoring.report.context import MonthContext
from scoring.report.narrative import number


@dataclass
class UnitReport:
    ctx: MonthContext
    unit: str

    def __post_init__(self) -> None:
        self.ctx.check_unit(self.unit)
        self.row = self.ctx.unit_table("changes", self.unit).iloc[0]
        self.indicators = self.ctx.unit_table("indicators", self.unit)
        listed = self.ctx.unit_table("strengths", self.unit)
        by_code = self.indicators.set_index("code")

        def side(name: str) -> pd.DataFrame:
            codes = listed[listed["side"] == name].sort_values("position")["code"]
            return by_code.loc[list(codes)].reset_index()

        self.strengths, self.weaknesses = side("strength"), side("weakness")
        self.problems = self.ctx.unit_table("problems", self.unit)
        self.movements = self.ctx.unit_table("movements", self.unit)
        self.metrics = body.metric_rows(self.ctx, self.unit)

    @property
    def name(self) -> str:
        return self.ctx.unit_name(self.unit)

    def header(self) -> list:
        return header(self.ctx)

    def narrative(self) -> list:
        paragraphs = narrative.unit_paragraphs(self.ctx, self.unit, self.row, self.strengths, self.weaknesses,
                                               self.indicators, self.problems)
        paragraphs.append("".join(robustness_sentences(self.ctx, self.unit, self.ctx.text["narrative"]["unit_self"])))
        return [display.Heading(self.ctx.text["sections"]["summary"], level=2),
                *[display.Paragraph(p) for p in paragraphs]]

    def key_figures(self) -> list:
        t, d, r = self.ctx.text, self.ctx.decimals, self.row
        cols = t["columns"]
        frame = pd.DataFrame([{
            cols["total"]: number(r["total"], d),
            cols["change"]: signed(r["delta_total"], d),
            cols["rank"]: int(r["rank"]),
            cols["rank_change"]: arrow(t, r["rank_change"]),
            cols["tier_rank"]: t.fill("item_tier_rank", rank=int(r["tier_rank"]), tier=self.ctx.units.tiers[r["tier"]]),
            cols["pass"]: pass_text(t, r["pass"]),
        }])
        source = t.fill("pass_line_source", pass_line=number(self.ctx.spec.pass_line, 0),
                        reason=self.ctx.spec.pass_line_reason)
        return [display.Table(frame), display.Note(source)]

    def categories(self) -> list:
        t, d, spec = self.ctx.text, self.ctx.decimals, self.ctx.spec
        profile = self.ctx.unit_table("categories", self.unit)
        names = [spec.label(c) for c in profile["code"]]
        cols = t["columns"]
        table = pd.DataFrame({
            cols["category"]: names,
            cols["points"]: [number(v, d) for v in profile["points"]],
            cols["max_points"]: [number(v, 0) for v in profile["max_points"]],
            cols["fraction"]: [percent(v) for v in profile["fraction"]],
            cols["city_median"]: [number(v, d) for v in profile["city_median"]],
        })
        fig = charts.category_bars(profile, names, t["charts"])
        return [display.Heading(t["sections"]["categories"], level=2), display.Figure(fig), display.Table(table)]

    def strengths_weaknesses(self) -> list:
        t = self.ctx.text
        out = [display.Heading(t["sections"]["strengths"], level=2)]
        for frame, key in ((self.strengths, "strengths"), (self.weaknesses, "weaknesses")):
            out.append(display.Table(self._indicator_rows(frame), caption=t["captions"][key]) if len(frame)
                       else display.Paragraph(t.fill(f"no_{key}", line=weak_line(self.ctx))))
        return out

    def _indicator_rows(self, frame: pd.DataFrame, with_lost: bool = False) -> pd.DataFrame:
        t, d, spec = self.ctx.text, self.ctx.decimals, self.ctx.spec
        cols = t["columns"]
        out = pd.DataFrame({
            cols["indicator"]: [spec.label(c) for c in frame["code"]],
            cols["category"]: [spec.label(p) for p in frame["parent"]],
            cols["points"]: [number(v, d) for v in frame["points"]],
            cols["max_points"]: [number(v, 0) for v in frame["max_points"]],
        })
        if with_lost:
            out[cols["lost"]] = [number(v, d) for v in frame["lost"]]
        out[cols["fraction"]] = [percent(v) for v in frame["fraction"]]
        out[cols["city_median_fraction"]] = [percent(v) for v in frame["city_median_fraction"]]
        return out

    def trend(self) -> list:
        """Total, rank and 达标 by month since the programme began (stage table timeline: from
        the latest 安排部署 month); with the totals of the same months last year when the history
        holds them (a second year)."""
        t, d = self.ctx.text, self.ctx.decimals
        timeline = self.ctx.table("timeline")
        shown = set(timeline.loc[timeline["shown"], "month"])
        history = self.ctx.unit_table("history", self.unit)
        tr = history[history["month"].isin(shown)].sort_values("month").reset_index(drop=True)
        totals = history.set_index("month")["total"]
        before = totals.reindex([same_month_last_year(m) for m in tr["month"]]).to_numpy(dtype=float)
        has_before = bool(pd.notna(before).any())
        labels = [t["titles"]["month_short"].format(month=int(m.split("-")[1])) for m in tr["month"]]
        fig = charts.trend_chart(tr, self.ctx.spec.pass_line, labels, t["charts"], n_units=len(self.ctx.units.codes),
                                 last_year=before if has_before else None)
        cols = t["columns"]
        table = pd.DataFrame({
            cols["month"]: [t.month_label(m) for m in tr["month"]],
            cols["total"]: [number(v, d) for v in tr["total"]],
            **({cols["last_year"]: [number(v, d) for v in before]} if has_before else {}),
            cols["rank"]: tr["rank"].astype(int),
            cols["tier_rank"]: tr["tier_rank"].astype(int),
            cols["pass"]: [pass_text(t, p) for p in tr["pass"]],
        })
        return [display.Heading(t["sections"]["trend"], level=2), display.Figure(fig), display.Table(table)]

    def year_on_year(self) -> list:
        """The categories this month and in the same month last year (stage table
        year_on_year_categories; the total from year_on_year); nothing without that month."""
        row = narrative.year_on_year_row(self.ctx, self.unit)
        if row is None or pd.isna(row["last_total"]):
            return []
        t, d, spec = self.ctx.text, self.ctx.decimals, self.ctx.spec
        cols = t["columns"]
        rows = self.ctx.unit_table("year_on_year_categories", self.unit)
        frame = pd.DataFrame({
            cols["category"]: [*[spec.label(c) for c in rows["code"]], cols["total"]],
            cols["this_month"]: [number(v, d) for v in [*rows["points"], row["total"]]],
            cols["last_year"]: [number(v, d) for v in [*rows["last_points"], row["last_total"]]],
            cols["year_change"]: [signed(v, d) for v in [*rows["delta"], row["delta_total"]]],
        })
        note = t.fill("year_note", last_month_label=t.month_label(row["last_year_month"]))
        return [display.Heading(t["sections"]["year_on_year"], level=2), display.Table(frame), display.TableNote(note)]

    def indicator_table(self) -> list:
        return [display.Heading(self.ctx.text["sections"]["indicators"], level=2),
                display.Table(self._indicator_rows(self.indicators, with_lost=True))]

    def metric_table(self) -> list:
        """Every metric (sub-item): the unit's raw value, the city median, points, points lost —
        most points lost first (stage table metric_detail)."""
        t, d, spec, m = self.ctx.text, self.ctx.decimals, self.ctx.spec, self.metrics
        cols = t["columns"]
        frame = pd.DataFrame({
            cols["indicator"]: [spec.label(p) for p in m["parent"]],
            cols["metric"]: [spec.label(c) for c in m["code"]],
            cols["raw_value"]: m["value"], cols["city_median_value"]: m["median"],
            cols["metric_unit"]: [spec.metric(c).unit for c in m["code"]],
            cols["points"]: [number(v, d) for v in m["points"]],
            cols["max_points"]: [number(v, d) for v in m["max_points"]],
            cols["lost"]: [number(v, d) for v in m["lost"]],
        })
        return [display.Heading(t["sections"]["metrics"], level=2), display.Table(frame)]

    def _advice(self, kind: str, code: str) -> tuple[str, str]:
        """(the main loss, the suggestion) of one problem row: for an indicator its metric that lost
        most points; the suggestion of that metric if params have one, else of its indicator."""
        t, d, spec = self.ctx.text, self.ctx.decimals, self.ctx.spec
        advice = t["suggestions"]
        mine = self.metrics[self.metrics["parent"] == code]
        if len(mine):  # an indicator: its metric that lost most points
            top = mine.iloc[0]
            metric, indicator = top["code"], code
        else:
            metric, indicator = code, spec.metric(code).parent
        row = self.metrics.set_index("code").loc[metric]
        loss = t.fill("main_loss", metric=spec.label(metric),
                      value=value_with_unit(self.ctx, metric, row["raw_value"]),
                      median=value_with_unit(self.ctx, metric, row["city_median"]), lost=number(row["lost"], d))
        return loss, advice.get(metric) or advice.get(indicator, "")

    def problem_list(self) -> list:
        """The unit's problems, most points to gain first (stage table problems), each with the
        sub-item behind it and the suggestion for what that sub-item measures."""
        t, spec = self.ctx.text, self.ctx.spec
        cols = t["columns"]
        heading = display.Heading(t["sections"]["problems"], level=2)
        line = weak_line(self.ctx)
        if not len(self.problems):
            return [heading, display.Paragraph(t.fill("no_problems", line=line))]
        kinds = t["values"]["problem_kinds"]
        advice = [self._advice(k, c) for k, c in zip(self.problems["kind"], self.problems["code"], strict=True)]
        frame = pd.DataFrame({
            cols["kind"]: [kinds[k].format(line=line) for k in self.problems["kind"]],
            cols["indicator"]: [spec.label(c) for c in self.problems["code"]],
            cols["main_loss"]: [a[0] for a in advice],
            cols["lost"]: [number(v, self.ctx.decimals) for v in self.problems["lost"]],
            cols["suggestion"]: [a[1] for a in advice],
        })
        return [heading, display.Table(frame)]

    def movement_list(self) -> list:
        """The month's list entries and exits: one row per entry and per exit (an entity listed and
        delisted in the month has both), their counts those of the list metrics (list_counts)."""
        t = self.ctx.text
        cols = t["columns"]
        heading = display.Heading(t["sections"]["movements"], level=2)
        counts = self.ctx.unit_table("list_counts", self.unit)
        listed = int(counts["listed"].iloc[0]) if len(counts) else 0
        if not len(self.movements):
            return [heading, display.Paragraph(t.fill("movements_none", listed=listed))]
        row = counts.iloc[0]
        m = self.movements
        frame = pd.DataFrame({
            cols["movement"]: [t["values"][v] for v in m["movement"]],
            cols["entity"]: m["entity"], cols["credit_code"]: m["credit_code"],
            cols["list_type"]: m["list_type"], cols["domain"]: m["domain"],
            cols["entry_date"]: m["entry_date"], cols["exit_date"]: m["exit_date"],
        })
        summary = t.fill("movements", entered=int(row["entered"]), exited=int(row["exited"]), listed=listed)
        return [heading, display.Paragraph(summary + t.fill("movements_note")), display.Table(frame)]

    def progress(self) -> list:
        return progress_section(self.ctx, self.unit)

    def provenance(self) -> list:
        return provenance_section(self.ctx)
