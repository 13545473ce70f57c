"""One page per unit (unit-<code>.html): its total per month as a line, rank, total, 达标 and the
categories of every scored month (the history table), its reports of each published month, its
annual review results and its titles history (the register, data/titles.csv)."""

from __future__ import annotations

import pandas as pd

from scoring.render.display.markup import html_escape
from scoring.site import layout as lay
from scoring.site.charts import line_chart
from scoring.site.collect import SiteData
from scoring.site.series import extra_nav, month_axis
from scoring.site.settings import SiteText


def unit_rows(data: SiteData, unit: str) -> pd.DataFrame:
    """The unit's rows of the history table, oldest month first."""
    if data.history.empty:
        return data.history
    return data.history[data.history["unit"] == unit].sort_values("month").reset_index(drop=True)


def _history_table(data: SiteData, text: SiteText, rows: pd.DataFrame) -> str:
    cols, none, d = text.columns, text.values.none, data.decimals
    published = {m.month for m in data.months}
    categories = [c for c in data.categories if c.code in rows.columns]
    headers = [(cols.month, "left"), (cols.rank, "right"), (cols.total, "right"), (cols.pass_, "center"),
               *((c.short, "right") for c in categories)]
    body = []
    for r in rows.sort_values("month", ascending=False).to_dict("records"):
        label = html_escape(text.month_text(r["month"]))
        body.append([lay.td(lay.anchor(lay.month_page(r["month"]), label) if r["month"] in published else label),
                     lay.td(lay.count_text(r["rank"], none), "right"),
                     lay.td(lay.points_text(r["total_rounded"], d, none), "right"),
                     lay.td(html_escape(text.values.pass_ if r["pass"] else text.values.fail), "center"),
                     *(lay.td(lay.points_text(r[c.code], d, none), "right") for c in categories)])
    return lay.data_table(headers, body)


def _reviews(data: SiteData, text: SiteText, unit: str) -> str:
    cols, none = text.columns, text.values.none
    rows = []
    for year in reversed(data.years):
        found = year.review[year.review["unit"] == unit]
        for r in found.to_dict("records"):
            rows.append([lay.td(lay.anchor(lay.review_page(year.year), html_escape(text.year_text(year.year)))),
                         lay.td(lay.count_text(r["rank"], none), "right"),
                         lay.td(lay.points_text(r["combined_rounded"], year.decimals, none), "right"),
                         lay.td(html_escape(text.values.accepted if r["passed"] else text.values.rejected), "center"),
                         lay.td(html_escape(r["reason"] or none))])
    if not rows:
        return ""
    headers = [(cols.year, "left"), (cols.rank, "right"), (cols.combined, "right"), (cols.passed, "center"),
               (cols.reason, "left")]
    return lay.heading_html(2, text.unit.reviews) + lay.data_table(headers, rows)


def titles_table(data: SiteData, text: SiteText, register: pd.DataFrame, unit: str | None = None) -> str:
    """The titles register's rows (of `unit`, or every unit with its name), newest year first."""
    cols, none = text.columns, text.values.none
    names = dict(data.units())
    rows = register if unit is None else register[register["unit"] == unit]
    headers = [(cols.year, "left"), *([] if unit else [(cols.unit, "left")]), (cols.status, "left"),
               (cols.valid_until, "left"), (cols.reason, "left")]
    body = []
    for r in rows.sort_values(["year", "unit"], ascending=[False, True]).to_dict("records"):
        name = html_escape(names.get(r["unit"], r["unit"]))
        who = [] if unit else [lay.td(lay.anchor(lay.unit_page(r["unit"]), name))]
        body.append([lay.td(html_escape(text.year_text(int(r["year"])))), *who,
                     lay.td(html_escape(text.values.status.get(r["status"], r["status"]))),
                     lay.td(html_escape(r["valid_until"] or none), "nowrap"),
                     lay.td(html_escape(r["reason"] or none))])
    return lay.data_table(headers, body)


def unit_html(data: SiteData, text: SiteText, unit: str, name: str) -> str:
    rows = unit_rows(data, unit)
    parts = []
    if len(rows):
        ticks, groups = month_axis(text, list(rows["month"]))
        values = [None if pd.isna(v) else float(v) for v in rows["total_rounded"]]
        labels = [lay.points_text(v, data.decimals, text.values.none) for v in values]
        parts += [lay.heading_html(2, text.unit.chart), line_chart(
            text.unit.chart, ticks, groups, values, labels, data.pass_line,
            text.unit.chart_pass_line.format(pass_line=f"{data.pass_line:g}"))]
        parts += [lay.heading_html(2, text.unit.history), _history_table(data, text, rows)]
        if data.basis:
            basis = text.unit.basis.format(month_label=text.month_text(data.basis))
            parts.append(lay.paragraph_html(basis, "table-note"))
    parts.append(lay.heading_html(2, text.unit.reports))
    items = [lay.labelled(text, lay.anchor(lay.month_page(m.month), html_escape(text.month_text(m.month))),
                          lay.format_links(text, m.reports[unit])) for m in reversed(data.months) if unit in m.reports]
    parts.append(lay.bullet_list(items, "reports") if items else lay.paragraph_html(text.unit.no_reports))
    parts.append(_reviews(data, text, unit))
    parts.append(lay.heading_html(2, text.unit.titles))
    mine = data.register[data.register["unit"] == unit] if len(data.register) else data.register
    parts.append(titles_table(data, text, mine, unit) if len(mine) else lay.paragraph_html(text.unit.no_titles))
    return lay.shell(text, text.unit.title.format(name=name), "\n".join(p for p in parts if p),
                     synthetic=data.synthetic, extra_nav=extra_nav(data, text))
