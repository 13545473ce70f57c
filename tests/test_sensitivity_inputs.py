"""The uncertain inputs of issue 11: per-level weight noise and the two rescale rules, metric weights,
method alternatives per metric, constant metrics, the pass line as a range, the quantile definition,
the plain reading, Sobol indices of every input, remove-one per category — each against a known answer
or against the engine."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from scoring import engine
from scoring.analysis import sensitivity
from scoring.analysis.sensitivity.statistics import spearman_rows
from scoring.errors import SpecError
from scoring.index import methods
from scoring.index.spec import parse_index
from scoring.index.weights import alternative_weights

from .test_sensitivity import engine_totals, frame, small, toy_index, toy_units

ROOT = Path(__file__).resolve().parents[1]
ALL = ("weights", "normalisation", "aggregation", "pass_line")


@pytest.fixture(scope="module")
def settings() -> sensitivity.SensitivitySettings:
    return sensitivity.load_settings(ROOT / "params" / "sensitivity.yaml")


@pytest.fixture(scope="module")
def linyi():
    from scoring.index.spec import load_index, load_units

    from .test_sensitivity import synthetic_month

    spec = load_index(ROOT / "params" / "index.yaml")
    units = load_units(ROOT / "params" / "units.yaml")
    return spec, units, synthetic_month(spec, units, seed=3)


def one_family(settings, vary, **changes):
    fam = sensitivity.Family("f", "试验", tuple(vary))
    return small(settings, families=(fam,), summary_family="f", **changes)


def weights_of_draw(mc, draw: int, spec) -> dict[str, float]:
    """A weights file's numbers for one draw: every leaf's points, every category the sum of its
    leaves', every metric its share (so `alternative_weights` rebuilds exactly the draw's index)."""
    row = mc.scenarios.loc[draw]
    out = {c.removeprefix("weight:"): float(v) for c, v in row.items() if c.startswith("weight:")}
    for cat in spec.categories:
        out[cat.code] = sum(out[leaf.code] for leaf in cat.walk() if leaf.metrics)
    out.update({c.removeprefix("share:"): float(v) for c, v in row.items() if c.startswith("share:")})
    return out


# --------------------------------------------------------------------------- weights per level


def test_every_level_perturbed_with_the_parent_rule_equals_the_engine_on_the_weights_file(linyi, settings,
                                                                                         tmp_path):
    """COINr's rule (weights relative within their parent) with noise on categories, indicators and
    metric weights: each draw's index, written as a weights file, scored by the engine."""
    spec, units, values = linyi
    s = one_family(settings, ["weights"], draws=4, rescale="parent",
                   weight_levels=(("category", 0.25), ("metric", 0.3)))
    mc = sensitivity.monte_carlo(spec, units, values, s, seed=3)
    assert {c for c in mc.scenarios if c.startswith("share:")} == {f"share:{m.code}" for m in spec.metrics()}
    leaves = mc.scenarios[[c for c in mc.scenarios if c.startswith("weight:")]]
    np.testing.assert_allclose(leaves.sum(axis=1), spec.total, rtol=0, atol=1e-9)
    long = values.rename_axis(index="unit", columns=None).reset_index().melt(
        id_vars="unit", var_name="metric", value_name="value").assign(month="m")
    for draw in range(4):
        path = tmp_path / f"w{draw}.yaml"
        path.write_text(yaml.safe_dump({"weights": weights_of_draw(mc, draw, spec)}), encoding="utf-8")
        alt = alternative_weights(spec, path, strict=True)  # the draw's points add up as they are
        totals = engine.summarise(alt, units, engine.score(alt, units, long)).set_index("unit")["total"]
        np.testing.assert_allclose(mc.totals.loc[draw], totals.reindex(units.codes), rtol=0, atol=1e-9)
    # the replay route of the Monte Carlo itself takes the metric shares too
    np.testing.assert_allclose(sensitivity.scenario_totals(spec, units, values, mc.scenarios), mc.totals,
                               rtol=0, atol=1e-9)


