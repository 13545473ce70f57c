"""Monte Carlo over the uncertain inputs: weights, normalisation, aggregation and the pass line.

Per scenario family, `draws` draws over the inputs it varies (design.py; everything else
nominal), Latin hypercube (or independent uniform, `sampling: random`) on the unit hypercube:

- weights:        every perturbed level's weights × U(1 − r, 1 + r), back to points by
                  weights.rescale (total: all leaves rescaled to T; parent: within each parent)
- normalisation:  each metric whose method may change takes one of its alternatives, uniformly
- aggregation:    arithmetic or geometric, uniformly among `aggregation.methods`
- pass_line:      U(low, high) of pass_line.range

Every rank, band and pass decision uses the total rounded as printed (`engine.rounded_array`);
the statistics are statistics.py's. The families (and the plain reading's own draws) run on
THREADS threads at once (run_families); each has its own random stream, so the numbers do not
depend on the threads.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring.analysis.sensitivity.design import Design, Draws, input_design
from scoring.analysis.sensitivity.model import MonthModel, build_model, stream
from scoring.analysis.sensitivity.reading import inputs_table, reading_table
from scoring.analysis.sensitivity.settings import Family, SensitivitySettings
from scoring.analysis.sensitivity.statistics import DrawsOutcome, family_row, score_draws, summary_frame, tally_draws
from scoring.analysis.sensitivity.tables import BY_FAMILY_COLUMNS, FAMILY_COLUMNS, SUMMARY_COLUMNS
from scoring.errors import DataError
from scoring.index.spec import IndexSpec, Units

WEIGHT_PREFIX = "weight:"  # scenario columns holding a leaf's points
SHARE_PREFIX = "share:"  # scenario columns holding a metric's share of its indicator (metric noise only)
THREADS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
KEEP_DRAWS_MAX = 10_000_000  # draws × units of one family kept by default (~130 MB: totals, ranks, 达标)


@dataclass
class MonteCarloResult:
    """Draws and their summaries. Every frame shares the draw index 0 … D−1 (all families).

    ranks, totals   draws × units (unit codes as columns); None when the draws were not kept
                    (monte_carlo's keep_draws)
    scenarios       per draw: family, aggregation, weight:<indicator> (its points, Σ = total),
                    method:<metric> (the method used, for the metrics that may change; the text
                    columns are pandas Categoricals),
                    share:<metric> (when metric weights vary), pass_line (when it varies)
    summary         per unit (summary family): unit, nominal_rank, median_rank, rank_p05,
                    rank_p95, pass_probability
    by_family       the same per family: family, unit, nominal_rank, median_rank, …
    families        per family: family, label, draws, spearman (mean over draws of Spearman's ρ
                    with the nominal totals), mean_abs_shift (mean |rank − nominal rank| over
                    draws and units), share_moved_gt2 (share of draw × unit with |shift| > 2)
    reading         the plain reading (reading.py): unit × decision × input
    inputs          what every uncertain input could do (reading.inputs_table)
    nominal         per unit: unit, total, rank, pass (the engine's)
    """

    ranks: pd.DataFrame | None
    totals: pd.DataFrame | None
    scenarios: pd.DataFrame
    summary: pd.DataFrame
    by_family: pd.DataFrame
    families: pd.DataFrame
    nominal: pd.DataFrame
    seed: int
    settings: SensitivitySettings
    reading: pd.DataFrame | None = None
    inputs: pd.DataFrame | None = None


@dataclass
class FamilyRun:
    family: Family
    design: Design
    draws: Draws
    outcome: DrawsOutcome


def run_family(model: MonthModel, settings: SensitivitySettings, family: Family, seed: int,
               name: str | None = None, draws: int | None = None, keep: bool = True) -> FamilyRun:
    """The draws of one family (stream `monte_carlo:<code>` unless `name` is given) and their outcome
    (`keep`: every draw's totals, ranks and 达标; else only their tally, statistics.tally_draws)."""
    des = input_design(model, settings, family.vary)
    n = settings.draws if draws is None else int(draws)
    u = des.sample(n, stream(seed, name or f"monte_carlo:{family.code}"))
    found = des.draws(u)
    return FamilyRun(family, des, found, (score_draws if keep else tally_draws)(model, found, settings.epsilon))


def run_families(model: MonthModel, settings: SensitivitySettings, tasks: list[tuple[Family, str | None]],
                 seed: int, keep: bool) -> list[FamilyRun]:
    """run_family for every (family, stream name) of `tasks`, returned in order: on THREADS threads at
    once, the costliest first (`costliest_first`) so that the threads finish together (numpy and BLAS release
    the GIL; every family has its own stream, so the numbers are the same whatever the threads)."""
    workers = min(len(tasks), THREADS)
    if workers <= 1:
        return [run_family(model, settings, fam, seed, name, keep=keep) for fam, name in tasks]
    _ = model.nominal  # computed once, before the threads
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {i: pool.submit(run_family, model, settings, tasks[i][0], seed, tasks[i][1], keep=keep)
                   for i in costliest_first(model, settings, [fam for fam, _name in tasks])}
        return [futures[i].result() for i in range(len(tasks))]


def costliest_first(model: MonthModel, settings: SensitivitySettings, families: list[Family]) -> list[int]:
    """Positions of `families`, the costliest first (ties in order). Cost: 1 per draw scored (0.01
    when only the aggregation or the pass line varies: a block's draws are scored once), × 1.5 when
    the geometric aggregation is drawn (its categories scored one by one)."""
    def cost(family: Family) -> float:
        des = input_design(model, settings, family.vary)
        scored = des.varies("weights") or des.varies("normalisation")
        return (1.0 if scored else 0.01) * (1.5 if des.varies("aggregation") else 1.0)

    costs = [cost(f) for f in families]
    return sorted(range(len(families)), key=lambda i: -costs[i])


def keeps_draws(keep_draws: bool | None, settings: SensitivitySettings, units: int) -> bool:
    """Whether monte_carlo keeps the draws × units frames: as asked, else (None) when they stay
    small (draws × units ≤ KEEP_DRAWS_MAX per family). Quantiles from the tally are numpy's
    'linear' only: another quantile method keeps the draws."""
    if settings.quantile_method != "linear":
        return True
    return settings.draws * units <= KEEP_DRAWS_MAX if keep_draws is None else keep_draws


def monte_carlo(spec: IndexSpec, units: Units, values: pd.DataFrame, settings: SensitivitySettings,
                seed: int | None = None, *, model: MonthModel | None = None,
                keep_draws: bool | None = None) -> MonteCarloResult:
    """Draw `settings.draws` scenarios per family and summarise the ranks (see MonteCarloResult).

    Per family, a Latin hypercube over the inputs it varies (design.py); what a family does
    not vary stays nominal. Ranks and pass_probability (share of draws with rounded total ≥
    the draw's pass line) use the totals rounded as printed, as the engine's nominal rank and
    达标 do; the quantiles are numpy.quantile's `statistics.quantile_method`. `model`: a month
    model built with these settings (build_model), to share it between analyses. `keep_draws`
    (keeps_draws): False leaves `ranks` and `totals` None and holds only a block of draws at a
    time (the statistics are the same); None keeps them up to KEEP_DRAWS_MAX draws × units per
    family (at 2,844 units: up to 3,516 draws).
    """
    seed = settings.seed if seed is None else int(seed)
    model = build_model(spec, units, values, settings) if model is None else model
    nominal = model.nominal
    nominal_rank = nominal["rank"].to_numpy()
    keep = keeps_draws(keep_draws, settings, len(model.units))
    covered = {f.vary[0] for f in settings.families if len(f.vary) == 1 and input_design(model, settings, f.vary).dims}
    designs = {name: input_design(model, settings, (name,), strict=False) for name in settings.reading_inputs}
    extra = [(Family(f"reading_{name}", name, (name,)), f"monte_carlo:reading:{name}")
             for name in settings.reading_inputs if name not in covered and designs[name].dims]
    runs = run_families(model, settings, [(fam, None) for fam in settings.families] + extra, seed, keep)
    parts = runs[:len(settings.families)]

    single: dict[str, tuple[str, DrawsOutcome]] = {}
    for part in parts:
        if len(part.family.vary) == 1 and part.design.dims:
            single.setdefault(part.family.vary[0], (part.family.code, part.outcome))
    for run in runs[len(settings.families):]:
        single[run.family.vary[0]] = (run.family.code, run.outcome)
    varying = {name: [f.code for f in settings.families if name in f.vary] for name in designs}

    scen = _scenarios(model, parts)
    by_family = pd.concat([summary_frame(model.units, nominal_rank, p.outcome, settings.quantile_method,
                                         BY_FAMILY_COLUMNS, family=p.family.code) for p in parts],
                          ignore_index=True)
    summary = by_family[by_family["family"] == settings.summary_family][SUMMARY_COLUMNS].reset_index(drop=True)
    rows = [family_row(p.family.code, p.family.label, p.outcome, nominal_rank) for p in parts]
    return MonteCarloResult(
        ranks=_frame([p.outcome.ranks for p in parts], model.units) if keep else None,
        totals=_frame([p.outcome.totals for p in parts], model.units) if keep else None,
        scenarios=scen, summary=summary, by_family=by_family, families=pd.DataFrame(rows, columns=FAMILY_COLUMNS),
        nominal=nominal, seed=seed, settings=settings,
        reading=reading_table(model.units, nominal, single, settings),
        inputs=inputs_table({n: d for n, d in designs.items() if d.dims}, settings, varying),
    )


def _frame(arrays: list[np.ndarray | None], units: list[str]) -> pd.DataFrame:
    """The families' draws one under the other (no copy for a single family: memory at many units)."""
    kept = [a for a in arrays if a is not None]
    return pd.DataFrame(kept[0] if len(kept) == 1 else np.concatenate(kept), columns=units, copy=False
                        ).rename_axis("draw")


def _scenarios(model: MonthModel, parts: list[FamilyRun]) -> pd.DataFrame:
    """Per draw: family, aggregation, weight:<leaf>, share:<metric>, method:<metric>, pass_line."""
    n = [len(p.draws) for p in parts]
    scen: dict[str, object] = {
        "draw": np.arange(sum(n)),
        "family": pd.Categorical.from_codes(np.repeat(np.arange(len(parts)), n), [p.family.code for p in parts]),
        "aggregation": pd.Categorical(np.concatenate([p.draws.aggregation for p in parts]))}
    points = np.concatenate([p.draws.leaf_points for p in parts])
    scen.update({f"{WEIGHT_PREFIX}{code}": points[:, i] for i, code in enumerate(model.leaf_codes)})
    if any(p.draws.share is not None for p in parts):
        shares = np.concatenate([np.broadcast_to(model.metric_share, (len(p.draws), len(model.metric_codes)))
                                 if p.draws.share is None else p.draws.share for p in parts])
        scen.update({f"{SHARE_PREFIX}{code}": shares[:, i] for i, code in enumerate(model.metric_codes)})
    if len(model.swap_idx):
        choice = np.concatenate([np.broadcast_to(model.nominal_choice, (len(p.draws), len(model.swap_idx)))
                                 if p.draws.choice is None else p.draws.choice for p in parts])
        scen.update({f"method:{model.metric_codes[i]}": pd.Categorical.from_codes(choice[:, s], model.swap_options)
                     for s, i in enumerate(model.swap_idx)})
    if any(p.design.varies("pass_line") for p in parts):
        scen["pass_line"] = np.concatenate([p.draws.pass_line for p in parts])
    return pd.DataFrame(scen)


def scenario_totals(spec: IndexSpec, units: Units, values: pd.DataFrame,
                    leaf_points: np.ndarray | pd.DataFrame | pd.Series | Mapping[str, float]) -> np.ndarray:
    """Totals (draws × units, full precision) for given indicator points — the Monte Carlo's route
    for a recorded weight set: arithmetic aggregation, every metric on its own method.

    total_du = Σ_m P_l(m),d × s_m,d × f_mu  (s_m the metric's share of its indicator: the
    published q_m / P_l(m)°, or the `share:<metric>` columns when a DataFrame has them).

    `leaf_points`: (D, L) or (L,) points in the order of the leaves (the `weight:<code>`
    columns of MonteCarloResult.scenarios), or a DataFrame whose columns are the leaf codes
    (bare or `weight:`-prefixed, other columns ignored — so `mc.scenarios` itself works),
    or one weight set as a Series / mapping code → points. The points are used as given
    (not rescaled to the index total). Columns of the result follow `units.codes`.
    A weights file's numbers (any node or metric, rescaled among siblings) are
    `weight_sets.set_totals`'s.
    """
    model = build_model(spec, units, values)
    codes = model.leaf_codes
    share = None
    if isinstance(leaf_points, pd.DataFrame):
        named = {c.removeprefix(WEIGHT_PREFIX): c for c in leaf_points.columns
                 if isinstance(c, str) and c.removeprefix(WEIGHT_PREFIX) in codes}
        missing = [c for c in codes if c not in named]
        if missing:
            raise DataError(f"leaf points: no column for the indicators {missing}")
        points = leaf_points[[named[c] for c in codes]].to_numpy(dtype=float)
        share_cols = [f"{SHARE_PREFIX}{c}" for c in model.metric_codes]
        if all(c in leaf_points.columns for c in share_cols):
            share = leaf_points[share_cols].to_numpy(dtype=float)
    elif isinstance(leaf_points, pd.Series | Mapping):
        given = {str(k).removeprefix(WEIGHT_PREFIX): v for k, v in dict(leaf_points).items()}
        problems = [f"leaf points: indicator {c!r} is missing" for c in codes if c not in given]
        problems += [f"leaf points: {c!r} is not an indicator of the index" for c in given if c not in codes]
        if problems:
            raise DataError(f"leaf points: {len(problems)} problem(s)", problems=problems)
        points = np.asarray([[float(given[c]) for c in codes]])
    else:
        points = np.atleast_2d(np.asarray(leaf_points, dtype=float))
        if points.ndim != 2 or points.shape[1] != len(codes):
            raise DataError(f"leaf points: expected shape (draws, {len(codes)}) in the order {codes}, "
                            f"got {np.shape(leaf_points)}")
    if not np.isfinite(points).all() or (points < 0).any():
        raise DataError("leaf points: every indicator's points must be a finite number ≥ 0")
    return model.totals(points, share=share)
