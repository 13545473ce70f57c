"""The index tree as arrays: the points of every level for many draws at once.

Levels: the node levels below the root (category, indicator … — the deepest ones, the leaves,
hold the metrics) and the metric level (a metric's weight inside its indicator).

- `perturb`: weights × multipliers per level, brought back to points by one of two rules:
    total   every leaf's points P_l° × Π_k x_k(l), all rescaled so that they add up to T
            (the levels above the perturbed one move with it; this project's rule since issue 5)
    parent  from the root down, the children of every node rescaled to the node's points
            (P_n = P_parent(n) × w_n / Σ_siblings w, w = P° × x): a level that is not perturbed
            keeps its points (COINr's relative weights, the rule of a weights file)
  A metric's weight always moves inside its indicator: the indicator keeps its points.
- `fit`: given raw points per level (a recorded weight set: a weights file's numbers, the
  published points elsewhere), the `parent` rule — exactly `index.weights.alternative_weights`.

Both return (leaf points (D, L), metric shares (D, M) or None when the shares are the published ones).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring.errors import SpecError
from scoring.index.spec import IndexSpec


@dataclass(frozen=True)
class Depth:
    """The nodes of one level below the root, in tree order."""

    level: str
    codes: tuple[str, ...]
    points: np.ndarray  # (N,) published points
    parent: np.ndarray  # (N,) position of each node's parent in the depth above (0: the root)


@dataclass(frozen=True)
class WeightTree:
    total: float
    depths: tuple[Depth, ...]  # from the root's children down to the leaves
    metric_level: str
    metric_codes: tuple[str, ...]
    metric_leaf: np.ndarray  # (M,) leaf position of each metric
    metric_weight: np.ndarray  # (M,) published weight of each metric inside its indicator
    leaf_points: np.ndarray  # (L,) published points of the leaves
    leaf_above: dict[str, np.ndarray]  # level → (L,) position of each leaf's node at that level

    @property
    def levels(self) -> tuple[str, ...]:
        return (*[d.level for d in self.depths], self.metric_level)

    def codes(self, level: str) -> tuple[str, ...]:
        """The node (or metric) codes at `level`, in tree order."""
        if level == self.metric_level:
            return self.metric_codes
        return self.depth(level).codes

    def depth(self, level: str) -> Depth:
        for d in self.depths:
            if d.level == level:
                return d
        raise SpecError(f"level {level!r} is not a level of the index below its root; "
                        f"choose one of {list(self.levels)}")

    def check_level(self, level: str, what: str) -> None:
        if level not in self.levels:
            raise SpecError(f"{what}: level {level!r} has no nodes in the index; choose one of {list(self.levels)}")

    # ----------------------------------------------------------------------- weights → points

    def perturb(self, multipliers: dict[str, np.ndarray], rescale: str, n: int,
                shares: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """Leaf points and metric shares for `n` draws of multipliers {level: (n, nodes at level)}
        (levels not given keep their weights), by the `total` or `parent` rule (module docstring).
        `shares`: the published metric shares the model uses (P_l(m)°-relative), kept when the
        metric level is not perturbed."""
        node_levels = [lv for lv in multipliers if lv != self.metric_level]
        if rescale == "parent":
            raw = {lv: self.depth(lv).points[None, :] * multipliers[lv] for lv in node_levels}
            leaf, _ = self.fit(raw, None, n)
        elif rescale == "total":
            mult = None
            for lv in node_levels:
                part = multipliers[lv][:, self.leaf_above[lv]]
                mult = part if mult is None else mult * part
            if mult is None:
                leaf = np.broadcast_to(self.leaf_points, (n, len(self.leaf_points)))
            else:
                leaf = perturbed_points(self.leaf_points, np.arange(len(self.leaf_points)), mult, self.total)
        else:
            raise SpecError(f"weights.rescale must be 'total' or 'parent', got {rescale!r}")
        x = multipliers.get(self.metric_level)
        if x is None:
            return leaf, None
        base = self._shares(self.metric_weight[None, :])[0] if shares is None else shares
        return leaf, self._shares(base[None, :] * x)

    def fit(self, raw: dict[str, np.ndarray], metric_weights: np.ndarray | None,
            n: int) -> tuple[np.ndarray, np.ndarray | None]:
        """The `parent` rule on raw points {level: (n, nodes)} (a level not given: its published
        points) and raw metric weights (n, M) (None: the published shares): from the root down,
        the children of every node × the node's points / the sum of the children."""
        above = np.full((n, 1), float(self.total))
        for d in self.depths:
            w = raw.get(d.level)
            w = np.broadcast_to(d.points, (n, len(d.codes))) if w is None else w
            sums = w @ _one_hot(d.parent, above.shape[1])
            with np.errstate(divide="ignore", invalid="ignore"):
                above = np.where(sums[:, d.parent] > 0, w * above[:, d.parent] / sums[:, d.parent], 0.0)
        return above, None if metric_weights is None else self._shares(metric_weights)

    def _leaf_sum(self, per_metric: np.ndarray) -> np.ndarray:
        return per_metric @ _one_hot(self.metric_leaf, len(self.leaf_points))

    def _shares(self, weights: np.ndarray) -> np.ndarray:
        """(n, M) weights → shares inside each indicator: w_m / Σ_{m' in the same indicator} w_m'."""
        sums = self._leaf_sum(weights)[:, self.metric_leaf]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = weights / sums
        if not (sums > 0).all():
            out[~(sums > 0)] = 0.0
        return out


def _one_hot(position: np.ndarray, size: int) -> np.ndarray:
    """(len(position), size) 0/1 matrix: row i has its 1 at position[i] (sums by group as a product)."""
    out = np.zeros((len(position), size))
    out[np.arange(len(position)), position] = 1.0
    return out


def perturbed_points(nominal: np.ndarray, leaf_factor: np.ndarray, multipliers: np.ndarray,
                     total: float) -> np.ndarray:
    """(D, L) leaf points: nominal_l × x[d, k(l)], each row rescaled to add up to `total`."""
    points = nominal[None, :] * multipliers[:, leaf_factor]
    return points * (total / points.sum(axis=1, keepdims=True))


def weight_tree(spec: IndexSpec) -> WeightTree:
    """The arrays of `spec`'s tree (see WeightTree)."""
    depths: list[Depth] = []
    level_nodes = [[spec.root]]
    while any(n.children for n in level_nodes[-1]):
        above = level_nodes[-1]
        nodes = [c for n in above for c in n.children]  # the index puts every metric at its last level
        parent = np.asarray([i for i, n in enumerate(above) for _ in n.children], dtype=np.intp)
        depths.append(Depth(nodes[0].level, tuple(c.code for c in nodes),
                            np.asarray([c.points for c in nodes], dtype=float), parent))
        level_nodes.append(nodes)
    leaves = level_nodes[-1]
    leaf_above: dict[str, np.ndarray] = {}
    position = np.arange(len(leaves), dtype=np.intp)
    for d in reversed(depths):
        leaf_above[d.level] = position
        position = d.parent[position]
    metrics = [m for leaf in leaves for m in leaf.metrics]
    leaf_pos = {n.code: i for i, n in enumerate(leaves)}
    return WeightTree(
        total=spec.total, depths=tuple(depths),
        metric_level=spec.levels[-1],
        metric_codes=tuple(m.code for m in metrics),
        metric_leaf=np.asarray([leaf_pos[m.parent] for m in metrics], dtype=np.intp),
        metric_weight=np.asarray([m.weight for m in metrics], dtype=float),
        leaf_points=np.asarray([n.points for n in leaves], dtype=float), leaf_above=leaf_above,
    )
