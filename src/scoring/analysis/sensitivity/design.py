"""The uncertain inputs as columns of the unit hypercube, and the draws they give.

Each input takes a block of columns u ∈ [0, 1) (in this order, each only when it can vary):

- weights        one column per node (or metric) of every perturbed level, x = 1 − r + 2 r u
                 ~ U(1 − r, 1 + r); points by weights.rescale (tree.WeightTree.perturb)
- normalisation  one column per metric whose method may change: the method
                 allowed[⌊u × k⌋] among its k alternatives (uniform; its own included);
                 `switch: together`: one column, methods[⌊u × K⌋] for every metric that may
                 take it (the others keep their own)
- aggregation    one column: aggregation.methods[⌊u × A⌋] (uniform)
- pass_line      one column: low + (high − low) u ~ U(low, high)

An input that is not varied stays nominal: the published points, every metric on its own
method, arithmetic aggregation, the index's pass line. The Monte Carlo samples the columns
(Latin hypercube or independent uniform, `sampling`); Sobol takes them from its A and B matrices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import qmc

from scoring.analysis.sensitivity.model import MonthModel
from scoring.analysis.sensitivity.settings import SensitivitySettings
from scoring.analysis.sensitivity.tree import perturbed_points
from scoring.errors import SpecError

WEIGHTS = "weights"


@dataclass
class Draws:
    """D draws of every input of the model."""

    leaf_points: np.ndarray  # (D, L)
    share: np.ndarray | None  # (D, M) metric shares inside their indicator; None = published
    choice: np.ndarray | None  # (D, S) option index of every metric whose method may change; None = own
    aggregation: np.ndarray  # (D,) aggregation method names
    pass_line: np.ndarray  # (D,) the pass line of each draw

    def __len__(self) -> int:
        return self.leaf_points.shape[0]

    @property
    def geometric(self) -> np.ndarray:
        return self.aggregation == "geometric"


@dataclass(frozen=True)
class InputBlock:
    """The columns one input takes: `codes` name them (nodes or metrics; the input for one column)."""

    input: str
    level: str
    codes: tuple[str, ...]
    start: int
    rate: float = 0.0  # weights: r

    @property
    def columns(self) -> np.ndarray:
        return np.arange(self.start, self.start + len(self.codes))


@dataclass(frozen=True)
class Design:
    model: MonthModel
    settings: SensitivitySettings
    inputs: tuple[str, ...]
    blocks: tuple[InputBlock, ...]

    @property
    def dims(self) -> int:
        return sum(len(b.codes) for b in self.blocks)

    def varies(self, name: str) -> bool:
        return any(b.input == name for b in self.blocks)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, dims) points of the unit hypercube, by `settings.sampling`."""
        if not self.dims:
            return np.empty((n, 0))
        if self.settings.sampling == "random":
            return rng.random((n, self.dims))
        return qmc.LatinHypercube(d=self.dims, rng=rng).random(n)

    def factors(self, group_weights: bool = False) -> list[tuple[str, np.ndarray]]:
        """Sobol factors: every weight column alone (or, group_weights, all of them as the factor
        'weights'), every other input as one group of columns."""
        out: list[tuple[str, np.ndarray]] = []
        weights = [b.columns for b in self.blocks if b.input == WEIGHTS]
        if group_weights and weights:
            out.append((WEIGHTS, np.concatenate(weights)))
        for b in self.blocks:
            if b.input == WEIGHTS and group_weights:
                continue
            if b.input == WEIGHTS:
                out += [(code, np.asarray([col])) for code, col in zip(b.codes, b.columns, strict=True)]
            else:
                out.append((b.input, b.columns))
        return out

    def draws(self, u: np.ndarray) -> Draws:
        """The draws of the points `u` (n, dims) (module docstring)."""
        model, settings = self.model, self.settings
        n = u.shape[0]
        mult = {b.level: 1.0 - b.rate + 2.0 * b.rate * u[:, b.columns] for b in self.blocks if b.input == WEIGHTS}
        if mult:
            leaf, share = model.tree.perturb(mult, settings.rescale, n, shares=model.metric_share)
        else:
            leaf = perturbed_points(model.leaf_points, np.zeros(len(model.leaf_points), np.intp),
                                    np.ones((n, 1)), model.total)
            share = None
        choice = None
        aggregation = np.full(n, "arithmetic")
        if "aggregation" in self.inputs and len(settings.aggregations) == 1:
            aggregation = np.full(n, settings.aggregations[0])
        pass_line = np.full(n, float(model.spec.pass_line))
        for b in self.blocks:
            x = u[:, b.columns]
            if b.input == "normalisation" and settings.switch == "together":
                k = len(model.swap_options)  # one method for every metric that may take it
                option = np.minimum((x[:, 0] * k).astype(np.intp), k - 1)
                choice = np.where(model.allowed_mask[:, option].T, option[:, None], model.nominal_choice[None, :])
            elif b.input == "normalisation":
                count = model.swap_count
                idx = np.minimum((x * count).astype(np.intp), count - 1)
                choice = model.swap_allowed[np.arange(len(count))[None, :], idx]
            elif b.input == "aggregation":
                k = len(settings.aggregations)
                aggregation = np.asarray(settings.aggregations)[np.minimum((x[:, 0] * k).astype(np.intp), k - 1)]
            elif b.input == "pass_line":
                low, high = settings.pass_line_range
                pass_line = low + (high - low) * x[:, 0]
        return Draws(leaf, share, choice, aggregation, pass_line)


def input_design(model: MonthModel, settings: SensitivitySettings, inputs: tuple[str, ...],
                 weight_noise: dict[str, float] | None = None, *, strict: bool = True) -> Design:
    """The blocks of `inputs` (a subset of FACTORS) for `model`. `weight_noise`: level → r of the
    weights perturbed (default: settings.noise, weights.level first), each level checked against
    the index; an input that cannot vary (no method to change, one aggregation, a fixed pass line)
    takes no column. A pass-line range outside [0, T] is refused (SpecError), or with
    strict=False (the plain reading's candidates) leaves the pass line out."""
    blocks: list[InputBlock] = []
    start = 0

    def add(name: str, level: str, codes: tuple[str, ...], rate: float = 0.0) -> None:
        nonlocal start
        blocks.append(InputBlock(name, level, codes, start, rate))
        start += len(codes)

    if WEIGHTS in inputs:
        for level, r in (settings.noise if weight_noise is None else weight_noise).items():
            model.tree.check_level(level, f"{settings.path}: weights")
            add(WEIGHTS, level, model.tree.codes(level), float(r))
    if "normalisation" in inputs and len(model.swap_idx):
        add("normalisation", model.tree.metric_level, ("normalisation",) if settings.switch == "together"
            else tuple(model.metric_codes[i] for i in model.swap_idx))
    if "aggregation" in inputs and len(settings.aggregations) > 1:
        add("aggregation", "", ("aggregation",))
    if "pass_line" in inputs and settings.pass_line_range is not None:
        low, high = settings.pass_line_range
        fits = 0 <= low < high <= model.total
        if not fits and strict:
            raise SpecError(f"{settings.path}: pass_line.range: [{low:g}, {high:g}] must lie within "
                            f"[0, {model.total:g}] (the index total)")
        if fits:
            add("pass_line", "", ("pass_line",))
    return Design(model, settings, tuple(inputs), tuple(blocks))
