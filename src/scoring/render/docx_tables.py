"""Word tables for scoring.render.docx: column widths fitted to the page, and the table's XML.

The XML is written in one piece (python-docx's cell-by-cell API takes about a second per report);
every text is XML-escaped and made XML-safe. Each table: fixed column widths, the header row
repeated on every page (w:tblHeader) and kept on one line where the widths allow (w:noWrap),
no row split across pages (w:cantSplit), highlighted rows shaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from scoring.render.display import text_width_em
from scoring.render.docx_style import CELL_MARGIN_PT, DOCX_SIZES_PT
from scoring.render.wordxml import xml_safe

WRAP_EM = 16.0  # a text column wider than this wraps its lines
HEADER_FILL, HIGHLIGHT_FILL = "EEEEEE", "FFF3CD"
_JC = {"left": "left", "right": "right", "center": "center"}


def _em(text: str) -> float:
    """Width of `text` in em (display.text_width_em), plus the space some programs (LibreOffice)
    insert between Chinese and Latin letters or digits even when the file asks for none."""
    kinds = [ch.isascii() and ch.isalnum() for ch in text if not ch.isspace()]
    cjk = [ord(ch) >= 0x2E80 for ch in text if not ch.isspace()]
    boundaries = sum(1 for i in range(1, len(kinds)) if (kinds[i - 1] and cjk[i]) or (cjk[i - 1] and kinds[i]))
    return text_width_em(text) + 0.25 * boundaries


def fit_columns(columns: list[str], rows: list[list[str]], align: list[str], avail_pt: float,
                max_pt: float = DOCX_SIZES_PT["table"],
                min_pt: float = DOCX_SIZES_PT["table_min"]) -> tuple[float, list[float], bool]:
    """(font size pt, column widths pt, headers on one line) of a table `avail_pt` wide at most.

    The largest size (0.5 pt steps, `max_pt` to `min_pt`) at which every header and cell fits on
    one line (text columns wrap beyond WRAP_EM; the spare width goes to them). When none does:
    the smallest size, every column as wide as its cells, and the rest of the width given to the
    headers, the shortest first onto one line, so that only headers wrap. Only when even the cells
    do not fit are all columns shrunk in proportion.
    """
    pad = 2 * CELL_MARGIN_PT + 1.5
    head = [max(_em(line) for line in c.split("\n")) for c in columns]  # a "\n" in a header breaks it
    cells = [max((_em(r[j]) for r in rows if j < len(r)), default=0.0) for j in range(len(columns))]
    capped = [min(c, WRAP_EM) if a == "left" else c for c, a in zip(cells, align, strict=True)]
    size = max_pt
    while True:
        widths = [max(h, c, 1.0) * size + pad for h, c in zip(head, capped, strict=True)]
        if sum(widths) <= avail_pt or size <= min_pt:
            break
        size = max(min_pt, size - 0.5)
    if sum(widths) <= avail_pt:
        spare = avail_pt - sum(widths)
        for j in sorted(range(len(widths)), key=lambda k: cells[k] - capped[k]):
            grow = min(spare, (cells[j] - capped[j]) * size)
            if grow > 0:
                widths[j] += grow
                spare -= grow
        return size, widths, True
    base = [max(c, min(h, 2.0), 1.0) * size + pad for h, c in zip(head, capped, strict=True)]
    if sum(base) > avail_pt:
        return size, [b * avail_pt / sum(base) for b in base], False
    spare = avail_pt - sum(base)
    want = [max(0.0, w - b) for w, b in zip(widths, base, strict=True)]
    for j in sorted(range(len(base)), key=lambda k: want[k]):  # short headers onto one line first
        grow = min(want[j], spare / max(1, sum(1 for k in range(len(base)) if want[k] >= want[j])))
        base[j] += grow
        spare -= grow
    return size, base, False


def _runs_xml(text: str, size_half_pt: int | None) -> str:
    if not text:
        return ""
    rpr = f'<w:rPr><w:sz w:val="{size_half_pt}"/></w:rPr>' if size_half_pt else ""
    pieces = [f'<w:t xml:space="preserve">{escape(xml_safe(piece))}</w:t>' for piece in text.split("\n")]
    return f"<w:r>{rpr}{'<w:br/>'.join(pieces)}</w:r>"


def _cell_xml(text: str, width: int, style_id: str, align: str, size_half_pt: int | None, fill: str | None,
              no_wrap: bool) -> str:
    shd = f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/>' if fill else ""
    wrap = "<w:noWrap/>" if no_wrap else ""
    return (f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{shd}{wrap}</w:tcPr>'
            f'<w:p><w:pPr><w:pStyle w:val="{style_id}"/><w:jc w:val="{_JC.get(align, "left")}"/></w:pPr>'
            f"{_runs_xml(text, size_half_pt)}</w:p></w:tc>")


def table_element(columns: list[str], rows: list[list[str]], align: list[str], widths_pt: list[float], size_pt: float,
                  style_ids: Mapping[str, str], *, header: bool = True, one_line: bool = True,
                  highlight: set[int] = frozenset(), key_column: bool = False) -> Any:
    """The w:tbl of a table: `columns` (a header row when `header`), `rows` of text, per-column
    `align`, widths (pt), font size (pt; the style's size needs no run size), `style_ids`
    'table_text' and 'table_header' (paragraph style ids). `highlight`: body rows shaded;
    `key_column`: the first column in the header style (key–value lists)."""
    n = len(columns)
    twips = [max(1, round(w * 20)) for w in widths_pt]
    size = None if size_pt == DOCX_SIZES_PT["table"] else round(size_pt * 2)
    margin = round(CELL_MARGIN_PT * 20)
    parts = [f"<w:tbl {nsdecls('w')}><w:tblPr><w:tblStyle w:val=\"TableGrid\"/>"
             f'<w:tblW w:w="{sum(twips)}" w:type="dxa"/><w:tblLayout w:type="fixed"/>'
             f'<w:tblCellMar><w:left w:w="{margin}" w:type="dxa"/><w:right w:w="{margin}" w:type="dxa"/>'
             '</w:tblCellMar><w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" '
             'w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>']
    parts += [f'<w:gridCol w:w="{w}"/>' for w in twips]
    parts.append("</w:tblGrid>")
    if header:
        parts.append('<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>')
        parts += [_cell_xml(c, w, style_ids["table_header"], a, size, HEADER_FILL, one_line)
                  for c, w, a in zip(columns, twips, align, strict=True)]
        parts.append("</w:tr>")
    for i, row in enumerate(rows):
        values = (list(row) + [""] * n)[:n]
        fill = HIGHLIGHT_FILL if i in highlight else None
        parts.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>")
        parts += [_cell_xml(v, w, style_ids["table_header" if key_column and j == 0 else "table_text"], a, size,
                            fill, False)
                  for j, (v, w, a) in enumerate(zip(values, twips, align, strict=True))]
        parts.append("</w:tr>")
    parts.append("</w:tbl>")
    return parse_xml("".join(parts))
