"""Analyses behind the reports, on the engine's tables. Codes in, codes out: no labels here.

All points are in index points (the Linyi index: 150 in all); `fraction` = points / max points.
"""

from __future__ import annotations

import pandas as pd

from scoring import engine
from scoring.analysis.history import Scored

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
    pts = scored.month_points()
    cats = [c.code for c in scored.spec.categories]
    rows = pts[pts["code"].isin(cats)]
    city = rows.groupby("code")["points"].agg(city_median="median", city_max="max")
    mine = rows[rows["unit"] == unit].set_index("code")[["points", "max_points"]]
    out = mine.join(city).reindex(cats)
    out["fraction"] = out["points"] / out["max_points"]
    return out.reset_index()


def indicator_table(scored: Scored, unit: str) -> pd.DataFrame:
    """Every indicator for the unit: points, max, lost (提分空间), fraction, city median and
    the unit's percentile among all units (1 = best), sorted by points still to gain."""
    pts = scored.month_points()
    level = indicator_level(scored)
    ind = pts[pts["level"] == level]
    city_median = ind.groupby("code")["fraction"].median()
    percentile = ind.groupby("code")["fraction"].rank(pct=True, method="average")
    ind = ind.assign(city_median_fraction=ind["code"].map(city_median), percentile=percentile)
    mine = ind[ind["unit"] == unit].copy()
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
    zero-tolerance metric), missing (a metric with no value).
    """
    pts = scored.month_points()
    mine = pts[pts["unit"] == unit]
    level = indicator_level(scored)
    weak = mine[(mine["level"] == level) & is_weak(mine["fraction"])]
    rows = [{"kind": "weak", "code": r.code, "value": r.fraction, "lost": r.max_points - r.points}
            for r in weak.sort_values("fraction").itertuples()]
    for flag, kind in ((engine.FLAG_ZERO_TOLERANCE, "zero_tolerance"), (engine.FLAG_MISSING, "missing")):
        hit = mine[mine["flags"].str.contains(flag, regex=False)]
        rows += [{"kind": kind, "code": r.code, "value": r.raw_value, "lost": r.max_points - r.points}
                 for r in hit.itertuples()]
    return pd.DataFrame(rows, columns=["kind", "code", "value", "lost"])


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
