"""Chinese sentences from the engine's numbers. Templates live in `params/report.yaml`.

Every number in a sentence is passed in from an engine table and formatted here with the
index's `display_decimals`; no sentence carries a number of its own.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from scoring.report.text import ReportText

if TYPE_CHECKING:
    from scoring.report.context import MonthContext


def number(value: float, decimals: int) -> str:
    """A number as shown in reports: fixed decimals, '—' for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{decimals}f}"


def _rank_move(text: ReportText, rank_change: float) -> str:
    if rank_change is None or math.isnan(rank_change) or rank_change == 0:
        return text["narrative"]["rank_same"]
    key = "rank_up" if rank_change > 0 else "rank_down"
    return text["narrative"][key].format(n=int(abs(rank_change)))


def unit_paragraphs(ctx: MonthContext, unit: str, change_row: pd.Series,
                    strengths: pd.DataFrame, weaknesses: pd.DataFrame, indicators: pd.DataFrame,
                    problems: pd.DataFrame, movements: pd.DataFrame) -> list[str]:
    """The narrative of one unit's report, paragraph by paragraph (rows of the stage tables)."""
    text, spec, d = ctx.text, ctx.spec, ctx.decimals
    tier_name = ctx.units.tiers[change_row["tier"]]
    first = text.fill("unit_summary", month_label=text.month_label(ctx.month), unit=change_row["name"],
                      total=number(change_row["total"], d), full=number(spec.total, 0),
                      n_units=len(ctx.units.units), rank=int(change_row["rank"]), tier_name=tier_name,
                      tier_rank=int(change_row["tier_rank"]))
    delta = change_row["delta_total"]
    if isinstance(delta, float) and math.isnan(delta):
        first += text.fill("change_none")
    else:
        key = "change_up" if delta > 0 else "change_down" if delta < 0 else "change_same"
        first += text.fill(key, delta=number(abs(delta), d), rank_move=_rank_move(text, change_row["rank_change"]))
    if change_row["pass"]:
        first += text.fill("pass_yes", pass_line=number(spec.pass_line, 0))
    else:
        first += text.fill("pass_no", pass_line=number(spec.pass_line, 0),
                           gap=number(spec.pass_line - change_row["total"], d))

    def names(frame: pd.DataFrame) -> str:
        return text.join([spec.label(code) for code in frame["code"]])

    second = ""
    if len(strengths):
        second += text.fill("strengths", items=names(strengths))
    if len(weaknesses):
        second += text.fill("weaknesses", items=names(weaknesses))
    if len(indicators) and indicators["lost"].iloc[0] > 0:
        top = indicators.iloc[0]
        second += text.fill("gain", indicator=spec.label(top["code"]), lost=number(top["lost"], d))

    third = ""
    zero = problems[problems["kind"] == "zero_tolerance"]
    missing = problems[problems["kind"] == "missing"]
    if len(zero):
        third += text.fill("zero_tolerance", items=text.join([spec.label(c) for c in zero["code"]]))
    if len(missing):
        third += text.fill("missing", n=len(missing), items=text.join([spec.label(c) for c in missing["code"]]))
    if not len(problems):
        third = text.fill("no_problems")

    paragraphs = [first, second, third]
    if ctx.stage.meta.get("list_records"):
        entered = int((movements["movement"] == "entered").sum())
        exited = int((movements["movement"] == "exited").sum())
        paragraphs.append(text.fill("movements", entered=entered, exited=exited) if entered or exited
                          else text.fill("movements_none"))
    return [p for p in paragraphs if p]


def city_paragraphs(ctx: MonthContext, change_table: pd.DataFrame, up: pd.DataFrame, down: pd.DataFrame,
                    indicator_moves: pd.DataFrame) -> list[str]:
    """The narrative of the city bulletin, paragraph by paragraph (rows of the stage tables)."""
    text, spec, d = ctx.text, ctx.spec, ctx.decimals
    city = ctx.table("city").iloc[0]
    ranked = change_table.sort_values(["rank", "unit"])
    top, bottom = ranked.iloc[0], ranked.iloc[-1]
    first = text.fill("city_summary", month_label=text.month_label(ctx.month), n_units=int(city["n_units"]),
                      mean=number(city["mean_total"], d), top_unit=top["name"], top=number(top["total"], d),
                      bottom_unit=bottom["name"], bottom=number(bottom["total"], d),
                      n_pass=int(city["n_pass"]), pass_line=number(spec.pass_line, 0))

    def items(frame: pd.DataFrame) -> str:
        return text.join([text.fill("item_points", name=r["name"], value=number(r["total"], d))
                          for _, r in frame.iterrows()])

    second = text.fill("leaders", items=items(ranked.head(3))) + text.fill("behind", items=items(ranked.tail(3)))

    def deltas(frame: pd.DataFrame) -> str:
        return text.join([text.fill("item_delta", name=r["name"], sign="+" if r["delta_total"] > 0 else "−",
                                    value=number(abs(r["delta_total"]), d)) for _, r in frame.iterrows()])

    if change_table["delta_total"].notna().any():
        third = text.fill("movers_up", items=deltas(up)) if len(up) else ""
        third += text.fill("movers_down", items=deltas(down)) if len(down) else ""
        if len(indicator_moves):
            third += text.fill("indicator_moves", items=text.join([
                text.fill("item_delta", name=spec.label(r["code"]), sign="+" if r["delta"] > 0 else "−",
                          value=number(abs(r["delta"]), d)) for _, r in indicator_moves.head(3).iterrows()]))
    else:
        third = text.fill("movers_none")
    return [first, second, third]


def method_note(ctx: MonthContext) -> str:
    spec = ctx.spec
    indicators = [n for n in spec.nodes() if n.metrics]
    return ctx.text.fill("method_note", n_categories=len(spec.categories), n_indicators=len(indicators),
                         full=number(spec.total, 0), n_units=len(ctx.units.units))
