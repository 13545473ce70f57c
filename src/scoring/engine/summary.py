"""Points → one row per month × unit: category points, total, rank, rank within tier, 达标."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.engine.rounding import rounded
from scoring.index.spec import IndexSpec, Units

#: Besides these, one column per category code (its points) after `tier`.
SCORES_COLUMNS = ["month", "unit", "name", "tier", "total", "total_rounded", "rank", "tier_rank", "pass"]


def summarise(spec: IndexSpec, units: Units, points: pd.DataFrame) -> pd.DataFrame:
    """One row per month × unit: month, unit, name, tier, <category points>, total (full
    precision), total_rounded (as printed: `engine.rounded` to display_decimals), rank,
    tier_rank, pass.

    Ranks use total_rounded, highest first; equal totals share the better rank (1, 2, 2, 4).
    `pass`: total_rounded ≥ the pass line.
    """
    root = spec.root.code
    cats = [c.code for c in spec.categories]
    wanted = points[points["code"].isin([*cats, root])]
    wide = wanted.pivot_table(index=["month", "unit"], columns="code", values="points", aggfunc="first")
    wide = wide.reindex(columns=[*cats, root]).rename(columns={root: "total"}).reset_index()
    info = units.frame()[["unit", "name", "tier"]]
    out = wide.merge(info, on="unit", how="left")
    order = {code: i for i, code in enumerate(units.codes)}
    out["_order"] = out["unit"].map(order)
    out = _ranked(spec, out)
    out = out.sort_values(["month", "_order"]).drop(columns="_order").reset_index(drop=True)
    return out[["month", "unit", "name", "tier", *cats, *SCORES_COLUMNS[4:]]]


def summarise_nodes(spec: IndexSpec, units: Units, months: list[str], node_points: dict[str, np.ndarray]
                    ) -> pd.DataFrame:
    """`summarise` of the points the engine scored (every unit and node in every month, months in
    order) from the nodes' points as months × units arrays, without reading the points table:
    the rows month by month, units in params order, as summarise sorts them."""
    cats = [c.code for c in spec.categories]
    n = len(units.codes)
    info = units.frame()
    per_month, per_unit = np.repeat(np.arange(len(months)), n), np.tile(np.arange(n), len(months))
    text = pd.StringDtype(na_value=np.nan)
    out = pd.DataFrame({
        "month": pd.array(np.asarray(months, dtype=object), dtype=text).take(per_month),
        "unit": info["unit"].array.take(per_unit), "name": info["name"].array.take(per_unit),
        "tier": info["tier"].array.take(per_unit),
        **{c: node_points[c].reshape(-1) for c in cats}, "total": node_points[spec.root.code].reshape(-1),
    })
    return _ranked(spec, out)[["month", "unit", "name", "tier", *cats, *SCORES_COLUMNS[4:]]]


def _ranked(spec: IndexSpec, out: pd.DataFrame) -> pd.DataFrame:
    """`out` (month, unit, tier, total …) with total_rounded, rank, tier_rank and pass."""
    out["total_rounded"] = shown = rounded(out["total"], spec.display_decimals)
    out["rank"] = shown.groupby(out["month"]).rank(method="min", ascending=False).astype(int)
    out["tier_rank"] = shown.groupby([out["month"], out["tier"]]).rank(method="min", ascending=False).astype(int)
    out["pass"] = shown >= spec.pass_line
    return out
