"""Analyses behind the reports, on the engine's tables. Codes in, codes out: no labels here.

All points are in index points (the Linyi index: 150 in all); `fraction` = points / max points.
"""

from __future__ import annotations

import pandas as pd

from scoring import engine
from scoring.analysis.history import Scored
from scoring.index import methods
from scoring.index.spec import IndexSpec, Metric

WEAK_FRACTION = 0.6  # an indicator under 60% of its points is listed as a problem


def is_weak(fraction: pd.Series) -> pd.Series:
    """Under WEAK_FRACTION as printed (whole percentages): 59.6% prints as 60% and is not weak."""
    return engine.rounded(fraction * 100, 0) < WEAK_FRACTION * 100


def indicator_level(scored: Scored) -> str:
    """The level just above metrics (indicators in the Linyi index)."""
    levels = scored.spec.levels
    return levels[-2] if len(levels) >= 2 else levels[-1]


def category_profile(scored: Scored, unit: str) -> pd.DataFrame:
    """Per category: the unit's points, full marks, and the city median and best that month."""
    cats = [c.code for c in scored.spec.categories]

    def city_table() -> pd.DataFrame:
        rows = scored.month_points()
        return rows[rows["code"].isin(cats)].groupby("code")["points"].agg(city_median="median", city_max="max")

    city = scored.derived(("category_city", scored.month), city_table)
    rows = scored.unit_points(unit)
    mine = rows[rows["code"].isin(cats)].set_index("code")[["points", "max_points"]]
    out = mine.join(city).reindex(cats)
    out["fraction"] = out["points"] / out["max_points"]
    return out.reset_index()


def indicator_table(scored: Scored, unit: str) -> pd.DataFrame:
    """Every indicator for the unit: points, max, lost (提分空间), fraction, city median and
    the unit's percentile among all units (1 = best), sorted by points still to gain."""
    def by_unit() -> dict[str, pd.DataFrame]:  # every unit's indicators with the city median and percentile
        pts = scored.month_points()
        ind = pts[pts["level"] == indicator_level(scored)]
        city_median = ind.groupby("code")["fraction"].median()
        percentile = ind.groupby("code")["fraction"].rank(pct=True, method="average")
        ind = ind.assign(city_median_fraction=ind["code"].map(city_median), percentile=percentile)
        return {str(u): frame for u, frame in ind.groupby("unit", sort=False)}

    found = scored.derived(("indicators", scored.month), by_unit).get(unit)
    mine = (found if found is not None else scored.month_points().iloc[:0].assign(
        city_median_fraction=[], percentile=[])).copy()
    mine["lost"] = mine["max_points"] - mine["points"]
    # compared as printed (whole percentages), so that a listed difference is a visible one
    shown_mine = engine.rounded(mine["fraction"] * 100, 0)
    mine["relative"] = (shown_mine - engine.rounded(mine["city_median_fraction"] * 100, 0)) / 100
    cols = ["code", "parent", "points", "max_points", "lost", "fraction", "city_median_fraction",
            "relative", "percentile"]
    return mine[cols].sort_values(["lost", "code"], ascending=[False, True]).reset_index(drop=True)