def test_the_parent_rule_keeps_the_levels_that_do_not_move(linyi, settings):
    spec, units, values = linyi
    s = one_family(settings, ["weights"], draws=300, rescale="parent")  # indicators only
    mc = sensitivity.monte_carlo(spec, units, values, s, seed=1)
    w = mc.scenarios
    for cat in spec.categories:
        leaves = [f"weight:{n.code}" for n in cat.walk() if n.metrics]
        np.testing.assert_allclose(w[leaves].sum(axis=1), cat.points, rtol=0, atol=1e-9)
        if len(leaves) > 1:
            assert w[leaves[0]].std() > 0
    # the total rule (the default) moves the categories with their indicators
    t = sensitivity.monte_carlo(spec, units, values, one_family(settings, ["weights"], draws=300), seed=1).scenarios
    c1 = [f"weight:{n.code}" for n in spec.categories[0].walk() if n.metrics]
    assert t[c1].sum(axis=1).std() > 0.5


def test_metric_weights_move_inside_their_indicator_only(linyi, settings):
    spec, units, values = linyi
    s = one_family(settings, ["weights"], draws=200, **{"weight_level": "metric",
                                                           "weight_levels": (("category", None),
                                                                             ("indicator", None))})
    mc = sensitivity.monte_carlo(spec, units, values, s, seed=2)
    leaves = {n.code: n for n in spec.nodes() if n.metrics}
    for code, node in leaves.items():
        assert (mc.scenarios[f"weight:{code}"] == node.points).all()  # the indicators keep their points
        shares = mc.scenarios[[f"share:{m.code}" for m in node.metrics]]
        np.testing.assert_allclose(shares.sum(axis=1), 1.0, rtol=0, atol=1e-12)
        if len(node.metrics) > 1:  # within a draw, shares move by at most 1.25 / 0.75 against each other
            ratio = shares.to_numpy() / np.array([m.points / node.points for m in node.metrics])
            assert (ratio.max(axis=1) / ratio.min(axis=1)).max() <= 1.25 / 0.75 + 1e-9 and ratio.std() > 0


# --------------------------------------------------------------------------- methods


def test_method_alternatives_per_metric(linyi, settings):
    spec, units, values = linyi
    minmax = [m.code for m in spec.metrics() if m.method == "minmax"]
    s = one_family(settings, ["normalisation"], draws=600, alternatives=((minmax[0], ("minmax", "rank")),))
    mc = sensitivity.monte_carlo(spec, units, values, s, seed=4)
    assert set(mc.scenarios[f"method:{minmax[0]}"]) == {"minmax", "rank"}
    counts = mc.scenarios[f"method:{minmax[0]}"].value_counts()
    assert counts["minmax"] == counts["rank"] == 300 and counts["zscore"] == 0  # uniform over its own list
    assert set(mc.scenarios[f"method:{minmax[1]}"]) == {"minmax", "rank", "zscore"}
    goal = next(m.code for m in spec.metrics() if m.method == "goalposts")
    bad = small(settings, alternatives=((minmax[0], ("rank", "zscore")), ("c9.m9", ("rank",)), (goal, ("rank",))))
    with pytest.raises(SpecError) as err:
        sensitivity.monte_carlo(spec, units, values, bad)
    text = "\n".join(err.value.problems)
    assert "own method 'minmax' must be one of its alternatives" in text
    assert "'c9.m9' is not a metric of the index" in text and f"{goal!r} is not among the metrics" in text


def test_a_constant_metric_keeps_its_marks_under_every_method(settings):
    spec = toy_index({"A": {"a": 50, "b": 50}, "B": {"c": 50}}, total=150)
    raw = copy.deepcopy(spec.raw)
    for cat in raw["children"]:
        for ind in cat["children"]:
            for m in ind["metrics"]:
                m.update(method="minmax", params={})
    spec = parse_index(raw)
    units = toy_units("x", "y", "z")
    values = frame({"x": {"a": 1, "b": 2, "c": 5}, "y": {"a": 2, "b": 2, "c": 3}, "z": {"a": 3, "b": 2, "c": 1}})
    assert methods.all_equal(values["b.m"])
    kept = sensitivity.monte_carlo(spec, units, values, one_family(settings, ["normalisation"], draws=90), seed=1)
    rescored = sensitivity.monte_carlo(spec, units, values, one_family(settings, ["normalisation"], draws=90,
                                                                       constant="rescore"), seed=1)
    nominal = engine_totals(spec, units, values).to_numpy()
    only_b = (kept.scenarios[["method:a.m", "method:c.m"]] == "minmax").all(axis=1).to_numpy()
    assert only_b.any()
    np.testing.assert_allclose(kept.totals.to_numpy()[only_b], np.tile(nominal, (only_b.sum(), 1)), atol=1e-12)
    moved = only_b & (rescored.scenarios["method:b.m"] != "minmax").to_numpy()
    assert moved.any()  # minmax gives b 1 (when_equal), rank and zscore 0.5: 25 points less
    np.testing.assert_allclose(rescored.totals.to_numpy()[moved], np.tile(nominal - 25, (moved.sum(), 1)), atol=1e-12)


