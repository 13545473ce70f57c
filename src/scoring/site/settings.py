"""The site's texts: params/site.yaml as a typed model (pydantic, `scoring.config.Strict`).

Every Chinese word of the archive site is in that file; a template's braces must pair up and each
placeholder must be a name (e.g. {month_label}). `load_site_text(path)` reads and validates it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from scoring.config import Strict, Text, load
from scoring.report.text import Template as _Template  # a text whose {placeholders} are names

SITE_TEXT_FILE = "site.yaml"




class _Nav(Strict):
    home: Text
    browse: Text
    months: Text
    units: Text
    reviews: Text
    compare: Text


class _Formats(Strict):
    html: Text
    pdf: Text
    docx: Text
    xlsx: Text


class _Reports(Strict):
    bulletin: Text
    sensitivity: Text
    unit: Text
    workbook: Text
    month_index: Text
    review: Text


class _Columns(Strict):
    month: Text
    year: Text
    rank: Text
    unit: Text
    total: Text
    pass_: Text = Field(alias="pass")
    n_pass: Text
    n_units: Text
    mean_total: Text
    reports: Text
    platform: Text
    onsite: Text
    offsite: Text
    combined: Text
    passed: Text
    reason: Text
    status: Text
    valid_until: Text


class _Values(Strict):
    pass_: Text = Field(alias="pass")
    fail: Text
    accepted: Text
    rejected: Text
    none: Text
    status: dict[str, Text]


class _Home(Strict):
    latest: _Template
    latest_figures: _Template
    pass_chart: Text
    months: Text
    units: Text
    reviews: Text
    compare: Text
    empty: Text


class _MonthText(Strict):
    title: _Template
    reports: Text
    ranking: Text
    figures: _Template
    previous: Text
    next: Text
    no_reports: Text


class _UnitText(Strict):
    title: _Template
    chart: Text
    chart_pass_line: _Template
    history: Text
    basis: _Template
    reports: Text
    no_reports: Text
    titles: Text
    no_titles: Text
    reviews: Text


class _ReviewText(Strict):
    title: _Template
    reports: Text
    results: Text
    titles: Text
    months: Text


class _CompareText(Strict):
    title: _Template
    pass_counts: Text
    units: _Template
    note: Text
    total_of: _Template
    rank_of: _Template
    pass_of: _Template


class _BrowseText(Strict):
    title: Text
    by_unit: Text
    by_month: Text
    skipped: Text


class SiteText(Strict):
    """params/site.yaml: the site's title, labels, link texts and per-page texts."""

    title: Text
    month_label: _Template
    month_short: _Template
    year_label: _Template
    synthetic: Text
    labelled: _Template  # {label} {content}
    nav: _Nav
    formats: _Formats
    reports: _Reports
    columns: _Columns
    values: _Values
    home: _Home
    month: _MonthText
    unit: _UnitText
    review: _ReviewText
    compare: _CompareText
    browse: _BrowseText
    footer: Text

    def month_text(self, month: str) -> str:
        """"2019-12" → month_label filled ("2019年12月")."""
        year, mon = month.split("-")
        return self.month_label.format(year=int(year), month=int(mon))

    def year_text(self, year: int) -> str:
        return self.year_label.format(year=year)


def load_site_text(path: str | Path) -> SiteText:
    """Read and validate params/site.yaml; SpecError listing every problem (file: key.path: rule)."""
    model, _sha = load(SiteText, path, "site texts")
    return model
