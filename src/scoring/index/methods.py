"""The catalogue of scoring methods: a metric's raw values across units → fractions in [0, 1].

Every method takes the values of one metric for one month (a Series indexed by unit, NaN =
missing), the metric's direction ("higher" or "lower" is better), its points and its
parameters, and returns fractions with the same index, NaN where the value is missing (the
engine scores those 0 and flags them — see `engine.MISSING_POLICY`). Relative methods (minmax,
rank, zscore) compare only the units that have a value that month.

A catalogue entry (`Method`) owns everything about its method: the function, a pydantic model
of its parameters (ranges and cross-parameter checks), the formula, whether it is relative, the
directions and sources it allows, what its raw value is (`value_kind`), the parameter that keeps
its scale when a researcher moves the points (`scale_param`) and its flags. Adding a method takes
one entry in `CATALOGUE`, its test and its line in docs/methodology.md; the index loader, the
engine and the alternative weights read everything else from the entry.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from scoring.config import Positive, Share, Strict, problems_of
from scoring.errors import ScoringError, SpecError

Fractions = pd.Series
ValueKind = Literal["measure", "count", "flag", "score"]  # a level or share; a count of cases; 0/1; a score
FlagRule = Callable[[pd.Series, pd.Series], pd.Series]
DIRECTIONS = ("higher", "lower")
EQUAL_TOLERANCE = 1e-9  # values are "all equal" when max − min ≤ EQUAL_TOLERANCE × max |x|
FLAG_ZERO_TOLERANCE = "zero_tolerance_failed"


# --------------------------------------------------------------------------- parameter models


class Params(Strict):
    """Base of a method's parameters (finite numbers only). Validate with
    context={"direction": "higher" | "lower" | None}; None skips the direction checks."""

    model_config = ConfigDict(allow_inf_nan=False)




def _as_tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


Band = Annotated[tuple[float, Share], BeforeValidator(_as_tuple)]  # [threshold, fraction]


def _direction(info: ValidationInfo) -> str | None:
    return (info.context or {}).get("direction")


def _refuse_all(problems: list[PydanticCustomError], value: Any) -> None:
    """Raise every problem of one parameter at once (a single one as itself)."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ValidationError.from_exception_data("params", [{"type": p, "loc": (), "input": value} for p in problems])


class NoParams(Params):
    """The method takes no parameters."""


class MinmaxParams(Params):
    when_equal: Share = 1.0  # fraction of every unit when all values are equal


class GoalpostsParams(Params):
    floor: float  # fraction 0 at or beyond it
    target: float  # fraction 1 at or beyond it

    @field_validator("target")
    @classmethod
    def _target_beyond_floor(cls, target: float, info: ValidationInfo) -> float:
        floor = info.data.get("floor")
        ctx = {"floor": f"{floor:g}", "target": f"{target:g}"} if floor is not None else {}
        if floor is None:
            return target
        if target == floor:
            raise PydanticCustomError("goalposts_equal", "floor and target are both {floor}", ctx)
        if _direction(info) == "higher" and target < floor:
            raise PydanticCustomError("goalposts_higher",
                                      "higher is better, so target {target} must exceed floor {floor}", ctx)
        if _direction(info) == "lower" and target > floor:
            raise PydanticCustomError("goalposts_lower",
                                      "lower is better, so target {target} must be below floor {floor}", ctx)
        return target


class ZscoreParams(Params):
    clip: Annotated[float, Field(ge=0.1, le=10)] = 2.0  # z is clipped to [−clip, clip] (in sd)


class DeductionParams(Params):
    penalty: Positive  # points lost per case
    out_of: Positive | None = None  # the scale the penalty is taken from (default: the metric's points)


class BandsParams(Params):
    bands: Annotated[list[Band], Field(min_length=1)]  # best band first
    otherwise: Share = 0.0  # fraction below the last band

    @field_validator("bands")
    @classmethod
    def _best_band_first(cls, bands: list[tuple[float, float]], info: ValidationInfo) -> list[tuple[float, float]]:
        thresholds, fractions = [t for t, _ in bands], [f for _, f in bands]
        steps = np.diff(thresholds)
        ctx = {"thresholds": str(thresholds), "fractions": str(fractions)}
        problems = []
        if _direction(info) == "higher" and not (steps < 0).all():
            problems.append(PydanticCustomError(
                "bands_higher", "higher is better, so thresholds {thresholds} must decrease (best band first)", ctx))
        if _direction(info) == "lower" and not (steps > 0).all():
            problems.append(PydanticCustomError(
                "bands_lower", "lower is better, so thresholds {thresholds} must increase (best band first)", ctx))
        if (np.diff(fractions) > 0).any():
            problems.append(PydanticCustomError(
                "bands_fractions", "fractions {fractions} must not increase from one band to the next", ctx))
        _refuse_all(problems, bands)
        return bands

    @field_validator("otherwise")
    @classmethod
    def _not_above_last_band(cls, otherwise: float, info: ValidationInfo) -> float:
        bands = info.data.get("bands")
        if bands and otherwise > bands[-1][1]:
            raise PydanticCustomError("bands_otherwise", "otherwise {otherwise} must not exceed the last band's "
                                      "fraction {last}", {"otherwise": f"{otherwise:g}", "last": f"{bands[-1][1]:g}"})
        return otherwise


