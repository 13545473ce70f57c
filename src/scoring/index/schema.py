"""The params files of the index as pydantic models: `IndexFile` (params/index.yaml) and
`UnitsFile` (params/units.yaml).

Each entry's own rules are field validators; a metric's method, direction, source and
parameters are checked by the method's catalogue entry (`index.methods`). The rules across
entries (unique codes, children's points adding up to the parent, metrics at the last level,
the pass line within [0, total], unit tiers) run on the raw data in a wrap validator, so they are
listed together with every other problem. Each rule raises `PydanticCustomError(rule_id, …)`;
params/labels.yaml `validation:` gives its Chinese wording. `index.spec` builds the dataclasses
the rest of the code uses from the validated models.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from scoring.config import Code, Positive, Strict, Text, key_path
from scoring.index import methods

UNIT_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
SOURCES = ("sheet", "records", "review")
TOLERANCE = 1e-9  # points: children must add up to their parent within this
Problem = dict[str, Any]  # one pydantic line error (InitErrorDetails)


# --------------------------------------------------------------------------- the files as models
# Field order matters: a field validator reads the fields declared above it (info.data).


def _unit_code(value: str) -> str:
    if not UNIT_CODE.match(value):
        raise PydanticCustomError("unit_code", "a unit code must be lower-case letters, digits, - or _ "
                                  "(it names the unit's report files)")
    return value




class _File(Strict):
    model_config = ConfigDict(allow_inf_nan=False)


def _method(info: ValidationInfo) -> methods.Method | None:
    """The metric's catalogue entry, when its `method` is valid."""
    return methods.CATALOGUE.get(info.data.get("method"))


class PerFile(_File):
    """Ingestion divides the reported count by the unit's `register` figure and multiplies by `scale`."""

    register_: Text = Field(alias="register")  # `register` would shadow BaseModel.register
    scale: Positive


