"""What the checks of a month (or a year) need, and the lines they report.

`Context` knows the calendar, the units and the index, and keeps every rule the checks
register: a pandera check's `error` is the id of its `Rule`, by which a failure is found
again and told to the user ("file: row R, column 'C' (表头): value V — rule").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandera.pandas as pa

from scoring.index.spec import IndexSpec, Units
from scoring.ingest import cells
from scoring.ingest.windows import Calendar

Describe = Callable[[Any, dict[str, Any]], str]  # (value, row as dict) → the rule as told to the user


@dataclass
class Rule:
    """What a check means to a user; `column` is the column its message names (None: the table)."""

    column: str | None
    describe: Describe


@dataclass
class DataProblem:
    """One line of a refusal; `where`, `row` and `order` (column position) sort the lines."""

    where: str
    row: int  # 0: about the whole file or folder
    order: int
    text: str


def show(value: Any) -> str:
    """A cell value as a message shows it."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "(empty)"
    return repr(value)


def sorted_lines(problems: list[DataProblem]) -> list[str]:
    """File-level problems first in the order found, then by file, row and column; no repeats."""
    first = [p for p in problems if p.row == 0]
    rest = sorted((p for p in problems if p.row != 0), key=lambda p: (p.where, p.row, p.order, p.text))
    return list(dict.fromkeys(p.text for p in [*first, *rest]))


@dataclass
class Context:
    """What the checks need to know (the month or year, the units, the index) and the rules they registered."""

    window: Calendar
    units: Units
    spec: IndexSpec
    rules: dict[str, Rule] = field(default_factory=dict)
    _reviewed: dict[str, str] | None = field(default=None, repr=False)

    def unit_code(self, text: Any) -> str | None:
        """The unit code for a unit's Chinese name or code; None when unknown."""
        if text is None:
            return None
        t = cells.normalise(text)
        by_name = {cells.normalise(u.name): u.code for u in self.units.units}
        return by_name.get(t) or (t if t in self.units.codes else None)

    def review_metrics(self) -> dict[str, str]:
        """Header-like key (code, short or name) → code, for the metrics scored by reviewers."""
        if self._reviewed is None:
            self._reviewed = {}
            for m in self.spec.metrics():
                if m.source == "review":
                    for text in (m.code, m.short, m.name):
                        for key in cells.header_keys(text):
                            self._reviewed.setdefault(key, m.code)
        return self._reviewed

    def metric_code(self, text: Any) -> str | None:
        """The code of a reviewed metric named by its code, short or full name; None when unknown."""
        if text is None:
            return None
        reviewed = self.review_metrics()
        return next((reviewed[k] for k in cells.header_keys(text) if k in reviewed), None)

    def register(self, rule: Rule) -> str:
        """Keep `rule`; its id is the pandera check's `error` text, by which failures are found again."""
        rid = f"rule-{len(self.rules) + 1:03d}"
        self.rules[rid] = rule
        return rid

    def check(self, func: Callable[..., Any], column: str | None, describe: Describe | str,
              element_wise: bool = False) -> pa.Check:
        """A pandera check whose failures are told as `describe` (text, or a function of value and row)."""
        text = describe
        rule = Rule(column, describe if callable(describe) else (lambda _v, _r: text))
        return pa.Check(func, element_wise=element_wise, error=self.register(rule), ignore_na=True)

    def each(self, column: str, pred: Callable[[Any], bool], describe: Describe | str) -> pa.Check:
        """An element-wise check of one column's cells (empty cells pass: required cells are checked apart)."""
        return self.check(lambda v: v is None or bool(pred(v)), column, describe, element_wise=True)
