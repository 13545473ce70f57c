"""The city bulletin's body as sentences: 一、总体情况 二、排名情况 三、存在问题 四、下一步工作.

Each function reads the month's stage tables (docs/bulletin.md names the table behind every
sentence) and fills the templates of params/report.yaml `bulletin:`; a part is a list of
(sub-heading, display objects), numbered （一）（二）… by scoring.report.city.
"""

from __future__ import annotations

import math

import pandas as pd

from scoring.render import display
from scoring.report.common import (
    percent,
    progress_section,
    rank_label,
    share_text,
    signed,
    value_text,
    varied_text,
    weak_line,
)
from scoring.report.context import MonthContext
from scoring.report.narrative import case_items, driver_items, named, number

Part = tuple[str, list]  # (sub-heading key of bulletin.headings, display objects)


def _nan(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _limit(ctx: MonthContext, key: str) -> int:
    return int(ctx.text["bulletin"]["limits"][key])


def _fill(ctx: MonthContext, key: str, **values: object) -> str:
    return ctx.text.fill(f"bulletin.{key}", **values)


def _named(ctx: MonthContext, items: list[str], key: str = "units") -> str:
    """`items` joined, cut at bulletin.limits.names ("甲、乙等12个县区"; narrative.named)."""
    return named(ctx.text, items, _limit(ctx, "names"), key)


def weakest_names(ctx: MonthContext, with_rate: bool = False) -> str:
    """The indicators with the lowest city score rate (stage table city_indicators), names joined."""
    rows = ctx.table("city_indicators").sort_values("position").head(_limit(ctx, "weakest"))
    if with_rate:
        return ctx.text.join([_fill(ctx, "overview.weakest_item", name=ctx.spec.label(r.code), rate=percent(r.fraction))
                              for r in rows.itertuples()])
    return ctx.text.join([ctx.spec.label(c) for c in rows["code"]])


def overview(ctx: MonthContext) -> str:
    """The first paragraph: mean and 达标 count with their changes, the units that crossed the line
    (named), the zero-tolerance failures (named, with the item), the weakest indicators."""
    d, city = ctx.decimals, ctx.table("city").iloc[0]
    first = _nan(city["prev_n_pass"])
    delta, n = city["delta_mean"], city["delta_pass"]
    mean_change = "" if first else _fill(ctx, f"overview.mean_{_way(delta)}", delta=number(abs(delta), d))
    pass_change = "" if first else _fill(ctx, f"overview.pass_{_way(n)}", n=int(abs(n)))
    out = _fill(ctx, "overview.summary", month_label=ctx.text.month_label(ctx.month), n_units=int(city["n_units"]),
                mean=number(city["mean_total"], d), mean_change=mean_change, n_pass=int(city["n_pass"]),
                pass_line=number(ctx.spec.pass_line, 0), pass_change=pass_change)
    out += _year_on_year(ctx)
    if first:
        out += _fill(ctx, "overview.first_month")
    else:
        crossed = ctx.table("crossings")
        items = [_fill(ctx, f"overview.crossed_{r.direction}", name=ctx.unit_name(r.unit),
                       before=number(r.prev_total_rounded, d), now=number(r.total_rounded, d))
                 for r in crossed.itertuples()]
        sep = ctx.text["bulletin"]["overview"]["crossing_separator"]
        if len(items) > _limit(ctx, "names"):
            out += _fill(ctx, "overview.crossings_more", items=sep.join(items[: _limit(ctx, "names")]), n=len(items),
                         n_up=int((crossed["direction"] == "up").sum()),
                         n_down=int((crossed["direction"] == "down").sum()))
        else:
            out += (_fill(ctx, "overview.crossings", items=sep.join(items)) if items
                    else _fill(ctx, "overview.no_crossings"))
    zero = ctx.table("zero_tolerance")
    if len(zero):
        out += _fill(ctx, "overview.zero_tolerance", items=_named(ctx, [
            _fill(ctx, "overview.zero_item", name=ctx.unit_name(r.unit), metric=ctx.spec.label(r.code))
            for r in zero.itertuples()], "items"))
    else:
        out += _fill(ctx, "overview.no_zero_tolerance")
    return out + _fill(ctx, "overview.weakest", items=weakest_names(ctx, with_rate=True))


def _year_on_year(ctx: MonthContext) -> str:
    """同比: the city's mean and 达标 count against the same month last year (stage table
    city_year_on_year); '' without that month."""
    if not ctx.stage.has("city_year_on_year") or not len(ctx.table("city_year_on_year")):
        return ""
    row, d = ctx.table("city_year_on_year").iloc[0], ctx.decimals
    delta = row["delta_mean"]
    return _fill(ctx, "overview.year_on_year", last_month_label=ctx.text.month_label(row["last_year_month"]),
                 mean_change=_fill(ctx, f"overview.year_mean_{_way(delta)}", delta=number(abs(delta), d)),
                 last_n_pass=int(row["last_n_pass"]), n_pass=int(row["n_pass"]))


def _way(value: float) -> str:
    return "up" if value > 0 else "down" if value < 0 else "same"


# ----------------------------------------------------------------------------- 二、排名情况


def _ranks(ctx: MonthContext) -> list:
    d, n = ctx.decimals, _limit(ctx, "ranks")
    ranked = ctx.table("changes").sort_values(["rank", "unit"])

    def items(frame: pd.DataFrame) -> str:
        return ctx.text.join([_fill(ctx, "ranking.item", name=r.name, total=number(r.total, d))
                              for r in frame.itertuples()])

    text = _fill(ctx, "ranking.top", n=n, items=items(ranked.head(n)))
    text += _fill(ctx, "ranking.bottom", n=n, items=items(ranked.tail(n)))
    firsts = ranked[ranked["tier_rank"] == 1]
    order = {code: i for i, code in enumerate(ctx.units.tiers)}
    firsts = firsts.assign(_t=firsts["tier"].map(order)).sort_values("_t")
    tiers = ctx.text["bulletin"]["ranking"]["tier_separator"].join(
        _fill(ctx, "ranking.tier_item", tier=ctx.units.tiers[r.tier], name=r.name, total=number(r.total, d))
        for r in firsts.itertuples())
    return [display.Paragraph(text + _fill(ctx, "ranking.tiers", items=tiers))]


def _rank_move(ctx: MonthContext, change: float) -> str:
    if _nan(change) or change == 0:
        return _fill(ctx, "ranking.rank_same")
    return _fill(ctx, f"ranking.rank_{'up' if change > 0 else 'down'}", n=int(abs(change)))


def _moves(ctx: MonthContext) -> list:
    """The biggest risers and fallers (stage table movers), each with its rank change and the two
    indicators that moved it most (stage table drivers)."""
    changes = ctx.table("changes").set_index("unit")
    if changes["delta_total"].isna().all():
        return [display.Paragraph(_fill(ctx, "ranking.none"))]
    movers, drivers = ctx.table("movers").sort_values(["direction", "position"]), ctx.table("drivers")
    sep = ctx.text["bulletin"]["ranking"]["mover_separator"]
    parts = []
    for direction in ("up", "down"):
        items = []
        for unit in movers.loc[movers["direction"] == direction, "unit"]:
            row, mine = changes.loc[unit], drivers[drivers["unit"] == unit].sort_values("order")
            because = (_fill(ctx, f"ranking.drivers_{direction}",
                             items=driver_items(ctx, mine, "bulletin.ranking.driver")) if len(mine) else "")
            items.append(_fill(ctx, "ranking.mover", name=row["name"], delta=signed(row["delta_total"], ctx.decimals),
                               rank_move=_rank_move(ctx, row["rank_change"]), drivers=because))
        if items:
            parts.append(_fill(ctx, f"ranking.{direction}", items=sep.join(items)))
    text = sep.join(parts) + _fill(ctx, "ranking.end") if parts else ""
    moves = ctx.table("indicator_moves").head(_limit(ctx, "weakest"))
    if len(moves):
        text += _fill(ctx, "ranking.indicators", items=ctx.text.join([
            _fill(ctx, "ranking.indicator_item", name=ctx.spec.label(r.code), delta=signed(r.delta, ctx.decimals))
            for r in moves.itertuples()]))
    return [display.Paragraph(text)] if text else []


def _robustness(ctx: MonthContext) -> list:
    """Rank bands and 达标 shares (stage table sensitivity) in plain words; terms are in 附件3."""
    order = ctx.table("changes").set_index("unit")["rank"]
    sens = ctx.table("sensitivity").assign(_r=lambda f: f["unit"].map(order)).sort_values(["_r", "unit"])
    stable = sens[sens["rank_p05"] == sens["rank_p95"]]
    moving = sens[sens["rank_p05"] != sens["rank_p95"]]
    clauses = []
    if len(stable):
        clauses.append(_fill(ctx, "ranking.stable", items=_named(ctx, [ctx.unit_name(u) for u in stable["unit"]])))
    if len(moving):
        clauses.append(_fill(ctx, "ranking.bands", items=_named(ctx, [
            _fill(ctx, "ranking.band_item", name=ctx.unit_name(r.unit), low=rank_label(r.rank_p05),
                  high=rank_label(r.rank_p95)) for r in moving.itertuples()])))
    sep = ctx.text["bulletin"]["ranking"]["clause_separator"]
    text = _fill(ctx, "ranking.robust_intro", varied=varied_text(ctx)) + sep.join(clauses) + _fill(ctx, "ranking.end")
    unsure = sens[(sens["pass_probability"] > 0) & (sens["pass_probability"] < 1)]
    if len(unsure):
        text += _fill(ctx, "ranking.pass_varies", items=_named(ctx, [
            _fill(ctx, "ranking.pass_item", name=ctx.unit_name(r.unit), share=share_text(ctx.text, r.pass_probability))
            for r in unsure.itertuples()]))
    else:
        text += _fill(ctx, "ranking.pass_fixed")
    return [display.Paragraph(text + _fill(ctx, "ranking.annex"))]


def ranking_parts(ctx: MonthContext) -> list[Part]:
    parts: list[Part] = [("ranks", _ranks(ctx)), ("moves", _moves(ctx)), ("robustness", _robustness(ctx))]
    progress = progress_section(ctx)
    if progress:
        parts.append(("progress", progress[1:]))
    return [p for p in parts if p[1]]


# ----------------------------------------------------------------------------- 三、存在问题


def problem_parts(ctx: MonthContext) -> list[Part]:
    """Zero-tolerance failures, weak indicators grouped (naming the units), units under the line,
    missing data (stage tables zero_tolerance, issues, city_indicators, city, changes)."""
    d, parts = ctx.decimals, []
    zero = ctx.table("zero_tolerance")
    if len(zero):
        items = [case_items(ctx, zero.iloc[[i]], with_unit=True)
                 + (_fill(ctx, "problems.zero_continuing") if zero["prev_failed"].iloc[i] else "")
                 for i in range(len(zero))]
        parts.append(("zero_tolerance", [display.Paragraph(_fill(ctx, "problems.zero", items=_named(ctx, items,
                                                                                                   "items")))]))
    issues = ctx.table("issues")
    weak = issues[issues["kind"] == "weak"]
    line = weak_line(ctx)
    city = ctx.table("city_indicators").set_index("code")
    paragraphs = []
    for position in sorted(weak["position"].unique())[: _limit(ctx, "issues")]:
        group = weak[weak["position"] == position]
        code = group["code"].iloc[0]
        paragraphs.append(display.Paragraph(_fill(
            ctx, "problems.weak_item", indicator=ctx.spec.label(code), rate=percent(city.loc[code, "fraction"]),
            n=int(city.loc[code, "units_weak"]), line=line,
            units=_named(ctx, [ctx.unit_name(u) for u in group["unit"]], "etc"))))
    if paragraphs:
        parts.append(("weak", paragraphs))
    if not parts:
        parts.append(("weak", [display.Paragraph(_fill(ctx, "problems.none", line=line))]))
    below = ctx.table("changes")
    below = below[~below["pass"]].sort_values(["gap", "rank"])
    if len(below):
        parts.append(("below_line", [display.Paragraph(_fill(ctx, "problems.below", pass_line=number(
            ctx.spec.pass_line, 0), items=_named(ctx, [_fill(ctx, "problems.below_item", name=r.name,
                                                            gap=number(r.gap, d)) for r in below.itertuples()])))]))
    missing = issues[issues["kind"] == "missing"]
    if len(missing):
        parts.append(("missing", [display.Paragraph(_fill(ctx, "problems.missing", items=_named(ctx, [
            _fill(ctx, "problems.missing_item", name=ctx.unit_name(r.unit), metric=ctx.spec.label(r.code))
            for r in missing.itertuples()], "items")))]))
    return parts


# ----------------------------------------------------------------------------- 四、下一步工作


def next_step_parts(ctx: MonthContext) -> list[Part]:
    """The tasks of the month's phase (stage table timeline, params/review.yaml): monthly
    monitoring, the December 总结验收 and its vetoes, what to rectify, the long-term mechanism."""
    from scoring.analysis.acceptance_rules import load_rules

    rules = load_rules(ctx.project.params / "review.yaml", ctx.spec)
    timeline = ctx.table("timeline").set_index("month")
    phase = timeline.loc[ctx.month, "phase"] if ctx.month in timeline.index else "after"
    months_left = int(timeline.loc[ctx.month, "months_left"]) if ctx.month in timeline.index else 0
    guidance = ctx.text["bulletin"]["office"]["guidance"]
    zero = ctx.table("zero_tolerance")
    parts: list[Part] = []

    def add(key: str, text: str) -> None:
        parts.append((key, [display.Paragraph(text)]))

    if phase == "acceptance":
        w = rules.weights
        add("acceptance", _fill(ctx, "next_steps.acceptance", document=guidance, month=rules.acceptance_month)
            + _fill(ctx, "next_steps.acceptance_rule", source=_fill(ctx, "next_steps.rule_source"),
                    w_platform=percent(w["platform"]), w_onsite=percent(w["onsite"]),
                    w_offsite=percent(w["offsite"]), line=f"{rules.pass_line:g}"))
        vetoed = zero[zero["veto"]]
        if len(vetoed):
            reasons = {v["metric"]: v["reason"] for v in rules.vetoes}
            add("vetoes", _fill(ctx, "next_steps.vetoes", items=_named(ctx, [
                _fill(ctx, "next_steps.veto_item", name=ctx.unit_name(r.unit), reason=reasons.get(r.code, ""))
                for r in vetoed.itertuples()], "items")))
        zero = zero[~zero["veto"]]
    elif phase == "arrangement":
        add("arrangement", _fill(ctx, "next_steps.arrangement", document=guidance, first=min(rules.creation_months)))
    elif phase == "before":
        add("arrangement", _fill(ctx, "next_steps.before", document=guidance, first=min(rules.creation_months)))
    if phase in ("arrangement", "creation"):
        add("monitoring", _fill(ctx, "next_steps.monitoring", month=rules.acceptance_month, months_left=months_left))
    else:
        add("monitoring", _fill(ctx, f"next_steps.monitoring_{'after' if phase == 'after' else 'before'}"))
    below = ctx.table("changes")
    below = below[~below["pass"]].sort_values(["gap", "rank"]).head(_limit(ctx, "near_line"))
    if len(below):
        add("rectify", _fill(ctx, "next_steps.rectify", weakest=weakest_names(ctx), items=ctx.text.join([
            _fill(ctx, "next_steps.rectify_item", name=r.name, gap=number(r.gap, ctx.decimals))
            for r in below.itertuples()])))
    else:
        add("rectify", _fill(ctx, "next_steps.rectify_none", weakest=weakest_names(ctx)))
    if len(zero) and phase != "after":
        add("clear", _fill(ctx, "next_steps.clear", month=rules.acceptance_month, items=_named(
            ctx, [case_items(ctx, zero.iloc[[i]], with_unit=True) for i in range(len(zero))], "items")))
    if phase == "acceptance":
        add("long_term", _fill(ctx, "next_steps.long_term", years=rules.title_valid_years))
    return parts


def metric_rows(ctx: MonthContext, unit: str) -> pd.DataFrame:
    """The unit's stage table metric_detail rows with the printed raw value and city median."""
    rows = ctx.unit_table("metric_detail", unit)
    return rows.assign(value=[value_text(ctx, c, v) for c, v in zip(rows["code"], rows["raw_value"], strict=True)],
                       median=[value_text(ctx, c, v) for c, v in zip(rows["code"], rows["city_median"], strict=True)])
