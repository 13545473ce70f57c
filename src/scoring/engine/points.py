"""Metric values → fractions (the methods) → points of every metric, indicator, category, total.

Input: a long table of metric values with columns month, unit, metric, value.
Output (`score`): the tidy points table, one row per month × unit × node or metric, columns
  month, unit, level, code, parent, raw_value, fraction (0–1), points, max_points (index
  points), flags. `engine.summary.summarise` turns it into one row per unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring.engine.summary import summarise, summarise_nodes
from scoring.engine.tidy import TidyPoints, tidy_points
from scoring.errors import DataError, ScoringError
from scoring.index import methods
from scoring.index.spec import IndexSpec, Units

MISSING_POLICY = (
    "A metric with no value for a unit in a month scores 0 points and carries the flag "
    "'missing'; it is never imputed. Relative methods compare only the units with a value."
)
POINT_COLUMNS = ["month", "unit", "level", "code", "parent", "raw_value", "fraction",
                 "points", "max_points", "flags"]


def check_metric_table(spec: IndexSpec, units: Units, metrics: pd.DataFrame, source: str = "metrics") -> None:
    """Refuse a metric table with unknown units or metric codes, duplicates or non-numbers."""
    _checked_positions(spec, units, metrics, source)


def _checked_positions(spec: IndexSpec, units: Units, metrics: pd.DataFrame, source: str = "metrics",
                       ) -> _Positions | None:
    """check_metric_table, returning where each row goes in the months × metrics × units grid when the
    table is plainly clean (every unit and code known, every row with a month, numbers, no
    duplicate); None when it passed the general check only (then `_grid` places the rows itself)."""
    required = {"month", "unit", "metric", "value"}
    missing_cols = required - set(metrics.columns)
    if missing_cols:
        raise DataError(f"{source}: missing columns {sorted(missing_cols)}")
    found = _clean_positions(units.codes, [m.code for m in spec.metrics()], metrics)
    if found is not None:
        return found
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
    return None


@dataclass(frozen=True)
class _Positions:
    """Each row's month (index into `months`, sorted as text), unit and metric (indices into the units
    and the metric codes)."""

    months: list[str]
    month_of: np.ndarray
    unit_of: np.ndarray
    code_of: np.ndarray


def _clean_positions(unit_codes: list[str], codes: list[str], metrics: pd.DataFrame) -> _Positions | None:
    """The rows' positions when the check can find no problem (known units and codes, by hash
    equality as isin; months present; a numeric value column; each (month, unit, metric) once —
    the key of the three positions, as `_duplicated` factorises them); else None."""
    if metrics["value"].dtype.kind not in "fiu":
        return None
    unit_of, code_of = _indices(metrics["unit"], unit_codes), _indices(metrics["metric"], codes)
    month_codes, month_values = _factorized(metrics["month"])
    if len(metrics) and min(unit_of.min(), code_of.min(), month_codes.min()) < 0:
        return None
    key = (month_codes * len(unit_codes) + unit_of) * len(codes) + code_of
    size = len(month_values) * len(unit_codes) * len(codes)
    once = ((np.bincount(key, minlength=1).max(initial=0) <= 1) if size <= 8 * len(key) + (1 << 20)
            else len(np.unique(key)) == len(key))
    if not once:
        return None
    months, inverse = np.unique(np.asarray(month_values, dtype=object).astype(str), return_inverse=True)
    return _Positions([str(m) for m in months], inverse[month_codes].reshape(-1), unit_of, code_of)


def _indices(values: pd.Series, labels: list[str]) -> np.ndarray:
    """Each value's position in `labels` (−1: not there, or empty), by hash equality as isin: the
    column factorised, each distinct value looked up once."""
    found, distinct = _factorized(values)
    return np.append(pd.Index(labels).get_indexer(distinct), -1)[found]


def _factorized(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """`pd.factorize` of the column as objects (codes, −1 for empty; the distinct values): of a
    categorical column, its codes and the categories that occur (no value looked at per row)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy(dtype=np.int64)
        present = np.zeros(len(values.cat.categories), dtype=bool)
        present[codes[codes >= 0]] = True
        if not present.all():  # categories without a row: left out, as factorize leaves them
            return _factorized(values.cat.remove_unused_categories())
        return codes, values.cat.categories.to_numpy(dtype=object)
    return pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)


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
    grid = np.ascontiguousarray(values.to_numpy(dtype=float).T)[np.newaxis]
    try:
        found = _grid_fractions(spec, grid, values.index)[0].T
    except Exception:  # any failure: the plain loop decides (and words the error)
        return _metric_fractions_plain(spec, values)
    return pd.DataFrame(found, index=values.index, columns=codes), values.isna()


