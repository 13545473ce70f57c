"""How much the ranking depends on the index's own choices (weights, normalisation, aggregation).

The reference practice is the JRC's for composite indicators (Saisana, Saltelli & Tarantola
2005; COINr): Monte Carlo over the uncertain choices, median rank with a 5–95% band, and
variance-based (Sobol) first-order and total-effect indices. docs/sensitivity.md explains
the formulas, the defaults (params/sensitivity.yaml) and how to read the tables.

Notation: T the index total (150), P_l the points of leaf node l (an indicator: the nodes
that hold metrics), q_m / P_l(m) the fixed share of metric m inside its indicator, f_mu the
fraction metric m gives unit u (methods.py), c a category (a child of the root).

- points of metric m in a draw:  P_l(m) × q_m / P_l(m)°            (° = nominal)
- weights:   P_l = P_l° × x_k(l),  x_k ~ U(1 − r, 1 + r) for the node k at `weights.level`
             above l, then every P_l × T / Σ P  (the total stays T)
- arithmetic total:  Σ_m points_m × f_mu            (the engine's total)
- geometric total:   T × Π_c ((F_cu + ε) / (1 + ε))^(P_c / T),  F_cu = category fraction
- rank:      rank of the total rounded to display_decimals, highest first, ties share the
             better rank (method 'min'), exactly as engine.summarise

All draws are computed at once: the metric fractions once per normalisation variant, the
totals as (draws × metrics) · (metrics × units) products, the ranks by
`scipy.stats.rankdata(…, axis=1)`. Draws come from `scipy.stats.qmc.LatinHypercube`, the Sobol
sample from `scipy.stats.qmc.Sobol`, the indices from `scipy.stats.sobol_indices` (Saltelli
2010 estimators) and their intervals from `scipy.stats.bootstrap`.

Public API (plain DataFrames, a seed everywhere):
  load_settings, parse_settings, month_values,
  monte_carlo → MonteCarloResult, sobol, remove_one, write_outputs.
"""

from __future__ import annotations

import math
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from scoring import engine
from scoring.config import read_yaml
from scoring.errors import DataError, ScoringError, SpecError
from scoring.index import methods
from scoring.index.spec import IndexSpec, Node, Units
from scoring.safeio import write_csv

FACTORS = ("weights", "normalisation", "aggregation")
AGGREGATIONS = ("arithmetic", "geometric")
SOBOL_OUTPUTS = ("rank", "total")
MOVED_PLACES = 2  # share_moved_gt2: units more than this many places from their nominal rank
PERCENTILES = (5, 95)
CONSTANT_TOLERANCE = 1e-9  # an output whose sd is below this × its size is constant (indices 0)
CHUNK = 16384  # draws computed together (bounds memory: CHUNK × categories × units floats)

SUMMARY_COLUMNS = ["unit", "nominal_rank", "median_rank", "rank_p05", "rank_p95", "pass_probability"]
BY_FAMILY_COLUMNS = ["family", "unit", "nominal_rank", "median_rank", "rank_p05", "rank_p95",
                     "pass_probability"]
FAMILY_COLUMNS = ["family", "label", "draws", "spearman", "mean_abs_shift", "share_moved_gt2"]
SOBOL_COLUMNS = ["unit", "factor", "S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high", "variance"]
REMOVE_ONE_COLUMNS = ["unit", "dropped", "nominal_rank", "rank_without", "shift"]


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Family:
    """A scenario family: the choices that vary together in its draws."""

    code: str
    label: str
    vary: tuple[str, ...]


@dataclass(frozen=True)
class SensitivitySettings:
    """params/sensitivity.yaml, checked. Change a field with `dataclasses.replace`."""

    seed: int
    draws: int
    weight_level: str
    weight_range: float
    swap_methods: tuple[str, ...]
    swap_metrics: tuple[str, ...] | None  # None = every metric whose method is in swap_methods
    method_params: dict[str, dict[str, Any]]
    aggregations: tuple[str, ...]
    epsilon: float
    families: tuple[Family, ...]
    summary_family: str
    sobol_level: str
    sobol_n: int
    sobol_output: str
    bootstrap_resamples: int
    confidence: float
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    path: str = ""

    def family(self, code: str) -> Family:
        for fam in self.families:
            if fam.code == code:
                return fam
        raise KeyError(code)


