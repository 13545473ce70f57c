"""Remove one node (an indicator, a category …): every unit's rank without it, the rest rescaled."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.analysis.sensitivity.model import MonthModel, build_model
from scoring.analysis.sensitivity.tables import REMOVE_ONE_COLUMNS
from scoring.errors import SpecError
from scoring.index.spec import IndexSpec, Units


def remove_one(spec: IndexSpec, units: Units, values: pd.DataFrame, level: str | None = None,
               rescale: str = "total", *, model: MonthModel | None = None) -> pd.DataFrame:
    """Every unit's rank with one node of `level` dropped (default: the leaves — the indicators).

    rescale 'total' (default): the other leaves × T / (T − P_dropped), so the total stays T.
    rescale 'parent' (COINr's remove_elements, the rule of a weights file): the dropped node's
    siblings are rescaled to their parent's points, everything else keeps its points; a node
    that is its parent's only child takes the parent with it (and so on up).
    Columns: unit, dropped (node code), nominal_rank, rank_without, shift
    (= nominal_rank − rank_without: > 0 the unit moves up without that node, as
    history's rank_change). Methods and the arithmetic aggregation stay nominal; relative
    methods keep comparing all units (dropping a node does not rescore the others).
    Ranks use the totals rounded as printed, as the engine's.
    """
    model = build_model(spec, units, values) if model is None else model
    tree = model.tree
    level = level or tree.depths[-1].level
    if level == tree.metric_level:
        raise SpecError(f"remove-one works on the nodes of the index, not on its {level!r} level")
    depth = tree.depth(level)
    k = len(depth.codes)
    if k < 2:
        raise SpecError(f"remove-one needs an index with at least two nodes at level {level!r}")
    nominal_rank = model.nominal["rank"].to_numpy()
    if rescale == "total":
        dropped = tree.leaf_above[level][None, :] == np.arange(k)[:, None]  # (k, L) leaves under each node
        points = np.where(dropped, 0.0, np.tile(tree.leaf_points, (k, 1)))
        points *= spec.total / points.sum(axis=1, keepdims=True)
    elif rescale == "parent":
        points = np.vstack([_without(model, level, i) for i in range(k)])
    else:
        raise SpecError(f"rescale must be 'total' or 'parent', got {rescale!r}")
    ranks = model.ranks(model.totals(points))
    n_units = len(model.units)
    return pd.DataFrame({
        "unit": np.tile(model.units, k), "dropped": np.repeat(depth.codes, n_units),
        "nominal_rank": np.tile(nominal_rank, k), "rank_without": ranks.ravel(),
        "shift": np.tile(nominal_rank, k) - ranks.ravel(),
    })[REMOVE_ONE_COLUMNS]


def _without(model: MonthModel, level: str, i: int) -> np.ndarray:
    """(1, L) leaf points with node i of `level` dropped by the parent rule."""
    tree = model.tree
    levels = [d.level for d in tree.depths]
    at = levels.index(level)
    while at > 0 and np.count_nonzero(tree.depths[at].parent == tree.depths[at].parent[i]) == 1:
        i, at = int(tree.depths[at].parent[i]), at - 1  # an only child: its parent goes too
    d = tree.depths[at]
    if at == 0 and len(d.codes) == 1:
        raise SpecError("remove-one: dropping that node would leave nothing of the index")
    raw = d.points.copy()
    raw[i] = 0.0
    leaf, _ = tree.fit({d.level: raw[None, :]}, None, 1)
    return leaf
