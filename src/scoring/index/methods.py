"""The catalogue of scoring methods: one month's values of one metric → fractions in [0, 1].

Every method is a pure, vectorised function

    method(values, *, direction, points, **params) -> fractions

`values` is a float Series indexed by unit code (NaN = missing); the result has the same
index, NaN where the value is missing (the engine scores those 0 and flags them — see
`engine.MISSING_POLICY`), else a fraction of the metric's points. Relative methods
(minmax, rank, zscore) compare only the units that have a value that month.

A metric names its method in `params/index.yaml`; the loader checks its parameters
against `CATALOGUE[name].params` before anything is scored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from scoring.errors import ScoringError

Fractions = pd.Series


@dataclass(frozen=True)
class Param:
    """One parameter of a method: its kind, whether it is required, its allowed range."""

    kind: str  # "number" | "bands"
    required: bool = True
    low: float | None = None
    high: float | None = None
    default: Any = None


@dataclass(frozen=True)
class Method:
    name: str
    func: Callable[..., Fractions]
    formula: str
    relative: bool  # depends on the other units' values that month
    params: dict[str, Param] = field(default_factory=dict)
    directions: tuple[str, ...] = ("higher", "lower")


def _refuse(values: pd.Series, bad: pd.Series, rule: str) -> None:
    """Raise ScoringError naming every unit whose value breaks `rule`."""
    bad = bad & values.notna()
    if bad.any():
        lines = [f"unit {unit!r}: value {float(values[unit]):g} — {rule}" for unit in values.index[bad]]
        raise ScoringError("; ".join(lines), problems=lines)


def _oriented(values: pd.Series, direction: str) -> pd.Series:
    """Values turned so that larger is always better."""
    return values if direction == "higher" else -values


def minmax(values: pd.Series, *, direction: str, points: float, when_equal: float = 1.0) -> Fractions:
    """(x − min) / (max − min) over the units with a value (reversed when lower is better);
    `when_equal` (default 1: nobody is behind anybody) when all those values are equal."""
    x = _oriented(values.astype(float), direction)
    low, high = x.min(), x.max()
    if not np.isfinite(low) or high == low:
        return x.where(x.isna(), when_equal)
    return (x - low) / (high - low)


def goalposts(values: pd.Series, *, direction: str, points: float, floor: float, target: float) -> Fractions:
    """clip((x − floor) / (target − floor), 0, 1): 0 at or beyond the floor, 1 at or beyond
    the target, linear between. For lower-is-better metrics the target is below the floor."""
    x = values.astype(float)
    return ((x - floor) / (target - floor)).clip(0.0, 1.0)


def rank(values: pd.Series, *, direction: str, points: float) -> Fractions:
    """(r − 1) / (n − 1), r the ascending rank of the oriented value among the n units with a
    value, ties sharing their average rank; a single unit scores 1."""
    x = _oriented(values.astype(float), direction)
    r = x.rank(method="average")
    n = int(x.notna().sum())
    if n <= 1:
        return x.where(x.isna(), 1.0)
    return (r - 1.0) / (n - 1.0)


def zscore(values: pd.Series, *, direction: str, points: float, clip: float = 2.0) -> Fractions:
    """(clip(z, −c, c) + c) / 2c, z = (x − mean) / sd (population sd, units with a value,
    sign reversed when lower is better); 0.5 for all when the sd is 0."""
    x = _oriented(values.astype(float), direction)
    sd = x.std(ddof=0)
    if not np.isfinite(sd) or sd == 0:
        return x.where(x.isna(), 0.5)
    z = ((x - x.mean()) / sd).clip(-clip, clip)
    return (z + clip) / (2 * clip)


def flag(values: pd.Series, *, direction: str, points: float) -> Fractions:
    """1 for yes (1), 0 for no (0); reversed when the metric says lower is better."""
    x = values.astype(float)
    _refuse(values, ~x.isin([0.0, 1.0]), "a yes/no item must be 1 (是) or 0 (否)")
    return x if direction == "higher" else 1.0 - x


def zero_tolerance(values: pd.Series, *, direction: str, points: float) -> Fractions:
    """1 when the count is 0, else 0 (a single case loses the item)."""
    x = values.astype(float)
    _refuse(values, (x < 0) | (x != np.floor(x)), "a count must be a whole number ≥ 0")
    return (x == 0).astype(float).where(x.notna())


def deduction(values: pd.Series, *, direction: str, points: float, penalty: float) -> Fractions:
    """max(0, 1 − count × penalty / points): each case costs `penalty` points, floor 0."""
    x = values.astype(float)
    _refuse(values, (x < 0) | (x != np.floor(x)), "a count must be a whole number ≥ 0")
    return (1.0 - x * penalty / points).clip(lower=0.0)


def bands(values: pd.Series, *, direction: str, points: float, bands: list, otherwise: float = 0.0) -> Fractions:
    """Stepped: the fraction of the first band [threshold, fraction] that x reaches
    (x ≥ threshold when higher is better, x ≤ threshold when lower), else `otherwise`."""
    x = values.astype(float)
    out = pd.Series(otherwise, index=x.index, dtype=float)
    reached = pd.Series(False, index=x.index)
    for threshold, fraction in bands:
        hit = (x >= threshold) if direction == "higher" else (x <= threshold)
        out[hit & ~reached] = float(fraction)
        reached |= hit
    return out.where(x.notna())


def manual(values: pd.Series, *, direction: str, points: float, out_of: float | None = None) -> Fractions:
    """x / out_of: a reviewer's score entered directly, out of `out_of` (default: the item's
    points); above it or below 0 is an error. `out_of` keeps the reviewers' scale when a
    researcher moves the item's points (index.weights.alternative_weights sets it)."""
    scale = points if out_of is None else out_of
    x = values.astype(float)
    _refuse(values, (x < 0) | (x > scale + 1e-9), f"a reviewer's score must lie in [0, {scale:g}]")
    return x / scale


