"""Escaping for the renderings (HTML and typst), the structured block, and the base of every display object.

Text never becomes typst markup: it is emitted only as typst string literals (`#"..."`,
`strong("...")`), so `#`, `*`, `_`, `$`, `<`, `@`, `[` in data are inert. One inline markup is
understood: **bold** segments.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

TYPST_MIME = "text/x-typst"
#: The structured block of a display object (a JSON object with a "type"), from which
#: scoring.render.docx rebuilds the document without parsing HTML.
BLOCK_MIME = "application/vnd.credit-county.block+json"
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


# ----------------------------------------------------------------------------- escaping


def typst_str(text: object) -> str:
    """`text` as a typst string literal, quoted: backslash, quote and control characters escaped."""
    out = []
    for ch in str(text):
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or 0xD800 <= ord(ch) < 0xE000:
            out.append(f"\\u{{{ord(ch):x}}}" if not 0xD800 <= ord(ch) < 0xE000 else "\\u{fffd}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def typst_content(text: object) -> str:
    """`text` as a typst content block `[#"..."]`, with **bold** segments as `strong(...)`."""
    parts = []
    for segment, bold in bold_segments(str(text)):
        parts.append(f"#strong({typst_str(segment)})" if bold else f"#{typst_str(segment)}")
    return "[" + "".join(parts) + "]"


def html_text(text: object) -> str:
    """`text` escaped for HTML, **bold** segments in <strong>, line breaks as <br>."""
    parts = []
    for segment, bold in bold_segments(str(text)):
        escaped = html.escape(segment).replace("\n", "<br>")
        parts.append(f"<strong>{escaped}</strong>" if bold else escaped)
    return "".join(parts)


def bold_segments(text: str) -> list[tuple[str, bool]]:
    """Split on **bold** markers: [(segment, is_bold)]; an unpaired ** stays literal."""
    out: list[tuple[str, bool]] = []
    pos = 0
    for match in _BOLD.finditer(text):
        if match.start() > pos:
            out.append((text[pos:match.start()], False))
        out.append((match.group(1), True))
        pos = match.end()
    if pos < len(text) or not out:
        out.append((text[pos:], False))
    return out


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def text_runs(text: object) -> list[dict[str, Any]]:
    """`text` as block runs: [{"text": segment}, {"text": segment, "bold": True}, …] (the **bold** markup)."""
    return [{"text": segment, "bold": True} if bold else {"text": segment}
            for segment, bold in bold_segments(str(text))]


# ----------------------------------------------------------------------------- base


class DisplayObject:
    """Base: subclasses implement `plain`, `html`, `typst` and `block` (and may add more mime types)."""

    def plain(self) -> str:
        raise NotImplementedError

    def html(self) -> str:
        raise NotImplementedError

    def typst(self) -> str:
        raise NotImplementedError

    def block(self) -> dict[str, Any]:
        """The structured block (JSON-serialisable, with a "type"; see scoring.render.document)."""
        raise NotImplementedError

    def extra(self) -> dict[str, str]:
        """More mime types for the bundle (e.g. 'image/png' as base64)."""
        return {}

    def mimebundle(self) -> dict[str, Any]:
        return {"text/plain": self.plain(), "text/html": self.html(), TYPST_MIME: self.typst(),
                BLOCK_MIME: self.block(), **self.extra()}

    def _repr_mimebundle_(self, include: Iterable[str] | None = None,
                          exclude: Iterable[str] | None = None) -> dict[str, Any]:
        bundle = self.mimebundle()
        if include is not None:
            bundle = {k: v for k, v in bundle.items() if k in set(include)}
        if exclude is not None:
            bundle = {k: v for k, v in bundle.items() if k not in set(exclude)}
        return bundle

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


