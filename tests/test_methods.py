"""Every scoring method against hand-computed values, plus properties (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.errors import ScoringError
from scoring.index import methods

UNITS = ["a", "b", "c", "d"]


def series(*values: float) -> pd.Series:
    return pd.Series(values, index=UNITS[: len(values)], dtype=float)


def run(name: str, values: pd.Series, direction: str = "higher", points: float = 4.0, **params) -> list[float]:
    out = methods.apply(name, values, direction=direction, points=points, params=params)
    assert list(out.index) == list(values.index)
    return [None if math.isnan(v) else round(v, 10) for v in out]


# --------------------------------------------------------------------- minmax
def test_minmax_higher_and_lower():
    assert run("minmax", series(10, 20, 40)) == [0.0, round(1 / 3, 10), 1.0]
    assert run("minmax", series(10, 20, 40), "lower") == [1.0, round(2 / 3, 10), 0.0]


def test_minmax_all_equal_uses_when_equal():
    assert run("minmax", series(5, 5, 5)) == [1.0, 1.0, 1.0]
    assert run("minmax", series(5, 5, 5), when_equal=0.5) == [0.5, 0.5, 0.5]


def test_minmax_ignores_missing_units_and_keeps_them_missing():
    assert run("minmax", series(0, np.nan, 10, 5)) == [0.0, None, 1.0, 0.5]


# --------------------------------------------------------------------- goalposts
def test_goalposts_model_case_archive_rate_50_percent():
    # 建档率 ≥ 50% → full; 0 → nothing; 30% → 0.6
    assert run("goalposts", series(0.0, 0.3, 0.5, 0.8), floor=0, target=0.5) == [0.0, 0.6, 1.0, 1.0]


def test_goalposts_lower_is_better_target_below_floor():
    # 3 working days → full, 15 → 0, 9 → half
    assert run("goalposts", series(2, 3, 9, 20), "lower", floor=15, target=3) == [1.0, 1.0, 0.5, 0.0]


# --------------------------------------------------------------------- rank
def test_rank_ties_share_the_average():
    # values 1, 3, 3, 7 → ranks 1, 2.5, 2.5, 4 → (r-1)/3
    assert run("rank", series(1, 3, 3, 7)) == [0.0, 0.5, 0.5, 1.0]
    assert run("rank", series(1, 3, 3, 7), "lower") == [1.0, 0.5, 0.5, 0.0]


def test_rank_all_equal_and_single_unit():
    assert run("rank", series(2, 2, 2)) == [0.5, 0.5, 0.5]
    assert run("rank", series(np.nan, 9.0)) == [None, 1.0]


# --------------------------------------------------------------------- zscore
def test_zscore_clipped_and_mapped():
    # values 0, 0, 0, 4: mean 1, population sd √3 → z = −0.577.., +1.732..; clip 1 → −0.577, 1
    out = run("zscore", series(0, 0, 0, 4), clip=1.0)
    z = -1 / math.sqrt(3)
    assert out[:3] == [round((z + 1) / 2, 10)] * 3
    assert out[3] == 1.0
    assert run("zscore", series(0, 0, 0, 4), "lower", clip=1.0)[3] == 0.0


def test_zscore_all_equal_is_half():
    assert run("zscore", series(3, 3, 3)) == [0.5, 0.5, 0.5]


# --------------------------------------------------------------------- flag, zero tolerance, deduction
def test_flag_yes_no_and_refuses_other_values():
    assert run("flag", series(1, 0, np.nan)) == [1.0, 0.0, None]
    with pytest.raises(ScoringError, match=r"unit 'b': value 2 — a yes/no item"):
        run("flag", series(1, 2))


def test_zero_tolerance_full_only_at_zero():
    assert run("zero_tolerance", series(0, 1, 5), "lower") == [1.0, 0.0, 0.0]
    with pytest.raises(ScoringError, match="whole number"):
        run("zero_tolerance", series(-1), "lower")


def test_deduction_fixed_penalty_floor_zero():
    # 4 points, 0.5 per case: 0 → 1, 3 cases → 1 − 1.5/4 = 0.625, 10 cases → 0
    assert run("deduction", series(0, 3, 10), "lower", points=4.0, penalty=0.5) == [1.0, 0.625, 0.0]


# --------------------------------------------------------------------- bands
def test_bands_stepped_thresholds():
    params = {"bands": [[1.0, 1.0], [0.98, 0.5]]}
    assert run("bands", series(1.0, 0.99, 0.98, 0.97), **params) == [1.0, 0.5, 0.5, 0.0]
    assert run("bands", series(0.5), otherwise=0.1, **params) == [0.1]


def test_bands_lower_is_better():
    params = {"bands": [[0.0, 1.0], [2.0, 0.5]]}
    assert run("bands", series(0, 1, 2, 3), "lower", **params) == [1.0, 0.5, 0.5, 0.0]


# --------------------------------------------------------------------- manual
def test_manual_is_points_over_max_and_refuses_more_than_max():
    assert run("manual", series(0, 1, 4), points=4.0) == [0.0, 0.25, 1.0]
    with pytest.raises(ScoringError, match=r"unit 'b': value 4\.5 — a reviewer's score must lie in \[0, 4\]"):
        run("manual", series(1, 4.5), points=4.0)


# --------------------------------------------------------------------- parameter checks
@pytest.mark.parametrize(
    ("name", "params", "direction", "fragment"),
    [
        ("nope", {}, "higher", "unknown method 'nope'"),
        ("goalposts", {"floor": 0}, "higher", "missing parameter 'target'"),
        ("goalposts", {"floor": 1, "target": 0}, "higher", "must exceed floor"),
        ("goalposts", {"floor": 1, "target": 2}, "lower", "must be below floor"),
        ("zscore", {"clip": 0}, "higher", "outside"),
        ("minmax", {"when_equal": 2}, "higher", "outside"),
        ("deduction", {}, "lower", "missing parameter 'penalty'"),
        ("deduction", {"penalty": 1}, "higher", "needs direction lower"),
        ("bands", {"bands": [[0.9, 0.5], [1.0, 1.0]]}, "higher", "must decrease"),
        ("bands", {"bands": [[1.0, 1.5]]}, "higher", "must lie in [0, 1]"),
        ("bands", {"bands": "x"}, "higher", "list of [threshold, fraction] pairs"),
        ("rank", {"extra": 1}, "higher", "unknown parameter 'extra'"),
    ],
)
def test_check_params_refusals(name, params, direction, fragment):
    problems = methods.check_params(name, params, direction)
    assert any(fragment in p for p in problems), problems


def test_check_params_accepts_the_catalogue_defaults():
    assert methods.check_params("minmax", {}, "lower") == []
    assert methods.check_params("bands", {"bands": [[1.0, 1.0], [0.98, 0.5]]}, "higher") == []


# --------------------------------------------------------------------- properties
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
PARAMS = {
    "minmax": {}, "rank": {}, "zscore": {"clip": 2.0},
    "goalposts": {"floor": -10.0, "target": 10.0},
    "bands": {"bands": [[5.0, 1.0], [0.0, 0.5]]},
}


@settings(max_examples=60, deadline=None)
@given(values=st.lists(finite, min_size=2, max_size=16), name=st.sampled_from(sorted(PARAMS)),
       direction=st.sampled_from(["higher", "lower"]))
def test_fractions_stay_in_unit_interval(values, name, direction):
    params = dict(PARAMS[name])
    if name == "goalposts" and direction == "lower":
        params = {"floor": 10.0, "target": -10.0}
    if name == "bands" and direction == "lower":
        params = {"bands": [[0.0, 1.0], [5.0, 0.5]]}
    s = pd.Series(values, index=[f"u{i}" for i in range(len(values))])
    out = methods.apply(name, s, direction=direction, points=3.0, params=params)
    assert ((out >= -1e-12) & (out <= 1 + 1e-12)).all()


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=2, max_size=16),
       which=st.integers(min_value=0, max_value=15), bump=st.floats(min_value=0.01, max_value=50),
       name=st.sampled_from(sorted(PARAMS)), direction=st.sampled_from(["higher", "lower"]))
def test_improving_a_value_never_lowers_its_fraction(values, which, bump, name, direction):
    """Monotone: moving one unit's value in the better direction never lowers its fraction."""
    which %= len(values)
    params = dict(PARAMS[name])
    if name == "goalposts" and direction == "lower":
        params = {"floor": 10.0, "target": -10.0}
    if name == "bands" and direction == "lower":
        params = {"bands": [[0.0, 1.0], [5.0, 0.5]]}
    index = [f"u{i}" for i in range(len(values))]
    before = pd.Series(values, index=index)
    after = before.copy()
    after.iloc[which] += bump if direction == "higher" else -bump
    f0 = methods.apply(name, before, direction=direction, points=3.0, params=params).iloc[which]
    f1 = methods.apply(name, after, direction=direction, points=3.0, params=params).iloc[which]
    assert f1 >= f0 - 1e-9


def test_manual_out_of_keeps_the_reviewers_scale():
    assert run("manual", series(0, 1, 4), points=2.0, out_of=4.0) == [0.0, 0.25, 1.0]
    with pytest.raises(ScoringError, match=r"must lie in \[0, 4\]"):
        run("manual", series(5), points=2.0, out_of=4.0)