# --------------------------------------------------------------------------- pass line and statistics


def test_pass_line_range_gives_the_share_of_lines_below_the_printed_total(settings):
    spec = toy_index({"A": {"a": 150}}, total=150, pass_line=120)
    units = toy_units("x", "y", "z")
    values = frame({"x": {"a": 118 / 150}, "y": {"a": 124 / 150}, "z": {"a": 0.5}})
    s = one_family(settings, ["pass_line"], draws=1000)
    mc = sensitivity.monte_carlo(spec, units, values, s, seed=6)
    line = mc.scenarios["pass_line"]
    assert line.between(115, 125).all() and mc.scenarios["pass_line"].nunique() == 1000
    p = mc.summary.set_index("unit")["pass_probability"]
    assert p["x"] == pytest.approx(0.3, abs=1e-3) and p["y"] == pytest.approx(0.9, abs=1e-3) and p["z"] == 0
    assert (mc.ranks.to_numpy() == mc.nominal["rank"].to_numpy()).all()  # the line never moves a rank
    with pytest.raises(SpecError, match=r"pass_line\.range: \[115, 125\] must lie within \[0, 100\]"):
        sensitivity.monte_carlo(toy_index({"A": {"a": 100}}, total=100), units, values, s)
    # as a candidate of the plain reading only, a range that does not fit the index is left out
    mc = sensitivity.monte_carlo(toy_index({"A": {"a": 100}}, total=100), units, values, small(settings, draws=20))
    assert "pass_line" not in set(mc.reading["input"]) and "pass_line" not in set(mc.inputs["input"])


def test_quantiles_follow_the_named_definition(settings):
    """Two units whose order depends on the weights; every definition against numpy.quantile."""
    spec = toy_index({"A": {"a": 50}, "B": {"b": 50}}, total=100)
    units = toy_units("x", "y")
    values = frame({"x": {"a": 1.0, "b": 0.0}, "y": {"a": 0.0, "b": 1.0}})
    for method in ("linear", "inverted_cdf", "hazen", "nearest"):
        s = one_family(settings, ["weights"], draws=400, quantile_method=method,
                       **{"weight_level": "category", "weight_levels": (("indicator", None), ("metric", None))})
        mc = sensitivity.monte_carlo(spec, units, values, s, seed=8)
        got = mc.summary.set_index("unit")
        for unit in ("x", "y"):
            ranks = mc.ranks[unit].to_numpy()
            for col, q in (("rank_p05", 0.05), ("median_rank", 0.5), ("rank_p95", 0.95)):
                assert got.loc[unit, col] == np.quantile(ranks, q, method=method), (method, unit, col)
    # R type 7 by hand: h = (n − 1) p; x_(⌊h⌋) + (h − ⌊h⌋)(x_(⌊h⌋+1) − x_(⌊h⌋))
    x = np.sort(np.array([1] * 20 + [2] * 380))
    h = (len(x) - 1) * 0.05
    by_hand = x[int(h)] + (h - int(h)) * (x[int(h) + 1] - x[int(h)])
    assert np.quantile(x, 0.05, method="linear") == pytest.approx(by_hand, abs=1e-12)
    assert by_hand == pytest.approx(1.95) and np.quantile(x, 0.05, method="inverted_cdf") == 1


def test_spearman_once_per_distinct_ranking_equals_pearsonr_row_by_row():
    rng = np.random.default_rng(1)
    shown = np.round(rng.normal(size=(3000, 12)).cumsum(axis=1) * 0.3 + np.arange(12), 0)
    shown[::7] = shown[0]  # repeated rankings
    shown[5] = 1.0  # a constant draw
    nominal = np.arange(12.0)
    a = stats.rankdata(shown, method="average", axis=1)
    with np.errstate(all="ignore"), pytest.warns(stats.ConstantInputWarning):
        expected = stats.pearsonr(a, np.broadcast_to(stats.rankdata(nominal), a.shape), axis=1).statistic
    expected[5] = np.nan
    np.testing.assert_array_equal(spearman_rows(shown, nominal), expected)


