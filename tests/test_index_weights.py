"""Alternative weights files (scoring.index.weights)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring.errors import SpecError
from scoring.index.spec import load_index
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
