"""The one display rounding (scoring.engine.rounding): exactly what a reader sees printed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.engine import rounded, rounded_array


def printed(x: float, d: int) -> float:
    return float(f"{x:.{d}f}")


def test_values_ending_in_5_round_as_printed_where_np_round_does_not():
    # totals built like the engine's: sums of points with binary noise, many ending in ...5
    rng = np.random.default_rng(2019)
    x = np.round(rng.uniform(90, 150, 200_000), 3) + rng.choice([-1e-13, 0.0, 1e-13], 200_000)
    x = x[np.isclose((x * 1000) % 10, 5)]
    ours = rounded_array(x, 2)
    assert np.array_equal(ours, [printed(v, 2) for v in x])
    assert (np.round(x, 2) != ours).mean() > 0.005  # np.round disagrees on a share of them
    assert rounded(116.615, 2) == printed(116.615, 2)


@given(st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=50),
       st.integers(min_value=0, max_value=6))
def test_rounded_equals_the_printed_value(values, decimals):
    assert rounded_array(np.asarray(values), decimals).tolist() == [printed(v, decimals) for v in values]


def test_series_keep_their_index_and_missing_values():
    s = pd.Series([1.005, np.nan, 2.675], index=["a", "b", "c"], name="total")
    out = rounded(s, 2)
    assert out.index.tolist() == ["a", "b", "c"] and out.name == "total"
    assert out["a"] == printed(1.005, 2) and np.isnan(out["b"]) and out["c"] == printed(2.675, 2)


def _rounded_plainly(values: np.ndarray, decimals: int) -> np.ndarray:
    """The rule as first written (every value's distance to a half step computed): the reference."""
    x = np.asarray(values, dtype=float)
    y = x * 10.0 ** decimals
    out = np.rint(y) / 10.0 ** decimals
    near = np.isfinite(y) & (np.abs(y - np.floor(y) - 0.5) < 1e-6)
    out[near] = [printed(v, decimals) for v in x[near]]
    return out


@pytest.mark.parametrize("decimals", [0, 1, 2, 3])
@pytest.mark.parametrize("order", ["C", "F"])
def test_the_two_pass_rounding_equals_the_plain_rule(decimals, order):
    rng = np.random.default_rng(decimals)
    step = 10.0 ** -decimals
    halves = (rng.integers(0, 15_000, 20_000) + 0.5) * step  # exact and near half steps: formatted
    x = np.concatenate([rng.uniform(-200, 200, 50_000), halves, np.nextafter(halves, 0), np.nextafter(halves, 200),
                        [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e300, -1e-20, 116.615, 2.675, 1e17 + 2, -0.4999999]])
    with np.errstate(invalid="ignore"):
        expected = _rounded_plainly(x, decimals)
    got = rounded_array(np.asarray(x.reshape(-1, 11), order=order), decimals).ravel()
    np.testing.assert_array_equal(got, expected)
    assert np.array_equal(np.signbit(got), np.signbit(expected))
    assert float(rounded_array(np.float64(2.675), 2)) == printed(2.675, 2)  # a 0-d value
