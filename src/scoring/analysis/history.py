"""Months side by side: changes since last month, trends.

Input: `Scored` — every month up to one scored by the engine (points and summary, see
engine.summarise). Tables (plain DataFrames):
  changes  — one row per unit for a month: total, total_rounded, rank, tier_rank, pass,
             prev_total, prev_rank, delta_total (of the printed totals), rank_change (> 0 = moved up)
  trend    — one unit's month, total, rank, tier rank, pass over all months
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring import engine
from scoring.index.spec import IndexSpec, Units
from scoring.project import previous_month


@dataclass(frozen=True)
class Scored:
    """Everything scored up to one month: the spec, units, tidy points and per-unit summary."""

    spec: IndexSpec
    units: Units
    month: str
    points: pd.DataFrame
    summary: pd.DataFrame

    def month_points(self, month: str | None = None) -> pd.DataFrame:
        return self.points[self.points["month"] == (month or self.month)]

    def month_summary(self, month: str | None = None) -> pd.DataFrame:
        return self.summary[self.summary["month"] == (month or self.month)].reset_index(drop=True)

    @property
    def months(self) -> list[str]:
        return sorted(self.summary["month"].unique())


def changes(summary: pd.DataFrame, month: str, decimals: int) -> pd.DataFrame:
    """Each unit's total and rank this month against the month before (NaN when there is none).
    `delta_total` is the difference of the totals as printed (`decimals`), so that 较上月 always
    equals the difference of the two printed totals."""
    now = summary[summary["month"] == month].set_index("unit")
    before = summary[summary["month"] == previous_month(month)].set_index("unit")
    out = now[["name", "tier", "total", "total_rounded", "rank", "tier_rank", "pass"]].copy()
    out["prev_total"] = before["total"].reindex(out.index)
    out["prev_rank"] = before["rank"].reindex(out.index)
    delta = out["total_rounded"] - engine.rounded(out["prev_total"], decimals)
    out["delta_total"] = engine.rounded(delta, decimals)
    out["rank_change"] = out["prev_rank"] - out["rank"]
    return out.reset_index()


def trend(summary: pd.DataFrame, unit: str) -> pd.DataFrame:
    """One unit's month, total, rank and tier rank over all months, oldest first."""
    rows = summary[summary["unit"] == unit].sort_values("month")
    return rows[["month", "total", "rank", "tier_rank", "pass"]].reset_index(drop=True)


def linear_slope(values: pd.Series, positions: pd.Series | None = None) -> float:
    """Least-squares slope of `values` against `positions` (e.g. month numbers; default 0, 1, 2 …),
    per unit of position; NaN with fewer than two values."""
    x = pd.Series(np.arange(len(values), dtype=float), index=values.index) if positions is None else positions
    keep = values.notna()
    if keep.sum() < 2:
        return float("nan")
    return float(np.polyfit(x[keep].to_numpy(dtype=float), values[keep].to_numpy(dtype=float), 1)[0])
