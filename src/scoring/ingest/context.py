"""What the checks of a month (or a year) need, and the lines they report.

`Context` knows the calendar, the units and the index, and keeps every rule the checks
register: a pandera check's `error` is the id of its `Rule`, by which a failure is found
again and told to the user ("file: row R, column 'C' (表头): value V — rule"; `messages`
bounds the lines). Checks see whole columns: `each` computes a cell rule once per distinct
text (`columns.distinct_test`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pandera.pandas as pa

from scoring.index.spec import IndexSpec, Units
from scoring.ingest import cells
from scoring.ingest.columns import distinct_test
from scoring.ingest.messages import DataProblem, show, sorted_lines
from scoring.ingest.windows import Calendar

__all__ = ["Context", "DataProblem", "Describe", "Rule", "show", "sorted_lines"]

Describe = Callable[[Any, dict[str, Any]], str]  # (value, row as dict) → the rule as told to the user


@dataclass
class Rule:
    """What a check means to a user; `column` is the column its message names (None: the table)."""

    column: str | None
    describe: Describe


@dataclass
class Context:
    """What the checks need to know (the month or year, the units, the index) and the rules they registered."""

    window: Calendar
    units: Units
    spec: IndexSpec
    rules: dict[str, Rule] = field(default_factory=dict)
    _reviewed: dict[str, str] | None = field(default=None, repr=False)
    _units: dict[str, str] | None = field(default=None, repr=False)
    _unit_of_text: dict[str, str | None] = field(default_factory=dict, repr=False)  # a text → its code

    def unit_code(self, text: Any) -> str | None:
        """The unit code for a unit's Chinese name or code; None when unknown. A text's code is
        remembered: the checks, keys and types of every source ask again for the same texts."""
        if text is None:
            return None
        if type(text) is str and text in self._unit_of_text:
            return self._unit_of_text[text]
        if self._units is None:  # normalised name or code → code, built once
            self._units = {code: code for code in self.units.codes}
            self._units.update({cells.normalise(u.name): u.code for u in self.units.units})
        code = self._units.get(cells.normalise(text))
        if type(text) is str:
            self._unit_of_text[text] = code
        return code

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
        """A pandera check whose failures are told as `describe` (text, or a function of value and row).
        A check of whole columns or frames (not `element_wise`) passes empty cells itself."""
        text = describe
        rule = Rule(column, describe if callable(describe) else (lambda _v, _r: text))
        return pa.Check(func, element_wise=element_wise, error=self.register(rule), ignore_na=element_wise)

    def each(self, column: str, pred: Callable[[Any], bool], describe: Describe | str) -> pa.Check:
        """A check of each cell of one column, computed once per distinct text. Empty cells pass (required
        cells are checked apart), and so do cells holding an invisible character (told by their own check)."""
        def test(values: pd.Series) -> pd.Series:
            return distinct_test(values, lambda v: (isinstance(v, str) and cells.INVISIBLE.search(v) is not None)
                                 or bool(pred(v)))

        return self.check(test, column, describe)
