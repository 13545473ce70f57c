"""The annual review pages (review-YYYY.html: the acceptance report's files, the review and titles
tables of outputs/YYYY, the months of the year) and the year comparison (compare-YYYY.html: the
same months of the year before, side by side, from the history table; no difference is computed)."""

from __future__ import annotations

from scoring.render.display.markup import html_escape
from scoring.site import layout as lay
from scoring.site.collect import SiteData, YearFolder
from scoring.site.series import extra_nav, pass_counts
from scoring.site.settings import SiteText
from scoring.site.units import titles_table


def review_html(data: SiteData, text: SiteText, year: YearFolder) -> str:
    cols, none, d = text.columns, text.values.none, year.decimals
    names = dict(data.units())
    parts = [lay.heading_html(2, text.review.reports)]
    item = lay.labelled(text, html_escape(text.reports.review), lay.format_links(text, year.files))
    parts.append(lay.bullet_list([item], "reports") if year.files else lay.paragraph_html(none))
    headers = [(cols.rank, "right"), (cols.unit, "left"), (cols.platform, "right"), (cols.onsite, "right"),
               (cols.offsite, "right"), (cols.combined, "right"), (cols.passed, "center"), (cols.reason, "left")]
    rows = [[lay.td(lay.count_text(r["rank"], none), "right"),
             lay.td(lay.anchor(lay.unit_page(r["unit"]), html_escape(names.get(r["unit"], r["unit"])))),
             lay.td(lay.points_text(r["platform"], d, none), "right"),
             lay.td(lay.points_text(r["onsite"], d, none), "right"),
             lay.td(lay.points_text(r["offsite"], d, none), "right"),
             lay.td(lay.points_text(r["combined_rounded"], d, none), "right"),
             lay.td(html_escape(text.values.accepted if r["passed"] else text.values.rejected), "center"),
             lay.td(html_escape(r["reason"] or none))]
            for r in year.review.sort_values(["rank", "unit"]).to_dict("records")]
    parts += [lay.heading_html(2, text.review.results), lay.data_table(headers, rows)]
    if len(year.titles):
        parts += [lay.heading_html(2, text.review.titles), titles_table(data, text, year.titles)]
    months = [m for m in data.months if m.month.startswith(f"{year.year}-")]
    if months:
        parts.append(lay.heading_html(2, text.review.months))
        parts.append(lay.bullet_list((lay.anchor(lay.month_page(m.month), html_escape(text.month_text(m.month)))
                                      for m in months), "inline"))
    title = text.review.title.format(year_label=text.year_text(year.year))
    return lay.shell(text, title, "\n".join(parts), synthetic=data.synthetic, extra_nav=extra_nav(data, text))


def compare_html(data: SiteData, text: SiteText, year: int) -> str:
    """`year` against `year` − 1: 达标 units per month of both, and every unit's total and rank in the
    latest month of `year` that the year before has too (by that month's rank)."""
    cols, none, d = text.columns, text.values.none, data.decimals
    this, before = text.year_text(year), text.year_text(year - 1)
    counts = pass_counts(data.history).set_index("month")
    numbers = sorted({m[5:] for m in counts.index if m[:4] in (str(year), str(year - 1))})
    rows = [[lay.td(html_escape(text.month_short.format(month=int(n)))),
             *(lay.td(lay.count_text(counts["n_pass"].get(f"{y}-{n}"), none), "right") for y in (year - 1, year))]
            for n in numbers]
    parts = [lay.heading_html(2, text.compare.pass_counts),
             lay.data_table([(cols.month, "left"), (text.compare.pass_of.format(year_label=before), "right"),
                        (text.compare.pass_of.format(year_label=this), "right")], rows)]
    both = [n for n in numbers if f"{year}-{n}" in counts.index and f"{year - 1}-{n}" in counts.index]
    if both:
        n = both[-1]
        history = data.history.set_index(["month", "unit"])
        unit_rows = []
        ranks = {code: history.at[(f"{year}-{n}", code), "rank"] for code, _ in data.units()
                 if (f"{year}-{n}", code) in history.index}
        for code, name in sorted(data.units(), key=lambda u: (u[0] not in ranks, ranks.get(u[0], 0))):
            cells = [lay.td(lay.anchor(lay.unit_page(code), html_escape(name)))]
            for column, fmt in (("total_rounded", lambda v: lay.points_text(v, d, none)),
                                ("rank", lambda v: lay.count_text(v, none))):
                for y in (year - 1, year):
                    key = (f"{y}-{n}", code)
                    cells.append(lay.td(fmt(history.at[key, column]) if key in history.index else none, "right"))
            unit_rows.append(cells)
        headers = [(cols.unit, "left"), (text.compare.total_of.format(year_label=before), "right"),
                   (text.compare.total_of.format(year_label=this), "right"),
                   (text.compare.rank_of.format(year_label=before), "right"),
                   (text.compare.rank_of.format(year_label=this), "right")]
        parts += [lay.heading_html(2, text.compare.units.format(month_short=text.month_short.format(month=int(n)))),
                  lay.data_table(headers, unit_rows)]
    parts.append(lay.paragraph_html(text.compare.note, "table-note"))
    title = text.compare.title.format(year_label=this, previous_label=before)
    return lay.shell(text, title, "\n".join(parts), synthetic=data.synthetic, extra_nav=extra_nav(data, text))
