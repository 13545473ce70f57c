"""What a report notebook shows: small objects that IPython displays as a mime bundle.

Each object's `_repr_mimebundle_` returns
- 'text/plain': a readable plain-text version (for Jupyter's text views and logs);
- 'text/html': an HTML fragment, every piece of text escaped with `html.escape`;
- 'text/x-typst' (`TYPST_MIME`): a typst *markup* fragment for the PDF (scoring.render joins the
  fragments of all outputs). Text never becomes typst markup: it is emitted only as typst string
  literals (`#"..."`, `strong("...")`), so `#`, `*`, `_`, `$`, `<`, `@`, `[` in data are inert;
- Figure adds 'image/png' (base64); its typst fragment names the picture `fig-<sha256[:16]>.png`
  (`figure_name`) and scoring.render writes the PNG under that name beside the typst source;
- BLOCK_MIME ('application/vnd.credit-county.block+json'): the object as a structured block
  (a JSON object with a "type": heading, paragraph, table, figure, organ, …; scoring.render.document
  lists them), from which scoring.render.docx builds the Word file.

So the HTML, the PDF and the Word file are built from the same executed outputs. Paragraph, Bullets and
Note understand one inline markup: **bold** segments; nothing else is interpreted.
"""

from scoring.render.display.blocks import (
    NOTE_KINDS,
    Banner,
    Bullets,
    Callout,
    ErrorBox,
    Heading,
    KeyValues,
    Markdown,
    Note,
    Paragraph,
)
from scoring.render.display.figure import FIGURE_DPI, TEXT_WIDTH_PT, Figure, figure_name, figure_png, image_typst
from scoring.render.display.layout import Landscape, TableNote
from scoring.render.display.markup import (
    BLOCK_MIME,
    TYPST_MIME,
    DisplayObject,
    bold_segments,
    html_text,
    strip_ansi,
    text_runs,
    typst_content,
    typst_str,
)
from scoring.render.display.official import (
    OFFICIAL_RED,
    Annotation,
    AttachmentHeading,
    AttachmentList,
    DocNumber,
    DocTitle,
    OrganHeader,
    Recipients,
    Signature,
)
from scoring.render.display.table import (
    TABLE_FONT_PT,
    TABLE_MIN_FONT_PT,
    Format,
    Table,
    format_value,
    text_width_em,
)

__all__ = ["BLOCK_MIME", "FIGURE_DPI", "NOTE_KINDS", "OFFICIAL_RED", "TABLE_FONT_PT", "TABLE_MIN_FONT_PT",
           "TEXT_WIDTH_PT", "TYPST_MIME", "Annotation", "AttachmentHeading", "AttachmentList", "Banner", "Bullets",
           "Callout", "DisplayObject", "DocNumber", "DocTitle", "ErrorBox", "Figure", "Format", "Heading",
           "KeyValues", "Landscape", "Markdown", "Note", "OrganHeader", "Paragraph", "Recipients", "Signature", "Table",
           "TableNote", "bold_segments", "figure_name", "figure_png", "format_value", "html_text", "image_typst",
           "strip_ansi", "text_runs", "text_width_em", "typst_content", "typst_str"]
