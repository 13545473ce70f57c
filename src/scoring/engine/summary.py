"""Points → one row per month × unit: category points, total, rank, rank within tier, 达标."""

from __future__ import annotations

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
    out["total_rounded"] = shown = rounded(out["total"], spec.display_decimals)
    out["rank"] = shown.groupby(out["month"]).rank(method="min", ascending=False).astype(int)
    out["tier_rank"] = shown.groupby([out["month"], out["tier"]]).rank(method="min", ascending=False).astype(int)
    out["pass"] = shown >= spec.pass_line
    out = out.sort_values(["month", "_order"]).drop(columns="_order").reset_index(drop=True)
    return out[["month", "unit", "name", "tier", *cats, *SCORES_COLUMNS[4:]]]
