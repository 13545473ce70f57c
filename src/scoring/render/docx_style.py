"""The Word file's typography in one place (GB/T 9704-like, with open-licensed fonts) and the
styles it defines, so an office can restyle the document in Word by editing a style.

Faces: GB/T 9704 asks for 仿宋 (body), 黑体 (first-level headings), 楷体 (second level) and
小标宋 (title, issuing organ). Their usual fonts are proprietary; the open-licensed (SIL OFL)
substitutes are Noto Serif CJK SC for 仿宋, 楷体 and 小标宋 and Noto Sans CJK SC for 黑体. They are
named in the file (w:eastAsia for Chinese, w:ascii/w:hAnsi for Latin and digits): a computer
without them shows Word's fallback font until they are installed.
"""

from __future__ import annotations

from typing import Any

from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from scoring.render import fonts
from scoring.render.wordxml import drop_theme_color, no_autospace, remove_children, set_fonts, set_language

#: role → font family.
DOCX_FONTS: dict[str, str] = {"body": fonts.SERIF, "heading": fonts.SANS, "title": fonts.SERIF, "mono": fonts.MONO}
#: role → size in pt (三号 16, 二号 22, 四号 14, 小四 12, 五号 10.5).
DOCX_SIZES_PT: dict[str, float] = {
    "body": 16.0, "title": 22.0, "subtitle": 16.0, "heading": 16.0, "heading1": 18.0, "caption": 12.0,
    "table": 10.5, "table_min": 7.5, "note": 14.0, "small": 10.5, "page_number": 14.0, "header": 10.5,
    "attachment_label": 16.0, "mono": 8.0, "organ_max": 36.0, "organ_min": 12.0,
}
#: Page margins in mm (GB/T 9704: text area 156 mm × 225 mm on A4).
MARGINS_MM: dict[str, float] = {"top": 37.0, "bottom": 35.0, "left": 28.0, "right": 26.0}
PAGE_MM = (210.0, 297.0)
#: Body line pitch: 22 lines on the 225 mm text height.
BODY_LINE_PT = 28.95
CELL_MARGIN_PT = 3.0
AMBER, GREY, RED = "B7791F", "555555", "C00000"

STYLE_NAMES = {
    "organ": "CC Organ", "doc_number": "CC Doc Number", "recipients": "CC Recipients",
    "signature": "CC Signature", "attachment_label": "CC Attachment Label", "attachment_list": "CC Attachment List",
    "annotation": "CC Annotation", "note": "CC Note", "banner": "CC Banner", "error": "CC Error",
    "code": "CC Code", "table_text": "CC Table Text", "table_header": "CC Table Header", "figure": "CC Figure",
    "figure_caption": "CC Figure Caption", "header": "CC Header", "page_number": "CC Page Number",
    "spacer": "CC Spacer",
}


def text_width_mm(landscape: bool = False) -> float:
    """The text width of a portrait (or landscape) page, in mm."""
    if landscape:
        return PAGE_MM[1] - MARGINS_MM["top"] - MARGINS_MM["bottom"]
    return PAGE_MM[0] - MARGINS_MM["left"] - MARGINS_MM["right"]


def _font(style: Any, role: str, size: float, *, bold: bool | None = False, color: str | None = None) -> None:
    rpr = style.element.get_or_add_rPr()
    set_fonts(rpr, DOCX_FONTS[role], DOCX_FONTS[role])
    drop_theme_color(rpr)
    remove_children(rpr, "w:szCs", "w:bCs")
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.italic = False
    if color:
        style.font.color.rgb = RGBColor.from_string(color)


def _par(style: Any, *, align: Any = None, first_line: float | None = 0.0, before: float = 0.0, after: float = 0.0,
         line: float | None = None, keep_next: bool | None = None) -> None:
    fmt = style.paragraph_format
    if align is not None:
        fmt.alignment = align
    if first_line is not None:
        fmt.first_line_indent = Pt(first_line)
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if line is None:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        fmt.line_spacing = Pt(line)
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    if keep_next is not None:
        fmt.keep_with_next = keep_next


