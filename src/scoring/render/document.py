"""The document model: an executed report notebook's outputs as a list of structured blocks.

Every display object (scoring.render.display) puts its block in its mime bundle
(`display.BLOCK_MIME`, a JSON object with a "type"); a renderer that is not HTML or typst (the
Word file, scoring.render.docx) rebuilds the report from these blocks, never by parsing HTML.
The outputs are taken by the same rules as the HTML and the PDF (scoring.render.notebook):
code cells' display outputs in order, streams dropped, an error as an error box, a bare picture
as a figure, Markdown through display.Markdown, other text as preformatted text.

Block types (keys besides "type"):
- heading: level (1–4), text · paragraph: runs · bullets: items (each a list of runs) ·
  note: kind, runs · banner: text · error: title, message, detail · pre: text ·
  keyvalues: caption, pairs · table: caption, columns, rows, align, highlight, landscape ·
  figure: name, caption, width_in, height_in (the picture: `ReportDocument.images[name]`);
- 公文 parts: organ: text · doc_number: text, rule · title: text, subtitle · recipients: text ·
  signature: organ, date · attachment: label, title, page_break · attachment_list: label, items ·
  annotation: text.
Runs are [{"text": …, "bold": true?}, …]; a text may hold line breaks ("\\n").
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from scoring.render import display
from scoring.render.labels import load_labels

Block = dict[str, Any]
#: A picture without a size of its own (a bare image output) is taken at this resolution (matplotlib's inline default).
BARE_IMAGE_DPI = 100.0
_IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg"}


@dataclass
class ReportDocument:
    """A report as blocks in reading order (groups flattened) and its pictures (file name → bytes)."""

    blocks: list[Block] = field(default_factory=list)
    images: dict[str, bytes] = field(default_factory=dict)

    def of_type(self, kind: str) -> list[Block]:
        return [b for b in self.blocks if b.get("type") == kind]


def output_text(value: Any) -> str:
    """A notebook output's text (nbformat stores it as a string or a list of lines)."""
    return "".join(value) if isinstance(value, list) else str(value)


def decode_image(value: Any) -> bytes | None:
    """The bytes of a base64 picture in a notebook output, None when it is not valid base64."""
    try:
        return base64.b64decode("".join(output_text(value).split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def png_size_in(raw: bytes) -> tuple[float, float] | None:
    """A PNG's size in inches at BARE_IMAGE_DPI, from its header; None if not a PNG."""
    if raw[:8] != b"\x89PNG\r\n\x1a\n" or len(raw) < 24:
        return None
    return int.from_bytes(raw[16:20], "big") / BARE_IMAGE_DPI, int.from_bytes(raw[20:24], "big") / BARE_IMAGE_DPI


def _flatten(block: Any) -> list[Block]:
    if not isinstance(block, Mapping) or not isinstance(block.get("type"), str):
        return []
    if block["type"] == "group":
        return [b for inner in block.get("blocks", []) for b in _flatten(inner)]
    return [dict(block)]


def output_blocks(data: Mapping[str, Any], images: dict[str, bytes]) -> list[Block]:
    """The blocks of one display output (its mime bundle `data`); pictures are added to `images`."""
    block = data.get(display.BLOCK_MIME)
    picture = None
    for mime, ext in _IMAGE_TYPES.items():
        if mime in data and (raw := decode_image(data[mime])) is not None:
            picture = display.figure_name(raw, ext), raw
            break
    if isinstance(block, Mapping):
        blocks = _flatten(block)
        for b in blocks:
            if b["type"] == "figure" and picture is not None:
                b["name"] = picture[0]
                images[picture[0]] = picture[1]
        return [b for b in blocks if b["type"] != "figure" or b.get("name") in images]
    if picture is not None:
        images[picture[0]] = picture[1]
        width, height = png_size_in(picture[1]) or (None, None)
        return [{"type": "figure", "name": picture[0], "caption": None, "width_in": width, "height_in": height}]
    if "text/markdown" in data:
        return _flatten(display.Markdown(output_text(data["text/markdown"])).block())
    if "text/plain" in data:
        return [{"type": "pre", "text": output_text(data["text/plain"])}]
    return []


def shown_outputs(nb: Any) -> Iterator[Mapping[str, Any]]:
    """The outputs a report shows, in order: the errors, displays and results of its code cells."""
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            for output in cell.get("outputs", []):
                if output.get("output_type") in ("error", "display_data", "execute_result"):
                    yield output


def error_box(output: Mapping[str, Any], labels: Mapping[str, str]) -> display.ErrorBox:
    """An error output as the red box a report shows (title from labels `error_title`)."""
    message = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
    detail = "\n".join(output_text(line) for line in output.get("traceback", []))
    return display.ErrorBox(labels["error_title"], message, detail)


def notebook_document(notebook: Any, labels: Mapping[str, str] | None = None) -> ReportDocument:
    """The report an executed notebook (node or .ipynb path) shows, as a ReportDocument."""
    from scoring.render.notebook import read_notebook

    nb = read_notebook(notebook)
    labels = labels or load_labels()
    doc = ReportDocument()
    for output in shown_outputs(nb):
        if output.get("output_type") == "error":
            doc.blocks.append(error_box(output, labels).block())
        else:
            doc.blocks += output_blocks(output.get("data", {}), doc.images)
    return doc