def _metric_fractions_plain(spec: IndexSpec, values: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """metric_fractions one metric at a time through `methods.apply` (the reference; its errors)."""
    fractions = pd.DataFrame(index=values.index, columns=values.columns, dtype=float)
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


def _grid_fractions(spec: IndexSpec, grid: np.ndarray, unit_index: pd.Index) -> np.ndarray:
    """months × metrics × units values (NaN = missing) → fractions clipped to [0, 1], missing 0.
    Parameters are validated once per metric; a relative method scores each month on its own (a
    Series indexed by unit), any other — a function of each value alone — all months in one call.
    Raises what a method raises (metric_fractions / score then run the plain loop)."""
    months, _, n = grid.shape
    out = np.empty_like(grid)
    for j, metric in enumerate(spec.metrics()):
        method = methods.CATALOGUE[metric.method]
        scorer = method.scorer(direction=metric.direction, points=metric.points, params=metric.params)
        if method.relative:
            for i in range(months):
                out[i, j] = scorer(pd.Series(grid[i, j], index=unit_index)).to_numpy(dtype=float)
        else:
            out[:, j] = scorer(pd.Series(grid[:, j].reshape(-1))).to_numpy(dtype=float).reshape(months, n)
    np.clip(out, 0.0, 1.0, out=out)
    out[np.isnan(out)] = 0.0
    return out


@dataclass(frozen=True)
class CheckedMetrics:
    """A metric table that passed check_metric_table (`checked_metrics`), with where its rows go."""

    frame: pd.DataFrame
    positions: _Positions | None  # None: a table the general check passed (rows placed by `_grid`)


def checked_metrics(spec: IndexSpec, units: Units, metrics: pd.DataFrame, source: str = "metrics") -> CheckedMetrics:
    """check_metric_table(spec, units, metrics, source), keeping what it found for `score_checked`."""
    return CheckedMetrics(metrics, _checked_positions(spec, units, metrics, source))


def score(spec: IndexSpec, units: Units, metrics: pd.DataFrame) -> pd.DataFrame:
    """The tidy points table for every month in `metrics` (see module docstring)."""
    positions = _checked_positions(spec, units, metrics)
    codes = [m.code for m in spec.metrics()]
    if positions is None:
        positions = _place(metrics, units.codes, codes)
    grid = _grid(positions, [metrics], len(codes), len(units.codes))
    return points_frame(_score_grid(spec, units, positions.months, grid)[0])


def score_checked(spec: IndexSpec, units: Units, parts: list[CheckedMetrics]) -> pd.DataFrame:
    """`score(spec, units, pd.concat([p.frame for p in parts], ignore_index=True))` of tables checked
    one by one, without checking them again when no month is in two of them (no row of one can then
    repeat a row of another); otherwise exactly that (the concatenation checked and scored)."""
    return score_and_summarise(spec, units, parts)[0]


def score_and_summarise(spec: IndexSpec, units: Units, parts: list[CheckedMetrics]) -> tuple[pd.DataFrame,
                                                                                              pd.DataFrame]:
    """`score_checked`'s points and their `summarise` (from the nodes' points when they were scored
    here, without reading the points table back)."""
    points, summary = score_and_summarise_tidy(spec, units, parts)
    return points_frame(points), summary


def score_and_summarise_tidy(spec: IndexSpec, units: Units, parts: list[CheckedMetrics],
                             ) -> tuple[TidyPoints | pd.DataFrame, pd.DataFrame]:
    """score_and_summarise, its points as the engine laid them out (`TidyPoints`: any months' rows made
    when asked, `frame()` the whole table) when it scored the months' grid itself, else the table
    (the parts' frames scored together, or no month at all)."""
    months = [p.positions.months for p in parts if p.positions is not None]
    if len(months) < len(parts) or len({m for ms in months for m in ms}) < sum(map(len, months)) or not parts:
        frames = [p.frame for p in parts]
        points = score(spec, units, pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            columns=["month", "unit", "metric", "value"]))
        return points, summarise(spec, units, points)
    every = sorted({m for ms in months for m in ms})
    where = {m: i for i, m in enumerate(every)}
    found = [p.positions for p in parts]
    positions = _Positions(every, np.concatenate([np.asarray([where[m] for m in f.months], dtype=np.int64)[f.month_of]
                                                  for f in found]),
                           np.concatenate([f.unit_of for f in found]), np.concatenate([f.code_of for f in found]))
    grid = _grid(positions, [p.frame for p in parts], len(spec.metrics()), len(units.codes))
    points, nodes = _score_grid(spec, units, every, grid)
    return points, (summarise_nodes(spec, units, every, nodes) if every
                    else summarise(spec, units, points_frame(points)))


