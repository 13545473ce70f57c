"""Months side by side: changes since last month, trends.

Input: `Scored` — every month up to one scored by the engine (points and summary, see
engine.summarise). Tables (plain DataFrames):
  changes   — one row per unit for a month: total, total_rounded, rank, tier_rank, pass,
              prev_total, prev_rank, delta_total (of the printed totals), rank_change (> 0 = moved up),
              gap (points still needed to the pass line, as printed; 0 when 达标)
  crossings — the units whose 达标 changed since the month before (either way)
  timeline  — each scored month's phase of the creation programme (params/review.yaml)
  trend     — one unit's month, total, rank, tier rank, pass over all months
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from scoring import engine
from scoring.index.spec import IndexSpec, Units
from scoring.project import previous_month


@dataclass(frozen=True)
class Scored:
    """Everything scored up to one month: the spec, units, tidy points and per-unit summary.
    `scored_points`: every month's points table, or the engine's TidyPoints of them, whose months'
    rows are made when first read (the whole table only when `points` is asked for);
    `month_rows`: (month, start, stop) of each month's rows in `points` (engine.month_rows, or
    TidyPoints.month_rows), None when not known."""

    spec: IndexSpec
    units: Units
    month: str
    scored_points: pd.DataFrame | engine.TidyPoints
    summary: pd.DataFrame
    month_rows: tuple[tuple[str, int, int], ...] | None = None

    @cached_property
    def points(self) -> pd.DataFrame:
        """Every month's tidy points (engine.POINT_COLUMNS; of TidyPoints: made once, when first asked for)."""
        return engine.points_frame(self.scored_points)

    def month_points(self, month: str | None = None) -> pd.DataFrame:
        """The points rows of one month (default: this month), grouped once: the per-unit tables ask
        for a month's points once per unit (pandas copy-on-write: a caller cannot alter the cache)."""
        month = month or self.month
        found = self._month_frame(month)
        return self.points[self.points["month"] == month] if found is None else found

    def _month_frame(self, month: str) -> pd.DataFrame | None:
        """The rows of `month` as `points.iloc[start:stop]` gives them (its index too), None if it has none:
        of TidyPoints, made from its arrays when first asked for, not cut from the whole table."""
        tidy = self.scored_points
        if not isinstance(tidy, engine.TidyPoints):
            return self._points_by_month.get(month)
        if month not in self._made_months:
            frame = None
            if month in tidy.months:
                at = tidy.months.index(month)
                frame = tidy.frame(at, at + 1)
                frame.index = pd.RangeIndex(*tidy.month_rows()[at][1:])  # (its rows' place in `points`)
            self._made_months[month] = frame
        return self._made_months[month]

    @cached_property
    def _made_months(self) -> dict[str, pd.DataFrame | None]:
        """_month_frame's months made from TidyPoints so far (None: not a scored month)."""
        return {}

    @cached_property
    def _points_by_month(self) -> dict[str, pd.DataFrame]:
        """Each month's rows of `points`: slices when each month is one run of rows (as the engine
        writes them; `month_rows` when the engine said where), else grouped."""
        if self.month_rows is not None:
            return {m: self.points.iloc[a:b] for m, a, b in self.month_rows}
        months = self.points["month"].to_numpy(dtype=object)
        if len(months) and not pd.isna(months).any():
            bounds = np.concatenate(([0], np.flatnonzero(months[1:] != months[:-1]) + 1, [len(months)]))
            names = [str(m) for m in months[bounds[:-1]]]
            if len(set(names)) == len(names):
                return {m: self.points.iloc[a:b] for m, a, b in zip(names, bounds[:-1], bounds[1:], strict=True)}
        return {str(m): frame for m, frame in self.points.groupby("month", sort=False)}

    def unit_points(self, unit: str, month: str | None = None) -> pd.DataFrame:
        """One unit's points rows of one month (default: this month), rows in their order in `points`;
        the month is grouped by unit once, so the per-unit tables cost O(rows of the unit), not O(N)."""
        month = month or self.month
        if month not in self._points_by_month_unit:  # only the months asked for are grouped by unit
            frame = self._month_frame(month)
            self._points_by_month_unit[month] = {} if frame is None else {
                str(u): f for u, f in frame.groupby("unit", sort=False)}
        found = self._points_by_month_unit[month].get(unit)
        return self.points.iloc[:0] if found is None else found

    @cached_property
    def _points_by_month_unit(self) -> dict[str, dict[str, pd.DataFrame]]:
        return {}

    def derived(self, key: tuple, compute: Callable[[], object]) -> object:
        """A month-wide table that every unit's profile reads (city medians, ranks …), computed once per
        `key` and kept (pandas copy-on-write: a caller cannot alter the kept one)."""
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]

    @cached_property
    def _derived(self) -> dict[tuple, object]:
        return {}

    def month_summary(self, month: str | None = None) -> pd.DataFrame:
        return self.summary[self.summary["month"] == (month or self.month)].reset_index(drop=True)

    @property
    def months(self) -> list[str]:
        return sorted(self.summary["month"].unique())