CATALOGUE: dict[str, Method] = {
    m.name: m
    for m in (
        Method("minmax", minmax, "(x − min)/(max − min) across units; when_equal if all equal", True,
               {"when_equal": Param("number", required=False, low=0, high=1, default=1.0)}),
        Method("goalposts", goalposts, "clip((x − floor)/(target − floor), 0, 1)", False,
               {"floor": Param("number"), "target": Param("number")}),
        Method("rank", rank, "(r − 1)/(n − 1), ties share the average rank", True),
        Method("zscore", zscore, "(clip(z, −c, c) + c)/2c, z = (x − mean)/sd across units", True,
               {"clip": Param("number", required=False, low=0.1, high=10, default=2.0)}),
        Method("flag", flag, "1 if yes, 0 if no", False),
        Method("zero_tolerance", zero_tolerance, "1 if count = 0, else 0", False, directions=("lower",)),
        Method("deduction", deduction, "max(0, 1 − count × penalty / points)", False,
               {"penalty": Param("number", low=1e-9)}, directions=("lower",)),
        Method("bands", bands, "fraction of the first band whose threshold x reaches, else otherwise", False,
               {"bands": Param("bands"),
                "otherwise": Param("number", required=False, low=0, high=1, default=0.0)}),
        Method("manual", manual, "x / out_of, x a reviewer's score out of out_of (default: the item's points)",
               False, {"out_of": Param("number", required=False, low=1e-9, default=None)}, directions=("higher",)),
    )
}


def check_params(name: Any, params: dict[str, Any], direction: Any = "higher") -> list[str]:
    """Problems with a method name and its parameters, as readable lines (empty when fine)."""
    if not isinstance(name, str) or name not in CATALOGUE:
        return [f"unknown method {name!r}; known: {', '.join(CATALOGUE)}"]
    method = CATALOGUE[name]
    problems = []
    if direction in ("higher", "lower") and direction not in method.directions:
        problems.append(f"{name} needs direction {' or '.join(method.directions)}, not {direction!r}")
    for key in params:
        if key not in method.params:
            problems.append(f"{name}: unknown parameter {key!r}; allowed: {sorted(method.params) or 'none'}")
    for key, spec in method.params.items():
        if key not in params:
            if spec.required:
                problems.append(f"{name}: missing parameter {key!r}")
            continue
        value = params[key]
        if spec.kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
                problems.append(f"{name}: parameter {key!r} = {value!r} is not a number")
            elif (spec.low is not None and value < spec.low) or (spec.high is not None and value > spec.high):
                problems.append(f"{name}: parameter {key!r} = {value!r} is outside [{spec.low}, {spec.high}]")
        elif spec.kind == "bands":
            problems.extend(_check_bands(name, value, direction))
    if name == "goalposts" and not problems:
        floor, target = params["floor"], params["target"]
        if floor == target:
            problems.append(f"goalposts: floor and target are both {floor!r}")
        elif direction == "higher" and target < floor:
            problems.append(f"goalposts: higher is better, so target {target!r} must exceed floor {floor!r}")
        elif direction == "lower" and target > floor:
            problems.append(f"goalposts: lower is better, so target {target!r} must be below floor {floor!r}")
    return problems


def _check_bands(name: str, value: Any, direction: Any) -> list[str]:
    ok = isinstance(value, list) and value and all(
        isinstance(b, list | tuple) and len(b) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in b)
        for b in value
    )
    if not ok:
        return [f"{name}: parameter 'bands' = {value!r} must be a list of [threshold, fraction] pairs"]
    problems = []
    thresholds = [float(b[0]) for b in value]
    fractions = [float(b[1]) for b in value]
    if any(not 0 <= f <= 1 for f in fractions):
        problems.append(f"{name}: band fractions {fractions} must lie in [0, 1]")
    steps = np.diff(thresholds)
    if direction == "higher" and not (steps < 0).all():
        problems.append(f"{name}: thresholds {thresholds} must decrease (best band first)")
    if direction == "lower" and not (steps > 0).all():
        problems.append(f"{name}: thresholds {thresholds} must increase (best band first)")
    if (np.diff(fractions) > 0).any():
        problems.append(f"{name}: fractions {fractions} must not increase from one band to the next")
    return problems


def apply(name: str, values: pd.Series, *, direction: str, points: float, params: dict[str, Any]) -> Fractions:
    """Score `values` with the catalogue method `name` (parameters already checked)."""
    method = CATALOGUE[name]
    defaults = {k: p.default for k, p in method.params.items() if not p.required}
    return method.func(values, direction=direction, points=points, **{**defaults, **params})