# --------------------------------------------------------------------------- plain reading


def test_the_reading_names_the_input_that_makes_a_decision_fragile(settings):
    """x passes at 121 (fragile only to the pass line: 60% of lines in 115–125 lie below 121);
    y and z trade places when the weights move."""
    spec = toy_index({"A": {"a": 75}, "B": {"b": 75}}, total=150, pass_line=120)
    units = toy_units("x", "y", "z")
    values = frame({"x": {"a": 121 / 150, "b": 121 / 150}, "y": {"a": 0.6, "b": 0.2}, "z": {"a": 0.2, "b": 0.6}})
    s = small(settings, draws=2000, **{"weight_level": "category", "weight_levels": (("indicator", None),
                                                                                     ("metric", None))})
    mc = sensitivity.monte_carlo(spec, units, values, s, seed=2)
    r = mc.reading.set_index(["unit", "subject", "input"])
    assert list(mc.reading.columns) == sensitivity.READING_COLUMNS
    assert r.loc[("x", "pass", "pass_line"), "fragile"]
    assert r.loc[("x", "pass", "pass_line"), "order"] == 1
    assert r.loc[("x", "pass", "pass_line"), "pass_probability"] == pytest.approx(0.6, abs=1e-3)
    assert r.loc[("x", "pass", "pass_line"), "family"] == "reading_pass_line"  # no family varies it alone
    assert not r.loc[("x", "pass", "weights"), "fragile"] and not r.loc[("x", "rank", "weights"), "fragile"]
    for unit in ("y", "z"):
        assert r.loc[(unit, "rank", "weights"), "fragile"] and r.loc[(unit, "rank", "weights"), "order"] == 1
        assert r.loc[(unit, "rank", "weights"), "family"] == "weights"
        assert 0.3 < r.loc[(unit, "rank", "weights"), "moved"] < 0.7
        assert not r.loc[(unit, "rank", "pass_line"), "fragile"]
    inputs = mc.inputs.set_index("input")
    assert inputs.loc["pass_line", ["low", "high", "nominal"]].tolist() == [115.0, 125.0, 120.0]
    assert inputs.loc["weights", ["level", "low", "high", "options"]].tolist() == ["category", 0.75, 1.25, "total"]
    assert inputs.loc["weights", "families"] == "weights combined"
    off = sensitivity.monte_carlo(spec, units, values, dataclasses.replace(s, reading_inputs=()), seed=2)
    assert off.reading.empty and list(off.reading.columns) == sensitivity.READING_COLUMNS


# --------------------------------------------------------------------------- Sobol and remove-one


def test_sobol_of_the_pass_decision_apportions_it_to_the_pass_line(settings):
    """Every unit has the same fraction everywhere: weights, methods and aggregation cannot move
    a total, so x's 达标 (121 against U(115, 125)) hinges on the pass line alone: S1 = ST = 1."""
    spec = toy_index({"A": {"a": 75}, "B": {"b": 75}}, total=150, pass_line=120)
    units = toy_units("x", "y")
    values = frame({"x": {"a": 121 / 150, "b": 121 / 150}, "y": {"a": 0.5, "b": 0.5}})
    s = small(settings, sobol_n=1024, bootstrap_resamples=40, sobol_inputs=("weights", "normalisation", "pass_line"),
              sobol_output="pass")
    t = sensitivity.sobol(spec, units, values, s, seed=3).set_index(["unit", "factor"])
    assert set(t.loc["x"].index) == {"A", "B", "pass_line"}  # no metric of the toy index is relative
    assert t.loc[("x", "pass_line"), "S1"] == pytest.approx(1.0, abs=0.05)
    assert t.loc[("x", "pass_line"), "ST"] == pytest.approx(1.0, abs=0.05)
    line = t.loc[("x", "pass_line")]
    assert line["ST_low"] <= line["ST"] <= line["ST_high"]
    assert t.loc["x"].drop(index="pass_line")["ST"].abs().max() < 0.01
    assert (t.loc["y", ["S1", "ST", "variance"]].to_numpy() == 0).all()  # y never passes


