"""The annual acceptance rules: params/review.yaml, checked (docs/review.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scoring.config import read_yaml
from scoring.errors import SpecError
from scoring.index.spec import IndexSpec

PLATFORM_FIGURES = ("december", "creation_mean")


@dataclass(frozen=True)
class ReviewRules:
    platform_figure: str
    creation_months: tuple[int, ...]
    acceptance_month: int
    weights: dict[str, float]
    pass_line: float
    title_valid_years: int
    vetoes: tuple[dict[str, Any], ...]
    sha256: str = ""


def load_rules(path: str | Path, spec: IndexSpec | None = None) -> ReviewRules:
    """Read params/review.yaml; refuse it (every problem listed) when it is wrong."""
    path = Path(path)
    data, sha256 = read_yaml(path)
    problems = []
    figure = data.get("platform_figure")
    if figure not in PLATFORM_FIGURES:
        problems.append(f"{path}: platform_figure {figure!r} must be one of {PLATFORM_FIGURES}")
    months = data.get("creation_months") or []
    if not isinstance(months, list) or not months or not all(
            isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= 12 for m in months):
        problems.append(f"{path}: creation_months {months!r} must be month numbers 1–12")
    acceptance = data.get("acceptance_month")
    if not isinstance(acceptance, int) or not 1 <= acceptance <= 12:
        problems.append(f"{path}: acceptance_month {acceptance!r} must be a month number 1–12")
    weights = data.get("weights") or {}
    if not isinstance(weights, dict) or set(weights) != {"platform", "onsite", "offsite"}:
        problems.append(f"{path}: weights must give platform, onsite and offsite, got {sorted(weights)}")
    elif any(not isinstance(v, int | float) or v < 0 for v in weights.values()):
        problems.append(f"{path}: weights {weights} must be numbers ≥ 0")
    elif abs(sum(weights.values()) - 1) > 1e-9:
        problems.append(f"{path}: weights {weights} must add up to 1, not {sum(weights.values()):g}")
    line = data.get("pass_line")
    if isinstance(line, bool) or not isinstance(line, int | float) or not 0 <= line <= 100:
        problems.append(f"{path}: pass_line {line!r} must be a number in [0, 100]")
    valid = data.get("title_valid_years", 1)
    if not isinstance(valid, int) or valid < 1:
        problems.append(f"{path}: title_valid_years {valid!r} must be a whole number ≥ 1")
    vetoes = data.get("vetoes") or []
    known = {m.code for m in spec.metrics()} if spec else None
    for i, veto in enumerate(vetoes, start=1):
        if not isinstance(veto, dict) or not {"metric", "max_value", "reason"} <= set(veto):
            problems.append(f"{path}: veto #{i} needs metric, max_value and reason")
        elif isinstance(veto["max_value"], bool) or not isinstance(veto["max_value"], int | float):
            problems.append(f"{path}: veto #{i}: max_value {veto['max_value']!r} must be a number")
        elif known is not None and veto["metric"] not in known:
            problems.append(f"{path}: veto #{i}: metric {veto['metric']!r} is not in the index")
    if problems:
        raise SpecError(f"{path}: review rules are not valid", problems=problems)
    return ReviewRules(figure, tuple(months), acceptance, {k: float(v) for k, v in weights.items()},
                       float(line), int(valid), tuple(vetoes), sha256)
