"""Blocks (scoring.render.document) → Word paragraphs, tables and pictures (python-docx).

One writer per block type (`WRITERS`); every text is set as run text (never parsed), made
XML-safe first. A landscape table gets a landscape section of its own; the headings (or the
attachment heading) right before it go with it, so they are not left alone on a portrait page.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping
from typing import Any

from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph

from scoring.render.display import NOTE_KINDS, text_width_em
from scoring.render.document import Block
from scoring.render.docx_style import (
    AMBER,
    DOCX_SIZES_PT,
    MARGINS_MM,
    PAGE_MM,
    RED,
    STYLE_NAMES,
    text_width_mm,
)
from scoring.render.docx_tables import fit_columns, table_element
from scoring.render.wordxml import paragraph_border, shade, xml_safe

ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT, "center": WD_ALIGN_PARAGRAPH.CENTER}
MM_PER_PT = 25.4 / 72


class BlockWriter:
    """Writes blocks at the end of a python-docx Document; `images`: picture name → bytes."""

    def __init__(self, doc: Any, images: Mapping[str, bytes]) -> None:
        self.doc, self.images = doc, images
        self.landscape = False
        self.written = False  # anything in the body yet
        self.page_start = True  # the next paragraph starts a page
        self._style_ids: dict[str, str] = {}

    # ------------------------------------------------------------------ basics

    def style(self, par: Any, key: str) -> None:
        """Give `par` the style `key` (a STYLE_NAMES key or a Word style name), by its id.

        python-docx's `paragraph.style = name` scans every style each time (seconds for a report's
        tables); the ids are looked up once."""
        par._p.get_or_add_pPr().style = self._id(key)

    def _id(self, key: str) -> str:
        name = STYLE_NAMES.get(key, key)
        if name not in self._style_ids:
            self._style_ids[name] = self.doc.styles[name].style_id
        return self._style_ids[name]

    def paragraph(self, key: str, text: str | None = None, runs: list | None = None, align: str | None = None) -> Any:
        """A paragraph of style `key` (a STYLE_NAMES key or a Word style name) with `text` or `runs`."""
        par = self.doc.add_paragraph()
        self.style(par, key)
        for run in runs if runs is not None else ([{"text": text}] if text else []):
            added = par.add_run(xml_safe(run.get("text", "")))
            if run.get("bold"):
                added.bold = True
        if align:
            par.paragraph_format.alignment = ALIGN[align]
        self.written, self.page_start = True, False
        return par

    def _orient(self, section: Any, landscape: bool) -> None:
        width, height = (Mm(PAGE_MM[1]), Mm(PAGE_MM[0])) if landscape else (Mm(PAGE_MM[0]), Mm(PAGE_MM[1]))
        section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = width, height
        m = MARGINS_MM
        top, bottom, left, right = (m["left"], m["right"], m["top"], m["bottom"]) if landscape else \
            (m["top"], m["bottom"], m["left"], m["right"])
        section.top_margin, section.bottom_margin = Mm(top), Mm(bottom)
        section.left_margin, section.right_margin = Mm(left), Mm(right)

    def _switch(self, landscape: bool) -> None:
        if self.written:
            section = self.doc.add_section(WD_SECTION.NEW_PAGE)
            # python-docx ends the previous section with an empty paragraph holding its w:sectPr: keep it small
            self.style(Paragraph(self.doc.element.body.findall(qn("w:p"))[-1], self.doc._body), "spacer")
        else:
            section = self.doc.sections[-1]
        self._orient(section, landscape)
        self.landscape, self.page_start = landscape, True

    def _wants_landscape(self, blocks: list[Block], i: int) -> bool:
        block = blocks[i]
        if block.get("landscape") or block.get("type") == "table":
            return bool(block.get("landscape"))
        if block.get("type") in ("heading", "attachment") and i + 1 < len(blocks):
            return self._wants_landscape(blocks, i + 1)
        return False

    def write(self, blocks: list[Block]) -> None:
        for i, block in enumerate(blocks):
            wanted = self._wants_landscape(blocks, i)
            if wanted != self.landscape:
                self._switch(wanted)
            WRITERS.get(str(block.get("type")), _unknown)(self, block)

    @property
    def text_width_pt(self) -> float:
        return text_width_mm(self.landscape) / MM_PER_PT

    # ------------------------------------------------------------------ tables

    def table(self, columns: list[str], rows: list[list[str]], align: list[str], *, header: bool = True,
              highlight: set[int] = frozenset(), caption: str | None = None, key_column: bool = False) -> None:
        """A Word table (docx_tables.table_element) after an optional caption, then a small spacer
        paragraph (two tables in a row would otherwise merge into one)."""
        if caption:
            self.paragraph("Caption", caption)
        if not columns or not (header or rows):  # Word cannot open a table without rows
            return
        size, widths, one_line = fit_columns(columns if header else [""] * len(columns), rows, align,
                                             self.text_width_pt * 0.99)
        ids = {key: self._id(key) for key in ("table_text", "table_header")}
        element = table_element(columns, rows, align, widths, size, ids, header=header, one_line=one_line,
                                highlight=highlight, key_column=key_column)
        self.doc.element.body.find(qn("w:sectPr")).addprevious(element)
        self.written, self.page_start = True, False
        self.paragraph("spacer")


# ---------------------------------------------------------------------- writers


def _unknown(w: BlockWriter, block: Block) -> None:
    """A block type this renderer does not know: its text, if it has one, as a paragraph."""
    if isinstance(block.get("text"), str) and block["text"]:
        w.paragraph("Normal", block["text"])


def _heading(w: BlockWriter, block: Block) -> None:
    level = min(4, max(1, int(block.get("level", 2))))
    w.paragraph(f"Heading {level}", str(block.get("text", "")))


def _runs(block: Block, key: str = "runs") -> list:
    return [r for r in block.get(key, []) if isinstance(r, Mapping)]


def _paragraph(w: BlockWriter, block: Block) -> None:
    w.paragraph("Normal", runs=_runs(block))


def _table_note(w: BlockWriter, block: Block) -> None:
    """A note under a table (key to short labels, 说明): table-sized text, its lines kept."""
    w.paragraph("table_text", str(block.get("text", "")))


def _bullets(w: BlockWriter, block: Block) -> None:
    for item in block.get("items", []):
        w.paragraph("List Bullet", runs=[r for r in item if isinstance(r, Mapping)])


def _note(w: BlockWriter, block: Block) -> None:
    fill, line = NOTE_KINDS.get(str(block.get("kind")), NOTE_KINDS["info"])
    par = w.paragraph("note", runs=_runs(block))
    ppr = par._p.get_or_add_pPr()
    paragraph_border(ppr, {"left": (2.5, line.lstrip("#").upper())})
    shade(ppr, fill.lstrip("#").upper())


def _banner(w: BlockWriter, block: Block) -> None:
    par = w.paragraph("banner", str(block.get("text", "")))
    ppr = par._p.get_or_add_pPr()
    paragraph_border(ppr, {side: (0.8, AMBER) for side in ("top", "left", "bottom", "right")})
    shade(ppr, "FFF3CD")


def _error(w: BlockWriter, block: Block) -> None:
    title = w.paragraph("error", runs=[{"text": str(block.get("title", "")), "bold": True}])
    for run in title.runs:
        run.font.color.rgb = _rgb(RED)
    w.paragraph("error", str(block.get("message", "")))
    if block.get("detail"):
        shade(w.paragraph("code", str(block["detail"]))._p.get_or_add_pPr(), "FDECEA")


def _pre(w: BlockWriter, block: Block) -> None:
    w.paragraph("code", str(block.get("text", "")))


def _keyvalues(w: BlockWriter, block: Block) -> None:
    pairs = [[str(k), str(v)] for k, v in block.get("pairs", [])]
    w.table(["", ""], pairs, ["left", "left"], header=False, caption=block.get("caption"), key_column=True)


def _table(w: BlockWriter, block: Block) -> None:
    columns = [str(c) for c in block.get("columns", [])]
    align = [a if a in ALIGN else "left" for a in block.get("align", [])] or ["left"] * len(columns)
    align = (align + ["left"] * len(columns))[: len(columns)]
    w.table(columns, [[str(v) for v in r] for r in block.get("rows", [])], align,
            highlight={int(i) for i in block.get("highlight", [])}, caption=block.get("caption"))


def _figure(w: BlockWriter, block: Block) -> None:
    raw = w.images.get(str(block.get("name")))
    if raw is None:
        return
    width_mm = text_width_mm(w.landscape)
    if block.get("width_in"):
        width_mm = min(width_mm, float(block["width_in"]) * 25.4)
    par = w.paragraph("figure")
    par.add_run().add_picture(io.BytesIO(raw), width=Mm(math.floor(width_mm * 10) / 10))
    if block.get("caption"):
        w.paragraph("figure_caption", str(block["caption"]))
    else:
        par.paragraph_format.keep_with_next = False


def _organ(w: BlockWriter, block: Block) -> None:
    text = str(block.get("text", ""))
    em = text_width_em(text) or 1.0
    size = max(DOCX_SIZES_PT["organ_min"], min(DOCX_SIZES_PT["organ_max"], math.floor(w.text_width_pt * 0.98 / em)))
    par = w.paragraph("organ", text)
    for run in par.runs:
        run.font.size = Pt(size)


def _doc_number(w: BlockWriter, block: Block) -> None:
    par = w.paragraph("doc_number", str(block.get("text", "")))
    if block.get("rule", True):
        paragraph_border(par._p.get_or_add_pPr(), {"bottom": (1.5, RED)}, space_pt=12)


def _title(w: BlockWriter, block: Block) -> None:
    w.paragraph("Title", str(block.get("text", "")))
    if block.get("subtitle"):
        w.paragraph("Subtitle", str(block["subtitle"]))


def _recipients(w: BlockWriter, block: Block) -> None:
    w.paragraph("recipients", str(block.get("text", "")))


def _signature(w: BlockWriter, block: Block) -> None:
    """Organ centred over the date, the date four characters from the right margin (GB/T 9704)."""
    body = DOCX_SIZES_PT["body"]
    organ, date = str(block.get("organ", "")), str(block.get("date", ""))
    date_right = 4 * body
    organ_right = max(0.0, date_right + (text_width_em(date) - text_width_em(organ)) / 2 * body)
    first = w.paragraph("signature", organ)
    first.paragraph_format.space_before = Pt(2 * body)
    first.paragraph_format.right_indent = Pt(organ_right)
    first.paragraph_format.keep_with_next = True
    w.paragraph("signature", date).paragraph_format.right_indent = Pt(date_right)


def _attachment(w: BlockWriter, block: Block) -> None:
    start = w.page_start
    label = w.paragraph("attachment_label", str(block.get("label", "")))
    if block.get("page_break", True) and not start and w.written:
        label.paragraph_format.page_break_before = True
    if block.get("title"):
        title = w.paragraph("Heading 2", str(block["title"]), align="center")
        title.paragraph_format.first_line_indent = Pt(0)
        title.paragraph_format.space_after = Pt(12)


def _attachment_list(w: BlockWriter, block: Block) -> None:
    body = DOCX_SIZES_PT["body"]
    label = str(block.get("label", ""))
    items = [str(i) for i in block.get("items", [])]
    par = w.paragraph("attachment_list", label + "\n".join(items))
    hang = text_width_em(label) * body
    par.paragraph_format.left_indent = Pt(2 * body + hang)
    par.paragraph_format.first_line_indent = Pt(-hang)


def _annotation(w: BlockWriter, block: Block) -> None:
    w.paragraph("annotation", str(block.get("text", ""))).paragraph_format.left_indent = Pt(2 * DOCX_SIZES_PT["body"])


def _rgb(hex_color: str) -> Any:
    from docx.shared import RGBColor

    return RGBColor.from_string(hex_color)


WRITERS: dict[str, Callable[[BlockWriter, Block], None]] = {
    "heading": _heading, "paragraph": _paragraph, "bullets": _bullets, "note": _note, "banner": _banner,
    "error": _error, "pre": _pre, "keyvalues": _keyvalues, "table": _table, "figure": _figure,
    "organ": _organ, "doc_number": _doc_number, "title": _title, "recipients": _recipients,
    "signature": _signature, "attachment": _attachment, "attachment_list": _attachment_list,
    "annotation": _annotation, "table_note": _table_note,
}