def _custom(doc: Any, key: str) -> Any:
    style = doc.styles.add_style(STYLE_NAMES[key], WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.quick_style = False
    return style


def setup_styles(doc: Any) -> None:
    """Set the document defaults, Normal, Title, Subtitle, Heading 1–4, List Bullet, Caption, and add
    the CC styles (STYLE_NAMES) of the report's other parts."""
    S, body = DOCX_SIZES_PT, DOCX_SIZES_PT["body"]
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(rpr, DOCX_FONTS["body"], DOCX_FONTS["body"])
    set_language(rpr)
    remove_children(defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")), "w:spacing")
    normal = doc.styles["Normal"]
    _font(normal, "body", body, bold=None)
    _par(normal, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_line=2 * body, line=BODY_LINE_PT)
    normal.paragraph_format.widow_control = True
    no_autospace(normal.element.get_or_add_pPr())

    title = doc.styles["Title"]
    _font(title, "title", S["title"])
    remove_children(title.element.get_or_add_pPr(), "w:pBdr")
    remove_children(title.element.get_or_add_rPr(), "w:spacing", "w:kern")
    _par(title, align=WD_ALIGN_PARAGRAPH.CENTER, before=6, after=6, keep_next=True)
    subtitle = doc.styles["Subtitle"]
    _font(subtitle, "title", S["subtitle"])
    remove_children(subtitle.element.get_or_add_pPr(), "w:numPr")
    remove_children(subtitle.element.get_or_add_rPr(), "w:spacing")
    _par(subtitle, align=WD_ALIGN_PARAGRAPH.CENTER, after=12, keep_next=True)
    for level in (1, 2, 3, 4):
        style = doc.styles[f"Heading {level}"]
        role = "heading" if level <= 2 else "body"
        _font(style, role, S["heading1"] if level == 1 else S["heading"], bold=level == 4)
        _par(style, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_line=2 * body, before=6 if level <= 2 else 0,
             line=BODY_LINE_PT, keep_next=True)
        style.paragraph_format.keep_together = True
    bullet = doc.styles["List Bullet"]
    bullet.paragraph_format.first_line_indent = Pt(-1.25 * body)
    bullet.paragraph_format.left_indent = Pt(3.25 * body)
    caption = doc.styles["Caption"]
    _font(caption, "heading", S["caption"], color="333333")
    _par(caption, align=WD_ALIGN_PARAGRAPH.CENTER, before=8, after=4, keep_next=True)

    for key, role, size, align, extra in (
        ("organ", "title", S["organ_max"], WD_ALIGN_PARAGRAPH.CENTER, {"after": 18, "color": RED}),
        ("doc_number", "body", body, WD_ALIGN_PARAGRAPH.CENTER, {"after": 24}),
        ("recipients", "body", body, WD_ALIGN_PARAGRAPH.LEFT, {"line": BODY_LINE_PT}),
        ("signature", "body", body, WD_ALIGN_PARAGRAPH.RIGHT, {"line": BODY_LINE_PT}),
        ("attachment_label", "heading", S["attachment_label"], WD_ALIGN_PARAGRAPH.LEFT,
         {"line": BODY_LINE_PT, "keep_next": True}),
        ("attachment_list", "body", body, WD_ALIGN_PARAGRAPH.LEFT, {"line": BODY_LINE_PT, "before": 12}),
        ("annotation", "body", S["small"], WD_ALIGN_PARAGRAPH.LEFT, {"before": 12, "color": GREY}),
        ("note", "body", S["note"], WD_ALIGN_PARAGRAPH.JUSTIFY, {"before": 6, "after": 6}),
        ("banner", "heading", S["note"], WD_ALIGN_PARAGRAPH.CENTER, {"before": 6, "after": 6, "bold": True}),
        ("error", "body", S["small"], WD_ALIGN_PARAGRAPH.LEFT, {}),
        ("code", "mono", S["mono"], WD_ALIGN_PARAGRAPH.LEFT, {}),
        ("table_text", "body", S["table"], None, {}),
        ("table_header", "heading", S["table"], None, {"keep_next": True}),
        ("figure", "body", body, WD_ALIGN_PARAGRAPH.CENTER, {"before": 6, "keep_next": True}),
        ("figure_caption", "heading", S["caption"], WD_ALIGN_PARAGRAPH.CENTER, {"after": 8, "color": "333333"}),
        ("header", "body", S["header"], WD_ALIGN_PARAGRAPH.CENTER, {"color": AMBER}),
        ("page_number", "body", S["page_number"], None, {}),
        ("spacer", "body", 6.0, WD_ALIGN_PARAGRAPH.LEFT, {"line": 6.0}),
    ):
        style = _custom(doc, key)
        _font(style, role, size, bold=extra.get("bold", False), color=extra.get("color"))
        _par(style, align=align, before=extra.get("before", 0), after=extra.get("after", 0), line=extra.get("line"),
             keep_next=extra.get("keep_next"))