class MetricFile(_File):
    """A metric: its method, direction, source and parameters are checked by the method's entry."""

    code: Code
    name: Text
    short: Text | None = None
    unit: Text
    method: str
    direction: Literal["higher", "lower"]
    params: dict[str, Any] | None = Field(None, validate_default=True)
    weight: Positive
    source: Literal["sheet", "records", "review"] = Field("sheet", validate_default=True)
    derive: Text | None = Field(None, validate_default=True)
    per: PerFile | None = None
    rationale: Text

    @field_validator("method")
    @classmethod
    def _known_method(cls, name: str) -> str:
        methods.method_of(name)
        return name

    @field_validator("direction")
    @classmethod
    def _direction_fits_method(cls, direction: str, info: ValidationInfo) -> str:
        if method := _method(info):
            method.check_direction(direction)
        return direction

    @field_validator("params")
    @classmethod
    def _params_fit_method(cls, params: dict[str, Any] | None, info: ValidationInfo) -> dict[str, Any]:
        if method := _method(info):
            method.validate(params, info.data.get("direction"))
        return params or {}

    @field_validator("source")
    @classmethod
    def _source_fits_method(cls, source: str, info: ValidationInfo) -> str:
        if method := _method(info):
            method.check_source(source)
        return source

    @field_validator("derive")
    @classmethod
    def _records_are_derived(cls, derive: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("source") == "records" and derive is None:
            raise PydanticCustomError("records_derive", "a records metric must name its derivation (derive)")
        return derive


class NodeFile(_File):
    """An inner node: `children` (nodes) or `metrics`, exactly one (checked with the tree)."""

    code: Code
    name: Text
    short: Text | None = None
    points: Positive
    children: list[NodeFile] | None = None
    metrics: list[MetricFile] | None = None


class PassLineFile(_File):
    points: float  # within [0, total] (checked with the tree)
    reason: Text


class IndexFile(_File):
    """params/index.yaml: the root of the tree (its points are `total`) and the index settings."""

    code: Code
    name: Text
    version: str = ""
    document: str = ""
    total: Positive
    levels: Annotated[list[Text], Field(min_length=1)]
    pass_line: PassLineFile
    display_decimals: Annotated[int, Field(ge=0, le=6)] = 2
    children: list[NodeFile] | None = None
    metrics: list[MetricFile] | None = None

    @model_validator(mode="wrap")
    @classmethod
    def _tree_rules(cls, data: Any, handler: Any) -> IndexFile:
        return _with_rules(data, handler, _tree_problems)


class UnitFile(_File):
    code: Annotated[str, AfterValidator(_unit_code)]
    name: Text
    tier: str  # a key of `tiers` (checked with the file)
    population_2010: Positive | None = None  # 万人; reference for the demo data, never scored


class UnitsFile(_File):
    """params/units.yaml: tier code → Chinese label, and the units (unique codes and names)."""

    tiers: Annotated[dict[str, Text], Field(min_length=1)]
    units: Annotated[list[UnitFile], Field(min_length=1)]

    @model_validator(mode="wrap")
    @classmethod
    def _across_units(cls, data: Any, handler: Any) -> UnitsFile:
        return _with_rules(data, handler, _unit_problems)


# --------------------------------------------------------------------------- rules across entries


def _problem(rule: str, english: str, loc: tuple[int | str, ...], given: Any, **ctx: Any) -> Problem:
    return {"type": PydanticCustomError(rule, english, ctx), "loc": loc, "input": given}


def _with_rules(data: Any, handler: Any, rules: Any) -> Any:
    """Validate with `handler`, then apply `rules(data)` to the raw data, so that the rules across
    entries are listed even when some entry is malformed: one ValidationError with every problem."""
    extra: list[Problem] = rules(data) if isinstance(data, dict) else []
    try:
        model = handler(data)
    except ValidationError as exc:
        if not extra:
            raise
        again = [_problem(e["type"], e["msg"], tuple(e["loc"]), e["input"], **(e.get("ctx") or {}))
                 for e in exc.errors()]
        raise ValidationError.from_exception_data(exc.title, again + extra) from None
    if extra:
        raise ValidationError.from_exception_data(type(model).__name__, extra)
    return model


def _number(value: Any) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if ok else None


def _tree_problems(data: dict[str, Any]) -> list[Problem]:
    """Unique codes; each node with children or metrics (exactly one); children's points adding up
    to their parent's; metrics at the last of `levels`; the pass line within [0, total]."""
    out: list[Problem] = []
    seen: dict[str, str] = {}
    levels = data.get("levels")
    count = len(levels) if isinstance(levels, list) else None

    def claim(code: Any, loc: tuple[int | str, ...]) -> None:
        if isinstance(code, str) and code in seen:
            out.append(_problem("duplicate_code", "duplicate code {code} (first used at {first})", (*loc, "code"),
                                code, code=code, first=seen[code]))
        elif isinstance(code, str):
            seen[code] = key_path(loc)

    def visit(entry: Any, loc: tuple[int | str, ...], depth: int) -> None:
        if not isinstance(entry, dict):
            return
        code, points_key = entry.get("code"), ("points" if loc else "total")
        claim(code, loc)
        children, metrics_ = entry.get("children"), entry.get("metrics")
        if bool(children) == bool(metrics_):
            out.append(_problem("children_or_metrics", "{code} needs either children or metrics (exactly one)",
                                loc, code, code=str(code)))
        if isinstance(metrics_, list) and metrics_:
            for i, metric in enumerate(metrics_):
                claim(metric.get("code") if isinstance(metric, dict) else None, (*loc, "metrics", i))
            if count is not None and depth + 2 != count:
                out.append(_problem("metrics_level", "{code} holds metrics at depth {depth}, but levels {levels} "
                                    "names {count} levels (metrics must be the last)", (*loc, "metrics"), code,
                                    code=str(code), depth=depth + 1, levels=str(levels), count=count))
        if isinstance(children, list) and children:
            for i, child in enumerate(children):
                visit(child, (*loc, "children", i), depth + 1)
            points = _number(entry.get(points_key))
            parts = [_number(c.get("points")) if isinstance(c, dict) else None for c in children]
            if points is not None and None not in parts and abs(sum(parts) - points) > TOLERANCE:
                shown = " + ".join(f"{c['code']}={p:g}" for c, p in zip(children, parts, strict=True))
                out.append(_problem("points_sum", "points {points} of {code} ≠ sum of its children {sum} ({parts})",
                                    (*loc, points_key), entry.get(points_key), code=str(code),
                                    points=f"{points:g}", sum=f"{sum(parts):g}", parts=shown))

    visit(data, (), 0)
    total, pass_line = _number(data.get("total")), data.get("pass_line")
    line = _number(pass_line.get("points")) if isinstance(pass_line, dict) else None
    if total is not None and line is not None and not 0 <= line <= total:
        out.append(_problem("pass_line_range", "pass line {points} is outside [0, {total}]", ("pass_line", "points"),
                            pass_line["points"], points=f"{line:g}", total=f"{total:g}"))
    return out


def _unit_problems(data: dict[str, Any]) -> list[Problem]:
    """Unique unit codes and names; every unit's tier one of `tiers`."""
    out: list[Problem] = []
    tiers, units = data.get("tiers"), data.get("units")
    first: dict[str, dict[str, int]] = {"code": {}, "name": {}}
    for i, entry in enumerate(units if isinstance(units, list) else []):
        if not isinstance(entry, dict):
            continue
        for key, seen in first.items():
            value = entry.get(key)
            if isinstance(value, str) and value in seen:
                english = f"duplicate unit {key} {{value}} (first: units[{{first}}])"
                out.append(_problem(f"duplicate_unit_{key}", english, ("units", i, key), value,
                                    value=value, first=seen[value]))
            elif isinstance(value, str):
                seen[value] = i
        tier = entry.get("tier")
        if isinstance(tiers, dict) and isinstance(tier, str) and tier not in tiers:
            out.append(_problem("unit_tier", "tier {tier} is not one of {known}", ("units", i, "tier"), tier,
                                tier=tier, known=", ".join(map(str, tiers))))
    return out
