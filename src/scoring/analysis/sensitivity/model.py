"""The vectorised one-month model: many weightings, normalisations and aggregations at once.

Notation: T the index total (150), P_l the points of leaf node l (an indicator: the nodes
that hold metrics), q_m / P_l(m) the fixed share of metric m inside its indicator, f_mu the
fraction metric m gives unit u (methods.py), c a category (a child of the root).

- points of metric m in a draw:  P_l(m) × q_m / P_l(m)°            (° = nominal)
- arithmetic total:  Σ_m points_m × f_mu            (the engine's total)
- geometric total:   T × Π_c ((F_cu + ε) / (1 + ε))^(P_c / T),  F_cu = category fraction
- rank:      rank of the total rounded as printed (`engine.rounded_array` to
             display_decimals), highest first, ties share the better rank ('min'),
             exactly as engine.summarise

Totals are (draws × metrics) · (metrics × units) products, computed CHUNK draws at a time.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from scoring import engine
from scoring.analysis.sensitivity.settings import SensitivitySettings
from scoring.errors import DataError, ScoringError, SpecError
from scoring.index import methods
from scoring.index.spec import IndexSpec, Node, Units

CHUNK = 16384  # draws computed together (bounds memory: CHUNK × categories × units floats)


def month_values(metrics: pd.DataFrame, month: str | None = None) -> pd.DataFrame:
    """The long metrics table (month, unit, metric, value) of one month as units × metric codes."""
    if month is not None:
        metrics = metrics[metrics["month"] == month]
    elif "month" in metrics and metrics["month"].nunique() > 1:
        raise DataError(f"metrics hold {metrics['month'].nunique()} months; name the month to analyse")
    wide = metrics.assign(value=pd.to_numeric(metrics["value"], errors="coerce"))
    return wide.pivot(index="unit", columns="metric", values="value")


def check_values(spec: IndexSpec, units: Units, values: pd.DataFrame) -> pd.DataFrame:
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


def leaves(spec: IndexSpec) -> list[Node]:
    """The nodes that hold metrics (the indicators of the Linyi index), depth first."""
    return [n for n in spec.nodes() if n.metrics]


def factor_map(spec: IndexSpec, level: str) -> tuple[list[Node], np.ndarray]:
    """The nodes at `level` and, for every leaf, the position of its node at that level."""
    inner = list(spec.levels[1:-1]) if len(spec.levels) > 2 else []
    nodes = [n for n in spec.nodes() if n.level == level and n is not spec.root]
    if not nodes:
        raise SpecError(f"level {level!r} has no nodes in the index; choose one of {inner}")
    position = {n.code: i for i, n in enumerate(nodes)}
    ancestors = spec.ancestors()
    out = []
    for leaf in leaves(spec):
        hits = [position[c] for c in [leaf.code, *ancestors[leaf.code]] if c in position]
        if len(hits) != 1:
            raise SpecError(f"level {level!r}: indicator {leaf.code!r} has no node of that level above it")
        out.append(hits[0])
    return nodes, np.asarray(out, dtype=np.intp)


def rank_rows(totals: np.ndarray, decimals: int) -> np.ndarray:
    """Rank every row of `totals` (draws × units) as engine.summarise does: the totals rounded
    as printed (`engine.rounded_array`), highest first, ties share the better rank ('min')."""
    shown = engine.rounded_array(totals, decimals)
    return stats.rankdata(-shown, method="min", axis=1).astype(np.int64)


def perturbed_points(nominal: np.ndarray, leaf_factor: np.ndarray, multipliers: np.ndarray,
                     total: float) -> np.ndarray:
    """(D, L) leaf points: nominal_l × x[d, k(l)], each row rescaled to add up to `total`."""
    points = nominal[None, :] * multipliers[:, leaf_factor]
    return points * (total / points.sum(axis=1, keepdims=True))


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent generator per purpose, stable when families are added or reordered."""
    return np.random.default_rng([int(seed), zlib.crc32(name.encode("utf-8"))])


@dataclass
class MonthModel:
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
        """Ranks as engine.summarise gives them (rank_rows at the index's display_decimals)."""
        return rank_rows(totals, self.spec.display_decimals)

    def shown(self, totals: np.ndarray) -> np.ndarray:
        """Totals as printed: engine.rounded_array to the index's display_decimals."""
        return engine.rounded_array(totals, self.spec.display_decimals)


def _swapped_metrics(spec: IndexSpec, settings: SensitivitySettings) -> list[int]:
    """Positions of the metrics whose method may change (normalisation.metrics, checked against the index)."""
    metrics_ = spec.metrics()
    options = settings.swap_methods
    if settings.swap_metrics is None:
        return [i for i, m in enumerate(metrics_) if m.method in options]
    codes = [m.code for m in metrics_]
    problems, swap = [], []
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
    return swap


def build_model(spec: IndexSpec, units: Units, values: pd.DataFrame,
                settings: SensitivitySettings | None = None) -> MonthModel:
    """The month's model; with `settings`, the fractions of every normalisation alternative too."""
    values = check_values(spec, units, values)
    metrics_ = spec.metrics()
    fractions, _ = engine.metric_fractions(spec, units, values)
    leaf_nodes = leaves(spec)
    leaf_pos = {n.code: i for i, n in enumerate(leaf_nodes)}
    cat_pos = {c.code: i for i, c in enumerate(spec.categories)}
    ancestors = spec.ancestors()
    leaf_category = np.asarray([next(cat_pos[c] for c in [n.code, *ancestors[n.code]] if c in cat_pos)
                                for n in leaf_nodes], dtype=np.intp)
    metric_leaf = np.asarray([leaf_pos[m.parent] for m in metrics_], dtype=np.intp)
    leaf_points = np.asarray([n.points for n in leaf_nodes], dtype=float)
    share = np.asarray([m.points for m in metrics_], dtype=float) / leaf_points[metric_leaf]

    options: tuple[str, ...] = settings.swap_methods if settings is not None else ()
    swap = _swapped_metrics(spec, settings) if settings is not None else []
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
    return MonthModel(
        spec=spec, units=list(units.codes), leaf_codes=[n.code for n in leaf_nodes], leaf_points=leaf_points,
        metric_codes=[m.code for m in metrics_], metric_leaf=metric_leaf, metric_share=share,
        leaf_category=leaf_category, fractions=fractions[[m.code for m in metrics_]].to_numpy().T,
        swap_idx=np.asarray(swap, dtype=np.intp), swap_options=options, variants=variants,
        nominal_choice=nominal_choice,
    )


def nominal_table(spec: IndexSpec, units: Units, values: pd.DataFrame) -> pd.DataFrame:
    """unit, total, rank, pass exactly as the engine publishes them (engine.summarise)."""
    wide = check_values(spec, units, values).rename_axis(index="unit", columns=None).reset_index()
    long = wide.melt(id_vars="unit", var_name="metric", value_name="value").assign(month="nominal")
    summary = engine.summarise(spec, units, engine.score(spec, units, long))
    return summary.set_index("unit").reindex(units.codes)[["total", "rank", "pass"]].rename_axis("unit").reset_index()
