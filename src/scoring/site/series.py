"""The history table arranged for the pages: 达标 units per month, the years that can be compared, the
month axis of the charts, and which optional pages (annual review, year comparison) exist.

The one count here — 达标 units in a month — is the number of the month's `pass` rows of the history
table (the month's own `city.n_pass` where it is published: tests/test_site.py checks they agree).
"""

from __future__ import annotations

import pandas as pd

from scoring.site import layout as lay
from scoring.site.collect import SiteData
from scoring.site.settings import SiteText


def pass_counts(history: pd.DataFrame) -> pd.DataFrame:
    """month, n_pass (rows with pass), n_units (rows) per month of a history table, oldest first."""
    if history.empty:
        return pd.DataFrame(columns=["month", "n_pass", "n_units"])
    grouped = history.groupby("month", sort=True)
    return pd.DataFrame({"n_pass": grouped["pass"].sum().astype(int),
                         "n_units": grouped["unit"].count().astype(int)}).reset_index()


def month_axis(text: SiteText, months: list[str]) -> tuple[list[str], list[str]]:
    """The charts' month labels ("12月") and group labels (the year, "2019年")."""
    ticks = [text.month_short.format(month=int(m[5:])) for m in months]
    return ticks, [text.year_text(int(m[:4])) for m in months]


def compare_years(data: SiteData) -> list[int]:
    """The years Y of the history whose year Y−1 has a month of the same number (oldest first)."""
    months = set(data.history_months())
    years = sorted({int(m[:4]) for m in months})
    return [y for y in years if any(f"{y - 1}{m[4:]}" in months for m in months if m.startswith(f"{y}-"))]


def extra_nav(data: SiteData, text: SiteText) -> list[tuple[str, str]]:
    """The navigation beyond home and the index: the latest annual review and year comparison."""
    nav = [(text.nav.reviews, lay.review_page(data.years[-1].year))] if data.years else []
    years = compare_years(data)
    return nav + ([(text.nav.compare, lay.compare_page(years[-1]))] if years else [])
