"""Text blocks: headings, paragraphs, bullets, notes, the synthetic-data banner, error boxes,
Markdown, key–value lists."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from scoring.render.display.markup import (
    DisplayObject,
    html_escape,
    html_text,
    strip_ansi,
    text_runs,
    typst_content,
    typst_str,
)

# ----------------------------------------------------------------------------- text


class Heading(DisplayObject):
    """A section heading, level 1 (largest) to 4."""

    def __init__(self, text: str, level: int = 2) -> None:
        if level not in (1, 2, 3, 4):
            raise ValueError(f"heading level must be 1 to 4, not {level!r}")
        self.text, self.level = str(text), level

    def plain(self) -> str:
        return self.text

    def html(self) -> str:
        return f"<h{self.level}>{html_escape(self.text)}</h{self.level}>"

    def typst(self) -> str:
        return f"#heading(level: {self.level}, {typst_str(self.text)})\n"

    def block(self) -> dict[str, Any]:
        return {"type": "heading", "level": self.level, "text": self.text}


class Paragraph(DisplayObject):
    """Narrative text; **bold** segments are the only markup."""

    def __init__(self, text: str) -> None:
        self.text = str(text)

    def plain(self) -> str:
        return self.text.replace("**", "")

    def html(self) -> str:
        return f"<p>{html_text(self.text)}</p>"

    def typst(self) -> str:
        return f"#par{typst_content(self.text)}\n"

    def block(self) -> dict[str, Any]:
        return {"type": "paragraph", "runs": text_runs(self.text)}


class Bullets(DisplayObject):
    """A bulleted list; each item may have **bold** segments."""

    def __init__(self, items: Iterable[str]) -> None:
        self.items = [str(i) for i in items]

    def plain(self) -> str:
        return "\n".join(f"- {i.replace('**', '')}" for i in self.items)

    def html(self) -> str:
        return "<ul>" + "".join(f"<li>{html_text(i)}</li>" for i in self.items) + "</ul>"

    def typst(self) -> str:
        if not self.items:
            return ""
        return "#list(" + ", ".join(typst_content(i) for i in self.items) + ")\n"

    def block(self) -> dict[str, Any]:
        return {"type": "bullets", "items": [text_runs(i) for i in self.items]}


NOTE_KINDS = {"info": ("#eaf2fb", "#1f5fa8"), "warning": ("#fff3cd", "#b7791f"), "error": ("#fdecea", "#c0392b")}


class Note(DisplayObject):
    """A boxed remark: kind 'info' (blue) or 'warning' (amber); **bold** allowed."""

    def __init__(self, text: str, kind: str = "info") -> None:
        if kind not in NOTE_KINDS:
            raise ValueError(f"note kind must be one of {sorted(NOTE_KINDS)}, not {kind!r}")
        self.text, self.kind = str(text), kind

    def plain(self) -> str:
        return f"[{self.kind}] {self.text.replace('**', '')}"

    def html(self) -> str:
        return f'<div class="note note-{self.kind}">{html_text(self.text)}</div>'

    def typst(self) -> str:
        fill, line = NOTE_KINDS[self.kind]
        return (f'#block(width: 100%, fill: rgb("{fill}"), stroke: (left: 2.5pt + rgb("{line}")), inset: 8pt, '
                f"breakable: true){typst_content(self.text)}\n")

    def block(self) -> dict[str, Any]:
        return {"type": "note", "kind": self.kind, "runs": text_runs(self.text)}


Callout = Note


class Banner(DisplayObject):
    """The synthetic-data mark at the top of a report (text default: labels `render.synthetic_header`)."""

    def __init__(self, text: str | None = None) -> None:
        if text is None:
            from scoring.render.labels import load_labels

            text = load_labels()["synthetic_header"]
        self.text = str(text)

    def plain(self) -> str:
        return f"【{self.text}】"

    def html(self) -> str:
        return f'<div class="banner">{html_escape(self.text)}</div>'

    def typst(self) -> str:
        return ('#block(width: 100%, fill: rgb("#fff3cd"), stroke: 0.8pt + rgb("#b7791f"), inset: 8pt, radius: 2pt)'
                f"[#align(center, strong({typst_str(self.text)}))]\n")

    def block(self) -> dict[str, Any]:
        return {"type": "banner", "text": self.text}


class ErrorBox(DisplayObject):
    """A red box for a failed cell: title, `message` (e.g. 'ValueError: ...') and a traceback."""

    def __init__(self, title: str, message: str, detail: str = "") -> None:
        self.title, self.message, self.detail = str(title), str(message), strip_ansi(str(detail))

    def plain(self) -> str:
        return "\n".join(x for x in (self.title, self.message, self.detail) if x)

    def html(self) -> str:
        detail = f"<pre>{html_escape(self.detail)}</pre>" if self.detail else ""
        return (f'<div class="error-box"><p class="error-title">{html_escape(self.title)}</p>'
                f'<p class="error-message">{html_escape(self.message)}</p>{detail}</div>')

    def typst(self) -> str:
        detail = (f", block(width: 100%, text(size: 7pt, raw({typst_str(self.detail)}, block: true)))"
                  if self.detail else "")
        return ('#block(width: 100%, fill: rgb("#fdecea"), stroke: 1pt + rgb("#c0392b"), inset: 8pt, '
                f'breakable: true, stack(spacing: 6pt, text(fill: rgb("#c0392b"), strong({typst_str(self.title)})), '
                f"text({typst_str(self.message)}){detail}))\n")

    def block(self) -> dict[str, Any]:
        return {"type": "error", "title": self.title, "message": self.message, "detail": self.detail}


class Markdown(DisplayObject):
    """A very small Markdown subset: '#' headings, blank-line paragraphs, '- ' bullets, **bold**.

    Anything else is shown as literal text (links, HTML and code are not interpreted).
    """

    def __init__(self, text: str) -> None:
        self.blocks: list[DisplayObject] = []
        para: list[str] = []
        items: list[str] = []

        def flush() -> None:
            if para:
                self.blocks.append(Paragraph(" ".join(para)))
                para.clear()
            if items:
                self.blocks.append(Bullets(list(items)))
                items.clear()

        for raw in str(text).splitlines():
            line = raw.strip()
            heading = re.match(r"^(#{1,4})\s+(.*)$", line)
            if not line:
                flush()
            elif heading:
                flush()
                self.blocks.append(Heading(heading.group(2).strip(), level=len(heading.group(1))))
            elif re.match(r"^[-*+]\s+", line):
                if para:
                    flush()
                items.append(re.sub(r"^[-*+]\s+", "", line))
            else:
                if items:
                    flush()
                para.append(line)
        flush()

    def plain(self) -> str:
        return "\n\n".join(b.plain() for b in self.blocks)

    def html(self) -> str:
        return "".join(b.html() for b in self.blocks)

    def typst(self) -> str:
        return "".join(b.typst() for b in self.blocks)

    def block(self) -> dict[str, Any]:
        return {"type": "group", "blocks": [b.block() for b in self.blocks]}


# ----------------------------------------------------------------------------- key values


class KeyValues(DisplayObject):
    """Two columns, key and value (e.g. provenance: file → sha256); all text escaped."""

    def __init__(self, pairs: Mapping[str, object] | Iterable[tuple[str, object]], caption: str | None = None) -> None:
        items = pairs.items() if isinstance(pairs, Mapping) else pairs
        self.pairs = [(str(k), str(v)) for k, v in items]
        self.caption = caption

    def plain(self) -> str:
        lines = [f"{k}: {v}" for k, v in self.pairs]
        return "\n".join([self.caption, *lines] if self.caption else lines)

    def html(self) -> str:
        caption = f"<caption>{html_escape(self.caption)}</caption>" if self.caption else ""
        rows = "".join(f"<tr><th>{html_escape(k)}</th><td>{html_escape(v)}</td></tr>" for k, v in self.pairs)
        return f'<table class="kv">{caption}<tbody>{rows}</tbody></table>'

    def typst(self) -> str:
        caption = f"#text(size: 9pt, fill: luma(90), {typst_str(self.caption)})\n" if self.caption else ""
        cells = ", ".join(f"text(fill: luma(70), {typst_str(k)}), {typst_str(v)}" for k, v in self.pairs)
        return (f"{caption}#block(width: 100%, breakable: true, text(size: 9pt, grid(columns: (auto, 1fr), "
                f"column-gutter: 12pt, row-gutter: 6pt, {cells})))\n")

    def block(self) -> dict[str, Any]:
        return {"type": "keyvalues", "caption": self.caption, "pairs": [[k, v] for k, v in self.pairs]}


