"""Analyses behind the reports, on the engine's tables. Codes in, codes out: no labels here.

All points are in index points (the Linyi index: 150 in all); `fraction` = points / max points.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from scoring import engine
from scoring.analysis.history import Scored
from scoring.analysis.texts import text_equals, text_positions
from scoring.index import methods
from scoring.index.spec import IndexSpec, Metric

WEAK_FRACTION = 0.6  # an indicator under 60% of its points is listed as a problem


def is_weak(fraction: pd.Series) -> pd.Series:
    """Under WEAK_FRACTION as printed (whole percentages): 59.6% prints as 60% and is not weak."""
    return engine.rounded(fraction * 100, 0) < WEAK_FRACTION * 100


def has_flag(flags: pd.Series, flag: str) -> pd.Series:
    """`flags.str.contains(flag, regex=False)`; on a text column (NaN for none) computed once per
    distinct value (a month's flags are a few texts over units × metrics rows)."""
    dtype = flags.dtype
    if not (isinstance(dtype, pd.StringDtype) and dtype.na_value is np.nan):
        return flags.str.contains(flag, regex=False)
    codes, distinct = pd.factorize(flags, use_na_sentinel=False)
    hit = pd.Series(distinct, dtype=dtype).str.contains(flag, regex=False).to_numpy(dtype=bool)
    return pd.Series(hit[codes], index=flags.index, name=flags.name)


def _is(column: pd.Series, value: str) -> np.ndarray:
    """`column == value` as a boolean array (a missing text: False): `texts.text_equals`."""
    return text_equals(column, value)


def _looked_up(table: pd.Series, keys: pd.Series) -> np.ndarray:
    """`keys.map(table)` (NaN where a key is not in the table's unique index) as an array."""
    found = text_positions(keys, table.index) if table.index.is_unique else None
    if found is None or (found < 0).any():
        return table.reindex(keys.to_numpy(dtype=object)).to_numpy()
    return table.to_numpy()[found]


def indicator_level(scored: Scored) -> str:
    """The level just above metrics (indicators in the Linyi index)."""
    levels = scored.spec.levels
    return levels[-2] if len(levels) >= 2 else levels[-1]


def _level_points(scored: Scored, level: str) -> pd.DataFrame:
    """Every month's points rows at `level` (e.g. the indicators), selected once per scored history."""
    return scored.derived(("level_points", level), lambda: scored.points[_is(scored.points["level"], level)])


def _months_level_points(scored: Scored, level: str, months: tuple[str, ...]) -> pd.DataFrame:
    """The points rows at `level` of `months` (rows in their order in `points`) — of every month when the
    engine's layout is not known (`month_rows`: each month the same blocks), the readers filter by month."""
    if scored.month_rows is None:
        return _level_points(scored, level)

    def select() -> pd.DataFrame:
        frames = [rows[_is(rows["level"], level)] for m, _, _ in scored.month_rows if m in months
                  for rows in (scored.month_points(m),)]
        return pd.concat(frames) if len(frames) > 1 else frames[0] if frames else _level_points(scored, level)

    return scored.derived(("months_level_points", level, tuple(sorted(set(months)))), select)


def _category_profile(scored: Scored, unit: str) -> pd.DataFrame:
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


def _indicator_table(scored: Scored, unit: str) -> pd.DataFrame:
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


def _of_unit(scored: Scored, name: str, table: Callable[[Scored], pd.DataFrame], unit: str,
             one: Callable[[Scored, str], pd.DataFrame]) -> pd.DataFrame:
    """The unit's rows of the all-unit `table` (computed once per month), without the unit column;
    `one(scored, unit)` (the per-unit computation, equal) for a unit without rows there."""
    def split() -> dict[str, pd.DataFrame]:
        frame = table(scored)
        return {str(u): f.drop(columns="unit").reset_index(drop=True) for u, f in frame.groupby("unit", sort=False)}

    found = scored.derived((name, scored.month), split).get(unit)
    if found is not None:
        return found
    return one(scored, unit)


def category_profile(scored: Scored, unit: str) -> pd.DataFrame:
    """Per category: the unit's points, full marks, and the city median and best that month."""
    return _of_unit(scored, "category_profiles", category_profiles, unit, _category_profile)


def indicator_table(scored: Scored, unit: str) -> pd.DataFrame:
    """Every indicator for the unit: points, max, lost (提分空间), fraction, city median and
    the unit's percentile among all units (1 = best), sorted by points still to gain."""
    return _of_unit(scored, "indicator_tables", indicator_tables, unit, _indicator_table)


def problems(scored: Scored, unit: str) -> pd.DataFrame:
    """Problems for the unit this month, one row each: kind, code, detail value (see `_problems`)."""
    return _of_unit(scored, "problems_by_unit", problems_by_unit, unit, _problems)


def strengths_and_weaknesses(scored: Scored, unit: str, n: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Up to n indicators where the unit is furthest above the city median fraction (strengths:
    relative > 0 and not themselves weak) and up to n furthest below it (weaknesses, relative < 0);
    either may be empty."""
    table = indicator_table(scored, unit)
    above = table[(table["relative"] > 1e-12) & ~is_weak(table["fraction"])]
    above = above.sort_values(["relative", "code"], ascending=[False, True])
    below = table[table["relative"] < -1e-12].sort_values(["relative", "code"], ascending=[True, True])
    return above.head(n).reset_index(drop=True), below.head(n).reset_index(drop=True)


def _problems(scored: Scored, unit: str) -> pd.DataFrame:
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
        hit = mine[has_flag(mine["flags"], flag)]
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
    pts = _months_level_points(scored, level, (previous, month))
    mean = pts.groupby(["month", "code"])["points"].mean().unstack("month")
    if month not in mean or previous not in mean:
        return pd.DataFrame(columns=["code", "before", "now", "delta"])
    out = pd.DataFrame({"before": mean[previous], "now": mean[month]})
    out["delta"] = out["now"] - out["before"]
    out = out.reindex(out["delta"].abs().sort_values(ascending=False).index).head(n)
    return out.reset_index().rename(columns={"index": "code"})


def _unit_order(scored: Scored, frame: pd.DataFrame) -> pd.Series:
    return _unit_rank(scored, frame["unit"])


def metric_detail(scored: Scored) -> pd.DataFrame:
    """Every unit × metric this month: raw value, city median of the raw values, fraction, points,
    max points and points lost; units in params order, each unit's metrics by points lost (most first)."""
    pts = scored.month_points()
    leaf = pts[_is(pts["level"], scored.spec.levels[-1])]
    median = leaf.groupby("code")["raw_value"].median()
    out = leaf.assign(city_median=_looked_up(median, leaf["code"]), lost=leaf["max_points"] - leaf["points"],
                      _u=_unit_order(scored, leaf))
    out = out.sort_values(["_u", "lost", "code"], ascending=[True, False, True])
    return out[["unit", "code", "parent", "raw_value", "city_median", "fraction", "points", "max_points", "lost",
                "flags"]].reset_index(drop=True)


def city_indicators(scored: Scored, previous: str) -> pd.DataFrame:
    """Every indicator city-wide: score rate (Σ points / Σ max points over the units), the same
    the month before (NaN when not scored), points lost in all, units under WEAK_FRACTION;
    `position` 1 = the lowest score rate (ties by code)."""
    level = indicator_level(scored)
    ind = _months_level_points(scored, level, (previous, scored.month))

    def rate(month: str) -> pd.Series:
        rows = ind[_is(ind["month"], month)].groupby("code")[["points", "max_points"]].sum()
        return rows["points"] / rows["max_points"]

    now = ind[_is(ind["month"], scored.month)]
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
    ind = _months_level_points(scored, level, (previous, scored.month))
    wide = ind[_is(ind["month"], previous) | _is(ind["month"], scored.month)].pivot_table(
        index=["unit", "code"], columns="month", values="points")
    columns = ["unit", "order", "code", "before", "now", "delta"]
    if previous not in wide or scored.month not in wide:
        return pd.DataFrame([], columns=columns)
    delta = changes.set_index("unit")["delta_total"]
    delta = delta[delta.notna() & (delta != 0)]
    both = wide[[previous, scored.month]].reset_index()
    order = text_positions(both["unit"], delta.index)  # the units in the order of `changes` (−1: not moved)
    both, order = both[order >= 0], order[order >= 0]
    sign = np.where(delta.to_numpy() > 0, 1, -1)[order]
    before, now = both[previous], both[scored.month]
    both = both.assign(before=before, now=now, delta=now - before, _o=order, _moved=(now - before) * sign)
    both = both[both["_moved"] > 0]  # moved the same way as the unit's total
    both = both.sort_values(["_o", "_moved", "code"], ascending=[True, False, True], kind="stable")
    both["order"] = both.groupby("_o").cumcount() + 1
    both = both[both["order"] <= n]
    if both.empty:
        return pd.DataFrame([], columns=columns)
    return pd.DataFrame({c: both[c].to_numpy(dtype=object if c in ("unit", "code") else None) for c in columns})


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
        return points[has_flag(points["flags"], engine.FLAG_ZERO_TOLERANCE)]

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


# --------------------------------------------------------------------------- every unit at once
# The per-unit tables above for all units in one pass: each equals `table(scored, unit)` of every unit
# (units in params order), stacked with a unit column first, what the stage writes; a few whole-month
# operations instead of a few per unit (2,844 units: seconds, not minutes).


def _unit_rank(scored: Scored, units: pd.Series) -> pd.Series:
    """Each unit's position in params order, NaN for a code that is not a unit (as a map of
    {code: position} gives it)."""
    found = text_positions(units, scored.units.codes)
    return pd.Series(found if (found >= 0).all() else np.where(found >= 0, found, np.nan), index=units.index,
                     name=units.name)


def _with_unit_first(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["unit", *[c for c in frame.columns if c != "unit"]]].reset_index(drop=True)


def problems_by_unit(scored: Scored) -> pd.DataFrame:
    """`problems` of every unit: unit, kind, code, value, lost."""
    pts = scored.month_points()
    level = indicator_level(scored)
    lost = pts["max_points"] - pts["points"]
    weak = pd.Series(_is(pts["level"], level), index=pts.index) & is_weak(pts["fraction"])
    parts = [pd.DataFrame({"unit": pts["unit"][weak], "kind": "weak", "code": pts["code"][weak],
                           "value": pts["fraction"][weak], "lost": lost[weak]})]
    for flag, kind in ((engine.FLAG_ZERO_TOLERANCE, "zero_tolerance"), (engine.FLAG_MISSING, "missing")):
        hit = has_flag(pts["flags"], flag)
        parts.append(pd.DataFrame({"unit": pts["unit"][hit], "kind": kind, "code": pts["code"][hit],
                                   "value": pts["raw_value"][hit], "lost": lost[hit]}))
    out = pd.concat(parts, ignore_index=True).astype({"unit": object, "kind": object, "code": object})
    out = out[out["unit"].isin(scored.units.codes)]
    out = out.assign(_u=_unit_rank(scored, out["unit"]))
    out = out.sort_values(["_u", "lost", "code"], ascending=[True, False, True], kind="stable")
    return _with_unit_first(out.drop(columns="_u")[["unit", "kind", "code", "value", "lost"]])


def indicator_tables(scored: Scored) -> pd.DataFrame:
    """`indicator_table` of every unit: unit, code, parent, points, max_points, lost, fraction,
    city_median_fraction, relative, percentile."""
    pts = scored.month_points()
    ind = pts[_is(pts["level"], indicator_level(scored))]
    city_median = ind.groupby("code")["fraction"].median()
    percentile = ind.groupby("code")["fraction"].rank(pct=True, method="average")
    mine = ind.assign(city_median_fraction=_looked_up(city_median, ind["code"]), percentile=percentile)
    mine = mine[mine["unit"].isin(scored.units.codes)].copy()
    mine["lost"] = mine["max_points"] - mine["points"]
    shown_mine = engine.rounded(mine["fraction"] * 100, 0)
    mine["relative"] = (shown_mine - engine.rounded(mine["city_median_fraction"] * 100, 0)) / 100
    mine["_u"] = _unit_rank(scored, mine["unit"])
    mine = mine.sort_values(["_u", "lost", "code"], ascending=[True, False, True], kind="stable")
    cols = ["unit", "code", "parent", "points", "max_points", "lost", "fraction", "city_median_fraction",
            "relative", "percentile"]
    return mine[cols].reset_index(drop=True)


def category_profiles(scored: Scored) -> pd.DataFrame:
    """`category_profile` of every unit: unit, code, points, max_points, city_median, city_max, fraction."""
    cats = [c.code for c in scored.spec.categories]
    pts = scored.month_points()
    rows = pts[pts["code"].isin(cats)]
    city = rows.groupby("code")["points"].agg(city_median="median", city_max="max")
    grid = pd.MultiIndex.from_product([scored.units.codes, cats], names=["unit", "code"])
    mine = rows.drop_duplicates(["unit", "code"]).set_index(["unit", "code"])[["points", "max_points"]]
    out = mine.reindex(grid).join(city, on="code")
    out["fraction"] = out["points"] / out["max_points"]
    return out.reset_index()[["unit", "code", "points", "max_points", "city_median", "city_max", "fraction"]]