def test_sobol_of_every_input_on_the_ranking_as_a_whole(linyi, settings):
    spec, units, values = linyi
    s = small(settings, sobol_n=128, bootstrap_resamples=10, sobol_inputs=ALL, sobol_output="mean_abs_shift")
    t = sensitivity.sobol(spec, units, values, s, seed=4)
    assert (t["unit"] == sensitivity.ALL_UNITS).all()
    assert list(t["factor"]) == [c.code for c in spec.categories] + ["normalisation", "aggregation", "pass_line"]
    assert t.set_index("factor").loc["pass_line", "ST"] == 0  # the line never moves a rank
    assert (t["variance"] > 0).all() and t["ST"].max() > 0.05
    with pytest.raises(SpecError, match=r"sobol\.inputs\[3\]"):
        dataclasses.replace(s, pass_line_range=None)


def test_remove_one_category_with_both_rules():
    # totals 10, 13, 12. Without A (B × 30/20): 0, 19.5, 9. Without B (A × 3): 30, 0, 18.
    spec = toy_index({"A": {"a": 10}, "B": {"b": 10, "c": 10}}, total=30)
    units = toy_units("u1", "u2", "u3")
    values = frame({"u1": {"a": 1, "b": 0, "c": 0}, "u2": {"a": 0, "b": 0.8, "c": 0.5},
                    "u3": {"a": 0.6, "b": 0.6, "c": 0}})
    for rule in ("total", "parent"):
        got = sensitivity.remove_one(spec, units, values, "category", rule).set_index(["dropped", "unit"])
        assert got["rank_without"].xs("A").to_dict() == {"u1": 3, "u2": 1, "u3": 2}
        assert got["rank_without"].xs("B").to_dict() == {"u1": 1, "u2": 3, "u3": 2}
    # an indicator: the total rule rescales every other leaf, the parent rule its siblings only.
    # Without c — total: 15, 12, 18 (u3 first); parent (b doubled inside B): 10, 16, 18.
    total = sensitivity.remove_one(spec, units, values).set_index(["dropped", "unit"])["rank_without"].xs("c")
    parent = sensitivity.remove_one(spec, units, values, rescale="parent").set_index(
        ["dropped", "unit"])["rank_without"].xs("c")
    assert total.to_dict() == {"u1": 2, "u2": 3, "u3": 1}
    assert parent.to_dict() == {"u1": 3, "u2": 2, "u3": 1}
    # a, A's only indicator, takes A with it under the parent rule
    only = sensitivity.remove_one(spec, units, values, rescale="parent").set_index(["dropped", "unit"])
    assert only["rank_without"].xs("a").to_dict() == {"u1": 3, "u2": 1, "u3": 2}


# --------------------------------------------------------------------------- the settings


def test_new_keys_are_checked_with_their_key_paths():
    source = str(ROOT / "params" / "sensitivity.yaml")  # the Chinese rules of params/labels.yaml

    def problems(data):
        with pytest.raises(SpecError) as err:
            sensitivity.parse_settings(data, source=source)
        return [p.removeprefix(f"{source}: ") for p in err.value.problems]

    good = yaml.safe_load((ROOT / "params" / "sensitivity.yaml").read_text(encoding="utf-8"))
    data = copy.deepcopy(good)
    data["sampling"] = "sobol"
    data["weights"]["levels"] = {"category": 1.5, "metric": "fixed"}
    data["weights"]["rescale"] = "sum"
    data["normalisation"]["alternatives"] = {"c1.i2.m1": ["rank", "goalposts"], "c1.i2.m2": ["rank", "rank"]}
    data["pass_line"] = {"range": [125, 115]}
    data["statistics"] = {"quantile_method": "type7"}
    data["reading"] = {"pass_band": [0.9, 0.1], "rank_places": 0}
    got = problems(data)
    assert [p.split(":")[0] for p in got] == [
        "sampling", "weights.levels.category", "weights.rescale", "normalisation.alternatives.c1.i2.m1[1]",
        "normalisation.alternatives.c1.i2.m2", "pass_line.range", "statistics.quantile_method",
        "reading.pass_band", "reading.rank_places"]
    assert got[1] == "weights.levels.category: 应为 fixed（不变动）或大于 0、小于 1 的变动幅度 — 1.5"
    assert got[5] == "pass_line.range: 应为两个递增的数 [下限, 上限] — [125, 115]"
    # rules comparing two keys, once both are valid
    data = copy.deepcopy(good)
    data["weights"]["levels"] = {"indicator": 0.1}
    data["normalisation"].update(methods=["minmax", "rank"], params={}, alternatives={"c1.i2.m3": ["zscore"]})
    data["pass_line"] = {"range": "fixed"}
    data["families"][0]["vary"] = ["weights", "pass_line"]
    data["sobol"]["inputs"] = ["pass_line"]
    assert problems(data) == [
        "weights.levels.indicator: indicator 已是 weights.level（幅度由 weights.range 给出），不能在此再列 — 0.1",
        "normalisation.alternatives.c1.i2.m3[0]: 方法 zscore 未列入 normalisation.methods — 'zscore'",
        "families[0].vary[1]: pass_line.range 为 fixed，不能变动达标线；请在 pass_line.range 给出区间 [下限, 上限]"
        " — 'pass_line'",
        "sobol.inputs[0]: pass_line.range 为 fixed，不能变动达标线；请在 pass_line.range 给出区间 [下限, 上限]"
        " — 'pass_line'"]


