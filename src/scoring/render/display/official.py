"""The parts of an official document (公文, GB/T 9704) a report may show: issuing-organ line (red
text, never an image), document number with the red rule, title, addressees, signature with date,
attachment heading and list, and a one-line annotation.

The styling here is deliberately plain (the templates refine it); every text is escaped in HTML
and a typst string literal in typst. Each object's block has its own "type" (see scoring.render.document).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scoring.render.display.markup import DisplayObject, html_escape, typst_str

#: The red of the issuing-organ line and of the rule under the document number.
OFFICIAL_RED = "#c00000"
#: The issuing-organ line fills the text width on one line, at most this size (pt).
ORGAN_MAX_PT = 36.0
ORGAN_MIN_PT = 12.0


def _typst_font(name: str) -> str:
    return f"({typst_str(name)},)"


class OrganHeader(DisplayObject):
    """发文机关标志: the issuing organ's name (e.g. '……办公室文件'), centred in red, as large as fits one line."""

    def __init__(self, text: str) -> None:
        self.text = str(text)

    def plain(self) -> str:
        return self.text

    def html(self) -> str:
        return (f'<p class="gw-organ" style="color:{OFFICIAL_RED};text-align:center;font-size:1.9em">'
                f"{html_escape(self.text)}</p>")

    def typst(self) -> str:
        return f"#metadata((text: {typst_str(self.text)},)) <gw-organ>\n"

    def block(self) -> dict[str, Any]:
        return {"type": "organ", "text": self.text}


class DocNumber(DisplayObject):
    """发文字号 (e.g. '临信用办〔2019〕6号'), centred; `rule`: the red separator line under it."""

    def __init__(self, text: str, rule: bool = True) -> None:
        self.text, self.rule = str(text), bool(rule)

    def plain(self) -> str:
        return self.text

    def html(self) -> str:
        rule = (f'<hr class="gw-rule" style="border:0;border-top:2px solid {OFFICIAL_RED};margin:0.4em 0 1.2em">'
                if self.rule else "")
        return f'<p class="gw-number" style="text-align:center">{html_escape(self.text)}</p>{rule}'

    def typst(self) -> str:
        return f"#metadata((text: {typst_str(self.text)}, rule: {str(self.rule).lower()})) <gw-number>\n"

    def block(self) -> dict[str, Any]:
        return {"type": "doc_number", "text": self.text, "rule": self.rule}


class DocTitle(DisplayObject):
    """The document's title (标题), centred and large, with an optional subtitle line under it.

    For a report whose title block is set by the batch (Job.title) this is not needed; a 公文 whose
    organ line and number come first shows its title with this (and the job's title left empty).
    """

    def __init__(self, text: str, subtitle: str = "") -> None:
        self.text, self.subtitle = str(text), str(subtitle)

    def plain(self) -> str:
        return "\n".join(x for x in (self.text, self.subtitle) if x)

    def html(self) -> str:
        sub = f'<p class="gw-subtitle" style="text-align:center">{html_escape(self.subtitle)}</p>' \
            if self.subtitle else ""
        return f'<h1 class="gw-title" style="text-align:center">{html_escape(self.text)}</h1>{sub}'

    def typst(self) -> str:
        return f"#metadata((text: {typst_str(self.text)}, subtitle: {typst_str(self.subtitle)})) <gw-title>\n"

    def block(self) -> dict[str, Any]:
        return {"type": "title", "text": self.text, "subtitle": self.subtitle}


class Recipients(DisplayObject):
    """主送机关: one line, flush left, as given (e.g. '各县区人民政府，……管委会：')."""

    def __init__(self, text: str) -> None:
        self.text = str(text)

    def plain(self) -> str:
        return self.text

    def html(self) -> str:
        return f'<p class="gw-recipients">{html_escape(self.text)}</p>'

    def typst(self) -> str:
        return f"#metadata((text: {typst_str(self.text)},)) <gw-recipients>\n"

    def block(self) -> dict[str, Any]:
        return {"type": "recipients", "text": self.text}


class Signature(DisplayObject):
    """落款: the issuing organ and the date (e.g. '2020年1月5日') on two lines, right-aligned."""

    def __init__(self, organ: str, date: str) -> None:
        self.organ, self.date = str(organ), str(date)

    def plain(self) -> str:
        return f"{self.organ}\n{self.date}"

    def html(self) -> str:
        return (f'<div class="gw-signature" style="text-align:right;margin-top:2em">'
                f"<p>{html_escape(self.organ)}</p><p>{html_escape(self.date)}</p></div>")

    def typst(self) -> str:
        return f"#metadata((organ: {typst_str(self.organ)}, date: {typst_str(self.date)})) <gw-signature>\n"

    def block(self) -> dict[str, Any]:
        return {"type": "signature", "organ": self.organ, "date": self.date}


class AttachmentHeading(DisplayObject):
    """An attachment's start (附件): its label (e.g. '附件1') flush left and its title centred as a
    level-2 heading; `page_break`: the attachment begins a new page."""

    def __init__(self, label: str, title: str = "", page_break: bool = True) -> None:
        self.label, self.title, self.page_break = str(label), str(title), bool(page_break)

    def plain(self) -> str:
        return "\n".join(x for x in (self.label, self.title) if x)

    def html(self) -> str:
        title = f'<h2 class="gw-attachment-title" style="text-align:center">{html_escape(self.title)}</h2>' \
            if self.title else ""
        brk = " page-break" if self.page_break else ""
        return (f'<div class="gw-attachment{brk}"><p class="gw-attachment-label">{html_escape(self.label)}</p>'
                f"{title}</div>")

    def typst(self) -> str:
        return (f"#metadata((label: {typst_str(self.label)}, title: {typst_str(self.title)}, "
                f"page_break: {str(self.page_break).lower()})) <gw-attachment>\n")

    def block(self) -> dict[str, Any]:
        return {"type": "attachment", "label": self.label, "title": self.title, "page_break": self.page_break}


class AttachmentList(DisplayObject):
    """附件说明 after the body: `label` (e.g. '附件：') then the attachments' titles, numbered '1.',
    '2.' … when there is more than one (and `numbered`), the later ones aligned under the first."""

    def __init__(self, label: str, items: Iterable[str], numbered: bool = True) -> None:
        self.label = str(label)
        items = [str(i) for i in items]
        self.items = [f"{n}.{i}" for n, i in enumerate(items, 1)] if numbered and len(items) > 1 else items

    def plain(self) -> str:
        return self.label + "\n".join(self.items)

    def html(self) -> str:
        lines = "<br>".join(html_escape(i) for i in self.items)
        return f'<p class="gw-attachment-list">{html_escape(self.label)}{lines}</p>'

    def typst(self) -> str:
        items = "".join(f"{typst_str(item)}, " for item in self.items)
        return f"#metadata((label: {typst_str(self.label)}, items: ({items}))) <gw-attachment-list>\n"

    def block(self) -> dict[str, Any]:
        return {"type": "attachment_list", "label": self.label, "items": list(self.items)}


class Annotation(DisplayObject):
    """附注: one small line (e.g. data month, run id, short hash)."""

    def __init__(self, text: str) -> None:
        self.text = str(text)

    def plain(self) -> str:
        return self.text

    def html(self) -> str:
        return f'<p class="gw-annotation" style="font-size:0.85em;color:#555">{html_escape(self.text)}</p>'

    def typst(self) -> str:
        return f"#metadata((text: {typst_str(self.text)},)) <gw-annotation>\n"

    def block(self) -> dict[str, Any]:
        return {"type": "annotation", "text": self.text}
