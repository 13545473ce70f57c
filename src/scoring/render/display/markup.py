"""Escaping for the renderings (HTML and typst), the structured block, and the base of every display object.

Text never becomes typst markup: it is emitted only as typst string literals (`#"..."`,
`strong("...")`), so `#`, `*`, `_`, `$`, `<`, `@`, `[` in data are inert. One inline markup is
understood: **bold** segments.

Bidirectional controls in data (a unit name, an entity name from the list records) cannot reorder
the text around them: `isolate_bidi` removes them and isolates what carried them (`<bdi>` in HTML,
FSI … PDI in typst and Word), in the functions through which text enters a document: `html_text`,
`html_escape`, `typst_str`, `typst_content`, `text_runs`.
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


# ----------------------------------------------------------------------------- bidirectional text

#: The bidirectional controls of Unicode (UAX #9): embeddings and overrides (LRE, RLE, PDF, LRO, RLO:
#: U+202A–U+202E), isolates (LRI, RLI, FSI, PDI: U+2066–U+2069) and marks (LRM, RLM, ALM).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
FSI, PDI = "\u2068", "\u2069"  # first strong isolate … pop directional isolate
_BIDI = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")


def has_bidi_controls(text: str) -> bool:
    return _BIDI.search(text) is not None


def strip_bidi(text: str) -> str:
    """`text` without its bidirectional controls."""
    return _BIDI.sub("", text)


def isolate_bidi(text: str) -> str:
    """`text` unchanged when it holds no bidirectional control; else without its controls, between
    FSI (U+2068) and PDI (U+2069).

    A control in data would reorder what follows it up to the end of the paragraph (an RLO in a name
    shows the rest of the sentence backwards; an unpaired isolate or PDF breaks the surrounding ones),
    so none is kept: once removed, no override, embedding or mark of the data is left to act. The
    isolate around the rest keeps what the data still holds (e.g. Arabic-script letters of a name)
    one run, laid out in its own direction, that does not pull neighbouring numbers or punctuation into
    it. Renderers: Chromium lays out `<bdi>` (used for HTML content) and FSI/PDI by ICU's UAX #9;
    typst by the unicode-bidi crate, which implements isolates; LibreOffice by ICU. A renderer that
    does not know isolates (an older Word) still sees no control of the data, and draws nothing for
    FSI and PDI (default-ignorable characters)."""
    if not has_bidi_controls(text):
        return text
    return FSI + strip_bidi(text) + PDI


# ----------------------------------------------------------------------------- escaping


def typst_str(text: object) -> str:
    """`text` as a typst string literal, quoted: backslash, quote and control characters escaped,
    bidirectional controls isolated (`isolate_bidi`)."""
    out = []
    for ch in isolate_bidi(str(text)):
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


def html_escape(text: object) -> str:
    """`text` escaped for HTML element content; a text with bidirectional controls is isolated as
    `<bdi>` (its direction from its first strong character, as FSI), the controls removed (`isolate_bidi`).
    Not for attribute values (there: `html.escape(strip_bidi(text))`)."""
    text = str(text)
    if not has_bidi_controls(text):
        return html.escape(text)
    return f"<bdi>{html.escape(strip_bidi(text))}</bdi>"


def html_text(text: object) -> str:
    """`text` escaped for HTML (`html_escape`), **bold** segments in <strong>, line breaks as <br>."""
    parts = []
    for segment, bold in bold_segments(str(text)):
        escaped = html_escape(segment).replace("\n", "<br>")
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
    """`text` as block runs: [{"text": segment}, {"text": segment, "bold": True}, …] (the **bold** markup),
    bidirectional controls isolated (`isolate_bidi`: FSI … PDI, for Word)."""
    return [{"text": isolate_bidi(segment), "bold": True} if bold else {"text": isolate_bidi(segment)}
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


