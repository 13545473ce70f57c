"""params/sensitivity.yaml as a typed model: what the Monte Carlo, Sobol and remove-one analyses vary.

The file is validated by `SettingsFile` (pydantic, `scoring.config.Strict`): a wrong file
gives one line per problem, "file: key.path: rule — value", the rule in Chinese from
params/labels.yaml (`validation:`). Cross-field rules raise `PydanticCustomError` with
their own rule ids (duplicate_names, not_swappable, params_without_method, auto_or_codes,
unknown_family, power_of_two; code_format, blank and duplicate_code as in the index); a method's
parameters are checked by its own catalogue model (scoring.index.methods);
a rule comparing two fields is checked once both are valid themselves.

The rest of the package reads the flat, frozen `SensitivitySettings` built from it;
`dataclasses.replace(settings, draws=…)` validates the changed settings the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError, ValidationInfo, create_model, field_validator
from pydantic_core import PydanticCustomError

from scoring.config import Code, Strict, Text, read_yaml, validate
from scoring.index import methods

FACTORS = ("weights", "normalisation", "aggregation")
AGGREGATIONS = ("arithmetic", "geometric")
SOBOL_OUTPUTS = ("rank", "total")
SOBOL_MIN_N = 16  # smallest Sobol' base sample accepted (a power of 2)
SETTINGS_SOURCE = "<sensitivity settings>"

Factor = Literal["weights", "normalisation", "aggregation"]
Aggregation = Literal["arithmetic", "geometric"]
SobolOutput = Literal["rank", "total"]


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


OpenUnit = Annotated[float, Field(gt=0, lt=1)]  # a number strictly between 0 and 1


# Parameters per normalisation alternative, each validated by its catalogue model
# (methods.CATALOGUE[name].model: ranges and cross-parameter checks); every one optional.
MethodParams = create_model(
    "MethodParams", __base__=Strict, __doc__="normalisation.params: method name → its parameters.",
    **{name: (methods.CATALOGUE[name].model | None, None) for name in swappable_methods()})


# --------------------------------------------------------------------------- the file


class WeightsSection(Strict):
    level: Annotated[str, Field(min_length=1)]  # a level of the index, checked when the index is known
    range: OpenUnit  # points × U(1 − range, 1 + range)


class NormalisationSection(Strict):
    methods: Annotated[list[Annotated[str, AfterValidator(_swappable)]], Field(min_length=1),
                       AfterValidator(_unique)]
    metrics: Any = "auto"  # 'auto' or a list of metric codes
    params: MethodParams = MethodParams()  # type: ignore[valid-type]

    @field_validator("metrics")
    @classmethod
    def _auto_or_codes(cls, value: Any) -> Any:
        if value == "auto" or (isinstance(value, list) and all(isinstance(c, str) for c in value)):
            return _unique(value) if isinstance(value, list) else value
        raise PydanticCustomError("auto_or_codes", "must be 'auto' or a list of metric codes", {})

    @field_validator("params")
    @classmethod
    def _params_of_listed_methods(cls, params: Strict, info: ValidationInfo) -> Strict:
        listed = info.data.get("methods")
        extra = sorted(params.model_fields_set - set(listed)) if listed is not None else []
        if extra:
            raise ValidationError.from_exception_data("params", [
                {"type": PydanticCustomError("params_without_method", "{method} is not in normalisation.methods, "
                                             "so it takes no parameters here", {"method": name}),
                 "loc": (name,), "input": _given(getattr(params, name))} for name in extra])
        return params


class AggregationSection(Strict):
    methods: Annotated[list[Aggregation], Field(min_length=1), AfterValidator(_unique)]
    epsilon: OpenUnit  # ε of the geometric mean


class FamilyEntry(Strict):
    code: Code
    label: Text  # the Chinese name in reports
    vary: Annotated[list[Factor], Field(min_length=1), AfterValidator(_unique)]


class BootstrapSection(Strict):
    resamples: Annotated[int, Field(ge=0)]  # 0 = no confidence intervals
    confidence: OpenUnit


class SobolSection(Strict):
    level: Annotated[str, Field(min_length=1)]
    n: Annotated[int, Field(ge=SOBOL_MIN_N), AfterValidator(_power_of_two)]
    output: SobolOutput
    bootstrap: BootstrapSection


class SettingsFile(Strict):
    """params/sensitivity.yaml (docs/sensitivity.md explains every key)."""

    seed: Annotated[int, Field(ge=0)]
    draws: Annotated[int, Field(ge=1)]  # per family
    weights: WeightsSection
    normalisation: NormalisationSection
    aggregation: AggregationSection
    families: Annotated[list[FamilyEntry], Field(min_length=1)]
    summary_family: str
    sobol: SobolSection
    labels: dict[str, dict[str, str]] = Field(default_factory=dict)

    @field_validator("families")
    @classmethod
    def _unique_codes(cls, families: list[FamilyEntry]) -> list[FamilyEntry]:
        first: dict[str, int] = {}
        twice = []
        for i, fam in enumerate(families):
            if fam.code in first:
                rule = PydanticCustomError("duplicate_code", "duplicate code {code} (first used at {first})",
                                           {"code": fam.code, "first": f"families[{first[fam.code]}]"})
                twice.append({"type": rule, "loc": (i, "code"), "input": fam.code})
            first.setdefault(fam.code, i)
        if twice:
            raise ValidationError.from_exception_data("families", twice)
        return families

    @field_validator("summary_family")
    @classmethod
    def _among_families(cls, code: str, info: ValidationInfo) -> str:
        families = info.data.get("families")
        if families is not None and code not in [f.code for f in families]:
            raise PydanticCustomError("unknown_family", "is not one of the families: {codes}",
                                      {"codes": ", ".join(f.code for f in families)})
        return code


# --------------------------------------------------------------------------- what the analyses read


@dataclass(frozen=True)
class Family:
    """A scenario family: the choices that vary together in its draws."""

    code: str
    label: str
    vary: tuple[str, ...]


@dataclass(frozen=True)
class SensitivitySettings:
    """params/sensitivity.yaml, validated, flat. `dataclasses.replace(settings, draws=…)` changes
    a field; the result is validated again (SpecError naming the file's key path)."""

    seed: int
    draws: int  # per family
    weight_level: str
    weight_range: float  # r: points × U(1 − r, 1 + r)
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

    def __post_init__(self) -> None:
        validate(SettingsFile, self.to_data(), self.path or SETTINGS_SOURCE, "sensitivity settings")

    def family(self, code: str) -> Family:
        """The family with `code` (KeyError when there is none)."""
        for fam in self.families:
            if fam.code == code:
                return fam
        raise KeyError(code)

    def to_data(self) -> dict[str, Any]:
        """The settings in the shape of params/sensitivity.yaml."""
        return {
            "seed": self.seed, "draws": self.draws,
            "weights": {"level": self.weight_level, "range": self.weight_range},
            "normalisation": {"methods": list(self.swap_methods),
                              "metrics": "auto" if self.swap_metrics is None else list(self.swap_metrics),
                              "params": {k: dict(v) for k, v in self.method_params.items()}},
            "aggregation": {"methods": list(self.aggregations), "epsilon": self.epsilon},
            "families": [{"code": f.code, "label": f.label, "vary": list(f.vary)} for f in self.families],
            "summary_family": self.summary_family,
            "sobol": {"level": self.sobol_level, "n": self.sobol_n, "output": self.sobol_output,
                      "bootstrap": {"resamples": self.bootstrap_resamples, "confidence": self.confidence}},
            "labels": {k: dict(v) for k, v in self.labels.items()},
        }


def load_settings(path: str | Path) -> SensitivitySettings:
    """Read params/sensitivity.yaml; SpecError listing every problem (file: key.path: rule — value)."""
    data, _sha = read_yaml(path)
    return parse_settings(data, source=str(path))


def parse_settings(data: Any, source: str = SETTINGS_SOURCE) -> SensitivitySettings:
    """:class:`SensitivitySettings` from a parsed mapping; SpecError listing every problem."""
    f = validate(SettingsFile, data, source, "sensitivity settings")
    norm = f.normalisation
    params = {name: getattr(norm.params, name) for name in norm.methods}
    return SensitivitySettings(
        seed=f.seed, draws=f.draws, weight_level=f.weights.level, weight_range=f.weights.range,
        swap_methods=tuple(norm.methods),
        swap_metrics=None if norm.metrics == "auto" else tuple(norm.metrics),
        method_params={k: p.model_dump(exclude_unset=True) if p is not None else {} for k, p in params.items()},
        aggregations=tuple(f.aggregation.methods), epsilon=f.aggregation.epsilon,
        families=tuple(Family(e.code, e.label, tuple(e.vary)) for e in f.families),
        summary_family=f.summary_family, sobol_level=f.sobol.level, sobol_n=f.sobol.n,
        sobol_output=f.sobol.output, bootstrap_resamples=f.sobol.bootstrap.resamples,
        confidence=f.sobol.bootstrap.confidence, labels={k: dict(v) for k, v in f.labels.items()}, path=source,
    )


__all__ = ["AGGREGATIONS", "FACTORS", "SOBOL_OUTPUTS", "Family", "SensitivitySettings", "SettingsFile",
           "load_settings", "parse_settings", "swappable_methods"]
