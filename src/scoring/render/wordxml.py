"""Low-level WordprocessingML helpers for scoring.render.docx (what python-docx has no API for):
East Asian fonts, shading, borders, fields, compatibility settings and XML-safe text."""

from __future__ import annotations

import re
from typing import Any

from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from scoring.render.display.markup import isolate_bidi

_THEME_FONT_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: object) -> str:
    """`text` with the characters XML 1.0 cannot hold (control characters, lone surrogates) as U+FFFD,
    bidirectional controls isolated (display.markup.isolate_bidi: the rest of the line keeps its order)."""
    return _NOT_XML.sub("\ufffd", isolate_bidi(str(text)))


#: Child order of the elements these helpers edit (ECMA-376): Word refuses a file whose order is wrong.
_SEQUENCE = {
    "pPr": ("pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd tabs "
            "suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi "
            "adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc textDirection "
            "textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange"),
    "rPr": ("rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof snapToGrid "
            "vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd fitText vertAlign rtl "
            "cs em lang eastAsianLayout specVanish oMath"),
    "tcPr": "cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection tcFitText vAlign hideMark",
    "tblPr": ("tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc tblCellSpacing "
              "tblInd tblBorders shd tblLayout tblCellMar tblLook"),
    "pBdr": "top left bottom right between bar",
    "tblCellMar": "top left start bottom right end",
}


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _child(parent: Any, tag: str) -> Any:
    """`parent`'s child `tag` ('w:name'), created in its schema position if missing."""
    found = parent.find(qn(tag))
    if found is not None:
        return found
    found = OxmlElement(tag)
    order = _SEQUENCE.get(_local(parent.tag), "").split()
    name = tag.partition(":")[2]
    later = set(order[order.index(name) + 1:]) if name in order else set()
    for sibling in parent:
        if _local(sibling.tag) in later:
            sibling.addprevious(found)
            return found
    parent.append(found)
    return found


def set_fonts(rpr: Any, latin: str, east_asia: str) -> None:
    """Set w:rFonts of a w:rPr: ascii/hAnsi/cs = `latin`, eastAsia = `east_asia`; theme fonts removed
    (they would override the names)."""
    fonts = _child(rpr, "w:rFonts")
    for attr in _THEME_FONT_ATTRS:
        fonts.attrib.pop(qn(attr), None)
    for attr, value in (("w:ascii", latin), ("w:hAnsi", latin), ("w:cs", latin), ("w:eastAsia", east_asia)):
        fonts.set(qn(attr), value)


def set_language(rpr: Any, lang: str = "zh-CN") -> None:
    el = _child(rpr, "w:lang")
    for attr in ("w:val", "w:eastAsia"):
        el.set(qn(attr), lang)


def remove_children(parent: Any, *tags: str) -> None:
    for tag in tags:
        for el in parent.findall(qn(tag)):
            parent.remove(el)


def drop_theme_color(rpr: Any) -> None:
    """Remove a style's colour (theme colours of the template's headings): text becomes automatic black."""
    remove_children(rpr, "w:color")


def shade(element_pr: Any, fill: str) -> None:
    """Background `fill` ('RRGGBB') on a w:pPr or w:tcPr."""
    shd = _child(element_pr, "w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)


def paragraph_border(ppr: Any, sides: dict[str, tuple[float, str]], space_pt: int = 4) -> None:
    """Borders on a w:pPr: side ('top', 'left', 'bottom', 'right') → (width in pt, colour 'RRGGBB')."""
    bdr = _child(ppr, "w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        if side in sides:
            width, color = sides[side]
            el = _child(bdr, f"w:{side}")
            el.set(qn("w:val"), "single")
            el.set(qn("w:sz"), str(max(2, round(width * 8))))
            el.set(qn("w:space"), str(space_pt))
            el.set(qn("w:color"), color)


def no_autospace(ppr: Any) -> None:
    """No extra space between CJK and Latin text or digits: the text stays as written (as in the PDF)."""
    for tag in ("w:autoSpaceDE", "w:autoSpaceDN"):
        _child(ppr, tag).set(qn("w:val"), "0")


def add_field(paragraph: Any, instruction: str, placeholder: str = "1") -> None:
    """A complex field (e.g. ' PAGE ') at the end of `paragraph`, showing `placeholder` until updated."""
    def run_with(child: Any) -> None:
        run = OxmlElement("w:r")
        run.append(child)
        paragraph._p.append(run)

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = instruction
    run_with(instr)
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    run_with(sep)
    text = OxmlElement("w:t")
    text.text = placeholder
    run_with(text)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


def no_justify_before_breaks(settings: Any) -> None:
    """A justified line ending in a line break is not stretched (w:doNotExpandShiftReturn)."""
    compat = settings.find(qn("w:compat"))
    if compat is None:
        compat = OxmlElement("w:compat")
        settings.append(compat)
    if compat.find(qn("w:doNotExpandShiftReturn")) is None:
        compat.insert(0, OxmlElement("w:doNotExpandShiftReturn"))
