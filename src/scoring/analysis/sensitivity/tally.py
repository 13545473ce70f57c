"""The tally of D draws: how often each unit took each rank, and 达标, summed block by block.

counts[u, r] = draws with unit u at rank r (r = 1 … U), so every statistic of the ranks is read off
the counts exactly: numpy.quantile(ranks, p, method='linear') per unit (the order statistics at
⌊(D − 1) p⌋ and the next, interpolated as numpy does), the draws off the published rank, Σ |rank −
published| and the pairs more than MOVED_PLACES away — the same integers as counting draw by draw.
Memory: U × (U + 1) counts, whatever the number of draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MOVED_PLACES = 2  # share_moved_gt2: units more than this many places from their nominal rank
ROWS_COUNTED = 128  # draws counted into the Tally at once, unit by unit


@dataclass
class Tally:
    """What the statistics need of D draws, summed block by block (no draws × units array):
    counts[u, r] = draws with unit u at rank r (r = 1 … U; column 0 unused) and draws with 达标 per
    unit. Quantiles of the ranks, the draws off the published rank, Σ |rank − published| and the
    pairs more than MOVED_PLACES away follow exactly from the counts (`quantiles`, `moved`, `shift`,
    `far`: integers, the same as counting them draw by draw)."""

    counts: np.ndarray  # (U, U + 1) int64
    passed: np.ndarray  # (U,) int64
    nominal: np.ndarray | None = None  # (U,) the published ranks the shifts are measured from
    draws: int = 0
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)  # of the counts as they are

    @classmethod
    def empty(cls, units: int) -> Tally:
        return cls(np.zeros((units, units + 1), np.int64), np.zeros(units, np.int64))

    def add(self, ranks: np.ndarray, passed: np.ndarray, nominal_rank: np.ndarray) -> None:
        """Count a block of draws: ranks (d, U) 'min' ranks, passed (d, U) bool."""
        self._count(ranks)
        self.passed += np.count_nonzero(passed, axis=0)
        self.nominal = np.asarray(nominal_rank, dtype=np.int64)
        self.draws += ranks.shape[0]

    def add_repeated(self, ranks: np.ndarray, shown: np.ndarray, back: np.ndarray, pass_line: np.ndarray,
                     nominal_rank: np.ndarray) -> None:
        """Count draws given as distinct rows: draw d has the ranks and printed totals of row back[d]
        and its own pass line. Each row counted once × its draws; 达标 of a unit in a row's draws =
        their pass lines ≤ its printed total (searchsorted on the sorted lines: the same count as
        comparing draw by draw; no NaN)."""
        many = np.bincount(back, minlength=len(ranks))
        self._count(ranks, many)
        order = np.lexsort((pass_line, back))
        lines, ends = pass_line[order], np.cumsum(many)
        for row in np.flatnonzero(many):
            self.passed += np.searchsorted(lines[ends[row] - many[row]:ends[row]], shown[row], side="right")
        self.nominal = np.asarray(nominal_rank, dtype=np.int64)
        self.draws += len(back)

    def _count(self, ranks: np.ndarray, many: np.ndarray | None = None) -> None:
        """counts[u, ranks[d, u]] += 1 (or many[d]), in place. Single draws: ROWS_COUNTED rows at a
        time unit by unit (the transposed rows), so a unit's row of counts stays in cache while its
        draws are counted (ufunc.at). A row of many draws: its cells are distinct, added at once."""
        d, u = ranks.shape
        self._memo.clear()
        cells = self.counts.reshape(-1)
        if many is not None:
            offset = np.arange(u, dtype=np.int64) * (u + 1)
            for row in np.flatnonzero(many):
                cells[offset + ranks[row]] += many[row]
            return
        offset = (np.arange(u, dtype=np.int64) * (u + 1))[:, None]
        for start in range(0, d, ROWS_COUNTED):
            np.add.at(cells, (ranks[start:start + ROWS_COUNTED].T + offset).ravel(), 1)

    def _shifts(self) -> tuple[np.ndarray, int, int]:
        """(moved per unit, Σ |rank − published|, pairs with |rank − published| > MOVED_PLACES) from
        the counts: Σ_r counts[u, r] × |r − published_u|, a block of units at a time."""
        u = self.counts.shape[0]
        if self.nominal is None:
            return np.zeros(u, np.int64), 0, 0
        if "shifts" in self._memo:
            return self._memo["shifts"]
        held = (self.nominal >= 0) & (self.nominal <= u)  # a published rank no draw can take: every draw moved
        moved = self.draws - np.where(held, self.counts[np.arange(u), np.clip(self.nominal, 0, u)], 0)
        shift, far, step = 0, 0, max(1, (1 << 20) // (u + 1))
        places = np.arange(u + 1, dtype=np.int64)
        for start in range(0, u, step):
            counts = self.counts[start:start + step]
            gap = np.abs(places[None, :] - self.nominal[start:start + step, None])
            shift += int((counts * gap).sum())
            far += int(counts[gap > MOVED_PLACES].sum())
        self._memo["shifts"] = moved, shift, far
        return moved, shift, far

    @property
    def moved(self) -> np.ndarray:
        return self._shifts()[0]

    @property
    def shift(self) -> int:
        return self._shifts()[1]

    @property
    def far(self) -> int:
        return self._shifts()[2]

    def _orders(self, ks: set[int]) -> dict[int, np.ndarray]:
        """The k-th smallest rank (0-based) of every unit for each k: the units' running counts (cumsum
        over ranks) + u × (D + 1) lie one after the other, rising throughout, so one searchsorted finds
        every unit's (its running counts ≤ k). Kept per k (U floats), not the running counts."""
        memo = self._memo.setdefault("orders", {})
        missing = sorted(k for k in ks if k not in memo)
        if missing:
            n, u = self.draws, self.counts.shape[0]
            starts = np.arange(u, dtype=np.int64)
            runs = np.cumsum(self.counts, axis=1)
            runs += (starts * (n + 1))[:, None]
            runs = runs.ravel()
            for k in missing:
                memo[k] = (np.searchsorted(runs, starts * (n + 1) + k, side="right") - starts * (u + 1)).astype(float)
        return memo

    def _spots(self, ps: list[float]) -> list[tuple[int, int, np.float64]]:
        """Per p: numpy's 'linear' positions ⌊(D − 1) p⌋, the next, and the fraction between them."""
        n, out = self.draws, []
        for p in ps:
            virtual = (n - 1) * np.float64(p)
            below = np.floor(virtual)
            out.append((int(below), min(int(below) + 1, n - 1), virtual - below))
        return out

    def settle(self, ps: list[float]) -> Tally:
        """Compute now what the statistics will read of the counts (in the family's own thread): the
        order statistics of the quantiles `ps`, the shifts."""
        self._orders({k for below, after, _gamma in self._spots(ps) for k in (below, after)})
        self._shifts()
        return self

    def quantiles(self, ps: list[float]) -> list[np.ndarray]:
        """Per unit, numpy.quantile(ranks, p, method='linear') of the counted ranks, for each p: the order
        statistics at ⌊(D − 1) p⌋ and the next, interpolated as numpy's `_lerp` does."""
        spots = self._spots(ps)
        orders = self._orders({k for below, after, _gamma in spots for k in (below, after)})
        out = []
        for below, after, gamma in spots:
            a, b = orders[below], orders[after]
            diff = b - a
            out.append(b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma)
        return out
