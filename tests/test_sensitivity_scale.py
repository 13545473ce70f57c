"""The sensitivity analysis linear in units (issue 13): counted ranks, pearsonr's ρ on a block, rank
tallies in place, repeated draws scored once, Sobol's bootstrap as one matrix product — each
against the computation it replaces, written out here as the reference (same numbers, bit for bit
where the stage tables depend on them)."""

from __future__ import annotations

import dataclasses
import importlib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from scoring.analysis import sensitivity
from scoring.analysis.sensitivity import statistics as st
from scoring.analysis.sensitivity.model import stream
from scoring.index.spec import Unit, Units, load_index, load_units
from tests.test_sensitivity import synthetic_month

ROOT = Path(__file__).resolve().parents[1]
sobol_module = importlib.import_module("scoring.analysis.sensitivity.sobol")  # the package's `sobol` is the function
montecarlo_module = importlib.import_module("scoring.analysis.sensitivity.montecarlo")


def bootstrap_stream(s: sensitivity.SensitivitySettings) -> np.random.Generator:  # sobol's bootstrap stream
    return stream(s.seed, f"bootstrap:{s.sobol_level}")


@pytest.fixture(scope="module")
def settings() -> sensitivity.SensitivitySettings:
    return sensitivity.load_settings(ROOT / "params" / "sensitivity.yaml")


@pytest.fixture(scope="module")
def linyi():
    spec = load_index(ROOT / "params" / "index.yaml")
    units = load_units(ROOT / "params" / "units.yaml")
    return spec, units, synthetic_month(spec, units, seed=3)


@pytest.fixture(scope="module")
def many():
    spec = load_index(ROOT / "params" / "index.yaml")
    units = Units(units=tuple(Unit(f"u{i:03d}", f"单位{i}", "county") for i in range(120)), tiers={"county": "县"},
                  sha256="")
    return spec, units, synthetic_month(spec, units, seed=13)


# --------------------------------------------------------------------------- the references (the code replaced)


