"""params/sensitivity.yaml as a typed model (`SettingsFile`): every key, its type and its rules.

A wrong file gives one line per problem, "file: key.path: rule — value", the rule in Chinese
from params/labels.yaml (`validation:`). Cross-field rules raise `PydanticCustomError` with
their own rule ids (duplicate_names, not_swappable, params_without_method, auto_or_codes,
unknown_family, power_of_two, range_or_fixed, level_twice, interval, not_in_methods,
pass_line_fixed; code_format, blank and duplicate_code as in the index); a method's parameters
are checked by its own catalogue model (scoring.index.methods); a rule comparing two fields is
checked once both are valid themselves. What can only be checked against the index (level
names, metric codes, the pass-line range within the total) is checked when the analysis runs.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError, ValidationInfo, create_model, field_validator
from pydantic_core import PydanticCustomError

from scoring.config import Code, Strict, Text
from scoring.index import methods

FACTORS = ("weights", "normalisation", "aggregation", "pass_line")  # the uncertain inputs
AGGREGATIONS = ("arithmetic", "geometric")
SOBOL_OUTPUTS = ("rank", "total", "pass", "mean_abs_shift")
SAMPLINGS = ("latin_hypercube", "random")
RESCALES = ("total", "parent")
CONSTANT_RULES = ("keep", "rescore")
# numpy.quantile's methods; R's quantile(type = 1 … 9) are the first nine, type 7 = linear.
QUANTILE_METHODS = ("inverted_cdf", "averaged_inverted_cdf", "closest_observation", "interpolated_inverted_cdf",
                    "hazen", "weibull", "linear", "median_unbiased", "normal_unbiased", "lower", "higher",
                    "midpoint", "nearest")
FIXED = "fixed"
SOBOL_MIN_N = 16  # smallest Sobol' base sample accepted (a power of 2)

Factor = Literal["weights", "normalisation", "aggregation", "pass_line"]
Aggregation = Literal["arithmetic", "geometric"]
SobolOutput = Literal["rank", "total", "pass", "mean_abs_shift"]
QuantileMethod = Literal["inverted_cdf", "averaged_inverted_cdf", "closest_observation",
                         "interpolated_inverted_cdf", "hazen", "weibull", "linear", "median_unbiased",
                         "normal_unbiased", "lower", "higher", "midpoint", "nearest"]


# --------------------------------------------------------------------------- field rules


def swappable_methods() -> tuple[str, ...]:
    """Catalogue methods that may replace each other as a normalisation: relative (they compare
    the units of the month) and usable without any required parameter."""
    return tuple(name for name, m in methods.CATALOGUE.items()
                 if m.relative and not any(p.required for p in m.params.values()))


def _unique(values: list[str]) -> list[str]:
    twice = sorted({v for v in values if values.count(v) > 1})
    if twice:
        raise PydanticCustomError("duplicate_names", "lists {names} more than once", {"names": ", ".join(twice)})
    return values


def _swappable(name: str) -> str:
    allowed = swappable_methods()
    if name not in allowed:
        raise PydanticCustomError("not_swappable", "not a normalisation alternative (a relative method "
                                  "without required parameters: {allowed})", {"allowed": ", ".join(allowed)})
    return name


def _given(params: Strict | None) -> dict[str, Any] | None:
    return params.model_dump(exclude_unset=True) if params is not None else None


def _power_of_two(n: int) -> int:
    if n & (n - 1):
        raise PydanticCustomError("power_of_two", "must be a power of 2 (Sobol' sequence balance)", {})
    return n


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _range_or_fixed(value: Any) -> Any:
    if value == FIXED or (_number(value) and 0 < value < 1):
        return value
    raise PydanticCustomError("range_or_fixed", "must be 'fixed' or a number strictly between 0 and 1", {})


def _interval(value: Any) -> Any:
    if isinstance(value, list) and len(value) == 2 and all(_number(v) for v in value) and value[0] < value[1]:
        return [float(v) for v in value]
    raise PydanticCustomError("interval", "must be two increasing numbers [low, high]", {})


def _pass_range(value: Any) -> Any:
    return value if value == FIXED else _interval(value)


def _share_band(value: Any) -> Any:
    band = _interval(value)
    if not 0 <= band[0] < band[1] <= 1:
        raise PydanticCustomError("interval", "must be two increasing numbers [low, high]", {})
    return band


OpenUnit = Annotated[float, Field(gt=0, lt=1)]  # a number strictly between 0 and 1
LevelNoise = Annotated[Any, AfterValidator(_range_or_fixed)]
Factors = Annotated[list[Factor], Field(min_length=1), AfterValidator(_unique)]
Swappable = Annotated[str, AfterValidator(_swappable)]


# Parameters per normalisation alternative, each validated by its catalogue model
# (methods.CATALOGUE[name].model: ranges and cross-parameter checks); every one optional.
MethodParams = create_model(
    "MethodParams", __base__=Strict, __doc__="normalisation.params: method name → its parameters.",
    **{name: (methods.CATALOGUE[name].model | None, None) for name in swappable_methods()})


def _errors(field: str, errors: list[dict[str, Any]]) -> ValidationError:
    return ValidationError.from_exception_data(field, errors)


# --------------------------------------------------------------------------- the file


class WeightsSection(Strict):
    level: Annotated[str, Field(min_length=1)]  # a level of the index, checked when the index is known
    range: OpenUnit  # points × U(1 − range, 1 + range)
    levels: dict[str, LevelNoise] = Field(default_factory=dict)  # the other levels: a range or 'fixed'
    rescale: Literal["total", "parent"] = "total"

    @field_validator("levels")
    @classmethod
    def _not_the_level(cls, levels: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        level = info.data.get("level")
        if level is not None and level in levels:
            raise _errors("levels", [{"type": PydanticCustomError(
                "level_twice", "{level} is weights.level (its range is weights.range); do not list it here",
                {"level": level}), "loc": (level,), "input": levels[level]}])
        return levels


class NormalisationSection(Strict):
    methods: Annotated[list[Swappable], Field(min_length=1), AfterValidator(_unique)]
    metrics: Any = "auto"  # 'auto' or a list of metric codes
    # metric code → the methods it may take (each in `methods`); a metric not listed takes any of `methods`
    alternatives: dict[str, Annotated[list[Swappable], Field(min_length=1), AfterValidator(_unique)]] = Field(
        default_factory=dict)
    constant: Literal["keep", "rescore"] = "keep"  # a metric whose values are all equal that month
    switch: Literal["each", "together"] = "each"  # each metric draws its method, or one draw for all (COINr)
    params: MethodParams = MethodParams()  # type: ignore[valid-type]

    @field_validator("metrics")
    @classmethod
    def _auto_or_codes(cls, value: Any) -> Any:
        if value == "auto" or (isinstance(value, list) and all(isinstance(c, str) for c in value)):
            return _unique(value) if isinstance(value, list) else value
        raise PydanticCustomError("auto_or_codes", "must be 'auto' or a list of metric codes", {})

    @field_validator("alternatives")
    @classmethod
    def _among_methods(cls, alternatives: dict[str, list[str]], info: ValidationInfo) -> dict[str, list[str]]:
        listed = info.data.get("methods")
        if listed is None:
            return alternatives
        errors = [{"type": PydanticCustomError("not_in_methods", "{method} is not in normalisation.methods",
                                               {"method": name}), "loc": (code, i), "input": name}
                  for code, names in alternatives.items() for i, name in enumerate(names) if name not in listed]
        if errors:
            raise _errors("alternatives", errors)
        return alternatives

    @field_validator("params")
    @classmethod
    def _params_of_listed_methods(cls, params: Strict, info: ValidationInfo) -> Strict:
        listed = info.data.get("methods")
        extra = sorted(params.model_fields_set - set(listed)) if listed is not None else []
        if extra:
            raise _errors("params", [
                {"type": PydanticCustomError("params_without_method", "{method} is not in normalisation.methods, "
                                             "so it takes no parameters here", {"method": name}),
                 "loc": (name,), "input": _given(getattr(params, name))} for name in extra])
        return params


class AggregationSection(Strict):
    methods: Annotated[list[Aggregation], Field(min_length=1), AfterValidator(_unique)]
    epsilon: OpenUnit  # ε of the geometric mean


class PassLineSection(Strict):
    range: Annotated[Any, AfterValidator(_pass_range)] = FIXED  # 'fixed' or [low, high] in points


class FamilyEntry(Strict):
    code: Code
    label: Text  # the Chinese name in reports
    vary: Factors


class StatisticsSection(Strict):
    quantile_method: QuantileMethod = "linear"  # numpy.quantile method (linear = R type 7)


class ReadingSection(Strict):
    inputs: Annotated[list[Factor], AfterValidator(_unique)] = Field(default_factory=lambda: list(FACTORS))  # []: off
    pass_band: Annotated[Any, AfterValidator(_share_band)] = Field(default_factory=lambda: [0.05, 0.95])
    rank_places: Annotated[int, Field(ge=1)] = 1


class BootstrapSection(Strict):
    resamples: Annotated[int, Field(ge=0)]  # 0 = no confidence intervals
    confidence: OpenUnit


class SobolSection(Strict):
    level: Annotated[str, Field(min_length=1)]
    inputs: Factors = Field(default_factory=lambda: ["weights"])
    group_weights: bool = False  # all weights one factor (COINr: a weight set is one input) instead of one per node
    n: Annotated[int, Field(ge=SOBOL_MIN_N), AfterValidator(_power_of_two)]
    output: SobolOutput
    bootstrap: BootstrapSection


def _fixed_pass_line(info: ValidationInfo) -> bool:
    section = info.data.get("pass_line")
    return section is not None and section.range == FIXED


def _pass_line_fixed() -> PydanticCustomError:
    return PydanticCustomError("pass_line_fixed", "pass_line.range is 'fixed': give a range [low, high] "
                               "there to vary the pass line", {})


class SettingsFile(Strict):
    """params/sensitivity.yaml (docs/sensitivity.md explains every key)."""

    seed: Annotated[int, Field(ge=0)]
    draws: Annotated[int, Field(ge=1)]  # per family
    sampling: Literal["latin_hypercube", "random"] = "latin_hypercube"
    weights: WeightsSection
    normalisation: NormalisationSection
    aggregation: AggregationSection
    pass_line: PassLineSection = PassLineSection()
    families: Annotated[list[FamilyEntry], Field(min_length=1)]
    summary_family: str
    statistics: StatisticsSection = StatisticsSection()
    reading: ReadingSection = ReadingSection()
    sobol: SobolSection
    labels: dict[str, dict[str, str]] = Field(default_factory=dict)

    @field_validator("families")
    @classmethod
    def _unique_codes(cls, families: list[FamilyEntry], info: ValidationInfo) -> list[FamilyEntry]:
        first: dict[str, int] = {}
        errors = []
        for i, fam in enumerate(families):
            if fam.code in first:
                rule = PydanticCustomError("duplicate_code", "duplicate code {code} (first used at {first})",
                                           {"code": fam.code, "first": f"families[{first[fam.code]}]"})
                errors.append({"type": rule, "loc": (i, "code"), "input": fam.code})
            first.setdefault(fam.code, i)
            if "pass_line" in fam.vary and _fixed_pass_line(info):
                errors.append({"type": _pass_line_fixed(), "loc": (i, "vary", fam.vary.index("pass_line")),
                               "input": "pass_line"})
        if errors:
            raise _errors("families", errors)
        return families

    @field_validator("summary_family")
    @classmethod
    def _among_families(cls, code: str, info: ValidationInfo) -> str:
        families = info.data.get("families")
        if families is not None and code not in [f.code for f in families]:
            raise PydanticCustomError("unknown_family", "is not one of the families: {codes}",
                                      {"codes": ", ".join(f.code for f in families)})
        return code

    @field_validator("sobol")
    @classmethod
    def _sobol_pass_line(cls, sobol: SobolSection, info: ValidationInfo) -> SobolSection:
        if "pass_line" in sobol.inputs and _fixed_pass_line(info):
            raise _errors("sobol", [{"type": _pass_line_fixed(), "loc": ("inputs", sobol.inputs.index("pass_line")),
                                     "input": "pass_line"}])
        return sobol


__all__ = ["AGGREGATIONS", "CONSTANT_RULES", "FACTORS", "FIXED", "QUANTILE_METHODS", "RESCALES", "SAMPLINGS",
           "SOBOL_OUTPUTS", "SettingsFile", "swappable_methods"]
