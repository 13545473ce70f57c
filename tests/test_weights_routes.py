"""A weights file scored by the engine and the same weights through the Monte Carlo's route give
the same totals: a metric's fraction does not depend on the weights (docs/sensitivity.md)."""

from __future__ import annotations

import numpy as np
import pytest

from scoring import engine
from scoring.analysis import sensitivity
from scoring.index.weights import alternative_weights
from scoring.pipeline.score import load_spec, read_metrics

from .conftest import DEMO_MONTH


@pytest.mark.parametrize("weights", ["c1.i6: 42\n", "c1: 95\n", "c2: 20\nc5.i1: 10\nc1.i4: 6\n"])
def test_weights_file_and_monte_carlo_routes_agree_to_1e_9(demo_project, tmp_path, weights):
    spec, units = load_spec(demo_project)
    metrics = read_metrics(demo_project, DEMO_MONTH, (spec, units))
    path = tmp_path / "weights.yaml"
    path.write_text(weights, encoding="utf-8")
    weighted = alternative_weights(spec, path)

    by_engine = engine.summarise(weighted, units, engine.score(weighted, units, metrics)).set_index("unit")["total"]
    leaf_points = {n.code: n.points for n in weighted.nodes() if n.metrics}
    by_model = sensitivity.scenario_totals(spec, units, sensitivity.month_values(metrics, DEMO_MONTH), leaf_points)
    assert by_model.shape == (1, len(units.codes))
    difference = np.abs(by_model[0] - by_engine.reindex(units.codes).to_numpy())
    assert difference.max() < 1e-9
    assert np.abs(by_engine.to_numpy() - engine.summarise(spec, units, engine.score(spec, units, metrics))
                  ["total"].to_numpy()).max() > 0.01  # the weights did move the totals