def load_settings(path: str | Path) -> SensitivitySettings:
    """Read params/sensitivity.yaml; raise SpecError listing every problem."""
    data, _sha = read_yaml(path)
    return parse_settings(data, source=str(path))


def parse_settings(data: Any, source: str = "<sensitivity>") -> SensitivitySettings:
    """Build :class:`SensitivitySettings` from a parsed mapping; raise SpecError listing all problems."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise SpecError(f"{source}: expected a mapping at the top level")

    def section(name: str) -> dict:
        value = data.get(name)
        if not isinstance(value, dict):
            problems.append(f"{source}: '{name}' must be a mapping, got {value!r}")
            return {}
        return value

    def integer(value: Any, where: str, low: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            problems.append(f"{source}: {where} must be an integer ≥ {low}, got {value!r}")
            return low
        return value

    def real(value: Any, where: str, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not low < value < high:
            problems.append(f"{source}: {where} must be a number strictly between {low} and {high}, got {value!r}")
            return (low + high) / 2
        return float(value)

    def names(value: Any, where: str, allowed: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            problems.append(f"{source}: {where} must be a non-empty list of names, got {value!r}")
            return ()
        bad = [v for v in value if v not in allowed]
        if bad:
            problems.append(f"{source}: {where}: {bad} not allowed; choose from {list(allowed)}")
        if len(set(value)) != len(value):
            problems.append(f"{source}: {where} lists a name twice: {value!r}")
        return tuple(value)

    seed = integer(data.get("seed"), "'seed'", 0)
    draws = integer(data.get("draws"), "'draws'", 1)

    w = section("weights")
    level = w.get("level")
    if not isinstance(level, str) or not level:
        problems.append(f"{source}: weights.level must name a level of the index, got {level!r}")
    weight_range = real(w.get("range"), "weights.range", 0.0, 1.0)

    norm = section("normalisation")
    swappable = [name for name, m in methods.CATALOGUE.items()
                 if m.relative and not any(p.required for p in m.params.values())]
    swap_methods = names(norm.get("methods"), "normalisation.methods", swappable)
    metrics_field = norm.get("metrics", "auto")
    swap_metrics: tuple[str, ...] | None = None
    if metrics_field != "auto":
        if not isinstance(metrics_field, list) or not all(isinstance(c, str) for c in metrics_field):
            problems.append(f"{source}: normalisation.metrics must be 'auto' or a list of metric codes, "
                            f"got {metrics_field!r}")
        else:
            swap_metrics = tuple(metrics_field)
    raw_params = norm.get("params") or {}
    method_params: dict[str, dict[str, Any]] = {}
    if not isinstance(raw_params, dict):
        problems.append(f"{source}: normalisation.params must map method names to parameters")
        raw_params = {}
    for name in swap_methods:
        params = raw_params.get(name) or {}
        if not isinstance(params, dict):
            problems.append(f"{source}: normalisation.params.{name} must be a mapping, got {params!r}")
            params = {}
        problems.extend(f"{source}: normalisation.params.{name}: {msg}"
                        for msg in methods.check_params(name, params, direction=None))
        method_params[name] = dict(params)
    extra = sorted(set(raw_params) - set(swap_methods))
    if extra:
        problems.append(f"{source}: normalisation.params names methods not in normalisation.methods: {extra}")

    agg = section("aggregation")
    aggregations = names(agg.get("methods"), "aggregation.methods", AGGREGATIONS)
    epsilon = real(agg.get("epsilon"), "aggregation.epsilon", 0.0, 1.0)

    families: list[Family] = []
    raw_families = data.get("families")
    if not isinstance(raw_families, list) or not raw_families:
        problems.append(f"{source}: 'families' must be a non-empty list of {{code, label, vary}}")
        raw_families = []
    for i, entry in enumerate(raw_families, start=1):
        if not isinstance(entry, dict):
            problems.append(f"{source}: family #{i} is not a mapping")
            continue
        code, label = entry.get("code"), entry.get("label")
        if not isinstance(code, str) or not code.isascii() or not code or " " in code:
            problems.append(f"{source}: family #{i}: code {code!r} must be a non-empty ASCII word")
            code = f"family{i}"
        if not isinstance(label, str) or not label.strip():
            problems.append(f"{source}: family {code!r}: label (the Chinese name for reports) is missing")
            label = code
        vary = names(entry.get("vary"), f"family {code!r}: vary", FACTORS)
        families.append(Family(code=code, label=label, vary=vary))
    codes = [f.code for f in families]
    if len(set(codes)) != len(codes):
        problems.append(f"{source}: family codes must be unique, got {codes}")
    summary_family = data.get("summary_family")
    if summary_family not in codes:
        problems.append(f"{source}: summary_family {summary_family!r} is not one of the families {codes}")

    sob = section("sobol")
    sobol_level = sob.get("level")
    if not isinstance(sobol_level, str) or not sobol_level:
        problems.append(f"{source}: sobol.level must name a level of the index, got {sobol_level!r}")
    sobol_n = integer(sob.get("n"), "sobol.n", 16)
    if sobol_n & (sobol_n - 1):
        problems.append(f"{source}: sobol.n must be a power of 2 (Sobol' sequence balance), got {sobol_n}")
    sobol_output = sob.get("output")
    if sobol_output not in SOBOL_OUTPUTS:
        problems.append(f"{source}: sobol.output must be one of {SOBOL_OUTPUTS}, got {sobol_output!r}")
    boot = sob.get("bootstrap") or {}
    if not isinstance(boot, dict):
        problems.append(f"{source}: sobol.bootstrap must be a mapping")
        boot = {}
    resamples = integer(boot.get("resamples"), "sobol.bootstrap.resamples", 0)
    confidence = real(boot.get("confidence"), "sobol.bootstrap.confidence", 0.0, 1.0)

    labels = data.get("labels") or {}
    if not isinstance(labels, dict) or not all(
            isinstance(v, dict) and all(isinstance(t, str) for t in v.values()) for v in labels.values()):
        problems.append(f"{source}: 'labels' must map groups to {{code: Chinese text}}")
        labels = {}

    if problems:
        raise SpecError("sensitivity settings are not valid:\n  " + "\n  ".join(problems), problems=problems)
    return SensitivitySettings(
        seed=seed, draws=draws, weight_level=str(level), weight_range=weight_range,
        swap_methods=swap_methods, swap_metrics=swap_metrics, method_params=method_params,
        aggregations=aggregations, epsilon=epsilon, families=tuple(families),
        summary_family=str(summary_family), sobol_level=str(sobol_level), sobol_n=sobol_n,
        sobol_output=str(sobol_output), bootstrap_resamples=resamples, confidence=confidence,
        labels={str(k): {str(a): str(b) for a, b in v.items()} for k, v in labels.items()}, path=source,
    )


# --------------------------------------------------------------------------- the vectorised model


def month_values(metrics: pd.DataFrame, month: str | None = None) -> pd.DataFrame:
    """The long metrics table (month, unit, metric, value) of one month as units × metric codes."""
    if month is not None:
        metrics = metrics[metrics["month"] == month]
    elif "month" in metrics and metrics["month"].nunique() > 1:
        raise DataError(f"metrics hold {metrics['month'].nunique()} months; name the month to analyse")
    wide = metrics.assign(value=pd.to_numeric(metrics["value"], errors="coerce"))
    return wide.pivot(index="unit", columns="metric", values="value")


def _check_values(spec: IndexSpec, units: Units, values: pd.DataFrame) -> pd.DataFrame:
    """Refuse unknown units or metric codes; return values reindexed to units × metrics (floats)."""
    problems = [f"values: unit {u!r} is not a unit in params/units.yaml"
                for u in values.index if u not in set(units.codes)]
    known = {m.code for m in spec.metrics()}
    problems += [f"values: column {c!r} is not a metric of the index" for c in values.columns if c not in known]
    if values.index.has_duplicates:
        problems.append("values: a unit appears on more than one row")
    if problems:
        raise DataError(f"values: {len(problems)} problem(s)", problems=problems)
    out = values.reindex(index=units.codes, columns=[m.code for m in spec.metrics()])
    try:
        return out.astype(float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"values: not all values are numbers ({exc})") from exc


def _leaves(spec: IndexSpec) -> list[Node]:
    """The nodes that hold metrics (the indicators of the Linyi index), depth first."""
    return [n for n in spec.nodes() if n.metrics]


def _factor_map(spec: IndexSpec, level: str) -> tuple[list[Node], np.ndarray]:
    """The nodes at `level` and, for every leaf, the position of its node at that level."""
    inner = list(spec.levels[1:-1]) if len(spec.levels) > 2 else []
    nodes = [n for n in spec.nodes() if n.level == level and n is not spec.root]
    if not nodes:
        raise SpecError(f"level {level!r} has no nodes in the index; choose one of {inner}")
    position = {n.code: i for i, n in enumerate(nodes)}
    ancestors = spec.ancestors()
    out = []
    for leaf in _leaves(spec):
        hits = [position[c] for c in [leaf.code, *ancestors[leaf.code]] if c in position]
        if len(hits) != 1:
            raise SpecError(f"level {level!r}: indicator {leaf.code!r} has no node of that level above it")
        out.append(hits[0])
    return nodes, np.asarray(out, dtype=np.intp)


@dataclass
class _Model:
    """One month of one index, ready for many weightings at once."""

    spec: IndexSpec
    units: list[str]
    leaf_codes: list[str]
    leaf_points: np.ndarray  # (L,) nominal points of the leaves
    metric_codes: list[str]
    metric_leaf: np.ndarray  # (M,) leaf position of each metric
    metric_share: np.ndarray  # (M,) metric points / leaf points (fixed)
    leaf_category: np.ndarray  # (L,) category position of each leaf
    fractions: np.ndarray  # (M, U) nominal fractions
    swap_idx: np.ndarray  # (S,) metric positions whose method may change
    swap_options: tuple[str, ...]  # the K methods they choose among
    variants: np.ndarray  # (S, K, U) fractions under each option
    nominal_choice: np.ndarray  # (S,) option index of each metric's own method

    @property
    def total(self) -> float:
        return self.spec.total

    def metric_points(self, leaf_points: np.ndarray) -> np.ndarray:
        """(D, M): each metric's points given the leaves' points of every draw."""
        return leaf_points[:, self.metric_leaf] * self.metric_share

    def totals(self, leaf_points: np.ndarray, choice: np.ndarray | None = None,
               geometric: np.ndarray | None = None, epsilon: float = 0.01) -> np.ndarray:
        """(D, U) totals for D draws of leaf points (D, L), method choices (D, S), geometric flags (D,)."""
        d = leaf_points.shape[0]
        out = np.empty((d, len(self.units)))
        for start in range(0, d, CHUNK):
            part = slice(start, start + CHUNK)
            out[part] = self._totals(leaf_points[part], None if choice is None else choice[part],
                                     None if geometric is None else geometric[part], epsilon)
        return out

    def _totals(self, leaf_points: np.ndarray, choice: np.ndarray | None, geometric: np.ndarray | None,
                epsilon: float) -> np.ndarray:
        mp = self.metric_points(leaf_points)
        swapped = choice is not None and len(self.swap_idx) > 0
        if swapped:
            # fraction change of every swappable metric in every draw: (D, S, U)
            delta = self.variants[np.arange(len(self.swap_idx))[None, :], choice, :] - self.fractions[self.swap_idx]
        if geometric is None or not geometric.any():
            out = mp @ self.fractions
            if swapped:
                out += np.einsum("ds,dsu->du", mp[:, self.swap_idx], delta)
            return out
        n_cat = len(self.spec.categories)
        metric_category = self.leaf_category[self.metric_leaf]
        cat = np.empty((mp.shape[0], n_cat, len(self.units)))
        for c in range(n_cat):
            rows = np.flatnonzero(metric_category == c)
            cat[:, c] = mp[:, rows] @ self.fractions[rows]
            if swapped:
                local = np.flatnonzero(metric_category[self.swap_idx] == c)
                if len(local):
                    cat[:, c] += np.einsum("ds,dsu->du", mp[:, self.swap_idx[local]], delta[:, local])
        arithmetic = cat.sum(axis=1)
        cat_points = np.zeros((mp.shape[0], n_cat))
        np.add.at(cat_points.T, self.leaf_category, leaf_points.T)
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(cat_points[:, :, None] > 0, cat / cat_points[:, :, None], 0.0)
        log_mean = ((cat_points / self.total)[:, :, None] * (np.log(frac + epsilon) - np.log1p(epsilon))).sum(1)
        geo = self.total * np.exp(log_mean)
        return np.where(geometric[:, None], geo, arithmetic)

    def ranks(self, totals: np.ndarray) -> np.ndarray:
        """Ranks as engine.summarise gives them: rounded totals, highest first, method 'min'."""
        return rank_rows(totals, self.spec.display_decimals)


def rank_rows(totals: np.ndarray, decimals: int) -> np.ndarray:
    """Rank every row of `totals` (draws × units): rounded to `decimals`, highest first, ties 'min'."""
    return stats.rankdata(-np.round(totals, decimals), method="min", axis=1).astype(np.int64)


def _model(spec: IndexSpec, units: Units, values: pd.DataFrame,
           settings: SensitivitySettings | None = None) -> _Model:
    values = _check_values(spec, units, values)
    metrics_ = spec.metrics()
    fractions, _ = engine.metric_fractions(spec, units, values)
    leaves = _leaves(spec)
    leaf_pos = {n.code: i for i, n in enumerate(leaves)}
    cat_pos = {c.code: i for i, c in enumerate(spec.categories)}
    ancestors = spec.ancestors()
    leaf_category = np.asarray([next(cat_pos[c] for c in [n.code, *ancestors[n.code]] if c in cat_pos)
                                for n in leaves], dtype=np.intp)
    metric_leaf = np.asarray([leaf_pos[m.parent] for m in metrics_], dtype=np.intp)
    leaf_points = np.asarray([n.points for n in leaves], dtype=float)
    share = np.asarray([m.points for m in metrics_], dtype=float) / leaf_points[metric_leaf]

    options: tuple[str, ...] = ()
    swap: list[int] = []
    if settings is not None:
        options = settings.swap_methods
        codes = [m.code for m in metrics_]
        if settings.swap_metrics is None:
            swap = [i for i, m in enumerate(metrics_) if m.method in options]
        else:
            problems = []
            for code in settings.swap_metrics:
                if code not in codes:
                    problems.append(f"{settings.path}: normalisation.metrics: {code!r} is not a metric of the index")
                elif metrics_[codes.index(code)].method not in options:
                    problems.append(f"{settings.path}: normalisation.metrics: {code!r} uses "
                                    f"{metrics_[codes.index(code)].method!r}, not one of {list(options)}")
                else:
                    swap.append(codes.index(code))
            if problems:
                raise SpecError("sensitivity settings do not fit the index", problems=problems)
    variants = np.empty((len(swap), len(options), len(units.codes)))
    nominal_choice = np.empty(len(swap), dtype=np.intp)
    for s, i in enumerate(swap):
        metric = metrics_[i]
        nominal_choice[s] = options.index(metric.method)
        for k, option in enumerate(options):
            params = metric.params if option == metric.method else settings.method_params.get(option, {})
            try:
                f = methods.apply(option, values[metric.code], direction=metric.direction,
                                  points=metric.points, params=params)
            except ScoringError as exc:
                lines = [f"metric {metric.code} scored with {option}: {p}" for p in exc.problems]
                raise ScoringError("; ".join(lines), problems=lines) from exc
            variants[s, k] = f.clip(0.0, 1.0).fillna(0.0).to_numpy()
    return _Model(
        spec=spec, units=list(units.codes), leaf_codes=[n.code for n in leaves], leaf_points=leaf_points,
        metric_codes=[m.code for m in metrics_], metric_leaf=metric_leaf, metric_share=share,
        leaf_category=leaf_category, fractions=fractions[[m.code for m in metrics_]].to_numpy().T,
        swap_idx=np.asarray(swap, dtype=np.intp), swap_options=options, variants=variants,
        nominal_choice=nominal_choice,
    )


def perturbed_points(nominal: np.ndarray, leaf_factor: np.ndarray, multipliers: np.ndarray,
                     total: float) -> np.ndarray:
    """(D, L) leaf points: nominal_l × x[d, k(l)], each row rescaled to add up to `total`."""
    points = nominal[None, :] * multipliers[:, leaf_factor]
    return points * (total / points.sum(axis=1, keepdims=True))


def _nominal(spec: IndexSpec, units: Units, values: pd.DataFrame) -> pd.DataFrame:
    """unit, total, rank, pass exactly as the engine publishes them."""
    wide = _check_values(spec, units, values).rename_axis(index="unit", columns=None).reset_index()
    long = wide.melt(id_vars="unit", var_name="metric", value_name="value").assign(month="nominal")
    summary = engine.summarise(spec, units, engine.score(spec, units, long))
    return summary.set_index("unit").reindex(units.codes)[["total", "rank", "pass"]].rename_axis("unit").reset_index()


# --------------------------------------------------------------------------- Monte Carlo


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


def _stream(seed: int, name: str) -> np.random.Generator:
    """An independent generator per purpose, stable when families are added or reordered."""
    return np.random.default_rng([int(seed), zlib.crc32(name.encode("utf-8"))])


def monte_carlo(spec: IndexSpec, units: Units, values: pd.DataFrame, settings: SensitivitySettings,
                seed: int | None = None) -> MonteCarloResult:
    """Draw `settings.draws` scenarios per family and summarise the ranks (see MonteCarloResult).

    Per family, a Latin hypercube over the varied choices: weight multipliers
    x ~ U(1 − r, 1 + r) (renormalised to the total), one of `normalisation.methods` per
    swappable metric, one of `aggregation.methods`; what a family does not vary stays nominal.
    """
    seed = settings.seed if seed is None else int(seed)
    model = _model(spec, units, values, settings)
    nominal = _nominal(spec, units, values)
    nominal_rank = nominal["rank"].to_numpy()
    nominal_shown = np.round(nominal["total"].to_numpy(dtype=float), spec.display_decimals)
    factors, leaf_factor = _factor_map(spec, settings.weight_level)
    r, n, n_swap = settings.weight_range, settings.draws, len(model.swap_idx)

    parts = []
    for fam in settings.families:
        n_w = len(factors) if "weights" in fam.vary else 0
        n_s = n_swap if "normalisation" in fam.vary else 0
        n_a = 1 if "aggregation" in fam.vary and len(settings.aggregations) > 1 else 0
        dims = n_w + n_s + n_a
        u = (qmc.LatinHypercube(d=dims, rng=_stream(seed, f"monte_carlo:{fam.code}")).random(n)
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
    scen.update({f"weight:{code}": all_points[:, i] for i, code in enumerate(model.leaf_codes)})
    all_choice = np.concatenate([p[4] for p in parts]) if n_swap else np.empty((len(family_col), 0), np.intp)
    options = np.asarray(model.swap_options)
    scen.update({f"method:{model.metric_codes[i]}": options[all_choice[:, s]] for s, i in enumerate(model.swap_idx)})

    by_family, fam_rows = [], []
    for fam, fam_totals, fam_ranks, *_ in parts:
        shown = np.round(fam_totals, spec.display_decimals)
        by_family.append(pd.DataFrame({
            "family": fam.code, "unit": unit_cols, "nominal_rank": nominal_rank,
            "median_rank": np.median(fam_ranks, axis=0),
            "rank_p05": np.percentile(fam_ranks, PERCENTILES[0], axis=0, method="inverted_cdf").astype(int),
            "rank_p95": np.percentile(fam_ranks, PERCENTILES[1], axis=0, method="inverted_cdf").astype(int),
            "pass_probability": (shown >= spec.pass_line).mean(axis=0),
        }))
        shift = np.abs(fam_ranks - nominal_rank[None, :])
        fam_rows.append({"family": fam.code, "label": fam.label, "draws": n,
                         "spearman": _mean_spearman(shown, nominal_shown),
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


def _mean_spearman(shown: np.ndarray, nominal_shown: np.ndarray) -> float:
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


# --------------------------------------------------------------------------- Sobol indices


def sobol(spec: IndexSpec, units: Units, values: pd.DataFrame, settings: SensitivitySettings,
          seed: int | None = None, level: str | None = None, output: str | None = None,
          n: int | None = None) -> pd.DataFrame:
    """First-order (S1) and total-effect (ST) Sobol indices of the weights on every unit's rank.

    Factors: a multiplier x_k ~ U(1 − r, 1 + r) on each node at `level` (default
    settings.sobol_level: the 6 categories; 'indicator' for the 17 indicators), points
    renormalised to the total; normalisation and aggregation nominal. Output: each unit's
    rank (default; discrete — a unit whose rank never moves has variance 0 and all indices 0)
    or its total (output='total'). Sample: scrambled Sobol' A, B (n × k each, n = sobol.n)
    and the k matrices A_B^(i); estimators: scipy.stats.sobol_indices (Saltelli 2010);
    intervals: percentile bootstrap over the n rows (scipy.stats.bootstrap), `resamples`
    times at `confidence`. Columns: unit, factor, S1, S1_low, S1_high, ST, ST_low, ST_high,
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
    model = _model(spec, units, values)
    factors, leaf_factor = _factor_map(spec, level)
    k, r = len(factors), settings.weight_range

    def evaluate(x: np.ndarray) -> np.ndarray:  # (rows, k) multipliers → (units, rows)
        totals = model.totals(perturbed_points(model.leaf_points, leaf_factor, x, spec.total))
        return (model.ranks(totals) if output == "rank" else totals).T.astype(float)

    base = qmc.Sobol(d=2 * k, scramble=True, rng=_stream(seed, f"sobol:{level}")).random(n)
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
                               rng=_stream(seed, f"bootstrap:{level}"))
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


