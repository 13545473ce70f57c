"""Metric values → fractions (the methods) → points of every metric, indicator, category, total.

Input: a long table of metric values with columns month, unit, metric, value.
Output (`score`): the tidy points table, one row per month × unit × node or metric, columns
  month, unit, level, code, parent, raw_value, fraction (0–1), points, max_points (index
  points), flags. `engine.summary.summarise` turns it into one row per unit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.errors import DataError, ScoringError
from scoring.index import methods
from scoring.index.spec import IndexSpec, Node, Units

MISSING_POLICY = (
    "A metric with no value for a unit in a month scores 0 points and carries the flag "
    "'missing'; it is never imputed. Relative methods compare only the units with a value."
)
FLAG_MISSING = "missing"
POINT_COLUMNS = ["month", "unit", "level", "code", "parent", "raw_value", "fraction",
                 "points", "max_points", "flags"]


def check_metric_table(spec: IndexSpec, units: Units, metrics: pd.DataFrame, source: str = "metrics") -> None:
    """Refuse a metric table with unknown units or metric codes, duplicates or non-numbers."""
    required = {"month", "unit", "metric", "value"}
    missing_cols = required - set(metrics.columns)
    if missing_cols:
        raise DataError(f"{source}: missing columns {sorted(missing_cols)}")
    problems = []
    known_units = set(units.codes)
    known_metrics = {m.code for m in spec.metrics()}
    bad_unit = ~metrics["unit"].isin(known_units).to_numpy()  # vectorised: rows = units × metrics × months
    bad_code = ~metrics["metric"].isin(known_metrics).to_numpy()
    for i in np.flatnonzero(bad_unit | bad_code):
        row, unit, code = i + 2, metrics["unit"].iloc[i], metrics["metric"].iloc[i]
        if bad_unit[i]:
            problems.append(f"{source}: row {row}, column 'unit': {unit!r} is not a unit in params/units.yaml")
        if bad_code[i]:
            problems.append(f"{source}: row {row}, column 'metric': {code!r} is not a metric of the index")
    for row in np.flatnonzero(_duplicated(metrics)):
        r = metrics.iloc[row]
        problems.append(f"{source}: row {row + 2}: duplicate value for "
                        f"({r['month']}, {r['unit']}, {r['metric']})")
    values = pd.to_numeric(metrics["value"], errors="coerce")
    for row in np.flatnonzero((values.isna() & metrics["value"].notna()).to_numpy()):
        problems.append(f"{source}: row {row + 2}, column 'value': {metrics['value'].iloc[row]!r} is not a number")
    if problems:
        raise DataError(f"{source}: {len(problems)} problem(s)", problems=problems)


def _duplicated(metrics: pd.DataFrame) -> np.ndarray:
    """`metrics.duplicated(["month", "unit", "metric"], keep=False)` as a boolean array, computed on
    one integer key per row (the three columns factorised; empty cells equal, as pandas takes them)."""
    key = np.zeros(len(metrics), dtype=np.int64)
    for col in ("month", "unit", "metric"):
        codes, uniques = pd.factorize(metrics[col].to_numpy(dtype=object), use_na_sentinel=True)
        key = key * (len(uniques) + 1) + (codes + 1)
    return pd.Series(key).duplicated(keep=False).to_numpy()


def metric_fractions(spec: IndexSpec, units: Units, values: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score one month. `values`: units × metric codes (NaN = missing).

    Returns (fractions, missing): both units × metric codes; fractions in [0, 1] with
    missing values scored 0, and a boolean frame marking the missing ones.
    """
    codes = [m.code for m in spec.metrics()]
    values = values.reindex(index=units.codes, columns=codes).astype(float)
    fractions = pd.DataFrame(index=values.index, columns=codes, dtype=float)
    for metric in spec.metrics():
        try:
            f = methods.apply(metric.method, values[metric.code], direction=metric.direction,
                              points=metric.points, params=metric.params)
        except ScoringError as exc:
            lines = [f"metric {metric.code} ({metric.short}, method {metric.method}): {p}" for p in exc.problems]
            raise ScoringError("; ".join(lines), problems=lines) from exc
        fractions[metric.code] = pd.Series(np.clip(f.to_numpy(dtype=float), 0.0, 1.0), index=f.index)  # as f.clip
    missing = values.isna()
    return fractions.fillna(0.0), missing


