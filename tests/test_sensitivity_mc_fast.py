"""The Monte Carlo's fast route (issue 13: 10,000 draws × 4 families at 2,844 units) against plain
references written out here: the printed totals in fewer passes, counted ranks in small histogram
blocks, the Tally of repeated draws and its statistics read off the counts, the geometric totals a
few draws at a time, the families run costliest first. Every comparison is exact."""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from scoring.analysis import sensitivity
from scoring.analysis.sensitivity import statistics as st
from scoring.index.spec import Unit, Units, load_index
from tests.test_sensitivity import synthetic_month

ROOT = Path(__file__).resolve().parents[1]
model_module = importlib.import_module("scoring.analysis.sensitivity.model")
montecarlo_module = importlib.import_module("scoring.analysis.sensitivity.montecarlo")
tally_module = importlib.import_module("scoring.analysis.sensitivity.tally")


@pytest.fixture(scope="module")
def month():
    spec = load_index(ROOT / "params" / "index.yaml")
    units = Units(units=tuple(Unit(f"u{i:02d}", f"单位{i}", "county") for i in range(30)), tiers={"county": "县"},
                  sha256="")
    settings = sensitivity.load_settings(ROOT / "params" / "sensitivity.yaml")
    return spec, units, synthetic_month(spec, units, seed=5), settings


def reference_tally(ranks: np.ndarray, passed: np.ndarray, nominal: np.ndarray) -> dict[str, object]:
    """What a Tally must hold, counted draw by draw."""
    u = ranks.shape[1]
    counts = np.zeros((u, u + 1), np.int64)
    for row in ranks:
        counts[np.arange(u), row] += 1
    shift = np.abs(ranks.astype(np.int64) - nominal)
    return {"counts": counts, "passed": passed.sum(axis=0), "moved": (shift != 0).sum(axis=0),
            "shift": int(shift.sum()), "far": int((shift > st.MOVED_PLACES).sum())}


# --------------------------------------------------------------------------- printed totals


# --------------------------------------------------------------------------- ranks


