"""The catalogue of value generators: how the demo draws an indicator-sheet metric's value.

params/demo.yaml chooses a generator by name for each method of the index
(`value_generators`); a metric's own setting (`metrics:`) gives the generator its
parameters. A generator returns the figure the sheet gets; the column's type writes it
(`scoring.ingest.types`: 是/否 for a yes/no item, a whole number for a count, …).
Adding a generator is one entry in `GENERATORS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from scoring.index.spec import Metric
from scoring.ingest.contract import ColumnSpec
from scoring.ingest.types import column_type

if TYPE_CHECKING:
    from scoring.demo.settings import MetricSetting


@dataclass(frozen=True)
class Draw:
    """What a generator knows: the column and its metric, the metric's demo setting, the unit's
    quality this month (`q`) and that quality with noise (`z`, in [0, 1]), the unit's register."""

    rng: np.random.Generator
    col: ColumnSpec
    metric: Metric
    setting: MetricSetting
    q: float
    z: float
    register: Callable[[str], int]  # register column (legal_persons, …) → the unit's figure this month


def yes_no(d: Draw) -> bool:
    """Yes when the unit's quality this month is above the setting's `threshold` (0.4)."""
    return d.z > (0.4 if d.setting.threshold is None else d.setting.threshold)


def no_case(d: Draw) -> int:
    """0: no open case (the settings' `cases.open_cases` open some in weak units)."""
    return 0


def events(d: Draw) -> int:
    """Poisson(`events` × (1 − quality)) events (deductions), `events` 1.0 unless set."""
    return int(d.rng.poisson((1.0 if d.setting.events is None else d.setting.events) * (1 - d.q)))


def steps(d: Draw) -> float:
    """One of the setting's `values` (worst to best; else just below and at the first band's
    threshold), higher for a better unit: the band edges."""
    values = d.setting.values
    if values is None:
        top = float(d.metric.params["bands"][0][0])
        values = (top - 0.05, top - 0.02, top - 0.01, top)
    return values[min(len(values) - 1, int(d.z * len(values)))]


def value_range(d: Draw) -> float | int:
    """worst + (best − worst) × quality, [worst, best] from the setting (else the column type's);
    for a metric divided by the register (`per`), the count behind that rate."""
    worst, best = d.setting.range or column_type(d.col).demo_range
    v = worst + (best - worst) * d.z
    if d.metric.per:
        return round(v * d.register(d.metric.per["register"]) / float(d.metric.per["scale"]))
    return v


@dataclass(frozen=True)
class ValueGenerator:
    """A generator and the fields of a metric's demo setting it reads (any other is refused)."""

    draw: Callable[[Draw], Any]
    uses: frozenset[str]


GENERATORS: dict[str, ValueGenerator] = {
    "yes_no": ValueGenerator(yes_no, frozenset({"threshold"})),
    "no_case": ValueGenerator(no_case, frozenset()),
    "events": ValueGenerator(events, frozenset({"events"})),
    "steps": ValueGenerator(steps, frozenset({"values"})),
    "range": ValueGenerator(value_range, frozenset({"range"})),
}