def strengths_and_weaknesses(scored: Scored, unit: str, n: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Up to n indicators where the unit is furthest above the city median fraction (strengths:
    relative > 0 and not themselves weak) and up to n furthest below it (weaknesses, relative < 0);
    either may be empty."""
    table = indicator_table(scored, unit)
    above = table[(table["relative"] > 1e-12) & ~is_weak(table["fraction"])]
    above = above.sort_values(["relative", "code"], ascending=[False, True])
    below = table[table["relative"] < -1e-12].sort_values(["relative", "code"], ascending=[True, True])
    return above.head(n).reset_index(drop=True), below.head(n).reset_index(drop=True)


def problems(scored: Scored, unit: str) -> pd.DataFrame:
    """Problems for the unit this month, one row each: kind, code, detail value.

    kinds: weak (indicator under WEAK_FRACTION of its points), zero_tolerance (a failed
    zero-tolerance metric), missing (a metric with no value). Sorted by points lost (to gain), most first.
    """
    mine = scored.unit_points(unit)
    level = indicator_level(scored)
    weak = mine[(mine["level"] == level) & is_weak(mine["fraction"])]
    rows = [{"kind": "weak", "code": r.code, "value": r.fraction, "lost": r.max_points - r.points}
            for r in weak.itertuples()]
    for flag, kind in ((engine.FLAG_ZERO_TOLERANCE, "zero_tolerance"), (engine.FLAG_MISSING, "missing")):
        hit = mine[mine["flags"].str.contains(flag, regex=False)]
        rows += [{"kind": kind, "code": r.code, "value": r.raw_value, "lost": r.max_points - r.points}
                 for r in hit.itertuples()]
    out = pd.DataFrame(rows, columns=["kind", "code", "value", "lost"])
    return out.sort_values(["lost", "code"], ascending=[False, True], kind="stable").reset_index(drop=True)


def category_heatmap(scored: Scored) -> pd.DataFrame:
    """Units × categories: fraction of each category's points this month (units in params order)."""
    pts = scored.month_points()
    cats = [c.code for c in scored.spec.categories]
    wide = pts[pts["code"].isin(cats)].pivot(index="unit", columns="code", values="fraction")
    return wide.reindex(index=scored.units.codes, columns=cats)


def movers(change_table: pd.DataFrame, n: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The n units that gained most and the n that lost most points since last month."""
    have = change_table.dropna(subset=["delta_total"])
    up = have[have["delta_total"] > 0].sort_values(["delta_total", "unit"], ascending=[False, True]).head(n)
    down = have[have["delta_total"] < 0].sort_values(["delta_total", "unit"]).head(n)
    return up.reset_index(drop=True), down.reset_index(drop=True)


def indicator_moves(scored: Scored, month: str, previous: str, n: int = 5) -> pd.DataFrame:
    """City-wide: the indicators whose mean points moved most since the previous month."""
    level = indicator_level(scored)
    pts = scored.points[scored.points["level"] == level]
    mean = pts.groupby(["month", "code"])["points"].mean().unstack("month")
    if month not in mean or previous not in mean:
        return pd.DataFrame(columns=["code", "before", "now", "delta"])
    out = pd.DataFrame({"before": mean[previous], "now": mean[month]})
    out["delta"] = out["now"] - out["before"]
    out = out.reindex(out["delta"].abs().sort_values(ascending=False).index).head(n)
    return out.reset_index().rename(columns={"index": "code"})


def _unit_order(scored: Scored, frame: pd.DataFrame) -> pd.Series:
    return frame["unit"].map({u: i for i, u in enumerate(scored.units.codes)})


def metric_detail(scored: Scored) -> pd.DataFrame:
    """Every unit × metric this month: raw value, city median of the raw values, fraction, points,
    max points and points lost; units in params order, each unit's metrics by points lost (most first)."""
    pts = scored.month_points()
    leaf = pts[pts["level"] == scored.spec.levels[-1]]
    median = leaf.groupby("code")["raw_value"].median()
    out = leaf.assign(city_median=leaf["code"].map(median), lost=leaf["max_points"] - leaf["points"],
                      _u=_unit_order(scored, leaf))
    out = out.sort_values(["_u", "lost", "code"], ascending=[True, False, True])
    return out[["unit", "code", "parent", "raw_value", "city_median", "fraction", "points", "max_points", "lost",
                "flags"]].reset_index(drop=True)


def city_indicators(scored: Scored, previous: str) -> pd.DataFrame:
    """Every indicator city-wide: score rate (Σ points / Σ max points over the units), the same
    the month before (NaN when not scored), points lost in all, units under WEAK_FRACTION;
    `position` 1 = the lowest score rate (ties by code)."""
    level = indicator_level(scored)
    ind = scored.points[scored.points["level"] == level]

    def rate(month: str) -> pd.Series:
        rows = ind[ind["month"] == month].groupby("code")[["points", "max_points"]].sum()
        return rows["points"] / rows["max_points"]

    now = ind[ind["month"] == scored.month]
    out = now.groupby("code", sort=False).agg(parent=("parent", "first"), max_points=("max_points", "first"),
                                              points=("points", "sum"), full=("max_points", "sum"))
    out["fraction"] = rate(scored.month)
    out["prev_fraction"] = rate(previous).reindex(out.index)
    out["lost"] = out["full"] - out["points"]
    out["units_weak"] = now.assign(weak=is_weak(now["fraction"])).groupby("code")["weak"].sum().astype(int)
    out = out.reset_index().sort_values(["fraction", "code"]).reset_index(drop=True)
    out["position"] = range(1, len(out) + 1)
    return out[["position", "code", "parent", "fraction", "prev_fraction", "max_points", "lost", "units_weak"]]


def drivers(scored: Scored, changes: pd.DataFrame, previous: str, n: int = 2) -> pd.DataFrame:
    """For every unit whose printed total moved since `previous`: the n indicators whose points
    moved most in the same direction (up: largest gains; down: largest losses), with their
    points before and now; `order` 1 = the largest."""
    level = indicator_level(scored)
    ind = scored.points[scored.points["level"] == level]
    wide = ind[ind["month"].isin([previous, scored.month])].pivot_table(
        index=["unit", "code"], columns="month", values="points")
    rows = []
    if previous in wide and scored.month in wide:
        for unit, delta in changes.set_index("unit")["delta_total"].items():
            if pd.isna(delta) or delta == 0 or unit not in wide.index.get_level_values(0):
                continue
            mine = wide.loc[unit]
            moved = (mine[scored.month] - mine[previous]) * (1 if delta > 0 else -1)
            top = moved[moved > 0].sort_index().sort_values(ascending=False, kind="stable").head(n)
            for i, code in enumerate(top.index):
                before, now = mine.loc[code, previous], mine.loc[code, scored.month]
                rows.append({"unit": unit, "order": i + 1, "code": code, "before": before, "now": now,
                             "delta": now - before})
    return pd.DataFrame(rows, columns=["unit", "order", "code", "before", "now", "delta"])


ISSUE_KINDS = ("zero_tolerance", "weak", "missing")


def issues(problem_table: pd.DataFrame, units: list[str]) -> pd.DataFrame:
    """The month's problems (the `problems` table of every unit) grouped by indicator or metric:
    kind (ISSUE_KINDS order), the group's `position` within its kind (1 = most points lost by all
    its units), then its units by points lost (most first, ties in params order)."""
    table = problem_table.assign(_k=problem_table["kind"].map({k: i for i, k in enumerate(ISSUE_KINDS)}),
                                 _u=problem_table["unit"].map({u: i for i, u in enumerate(units)}))
    total = table.groupby(["kind", "code"])["lost"].transform("sum")
    table = table.assign(_total=total)
    groups = table.drop_duplicates(["kind", "code"]).sort_values(["_k", "_total", "code"],
                                                                 ascending=[True, False, True])
    groups["position"] = groups.groupby("kind").cumcount() + 1
    table = table.merge(groups[["kind", "code", "position"]], on=["kind", "code"])
    table = table.sort_values(["_k", "position", "lost", "_u"], ascending=[True, True, False, True])
    return table[["kind", "position", "code", "unit", "value", "lost"]].reset_index(drop=True)


def zero_tolerance_failures(scored: Scored, previous: str, vetoes: tuple[dict, ...] = ()) -> pd.DataFrame:
    """Unit × zero-tolerance metric failed this month: its indicator, raw value (cases), points
    lost, whether it failed the month before too, and whether the value is a veto of the annual
    acceptance (a `vetoes` rule of params/review.yaml: value above its max_value)."""
    def failed(points: pd.DataFrame) -> pd.DataFrame:
        return points[points["flags"].str.contains(engine.FLAG_ZERO_TOLERANCE, regex=False)]

    hit = failed(scored.month_points())
    before = failed(scored.month_points(previous))
    failed_before = set(zip(before["unit"], before["code"], strict=True))
    limits = {v["metric"]: float(v["max_value"]) for v in vetoes}
    out = pd.DataFrame({
        "unit": hit["unit"], "code": hit["code"], "parent": hit["parent"], "raw_value": hit["raw_value"],
        "lost": hit["max_points"] - hit["points"],
        "prev_failed": [(u, c) in failed_before for u, c in zip(hit["unit"], hit["code"], strict=True)],
        "veto": [c in limits and v > limits[c] for c, v in zip(hit["code"], hit["raw_value"], strict=True)],
    })
    out = out.assign(_u=_unit_order(scored, out)).sort_values(["_u", "code"])
    return out.drop(columns="_u").reset_index(drop=True)


def zero_tolerance_metrics(spec: IndexSpec) -> list[Metric]:
    """The metrics whose method flags a single case as a zero-tolerance failure (engine.FLAG_ZERO_TOLERANCE):
    asked of each method's own flag rule in the catalogue, not of method names."""
    case, lost = pd.Series([1.0]), pd.Series([0.0])
    out = []
    for m in spec.metrics():
        rule = methods.CATALOGUE[m.method].flag_rule
        if rule is not None and rule(case, lost).iloc[0] == engine.FLAG_ZERO_TOLERANCE:
            out.append(m)
    return out
