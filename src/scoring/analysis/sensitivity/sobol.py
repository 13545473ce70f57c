"""Variance-based (Sobol) first-order and total-effect indices of the uncertain inputs.

For output Y and factor X_i: S_i = V[E(Y | X_i)] / V(Y), ST_i = E[V(Y | X_~i)] / V(Y).
Factors: the weight of every node at `sobol.level` (one factor each) and, when listed in
`sobol.inputs`, the normalisation (every varying metric's method together: one group factor),
the aggregation and the pass line (design.py maps the unit hypercube to the inputs).
Sample: scrambled Sobol' matrices A, B (n × columns) and the k matrices A_B^(i) (A with factor
i's columns from B); estimators: `scipy.stats.sobol_indices` (Saltelli 2010: the first order
of Saltelli et al. 2010 table 2 (b), the total of Jansen 1999, table 2 (f)); intervals:
percentile bootstrap over the n rows (`scipy.stats.bootstrap`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from scoring.analysis.sensitivity.design import input_design
from scoring.analysis.sensitivity.model import MonthModel, build_model, stream
from scoring.analysis.sensitivity.schema import SOBOL_OUTPUTS
from scoring.analysis.sensitivity.settings import SensitivitySettings
from scoring.analysis.sensitivity.statistics import score_draws
from scoring.analysis.sensitivity.tables import SOBOL_COLUMNS
from scoring.errors import SpecError
from scoring.index.spec import IndexSpec, Units

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

    def evaluate_rows(u: np.ndarray) -> np.ndarray:  # (rows, columns) → (outputs, rows)
        found = score_draws(model, des.draws(u), settings.epsilon)
        if output == "rank":
            return found.ranks.T.astype(float)
        if output == "total":
            return found.totals.T
        if output == "pass":
            return found.passed.T.astype(float)
        return np.abs(found.ranks - nominal_rank[None, :]).mean(axis=1)[None, :]

    base = qmc.Sobol(d=2 * width, scramble=True, rng=stream(seed, f"sobol:{level}")).random(n)
    a, b = base[:, :width], base[:, width:]
    ab = np.repeat(a[None, :, :], k, axis=0)
    for i, (_code, cols) in enumerate(factors):
        ab[i][:, cols] = b[:, cols]  # page i: A with factor i's columns taken from B
    f_a, f_b = evaluate_rows(a), evaluate_rows(b)
    n_out = f_a.shape[0]
    f_ab = evaluate_rows(ab.reshape(k * n, width)).reshape(n_out, k, n).transpose(1, 0, 2)

    def indices(rows: np.ndarray) -> np.ndarray:
        res = stats.sobol_indices(func={"f_A": np.take(f_a, rows, -1), "f_B": np.take(f_b, rows, -1),
                                        "f_AB": np.take(f_ab, rows, -1)}, n=n)
        return np.concatenate([np.reshape(res.first_order, -1), np.reshape(res.total_order, -1)])

    with np.errstate(divide="ignore", invalid="ignore"):
        point = indices(np.arange(n)).reshape(2, n_out, k)
        low, high = np.full_like(point, np.nan), np.full_like(point, np.nan)
        if settings.bootstrap_resamples:
            boot = stats.bootstrap((np.arange(n),), indices, n_resamples=settings.bootstrap_resamples,
                                   confidence_level=settings.confidence, method="percentile", vectorized=False,
                                   rng=stream(seed, f"bootstrap:{level}"))
            low = np.asarray(boot.confidence_interval.low).reshape(2, n_out, k)
            high = np.asarray(boot.confidence_interval.high).reshape(2, n_out, k)
    variance = np.var(np.concatenate([f_a, f_b], axis=1), axis=1)
    # An output that never changes has no variance to share out; floating-point noise
    # (≈1e-28 for a total that is constant up to the renormalisation) must not pass for one.
    scale = np.maximum(np.abs(np.concatenate([f_a, f_b], axis=1)).max(axis=1), 1.0)
    constant = variance <= (CONSTANT_TOLERANCE * scale) ** 2
    variance = np.where(constant, 0.0, variance)
    for arr in (point, low, high) if settings.bootstrap_resamples else (point,):
        arr[:, constant, :] = 0.0
    names = model.units if output != "mean_abs_shift" else [ALL_UNITS]
    return pd.DataFrame({
        "unit": np.repeat(names, k), "factor": np.tile([code for code, _ in factors], n_out),
        "S1": point[0].ravel(), "S1_low": low[0].ravel(), "S1_high": high[0].ravel(),
        "ST": point[1].ravel(), "ST_low": low[1].ravel(), "ST_high": high[1].ravel(),
        "variance": np.repeat(variance, k),
    })[SOBOL_COLUMNS]
