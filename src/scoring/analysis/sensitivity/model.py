"""The vectorised one-month model: many weightings, normalisations and aggregations at once.

Notation: T the index total (150), P_l the points of leaf node l (an indicator: the nodes
that hold metrics), s_m the share of metric m inside its indicator (published: q_m / P_l(m)°),
f_mu the fraction metric m gives unit u (methods.py), c a category (a child of the root).

- points of metric m in a draw:  P_l(m) × s_m
- arithmetic total:  Σ_m points_m × f_mu            (the engine's total)
- geometric total:   T × Π_c ((F_cu + ε) / (1 + ε))^(P_c / T),  F_cu = category fraction
- a metric whose method varies: f_mu of the method drawn (the fractions of every allowed method
  are computed once); `constant: keep` gives a metric whose values are all equal its own
  method's fractions under every method
- rank:      rank of the total rounded as printed (`engine.rounded_array` to
             display_decimals), highest first, ties share the better rank ('min'),
             exactly as engine.summarise

Totals are (draws × metrics) · (metrics × units) products, computed a chunk of draws at a time
(at most CHUNK draws, and about BUDGET floats per temporary array whatever the number of units).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise

import numpy as np
import pandas as pd
from scipy import stats

from scoring import engine
from scoring.analysis.sensitivity.settings import SensitivitySettings
from scoring.analysis.sensitivity.tree import WeightTree, weight_tree
from scoring.errors import DataError, ScoringError, SpecError
from scoring.index import methods
from scoring.index.spec import IndexSpec, Node, Units

CHUNK = 16384  # draws computed together at most
BUDGET = 1 << 22  # floats per (draws × units) temporary: CHUNK rows for 16 units, ~1,500 for 2,844
ROW_CELLS = 1 << 16  # floats of a (draws × units) array worked on at once by element-wise steps (in cache)


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
    codes = set(units.codes)  # once: a set per row made this quadratic in units
    problems = [f"values: unit {u!r} is not a unit in params/units.yaml" for u in values.index if u not in codes]
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


def rank_rows(totals: np.ndarray, decimals: int) -> np.ndarray:
    """Rank every row of `totals` (draws × units) as engine.summarise does: the totals rounded
    as printed (`engine.rounded_array`), highest first, ties share the better rank ('min')."""
    shown = engine.rounded_array(totals, decimals)
    return stats.rankdata(-shown, method="min", axis=1).astype(np.int64)


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
    metric_share: np.ndarray  # (M,) metric points / leaf points (published)
    leaf_category: np.ndarray  # (L,) category position of each leaf
    fractions: np.ndarray  # (M, U) nominal fractions
    swap_idx: np.ndarray  # (S,) metric positions whose method may change
    swap_options: tuple[str, ...]  # the K methods they choose among
    variants: np.ndarray  # (S, K, U) fractions under each option (a metric's own where not allowed)
    nominal_choice: np.ndarray  # (S,) option index of each metric's own method
    swap_allowed: np.ndarray = field(default_factory=lambda: np.empty((0, 0), np.intp))  # (S, K) option indices
    swap_count: np.ndarray = field(default_factory=lambda: np.empty(0, np.intp))  # (S,) allowed per metric
    tree: WeightTree | None = None
    values: pd.DataFrame | None = None  # units × metrics, as checked
    unit_list: Units | None = None

    @property
    def total(self) -> float:
        return self.spec.total

    @property
    def allowed_mask(self) -> np.ndarray:
        """(S, K) True where metric s may take option k."""
        mask = np.zeros((len(self.swap_idx), len(self.swap_options)), dtype=bool)
        for s, (row, count) in enumerate(zip(self.swap_allowed, self.swap_count, strict=True)):
            mask[s, row[:count]] = True
        return mask

    @property
    def chunk(self) -> int:
        """Draws per block: at most CHUNK, and about BUDGET floats per (draws × units) array."""
        return int(min(CHUNK, max(256, BUDGET // max(1, len(self.units)))))

    @cached_property
    def nominal(self) -> pd.DataFrame:
        """unit, total, rank, pass exactly as the engine publishes them (nominal_table)."""
        if self.values is None or self.unit_list is None:
            raise ScoringError("this month model was built without its values")
        return nominal_table(self.spec, self.unit_list, self.values)

    def metric_points(self, leaf_points: np.ndarray, share: np.ndarray | None = None) -> np.ndarray:
        """(D, M): each metric's points given the leaves' points (and metric shares) of every draw."""
        return leaf_points[:, self.metric_leaf] * (self.metric_share if share is None else share)

    def totals(self, leaf_points: np.ndarray, choice: np.ndarray | None = None,
               geometric: np.ndarray | None = None, epsilon: float = 0.01,
               share: np.ndarray | None = None) -> np.ndarray:
        """(D, U) totals for D draws of leaf points (D, L), method choices (D, S) as option
        indices, geometric flags (D,) and metric shares (D, M) (None: published)."""
        d = leaf_points.shape[0]
        step = self.chunk
        if d <= step:  # one chunk (a block of the Monte Carlo): no copy
            return self._totals(leaf_points, choice, geometric, epsilon, share)
        out = np.empty((d, len(self.units)))

        def part(a: np.ndarray | None, s: slice) -> np.ndarray | None:
            return None if a is None else a[s]

        for start in range(0, d, step):
            s = slice(start, start + step)
            out[s] = self._totals(leaf_points[s], part(choice, s), part(geometric, s), epsilon, part(share, s))
        return out

    def _weighted(self, mp: np.ndarray, choice: np.ndarray) -> np.ndarray:
        """(D, S, K): the points of every metric whose method varies, at the option it drew (0 elsewhere)."""
        w = np.zeros((mp.shape[0], len(self.swap_idx), len(self.swap_options)))
        np.put_along_axis(w, choice[:, :, None], mp[:, self.swap_idx, None], axis=2)
        return w

    @cached_property
    def _fixed(self) -> np.ndarray:
        """Positions of the metrics whose method never changes."""
        return np.setdiff1d(np.arange(len(self.metric_codes)), self.swap_idx)

    def _sum(self, mp: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        """Σ_m points × fractions, the drawn methods' fractions for the metrics whose method varies
        (w: `_weighted`; None = every metric on its own method): (D, U)."""
        if w is None:
            return mp @ self.fractions
        out = mp[:, self._fixed] @ self.fractions[self._fixed]
        out += w.reshape(mp.shape[0], -1) @ self.variants.reshape(-1, self.variants.shape[-1])
        return out

    def _totals(self, leaf_points: np.ndarray, choice: np.ndarray | None, geometric: np.ndarray | None,
                epsilon: float, share: np.ndarray | None) -> np.ndarray:
        mp = self.metric_points(leaf_points, share)
        w = self._weighted(mp, choice) if choice is not None and len(self.swap_idx) else None
        out = self._sum(mp, w)  # arithmetic: Σ_m points × fractions
        rows = np.flatnonzero(geometric) if geometric is not None else np.empty(0, np.intp)
        if len(rows):
            out[rows] = self._geometric(leaf_points[rows], mp[rows], None if w is None else w[rows], epsilon)
        return out

    @cached_property
    def _by_category(self) -> list[tuple[slice, slice, slice]]:
        """Per category c: its metrics (a slice of the metrics: a category's are contiguous in the
        tree), its fixed-method metrics (a slice of `_fixed`) and its varying ones (of swap_idx)."""
        metric_category = self.leaf_category[self.metric_leaf]

        def runs(categories: np.ndarray) -> list[slice]:
            bounds = np.searchsorted(categories, np.arange(len(self.spec.categories) + 1))
            return [slice(int(a), int(b)) for a, b in pairwise(bounds)]

        if np.any(np.diff(metric_category) < 0):
            raise ScoringError("the metrics of a category are not contiguous in the index")
        return list(zip(runs(metric_category), runs(metric_category[self._fixed]),
                        runs(metric_category[self.swap_idx]), strict=True))

    def _geometric(self, leaf_points: np.ndarray, mp: np.ndarray, w: np.ndarray | None,
                   epsilon: float) -> np.ndarray:
        """T × Π_c ((F_c + ε)/(1 + ε))^(P_c/T), F_c = the category's points / its points in the draw."""
        n_cat = len(self.spec.categories)
        cat_points = np.zeros((mp.shape[0], n_cat))
        np.add.at(cat_points.T, self.leaf_category, leaf_points.T)
        if w is not None:
            fixed_points, fixed_fractions, k = mp[:, self._fixed], self.fractions[self._fixed], len(self.swap_options)
            flat_w, flat_v = w.reshape(len(w), -1), self.variants.reshape(-1, self.variants.shape[-1])
        cats = []  # F_c × P_c of every category (one product each), then a few draws at a time in cache:
        for rows, fixed, varying in self._by_category:
            if w is None:
                cats.append(mp[:, rows] @ self.fractions[rows])
            else:
                cat = fixed_points[:, fixed] @ fixed_fractions[fixed]
                cat += flat_w[:, varying.start * k:varying.stop * k] @ flat_v[varying.start * k:varying.stop * k]
                cats.append(cat)
        out = np.empty((mp.shape[0], len(self.units)))
        step = max(1, ROW_CELLS // max(1, len(self.units)))
        for start in range(0, len(out), step):
            log_mean = np.zeros(out[start:start + step].shape)
            for c, cat in enumerate(cats):
                part, points = cat[start:start + step], cat_points[start:start + step, c, None]
                with np.errstate(divide="ignore", invalid="ignore"):  # in place, the same operations as
                    np.divide(part, points, out=part)  # where(P > 0, F / P, 0); (log(F + ε) − log1p(ε)) × P / T
                part[points[:, 0] <= 0] = 0.0
                part += epsilon
                np.log(part, out=part)
                part -= np.log1p(epsilon)
                part *= points / self.total
                log_mean += part
            np.exp(log_mean, out=log_mean)
            np.multiply(self.total, log_mean, out=out[start:start + step])
        return out

    def ranks(self, totals: np.ndarray) -> np.ndarray:
        """Ranks as engine.summarise gives them (rank_rows at the index's display_decimals)."""
        return rank_rows(totals, self.spec.display_decimals)

    def shown(self, totals: np.ndarray) -> np.ndarray:
        """Totals as printed: engine.rounded_array to the index's display_decimals."""
        return engine.rounded_array(totals, self.spec.display_decimals)



def _swapped_metrics(spec: IndexSpec, settings: SensitivitySettings) -> list[int]:
    """Positions of the metrics whose method may change (normalisation.metrics and .alternatives,
    checked against the index)."""
    metrics_ = spec.metrics()
    options = settings.swap_methods
    codes = [m.code for m in metrics_]
    problems, swap = [], []
    if settings.swap_metrics is None:
        swap = [i for i, m in enumerate(metrics_) if m.method in options]
    else:
        for code in settings.swap_metrics:
            if code not in codes:
                problems.append(f"{settings.path}: normalisation.metrics: {code!r} is not a metric of the index")
            elif metrics_[codes.index(code)].method not in options:
                problems.append(f"{settings.path}: normalisation.metrics: {code!r} uses "
                                f"{metrics_[codes.index(code)].method!r}, not one of {list(options)}")
            else:
                swap.append(codes.index(code))
    for code, names in settings.alternatives:
        where = f"{settings.path}: normalisation.alternatives.{code}"
        if code not in codes:
            problems.append(f"{where}: {code!r} is not a metric of the index")
        elif codes.index(code) not in swap:
            problems.append(f"{where}: {code!r} is not among the metrics whose method varies "
                            f"(normalisation.metrics; its method is {metrics_[codes.index(code)].method!r})")
        elif metrics_[codes.index(code)].method not in names:
            problems.append(f"{where}: the metric's own method {metrics_[codes.index(code)].method!r} "
                            f"must be one of its alternatives {list(names)}")
    if problems:
        raise SpecError("sensitivity settings do not fit the index", problems=problems)
    return sorted(swap)


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
    nominal = fractions[[m.code for m in metrics_]].to_numpy().T

    options: tuple[str, ...] = settings.swap_methods if settings is not None else ()
    swap = _swapped_metrics(spec, settings) if settings is not None else []
    variants = np.empty((len(swap), len(options), len(units.codes)))
    nominal_choice = np.empty(len(swap), dtype=np.intp)
    allowed = np.empty((len(swap), len(options)), dtype=np.intp)
    count = np.empty(len(swap), dtype=np.intp)
    for s, i in enumerate(swap):
        metric = metrics_[i]
        nominal_choice[s] = options.index(metric.method)
        chosen = [options.index(name) for name in settings.method_choices(metric.code)]
        count[s] = len(chosen)
        allowed[s] = chosen + [chosen[-1]] * (len(options) - len(chosen))
        keep = settings.constant == "keep" and methods.all_equal(values[metric.code])
        for k, option in enumerate(options):
            if keep or k not in chosen:
                variants[s, k] = nominal[i]  # never drawn, or a constant metric keeping its marks
                continue
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
        leaf_category=leaf_category, fractions=nominal, swap_idx=np.asarray(swap, dtype=np.intp),
        swap_options=options, variants=variants, nominal_choice=nominal_choice, swap_allowed=allowed,
        swap_count=count, tree=weight_tree(spec), values=values, unit_list=units,
    )


def nominal_table(spec: IndexSpec, units: Units, values: pd.DataFrame) -> pd.DataFrame:
    """unit, total, rank, pass exactly as the engine publishes them (engine.summarise)."""
    wide = check_values(spec, units, values).rename_axis(index="unit", columns=None).reset_index()
    long = wide.melt(id_vars="unit", var_name="metric", value_name="value").assign(month="nominal")
    summary = engine.summarise(spec, units, engine.score(spec, units, long))
    return summary.set_index("unit").reindex(units.codes)[["total", "rank", "pass"]].rename_axis("unit").reset_index()