def month_rows(points: pd.DataFrame, months: list[str]) -> tuple[tuple[str, int, int], ...] | None:
    """Where each of `months` lies in a points table the engine wrote (`tidy_points`: month after month, in
    order, the same number of rows each): (month, start, stop) of rows; None when the table is not so
    laid out — its length, or the first or last row of a month (the rows between are not looked at)."""
    if not months or not len(points) or len(points) % len(months):
        return None
    size = len(points) // len(months)
    runs = tuple((m, i * size, (i + 1) * size) for i, m in enumerate(months))
    ends = points["month"].iloc[[k for _, a, b in runs for k in (a, b - 1)]].to_numpy(dtype=object)
    if any(e != m for e, m in zip(ends.tolist(), [m for m in months for _ in (0, 1)], strict=True)):
        return None
    return runs


def points_frame(points: TidyPoints | pd.DataFrame) -> pd.DataFrame:
    """The points table (of every month, when laid out as TidyPoints)."""
    return points.frame() if isinstance(points, TidyPoints) else points


def _score_grid(spec: IndexSpec, units: Units, months: list[str], grid: np.ndarray,
                ) -> tuple[TidyPoints | pd.DataFrame, dict[str, np.ndarray]]:
    """The tidy points of a months × metric codes × units array of values (an empty table without
    months), and each node's points (months × units)."""
    if not months:
        return pd.DataFrame(columns=POINT_COLUMNS), {}
    index = pd.Index(units.codes, name="unit")
    codes = [m.code for m in spec.metrics()]
    try:
        fractions = _grid_fractions(spec, grid, index)
    except Exception:  # the plain loop, month by month, decides (and words the error)
        fractions = np.stack([_metric_fractions_plain(spec, pd.DataFrame(grid[i].T, index=index, columns=codes))[0]
                              .to_numpy(dtype=float).T for i in range(len(months))])
    return tidy_points(spec, months, units.codes, grid, fractions)


def _place(metrics: pd.DataFrame, units: list[str], codes: list[str]) -> _Positions:
    """Where the rows of a checked metric table (known units and codes, no duplicates) go: months in
    order (as text); rows without a month are left out (month −1), as `groupby("month")` leaves them."""
    dated = metrics["month"].notna().to_numpy()
    months, month_of = np.unique(metrics["month"][dated].to_numpy(dtype=object).astype(str), return_inverse=True)
    month_all = np.full(len(metrics), -1, dtype=np.int64)
    month_all[dated] = month_of.reshape(-1)
    return _Positions([str(m) for m in months], month_all,
                      pd.Index(units).get_indexer(metrics["unit"].to_numpy(dtype=object)),
                      pd.Index(codes).get_indexer(metrics["metric"].to_numpy(dtype=object)))


def _grid(positions: _Positions, frames: list[pd.DataFrame], n_codes: int, n_units: int) -> np.ndarray:
    """The values of `frames` (their rows in order, as `positions` places them) as a months × metric
    codes × units array, NaN where no value: what a pivot per month, reindexed, gives."""
    grid = np.full((len(positions.months), n_codes, n_units), np.nan)
    values = np.concatenate([pd.to_numeric(f["value"]).to_numpy(dtype=float) for f in frames])
    at = (positions.month_of * n_codes + positions.code_of) * n_units + positions.unit_of  # the flat index
    dated = positions.month_of >= 0
    if not dated.all():
        at, values = at[dated], values[dated]
    grid.reshape(-1)[at] = values  # (a view: the grid is new and contiguous)
    return grid
