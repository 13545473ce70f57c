"""Page layout around other display objects: a landscape run of pages, a small note under a table."""

from __future__ import annotations

import copy
from typing import Any

from scoring.render.display.markup import DisplayObject, html_text, text_runs, typst_content
from scoring.render.display.official import AttachmentHeading
from scoring.render.display.table import Table


class TableNote(DisplayObject):
    """A note printed right under a table (key to short labels, 说明): small, unboxed; **bold** allowed;
    a "\\n" starts a new line."""

    def __init__(self, text: str) -> None:
        self.text = str(text)

    def plain(self) -> str:
        return self.text.replace("**", "")

    def html(self) -> str:
        lines = "<br>".join(html_text(line) for line in self.text.split("\n"))
        return f'<p class="table-note">{lines}</p>'

    def typst(self) -> str:
        lines = " + linebreak() + ".join(typst_content(line) for line in self.text.split("\n"))
        return ("#block(width: 100%, above: 0.6em, below: 1.2em, breakable: true, {\n"
                "  set par(first-line-indent: 0em, justify: false, leading: 0.7em)\n"
                f"  text(size: 9pt, fill: luma(60), {lines})\n}})\n")

    def block(self) -> dict[str, Any]:
        return {"type": "table_note", "text": self.plain(),
                "lines": [text_runs(line) for line in self.text.split("\n")]}


class Landscape(DisplayObject):
    """Objects on landscape page(s) of their own — e.g. an attachment's heading, its wide table and
    the notes under it, so that the heading never stays behind on a portrait page.

    Tables inside must be made with `landscape=True` (sized for the landscape text width); an
    AttachmentHeading inside does not break the page again (the landscape run starts one)."""

    def __init__(self, *objects: DisplayObject) -> None:
        for obj in objects:
            if isinstance(obj, Table) and not obj.landscape:
                raise ValueError("a Table inside Landscape must be made with landscape=True")
        self.objects = [self._unbroken(obj) for obj in objects]

    @staticmethod
    def _unbroken(obj: DisplayObject) -> DisplayObject:
        if isinstance(obj, AttachmentHeading) and obj.page_break:
            obj = copy.copy(obj)
            obj.page_break = False
        return obj

    def plain(self) -> str:
        return "\n\n".join(obj.plain() for obj in self.objects)

    def html(self) -> str:
        return f'<div class="landscape">{"".join(obj.html() for obj in self.objects)}</div>' if self.objects else ""

    def typst(self) -> str:
        inner = "".join(obj.typst_block() if isinstance(obj, Table) else obj.typst() for obj in self.objects)
        return f"#page(flipped: true)[\n{inner}]\n"

    def block(self) -> dict[str, Any]:
        """A group whose blocks all carry "landscape": true (the Word file gives them one landscape section)."""
        return {"type": "group", "blocks": [{**obj.block(), "landscape": True} for obj in self.objects]}

