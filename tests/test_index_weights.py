"""Alternative weights files (scoring.index.weights)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoring import engine
from scoring.errors import SpecError
from scoring.index import methods
from scoring.index.spec import load_index, load_units
from scoring.index.weights import alternative_weights

ROOT = Path(__file__).resolve().parents[1]


def test_alternative_weights_rescale_among_siblings(tmp_path):
    spec = load_index(ROOT / "params" / "index.yaml")
    path = tmp_path / "weights.yaml"
    path.write_text("description: 加重守信激励\nweights:\n  c1: 95\n  c3.i2.m1: 1\n", encoding="utf-8")
    alt = alternative_weights(spec, path)
    assert alt.total == 150
    assert alt.node("c1").points == pytest.approx(95 * 150 / 160)
    assert alt.node("c2").points == pytest.approx(15 * 150 / 160)
    assert alt.node("c1.i5").points / alt.node("c1.i6").points == pytest.approx(26 / 21)
    assert alt.metric("c3.i2.m1").points == pytest.approx(alt.node("c3.i2").points / 3)
    assert alt.sha256 != spec.sha256 and spec.node("c1").points == 85  # the shared spec is untouched

    path.write_text("c1.i5: 30\n", encoding="utf-8")
    inside = alternative_weights(spec, path)
    assert inside.node("c1").points == pytest.approx(85)
    assert inside.node("c1.i5").points == pytest.approx(30 * 85 / 89)

    with pytest.raises(SpecError, match="points"):
        alternative_weights(spec, path, strict=True)
    path.write_text("c1: 80\nc2: 20\n", encoding="utf-8")
    with pytest.raises(SpecError):
        alternative_weights(spec, path, strict=True)  # c1's indicators still add up to 85
    path.write_text("c9: 3\nc2: -1\nlinyi-2019: 100\n", encoding="utf-8")
    with pytest.raises(SpecError) as err:
        alternative_weights(spec, path)
    assert len(err.value.problems) == 3


def values_for(spec, units, seed: int) -> pd.DataFrame:
    """Plausible raw values for every metric, by what its method reads (value_kind)."""
    rng = np.random.default_rng(seed)
    n = len(units.codes)
    draw = {"measure": lambda m: rng.uniform(0, 1, n), "count": lambda m: rng.poisson(1.5, n).astype(float),
            "flag": lambda m: rng.integers(0, 2, n).astype(float),
            "score": lambda m: np.round(rng.uniform(0, m.points, n), 1)}
    cols = {m.code: draw[methods.CATALOGUE[m.method].value_kind](m) for m in spec.metrics()}
    frame = pd.DataFrame(cols, index=units.codes)
    frame.iloc[0, ::7] = np.nan  # a few missing values
    return frame


@pytest.mark.parametrize("weights", ["c1.i6: 42\n", "c1: 95\n", "c1: 95\nc1.i6: 42\nc3.i2.m1: 1\nc6: 3\n"])
def test_fractions_do_not_depend_on_the_weights(tmp_path, weights):
    """A weights file moves points, never a metric's fraction (docs/sensitivity.md; the Monte
    Carlo relies on it): deduction and manual keep the published points as their scale."""
    spec = load_index(ROOT / "params" / "index.yaml")
    units = load_units(ROOT / "params" / "units.yaml")
    path = tmp_path / "weights.yaml"
    path.write_text(weights, encoding="utf-8")
    alt = alternative_weights(spec, path)
    moved = [m.code for m in alt.metrics() if m.points != spec.metric(m.code).points]
    assert "c1.i6.m1" in moved  # deduction, whose points change
    for m in alt.metrics():
        scale = methods.CATALOGUE[m.method].scale_param
        if scale:
            assert m.params[scale] == spec.metric(m.code).points, m.code
    for seed in range(3):
        values = values_for(spec, units, seed)
        published, _ = engine.metric_fractions(spec, units, values)
        reweighted, _ = engine.metric_fractions(alt, units, values)
        pd.testing.assert_frame_equal(reweighted, published, check_exact=True)
    assert any(spec.metric(c).method == "deduction" for c in moved)
    assert any(spec.metric(c).method == "manual" for c in moved)