def test_the_defaults_keep_the_analysis_of_issue_5(settings):
    assert settings.weight_levels == (("category", None), ("metric", None)) and settings.rescale == "total"
    assert settings.noise == {"indicator": 0.25} and settings.sampling == "latin_hypercube"
    assert settings.alternatives == () and settings.constant == "keep"
    assert settings.pass_line_range == (115.0, 125.0)
    assert not any("pass_line" in f.vary for f in settings.families) and settings.sobol_inputs == ("weights",)
    assert settings.quantile_method == "linear" and settings.sobol_output == "rank"
    assert settings.reading_inputs == ALL and settings.pass_band == (0.05, 0.95) and settings.rank_places == 1
    assert sensitivity.parse_settings(settings.to_data(), source=settings.path) == settings


def test_random_sampling_is_reproducible_and_not_the_latin_hypercube(linyi, settings):
    spec, units, values = linyi
    s = one_family(settings, ["weights"], draws=50)
    lhs = sensitivity.monte_carlo(spec, units, values, s, seed=1).scenarios
    rnd = sensitivity.monte_carlo(spec, units, values, dataclasses.replace(s, sampling="random"), seed=1).scenarios
    again = sensitivity.monte_carlo(spec, units, values, dataclasses.replace(s, sampling="random"), seed=1).scenarios
    pd.testing.assert_frame_equal(rnd, again)
    assert not np.allclose(lhs.filter(like="weight:").to_numpy(), rnd.filter(like="weight:").to_numpy())


def test_average_ranks_from_the_draws_ranks_equal_rankdata():
    from scoring.analysis.sensitivity.statistics import average_ranks

    rng = np.random.default_rng(5)
    shown = np.round(rng.normal(size=(500, 9)), 1)  # many ties
    ranks = stats.rankdata(-shown, method="min", axis=1)
    np.testing.assert_array_equal(average_ranks(ranks), stats.rankdata(shown, method="average", axis=1))
    nominal = np.arange(9.0)
    np.testing.assert_array_equal(spearman_rows(shown, nominal, ranks), spearman_rows(shown, nominal))


def test_one_method_for_all_and_the_weights_as_one_sobol_factor(linyi, settings):
    """COINr's designs: the normalisation drawn once for every metric, the weights one factor."""
    spec, units, values = linyi
    s = one_family(settings, ["normalisation"], draws=300, switch="together")
    mc = sensitivity.monte_carlo(spec, units, values, s, seed=3)
    methods_ = mc.scenarios[[c for c in mc.scenarios if c.startswith("method:")]]
    assert (methods_.nunique(axis=1) == 1).all() and methods_.iloc[:, 0].value_counts().to_dict() == {
        "minmax": 100, "rank": 100, "zscore": 100}
    assert mc.inputs.set_index("input").loc["normalisation", "count"] == 1
    g = small(settings, sobol_n=64, bootstrap_resamples=0, sobol_inputs=("weights", "aggregation"),
              group_weights=True, sobol_output="total")
    t = sensitivity.sobol(spec, units, values, g, seed=1)
    assert list(t["factor"].unique()) == ["weights", "aggregation"]
