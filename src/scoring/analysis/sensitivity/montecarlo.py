"""Monte Carlo over the weights, the normalisation of relative metrics and the aggregation.

Per scenario family, `draws` Latin-hypercube draws over the choices it varies (everything
else nominal):

- weights:        P_l = P_l° × x_k(l),  x_k ~ U(1 − r, 1 + r) for the node k at `weights.level`
                  above leaf l, then every P_l × T / Σ P (the total stays T)
- normalisation:  each swappable metric takes one of `normalisation.methods`, uniformly
- aggregation:    arithmetic or geometric, uniformly among `aggregation.methods`

Every rank, band and pass decision uses the total rounded as printed (`engine.rounded_array`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from scoring.analysis.sensitivity.model import build_model, factor_map, nominal_table, perturbed_points, stream
from scoring.analysis.sensitivity.settings import SensitivitySettings
from scoring.analysis.sensitivity.tables import BY_FAMILY_COLUMNS, FAMILY_COLUMNS, SUMMARY_COLUMNS
from scoring.errors import DataError
from scoring.index.spec import IndexSpec, Units

MOVED_PLACES = 2  # share_moved_gt2: units more than this many places from their nominal rank
PERCENTILES = (5, 95)
WEIGHT_PREFIX = "weight:"  # scenario columns holding a leaf's points


@dataclass
class MonteCarloResult:
    """Draws and their summaries. Every frame shares the draw index 0 … D−1 (all families).

    ranks, totals   draws × units (unit codes as columns)
    scenarios       per draw: family, aggregation, weight:<indicator> (its points, Σ = total),
                    method:<metric> (the method used, for the metrics that may change)
    summary         per unit (summary family): unit, nominal_rank, median_rank, rank_p05,
                    rank_p95, pass_probability
    by_family       the same per family: family, unit, nominal_rank, median_rank, …
    families        per family: family, label, draws, spearman (mean over draws of Spearman's ρ
                    with the nominal totals), mean_abs_shift (mean |rank − nominal rank| over
                    draws and units), share_moved_gt2 (share of draw × unit with |shift| > 2)
    nominal         per unit: unit, total, rank, pass (the engine's)
    """

    ranks: pd.DataFrame
    totals: pd.DataFrame
    scenarios: pd.DataFrame
    summary: pd.DataFrame
    by_family: pd.DataFrame
    families: pd.DataFrame
    nominal: pd.DataFrame
    seed: int
    settings: SensitivitySettings


def monte_carlo(spec: IndexSpec, units: Units, values: pd.DataFrame, settings: SensitivitySettings,
                seed: int | None = None) -> MonteCarloResult:
    """Draw `settings.draws` scenarios per family and summarise the ranks (see MonteCarloResult).

    Per family, a Latin hypercube over the varied choices: weight multipliers
    x ~ U(1 − r, 1 + r) (renormalised to the total), one of `normalisation.methods` per
    swappable metric, one of `aggregation.methods`; what a family does not vary stays nominal.
    Ranks and pass_probability (share of draws with rounded total ≥ the pass line) use the
    totals rounded as printed, as the engine's nominal rank and 达标 do.
    """
    seed = settings.seed if seed is None else int(seed)
    model = build_model(spec, units, values, settings)
    nominal = nominal_table(spec, units, values)
    nominal_rank = nominal["rank"].to_numpy()
    nominal_shown = model.shown(nominal["total"].to_numpy(dtype=float))
    factors, leaf_factor = factor_map(spec, settings.weight_level)
    r, n, n_swap = settings.weight_range, settings.draws, len(model.swap_idx)

    parts = []
    for fam in settings.families:
        n_w = len(factors) if "weights" in fam.vary else 0
        n_s = n_swap if "normalisation" in fam.vary else 0
        n_a = 1 if "aggregation" in fam.vary and len(settings.aggregations) > 1 else 0
        dims = n_w + n_s + n_a
        u = (qmc.LatinHypercube(d=dims, rng=stream(seed, f"monte_carlo:{fam.code}")).random(n)
             if dims else np.empty((n, 0)))
        mult = 1.0 - r + 2.0 * r * u[:, :n_w] if n_w else np.ones((n, len(factors)))
        points = perturbed_points(model.leaf_points, leaf_factor, mult, spec.total)
        k = len(model.swap_options)
        choice = (np.minimum((u[:, n_w:n_w + n_s] * k).astype(np.intp), k - 1) if n_s
                  else np.broadcast_to(model.nominal_choice, (n, n_swap)))
        if n_a:
            agg_idx = np.minimum((u[:, -1] * len(settings.aggregations)).astype(np.intp),
                                 len(settings.aggregations) - 1)
            aggregation = np.asarray(settings.aggregations)[agg_idx]
        else:
            aggregation = np.full(n, "arithmetic")
        totals = model.totals(points, choice if n_s else None, aggregation == "geometric", settings.epsilon)
        parts.append((fam, totals, model.ranks(totals), points, choice, aggregation))

    unit_cols = model.units
    ranks = np.concatenate([p[2] for p in parts])
    totals = np.concatenate([p[1] for p in parts])
    family_col = np.concatenate([np.full(n, p[0].code) for p in parts])
    scen = {"draw": np.arange(len(family_col)), "family": family_col,
            "aggregation": np.concatenate([p[5] for p in parts])}
    all_points = np.concatenate([p[3] for p in parts])
    scen.update({f"{WEIGHT_PREFIX}{code}": all_points[:, i] for i, code in enumerate(model.leaf_codes)})
    all_choice = np.concatenate([p[4] for p in parts]) if n_swap else np.empty((len(family_col), 0), np.intp)
    options = np.asarray(model.swap_options)
    scen.update({f"method:{model.metric_codes[i]}": options[all_choice[:, s]] for s, i in enumerate(model.swap_idx)})

    by_family, fam_rows = [], []
    for fam, fam_totals, fam_ranks, *_ in parts:
        shown = model.shown(fam_totals)
        by_family.append(pd.DataFrame({
            "family": fam.code, "unit": unit_cols, "nominal_rank": nominal_rank,
            "median_rank": np.median(fam_ranks, axis=0),
            "rank_p05": np.percentile(fam_ranks, PERCENTILES[0], axis=0, method="inverted_cdf").astype(int),
            "rank_p95": np.percentile(fam_ranks, PERCENTILES[1], axis=0, method="inverted_cdf").astype(int),
            "pass_probability": (shown >= spec.pass_line).mean(axis=0),
        }))
        shift = np.abs(fam_ranks - nominal_rank[None, :])
        fam_rows.append({"family": fam.code, "label": fam.label, "draws": n,
                         "spearman": mean_spearman(shown, nominal_shown),
                         "mean_abs_shift": float(shift.mean()),
                         "share_moved_gt2": float((shift > MOVED_PLACES).mean())})
    by_family_frame = pd.concat(by_family, ignore_index=True)[BY_FAMILY_COLUMNS]
    summary = (by_family_frame[by_family_frame["family"] == settings.summary_family]
               [SUMMARY_COLUMNS].reset_index(drop=True))
    return MonteCarloResult(
        ranks=pd.DataFrame(ranks, columns=unit_cols).rename_axis("draw"),
        totals=pd.DataFrame(totals, columns=unit_cols).rename_axis("draw"),
        scenarios=pd.DataFrame(scen), summary=summary, by_family=by_family_frame,
        families=pd.DataFrame(fam_rows, columns=FAMILY_COLUMNS), nominal=nominal, seed=seed, settings=settings,
    )


def mean_spearman(shown: np.ndarray, nominal_shown: np.ndarray) -> float:
    """Mean over draws of Spearman's ρ between a draw's totals and the nominal totals
    (Pearson correlation of average ranks, scipy.stats.pearsonr row by row); draws where
    either side is constant are left out."""
    a = stats.rankdata(shown, method="average", axis=1)
    b = np.broadcast_to(stats.rankdata(nominal_shown, method="average"), a.shape)
    if np.ptp(b[0]) == 0:
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rho = stats.pearsonr(a, b, axis=1).statistic
    rho = np.where(np.ptp(a, axis=1) == 0, np.nan, rho)
    return float(np.nanmean(rho)) if np.isfinite(rho).any() else math.nan


def scenario_totals(spec: IndexSpec, units: Units, values: pd.DataFrame,
                    leaf_points: np.ndarray | pd.DataFrame | pd.Series | Mapping[str, float]) -> np.ndarray:
    """Totals (draws × units, full precision) for given indicator points — the Monte Carlo's route
    for a recorded weight set: arithmetic aggregation, every metric on its own method.

    total_du = Σ_m P_l(m),d × q_m / P_l(m)° × f_mu  (a metric keeps its share of its indicator).

    `leaf_points`: (D, L) or (L,) points in the order of the leaves (the `weight:<code>`
    columns of MonteCarloResult.scenarios), or a DataFrame whose columns are the leaf codes
    (bare or `weight:`-prefixed, other columns ignored — so `mc.scenarios` itself works),
    or one weight set as a Series / mapping code → points. The points are used as given
    (not rescaled to the index total). Columns of the result follow `units.codes`.
    """
    model = build_model(spec, units, values)
    codes = model.leaf_codes
    if isinstance(leaf_points, pd.DataFrame):
        named = {c.removeprefix(WEIGHT_PREFIX): c for c in leaf_points.columns
                 if isinstance(c, str) and c.removeprefix(WEIGHT_PREFIX) in codes}
        missing = [c for c in codes if c not in named]
        if missing:
            raise DataError(f"leaf points: no column for the indicators {missing}")
        points = leaf_points[[named[c] for c in codes]].to_numpy(dtype=float)
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
    return model.totals(points)
