"""The year against the last: this month beside the same month a year before (同比).

Input: `Scored` (every processed month up to this one; a second year's history holds the first
year's months too). Tables, each empty (with its columns) when the history has no month twelve
months before this one:
  year_on_year             unit: total, printed total, rank, 达标 now and in the same month last
                           year; delta_total (of the printed totals), rank_change (> 0 = moved up)
  year_on_year_categories  unit × category: points now and last year, delta (of the printed points)
  city_year_on_year        one row: mean total and 达标 count now and last year, their changes
                           (of the printed means, as the month-on-month ones)
A unit with no row last year (added since) has NaN for last year's figures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring import engine
from scoring.analysis.history import Scored
from scoring.project import same_month_last_year
from scoring.tables import CATALOGUE


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame(columns=list(CATALOGUE[name].columns))


def _then(scored: Scored) -> pd.DataFrame | None:
    """Last year's summary rows indexed by unit, or None when that month was not scored."""
    then = scored.month_summary(same_month_last_year(scored.month))
    return then.set_index("unit") if len(then) else None


def year_on_year(scored: Scored) -> pd.DataFrame:
    """Each unit of this month against the same month last year (see the module docstring)."""
    then = _then(scored)
    if then is None:
        return _empty("year_on_year")
    d = scored.spec.display_decimals
    now = scored.month_summary().set_index("unit")
    out = now[["total", "total_rounded", "rank", "pass"]].copy()
    last = then.reindex(out.index)
    out.insert(0, "last_year_month", same_month_last_year(scored.month))
    for col in ("total", "total_rounded", "rank", "pass"):
        out[f"last_{col}"] = last[col].astype(float)
    out["delta_total"] = engine.rounded(out["total_rounded"] - out["last_total_rounded"], d)
    out["rank_change"] = out["last_rank"] - out["rank"]
    return out.rename_axis("unit").reset_index().reindex(columns=list(CATALOGUE["year_on_year"].columns))


def year_on_year_categories(scored: Scored) -> pd.DataFrame:
    """Each unit × category: points this month and in the same month last year, and the change
    of the points as printed (display decimals); units and categories in index order."""
    then = _then(scored)
    if then is None:
        return _empty("year_on_year_categories")
    d = scored.spec.display_decimals
    now = scored.month_summary().set_index("unit")
    codes = [c.code for c in scored.spec.categories]
    out = pd.DataFrame({"unit": np.repeat(now.index.to_numpy(), len(codes)), "code": codes * len(now),
                        "points": now[codes].to_numpy(dtype=float).ravel(),  # row by row: unit, then category
                        "last_points": then.reindex(now.index)[codes].to_numpy(dtype=float).ravel()})
    out["delta"] = engine.rounded(engine.rounded(out["points"], d) - engine.rounded(out["last_points"], d), d)
    return out.reindex(columns=list(CATALOGUE["year_on_year_categories"].columns))


def city_year_on_year(scored: Scored) -> pd.DataFrame:
    """The month city-wide against the same month last year: mean total and 达标 count then and now."""
    then = _then(scored)
    if then is None:
        return _empty("city_year_on_year")
    d = scored.spec.display_decimals
    now = scored.month_summary()
    mean, last_mean = now["total"].mean(), then["total"].mean()
    n_pass, last_pass = int(now["pass"].sum()), int(then["pass"].astype(bool).sum())
    return pd.DataFrame([{
        "month": scored.month, "last_year_month": same_month_last_year(scored.month),
        "n_units": len(now), "mean_total": mean, "n_pass": n_pass, "last_n_units": len(then),
        "last_mean_total": last_mean, "last_n_pass": last_pass,
        "delta_mean": engine.rounded(engine.rounded(mean, d) - engine.rounded(last_mean, d), d),
        "delta_pass": n_pass - last_pass,
    }]).reindex(columns=list(CATALOGUE["city_year_on_year"].columns))
