"""The site's home page, one page per published month, and the index by unit and by month.

Each page selects and formats rows of the tables `collect_site` read (scoring.site.series arranges
the history per month).
"""

from __future__ import annotations

from scoring.render.display.markup import html_escape
from scoring.site import layout as lay
from scoring.site.charts import bar_chart
from scoring.site.collect import MonthFolder, SiteData
from scoring.site.series import compare_years, extra_nav, month_axis, pass_counts
from scoring.site.settings import SiteText


def pass_chart(data: SiteData, text: SiteText) -> str:
    counts = pass_counts(data.history)
    if counts.empty:
        return ""
    ticks, groups = month_axis(text, list(counts["month"]))
    return bar_chart(text.home.pass_chart, ticks, groups, [int(v) for v in counts["n_pass"]],
                     [str(int(v)) for v in counts["n_pass"]], float(counts["n_units"].max()))


def _figures(data: SiteData, text: SiteText, template: str, folder: MonthFolder) -> str:
    city = folder.city
    if not city:
        return ""
    none = text.values.none
    return lay.paragraph_html(template.format(
        n_units=lay.count_text(city.get("n_units"), none), n_pass=lay.count_text(city.get("n_pass"), none),
        mean_total=lay.points_text(city.get("mean_total"), data.decimals, none),
        pass_line=f"{data.pass_line:g}"), "figures")


def _report_items(text: SiteText, folder: MonthFolder) -> list[str]:
    """The month's reports as list items: bulletin, sensitivity (all formats), the workbook, the month's index."""
    items = [lay.labelled(text, html_escape(getattr(text.reports, key)), lay.format_links(text, folder.reports[key]))
             for key in ("bulletin", "sensitivity") if key in folder.reports]
    if "workbook" in folder.extras:
        items.append(lay.anchor(lay.output_href(folder.extras["workbook"]), html_escape(text.reports.workbook)))
    if "month_index" in folder.extras:
        items.append(lay.anchor(lay.output_href(folder.extras["month_index"]), html_escape(text.reports.month_index)))
    return items


def home_html(data: SiteData, text: SiteText) -> str:
    """index.html: the latest month (figures, links), 达标 units per month, every month, unit, review."""
    parts = []
    if not data.months:
        parts.append(lay.paragraph_html(text.home.empty))
    else:
        latest = data.months[-1]
        label = text.month_text(latest.month)
        parts.append(lay.heading_html(2, text.home.latest.format(month_label=label)))
        parts.append(_figures(data, text, text.home.latest_figures, latest))
        parts.append(lay.bullet_list([lay.anchor(lay.month_page(latest.month), html_escape(text.month.title.format(
            month_label=label))), *_report_items(text, latest)], "reports"))
    if not data.history.empty:
        parts += [lay.heading_html(2, text.home.pass_chart), pass_chart(data, text)]
    if data.months:
        parts.append(lay.heading_html(2, text.home.months))
        parts.append(lay.bullet_list((lay.anchor(lay.month_page(m.month), html_escape(text.month_text(m.month)))
                                      for m in reversed(data.months)), "inline"))
    if data.units():
        parts.append(lay.heading_html(2, text.home.units))
        parts.append(lay.bullet_list((lay.anchor(lay.unit_page(code), html_escape(name))
                                      for code, name in data.units()), "inline"))
    if data.years:
        parts.append(lay.heading_html(2, text.home.reviews))
        parts.append(lay.bullet_list((lay.anchor(lay.review_page(y.year), html_escape(text.review.title.format(
            year_label=text.year_text(y.year)))) for y in reversed(data.years)), "inline"))
    if years := compare_years(data):
        parts.append(lay.heading_html(2, text.home.compare))
        parts.append(lay.bullet_list((lay.anchor(lay.compare_page(y), html_escape(text.compare.title.format(
            year_label=text.year_text(y), previous_label=text.year_text(y - 1)))) for y in reversed(years)),
            "inline"))
    return lay.shell(text, text.title, "\n".join(p for p in parts if p), synthetic=data.synthetic,
                     extra_nav=extra_nav(data, text))


