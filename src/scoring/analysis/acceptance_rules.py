"""The annual acceptance rules: params/review.yaml as a typed model (docs/review.md).

`ReviewFile` validates the file (pydantic, `scoring.config.Strict`): one line per problem,
"file: key.path: rule — value", the rule in Chinese from params/labels.yaml (`validation:`).
Cross-field rules: the three weights add up to 1 (`weights_sum`); with the index given, a
veto names one of its metrics (`unknown_metric`). The rest of the code reads the frozen
`ReviewRules` built from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from scoring.config import MonthNumber, Strict, read_yaml, validate
from scoring.index.spec import IndexSpec

PLATFORM_FIGURES = ("december", "creation_mean")
WEIGHT_TOLERANCE = 1e-9  # |Σ weights − 1| allowed

Weight = Annotated[float, Field(ge=0, allow_inf_nan=False)]


def _not_blank(text: str) -> str:
    if not text.strip():
        raise PydanticCustomError("blank", "must not be blank")
    return text


class ReviewWeights(Strict):
    """combined = platform × total / T × 100 + onsite × onsite score + offsite × offsite score."""

    platform: Weight
    onsite: Weight
    offsite: Weight

    @model_validator(mode="after")
    def _add_up_to_one(self) -> ReviewWeights:
        total = self.platform + self.onsite + self.offsite
        if abs(total - 1) > WEIGHT_TOLERANCE:
            raise PydanticCustomError("weights_sum", "must add up to 1, not {total}", {"total": f"{total:g}"})
        return self


class Veto(Strict):
    """A metric whose raw value in the acceptance month above `max_value` blocks the title."""

    metric: str
    max_value: Annotated[float, Field(allow_inf_nan=False)]
    reason: Annotated[str, AfterValidator(_not_blank)]  # Chinese, printed in the report

    @field_validator("metric")
    @classmethod
    def _in_the_index(cls, code: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get("metrics")
        if known is not None and code not in known:
            raise PydanticCustomError("unknown_metric", "is not a metric of the index", {"metric": code})
        return code


class ReviewFile(Strict):
    """params/review.yaml. Validate with context={"metrics": <the index's metric codes>} to
    check the vetoes against the index (None: not checked)."""

    platform_figure: Literal["december", "creation_mean"]
    creation_months: Annotated[list[MonthNumber], Field(min_length=1)]
    acceptance_month: MonthNumber
    weights: ReviewWeights
    pass_line: Annotated[float, Field(ge=0, le=100)]  # combined score of 100
    title_valid_years: Annotated[int, Field(ge=1)] = 1
    vetoes: list[Veto] = Field(default_factory=list)


@dataclass(frozen=True)
class ReviewRules:
    """params/review.yaml, validated: what the acceptance reads."""

    platform_figure: str  # one of PLATFORM_FIGURES
    creation_months: tuple[int, ...]
    acceptance_month: int
    weights: dict[str, float]  # platform, onsite, offsite (Σ = 1)
    pass_line: float  # of 100
    title_valid_years: int
    vetoes: tuple[dict[str, Any], ...]  # {metric, max_value, reason}
    sha256: str = ""


def load_rules(path: str | Path, spec: IndexSpec | None = None) -> ReviewRules:
    """Read params/review.yaml; SpecError listing every problem (file: key.path: rule — value).
    With `spec`, every veto must name a metric of the index."""
    path = Path(path)
    data, sha256 = read_yaml(path)
    known = frozenset(m.code for m in spec.metrics()) if spec is not None else None
    rules = validate(ReviewFile, data, str(path), "the review rules file", context={"metrics": known})
    return ReviewRules(
        platform_figure=rules.platform_figure, creation_months=tuple(rules.creation_months),
        acceptance_month=rules.acceptance_month, weights=rules.weights.model_dump(),
        pass_line=rules.pass_line, title_valid_years=rules.title_valid_years,
        vetoes=tuple(v.model_dump() for v in rules.vetoes), sha256=sha256,
    )
