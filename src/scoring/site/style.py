"""The site's one style sheet (outputs/site/style.css): the reports' own CSS (scoring.render's
templates/report.css: the CJK faces, tables in their scroll box, the 400 px rules) and the few
rules of the site (navigation, charts, lists of links). No web font, no script, no network."""

from __future__ import annotations

from importlib import resources

SITE_CSS = """
/* The archive site (scoring.site): navigation, charts, lists of links. */
a { color: var(--blue); text-decoration: none; }
a:hover, a:focus { text-decoration: underline; }
nav.site { display: flex; flex-wrap: wrap; align-items: baseline; gap: .2rem 1rem; border-bottom: 1px solid var(--rule);
  padding: .2rem 0 .5rem; margin-bottom: 1rem; font-size: .95rem; }
nav.site .site-name { font-weight: bold; color: var(--grey); margin-right: auto; }
.pager { display: flex; flex-wrap: wrap; justify-content: space-between; gap: .5rem; margin: .5rem 0; }
.chart svg { display: block; width: 100%; max-width: 40rem; height: auto; }
.chart.scrolls { direction: rtl; } .chart.scrolls svg { direction: ltr; max-width: none; }
.chart svg text { font-family: var(--sans); fill: var(--ink); font-size: 10px; }
.chart svg text.group { fill: var(--grey); }
.chart .bar { fill: var(--blue); }
.chart .line { fill: none; stroke: var(--blue); stroke-width: 2; }
.chart .dot { fill: var(--blue); }
.chart .axis { stroke: var(--ink); stroke-width: 1; }
.chart .grid { stroke: var(--rule); stroke-width: 1; }
.chart .passline, .chart-legend .passline { stroke: var(--amber); stroke-width: 1.2; stroke-dasharray: 4 3; }
.chart-legend { color: var(--grey); font-size: .85rem; margin: -.4rem 0 .8rem; }
table.data td.links, table.data td.nowrap { white-space: nowrap; }
ul.inline { list-style: none; padding-left: 0; display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; max-width: none; }
ul.reports li { margin: .2rem 0; }
.figures { font-size: 1.05rem; }
.skipped { color: var(--grey); font-size: .9rem; }
"""


def site_css() -> str:
    """report.css followed by the site's rules."""
    base = resources.files("scoring.render").joinpath("templates", "report.css").read_text(encoding="utf-8")
    return base.rstrip("\n") + "\n" + SITE_CSS
