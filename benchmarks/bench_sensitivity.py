"""The vectorised sensitivity analysis against re-scoring every draw through the engine, and its growth in units.

    python benchmarks/bench_sensitivity.py [--draws 10000] [--loop-draws 100] [--seed 7]
                                           [--repeats 5] [--units 136 2844]

Every uncertain input is switched on (params/sensitivity.yaml otherwise): the weights of all
three levels (category, indicator, metric weight inside its indicator: × U(0.75, 1.25) each,
the `parent` rule), the normalisation of every relative metric (minmax, rank, zscore), the
aggregation (arithmetic or geometric) and the pass line (U(115, 125)) — one family of `--draws`
Latin-hypercube draws.

1. The demo month 2019-12 (16 units; scoring.demo, ingested in a scratch project, untimed):
   - vectorised: `sensitivity.monte_carlo` on a month model built once (`build_model`: the
     engine's fractions under every method, the engine's nominal scoring — timed apart, it does
     not depend on the draws): the draws, their totals, ranks, 达标, the statistics and tables;
   - loop: for each of the first `--loop-draws` of the same draws, the index with the draw's
     points, metric weights and methods (`spec.parse_index`; reviewers' and deductions' scales
     pinned to the published points, as a weights file does), `engine.score` and
     `engine.summarise` (a geometric draw: T × Π ((F_c + ε)/(1 + ε))^(P_c/T) on the engine's
     category points), ranked and passed on the printed totals — extrapolated linearly to `--draws`.
   Both in this run; the ratio is loop / vectorised; the ranks and 达标 of the looped draws must agree.
   Times are wall clock and this process's CPU time (on a shared machine the CPU time is the
   computation's own; wall time includes waiting for the other processes).
2. The same draws at 136 and 2,844 synthetic units (values drawn as tests/test_sensitivity.py
   does; one latent quality per unit): time and peak memory (tracemalloc, a run of its own).
3. Sobol (params/sensitivity.yaml: n, resamples, level, output) at the same sizes: `sensitivity.sobol`
   with its bootstrap (every resample's sums one matrix product, sobol.resampled_indices) against
   the loop it replaced — `scipy.stats.bootstrap(vectorized=False)` calling `scipy.stats.sobol_indices`
   on every resample, timed on the first `--loop-resamples` resamples and extrapolated; the bounds
   of those resamples must equal the vectorised statistic's, bit for bit (rank output).
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtr

from scoring import engine
from scoring.analysis import sensitivity
from scoring.index import methods
from scoring.index.spec import IndexSpec, Unit, Units, load_index, load_units, parse_index

ROOT = Path(__file__).resolve().parents[1]
ALL_INPUTS = ("weights", "normalisation", "aggregation", "pass_line")


def demo_month(month: str = "2019-12") -> pd.DataFrame:
    """Units × metric codes of one month of the built-in demo data (scoring.demo), ingested
    in a scratch project: the same realistic month the bulletin shows."""
    from scoring.demo import write_demo
    from scoring.ingest import ingest_month
    from scoring.pipeline.score import read_metrics
    from scoring.project import Project

    with tempfile.TemporaryDirectory() as tmp:
        project = Project(Path(tmp))
        shutil.copytree(ROOT / "params", project.params)
        write_demo(project)
        ingest_month(project, month)
        params = (load_index(project.params / "index.yaml"), load_units(project.params / "units.yaml"))
        return sensitivity.month_values(read_metrics(project, month, params), month)


def synthetic(spec: IndexSpec, n: int, seed: int) -> tuple[Units, pd.DataFrame]:
    """`n` units and plausible values for every metric (as tests/test_sensitivity.synthetic_month)."""
    units = Units(units=tuple(Unit(f"u{i:04d}", f"单位{i}", "county") for i in range(n)), tiers={"county": "县"},
                  sha256="")
    rng = np.random.default_rng(seed)
    q = rng.normal(size=n)
    cols = {}
    for m in spec.metrics():
        sign = 1.0 if m.direction == "higher" else -1.0
        good = ndtr(0.9 * q + 0.7 * rng.normal(size=n) + 1.0)
        if m.method in sensitivity.swappable_methods():
            cols[m.code] = np.exp(0.5 * sign * (0.8 * q + rng.normal(size=n)))
        elif m.method == "goalposts":
            f, t = m.params["floor"], m.params["target"]
            cols[m.code] = np.maximum(f + (t - f) * (1.2 * good - 0.1), 0.0)
        elif m.method == "bands":
            th = [b[0] for b in m.params["bands"]]
            cols[m.code] = np.where(good > 0.4, th[0], np.where(good > 0.2, th[-1], th[-1] - 0.01))
        elif m.method == "flag":
            cols[m.code] = (good > 0.2).astype(float)
        elif m.method == "zero_tolerance":
            cols[m.code] = (rng.random(n) > good).astype(float)
        elif m.method == "deduction":
            cols[m.code] = rng.poisson(2.0 * (1.0 - good)).astype(float)
        else:  # manual
            cols[m.code] = np.round(m.points * (0.5 + 0.5 * good), 1)
    return units, pd.DataFrame(cols, index=pd.Index(units.codes, name="unit"))


def all_inputs(settings: sensitivity.SensitivitySettings, draws: int) -> sensitivity.SensitivitySettings:
    fam = sensitivity.Family("all", "全部不确定因素", ALL_INPUTS)
    return dataclasses.replace(settings, draws=draws, families=(fam,), summary_family="all", rescale="parent",
                               weight_levels=(("category", 0.25), ("metric", 0.25)), reading_inputs=())


def engine_draw(spec: IndexSpec, units: Units, long: pd.DataFrame, settings: sensitivity.SensitivitySettings,
                row: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """One draw re-scored through the engine: (ranks, 达标) of the units in units.codes order."""
    raw = copy.deepcopy(spec.raw)
    for cat in raw["children"]:
        for ind in cat["children"]:
            ind["points"] = float(row[f"weight:{ind['code']}"])
            for metric in ind["metrics"]:
                metric["weight"] = float(row[f"share:{metric['code']}"])
                chosen = row.get(f"method:{metric['code']}", metric["method"])
                if chosen != metric["method"]:
                    metric["method"], metric["params"] = chosen, dict(settings.method_params.get(chosen, {}))
                scale = methods.CATALOGUE[metric["method"]].scale_param
                if scale is not None:  # a reviewer's 满分, a deduction's base: the published points
                    params = dict(metric.get("params") or {})
                    params.setdefault(scale, spec.metric(metric["code"]).points)
                    metric["params"] = params
        cat["points"] = sum(i["points"] for i in cat["children"])
    drawn = parse_index(raw, source="draw")
    summary = engine.summarise(drawn, units, engine.score(drawn, units, long)).set_index("unit").reindex(units.codes)
    totals = summary["total"].to_numpy()
    if row["aggregation"] == "geometric":
        eps = settings.epsilon
        cats = [c.code for c in drawn.categories]
        points = np.array([c.points for c in drawn.categories])
        frac = summary[cats].to_numpy() / points
        totals = drawn.total * np.prod(((frac + eps) / (1 + eps)) ** (points / drawn.total), axis=1)
    shown = engine.rounded(pd.Series(totals), drawn.display_decimals)
    return shown.rank(method="min", ascending=False).astype(int).to_numpy(), (shown >= row["pass_line"]).to_numpy()


def best(times: list[tuple[float, float]]) -> str:
    """Wall and CPU time (this process: what the computation itself took on a shared machine)."""
    wall = [w for w, _ in times]
    cpu = [c for _, c in times]
    return (f"{min(wall) * 1000:8.1f} ms wall, {min(cpu) * 1000:.1f} ms CPU "
            f"(best of {len(times)}; wall {', '.join(f'{t * 1000:.0f}' for t in wall)})")


def timed_monte_carlo(spec, units, values, settings, seed, repeats) -> tuple[list[tuple[float, float]], float, object]:
    """Model build (once) and the Monte Carlo's repeated (wall, CPU) times on it."""
    start = time.perf_counter()
    model = sensitivity.build_model(spec, units, values, settings)
    _ = model.nominal
    setup = time.perf_counter() - start
    times, result = [], None
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        result = sensitivity.monte_carlo(spec, units, values, settings, seed=seed, model=model)
        times.append((time.perf_counter() - start, time.process_time() - cpu))
    return times, setup, (model, result)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--loop-draws", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7, help="seed of the draws")
    parser.add_argument("--repeats", type=int, default=5, help="vectorised runs; the best time is reported")
    parser.add_argument("--units", type=int, nargs="*", default=[136, 2844])
    parser.add_argument("--loop-resamples", type=int, default=5, help="resamples of the looped Sobol bootstrap")
    args = parser.parse_args(argv)

    spec = load_index(ROOT / "params" / "index.yaml")
    units = load_units(ROOT / "params" / "units.yaml")
    settings = all_inputs(sensitivity.load_settings(ROOT / "params" / "sensitivity.yaml"), args.draws)
    values = demo_month()

    times, setup, (model, result) = timed_monte_carlo(spec, units, values, settings, args.seed, args.repeats)
    vectorised = min(w for w, _ in times)
    long = values.rename_axis(index="unit", columns=None).reset_index().melt(
        id_vars="unit", var_name="metric", value_name="value").assign(month="2019-12")
    loop_ranks, loop_pass = [], []
    start = time.perf_counter()
    for draw in range(args.loop_draws):
        ranks, passed = engine_draw(spec, units, long, settings, result.scenarios.loc[draw])
        loop_ranks.append(ranks)
        loop_pass.append(passed)
    loop = (time.perf_counter() - start) / args.loop_draws * args.draws
    n = args.loop_draws
    same_ranks = np.array_equal(np.asarray(loop_ranks), result.ranks.to_numpy()[:n])
    mc_pass = result.scenarios["pass_line"].to_numpy()[:n, None] <= model.shown(result.totals.to_numpy()[:n])
    same_pass = np.array_equal(np.asarray(loop_pass), mc_pass)

    n_cols = sensitivity.input_design(model, settings, ALL_INPUTS).dims
    print(f"index {spec.version}: {len(spec.metrics())} metrics; every input varied: weights of "
          f"{len(spec.categories)} categories, {len(model.leaf_codes)} indicators and {len(spec.metrics())} metric "
          f"weights (±25%, parent rule), methods of {len(model.swap_idx)} relative metrics, aggregation, pass line "
          f"U(115, 125): {n_cols} columns per draw; {args.draws:,} Latin-hypercube draws")
    print(f"demo month 2019-12, {len(units.codes)} units")
    print(f"  vectorised  monte_carlo: {best(times)}")
    print(f"              month model (engine fractions under every method + nominal scoring, once per month, "
          f"independent of the draws): {setup * 1000:.0f} ms")
    print(f"  loop        parse_index + engine.score + engine.summarise per draw: {loop / args.draws * 1000:.2f} "
          f"ms/draw × {args.draws:,} = {loop:8.1f} s (timed {n} draws, extrapolated)")
    print(f"  ratio       loop / vectorised = {loop / vectorised:,.0f}×  (with the month model: "
          f"{loop / (vectorised + setup):,.0f}×)")
    print(f"  check       ranks and 达标 of the {n} looped draws equal the vectorised ones: {same_ranks and same_pass}")

    per_unit = vectorised / len(units.codes)
    for count in args.units:
        big_units, big_values = synthetic(spec, count, seed=count)
        times, setup, _ = timed_monte_carlo(spec, big_units, big_values, settings, args.seed,
                                            max(1, min(args.repeats, 3 if count < 1000 else 1)))
        model = sensitivity.build_model(spec, big_units, big_values, settings)
        _ = model.nominal
        tracemalloc.start()
        sensitivity.monte_carlo(spec, big_units, big_values, settings, seed=args.seed, model=model)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        wall = min(w for w, _ in times)
        print(f"{count:,} synthetic units: monte_carlo {best(times)}; peak memory {peak / 2**20:,.0f} MiB; "
              f"{wall / count / per_unit:.2f}× the 16-unit time per unit; month model {setup:.1f} s")
    base = sensitivity.load_settings(ROOT / "params" / "sensitivity.yaml")
    same_bounds = True
    for count in args.units:
        same_bounds &= sobol_against_the_loop(spec, *synthetic(spec, count, seed=count), base, args.loop_resamples)
    return 0 if same_ranks and same_pass and same_bounds else 1


