"""Sensitivity analysis on toy indices with known answers, and on Linyi's index against the engine."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtr

from scoring import engine
from scoring.analysis import sensitivity
from scoring.errors import DataError, SpecError
from scoring.index.spec import IndexSpec, Unit, Units, load_index, load_units, parse_index

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- helpers


def toy_index(categories: dict[str, dict[str, float]], total: float, pass_line: float = 0.0) -> IndexSpec:
    """categories: {category: {indicator: points}}; each indicator has one metric `<indicator>.m`,
    goalposts 0 → 1, so the value given is the fraction."""
    children = []
    for cat, indicators in categories.items():
        children.append({"code": cat, "name": cat, "points": sum(indicators.values()), "children": [
            {"code": ind, "name": ind, "points": pts, "metrics": [
                {"code": f"{ind}.m", "name": ind, "unit": "比例", "direction": "higher", "method": "goalposts",
                 "params": {"floor": 0, "target": 1}, "weight": 1, "rationale": "toy"}]}
            for ind, pts in indicators.items()]})
    return parse_index({"code": "toy", "name": "玩具", "total": total, "levels": ["index", "category", "indicator",
                        "metric"], "pass_line": {"points": pass_line, "reason": "test"}, "children": children})


def toy_units(*codes: str) -> Units:
    return Units(units=tuple(Unit(c, f"单位{c}", "county") for c in codes), tiers={"county": "县"}, sha256="")


def frame(rows: dict[str, dict[str, float]]) -> pd.DataFrame:
    """{unit: {indicator: fraction}} → units × metric codes."""
    return pd.DataFrame({u: {f"{i}.m": v for i, v in vals.items()} for u, vals in rows.items()}).T


def synthetic_month(spec: IndexSpec, units: Units, seed: int) -> pd.DataFrame:
    """Plausible values for every metric of the index (a latent quality per unit)."""
    rng = np.random.default_rng(seed)
    q = rng.normal(size=len(units.codes))
    cols = {}
    for m in spec.metrics():
        sign = 1.0 if m.direction == "higher" else -1.0
        good = ndtr(0.9 * q + 0.7 * rng.normal(size=q.size) + 1.0)
        if m.method in ("minmax", "rank", "zscore"):
            cols[m.code] = np.exp(0.5 * sign * (0.8 * q + rng.normal(size=q.size)))
        elif m.method == "goalposts":
            f, t = m.params["floor"], m.params["target"]
            cols[m.code] = np.maximum(f + (t - f) * (1.2 * good - 0.1), 0.0)
        elif m.method == "bands":
            th = [b[0] for b in m.params["bands"]]
            cols[m.code] = np.where(good > 0.4, th[0], np.where(good > 0.2, th[-1], th[-1] - 0.01))
        elif m.method == "flag":
            cols[m.code] = (good > 0.2).astype(float)
        elif m.method == "zero_tolerance":
            cols[m.code] = (rng.random(q.size) > good).astype(float)
        elif m.method == "deduction":
            cols[m.code] = rng.poisson(2.0 * (1.0 - good)).astype(float)
        else:  # manual
            cols[m.code] = np.round(m.points * (0.5 + 0.5 * good), 1)
    return pd.DataFrame(cols, index=pd.Index(units.codes, name="unit"))


def engine_totals(spec: IndexSpec, units: Units, values: pd.DataFrame) -> pd.Series:
    long = values.rename_axis(index="unit", columns=None).reset_index().melt(
        id_vars="unit", var_name="metric", value_name="value").assign(month="2019-12")
    summary = engine.summarise(spec, units, engine.score(spec, units, long))
    return summary.set_index("unit")["total"].reindex(units.codes)


@pytest.fixture(scope="module")
def settings() -> sensitivity.SensitivitySettings:
    return sensitivity.load_settings(ROOT / "params" / "sensitivity.yaml")


@pytest.fixture(scope="module")
def linyi():
    spec = load_index(ROOT / "params" / "index.yaml")
    units = load_units(ROOT / "params" / "units.yaml")
    return spec, units, synthetic_month(spec, units, seed=3)


def small(settings, **changes):
    base = {"draws": 400, "sobol_n": 256, "bootstrap_resamples": 50}
    return dataclasses.replace(settings, **{**base, **changes})


def at_level(settings, level: str) -> dict:
    """The changes that perturb `level` (weights.level) and fix every other level."""
    others = [lv for lv, _ in settings.weight_levels if lv != level]
    return {"weight_level": level, "weight_levels": tuple((lv, None) for lv in [*others, settings.weight_level]
                                                          if lv != level)}


# --------------------------------------------------------------------------- Monte Carlo


def test_nominal_and_unvaried_draws_equal_the_engine(linyi, settings):
    spec, units, values = linyi
    nothing = sensitivity.Family("none", "无", ("aggregation",))
    s = small(settings, aggregations=("arithmetic",), families=(nothing,), summary_family="none", draws=3)
    mc = sensitivity.monte_carlo(spec, units, values, s)
    totals = engine_totals(spec, units, values)
    np.testing.assert_allclose(mc.nominal["total"], totals.to_numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(mc.totals.to_numpy(), np.tile(totals.to_numpy(), (3, 1)), rtol=0, atol=1e-9)
    assert (mc.ranks.to_numpy() == mc.nominal["rank"].to_numpy()).all()
    assert (mc.summary["median_rank"] == mc.summary["nominal_rank"]).all()


def test_weight_draws_keep_the_total_and_stay_in_range(linyi, settings):
    spec, units, values = linyi
    mc = sensitivity.monte_carlo(spec, units, values, small(settings, draws=2000), seed=1)
    w = mc.scenarios[[c for c in mc.scenarios if c.startswith("weight:")]]
    assert w.shape[1] == 17
    np.testing.assert_allclose(w.sum(axis=1), 150.0, rtol=0, atol=1e-9)
    nominal = np.array([spec.node(c.removeprefix("weight:")).points for c in w.columns])
    ratio = w.to_numpy() / nominal
    ratio = ratio / ratio.min(axis=1, keepdims=True)  # before renormalisation, up to one factor per draw
    assert ratio.max() <= 1.25 / 0.75 + 1e-9
    varied = mc.scenarios["family"].isin(["weights", "combined"])
    assert (w[~varied].to_numpy() == nominal).all()
    assert (w[varied].to_numpy() != nominal).any(axis=1).all()


def test_weight_draws_equal_a_full_rescoring(linyi, settings):
    """Three drawn weightings, each scored again by the engine with the perturbed index
    (metrics keep their fractions: deduction penalties and reviewers' scores scale with the points)."""
    spec, units, values = linyi
    s = small(settings, families=(settings.family("weights"),), summary_family="weights", draws=3)
    mc = sensitivity.monte_carlo(spec, units, values, s, seed=5)
    for draw in range(3):
        points = {c.removeprefix("weight:"): v for c, v in mc.scenarios.loc[draw].items() if c.startswith("weight:")}
        raw, vals = copy.deepcopy(spec.raw), values.copy()
        for cat in raw["children"]:
            for ind in cat["children"]:
                ratio = points[ind["code"]] / ind["points"]
                ind["points"] = points[ind["code"]]
                for m in ind["metrics"]:
                    if m["method"] == "deduction":
                        m["params"] = {"penalty": m["params"]["penalty"] * ratio}
                    if m["method"] == "manual":
                        vals[m["code"]] *= ratio
            cat["points"] = sum(i["points"] for i in cat["children"])
        totals = engine_totals(parse_index(raw), units, vals)
        np.testing.assert_allclose(mc.totals.loc[draw], totals.to_numpy(), rtol=0, atol=1e-9)


def test_method_swaps_and_geometric_aggregation_by_hand(linyi, settings):
    spec, units, values = linyi
    mc = sensitivity.monte_carlo(spec, units, values, small(settings, draws=50), seed=2)
    methods_ = {c.removeprefix("method:") for c in mc.scenarios if c.startswith("method:")}
    assert methods_ == {m.code for m in spec.metrics() if m.method in ("minmax", "rank", "zscore")}
    # a normalisation draw = the engine on the index with those methods
    draw = mc.scenarios.index[mc.scenarios["family"] == "normalisation"][0]
    chosen = {c.removeprefix("method:"): v for c, v in mc.scenarios.loc[draw].items() if c.startswith("method:")}
    assert set(chosen.values()) == {"minmax", "rank", "zscore"}
    raw = copy.deepcopy(spec.raw)
    for cat in raw["children"]:
        for ind in cat["children"]:
            for m in ind["metrics"]:
                if m["code"] in chosen and chosen[m["code"]] != m["method"]:
                    m["method"], m["params"] = chosen[m["code"]], settings.method_params[chosen[m["code"]]]
    np.testing.assert_allclose(mc.totals.loc[draw], engine_totals(parse_index(raw), units, values).to_numpy(),
                               rtol=0, atol=1e-9)
    # a geometric draw: T × Π ((f_c + ε)/(1 + ε))^(P_c/T) on the engine's category fractions
    geo = mc.scenarios.index[(mc.scenarios["family"] == "aggregation")
                             & (mc.scenarios["aggregation"] == "geometric")][0]
    long = values.rename_axis(index="unit", columns=None).reset_index().melt(
        id_vars="unit", var_name="metric", value_name="value").assign(month="m")
    pts = engine.score(spec, units, long)
    cats = pts[pts["level"] == "category"].pivot(index="unit", columns="code", values="fraction").loc[units.codes]
    weights = np.array([c.points for c in spec.categories]) / spec.total
    eps = settings.epsilon
    expected = spec.total * np.prod(((cats[[c.code for c in spec.categories]] + eps) / (1 + eps)) ** weights, axis=1)
    np.testing.assert_allclose(mc.totals.loc[geo], expected.to_numpy(), rtol=1e-12)
    # weighted geometric ≤ weighted arithmetic of the shifted fractions: T (A + ε)/(1 + ε)
    arithmetic = engine_totals(spec, units, values).to_numpy() / spec.total
    assert (mc.totals.loc[geo].to_numpy() <= spec.total * (arithmetic + eps) / (1 + eps) + 1e-9).all()


def test_same_seed_same_results_other_seed_other_draws(linyi, settings):
    spec, units, values = linyi
    s = small(settings, draws=300)
    a = sensitivity.monte_carlo(spec, units, values, s, seed=11)
    b = sensitivity.monte_carlo(spec, units, values, s, seed=11)
    c = sensitivity.monte_carlo(spec, units, values, s, seed=12)
    pd.testing.assert_frame_equal(a.scenarios, b.scenarios)
    pd.testing.assert_frame_equal(a.ranks, b.ranks)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    pd.testing.assert_frame_equal(a.families, b.families)
    w = [col for col in a.scenarios if col.startswith("weight:")]
    assert not np.allclose(a.scenarios[w].to_numpy(), c.scenarios[w].to_numpy())
    assert sensitivity.monte_carlo(spec, units, values, s).seed == settings.seed


def test_pass_probability_one_and_zero_in_clear_cases(settings):
    spec = toy_index({"A": {"a1": 30, "a2": 20}, "B": {"b1": 50, "b2": 50}}, total=150, pass_line=120)
    units = toy_units("best", "worst", "middle")
    values = frame({"best": {"a1": 1, "a2": 1, "b1": 1, "b2": 1}, "worst": {"a1": 0, "a2": 0, "b1": 0, "b2": 0},
                    "middle": {"a1": 0.5, "a2": 0.6, "b1": 0.7, "b2": 0.8}})
    mc = sensitivity.monte_carlo(spec, units, values, small(settings, draws=500), seed=3)
    pp = mc.by_family.set_index(["family", "unit"])["pass_probability"]
    for fam in ("weights", "normalisation", "aggregation", "combined"):
        assert pp[(fam, "best")] == 1.0 and pp[(fam, "worst")] == 0.0 and pp[(fam, "middle")] == 0.0
    s = mc.summary.set_index("unit")
    assert list(s.columns) == sensitivity.SUMMARY_COLUMNS[1:]
    assert s.loc["best", ["nominal_rank", "median_rank", "rank_p05", "rank_p95"]].tolist() == [1, 1, 1, 1]
    assert s.loc["worst", ["nominal_rank", "median_rank", "rank_p05", "rank_p95"]].tolist() == [3, 3, 3, 3]


def test_symmetric_equal_weights_give_symmetric_results(settings):
    spec = toy_index({"A": {"a": 50}, "B": {"b": 50}, "C": {"c": 50}}, total=150, pass_line=100)
    units = toy_units("x", "y")
    values = frame({"x": {"a": 1.0, "b": 0.0, "c": 0.9}, "y": {"a": 0.0, "b": 1.0, "c": 0.9}})
    s = small(settings, draws=4000, families=(settings.family("weights"),), summary_family="weights",
              **at_level(settings, "category"))
    mc = sensitivity.monte_carlo(spec, units, values, s, seed=4)
    r = mc.summary.set_index("unit")
    assert r.loc["x", "nominal_rank"] == r.loc["y", "nominal_rank"] == 1  # a tie at the nominal weights
    assert r.loc["x", ["rank_p05", "rank_p95"]].tolist() == r.loc["y", ["rank_p05", "rank_p95"]].tolist() == [1, 2]
    assert mc.ranks["x"].mean() == pytest.approx(1.5, abs=0.03)
    assert r.loc["x", "pass_probability"] == pytest.approx(r.loc["y", "pass_probability"], abs=0.03)
    # x is first exactly when a's weight beats b's; c's weight never matters
    w = mc.scenarios
    assert ((mc.ranks["x"] == 1) == (w["weight:a"] >= w["weight:b"] - 1e-9)).mean() > 0.999


# --------------------------------------------------------------------------- Sobol


def test_sobol_symmetric_pair_on_rank_has_the_exact_indices(settings):
    """x first iff w_a > w_b, with x_a, x_b iid uniform: S1 = 1/3 and ST = 2/3 for each; c's weight
    (equal for both units) has no effect; x and y mirror each other."""
    spec = toy_index({"A": {"a": 50}, "B": {"b": 50}, "C": {"c": 50}}, total=150)
    units = toy_units("x", "y")
    values = frame({"x": {"a": 1.0, "b": 0.0, "c": 0.3}, "y": {"a": 0.0, "b": 1.0, "c": 0.3}})
    s = small(settings, sobol_n=4096, bootstrap_resamples=100)
    table = sensitivity.sobol(spec, units, values, s, seed=7, level="category", output="rank")
    assert list(table.columns) == sensitivity.SOBOL_COLUMNS
    t = table.set_index(["unit", "factor"])
    for unit in ("x", "y"):
        for f in ("A", "B"):
            assert t.loc[(unit, f), "S1"] == pytest.approx(1 / 3, abs=0.05)
            assert t.loc[(unit, f), "ST"] == pytest.approx(2 / 3, abs=0.05)
            assert t.loc[(unit, f), "ST_low"] <= t.loc[(unit, f), "ST"] <= t.loc[(unit, f), "ST_high"]
        assert abs(t.loc[(unit, "C"), "S1"]) < 0.01 and abs(t.loc[(unit, "C"), "ST"]) < 0.01
    # y's rank = 3 − x's rank except in the rare draws where the rounded totals tie (both first)
    np.testing.assert_allclose(t.loc["x", ["S1", "ST"]].to_numpy(), t.loc["y", ["S1", "ST"]].to_numpy(), atol=0.01)


def test_sobol_one_decisive_indicator_on_total(settings):
    """One indicator separates the units, 19 others are equal across units. On the total,
    the decisive weight explains nearly all the variance: to first order
    ST = (W − w)² / ((W − w)² + Σ w_j²) = 19² / (19² + 19) = 0.95, each other 1/380."""
    fillers = {f"f{i:02d}": 5.0 for i in range(19)}
    spec = toy_index({"D": {"d": 5.0}, "F": fillers}, total=100)
    units = toy_units("u1", "u2", "u3")
    values = frame({u: {"d": v, **{f: 0.5 for f in fillers}} for u, v in (("u1", 1.0), ("u2", 0.2), ("u3", 0.5))})
    s = small(settings, sobol_n=1024, bootstrap_resamples=30)
    t = sensitivity.sobol(spec, units, values, s, seed=8, level="indicator", output="total").set_index(
        ["unit", "factor"])
    for unit in ("u1", "u2"):
        assert t.loc[(unit, "d"), "ST"] == pytest.approx(0.95, abs=0.03)
        assert t.loc[(unit, "d"), "S1"] == pytest.approx(0.95, abs=0.05)
        assert t.loc[unit].drop(index="d")["ST"].abs().max() < 0.01
    # u3 sits at the fillers' level: its total never moves; and nobody's rank ever moves
    assert (t.loc["u3", ["S1", "ST", "variance"]].to_numpy() == 0).all()
    ranks = sensitivity.sobol(spec, units, values, s, seed=8, level="indicator", output="rank")
    assert (ranks[["S1", "ST", "variance"]].to_numpy() == 0).all()


def test_sobol_is_reproducible_and_covers_every_unit_and_category(linyi, settings):
    spec, units, values = linyi
    s = small(settings, sobol_n=256, bootstrap_resamples=20)
    a = sensitivity.sobol(spec, units, values, s, seed=1)
    b = sensitivity.sobol(spec, units, values, s, seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 16 * 6 and set(a["factor"]) == {c.code for c in spec.categories}
    assert not a[["S1_low", "S1_high", "ST_low", "ST_high"]].isna().any().any()
    with pytest.raises(SpecError, match="power of 2"):
        sensitivity.sobol(spec, units, values, s, n=1000)
    with pytest.raises(SpecError, match="level 'county'"):
        sensitivity.sobol(spec, units, values, s, level="county")


# --------------------------------------------------------------------------- remove one


def test_remove_one_by_hand():
    # totals 10, 13, 12 → ranks u2, u3, u1. Without a (others × 1.5): 0, 19.5, 9; without b: 15, 7.5, 9;
    # without c: 15, 12, 18.
    spec = toy_index({"A": {"a": 10}, "B": {"b": 10, "c": 10}}, total=30)
    units = toy_units("u1", "u2", "u3")
    values = frame({"u1": {"a": 1, "b": 0, "c": 0}, "u2": {"a": 0, "b": 0.8, "c": 0.5},
                    "u3": {"a": 0.6, "b": 0.6, "c": 0}})
    table = sensitivity.remove_one(spec, units, values)
    assert list(table.columns) == sensitivity.REMOVE_ONE_COLUMNS
    got = table.set_index(["dropped", "unit"])
    assert got["nominal_rank"].xs("a").to_dict() == {"u1": 3, "u2": 1, "u3": 2}
    assert got["rank_without"].xs("a").to_dict() == {"u1": 3, "u2": 1, "u3": 2}
    assert got["rank_without"].xs("b").to_dict() == {"u1": 1, "u2": 3, "u3": 2}
    assert got["rank_without"].xs("c").to_dict() == {"u1": 2, "u2": 3, "u3": 1}
    assert got["shift"].xs("c").to_dict() == {"u1": 1, "u2": -2, "u3": 1}


# --------------------------------------------------------------------------- one rounding


def test_ranks_and_pass_use_the_printed_rounding_on_a_tie_at_5(settings):
    """116.615 is stored just below the half and printed 116.61; np.round(116.615, 2) gives 116.62.
    Ranks and 达标 of every draw must be those of the printed totals, as engine.summarise's."""
    spec = toy_index({"A": {"a": 150}}, total=150, pass_line=116.62)
    units = toy_units("x", "y", "z")
    values = frame({"x": {"a": 116.615 / 150}, "y": {"a": 116.62 / 150}, "z": {"a": 0.5}})
    assert np.round(116.615, 2) == 116.62 and engine.rounded(116.615, 2) == 116.61 == float(f"{116.615:.2f}")
    long = values.rename_axis(index="unit", columns=None).reset_index().melt(
        id_vars="unit", var_name="metric", value_name="value").assign(month="m")
    published = engine.summarise(spec, units, engine.score(spec, units, long)).set_index("unit")
    assert published.loc["x", "total"] == 116.615  # the tie really reaches the model
    nothing = sensitivity.Family("none", "无", ("aggregation",))
    s = small(settings, aggregations=("arithmetic",), families=(nothing,), summary_family="none", draws=5)
    mc = sensitivity.monte_carlo(spec, units, values, s)
    nominal = mc.nominal.set_index("unit")
    assert nominal["rank"].to_dict() == published["rank"].to_dict() == {"x": 2, "y": 1, "z": 3}
    assert nominal["pass"].to_dict() == published["pass"].to_dict() == {"x": False, "y": True, "z": False}
    assert (mc.ranks.to_numpy() == published["rank"].to_numpy()).all()  # np.round would tie x and y at 1
    summary = mc.summary.set_index("unit")
    assert (summary["median_rank"] == published["rank"]).all()
    assert summary["pass_probability"].to_dict() == {"x": 0.0, "y": 1.0, "z": 0.0}
    assert sensitivity.rank_rows(np.array([[116.615, 116.62, 75.0]]), 2).tolist() == [[2, 1, 3]]


# --------------------------------------------------------------------------- scenario totals


def test_scenario_totals_follow_the_monte_carlo_for_recorded_weights(linyi, settings):
    spec, units, values = linyi
    s = small(settings, families=(settings.family("weights"),), summary_family="weights", draws=20)
    mc = sensitivity.monte_carlo(spec, units, values, s, seed=9)
    again = sensitivity.scenario_totals(spec, units, values, mc.scenarios)  # the weight:<code> columns
    np.testing.assert_array_equal(again, mc.totals.to_numpy())
    weights = [c for c in mc.scenarios if c.startswith("weight:")]
    as_array = sensitivity.scenario_totals(spec, units, values, mc.scenarios[weights].to_numpy())
    np.testing.assert_array_equal(as_array, mc.totals.to_numpy())
    one = sensitivity.scenario_totals(spec, units, values, mc.scenarios.loc[3, weights])
    # one row alone: the matrix product may differ in the last bit
    np.testing.assert_allclose(one, mc.totals.to_numpy()[3:4], rtol=0, atol=1e-9)
    published = {c.removeprefix("weight:"): spec.node(c.removeprefix("weight:")).points for c in weights}
    np.testing.assert_allclose(sensitivity.scenario_totals(spec, units, values, published)[0],
                               engine_totals(spec, units, values).to_numpy(), rtol=0, atol=1e-9)


def test_scenario_totals_refuse_points_that_do_not_fit(linyi):
    spec, units, values = linyi
    leaves = [n.code for n in spec.nodes() if n.metrics]
    with pytest.raises(DataError, match="expected shape"):
        sensitivity.scenario_totals(spec, units, values, np.ones(len(leaves) - 1))
    with pytest.raises(DataError, match="no column for the indicators"):
        sensitivity.scenario_totals(spec, units, values, pd.DataFrame({leaves[0]: [1.0]}))
    with pytest.raises(DataError) as err:
        sensitivity.scenario_totals(spec, units, values, {**{c: 1.0 for c in leaves[1:]}, "zz": 2.0})
    assert len(err.value.problems) == 2
    with pytest.raises(DataError, match="finite number ≥ 0"):
        sensitivity.scenario_totals(spec, units, values, -np.ones(len(leaves)))


# --------------------------------------------------------------------------- weights files and outputs


def test_write_outputs_and_bad_values(tmp_path, settings):
    spec = toy_index({"A": {"a": 10}, "B": {"b": 10, "c": 10}}, total=30, pass_line=15)
    units = toy_units("u1", "u2", "u3")
    values = frame({"u1": {"a": 1, "b": 0, "c": 0}, "u2": {"a": 0, "b": 0.8, "c": 0.5},
                    "u3": {"a": 0.6, "b": 0.6, "c": 0}})
    s = small(settings, draws=200, pass_line_range=(10.0, 20.0))
    mc = sensitivity.monte_carlo(spec, units, values, s)
    paths = sensitivity.write_outputs(tmp_path, mc, sobol=sensitivity.sobol(spec, units, values, s),
                                      remove_one=sensitivity.remove_one(spec, units, values),
                                      remove_category=sensitivity.remove_one(spec, units, values, "category"))
    assert {p.name for p in paths.values()} == {"sensitivity.csv", "sensitivity_by_family.csv",
                                                "sensitivity_scenarios.csv", "sensitivity_sobol.csv",
                                                "sensitivity_remove_one.csv", "sensitivity_reading.csv",
                                                "sensitivity_inputs.csv", "sensitivity_remove_category.csv"}
    main = pd.read_csv(tmp_path / "sensitivity.csv")
    assert list(main.columns) == sensitivity.SUMMARY_COLUMNS and list(main["unit"]) == units.codes
    fams = pd.read_csv(tmp_path / "sensitivity_scenarios.csv")
    assert list(fams["family"]) == [f.code for f in settings.families]
    assert fams["spearman"].between(-1, 1).all() and (fams["mean_abs_shift"] >= 0).all()

    long = values.rename_axis(index="unit", columns="metric").stack().rename("value").reset_index()
    both = pd.concat([long.assign(month="2019-11"), long.assign(month="2019-12", value=0.0)])
    pd.testing.assert_frame_equal(sensitivity.month_values(both, "2019-11").loc[units.codes, values.columns],
                                  values, check_names=False)
    with pytest.raises(DataError, match="name the month"):
        sensitivity.month_values(both)

    with pytest.raises(DataError) as err:
        sensitivity.monte_carlo(spec, units, values.rename(index={"u1": "nowhere"}, columns={"a.m": "zz"}), s)
    assert len(err.value.problems) == 2