@pytest.mark.parametrize(("units", "budget"), [(1, 4), (2, 3), (7, 5), (40, 64), (300, 1 << 15)])
def test_counted_ranks_in_small_blocks_equal_rankdata(units, budget, monkeypatch):
    monkeypatch.setattr(st, "KEY_ROWS_BUDGET", budget)  # a few rows (or one) per histogram block
    rng = np.random.default_rng(units)
    keys = rng.integers(-30, 30, size=(50, units))  # many ties, negative keys
    keys[0] = 7  # a constant draw
    keys[1, : units // 2] = keys[1].max()  # a tie at the top
    keys[2, : units // 2] = keys[2].min()  # and at the bottom
    ranks, avg = st.counted_ranks(keys)
    np.testing.assert_array_equal(ranks, stats.rankdata(-keys, method="min", axis=1))
    np.testing.assert_array_equal(avg, stats.rankdata(keys, method="average", axis=1))
    assert ranks.dtype == np.int32
    alone, none = st.counted_ranks(keys, averages=False)
    assert none is None
    np.testing.assert_array_equal(alone, ranks)


def test_printed_keys_still_refuse_what_is_not_printed():
    assert st.printed_keys(np.array([[np.inf, 1.0]]), 2) is None
    assert st.printed_keys(np.array([[1.0, -np.inf]]), 2) is None
    assert st.printed_keys(np.array([[0.125, 1.0]]), 2) is None
    assert st.printed_keys(np.array([[-0.25, 1.5]]), 2).tolist() == [[-25, 150]]


def test_pearson_rows_row_by_row_equal_the_whole_block():
    rng = np.random.default_rng(1)
    a = stats.rankdata(np.round(rng.normal(size=(40, 500)), 1), method="average", axis=1)
    b = stats.rankdata(rng.normal(size=500), method="average")
    whole = st.pearson_rows(a, b)
    parts = np.concatenate([st.pearson_rows(a[i:i + 3], b) for i in range(0, 40, 3)])
    np.testing.assert_array_equal(parts, whole)
    with np.errstate(invalid="ignore"):
        expected = stats.pearsonr(a, np.broadcast_to(b, a.shape), axis=1).statistic
    np.testing.assert_array_equal(whole, expected)


# --------------------------------------------------------------------------- the tally


@pytest.mark.parametrize("draws", [1, 2, 3, 20, 401])
def test_tally_equals_counting_draw_by_draw_with_quantiles_at_the_edges(draws, monkeypatch):
    monkeypatch.setattr(tally_module, "ROWS_COUNTED", 7)
    rng = np.random.default_rng(draws)
    u = 12
    nominal = rng.permutation(u) + 1
    ranks = np.clip(nominal + rng.integers(-5, 6, (draws, u)), 1, u).astype(np.int32)
    ranks[:, 0] = 1  # a unit always first
    ranks[:, 1] = u  # and one always last
    passed = rng.random((draws, u)) > 0.5
    tally = st.Tally.empty(u)
    for start in range(0, draws, 9):
        tally.add(ranks[start:start + 9], passed[start:start + 9], nominal)
    ref = reference_tally(ranks, passed, nominal)
    np.testing.assert_array_equal(tally.counts, ref["counts"])
    np.testing.assert_array_equal(tally.passed, ref["passed"])
    np.testing.assert_array_equal(tally.moved, ref["moved"])
    assert (tally.shift, tally.far, tally.draws) == (ref["shift"], ref["far"], draws)
    ps = [0.0, 0.05, 0.5, 0.95, 1.0, 1 / 3]
    for got, p in zip(tally.settle(ps[:2]).quantiles(ps), ps, strict=True):
        np.testing.assert_array_equal(got, np.quantile(ranks, p, axis=0, method="linear"))


def test_repeated_draws_tally_as_if_each_draw_were_counted():
    """Distinct rows with each draw's row and own pass line, lines equal to a printed total included
    (≥: 达标), against the rows copied out and compared draw by draw."""
    rng = np.random.default_rng(4)
    u, distinct = 9, 4
    shown = np.round(rng.uniform(110, 130, (distinct, u)), 2)
    shown[2] = shown[0]  # a row repeated
    ranks = stats.rankdata(-shown, method="min", axis=1).astype(np.int32)
    back = rng.integers(0, 3, 300)  # row 3 never drawn
    line = np.round(rng.uniform(115, 125, 300), 2)
    line[:20] = shown[back[:20], 4]  # exactly on a printed total
    nominal = np.arange(1, u + 1)
    tally = st.Tally.empty(u)
    tally.add_repeated(ranks, shown, back, line, nominal)
    tally.add_repeated(ranks, shown, back[:5], line[:5], nominal)
    every, lines = np.concatenate([back, back[:5]]), np.concatenate([line, line[:5]])
    ref = reference_tally(ranks[every], shown[every] >= lines[:, None], nominal)
    np.testing.assert_array_equal(tally.counts, ref["counts"])
    np.testing.assert_array_equal(tally.passed, ref["passed"])
    assert (tally.shift, tally.far, tally.draws) == (ref["shift"], ref["far"], 305)


# --------------------------------------------------------------------------- the Monte Carlo


def test_tallied_monte_carlo_in_small_pieces_equals_the_kept_draws(month, monkeypatch):
    """Kept draws (score_draws, expanded) and the tally in tiny pieces — histogram blocks of a few
    rows, counting 5 draws at a time, geometric totals 3 draws at a time, blocks of 64 draws — give the
    same tables, exactly; the pass-line reading tallies its repeated draws without copying them."""
    spec, units, values, settings = month
    s = dataclasses.replace(settings, draws=300)
    kept = sensitivity.monte_carlo(spec, units, values, s, keep_draws=True)
    monkeypatch.setattr(st, "KEY_ROWS_BUDGET", 40)
    monkeypatch.setattr(tally_module, "ROWS_COUNTED", 5)
    monkeypatch.setattr(st, "RANK_CELLS", 100)
    monkeypatch.setattr(model_module, "ROW_CELLS", 90)
    monkeypatch.setattr(model_module, "CHUNK", 64)
    small = sensitivity.monte_carlo(spec, units, values, s, keep_draws=False)
    assert small.ranks is None
    for name in ("summary", "by_family", "families", "reading", "inputs", "scenarios", "nominal"):
        pd.testing.assert_frame_equal(getattr(small, name), getattr(kept, name), check_exact=True, obj=name)


def test_geometric_totals_a_few_draws_at_a_time_are_the_same(month, monkeypatch):
    spec, units, values, settings = month
    model = sensitivity.build_model(spec, units, values, settings)
    rng = np.random.default_rng(0)
    leaf = model.leaf_points * rng.uniform(0.7, 1.3, (50, len(model.leaf_points)))
    pick = rng.integers(0, 3, (50, len(model.swap_idx))) % model.swap_count
    choice = model.swap_allowed[np.arange(len(model.swap_idx)), pick]
    geometric = rng.random(50) > 0.4
    whole = model.totals(leaf, choice, geometric)
    monkeypatch.setattr(model_module, "ROW_CELLS", 45)
    np.testing.assert_array_equal(model.totals(leaf, choice, geometric), whole)
    assert geometric.any() and not np.array_equal(whole[geometric], model.totals(leaf, choice)[geometric])


def test_families_run_costliest_first_come_back_in_order(month, monkeypatch):
    spec, units, values, settings = month
    s = dataclasses.replace(settings, draws=50)
    model = sensitivity.build_model(spec, units, values, s)
    codes = [f.code for f in s.families]
    order = [codes[i] for i in montecarlo_module.costliest_first(model, s, list(s.families))]
    assert order == ["combined", "weights", "normalisation", "aggregation"]  # ties keep their order
    monkeypatch.setattr(montecarlo_module, "THREADS", 2)
    runs = montecarlo_module.run_families(model, s, [(f, None) for f in s.families], s.seed, keep=False)
    assert [r.family.code for r in runs] == codes
    alone = [montecarlo_module.run_family(model, s, f, s.seed, keep=False) for f in s.families]
    for run, one in zip(runs, alone, strict=True):
        np.testing.assert_array_equal(run.outcome.tally.counts, one.outcome.tally.counts)
        np.testing.assert_array_equal(run.outcome.rho, one.outcome.rho)


def test_a_published_rank_no_draw_takes_counts_every_draw_as_moved():
    tally = st.Tally.empty(3)
    ranks = np.array([[1, 2, 3], [1, 3, 2]], dtype=np.int32)
    tally.add(ranks, ranks > 1, np.array([1, 5, 2]))
    ref = reference_tally(ranks, ranks > 1, np.array([1, 5, 2]))
    np.testing.assert_array_equal(tally.moved, [0, 2, 1])
    assert (tally.shift, tally.far) == (ref["shift"], ref["far"]) == (6, 1)