def month_html(data: SiteData, text: SiteText, index: int) -> str:
    """month-YYYY-MM.html: the month's figures, its reports, and every unit's scores with its report."""
    folder = data.months[index]
    label = text.month_text(folder.month)
    pager = []
    if index > 0:
        pager.append(lay.anchor(lay.month_page(data.months[index - 1].month), lay.labelled(
            text, html_escape(text.month.previous), html_escape(text.month_text(data.months[index - 1].month)))))
    if index + 1 < len(data.months):
        pager.append(lay.anchor(lay.month_page(data.months[index + 1].month), lay.labelled(
            text, html_escape(text.month.next), html_escape(text.month_text(data.months[index + 1].month)))))
    parts = [f'<div class="pager">{"".join(f"<span>{p}</span>" for p in pager)}</div>' if pager else "",
             _figures(data, text, text.month.figures, folder), lay.heading_html(2, text.month.reports)]
    items = _report_items(text, folder)
    reviews = [lay.anchor(lay.review_page(y.year), html_escape(text.review.title.format(year_label=text.year_text(
        y.year)))) for y in data.years if folder.month.startswith(f"{y.year}-")]  # the year's acceptance, if any
    parts.append(lay.bullet_list(items + reviews, "reports") if items else
                 lay.paragraph_html(text.month.no_reports) + lay.bullet_list(reviews, "reports"))
    parts += [lay.heading_html(2, text.month.ranking), ranking_table(data, text, folder)]
    return lay.shell(text, text.month.title.format(month_label=label), "\n".join(p for p in parts if p),
                     synthetic=data.synthetic, extra_nav=extra_nav(data, text))


def ranking_table(data: SiteData, text: SiteText, folder: MonthFolder) -> str:
    """The month's scores as published, by rank: unit (its page), total, 达标, categories, its report."""
    cols, none, d = text.columns, text.values.none, data.decimals
    categories = [c for c in data.categories if c.code in folder.scores.columns]
    headers = [(cols.rank, "right"), (cols.unit, "left"), (cols.total, "right"), (cols.pass_, "center"),
               (cols.reports, "left"), *((c.short, "right") for c in categories)]
    rows = []
    for r in folder.scores.sort_values(["rank", "unit"]).to_dict("records"):
        files = folder.reports.get(r["unit"], {})
        rows.append([lay.td(lay.count_text(r["rank"], none), "right"),
                     lay.td(lay.anchor(lay.unit_page(r["unit"]), html_escape(r["name"]))),
                     lay.td(lay.points_text(r["total_rounded"], d, none), "right"),
                     lay.td(html_escape(text.values.pass_ if r["pass"] else text.values.fail), "center"),
                     lay.td(lay.format_links(text, files) if files else html_escape(none), "links"),
                     *(lay.td(lay.points_text(r[c.code], d, none), "right") for c in categories)])
    return lay.data_table(headers, rows)


def browse_html(data: SiteData, text: SiteText) -> str:
    """browse.html: by unit (its page and its report of each published month, newest first), by month,
    the annual reviews, and the folders left out (their names; why: SiteResult.notes)."""
    cols = text.columns
    parts = [lay.heading_html(2, text.browse.by_unit, "units")]
    newest = list(reversed(data.months))
    headers = [(cols.unit, "left"), *((text.month_text(m.month), "left") for m in newest)]
    rows = [[lay.td(lay.anchor(lay.unit_page(code), html_escape(name))),
             *(lay.td(lay.format_links(text, m.reports[code]) if code in m.reports else html_escape(text.values.none),
                        "links") for m in newest)] for code, name in data.units()]
    parts.append(lay.data_table(headers, rows))
    parts.append(lay.heading_html(2, text.browse.by_month, "months"))
    month_rows = []
    for m in reversed(data.months):
        month_rows.append([lay.td(lay.anchor(lay.month_page(m.month), html_escape(text.month_text(m.month)))),
                           lay.td(lay.count_text(m.city.get("n_pass"), text.values.none), "right"),
                           lay.td(lay.format_links(text, m.reports["bulletin"]) if "bulletin" in m.reports
                                    else html_escape(text.values.none), "links")])
    parts.append(lay.data_table([(cols.month, "left"), (cols.n_pass, "right"), (text.reports.bulletin, "left")],
                           month_rows))
    if data.years:
        parts.append(lay.heading_html(2, text.nav.reviews, "reviews"))
        parts.append(lay.bullet_list((lay.anchor(lay.review_page(y.year), html_escape(text.year_text(y.year)))
                                      for y in reversed(data.years)), "inline"))
    if data.skipped:
        parts.append(lay.paragraph_html(text.browse.skipped, "skipped"))
        parts.append(lay.bullet_list((html_escape(path) for path, _why in data.skipped), "skipped"))
    return lay.shell(text, text.browse.title, "\n".join(parts), synthetic=data.synthetic,
                     extra_nav=extra_nav(data, text))
