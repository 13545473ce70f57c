"""Executed notebook → editable Word file (.docx, python-docx), from the same outputs as the HTML and PDF.

The report is read as blocks (scoring.render.document, never by parsing HTML) and written with
Word's own structures: heading styles (the navigation pane lists them), real tables (the header
row repeated on every page, rows not split), pictures from the PNGs, a page-number field in the
footer ('— N —', odd pages right, even pages left), the synthetic-data mark in the header.
A4 with GB/T 9704's margins and faces as close as open-licensed fonts allow (scoring.render.docx_style).

Reproducible: the same notebook, title, date and author give the same bytes. The core properties
are fixed (created = modified = `date`, author = `author` or empty, revision 1, no template
leftovers); python-docx stamps zip members with the clock, so the zip is rewritten with every
member dated `date` (scoring.render.reproducible.normalise_zip); the template's thumbnail is dropped.
$SOURCE_DATE_EPOCH, when set, is the time instead (scoring.render.reproducible.fixed_time).
`period_date` (the date of a report's period from its parameters) and FALLBACK_DATE are
scoring.render.reproducible's, importable from here too.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.shared import Mm, Pt

from scoring.render.document import notebook_document
from scoring.render.docx_blocks import BlockWriter
from scoring.render.docx_style import DOCX_SIZES_PT, MARGINS_MM, PAGE_MM, STYLE_NAMES, setup_styles
from scoring.render.labels import load_labels
from scoring.render.reproducible import FALLBACK_DATE, fixed_time, normalise_zip, period_date  # noqa: F401
from scoring.render.wordxml import add_field, no_justify_before_breaks
from scoring.safeio import atomic_write_bytes


def _header_footer(doc: Any, labels: Mapping[str, str], synthetic: bool) -> None:
    """Page numbers ('— N —' by the label `docx_page_number`) in the footer, odd pages right and even
    pages left, one character from the edge; the synthetic-data mark in the header of every page."""
    doc.settings.odd_and_even_pages_header_footer = True
    section = doc.sections[0]
    before, _, after = labels["docx_page_number"].partition("{page}")
    edge = Pt(DOCX_SIZES_PT["page_number"])
    for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT), (section.even_page_footer,
                                                                      WD_ALIGN_PARAGRAPH.LEFT)):
        par = footer.paragraphs[0]
        par.style = doc.styles[STYLE_NAMES["page_number"]]
        par.paragraph_format.alignment = align
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            par.paragraph_format.right_indent = edge
        else:
            par.paragraph_format.left_indent = edge
        if before:
            par.add_run(before)
        add_field(par, " PAGE ")
        if after:
            par.add_run(after)
    for header in (section.header, section.even_page_header):
        par = header.paragraphs[0]
        par.style = doc.styles[STYLE_NAMES["header"]]
        if synthetic:
            par.add_run(labels["synthetic_header"])


def _page(doc: Any) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    section.header_distance, section.footer_distance = Mm(15), Mm(20)


def _core_properties(doc: Any, title: str, author: str, when: dt.datetime) -> None:
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = title, author, author
    props.subject = props.keywords = props.comments = props.category = ""
    props.language = "zh-CN"
    props.revision = 1
    props.created = props.modified = when
    package = doc.part.package
    for rid, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del package.rels[rid]
            package.rels._target_parts_by_rId.pop(rid, None)


@cache
def _styled_blank() -> bytes:
    """An empty document with the styles, settings and page of every report (made once a process)."""
    import docx

    doc = docx.Document()
    setup_styles(doc)
    no_justify_before_breaks(doc.settings.element)
    _page(doc)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def docx_bytes(notebook: Any, *, title: str, subtitle: str = "", synthetic: bool = False,
               labels: Mapping[str, str] | None = None, date: dt.date | None = None, author: str = "") -> bytes:
    """The Word file (see render_docx) as bytes."""
    import docx

    labels = labels or load_labels()
    report = notebook_document(notebook, labels)
    doc = docx.Document(io.BytesIO(_styled_blank()))
    _header_footer(doc, labels, synthetic)
    writer = BlockWriter(doc, report.images)
    if title:
        writer.paragraph("Title", title)
    if subtitle:
        writer.paragraph("Subtitle", subtitle)
    writer.write(report.blocks)
    when = fixed_time(date)
    _core_properties(doc, " · ".join(x for x in (title, subtitle) if x), author, when)
    buffer = io.BytesIO()
    doc.save(buffer)
    return normalise_zip(buffer.getvalue(), when)


def render_docx(notebook: Any, out: str | os.PathLike, *, title: str, subtitle: str = "", synthetic: bool = False,
                labels: Mapping[str, str] | None = None, date: dt.date | None = None, author: str = "") -> Path:
    """Write the executed `notebook` (node or .ipynb path) as an editable A4 Word file, atomically.

    Title block from `title`/`subtitle`; `synthetic` puts the mark (label `synthetic_header`) in the
    header of every page. `date`: the document's date (core properties and zip members; default
    FALLBACK_DATE; $SOURCE_DATE_EPOCH overrides it), `author`: its author (default empty).
    """
    data = docx_bytes(notebook, title=title, subtitle=subtitle, synthetic=synthetic, labels=labels, date=date,
                      author=author)
    return atomic_write_bytes(out, data)
