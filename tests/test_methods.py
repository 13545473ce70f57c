"""Every scoring method against hand-computed values, plus properties (hypothesis)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from scoring.config import problems_of
from scoring.errors import ScoringError
from scoring.index import methods

ROOT = Path(__file__).resolve().parents[1]
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


@pytest.mark.parametrize("values", [[0.1, 0.1, 0.1, np.nan], [1 / 3] * 5 + [np.nan], [0.0, np.nan, 0.0],
                                    [1e-300, 1e-300], [7.0]])
def test_equal_values_with_a_missing_unit_are_all_equal(values):
    """The mean of equal values can differ from them by rounding (sd ≈ 1e-17, not 0): the
    tolerance is relative to the values' scale, so these are still "all equal"."""
    s = pd.Series(values, index=[f"u{i}" for i in range(len(values))])
    expected = [None if math.isnan(v) else 0.5 for v in values]
    assert [None if math.isnan(v) else v for v in methods.apply(
        "zscore", s, direction="lower", points=2.0, params={})] == expected
    assert [None if math.isnan(v) else v for v in methods.apply(
        "minmax", s, direction="higher", points=2.0, params={"when_equal": 0.5})] == expected


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


def test_deduction_out_of_keeps_the_scale_when_the_points_move():
    # the same 3 cases at 0.5 each, taken out of 4 points, whatever the metric's points are now
    assert run("deduction", series(0, 3, 10), "lower", points=2.0, penalty=0.5, out_of=4.0) == [1.0, 0.625, 0.0]
    assert run("deduction", series(3), "lower", points=9.0, penalty=0.5, out_of=4.0) == [0.625]
    with pytest.raises(ScoringError, match="whole number"):
        run("deduction", series(1.5), "lower", penalty=0.5)


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
def problems(name: str, params: dict, direction: str | None) -> list[tuple[str, tuple]]:
    """(error type, key path) of every problem the method's params model finds."""
    try:
        methods.CATALOGUE[name].validate(params, direction)
    except ValidationError as exc:
        return [(e["type"], tuple(e["loc"])) for e in exc.errors()]
    return []


@pytest.mark.parametrize(
    ("name", "params", "direction", "expected"),
    [
        ("goalposts", {"floor": 0}, "higher", [("missing", ("target",))]),
        ("goalposts", {"floor": 1, "target": 0}, "higher", [("goalposts_higher", ("target",))]),
        ("goalposts", {"floor": 1, "target": 2}, "lower", [("goalposts_lower", ("target",))]),
        ("goalposts", {"floor": 1, "target": 1}, None, [("goalposts_equal", ("target",))]),
        ("goalposts", {"floor": "0", "target": float("nan")}, "higher",
         [("float_type", ("floor",)), ("finite_number", ("target",))]),
        ("zscore", {"clip": 0}, "higher", [("greater_than_equal", ("clip",))]),
        ("minmax", {"when_equal": 2}, "higher", [("less_than_equal", ("when_equal",))]),
        ("deduction", {}, "lower", [("missing", ("penalty",))]),
        ("deduction", {"penalty": 0, "out_of": -3}, "lower", [("greater_than", ("penalty",)),
                                                               ("greater_than", ("out_of",))]),
        ("manual", {"out_of": 0}, "higher", [("greater_than", ("out_of",))]),
        ("bands", {"bands": [[0.9, 0.5], [1.0, 1.0]]}, "higher",
         [("bands_higher", ("bands",)), ("bands_fractions", ("bands",))]),
        ("bands", {"bands": [[1.0, 1.0], [0.9, 0.5]]}, "lower", [("bands_lower", ("bands",))]),
        ("bands", {"bands": [[1.0, 1.5]]}, "higher", [("less_than_equal", ("bands", 0, 1))]),
        ("bands", {"bands": [[1.0, 1.0], [0.98, 0.5]], "otherwise": 0.6}, "higher",
         [("bands_otherwise", ("otherwise",))]),
        ("bands", {"bands": "x"}, "higher", [("list_type", ("bands",))]),
        ("bands", {"bands": []}, "higher", [("too_short", ("bands",))]),
        ("rank", {"extra": 1}, "higher", [("extra_forbidden", ("extra",))]),
        ("flag", {"when_equal": True}, "higher", [("extra_forbidden", ("when_equal",))]),
    ],
)
def test_each_method_checks_its_parameters(name, params, direction, expected):
    assert problems(name, params, direction) == expected


def test_the_catalogue_defaults_are_valid():
    for name, method in methods.CATALOGUE.items():
        required = {k for k, p in method.params.items() if p.required}
        if not required:
            assert problems(name, {}, method.directions[0]) == [], name
    assert problems("bands", {"bands": [[1.0, 1.0], [0.98, 0.5]]}, "higher") == []
    assert problems("bands", {"bands": [[1.0, 1.0], [0.98, 0.5]]}, None) == []  # no direction: no order check