def changes(summary: pd.DataFrame, month: str, decimals: int, pass_line: float = float("nan")) -> pd.DataFrame:
    """Each unit's total and rank this month against the month before (NaN when there is none).
    `delta_total` is the difference of the totals as printed (`decimals`), so that 较上月 always
    equals the difference of the two printed totals; `gap` = pass line − printed total (index
    points, as printed), 0 for a unit at or above the line."""
    now = summary[summary["month"] == month].set_index("unit")
    before = summary[summary["month"] == previous_month(month)].set_index("unit")
    out = now[["name", "tier", "total", "total_rounded", "rank", "tier_rank", "pass"]].copy()
    out["prev_total"] = before["total"].reindex(out.index)
    out["prev_rank"] = before["rank"].reindex(out.index)
    delta = out["total_rounded"] - engine.rounded(out["prev_total"], decimals)
    out["delta_total"] = engine.rounded(delta, decimals)
    out["rank_change"] = out["prev_rank"] - out["rank"]
    out["gap"] = engine.rounded(pass_line - out["total_rounded"], decimals).clip(lower=0.0)
    return out.reset_index()


def crossings(summary: pd.DataFrame, month: str) -> pd.DataFrame:
    """The units whose 达标 differs from the month before: direction 'up' (达标 now, not before)
    or 'down' (no longer), with the printed totals before and now; units in summary order."""
    now = summary[summary["month"] == month].set_index("unit")
    before = summary[summary["month"] == previous_month(month)].set_index("unit").reindex(now.index)
    have = before["pass"].notna()
    was = before["pass"].where(have, False).astype(bool)
    moved = now[have & (now["pass"].astype(bool) != was)]
    out = pd.DataFrame({"unit": moved.index, "direction": ["up" if p else "down" for p in moved["pass"]],
                        "prev_total_rounded": before.loc[moved.index, "total_rounded"].to_numpy(dtype=float),
                        "total_rounded": moved["total_rounded"].to_numpy(dtype=float)})
    return out.reset_index(drop=True)


PHASES = ("before", "arrangement", "creation", "acceptance", "after")


def timeline(months: list[str], creation_months: tuple[int, ...], acceptance_month: int) -> pd.DataFrame:
    """Each scored month (oldest first): its phase of the creation programme (临信用办〔2019〕6号
    三、工作安排) — arrangement (安排部署: the month before the first creation month), creation
    (全面创建), acceptance (总结验收), else before (no programme month earlier in the data) or after —,
    the months left to the acceptance month, and `shown`: True from the latest arrangement month
    up to the last month (the months a trend shows; all months when the data holds no arrangement month)."""
    arrangement = (min(creation_months) - 2) % 12 + 1
    numbers = [int(m.split("-")[1]) for m in months]
    phase = ["arrangement" if n == arrangement else "creation" if n in creation_months
             else "acceptance" if n == acceptance_month else "" for n in numbers]
    started = [any(phase[: i + 1]) for i in range(len(phase))]
    phase = [p or ("after" if s else "before") for p, s in zip(phase, started, strict=True)]
    starts = [i for i, p in enumerate(phase) if p == "arrangement"]
    first = starts[-1] if starts else 0
    return pd.DataFrame({"month": months, "phase": phase,
                         "months_left": [(acceptance_month - n) % 12 for n in numbers],
                         "shown": [i >= first for i in range(len(months))]})


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
