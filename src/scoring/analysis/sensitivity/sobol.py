"""Variance-based (Sobol) first-order and total-effect indices of the weights on every unit's rank.

For output Y and factor X_i: S_i = V[E(Y | X_i)] / V(Y), ST_i = E[V(Y | X_~i)] / V(Y).
Sample: scrambled Sobol' matrices A, B (n × k) and the k matrices A_B^(i) (A with column i
from B); estimators: `scipy.stats.sobol_indices` (Saltelli 2010); intervals: percentile
bootstrap over the n rows (`scipy.stats.bootstrap`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from scoring.analysis.sensitivity.model import build_model, factor_map, perturbed_points, stream
from scoring.analysis.sensitivity.settings import SOBOL_OUTPUTS, SensitivitySettings
from scoring.analysis.sensitivity.tables import SOBOL_COLUMNS
from scoring.errors import SpecError
from scoring.index.spec import IndexSpec, Units

CONSTANT_TOLERANCE = 1e-9  # an output whose sd is below this × its size is constant (indices 0)


def sobol(spec: IndexSpec, units: Units, values: pd.DataFrame, settings: SensitivitySettings,
          seed: int | None = None, level: str | None = None, output: str | None = None,
          n: int | None = None) -> pd.DataFrame:
    """First-order (S1) and total-effect (ST) Sobol indices of the weights on every unit's rank.

    Factors: a multiplier x_k ~ U(1 − r, 1 + r) on each node at `level` (default
    settings.sobol_level: the 6 categories; 'indicator' for the 17 indicators), points
    renormalised to the total; normalisation and aggregation nominal. Output: each unit's
    rank (default; discrete — a unit whose rank never moves has variance 0 and all indices 0)
    or its total (output='total'). The model runs n × (k + 2) times (n = sobol.n, a power
    of 2; k factors); the bootstrap resamples the n rows `bootstrap_resamples` times at
    `confidence`. Columns: unit, factor, S1, S1_low, S1_high, ST, ST_low, ST_high,
    variance (of the output; 0 = the output never changes, and then every index is 0).
    Estimates are not clipped: small negative S1 or ST slightly above 1 are sampling error.
    """
    seed = settings.seed if seed is None else int(seed)
    level = level or settings.sobol_level
    output = output or settings.sobol_output
    n = int(n or settings.sobol_n)
    if output not in SOBOL_OUTPUTS:
        raise SpecError(f"sobol output must be one of {SOBOL_OUTPUTS}, got {output!r}")
    if n < 2 or n & (n - 1):
        raise SpecError(f"sobol n must be a power of 2, got {n}")
    model = build_model(spec, units, values)
    factors, leaf_factor = factor_map(spec, level)
    k, r = len(factors), settings.weight_range

    def evaluate(x: np.ndarray) -> np.ndarray:  # (rows, k) multipliers → (units, rows)
        totals = model.totals(perturbed_points(model.leaf_points, leaf_factor, x, spec.total))
        return (model.ranks(totals) if output == "rank" else totals).T.astype(float)

    base = qmc.Sobol(d=2 * k, scramble=True, rng=stream(seed, f"sobol:{level}")).random(n)
    x = 1.0 - r + 2.0 * r * base
    a, b = x[:, :k], x[:, k:]
    ab = np.repeat(a[None, :, :], k, axis=0)
    ab[np.arange(k), :, np.arange(k)] = b.T  # page i: A with column i taken from B
    f_a, f_b = evaluate(a), evaluate(b)
    n_units = f_a.shape[0]
    f_ab = evaluate(ab.reshape(k * n, k)).reshape(n_units, k, n).transpose(1, 0, 2)

    def indices(rows: np.ndarray) -> np.ndarray:
        res = stats.sobol_indices(func={"f_A": np.take(f_a, rows, -1), "f_B": np.take(f_b, rows, -1),
                                        "f_AB": np.take(f_ab, rows, -1)}, n=n)
        return np.concatenate([np.reshape(res.first_order, -1), np.reshape(res.total_order, -1)])

    point = indices(np.arange(n)).reshape(2, n_units, k)
    low, high = np.full_like(point, np.nan), np.full_like(point, np.nan)
    if settings.bootstrap_resamples:
        boot = stats.bootstrap((np.arange(n),), indices, n_resamples=settings.bootstrap_resamples,
                               confidence_level=settings.confidence, method="percentile", vectorized=False,
                               rng=stream(seed, f"bootstrap:{level}"))
        low = np.asarray(boot.confidence_interval.low).reshape(2, n_units, k)
        high = np.asarray(boot.confidence_interval.high).reshape(2, n_units, k)
    variance = np.var(np.concatenate([f_a, f_b], axis=1), axis=1)
    # An output that never changes has no variance to share out; floating-point noise
    # (≈1e-28 for a total that is constant up to the renormalisation) must not pass for one.
    scale = np.maximum(np.abs(np.concatenate([f_a, f_b], axis=1)).max(axis=1), 1.0)
    constant = variance <= (CONSTANT_TOLERANCE * scale) ** 2
    variance = np.where(constant, 0.0, variance)
    for arr in (point, low, high) if settings.bootstrap_resamples else (point,):
        arr[:, constant, :] = 0.0
    return pd.DataFrame({
        "unit": np.repeat(model.units, k), "factor": np.tile([f.code for f in factors], n_units),
        "S1": point[0].ravel(), "S1_low": low[0].ravel(), "S1_high": high[0].ravel(),
        "ST": point[1].ravel(), "ST_low": low[1].ravel(), "ST_high": high[1].ravel(),
        "variance": np.repeat(variance, k),
    })[SOBOL_COLUMNS]
