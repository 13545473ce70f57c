"""params/sensitivity.yaml, validated (schema.SettingsFile), as the flat settings the analyses read.

`SensitivitySettings` is frozen; `dataclasses.replace(settings, draws=…)` validates the
changed settings by the same rules (SpecError naming the file's key path). `to_data()` gives
the settings back in the shape of the file, so a run can record exactly what it used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scoring.analysis.sensitivity.schema import FACTORS, FIXED, SettingsFile
from scoring.config import read_yaml, validate

SETTINGS_SOURCE = "<sensitivity settings>"


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
    sampling: str = "latin_hypercube"
    weight_levels: tuple[tuple[str, float | None], ...] = ()  # the other levels: (level, range or None = fixed)
    rescale: str = "total"
    alternatives: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (metric code, the methods it may take)
    constant: str = "keep"
    switch: str = "each"
    pass_line_range: tuple[float, float] | None = None  # None = the index's pass line in every draw
    quantile_method: str = "linear"
    reading_inputs: tuple[str, ...] = FACTORS
    pass_band: tuple[float, float] = (0.05, 0.95)
    rank_places: int = 1
    sobol_inputs: tuple[str, ...] = ("weights",)
    group_weights: bool = False
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

    @property
    def noise(self) -> dict[str, float]:
        """Level → range of every level whose weights the Monte Carlo perturbs (weights.level first)."""
        return {self.weight_level: self.weight_range,
                **{level: r for level, r in self.weight_levels if r is not None}}

    def method_choices(self, code: str) -> tuple[str, ...]:
        """The methods metric `code` may take when its normalisation varies."""
        return dict(self.alternatives).get(code, self.swap_methods)

    def to_data(self) -> dict[str, Any]:
        """The settings in the shape of params/sensitivity.yaml."""
        return {
            "seed": self.seed, "draws": self.draws, "sampling": self.sampling,
            "weights": {"level": self.weight_level, "range": self.weight_range,
                        "levels": {level: FIXED if r is None else r for level, r in self.weight_levels},
                        "rescale": self.rescale},
            "normalisation": {"methods": list(self.swap_methods),
                              "metrics": "auto" if self.swap_metrics is None else list(self.swap_metrics),
                              "alternatives": {code: list(names) for code, names in self.alternatives},
                              "constant": self.constant, "switch": self.switch,
                              "params": {k: dict(v) for k, v in self.method_params.items()}},
            "aggregation": {"methods": list(self.aggregations), "epsilon": self.epsilon},
            "pass_line": {"range": FIXED if self.pass_line_range is None else list(self.pass_line_range)},
            "families": [{"code": f.code, "label": f.label, "vary": list(f.vary)} for f in self.families],
            "summary_family": self.summary_family,
            "statistics": {"quantile_method": self.quantile_method},
            "reading": {"inputs": list(self.reading_inputs), "pass_band": list(self.pass_band),
                        "rank_places": self.rank_places},
            "sobol": {"level": self.sobol_level, "inputs": list(self.sobol_inputs),
                      "group_weights": self.group_weights, "n": self.sobol_n,
                      "output": self.sobol_output,
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
    norm, w = f.normalisation, f.weights
    params = {name: getattr(norm.params, name) for name in norm.methods}
    pass_range = None if f.pass_line.range == FIXED else tuple(float(v) for v in f.pass_line.range)
    return SensitivitySettings(
        seed=f.seed, draws=f.draws, weight_level=w.level, weight_range=w.range,
        swap_methods=tuple(norm.methods),
        swap_metrics=None if norm.metrics == "auto" else tuple(norm.metrics),
        method_params={k: p.model_dump(exclude_unset=True) if p is not None else {} for k, p in params.items()},
        aggregations=tuple(f.aggregation.methods), epsilon=f.aggregation.epsilon,
        families=tuple(Family(e.code, e.label, tuple(e.vary)) for e in f.families),
        summary_family=f.summary_family, sobol_level=f.sobol.level, sobol_n=f.sobol.n,
        sobol_output=f.sobol.output, bootstrap_resamples=f.sobol.bootstrap.resamples,
        confidence=f.sobol.bootstrap.confidence, sampling=f.sampling,
        weight_levels=tuple((level, None if r == FIXED else float(r)) for level, r in w.levels.items()),
        rescale=w.rescale, alternatives=tuple((code, tuple(names)) for code, names in norm.alternatives.items()),
        constant=norm.constant, switch=norm.switch, pass_line_range=pass_range,  # type: ignore[arg-type]
        quantile_method=f.statistics.quantile_method, reading_inputs=tuple(f.reading.inputs),
        pass_band=tuple(f.reading.pass_band), rank_places=f.reading.rank_places,  # type: ignore[arg-type]
        sobol_inputs=tuple(f.sobol.inputs), group_weights=f.sobol.group_weights,
        labels={k: dict(v) for k, v in f.labels.items()}, path=source,
    )


__all__ = ["Family", "SensitivitySettings", "load_settings", "parse_settings"]