# --------------------------------------------------------------------------- remove one indicator


def remove_one(spec: IndexSpec, units: Units, values: pd.DataFrame) -> pd.DataFrame:
    """Every unit's rank with one indicator dropped and the others rescaled by T / (T − P_l).

    Columns: unit, dropped (indicator code), nominal_rank, rank_without, shift
    (= nominal_rank − rank_without: > 0 the unit moves up without that indicator, as
    history's rank_change). Methods and the arithmetic aggregation stay nominal; relative
    methods keep comparing all units (dropping an indicator does not rescore the others).
    """
    model = _model(spec, units, values)
    n_leaves = len(model.leaf_codes)
    if n_leaves < 2:
        raise SpecError("remove-one needs an index with at least two indicators")
    nominal_rank = _nominal(spec, units, values)["rank"].to_numpy()
    points = np.tile(model.leaf_points, (n_leaves, 1))
    points[np.arange(n_leaves), np.arange(n_leaves)] = 0.0
    points *= spec.total / points.sum(axis=1, keepdims=True)
    ranks = model.ranks(model.totals(points))
    n_units = len(model.units)
    return pd.DataFrame({
        "unit": np.tile(model.units, n_leaves), "dropped": np.repeat(model.leaf_codes, n_units),
        "nominal_rank": np.tile(nominal_rank, n_leaves), "rank_without": ranks.ravel(),
        "shift": np.tile(nominal_rank, n_leaves) - ranks.ravel(),
    })[REMOVE_ONE_COLUMNS]