def sobol_against_the_loop(spec: IndexSpec, units: Units, values: pd.DataFrame,
                           settings: sensitivity.SensitivitySettings, loop_resamples: int) -> bool:
    """Section 3 at one size: sobol() timed whole and without its bootstrap; the loop per resample
    on the same outputs timed on `loop_resamples` resamples; whether their bounds agree exactly."""
    from scipy import stats

    sobol_mod = sys.modules["scoring.analysis.sensitivity.sobol"]
    model = sensitivity.build_model(spec, units, values)
    _ = model.nominal
    timed = {}
    for label, resamples in (("with bootstrap", settings.bootstrap_resamples), ("without", 0)):
        s = dataclasses.replace(settings, bootstrap_resamples=resamples)
        start, cpu = time.perf_counter(), time.process_time()
        sensitivity.sobol(spec, units, values, s, model=model)
        timed[label] = (time.perf_counter() - start, time.process_time() - cpu)
    f_a, f_b, f_ab = sobol_outputs(model, settings)
    n, r = f_a.shape[1], loop_resamples
    i = np.random.default_rng(0).integers(0, n, (r, n))
    start, cpu = time.perf_counter(), time.process_time()
    looped = []
    for rows in i:  # the former statistic, one resample at a time
        res = stats.sobol_indices(func={"f_A": f_a[:, rows], "f_B": f_b[:, rows], "f_AB": f_ab[..., rows]}, n=n)
        looped.append(np.concatenate([np.reshape(res.first_order, -1), np.reshape(res.total_order, -1)]))
    loop = (time.perf_counter() - start, time.process_time() - cpu)
    vector = sobol_mod.resampled_indices(f_a, f_b, f_ab, np.arange(f_a.shape[0]), True)(i)
    same = bool(np.array_equal(np.stack(looped, axis=1), vector))
    boot = tuple(a - b for a, b in zip(timed["with bootstrap"], timed["without"], strict=True))
    scale = settings.bootstrap_resamples / r
    print(f"{len(units.codes):,} synthetic units: sobol (n = {n}, {settings.bootstrap_resamples} resamples) "
          f"{timed['with bootstrap'][0]:.1f} s wall, {timed['with bootstrap'][1]:.1f} s CPU, of which the bootstrap "
          f"{boot[0]:.1f} s wall, {boot[1]:.1f} s CPU; the loop per resample: {loop[1] / r * 1000:.0f} ms CPU a "
          f"resample × {settings.bootstrap_resamples} = {loop[1] * scale:.0f} s CPU; ratio loop / vectorised "
          f"bootstrap = {loop[1] * scale / max(boot[1], 1e-3):,.0f}× (CPU); bounds of {r} resamples identical: {same}")
    return same