def sorted_ranks(shown: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """'min' ranks highest first and ascending average ranks by sorting (scipy.stats.rankdata)."""
    return (stats.rankdata(-shown, method="min", axis=1).astype(np.int32),
            stats.rankdata(shown, method="average", axis=1))


def pearsonr_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """scipy.stats.pearsonr row by row, NaN for a constant row (the former spearman_rows)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rho = stats.pearsonr(a, np.broadcast_to(b, a.shape), axis=1).statistic
    return np.where(np.ptp(a, axis=1) == 0, np.nan, rho)


def tallied_counts(ranks: np.ndarray) -> np.ndarray:
    """counts[u, r] = draws with unit u at rank r, by one bincount."""
    u = ranks.shape[1]
    flat = (np.arange(u) * (u + 1))[None, :] + ranks
    return np.bincount(flat.ravel(), minlength=u * (u + 1)).reshape(u, u + 1)


def looped_bootstrap(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray, resamples: int, confidence: float,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The former Sobol bootstrap: scipy.stats.bootstrap over the row indices, sobol_indices on
    every resample in a Python loop (vectorized=False). Returns low, high as (2 × outputs × k,)."""
    n = f_a.shape[1]

    def indices(rows: np.ndarray) -> np.ndarray:
        res = stats.sobol_indices(func={"f_A": np.take(f_a, rows, -1), "f_B": np.take(f_b, rows, -1),
                                        "f_AB": np.take(f_ab, rows, -1)}, n=n)
        return np.concatenate([np.reshape(res.first_order, -1), np.reshape(res.total_order, -1)])

    with np.errstate(divide="ignore", invalid="ignore"):
        boot = stats.bootstrap((np.arange(n),), indices, n_resamples=resamples, confidence_level=confidence,
                               method="percentile", vectorized=False, rng=rng)
    return np.asarray(boot.confidence_interval.low), np.asarray(boot.confidence_interval.high)


# --------------------------------------------------------------------------- ranks and ρ


@pytest.mark.parametrize("units", [2, 3, 16, 65, 300, 1500])
def test_counted_ranks_equal_the_sorted_ones(units):
    rng = np.random.default_rng(units)
    shown = np.round(rng.normal(100, 4, size=(300, units)), 2)
    shown[1] = shown[1, 0]  # a constant draw
    shown[2, : units // 2] = 97.5  # ties
    keys = st.printed_keys(shown, 2)
    ranks, avg = st.counted_ranks(keys)
    ref_ranks, ref_avg = sorted_ranks(shown)
    np.testing.assert_array_equal(ranks, ref_ranks)
    np.testing.assert_array_equal(avg, ref_avg)
    assert ranks.dtype == np.int32
    both = st.block_ranks(shown, 2)  # whichever path it takes
    np.testing.assert_array_equal(both[0], ref_ranks)
    np.testing.assert_array_equal(both[1], ref_avg)


def test_printed_keys_refuse_what_is_not_a_printed_total():
    assert st.printed_keys(np.array([[1.25, 3.5]]), 2).tolist() == [[125, 350]]
    assert st.printed_keys(np.array([[1.255, 3.5]]), 2) is None  # not rounded to 2 decimals
    assert st.printed_keys(np.array([[np.nan, 3.5]]), 2) is None
    shown = np.array([[1.255, np.nan, 3.0, 3.0]])  # the sort handles them, as before
    ranks, _avg = st.block_ranks(shown, 2)
    assert ranks.tolist() == st.min_ranks(shown).tolist()


@pytest.mark.parametrize("units", [2, 3, 12, 64, 200, 2844])
def test_pearson_rows_are_pearsonr_to_the_last_bit(units):
    rng = np.random.default_rng(units)
    shown = np.round(rng.normal(size=(200, units)).cumsum(axis=1) * 0.3 + np.arange(units), 0)
    shown[5] = 1.0  # a constant draw
    a = stats.rankdata(shown, method="average", axis=1)
    b = stats.rankdata(np.arange(units, dtype=float)[::-1], method="average")
    np.testing.assert_array_equal(st.pearson_rows(a, b), pearsonr_rows(a, b))
    assert np.isnan(st.pearson_rows(a, np.ones(units))).all()


def test_the_tally_counts_in_place_as_bincount_did():
    rng = np.random.default_rng(2)
    u = 50
    nominal = rng.permutation(u) + 1
    tally = st.Tally.empty(u)
    blocks = [np.clip(nominal + rng.integers(-4, 5, (d, u)), 1, u).astype(np.int32) for d in (7, 30, 1)]
    for ranks in blocks:
        tally.add(ranks, ranks > 25, nominal)
    every = np.concatenate(blocks)
    np.testing.assert_array_equal(tally.counts, tallied_counts(every))
    shift = np.abs(every.astype(np.int64) - nominal)
    assert (tally.shift, tally.far, tally.draws) == (shift.sum(), (shift > st.MOVED_PLACES).sum(), len(every))
    np.testing.assert_array_equal(tally.moved, (shift != 0).sum(axis=0))
    np.testing.assert_array_equal(tally.passed, (every > 25).sum(axis=0))


# --------------------------------------------------------------------------- Monte Carlo


def test_repeated_draws_scored_once_give_the_same_tables(linyi, settings, monkeypatch):
    """The aggregation family (2 distinct draws) and the pass-line reading (1) are scored once per
    distinct draw: the tables equal scoring every draw."""
    spec, units, values = linyi
    s = dataclasses.replace(settings, draws=600)
    once = sensitivity.monte_carlo(spec, units, values, s, keep_draws=True)
    monkeypatch.setattr(st, "_distinct", lambda *inputs: (None, None))
    every = sensitivity.monte_carlo(spec, units, values, s, keep_draws=True)
    for name in ("summary", "by_family", "families", "reading", "ranks", "totals"):
        pd.testing.assert_frame_equal(getattr(once, name), getattr(every, name), check_exact=True, obj=name)


def test_the_monte_carlo_equals_the_sorted_reference_and_repeats_itself(many, settings, monkeypatch):
    """120 units (counted ranks, tallied): the same tables as sorting every draw and pearsonr row
    by row, and the same numbers on a second run with the same seed."""
    spec, units, values = many
    s = dataclasses.replace(settings, draws=500)
    fast = sensitivity.monte_carlo(spec, units, values, s, keep_draws=False)
    again = sensitivity.monte_carlo(spec, units, values, s, keep_draws=False)
    monkeypatch.setattr(st, "block_ranks", lambda shown, decimals: sorted_ranks(shown))
    monkeypatch.setattr(st, "pearson_rows", pearsonr_rows)
    monkeypatch.setattr(st, "_distinct", lambda *inputs: (None, None))
    slow = sensitivity.monte_carlo(spec, units, values, s, keep_draws=False)
    for name in ("summary", "by_family", "families", "reading", "inputs", "scenarios"):
        pd.testing.assert_frame_equal(getattr(fast, name), getattr(slow, name), check_exact=True, obj=name)
        pd.testing.assert_frame_equal(getattr(fast, name), getattr(again, name), check_exact=True, obj=name)


def test_families_on_threads_give_the_numbers_of_one_thread(linyi, settings, monkeypatch):
    spec, units, values = linyi
    s = dataclasses.replace(settings, draws=300)
    monkeypatch.setattr(montecarlo_module, "THREADS", 3)
    threaded = sensitivity.monte_carlo(spec, units, values, s, keep_draws=True)
    monkeypatch.setattr(montecarlo_module, "THREADS", 1)
    alone = sensitivity.monte_carlo(spec, units, values, s, keep_draws=True)
    for name in ("summary", "by_family", "families", "reading", "inputs", "scenarios", "ranks", "totals"):
        pd.testing.assert_frame_equal(getattr(threaded, name), getattr(alone, name), check_exact=True, obj=name)


# --------------------------------------------------------------------------- Sobol


@pytest.mark.parametrize("output", ["rank", "pass"])
def test_the_bootstrap_as_one_product_equals_the_loop_to_the_last_bit(many, settings, output):
    spec, units, values = many
    s = dataclasses.replace(settings, sobol_n=256, bootstrap_resamples=40,
                            sobol_inputs=("weights", "pass_line") if output == "pass" else ("weights",))
    got = sensitivity.sobol(spec, units, values, s, output=output)
    f_a, f_b, f_ab = sobol_outputs(many, s, output)
    low, high = looped_bootstrap(f_a, f_b, f_ab, 40, s.confidence, bootstrap_stream(s))
    k = f_ab.shape[0]
    moving = np.repeat(got["variance"].to_numpy()[::k] > 0, k)
    assert 5 * k < moving.sum() < len(moving)  # units that move and units that do not
    for col, ref in (("S1_low", low[:len(moving)]), ("S1_high", high[:len(moving)]),
                     ("ST_low", low[len(moving):]), ("ST_high", high[len(moving):])):
        np.testing.assert_array_equal(got[col].to_numpy()[moving], ref[moving], err_msg=col)
        assert (got[col].to_numpy()[~moving] == 0).all()
    again = sensitivity.sobol(spec, units, values, s, output=output)
    pd.testing.assert_frame_equal(got, again, check_exact=True)


@pytest.mark.parametrize("output", ["total", "mean_abs_shift"])
def test_the_bootstrap_of_real_valued_outputs_equals_the_loop_to_rounding(linyi, settings, output):
    spec, units, values = linyi
    s = dataclasses.replace(settings, sobol_n=128, bootstrap_resamples=30)
    got = sensitivity.sobol(spec, units, values, s, output=output)
    f_a, f_b, f_ab = sobol_outputs(linyi, s, output)
    low, high = looped_bootstrap(f_a, f_b, f_ab, 30, s.confidence, bootstrap_stream(s))
    half = len(got)
    moving = got["variance"].to_numpy() > 0
    for col, ref in (("S1_low", low[:half]), ("S1_high", high[:half]),
                     ("ST_low", low[half:]), ("ST_high", high[half:])):
        np.testing.assert_allclose(got[col].to_numpy()[moving], ref[moving], rtol=1e-11, atol=1e-12, err_msg=col)


def sobol_outputs(data, s: sensitivity.SensitivitySettings, output: str) -> tuple[np.ndarray, ...]:
    """f_A, f_B, f_AB of `sobol` (its sample, scored draw by draw through score_draws, unblocked)."""
    from scipy.stats import qmc

    spec, units, values = data
    model = sensitivity.build_model(spec, units, values, s if "normalisation" in s.sobol_inputs else None)
    noise = {s.sobol_level: s.noise.get(s.sobol_level, s.weight_range)}
    des = sensitivity.input_design(model, s, s.sobol_inputs, noise)
    factors = des.factors(s.group_weights)
    k, width, n = len(factors), des.dims, s.sobol_n
    nominal_rank = model.nominal["rank"].to_numpy()

    def evaluate(u: np.ndarray) -> np.ndarray:
        found = st.score_draws(model, des.draws(u), s.epsilon)
        return {"rank": lambda: found.ranks.T.astype(float), "total": lambda: found.totals.T,
                "pass": lambda: found.passed.T.astype(float),
                "mean_abs_shift": lambda: np.abs(found.ranks - nominal_rank[None, :]).mean(axis=1)[None, :]}[output]()

    base = qmc.Sobol(d=2 * width, scramble=True, rng=stream(s.seed, f"sobol:{s.sobol_level}")).random(n)
    a, b = base[:, :width], base[:, width:]
    ab = np.repeat(a[None, :, :], k, axis=0)
    for i, (_code, cols) in enumerate(factors):
        ab[i][:, cols] = b[:, cols]
    f_a, f_b = evaluate(a), evaluate(b)
    f_ab = evaluate(ab.reshape(k * n, width)).reshape(f_a.shape[0], k, n).transpose(1, 0, 2)
    return f_a, f_b, f_ab


def test_point_indices_in_blocks_of_outputs_equal_one_call(monkeypatch):
    rng = np.random.default_rng(4)
    f_a, f_b = rng.normal(100, 3, (37, 64)), rng.normal(100, 3, (37, 64))
    f_ab = rng.normal(100, 3, (5, 37, 64))
    whole = stats.sobol_indices(func={"f_A": f_a, "f_B": f_b, "f_AB": f_ab}, n=64)
    monkeypatch.setattr(sobol_module, "OUTPUTS_AT_ONCE", 8 * 64 * 7 * 3)  # 3 outputs a block
    got = sobol_module.point_indices(f_a, f_b, f_ab)
    np.testing.assert_array_equal(got[0], whole.first_order)
    np.testing.assert_array_equal(got[1], whole.total_order)


def test_the_resampled_statistic_in_blocks_of_outputs_is_the_same(monkeypatch):
    rng = np.random.default_rng(6)
    f_a = rng.integers(1, 30, (20, 128)).astype(float)
    f_b = rng.integers(1, 30, (20, 128)).astype(float)
    f_ab = rng.integers(1, 30, (3, 20, 128)).astype(float)
    i = rng.integers(0, 128, (9, 128))
    outputs = np.arange(20)
    whole = sobol_module.resampled_indices(f_a, f_b, f_ab, outputs, True)(i)
    monkeypatch.setattr(sobol_module, "OUTPUTS_AT_ONCE", 11 * 128 * 4)  # 4 outputs a block
    np.testing.assert_array_equal(sobol_module.resampled_indices(f_a, f_b, f_ab, outputs, True)(i), whole)
    per = [stats.sobol_indices(func={"f_A": f_a[:, j], "f_B": f_b[:, j], "f_AB": f_ab[..., j]}, n=128) for j in i]
    looped = np.stack([np.concatenate([np.ravel(r.first_order), np.ravel(r.total_order)]) for r in per], axis=1)
    np.testing.assert_array_equal(whole, looped)