# --------------------------------------------------------------------------- files


def write_outputs(out_dir: str | Path, result: MonteCarloResult, *, sobol: pd.DataFrame | None = None,
                  remove_one: pd.DataFrame | None = None) -> dict[str, Path]:
    """Write the month's sensitivity tables (atomic, formula-safe CSV) into `out_dir`:

    sensitivity.csv            per unit: unit, nominal_rank, median_rank, rank_p05, rank_p95, pass_probability
    sensitivity_by_family.csv  the same per scenario family (with a family column)
    sensitivity_scenarios.csv  per family: family, label, draws, spearman, mean_abs_shift, share_moved_gt2
    sensitivity_sobol.csv      when given: unit, factor, S1, S1_low, S1_high, ST, ST_low, ST_high, variance
    sensitivity_remove_one.csv when given: unit, dropped, nominal_rank, rank_without, shift
    The draws themselves (result.ranks, .totals, .scenarios) are not written.
    """
    out = Path(out_dir)
    paths = {
        "summary": write_csv(result.summary[SUMMARY_COLUMNS], out / "sensitivity.csv"),
        "by_family": write_csv(result.by_family[BY_FAMILY_COLUMNS], out / "sensitivity_by_family.csv"),
        "scenarios": write_csv(result.families[FAMILY_COLUMNS], out / "sensitivity_scenarios.csv"),
    }
    if sobol is not None:
        paths["sobol"] = write_csv(sobol[SOBOL_COLUMNS], out / "sensitivity_sobol.csv")
    if remove_one is not None:
        paths["remove_one"] = write_csv(remove_one[REMOVE_ONE_COLUMNS], out / "sensitivity_remove_one.csv")
    return paths