class ManualParams(Params):
    out_of: Positive | None = None  # the reviewers' scale (default: the metric's points)


# --------------------------------------------------------------------------- the functions


def _refuse(values: pd.Series, bad: pd.Series, rule: str) -> None:
    """Raise ScoringError naming every unit whose value breaks `rule`."""
    bad = bad & values.notna()
    if bad.any():
        lines = [f"unit {unit!r}: value {float(values[unit]):g} — {rule}" for unit in values.index[bad]]
        raise ScoringError("; ".join(lines), problems=lines)


def _oriented(values: pd.Series, direction: str) -> pd.Series:
    """Values turned so that larger is always better."""
    return values if direction == "higher" else -values


def all_equal(values: pd.Series) -> bool:
    """True when the values present are equal up to their scale: max − min ≤ 1e-9 × max |x|
    (exactly equal when all are 0); also True when no value is present."""
    present = values.dropna()
    if present.empty:
        return True
    return bool(present.max() - present.min() <= EQUAL_TOLERANCE * present.abs().max())


def minmax(values: pd.Series, *, direction: str, points: float, when_equal: float = 1.0) -> Fractions:
    """(x − min) / (max − min) over the units with a value (reversed when lower is better);
    `when_equal` (default 1: nobody is behind anybody) when those values are all equal."""
    x = _oriented(values.astype(float), direction)
    if all_equal(x):
        return x.where(x.isna(), when_equal)
    low, high = x.min(), x.max()
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
    sign reversed when lower is better); 0.5 for all when those values are all equal."""
    x = _oriented(values.astype(float), direction)
    if all_equal(x):
        return x.where(x.isna(), 0.5)
    sd = x.std(ddof=0)
    if not (np.isfinite(sd) and sd >= np.finfo(float).tiny):  # under- or overflowed (e.g. 0 and 5e-324): the
        x = x / x.abs().max()  # same z-scores from the values scaled into [−1, 1]
        sd = x.std(ddof=0)
    z = ((x - x.mean()) / sd).clip(-clip, clip)
    return (z + clip) / (2 * clip)


def flag(values: pd.Series, *, direction: str, points: float) -> Fractions:
    """1 for yes (1), 0 for no (0); reversed when the metric says lower is better."""
    x = values.astype(float)
    _refuse(values, ~x.isin([0.0, 1.0]), "a yes/no item must be 1 (是) or 0 (否)")
    return x if direction == "higher" else 1.0 - x


def _counts(values: pd.Series) -> pd.Series:
    x = values.astype(float)
    _refuse(values, (x < 0) | (x != np.floor(x)), "a count must be a whole number ≥ 0")
    return x


def zero_tolerance(values: pd.Series, *, direction: str, points: float) -> Fractions:
    """1 when the count is 0, else 0 (a single case loses the item)."""
    x = _counts(values)
    return (x == 0).astype(float).where(x.notna())


def deduction(values: pd.Series, *, direction: str, points: float, penalty: float,
              out_of: float | None = None) -> Fractions:
    """max(0, 1 − count × penalty / out_of): each case costs `penalty` points of a scale of
    `out_of` points (default: the metric's points), floor 0. `out_of` keeps the fraction when a
    researcher moves the metric's points (index.weights.alternative_weights pins it)."""
    x = _counts(values)
    return (1.0 - x * penalty / (points if out_of is None else out_of)).clip(lower=0.0)


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
    researcher moves the item's points (index.weights.alternative_weights pins it)."""
    scale = points if out_of is None else out_of
    x = values.astype(float)
    _refuse(values, (x < 0) | (x > scale + 1e-9), f"a reviewer's score must lie in [0, {scale:g}]")
    return x / scale


def flag_when_lost(name: str) -> FlagRule:
    """A flag rule: `name` where a value is present and its fraction is 0 (the item is lost)."""

    def rule(values: pd.Series, fractions: pd.Series) -> pd.Series:
        lost = values.notna() & (fractions == 0)
        return pd.Series(np.where(lost, name, ""), index=values.index, dtype=object)

    return rule


# --------------------------------------------------------------------------- the catalogue


@dataclass(frozen=True)
class Param:
    """What a caller needs to know of one parameter without reading the model."""

    required: bool
    default: Any = None


@dataclass(frozen=True)
class Method:
    """One scoring method and everything it owns (see the module docstring)."""

    name: str
    func: Callable[..., Fractions]
    model: type[Params]
    formula: str
    relative: bool  # depends on the other units' values that month
    value_kind: ValueKind
    directions: tuple[str, ...] = DIRECTIONS
    sources: tuple[str, ...] | None = None  # where the value may come from; None: any source
    scale_param: str | None = None  # pinned to the published points when the points move
    flag_rule: FlagRule | None = None

    @property
    def params(self) -> dict[str, Param]:
        """The parameters of the model: name → required?, default."""
        return {k: Param(f.is_required(), None if f.is_required() else f.default)
                for k, f in self.model.model_fields.items()}

    def validate(self, params: dict[str, Any] | None, direction: str | None = None) -> Params:
        """The parameters as the method's model; ValidationError listing every problem."""
        return self.model.model_validate(params or {}, context={"direction": direction})

    def check_direction(self, direction: str) -> None:
        if direction not in self.directions:
            raise PydanticCustomError("method_direction", "{method} needs direction {allowed}",
                                      {"method": self.name, "allowed": " / ".join(self.directions)})

    def check_source(self, source: str) -> None:
        if self.sources is not None and source not in self.sources:
            raise PydanticCustomError("method_source", "a {method} metric must come from source {allowed}",
                                      {"method": self.name, "allowed": " / ".join(self.sources)})

    def score(self, values: pd.Series, *, direction: str, points: float, params: dict[str, Any]) -> Fractions:
        """Fractions of `values` (the parameters' defaults filled in from the model)."""
        return self.scorer(direction=direction, points=points, params=params)(values)

    def scorer(self, *, direction: str, points: float, params: dict[str, Any]) -> Callable[[pd.Series], Fractions]:
        """`score` as a function of the values alone, the parameters validated once (SpecError now)."""
        try:
            chosen = self.validate(params, direction)
        except ValidationError as exc:
            lines = problems_of(exc, f"method {self.name}")
            raise SpecError("; ".join(lines), problems=lines) from exc
        return functools.partial(self.func, direction=direction, points=points, **dict(chosen))

    def flags(self, values: pd.Series, fractions: pd.Series) -> pd.Series:
        """This method's flag per unit ("" for none); `fractions` as scored (missing → 0)."""
        if self.flag_rule is None:
            return pd.Series("", index=values.index, dtype=object)
        return self.flag_rule(values, fractions)


CATALOGUE: dict[str, Method] = {
    m.name: m
    for m in (
        Method("minmax", minmax, MinmaxParams, "(x − min)/(max − min) across units; when_equal if all equal",
               True, "measure"),
        Method("goalposts", goalposts, GoalpostsParams, "clip((x − floor)/(target − floor), 0, 1)", False,
               "measure"),
        Method("rank", rank, NoParams, "(r − 1)/(n − 1), ties share the average rank", True, "measure"),
        Method("zscore", zscore, ZscoreParams, "(clip(z, −c, c) + c)/2c, z = (x − mean)/sd across units; "
               "0.5 if all equal", True, "measure"),
        Method("flag", flag, NoParams, "1 if yes, 0 if no", False, "flag"),
        Method("zero_tolerance", zero_tolerance, NoParams, "1 if count = 0, else 0", False, "count",
               directions=("lower",), flag_rule=flag_when_lost(FLAG_ZERO_TOLERANCE)),
        Method("deduction", deduction, DeductionParams, "max(0, 1 − count × penalty / out_of), out_of "
               "defaulting to the metric's points", False, "count", directions=("lower",), scale_param="out_of"),
        Method("bands", bands, BandsParams, "fraction of the first band whose threshold x reaches, else otherwise",
               False, "measure"),
        Method("manual", manual, ManualParams, "x / out_of, x a reviewer's score out of out_of (default: the "
               "item's points)", False, "score", directions=("higher",), sources=("review",),
               scale_param="out_of"),
    )
}


def method_of(name: Any) -> Method:
    """The catalogue entry `name`; PydanticCustomError "unknown_method" when there is none."""
    method = CATALOGUE.get(name) if isinstance(name, str) else None
    if method is None:
        raise PydanticCustomError("unknown_method", "unknown method {method}; known: {known}",
                                  {"method": repr(name), "known": ", ".join(CATALOGUE)})
    return method


def apply(name: str, values: pd.Series, *, direction: str, points: float, params: dict[str, Any]) -> Fractions:
    """Score `values` with the catalogue method `name` (see `Method.score`)."""
    return CATALOGUE[name].score(values, direction=direction, points=points, params=params)


def flags(name: str, values: pd.Series, fractions: pd.Series) -> pd.Series:
    """The flags method `name` gives each unit ("" for none; see `Method.flags`)."""
    return CATALOGUE[name].flags(values, fractions)
