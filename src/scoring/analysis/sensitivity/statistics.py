"""What the draws give (totals, ranks, 达标) and the statistics read off them.

Per draw d and unit u: the total; the printed total (`engine.rounded_array`); its rank among
the units, highest first, ties sharing the better rank ('min', as the engine and COINr's
`rank(-x, ties.method = "min")`); 达标 = printed total ≥ the draw's pass line.

Per unit over the D draws (numpy.quantile with `statistics.quantile_method`; default
'linear' = R's type 7, x_(⌊h⌋) + (h − ⌊h⌋)(x_(⌊h⌋+1) − x_(⌊h⌋)), h = (D − 1) p + 1):
median_rank (p = 0.5), rank_p05 (p = 0.05), rank_p95 (p = 0.95); pass_probability = share of
draws with 达标; moved = share of draws whose rank differs from the published rank.
Per set of draws: spearman = mean over draws of Spearman's ρ (Pearson correlation of the
average ranks, `scipy.stats.pearsonr`'s arithmetic) between the draw's printed totals and the
published ones; mean_abs_shift = mean |rank − published rank|; share_moved_gt2 = share of draw ×
unit pairs more than MOVED_PLACES places away.

Linear in units: a printed total is k / 10^decimals for an integer k, so when the printed totals
of a block span few such steps (KEY_SPAN_PER_UNIT) the ranks are counted, not sorted — per draw a
histogram of the keys, ranks = 1 + the units above, average ranks from the units below and the
ties (`counted_ranks`; the same integers as a sort); ρ is pearsonr's statistic computed on the
block at once (`pearson_rows`, the same floating-point operations row by row, without p-values).
A block is rounded, ranked and correlated RANK_CELLS draws × units at a time (the temporaries stay
in cache; row by row the same operations). The tally (tally.py) keeps no draws × units array; a
block's repeated draws are tallied once per distinct draw × how often it was drawn.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from scoring.analysis.sensitivity.design import Draws
from scoring.analysis.sensitivity.model import MonthModel
from scoring.analysis.sensitivity.tally import MOVED_PLACES, Tally

PERCENTILES = (5, 95)
QUANTILES = [PERCENTILES[0] / 100, 0.5, PERCENTILES[1] / 100]  # rank_p05, median_rank, rank_p95
KEY_SPAN_PER_UNIT = 64  # ranks are counted when a block's printed totals span ≤ this × units steps
KEY_ROWS_BUDGET = 1 << 15  # histogram cells (draws × key span) counted at once (with their sums: in L2)
RANK_CELLS = 1 << 16  # draws × units rounded, ranked and correlated at once (stays in cache)


@dataclass
class DrawsOutcome:
    """Totals, ranks and 达标 of D draws; rho: Spearman's ρ of each draw with the published totals.
    Tallied (`tally_draws`): totals, ranks and passed are None and `tally` holds what the
    statistics need."""

    totals: np.ndarray | None  # (D, U)
    ranks: np.ndarray | None  # (D, U) int32
    passed: np.ndarray | None  # (D, U) bool
    rho: np.ndarray  # (D,)
    tally: Tally | None = None


_Block = tuple[slice, np.ndarray | None, np.ndarray, np.ndarray, np.ndarray]


def draw_blocks(model: MonthModel, draws: Draws, epsilon: float, spearman: bool = True,
                totals: bool = True) -> Iterator[_Block]:
    """Per block of draws: its slice, totals (None unless `totals`), ranks ('min', highest first),
    达标, ρ (NaN unless `spearman`). Draws whose inputs repeat within a block (a family varying only
    the pass line, or only the aggregation) are scored once and copied (`_distinct`)."""
    for s, found, shown, ranks, rho, back in _scored(model, draws, epsilon, spearman):
        if back is not None:
            found, shown, ranks, rho = (found[back] if totals else None), shown[back], ranks[back], rho[back]
        yield s, found if totals else None, ranks, shown >= draws.pass_line[s, None], rho


def _scored(model: MonthModel, draws: Draws, epsilon: float, spearman: bool) -> Iterator[tuple]:
    """Per block: its slice, and the totals, printed totals, ranks and ρ of its distinct draws with
    each draw's row among them (`back`; None when every draw is scored)."""
    nominal_avg = stats.rankdata(model.shown(model.nominal["total"].to_numpy(dtype=float)), method="average")
    for start in range(0, len(draws), model.chunk):
        s = slice(start, start + model.chunk)
        inputs = (draws.leaf_points[s], None if draws.choice is None else draws.choice[s],
                  None if draws.geometric is None else draws.geometric[s],
                  None if draws.share is None else draws.share[s])
        first, back = _distinct(*inputs)
        if first is not None:
            inputs = tuple(None if a is None else a[first] for a in inputs)
        leaf, choice, geometric, share = inputs
        found = model.totals(leaf, choice, geometric, epsilon, share)
        yield (s, found, *_ranked(model, found, nominal_avg, spearman), back)