def sobol_outputs(model: sensitivity.MonthModel, s: sensitivity.SensitivitySettings) -> tuple[np.ndarray, ...]:
    """sobol()'s f_A, f_B, f_AB (rank output, its sample and stream) for the loop of section 3."""
    from scipy.stats import qmc

    from scoring.analysis.sensitivity.model import stream
    from scoring.analysis.sensitivity.statistics import score_draws

    noise = {s.sobol_level: s.noise.get(s.sobol_level, s.weight_range)}
    des = sensitivity.input_design(model, s, s.sobol_inputs, noise)
    factors = des.factors(s.group_weights)
    k, width, n = len(factors), des.dims, s.sobol_n
    base = qmc.Sobol(d=2 * width, scramble=True, rng=stream(s.seed, f"sobol:{s.sobol_level}")).random(n)
    a, b = base[:, :width], base[:, width:]
    ab = np.repeat(a[None, :, :], k, axis=0)
    for i, (_code, cols) in enumerate(factors):
        ab[i][:, cols] = b[:, cols]

    def ranks(u: np.ndarray) -> np.ndarray:
        return score_draws(model, des.draws(u), s.epsilon).ranks.T.astype(float)

    f_a, f_b = ranks(a), ranks(b)
    return f_a, f_b, ranks(ab.reshape(k * n, width)).reshape(f_a.shape[0], k, n).transpose(1, 0, 2)


if __name__ == "__main__":
    sys.exit(main())
