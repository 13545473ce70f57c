"""The tidy points table of a months × metric codes × units grid, assembled for any run of months.

`tidy_points` computes what every row needs once (each block's raw values, fractions, points and
flags as months × units arrays, the nodes' points); `TidyPoints.frame(first, stop)` lays out the
rows of months first … stop − 1 exactly as the rows of those months in the whole table (`frame()`),
so a month's rows can be had without building every month's (the score stage reads two or three).
Row order: month after month; in a month the nodes from the root down (each before its children,
the last child first), then the metrics in reverse index order; each block one row per unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from scoring.index import methods
from scoring.index.spec import IndexSpec, Node

FLAG_MISSING = "missing"
_STR_DTYPE = pd.StringDtype(na_value=np.nan)


@dataclass(frozen=True)
class _CodeRows:
    """The rows of one node or metric code, one per unit a month: its level, code and parent, and as
    months × units arrays its raw values (None for a node), fractions (0–1), points and flags (codes
    into TidyPoints.flag_texts; None: all ''); `max_points`: its full marks (index points)."""

    level: str
    code: str
    parent: str
    raw_value: np.ndarray | None
    fraction: np.ndarray
    points: np.ndarray
    max_points: float
    flags: np.ndarray | None


@dataclass(frozen=True)
class TidyPoints:
    """The points of `months` (in order) for `unit_codes`: `blocks` in their row order within a month,
    `flag_texts` the flags' texts by code ('' first, then 'missing', then the methods' own flags)."""

    months: list[str]
    unit_codes: list[str]
    blocks: list[_CodeRows]
    flag_texts: list[str]

    @property
    def month_size(self) -> int:
        """Rows per month (every block, one row per unit)."""
        return len(self.blocks) * len(self.unit_codes)

    def month_rows(self) -> tuple[tuple[str, int, int], ...]:
        """(month, start, stop) of each month's rows in `frame()` (engine.month_rows of it)."""
        size = self.month_size
        return tuple((m, i * size, (i + 1) * size) for i, m in enumerate(self.months))

    def frame(self, first: int = 0, stop: int | None = None) -> pd.DataFrame:
        """The points rows of months first … stop − 1 (default: all; as a slice of `months`), columns as
        engine.POINT_COLUMNS, index 0 … rows − 1; built as whole columns of those months (arrays
        months × blocks × units)."""
        first, stop, _ = slice(first, stop).indices(len(self.months))
        count, n, blocks = max(stop - first, 0), len(self.unit_codes), self.blocks
        shape = (count, len(blocks), n)

        def stacked(field: str, empty: float | int) -> np.ndarray:
            out = np.empty(shape, dtype=float if isinstance(empty, float) else np.int64)
            for b, block in enumerate(blocks):
                values = getattr(block, field)
                out[:, b] = empty if values is None else values[first:stop]
            return out.reshape(-1)

        per_block = np.repeat(np.arange(len(blocks)), n)  # (one month's rows)
        return pd.DataFrame({
            "month": _month_texts(self.months[first:stop], len(blocks) * n),
            "unit": _texts(self.unit_codes, np.tile(np.arange(n), len(blocks)), count),
            "level": _texts([b.level for b in blocks], per_block, count),
            "code": _texts([b.code for b in blocks], per_block, count),
            "parent": _texts([b.parent for b in blocks], per_block, count),
            "raw_value": stacked("raw_value", np.nan), "fraction": stacked("fraction", np.nan),
            "points": stacked("points", np.nan),
            "max_points": np.tile(np.asarray([b.max_points for b in blocks])[per_block], count),
            "flags": _texts(self.flag_texts, stacked("flags", 0), 1),
        }, copy=False)


def tidy_points(spec: IndexSpec, months: list[str], unit_codes: list[str], grid: np.ndarray,
                fractions: np.ndarray) -> tuple[TidyPoints, dict[str, np.ndarray]]:
    """The blocks of a months × metric codes × units grid of values (NaN = missing) and its fractions,
    with each node's points (months × units): a metric's points are fraction × its points, a node's
    the sum of its metrics' and children's; a metric's flag is 'missing' where it has no value,
    unless its method flags the unit itself."""
    n_months = grid.shape[0]
    missing = np.isnan(grid)
    index = pd.Index(unit_codes, name="unit")
    vocabulary = {"": 0, FLAG_MISSING: 1}  # the flags' texts, coded
    blocks: list[_CodeRows] = []  # (metrics first; reversed at the end)
    metric_points: dict[str, np.ndarray] = {}
    node_points: dict[str, np.ndarray] = {}
    for j, m in enumerate(spec.metrics()):
        pts = fractions[:, j] * m.points
        metric_points[m.code] = pts
        flags = missing[:, j].astype(np.int64)  # FLAG_MISSING or "" …
        if methods.CATALOGUE[m.method].flag_rule is not None:  # … unless the method flags the unit itself
            for i in range(n_months):
                own = methods.flags(m.method, pd.Series(grid[i, j], index=index),
                                    pd.Series(fractions[i, j], index=index)).to_numpy(dtype=object)
                found, distinct = pd.factorize(own, use_na_sentinel=False)  # (each distinct flag coded once)
                coded = np.array([vocabulary.setdefault(f, len(vocabulary)) for f in distinct.tolist()],
                                 dtype=np.int64)[found]
                flags[i] = np.where(own != "", coded, flags[i])
        blocks.append(_CodeRows(spec.levels[-1] if spec.levels else "metric", m.code, m.parent, grid[:, j],
                            fractions[:, j], pts, m.points, flags))

    def aggregate(node: Node, parent: str) -> np.ndarray:
        parts = [metric_points[m.code] for m in node.metrics]
        parts += [aggregate(child, node.code) for child in node.children]
        pts = sum(parts[1:], parts[0])
        blocks.append(_CodeRows(node.level, node.code, parent, None, pts / node.points, pts, node.points, None))
        node_points[node.code] = pts
        return pts

    aggregate(spec.root, "")
    blocks.reverse()
    return TidyPoints(list(months), list(unit_codes), blocks, list(vocabulary)), node_points


def _texts(values: list[str], codes: np.ndarray, times: int) -> pd.api.extensions.ExtensionArray:
    """`values` taken at `codes`, the whole repeated `times` times, as a text column (pandas' 'str'):
    the texts laid out once, each repetition a chunk sharing them (Arrow)."""
    once = pa.array(values, pa.large_string()).take(pa.array(codes))
    return _STR_DTYPE.__from_arrow__(pa.chunked_array([once] * times, pa.large_string()))


def _month_texts(months: list[str], size: int) -> pd.api.extensions.ExtensionArray:
    """Each month's text repeated `size` times, month after month, as a text column (a chunk a month)."""
    chunks = []
    for month in months:
        data = month.encode("utf-8")
        offsets = np.arange(size + 1, dtype=np.int64) * len(data)
        chunks.append(pa.LargeStringArray.from_buffers(size, pa.py_buffer(offsets), pa.py_buffer(data * size)))
    return _STR_DTYPE.__from_arrow__(pa.chunked_array(chunks, pa.large_string()))
