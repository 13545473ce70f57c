"""Remove one indicator: every unit's rank without it, the others rescaled to keep the total."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.analysis.sensitivity.model import build_model, nominal_table
from scoring.analysis.sensitivity.tables import REMOVE_ONE_COLUMNS
from scoring.errors import SpecError
from scoring.index.spec import IndexSpec, Units


def remove_one(spec: IndexSpec, units: Units, values: pd.DataFrame) -> pd.DataFrame:
    """Every unit's rank with one indicator dropped and the others rescaled by T / (T − P_l).

    Columns: unit, dropped (indicator code), nominal_rank, rank_without, shift
    (= nominal_rank − rank_without: > 0 the unit moves up without that indicator, as
    history's rank_change). Methods and the arithmetic aggregation stay nominal; relative
    methods keep comparing all units (dropping an indicator does not rescore the others).
    Ranks use the totals rounded as printed, as the engine's.
    """
    model = build_model(spec, units, values)
    n_leaves = len(model.leaf_codes)
    if n_leaves < 2:
        raise SpecError("remove-one needs an index with at least two indicators")
    nominal_rank = nominal_table(spec, units, values)["rank"].to_numpy()
    points = np.tile(model.leaf_points, (n_leaves, 1))
    points[np.arange(n_leaves), np.arange(n_leaves)] = 0.0
    points *= spec.total / points.sum(axis=1, keepdims=True)
    ranks = model.ranks(model.totals(points))
    n_units = len(model.units)
    return pd.DataFrame({
        "unit": np.tile(model.units, n_leaves), "dropped": np.repeat(model.leaf_codes, n_units),
        "nominal_rank": np.tile(nominal_rank, n_leaves), "rank_without": ranks.ravel(),
        "shift": np.tile(nominal_rank, n_leaves) - ranks.ravel(),
    })[REMOVE_ONE_COLUMNS]