def test_parameter_problems_read_in_chinese():
    with pytest.raises(ValidationError) as info:
        methods.CATALOGUE["goalposts"].validate({"floor": 1, "target": 0, "clip": 2}, "higher")
    assert problems_of(info.value, str(ROOT / "params" / "index.yaml")) == [
        f"{ROOT / 'params' / 'index.yaml'}: target: 越高越好，target（0）应大于 floor（1） — 0",
        f"{ROOT / 'params' / 'index.yaml'}: clip: 不认识的键（拼写错误，或不属于这里） — 2"]
    with pytest.raises(PydanticCustomError) as unknown:
        methods.method_of(["minmax"])
    assert unknown.value.type == "unknown_method"
    assert "minmax, goalposts, rank" in unknown.value.message()


def test_each_method_states_what_it_needs():
    kinds = {"measure", "count", "flag", "score"}
    for name, m in methods.CATALOGUE.items():
        assert m.name == name and m.formula and m.func.__doc__, name
        assert m.value_kind in kinds, name
        assert set(m.directions) <= {"higher", "lower"} and m.directions, name
        assert m.sources is None or set(m.sources) <= {"sheet", "records", "review"}, name
        assert m.scale_param is None or m.scale_param in m.model.model_fields, name
    assert methods.CATALOGUE["manual"].sources == ("review",)
    assert {n for n, m in methods.CATALOGUE.items() if m.scale_param} == {"manual", "deduction"}
    with pytest.raises(PydanticCustomError) as info:
        methods.CATALOGUE["deduction"].check_direction("higher")
    assert info.value.type == "method_direction"


def test_flags_belong_to_their_method():
    values = series(0, 2, np.nan)
    fractions = methods.apply("zero_tolerance", values, direction="lower", points=3.0, params={}).fillna(0.0)
    assert methods.flags("zero_tolerance", values, fractions).tolist() == ["", "zero_tolerance_failed", ""]
    for name in ("deduction", "minmax", "manual"):
        assert methods.flags(name, values, fractions).tolist() == ["", "", ""], name


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


# --------------------------------------------------------------------- "all equal", relative to the scale
def with_missing(present: list[float], missing: int, data) -> pd.Series:
    """`present` values and `missing` NaNs, in an order drawn by hypothesis."""
    values = present + [np.nan] * missing
    order = data.draw(st.permutations(range(len(values))))
    return pd.Series([values[i] for i in order], index=[f"u{i}" for i in range(len(values))])


@settings(max_examples=80, deadline=None)
@given(value=st.one_of(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
                       st.fractions(min_value=-1000, max_value=1000, max_denominator=97).map(float)),
       n=st.integers(min_value=1, max_value=16), missing=st.integers(min_value=0, max_value=16),
       noise=st.lists(st.floats(min_value=-1e-12, max_value=1e-12), min_size=16, max_size=16),
       direction=st.sampled_from(["higher", "lower"]), data=st.data())
def test_equal_values_give_exactly_the_all_equal_fraction(value, n, missing, noise, direction, data):
    """Equal values (up to relative rounding noise ≤ 1e-12) with any number of missing units:
    zscore gives exactly 0.5 and minmax exactly `when_equal` to every unit with a value."""
    for present in ([value] * n, [value * (1 + e) for e in noise[:n]]):
        s = with_missing(present, missing, data)
        z = methods.apply("zscore", s, direction=direction, points=1.0, params={"clip": 2.0})
        mm = methods.apply("minmax", s, direction=direction, points=1.0, params={"when_equal": 0.25})
        assert z.isna().equals(s.isna()) and mm.isna().equals(s.isna())
        assert (z.dropna() == 0.5).all(), (present, z.tolist())
        assert (mm.dropna() == 0.25).all(), (present, mm.tolist())


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's overflow warnings on the way: expected
@pytest.mark.parametrize("present", [[0.0, 5e-324], [5e-324, 1e-323, 0.0], [1e308, -1e308], [1e308, 1.7e308]])
def test_zscore_spreads_values_whose_sd_under_or_overflows(present):
    """A population sd that underflows to 0 (0 and 5e-324, found by hypothesis) or overflows: the
    z-scores of the values scaled into [−1, 1], not NaN and ±inf."""
    s = pd.Series(present, index=[f"u{i}" for i in range(len(present))])
    z = methods.apply("zscore", s, direction="higher", points=1.0, params={"clip": 2.0})
    scaled = s / s.abs().max()
    expected = (((scaled - scaled.mean()) / scaled.std(ddof=0)).clip(-2, 2) + 2) / 4
    assert z.notna().all() and z.tolist() == pytest.approx(expected.tolist())
    assert z.idxmax() == s.idxmax() and z.max() > z.min()


@settings(max_examples=80, deadline=None)
@given(present=st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=2, max_size=16),
       missing=st.integers(min_value=0, max_value=8), direction=st.sampled_from(["higher", "lower"]),
       data=st.data())
def test_genuinely_different_values_still_spread(present, missing, direction, data):
    spread = max(present) - min(present)
    assume(spread > 1e-6 * max(abs(v) for v in present))
    s = with_missing(present, missing, data)
    z = methods.apply("zscore", s, direction=direction, points=1.0, params={"clip": 2.0}).dropna()
    mm = methods.apply("minmax", s, direction=direction, points=1.0, params={}).dropna()
    assert z.max() > z.min() and 0.5 not in (z.max(), z.min())
    assert (mm.min(), mm.max()) == (0.0, 1.0)
    best = s.idxmax() if direction == "higher" else s.idxmin()
    assert mm[best] == 1.0 and z[best] == z.max()
