"""Variance-based (Sobol) first-order and total-effect indices of the uncertain inputs.

For output Y and factor X_i: S_i = V[E(Y | X_i)] / V(Y), ST_i = E[V(Y | X_~i)] / V(Y).
Factors: the weight of every node at `sobol.level` (one factor each) and, when listed in
`sobol.inputs`, the normalisation (every varying metric's method together: one group factor),
the aggregation and the pass line (design.py maps the unit hypercube to the inputs).
Sample: scrambled Sobol' matrices A, B (n × columns) and the k matrices A_B^(i) (A with factor
i's columns from B); estimators: `scipy.stats.sobol_indices` (Saltelli 2010: the first order
of Saltelli et al. 2010 table 2 (b), the total of Jansen 1999, table 2 (f)); intervals:
percentile bootstrap over the n rows (`scipy.stats.bootstrap`: its resamples and percentiles).

Linear in units: the model is scored a block of draws at a time (statistics.draw_blocks), the
point indices a block of outputs at a time, and every resample of the bootstrap is one row of
counts, so that the sums of all resamples are one matrix product (`resampled_indices`) instead of
sobol_indices on every resample in turn — the same numbers to the last bit for the rank and pass
outputs (integer sums are exact), to rounding for the total and mean_abs_shift. A constant
output's indices and bounds are 0 without being resampled.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from scoring.analysis.sensitivity.design import input_design
from scoring.analysis.sensitivity.model import MonthModel, build_model, stream
from scoring.analysis.sensitivity.schema import SOBOL_OUTPUTS
from scoring.analysis.sensitivity.settings import SensitivitySettings
from scoring.analysis.sensitivity.statistics import draw_blocks
from scoring.analysis.sensitivity.tables import SOBOL_COLUMNS
from scoring.errors import SpecError
from scoring.index.spec import IndexSpec, Units

OUTPUTS_AT_ONCE = 1 << 24  # floats of the (outputs × sums × rows) block multiplied by the resample counts
CONSTANT_TOLERANCE = 1e-9  # an output whose sd is below this × its size is constant (indices 0)
ALL_UNITS = "*"  # the unit column of output='mean_abs_shift' (one output for the whole ranking)


def sobol(spec: IndexSpec, units: Units, values: pd.DataFrame, settings: SensitivitySettings,
          seed: int | None = None, level: str | None = None, output: str | None = None,
          n: int | None = None, *, inputs: tuple[str, ...] | None = None,
          model: MonthModel | None = None) -> pd.DataFrame:
    """First-order (S1) and total-effect (ST) Sobol indices of the inputs on every unit's rank.

    Factors: a multiplier x_k ~ U(1 − r, 1 + r) on each node at `level` (default
    settings.sobol_level: the 6 categories; 'indicator' for the 17 indicators; r = that level's
    range in `weights`, else weights.range; `sobol.group_weights`: all of them one factor
    'weights'), points by weights.rescale; with `inputs` (default
    settings.sobol_inputs) also normalisation, aggregation, pass_line, one factor each; inputs
    not listed stay nominal. Output (default settings.sobol_output): each unit's rank
    (discrete — a unit whose rank never moves has variance 0 and all indices 0), its total,
    its 达标 (0/1), or mean_abs_shift — the mean |rank − published rank| over the units, one
    output for the ranking (unit '*'; COINr's target). The model runs n × (k + 2) times
    (n = sobol.n, a power of 2; k factors); the bootstrap resamples the n rows
    `bootstrap_resamples` times at `confidence`. Columns: unit, factor, S1, S1_low, S1_high,
    ST, ST_low, ST_high, variance (of the output; 0 = the output never changes, and then
    every index is 0). Estimates are not clipped: small negative S1 or ST slightly above 1
    are sampling error.
    """
    seed = settings.seed if seed is None else int(seed)
    level = level or settings.sobol_level
    output = output or settings.sobol_output
    inputs = tuple(settings.sobol_inputs if inputs is None else inputs)
    n = int(n or settings.sobol_n)
    if output not in SOBOL_OUTPUTS:
        raise SpecError(f"sobol output must be one of {SOBOL_OUTPUTS}, got {output!r}")
    if n < 2 or n & (n - 1):
        raise SpecError(f"sobol n must be a power of 2, got {n}")
    if model is None:
        model = build_model(spec, units, values, settings if "normalisation" in inputs else None)
    noise = {level: settings.noise.get(level, settings.weight_range)} if "weights" in inputs else {}
    model.tree.check_level(level, "sobol")
    des = input_design(model, settings, inputs, noise)
    factors = des.factors(settings.group_weights)
    if not factors:
        raise SpecError(f"sobol: none of the inputs {list(inputs)} can vary")
    k, width = len(factors), des.dims
    nominal_rank = model.nominal["rank"].to_numpy()

    def evaluate_rows(u: np.ndarray) -> np.ndarray:  # (rows, columns) → (outputs, rows), a block at a time
        draws = des.draws(u)
        found = np.empty((len(model.units) if output != "mean_abs_shift" else 1, len(u)))
        for s, totals, ranks, passed, _rho in draw_blocks(model, draws, settings.epsilon, spearman=False,
                                                          totals=output == "total"):
            if output == "rank":
                found[:, s] = ranks.T
            elif output == "total":
                found[:, s] = totals.T
            elif output == "pass":
                found[:, s] = passed.T
            else:
                found[0, s] = np.abs(ranks - nominal_rank[None, :]).mean(axis=1)
        return found

    base = qmc.Sobol(d=2 * width, scramble=True, rng=stream(seed, f"sobol:{level}")).random(n)
    a, b = base[:, :width], base[:, width:]
    ab = np.repeat(a[None, :, :], k, axis=0)
    for i, (_code, cols) in enumerate(factors):
        ab[i][:, cols] = b[:, cols]  # page i: A with factor i's columns taken from B
    f_a, f_b = evaluate_rows(a), evaluate_rows(b)
    n_out = f_a.shape[0]
    f_ab = evaluate_rows(ab.reshape(k * n, width)).reshape(n_out, k, n).transpose(1, 0, 2)
    variance = np.var(np.concatenate([f_a, f_b], axis=1), axis=1)
    # An output that never changes has no variance to share out; floating-point noise
    # (≈1e-28 for a total that is constant up to the renormalisation) must not pass for one.
    scale = np.maximum(np.abs(np.concatenate([f_a, f_b], axis=1)).max(axis=1), 1.0)
    constant = variance <= (CONSTANT_TOLERANCE * scale) ** 2
    variance = np.where(constant, 0.0, variance)
    point = point_indices(f_a, f_b, f_ab)
    low, high = np.full_like(point, np.nan), np.full_like(point, np.nan)
    if settings.bootstrap_resamples:
        low, high = np.zeros_like(point), np.zeros_like(point)
        moving = np.flatnonzero(~constant)  # a constant output's indices are 0 whatever the resample
        if len(moving):
            stat = resampled_indices(f_a, f_b, f_ab, moving, output in ("rank", "pass"))
            boot = stats.bootstrap((np.arange(n),), stat, n_resamples=settings.bootstrap_resamples,
                                   confidence_level=settings.confidence, method="percentile", vectorized=True,
                                   rng=stream(seed, f"bootstrap:{level}"))
            low[:, moving] = np.asarray(boot.confidence_interval.low).reshape(2, len(moving), k)
            high[:, moving] = np.asarray(boot.confidence_interval.high).reshape(2, len(moving), k)
    point[:, constant, :] = 0.0
    names = model.units if output != "mean_abs_shift" else [ALL_UNITS]
    return pd.DataFrame({
        "unit": np.repeat(names, k), "factor": np.tile([code for code, _ in factors], n_out),
        "S1": point[0].ravel(), "S1_low": low[0].ravel(), "S1_high": high[0].ravel(),
        "ST": point[1].ravel(), "ST_low": low[1].ravel(), "ST_high": high[1].ravel(),
        "variance": np.repeat(variance, k),
    })[SOBOL_COLUMNS]


def point_indices(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray) -> np.ndarray:
    """(2, outputs, factors): S1 and ST of `scipy.stats.sobol_indices` for f_A, f_B (outputs, n) and
    f_AB (factors, outputs, n), a block of outputs at a time (each output's indices are its own; a
    block holds at least 2 outputs: numpy sums one output's 2n values in another order)."""
    n_out, n, k = f_a.shape[0], f_a.shape[1], f_ab.shape[0]
    out = np.empty((2, n_out, k))
    step = max(2, OUTPUTS_AT_ONCE // (8 * n * (k + 2)))
    with np.errstate(divide="ignore", invalid="ignore"):
        for start in range(0, n_out, step):
            rows = slice(min(start, max(0, n_out - 2)), start + step)  # the last block: 2 outputs at least
            res = stats.sobol_indices(func={"f_A": f_a[rows], "f_B": f_b[rows], "f_AB": f_ab[:, rows]}, n=n)
            out[0, rows] = np.reshape(res.first_order, (-1, k))
            out[1, rows] = np.reshape(res.total_order, (-1, k))
    return out


def resampled_indices(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray, outputs: np.ndarray,
                      integer: bool) -> Callable[..., np.ndarray]:
    """The bootstrap statistic of `scipy.stats.bootstrap(..., vectorized=True)` over the row indices:
    for resamples i (R, n) of the n rows, (2 × len(outputs) × factors, R) — S1 then ST, output-major
    as `scipy.stats.sobol_indices` (Saltelli 2010) gives them on f_A[o][..., i], f_B[o][..., i],
    f_AB[:, o][..., i] (f_A, f_B (all outputs, n), f_AB (factors, all outputs, n), o = `outputs`).

    Each resample's sums are one matrix product with the counts c_r of every row in resample r: per
    output Σ c (a + b), Σ c (a² + b²) and per factor Σ c d, Σ c b d, Σ c d² (d = f_AB − f_A);
    m = Σ c (a + b) / 2n, V = Σ c (a² + b²) / 2n − m², S1 = (Σ c b d − m Σ c d) / n / V,
    ST = ½ (Σ c d² / n) / V; non-finite → 0. `integer` outputs (rank, pass) are shifted by an
    integer, so that every sum is exact and the indices equal sobol_indices's to the last bit (when
    its own variance is exact: Σ (y − m)² · 2^24 < 2^53 for n = 2048); others are centred on their
    mean (equal to rounding).
    """
    k, n = f_ab.shape[0], f_a.shape[1]
    sums = 2 + 3 * k
    step = max(1, OUTPUTS_AT_ONCE // (sums * n))

    def statistic(i: np.ndarray, axis: int = -1) -> np.ndarray:
        i = np.atleast_2d(i)
        r = i.shape[0]
        counts = np.bincount((i + (np.arange(r) * n)[:, None]).ravel(), minlength=r * n).reshape(r, n).astype(float)
        out = np.empty((2, len(outputs), k, r))
        for start in range(0, len(outputs), step):
            o = outputs[start:start + step]
            fa, fb = f_a[o], f_b[o]
            centre = np.mean(np.concatenate([fa, fb], axis=1), axis=1, keepdims=True)
            centre = np.round(centre) if integer else centre
            a, b = fa - centre, fb - centre
            d = f_ab[:, o] - fa[None]  # (k, outputs, n)
            rows = np.concatenate([(a + b)[None], (a * a + b * b)[None], d, b[None] * d, d * d])
            tot = (rows.reshape(-1, n) @ counts.T).reshape(sums, len(o), r)
            mean = tot[0] / (2 * n)
            var = tot[1] / (2 * n) - mean * mean
            with np.errstate(divide="ignore", invalid="ignore"):
                first = (tot[2 + k:2 + 2 * k] - mean[None] * tot[2:2 + k]) / n / var[None]
                total = 0.5 * (tot[2 + 2 * k:] / n) / var[None]
            first[~np.isfinite(first)] = 0.0
            total[~np.isfinite(total)] = 0.0
            out[0, start:start + len(o)] = first.transpose(1, 0, 2)
            out[1, start:start + len(o)] = total.transpose(1, 0, 2)
        return out.reshape(2 * len(outputs) * k, r)

    return statistic