def score(spec: IndexSpec, units: Units, metrics: pd.DataFrame) -> pd.DataFrame:
    """The tidy points table for every month in `metrics` (see module docstring)."""
    check_metric_table(spec, units, metrics)
    codes = [m.code for m in spec.metrics()]
    frames = []
    for month, values in _month_grids(metrics, units.codes, codes):
        fractions, missing = metric_fractions(spec, units, values)
        frames.append(_tidy_month(spec, month, values, fractions, missing))
    if not frames:
        return pd.DataFrame(columns=POINT_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def _month_grids(metrics: pd.DataFrame, units: list[str], codes: list[str]) -> list[tuple[str, pd.DataFrame]]:
    """Each month of a checked metric table (known units and codes, no duplicates), in month order,
    as units × metric codes (NaN where no value): what a pivot per month, reindexed, gives, filled
    by one assignment into a months × units × metrics array. Rows without a month are left out, as
    `groupby("month")` leaves them."""
    metrics = metrics[metrics["month"].notna()]
    months, month_of = np.unique(metrics["month"].to_numpy(dtype=object).astype(str), return_inverse=True)
    unit_of = pd.Index(units).get_indexer(metrics["unit"].to_numpy(dtype=object))
    code_of = pd.Index(codes).get_indexer(metrics["metric"].to_numpy(dtype=object))
    grid = np.full((len(months), len(units), len(codes)), np.nan)
    grid[month_of, unit_of, code_of] = pd.to_numeric(metrics["value"]).to_numpy(dtype=float)
    index, columns = pd.Index(units, name="unit"), pd.Index(codes, name="metric")
    return [(str(m), pd.DataFrame(grid[i], index=index, columns=columns)) for i, m in enumerate(months)]


def _tidy_month(spec: IndexSpec, month: str, values: pd.DataFrame, fractions: pd.DataFrame,
                missing: pd.DataFrame) -> pd.DataFrame:
    """One month's points rows: the nodes from the root down (each before its children, the last child
    first), then the metrics in reverse index order; each block one row per unit. Built as whole
    columns (one frame per month, not one per metric)."""
    unit_codes = np.asarray(values.index, dtype=object)
    n = len(unit_codes)
    blocks: list[dict[str, object]] = []  # one per metric or node, in the order they are computed
    metric_points: dict[str, pd.Series] = {}
    for m in spec.metrics():
        pts = fractions[m.code] * m.points
        metric_points[m.code] = pts
        own = methods.flags(m.method, values[m.code], fractions[m.code]).to_numpy()  # the method's own flags
        flags = np.where(own != "", own, np.where(missing[m.code], FLAG_MISSING, ""))
        blocks.append({"level": spec.levels[-1] if spec.levels else "metric", "code": m.code, "parent": m.parent,
                       "raw_value": values[m.code].to_numpy(dtype=float), "fraction": fractions[m.code].to_numpy(),
                       "points": pts.to_numpy(), "max_points": m.points, "flags": flags})

    def aggregate(node: Node, parent: str) -> pd.Series:
        parts = [metric_points[m.code] for m in node.metrics]
        parts += [aggregate(child, node.code) for child in node.children]
        pts = sum(parts[1:], parts[0])
        blocks.append({"level": node.level, "code": node.code, "parent": parent, "raw_value": np.nan,
                       "fraction": (pts / node.points).to_numpy(), "points": pts.to_numpy(),
                       "max_points": node.points, "flags": ""})
        return pts

    aggregate(spec.root, "")
    blocks.reverse()

    def column(name: str, dtype: object = None) -> np.ndarray:
        if all(np.ndim(b[name]) == 0 for b in blocks):  # one value per block
            return np.repeat(np.asarray([b[name] for b in blocks], dtype=dtype), n)
        parts = [np.full(n, b[name], dtype=dtype) if np.ndim(b[name]) == 0 else np.asarray(b[name], dtype=dtype)
                 for b in blocks]
        return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)

    text = pd.StringDtype(na_value=np.nan)
    out = pd.DataFrame({
        "month": pd.array(np.full(n * len(blocks), month, dtype=object), dtype=text),
        "unit": pd.array(np.tile(unit_codes, len(blocks)), dtype=text),
        "level": pd.array(column("level", object), dtype=text), "code": pd.array(column("code", object), dtype=text),
        "parent": pd.array(column("parent", object), dtype=text), "raw_value": column("raw_value", float),
        "fraction": column("fraction", float), "points": column("points", float),
        "max_points": column("max_points"), "flags": pd.array(column("flags", object), dtype=text),
    })
    return out[POINT_COLUMNS]