def _ranked(model: MonthModel, found: np.ndarray, nominal_avg: np.ndarray,
            spearman: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A block's printed totals, ranks and ρ (NaN unless `spearman`), RANK_CELLS cells of draws at a
    time: their temporaries stay in cache. Row by row the same operations as the whole block."""
    d, u = found.shape
    decimals = model.spec.display_decimals
    shown, ranks, rho = np.empty_like(found), np.empty((d, u), dtype=np.int32), np.full(d, math.nan)
    step = max(1, RANK_CELLS // max(1, u))
    for start in range(0, d, step):
        s = slice(start, start + step)
        shown[s] = model.shown(found[s])
        if spearman:
            ranks[s], avg = block_ranks(shown[s], decimals)
            rho[s] = pearson_rows(avg, nominal_avg)
        else:
            ranks[s] = block_ranks(shown[s], decimals, averages=False)[0]
    return shown, ranks, rho


def _distinct(*inputs: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(first, back): the first draw of each distinct row of the inputs (floats compared exactly),
    each taken twice, and each draw's position among them — when at most half the draws are
    distinct; else (None, None). Twice: a product of one row goes through BLAS's matrix × vector,
    whose last bits differ from the matrix × matrix every other block (and its geometric rows) takes."""
    cols = [np.asarray(a, dtype=float).reshape(len(a), -1) for a in inputs if a is not None]
    key = np.hstack(cols)
    if len(key) < 2:
        return None, None
    # Equal rows have equal projections: more than half distinct projections, more than half distinct rows.
    projection = key @ np.sqrt(np.arange(2.0, key.shape[1] + 2.0))
    if 2 * len(np.unique(projection)) > len(key):
        return None, None
    _, first, back = np.unique(key, axis=0, return_index=True, return_inverse=True)
    if 2 * len(first) > len(key):
        return None, None
    return np.repeat(first, 2), 2 * back.reshape(-1)


def block_ranks(shown: np.ndarray, decimals: int, averages: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Per row of printed totals: the 'min' ranks, highest first (int32), and the ascending average
    ranks (rankdata 'average'; None unless `averages`): counted from the integer keys when they span
    few steps (counted_ranks), else sorted (min_ranks, average_ranks). The same numbers either way."""
    keys = printed_keys(shown, decimals)
    if keys is not None and shown.size:
        span = int(keys.max()) - int(keys.min()) + 1
        if span <= KEY_SPAN_PER_UNIT * shown.shape[1]:
            return counted_ranks(keys, averages)
    ranks = min_ranks(shown)
    return ranks, (average_ranks(ranks) if averages else None)


def printed_keys(shown: np.ndarray, decimals: int) -> np.ndarray | None:
    """Integers k with shown = k / 10^decimals exactly (same order, same ties as `shown`), or None
    when a value is not such a number (NaN, infinite, another rounding)."""
    scale = 10.0 ** decimals
    keys = shown * scale
    np.rint(keys, out=keys)
    if keys.size and not (np.isfinite(keys.min()) and np.isfinite(keys.max())):  # NaN or ±inf
        return None
    if not np.array_equal(keys / scale, shown):
        return None
    return keys.astype(np.int64)


def counted_ranks(keys: np.ndarray, averages: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Ranks of every row of integer `keys` without sorting: per row a histogram of the keys;
    'min' rank (highest first) = 1 + units with a larger key = U + 1 − units with a key ≤ its own;
    ascending average rank = units with a smaller key + (units with this key + 1) / 2 = units with
    a key ≤ its own − (units with this key − 1) / 2 (None unless `averages`). The rows' histograms
    lie one after the other and are summed at once: row i's running count starts at i × U.
    O(rows × (units + key span))."""
    d, u = keys.shape
    low = int(keys.min()) if keys.size else 0
    span = int(keys.max()) - low + 1 if keys.size else 1
    ranks, avg = np.empty((d, u), dtype=np.int32), (np.empty((d, u)) if averages else None)
    step = max(1, KEY_ROWS_BUDGET // span)
    for start in range(0, d, step):
        k = keys[start:start + step]
        rows = k.shape[0]
        base = np.arange(rows, dtype=np.int64)
        flat = k + (base * span - low)[:, None]
        counts = np.bincount(flat.ravel(), minlength=rows * span)
        upto = np.cumsum(counts)[flat]
        upto -= (base * u)[:, None]  # units of the row with a key ≤ its own
        np.subtract(u + 1, upto, out=ranks[start:start + rows], casting="unsafe")
        if avg is not None:
            ties = counts[flat]
            ties -= 1
            np.subtract(upto, ties / 2, out=avg[start:start + rows])
    return ranks, avg


def pearson_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """`scipy.stats.pearsonr(a, broadcast b, axis=1).statistic` (scipy 1.17's arithmetic: the same
    floats) for every row of `a` (D, U) with the vector `b` (U,), without the p-values; NaN where a
    row or b is constant."""
    d, u = a.shape
    if d == 0:
        return np.empty(0)
    if u < 2 or np.all(b == b[0]):
        return np.full(d, math.nan)

    def scaled(x: np.ndarray) -> np.ndarray:  # (x − mean) / ‖x − mean‖, scaled by max |x − mean| as pearsonr:
        xm = x - np.mean(x, axis=-1, keepdims=True)  # xm / (xmax × numpy.linalg.norm(xm / xmax, axis=-1)),
        xmax = np.max(np.abs(xm), axis=-1, keepdims=True)  # the norm as numpy computes it: √Σ t × t
        with np.errstate(invalid="ignore", divide="ignore"):
            t = xm / xmax
            np.multiply(t, t, out=t)
            xmax *= np.sqrt(np.add.reduce(t, axis=-1, keepdims=True))
            xm /= xmax
        return xm

    const = np.all(a == a[:, :1], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.vecdot(scaled(a), np.broadcast_to(scaled(b), a.shape), axis=-1)
    r = np.clip(r, -1.0, 1.0)
    r[const] = math.nan
    return np.round(r) if u == 2 else r


def min_ranks(shown: np.ndarray) -> np.ndarray:
    """Ranks of every row, highest first, ties sharing the better rank: scipy.stats.rankdata(-shown,
    'min', axis=1) as int32 (ranks ≤ units: half of int64), from one stable sort per row."""
    d, u = shown.shape
    order = np.argsort(-shown, axis=1, kind="stable")
    ordered = np.take_along_axis(shown, order, axis=1)
    first = np.ones((d, u), dtype=bool)
    first[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    place = np.where(first, np.arange(1, u + 1, dtype=np.int32), np.int32(0))
    np.maximum.accumulate(place, axis=1, out=place)
    ranks = np.empty((d, u), dtype=np.int32)
    np.put_along_axis(ranks, order, place, axis=1)
    return ranks


def score_draws(model: MonthModel, draws: Draws, epsilon: float) -> DrawsOutcome:
    """Score every draw (a block of draws at a time: the temporaries grow with the units, not the
    draws); the totals, ranks and 达标 of every draw are kept (D × U each)."""
    n, u = len(draws), len(model.units)
    totals, ranks, passed = np.empty((n, u)), np.empty((n, u), dtype=np.int32), np.empty((n, u), dtype=bool)
    rho = np.empty(n)
    for s, t, r, p, q in draw_blocks(model, draws, epsilon):
        totals[s], ranks[s], passed[s], rho[s] = t, r, p, q
    return DrawsOutcome(totals, ranks, passed, rho)


def tally_draws(model: MonthModel, draws: Draws, epsilon: float) -> DrawsOutcome:
    """Score every draw block by block and keep only their Tally and ρ: memory bounded by a block
    (MonthModel.chunk draws) and the U × U rank counts, whatever the number of draws. The
    statistics equal score_draws's (the same blocks, the same arithmetic)."""
    nominal_rank = model.nominal["rank"].to_numpy()
    tally, rho = Tally.empty(len(model.units)), np.empty(len(draws))
    for s, _found, shown, ranks, q, back in _scored(model, draws, epsilon, spearman=True):
        line = draws.pass_line[s]
        if back is not None and np.isfinite(line).all() and not np.isnan(shown).any():
            tally.add_repeated(ranks, shown, back, line, nominal_rank)
        else:
            if back is not None:
                shown, ranks = shown[back], ranks[back]
            tally.add(ranks, shown >= line[:, None], nominal_rank)
        rho[s] = q if back is None else q[back]
    return DrawsOutcome(None, None, None, rho, tally.settle(QUANTILES))


def spearman_rows(shown: np.ndarray, nominal_shown: np.ndarray, ranks: np.ndarray | None = None) -> np.ndarray:
    """Spearman's ρ of every row of `shown` with `nominal_shown`: `scipy.stats.pearsonr` of the
    average ranks (`scipy.stats.rankdata`), row by row (pearson_rows: the same floats); NaN where
    either side is constant. `ranks`: the rows' ranks as the draws have them ('min', highest
    first), from which the average ranks follow without sorting again."""
    a = stats.rankdata(shown, method="average", axis=1) if ranks is None else average_ranks(ranks)
    b = stats.rankdata(nominal_shown, method="average")
    if not a.size:
        return np.full(shown.shape[0], math.nan)
    return pearson_rows(np.asarray(a, dtype=float), np.asarray(b, dtype=float))


def average_ranks(ranks: np.ndarray) -> np.ndarray:
    """Ascending average ranks (rankdata 'average' of the values) from descending 'min' ranks, row by
    row: a tie of k units whose best rank is r holds places r … r + k − 1 from the top, so its
    average rank from the bottom is U + 1 − (r + (k − 1)/2) — half-integers, exact."""
    d, u = ranks.shape
    flat = (np.arange(d)[:, None] * (u + 1) + ranks).ravel()
    size = np.bincount(flat, minlength=d * (u + 1)).reshape(d, u + 1)
    return (u + 1) - (ranks + (np.take_along_axis(size, ranks, axis=1) - 1) / 2)


def mean_spearman(shown: np.ndarray, nominal_shown: np.ndarray) -> float:
    """Mean over draws of Spearman's ρ between a draw's totals and the nominal totals
    (Pearson correlation of average ranks, scipy.stats.pearsonr row by row); draws where
    either side is constant are left out."""
    return mean_rho(spearman_rows(shown, nominal_shown))


def mean_rho(rho: np.ndarray) -> float:
    return float(np.nanmean(rho)) if np.isfinite(rho).any() else math.nan


def unit_statistics(outcome: DrawsOutcome, nominal_rank: np.ndarray, method: str) -> dict[str, np.ndarray]:
    """Per unit: median_rank, rank_p05, rank_p95 (numpy.quantile `method`), pass_probability, moved."""
    if outcome.tally is not None:
        t = outcome.tally
        p05, median, p95 = t.quantiles(QUANTILES)
        return {"median_rank": median, "rank_p05": p05, "rank_p95": p95, "pass_probability": t.passed / t.draws,
                "moved": t.moved / t.draws}
    p05, median, p95 = np.quantile(outcome.ranks, QUANTILES, axis=0,
                                   method=method)
    return {"median_rank": median, "rank_p05": p05.astype(float), "rank_p95": p95.astype(float),
            "pass_probability": outcome.passed.mean(axis=0), "moved": (outcome.ranks != nominal_rank).mean(axis=0)}


def summary_frame(units: list[str], nominal_rank: np.ndarray, outcome: DrawsOutcome, method: str,
                  columns: list[str], **extra: object) -> pd.DataFrame:
    """The per-unit statistics as a table with `columns` (extra: constant columns such as family)."""
    found = unit_statistics(outcome, nominal_rank, method)
    frame = pd.DataFrame({**extra, "unit": units, "nominal_rank": nominal_rank, **found})
    return frame[columns]


def family_row(code: str, label: str, outcome: DrawsOutcome, nominal_rank: np.ndarray) -> dict[str, object]:
    """One row of sensitivity_scenarios: family, label, draws, spearman, mean_abs_shift, share_moved_gt2."""
    if outcome.tally is not None:
        t = outcome.tally
        size = t.draws * len(nominal_rank)
        _moved, shift, far = t._shifts()
        return {"family": code, "label": label, "draws": int(t.draws), "spearman": mean_rho(outcome.rho),
                "mean_abs_shift": shift / size, "share_moved_gt2": far / size}
    d, step = outcome.ranks.shape[0], max(1, (1 << 22) // max(1, outcome.ranks.shape[1]))
    total, moved = 0, 0
    for start in range(0, d, step):  # in blocks of draws: no draws × units temporary
        shift = np.abs(outcome.ranks[start:start + step].astype(np.int64) - nominal_rank[None, :])
        total += int(shift.sum())
        moved += int((shift > MOVED_PLACES).sum())
    size = outcome.ranks.size
    return {"family": code, "label": label, "draws": int(d), "spearman": mean_rho(outcome.rho),
            "mean_abs_shift": total / size, "share_moved_gt2": moved / size}
