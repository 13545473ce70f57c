"""Chinese sentences from the stage tables' numbers: the unit report's narrative. Templates live
in `params/report.yaml`; the city bulletin's body is `scoring.report.body`.

Every number in a sentence is passed in from a stage table and formatted here with the
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


def named(text: ReportText, items: list[str], limit: int, key: str = "units") -> str:
    """`items` joined (、); beyond `limit`, the first `limit` of them in bulletin.lists.<key>
    ("甲、乙等12个县区"; key "items": cases, "etc": no count)."""
    if len(items) <= limit:
        return text.join(items)
    return text.fill(f"bulletin.lists.{key}", items=text.join(items[:limit]), n=len(items))


def _rank_move(text: ReportText, rank_change: float) -> str:
    if rank_change is None or math.isnan(rank_change) or rank_change == 0:
        return text["narrative"]["rank_same"]
    key = "rank_up" if rank_change > 0 else "rank_down"
    return text["narrative"][key].format(n=int(abs(rank_change)))


def driver_items(ctx: MonthContext, rows: pd.DataFrame, key: str = "driver") -> str:
    """"综合失信状况量化测评+3.52分、…" from rows of the stage table drivers."""
    from scoring.report.common import signed

    return ctx.text.join([ctx.text.fill(key, name=ctx.spec.label(r.code), delta=signed(r.delta, ctx.decimals))
                          for r in rows.itertuples()])


def case_items(ctx: MonthContext, rows: pd.DataFrame, with_unit: bool = False) -> str:
    """"政府失信被执行人1件" (or "费县政府失信被执行人1件") from rows of the stage table zero_tolerance."""
    from scoring.report.common import value_with_unit

    return ctx.text.join([ctx.text.fill("item_cases", name=(ctx.unit_name(r.unit) if with_unit else "")
                                        + ctx.spec.label(r.code), value=value_with_unit(ctx, r.code, r.raw_value))
                          for r in rows.itertuples()])


def _first(ctx: MonthContext, unit: str, change_row: pd.Series) -> str:
    """Total, rank, change, 达标 or the gap, and a crossing of the line this month."""
    text, spec, d = ctx.text, ctx.spec, ctx.decimals
    first = text.fill("unit_summary", month_label=text.month_label(ctx.month), unit=change_row["name"],
                      total=number(change_row["total"], d), full=number(spec.total, 0),
                      n_units=len(ctx.units.units), rank=int(change_row["rank"]),
                      tier_name=ctx.units.tiers[change_row["tier"]], tier_rank=int(change_row["tier_rank"]))
    delta = change_row["delta_total"]
    if isinstance(delta, float) and math.isnan(delta):
        first += text.fill("change_none")
    else:
        key = "change_up" if delta > 0 else "change_down" if delta < 0 else "change_same"
        first += text.fill(key, delta=number(abs(delta), d), rank_move=_rank_move(text, change_row["rank_change"]))
    if change_row["pass"]:
        first += text.fill("pass_yes", pass_line=number(spec.pass_line, 0))
    else:
        first += text.fill("pass_no", pass_line=number(spec.pass_line, 0), gap=number(change_row["gap"], d))
    for r in ctx.unit_table("crossings", unit).itertuples():
        first += text.fill(f"crossed_{r.direction}", before=number(r.prev_total_rounded, d),
                           now=number(r.total_rounded, d))
    drivers = ctx.unit_table("drivers", unit)
    if len(drivers) and not (isinstance(delta, float) and math.isnan(delta)) and delta != 0:
        first += text.fill("drivers_up" if delta > 0 else "drivers_down", items=driver_items(ctx, drivers))
    return first


def year_on_year_row(ctx: MonthContext, unit: str) -> pd.Series | None:
    """The unit's row of the stage table year_on_year, or None (no same month last year, or a stage
    folder written before the table existed)."""
    if not ctx.stage.has("year_on_year"):
        return None
    rows = ctx.unit_table("year_on_year", unit)
    return rows.iloc[0] if len(rows) else None


def year_sentence(ctx: MonthContext, row: pd.Series) -> str:
    """同比: the unit's printed total and rank against the same month last year, and a change of 达标."""
    text, d = ctx.text, ctx.decimals
    last_month_label = text.month_label(row["last_year_month"])
    if pd.isna(row["last_total"]):
        return text.fill("year_new", last_month_label=last_month_label)
    delta = row["delta_total"]
    key = "year_up" if delta > 0 else "year_down" if delta < 0 else "year_same"
    out = text.fill(key, last_month_label=last_month_label, last_total=number(row["last_total"], d),
                    total=number(row["total"], d), delta=number(abs(delta), d), last_rank=int(row["last_rank"]),
                    rank=int(row["rank"]), rank_move=_rank_move(text, row["rank_change"]))
    if bool(row["pass"]) != bool(row["last_pass"]):
        out += text.fill("year_pass_up" if row["pass"] else "year_pass_down")
    return out


def unit_paragraphs(ctx: MonthContext, unit: str, change_row: pd.Series,
                    strengths: pd.DataFrame, weaknesses: pd.DataFrame, indicators: pd.DataFrame,
                    problems: pd.DataFrame) -> list[str]:
    """The narrative of one unit's report, paragraph by paragraph (rows of the stage tables)."""
    text, spec, d = ctx.text, ctx.spec, ctx.decimals

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
    zero = ctx.unit_table("zero_tolerance", unit)
    missing = problems[problems["kind"] == "missing"]
    if len(zero):
        third += text.fill("zero_tolerance", items=case_items(ctx, zero))
        vetoed = zero[zero["veto"]]
        if len(vetoed):
            reasons = {v["metric"]: v["reason"] for v in _vetoes(ctx)}
            third += text.fill("veto", items=case_items(ctx, vetoed),
                               reason=text.join(list(dict.fromkeys(reasons.get(c, "") for c in vetoed["code"]))))
    if len(missing):
        third += text.fill("missing", n=len(missing), items=text.join([spec.label(c) for c in missing["code"]]))
    if not len(problems):
        from scoring.report.common import weak_line

        third = text.fill("no_problems", line=weak_line(ctx))

    last_year = year_on_year_row(ctx, unit)
    paragraphs = [_first(ctx, unit, change_row), "" if last_year is None else year_sentence(ctx, last_year),
                  second, third]
    counts = ctx.unit_table("list_counts", unit)
    if ctx.stage.meta.get("list_records") and len(counts):
        row = counts.iloc[0]
        key = "movements" if row["entered"] or row["exited"] else "movements_none"
        paragraphs.append(text.fill(key, entered=int(row["entered"]), exited=int(row["exited"]),
                                    listed=int(row["listed"])))
    return [p for p in paragraphs if p]


def _vetoes(ctx: MonthContext) -> tuple[dict, ...]:
    """The annual acceptance's veto rules (params/review.yaml), for their reasons."""
    from scoring.analysis.acceptance_rules import load_rules

    return load_rules(ctx.project.params / "review.yaml", ctx.spec).vetoes
