"""Calendars and date windows: which dates a date column accepts.

A month folder is checked against its month (`MonthWindow`), a year folder against its
year and the January after it (`YearWindow`). A date column of the contract names its
window (`window: in_month`); `DATE_WINDOWS` is the registry, one entry per name: the
calendar it needs, the dates it allows, and the rule as told to the user.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scoring.errors import SpecError
from scoring.ingest.derive import month_bounds


@dataclass(frozen=True)
class MonthWindow:
    """The calendar of the month being ingested."""

    month: str
    start: dt.date
    end: dt.date
    next_end: dt.date  # last day of the following month

    @classmethod
    def of(cls, month: str) -> MonthWindow:
        start, end = month_bounds(month)
        _next_start, next_end = month_bounds((end + dt.timedelta(days=1)).strftime("%Y-%m"))
        return cls(month, start, end, next_end)


@dataclass(frozen=True)
class YearWindow:
    """The calendar of a year folder (data/raw/YYYY/): the year and the January after it."""

    year: int
    start: dt.date  # 1 January
    end: dt.date  # 31 December
    january_end: dt.date  # 31 January of the following year

    @classmethod
    def of(cls, year: int) -> YearWindow:
        year = int(year)
        return cls(year, dt.date(year, 1, 1), dt.date(year, 12, 31), dt.date(year + 1, 1, 31))


Calendar = MonthWindow | YearWindow
Bounds = tuple[dt.date | None, dt.date | None]


@dataclass(frozen=True)
class DateWindow:
    """A named date window: the calendar it needs (`folder`), the dates it allows, and the rule."""

    name: str
    folder: type[MonthWindow] | type[YearWindow]
    bounds: Callable[[Any], Bounds]  # (the calendar of `folder`) → first and last allowed date, None: open
    rule: Callable[[Any], str]  # (the calendar) → the rule as told to the user

    def allowed(self, calendar: Calendar) -> Bounds:
        """The first and last allowed date (None: open) in `calendar`; SpecError for the wrong calendar."""
        if not isinstance(calendar, self.folder):
            raise SpecError(f"params/sources.yaml: window {self.name!r} is for a {self.folder_word} folder, "
                            f"not {calendar!r}")
        return self.bounds(calendar)

    @property
    def folder_word(self) -> str:
        return "year" if self.folder is YearWindow else "month"


DATE_WINDOWS: dict[str, DateWindow] = {w.name: w for w in (
    DateWindow("until_month_end", MonthWindow, lambda c: (None, c.end),
               lambda c: f"after the month's last day {c.end.isoformat()}: an entry after {c.month} belongs to a "
                         "later month's file"),
    DateWindow("in_month", MonthWindow, lambda c: (c.start, c.end),
               lambda c: f"outside {c.month} ({c.start.isoformat()} … {c.end.isoformat()}): only exits in {c.month} "
                         "are reported; an entity still listed at the month's end has this cell empty, one that left "
                         "earlier is not in this month's file"),
    DateWindow("in_month_or_next", MonthWindow, lambda c: (c.start, c.next_end),
               lambda c: f"outside {c.start.isoformat()} … {c.next_end.isoformat()} (the month {c.month} or the "
                         "month after)"),
    DateWindow("in_year_or_next_january", YearWindow, lambda c: (c.start, c.january_end),
               lambda c: f"outside {c.start.isoformat()} … {c.january_end.isoformat()} (the year {c.year} or "
                         f"January {c.year + 1}): scores of another year belong in that year's folder"),
)}
MONTH_WINDOWS = tuple(n for n, w in DATE_WINDOWS.items() if w.folder is MonthWindow)  # a month folder's sources
YEAR_WINDOWS = tuple(n for n, w in DATE_WINDOWS.items() if w.folder is YearWindow)  # a year folder's sources
