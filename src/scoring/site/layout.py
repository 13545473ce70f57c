"""The pieces every page of the site shares: the page shell, links, tables, number formats, page names.

All pages lie side by side in outputs/site/ (one folder: every link from every page is the same
string) and link the report files where the bulletin published them, relatively
("../2019-12/bulletin.pdf"): the site copies nothing, and stays valid while outputs/ moves as a whole.
Text enters the HTML only through `html_escape` (content) or `attr` (attribute values).
"""

from __future__ import annotations

import html
import math
import string
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from scoring.render.display.markup import html_escape, strip_bidi
from scoring.site.settings import SiteText

STYLE_FILE = "style.css"
HOME_PAGE = "index.html"
BROWSE_PAGE = "browse.html"


def month_page(month: str) -> str:
    return f"month-{month}.html"


def unit_page(unit: str) -> str:
    return f"unit-{unit}.html"


def review_page(year: int) -> str:
    return f"review-{year}.html"


def compare_page(year: int) -> str:
    return f"compare-{year}.html"


def attr(text: object) -> str:
    """`text` for an attribute value: bidirectional controls removed, quotes escaped."""
    return html.escape(strip_bidi(str(text)), quote=True)


def anchor(href: str, content_html: str, cls: str | None = None) -> str:
    """<a> to `href` (a relative path, percent-encoded here) around already escaped `content_html`."""
    klass = f' class="{attr(cls)}"' if cls else ""
    return f'<a href="{attr(quote(href))}"{klass}>{content_html}</a>'


def output_href(path: str) -> str:
    """A file of outputs/ (path relative to it) as seen from a page of outputs/site/."""
    return f"../{path}"


def format_links(text: SiteText, files: dict[str, str]) -> str:
    """'网页 · PDF · Word': one link per file of a report (suffix → path relative to outputs/)."""
    return " · ".join(anchor(output_href(path), html_escape(getattr(text.formats, suffix)))
                      for suffix, path in files.items())


def fill_html(template: str, **values_html: str) -> str:
    """`template` (a params text) filled with already escaped HTML values; its own text escaped."""
    out = []
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        out.append(html_escape(literal))
        if name is not None:
            out.append(values_html[name])
    return "".join(out)


def labelled(text: SiteText, label_html: str, content_html: str) -> str:
    """'label：content' as params/site.yaml `labelled` writes it (both already escaped)."""
    return fill_html(text.labelled, label=label_html, content=content_html)


def points_text(value: object, decimals: int, none: str) -> str:
    """A number as printed with `decimals` decimals (f-string formatting is the display rounding:
    scoring.engine.rounding prints the same digits); `none` for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return none
    return f"{float(value):.{decimals}f}"


def count_text(value: object, none: str) -> str:
    """A rank or a count as a whole number; `none` for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return none
    return str(int(value))


def td(content_html: str, cls: str = "left") -> tuple[str, str]:
    return content_html, cls


def data_table(headers: Sequence[tuple[str, str]], rows: Iterable[Sequence[tuple[str, str]]],
          caption: str | None = None, highlight: Sequence[bool] | None = None) -> str:
    """A data table in its own scroll box (.table-wrap, as the reports): `headers` (text, class),
    `rows` of (escaped html, class) cells; `highlight`: rows marked (tr.hl)."""
    head = "".join(f'<th class="{attr(cls)}">{html_escape(label)}</th>' for label, cls in headers)
    body = []
    for i, row in enumerate(rows):
        mark = ' class="hl"' if highlight is not None and highlight[i] else ""
        body.append(f"<tr{mark}>" + "".join(f'<td class="{attr(cls)}">{content}</td>' for content, cls in row)
                    + "</tr>")
    cap = f"<caption>{html_escape(caption)}</caption>" if caption else ""
    return (f'<div class="table-wrap"><table class="data">{cap}<thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def bullet_list(items: Iterable[str], cls: str | None = None) -> str:
    """<ul> of already escaped items ('' when there are none)."""
    items = list(items)
    klass = f' class="{attr(cls)}"' if cls else ""
    return f"<ul{klass}>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>" if items else ""


def paragraph_html(text: str, cls: str | None = None) -> str:
    klass = f' class="{attr(cls)}"' if cls else ""
    return f"<p{klass}>{html_escape(text)}</p>"


def heading_html(level: int, text: str, anchor: str | None = None) -> str:
    ident = f' id="{attr(anchor)}"' if anchor else ""
    return f"<h{level}{ident}>{html_escape(text)}</h{level}>"


def shell(text: SiteText, title: str, body: str, *, synthetic: bool, extra_nav: Sequence[tuple[str, str]] = ()) -> str:
    """A whole page: the site's navigation (home, the index, `extra_nav` (label, page)), the synthetic
    banner when any shown data is 示例数据, `title` as h1, `body` (escaped HTML) and the footer."""
    nav = [anchor(HOME_PAGE, html_escape(text.nav.home)), anchor(BROWSE_PAGE, html_escape(text.nav.browse))]
    nav += [anchor(page, html_escape(label)) for label, page in extra_nav]
    banner = f'<div class="synthetic-header">{html_escape(text.synthetic)}</div>' if synthetic else ""
    return (f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(strip_bidi(title))} · {html.escape(text.title)}</title>\n"
            f'<link rel="stylesheet" href="{STYLE_FILE}">\n</head>\n<body>\n{banner}\n<main>\n'
            f'<nav class="site"><span class="site-name">{html_escape(text.title)}</span> '
            f'{" ".join(nav)}</nav>\n<h1>{html_escape(title)}</h1>\n{body}\n'
            f'<footer class="report-footer">{html_escape(text.footer)}</footer>\n</main>\n</body>\n</html>\n')
