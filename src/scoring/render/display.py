"""What a report notebook shows: small objects that IPython displays as a mime bundle.

Each object's `_repr_mimebundle_` returns
- 'text/plain': a readable plain-text version (for Jupyter's text views and logs);
- 'text/html': an HTML fragment, every piece of text escaped with `html.escape`;
- 'text/x-typst' (`TYPST_MIME`): a typst *markup* fragment for the PDF (scoring.render joins the
  fragments of all outputs). Text never becomes typst markup: it is emitted only as typst string
  literals (`#"..."`, `strong("...")`), so `#`, `*`, `_`, `$`, `<`, `@`, `[` in data are inert;
- Figure adds 'image/png' (base64); its typst fragment names the picture `fig-<sha256[:16]>.png`
  (`figure_name`) and scoring.render writes the PNG under that name beside the typst source.

So the HTML and the PDF are built from the same executed outputs. Paragraph, Bullets and
Note understand one inline markup: **bold** segments; nothing else is interpreted.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import math
import numbers
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd

TYPST_MIME = "text/x-typst"
FIGURE_DPI = 150
#: Width of the text on an A4 page with 2 cm margins (portrait, landscape), in points.
TEXT_WIDTH_PT = {"portrait": (21.0 - 4.0) / 2.54 * 72, "landscape": (29.7 - 4.0) / 2.54 * 72}
TABLE_FONT_PT = 9.0
TABLE_MIN_FONT_PT = 6.0
TABLE_INSET_PT = 4.0
TABLE_WRAP_EM = 16.0  # a text column wider than this wraps its lines
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
_NUMERIC = re.compile(r"^\s*[+\-−]?[\d,]*\.?\d+\s*%?\s*$")
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


# ----------------------------------------------------------------------------- base


class DisplayObject:
    """Base: subclasses implement `plain`, `html` and `typst` (and may add more mime types)."""

    def plain(self) -> str:
        raise NotImplementedError

    def html(self) -> str:
        raise NotImplementedError

    def typst(self) -> str:
        raise NotImplementedError

    def extra(self) -> dict[str, str]:
        """More mime types for the bundle (e.g. 'image/png' as base64)."""
        return {}

    def mimebundle(self) -> dict[str, str]:
        return {"text/plain": self.plain(), "text/html": self.html(), TYPST_MIME: self.typst(), **self.extra()}

    def _repr_mimebundle_(self, include: Iterable[str] | None = None,
                          exclude: Iterable[str] | None = None) -> dict[str, str]:
        bundle = self.mimebundle()
        if include is not None:
            bundle = {k: v for k, v in bundle.items() if k in set(include)}
        if exclude is not None:
            bundle = {k: v for k, v in bundle.items() if k not in set(exclude)}
        return bundle

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


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
        return f"<h{self.level}>{html.escape(self.text)}</h{self.level}>"

    def typst(self) -> str:
        return f"#heading(level: {self.level}, {typst_str(self.text)})\n"


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
        return f'<div class="banner">{html.escape(self.text)}</div>'

    def typst(self) -> str:
        return ('#block(width: 100%, fill: rgb("#fff3cd"), stroke: 0.8pt + rgb("#b7791f"), inset: 8pt, radius: 2pt)'
                f"[#align(center, strong({typst_str(self.text)}))]\n")


class ErrorBox(DisplayObject):
    """A red box for a failed cell: title, `message` (e.g. 'ValueError: ...') and a traceback."""

    def __init__(self, title: str, message: str, detail: str = "") -> None:
        self.title, self.message, self.detail = str(title), str(message), strip_ansi(str(detail))

    def plain(self) -> str:
        return "\n".join(x for x in (self.title, self.message, self.detail) if x)

    def html(self) -> str:
        detail = f"<pre>{html.escape(self.detail)}</pre>" if self.detail else ""
        return (f'<div class="error-box"><p class="error-title">{html.escape(self.title)}</p>'
                f'<p class="error-message">{html.escape(self.message)}</p>{detail}</div>')

    def typst(self) -> str:
        detail = (f", block(width: 100%, text(size: 7pt, raw({typst_str(self.detail)}, block: true)))"
                  if self.detail else "")
        return ('#block(width: 100%, fill: rgb("#fdecea"), stroke: 1pt + rgb("#c0392b"), inset: 8pt, '
                f'breakable: true, stack(spacing: 6pt, text(fill: rgb("#c0392b"), strong({typst_str(self.title)})), '
                f"text({typst_str(self.message)}){detail}))\n")


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
        caption = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in self.pairs)
        return f'<table class="kv">{caption}<tbody>{rows}</tbody></table>'

    def typst(self) -> str:
        caption = f"#text(size: 9pt, fill: luma(90), {typst_str(self.caption)})\n" if self.caption else ""
        cells = ", ".join(f"text(fill: luma(70), {typst_str(k)}), {typst_str(v)}" for k, v in self.pairs)
        return (f"{caption}#block(width: 100%, breakable: true, text(size: 9pt, grid(columns: (auto, 1fr), "
                f"column-gutter: 12pt, row-gutter: 6pt, {cells})))\n")


# ----------------------------------------------------------------------------- table

Format = str | Callable[[Any], object]


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def format_value(value: object, fmt: Format | None = None, na_rep: str = "—", float_format: str = "{:.2f}") -> str:
    """One cell as text: `fmt` is a callable, a '{:...}' template or a bare format spec ('.1f')."""
    if _is_missing(value):
        return na_rep
    if callable(fmt):
        return str(fmt(value))
    if isinstance(fmt, str):
        return fmt.format(value) if "{" in fmt else format(value, fmt)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return float_format.format(float(value))
    return str(value)


_NARROW = {".": 0.28, ",": 0.28, ":": 0.28, ";": 0.28, " ": 0.22, "%": 0.92, "|": 0.28, "'": 0.28}


def text_width_em(text: str) -> float:
    """Width of `text` in em in Noto Sans CJK, roughly (measured: digits 0.56, CJK and full-width 1)."""
    width = 0.0
    for ch in text:
        if ch in _NARROW:
            width += _NARROW[ch]
        elif ch.isascii():
            width += 0.6 if ch.isupper() or ch in "mwMW@" else 0.56
        else:
            width += 1.0 if ord(ch) >= 0x2000 else 0.6
    return width


class Table(DisplayObject):
    """A DataFrame as a table (the index is not shown unless `index=True`).

    formats: column → callable or format ('{:.1f}', '.1%'); other floats use `float_format`,
    missing values `na_rep`. align: column → 'left' | 'right' | 'center' (default: right for
    numbers and number-like text, else left). highlight: row positions (0-based) or a predicate
    on the row (a pandas Series) → rows shaded. Width: the font shrinks (down to 6 pt) so that
    the columns fit the text width; `landscape=True` puts the table on its own landscape page(s).
    """

    def __init__(self, frame: pd.DataFrame, caption: str | None = None, formats: Mapping[str, Format] | None = None,
                 align: Mapping[str, str] | None = None,
                 highlight: Iterable[int] | Callable[[pd.Series], bool] | None = None, *, na_rep: str = "—",
                 float_format: str = "{:.2f}", index: bool = False, landscape: bool = False,
                 font_size: float | None = None) -> None:
        if index:
            frame = frame.reset_index()
        formats, align = dict(formats or {}), dict(align or {})
        self.caption = caption
        self.landscape = landscape
        self.columns = [" / ".join(str(x) for x in c if str(x)) if isinstance(c, tuple) else str(c)
                        for c in frame.columns]
        self.rows = [[format_value(v, formats.get(c), na_rep, float_format) for c, v in zip(frame.columns, row,
                                                                                            strict=True)]
                     for row in frame.itertuples(index=False, name=None)]
        self.align = []
        for j, col in enumerate(frame.columns):
            choice = align.get(col)
            if choice is None:
                numeric = pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(frame[col])
                texts = [r[j] for r in self.rows if r[j] != na_rep]
                choice = "right" if numeric or (texts and all(_NUMERIC.match(t) for t in texts)) else "left"
            if choice not in ("left", "right", "center"):
                raise ValueError(f"align for {col!r} must be left, right or center, not {choice!r}")
            self.align.append(choice)
        if highlight is None:
            self.highlight: set[int] = set()
        elif callable(highlight):
            self.highlight = {i for i, (_, row) in enumerate(frame.iterrows()) if highlight(row)}
        else:
            self.highlight = {int(i) for i in highlight}
        self.inset = TABLE_INSET_PT if len(self.columns) <= 10 else TABLE_INSET_PT * 0.6
        self.widths_em = self._needed_widths()
        self.font_size, self.column_widths = self._fit(font_size)

    def _natural_em(self, j: int) -> float:
        """Column j on one line: its widest cell or header (em)."""
        return max([text_width_em(self.columns[j]), *(text_width_em(r[j]) for r in self.rows)])

    def _needed_widths(self) -> list[float]:
        """Per column, the least width (em) it needs: its widest cell, and room for the header on two
        lines (more lines when that would make the column wider than max(cells, 2.5 em)). Text columns
        (left-aligned) wrap beyond TABLE_WRAP_EM instead of shrinking the whole table; other columns
        get 0.3 em to spare, as the widths are estimates."""
        widths = []
        for j, col in enumerate(self.columns):
            cells = max((text_width_em(r[j]) for r in self.rows), default=0.0)
            if self.align[j] == "left":
                cells = min(cells, TABLE_WRAP_EM)
            need = max(cells, min(text_width_em(col) / 2, max(cells, 2.5)), 1.0)
            widths.append(need if self.align[j] == "left" else need + 0.3)
        return widths

    def _fit(self, font_size: float | None) -> tuple[float, list[str] | None]:
        """(font size, typst column widths or None for auto): the largest size ≤ 9 pt (≥ 6 pt) at which
        the needed widths fit the text width.

        When the columns at their natural width fit, typst sizes them (auto). Otherwise number columns
        get fixed widths (grown towards one-line headers, shortest first, with the room the text
        columns do not need on one line) and text columns share the rest (`fr`, wrapping). If even the
        needed widths do not fit, all columns are proportional (`fr`).
        """
        if not self.columns:
            return font_size or TABLE_FONT_PT, None
        avail = TEXT_WIDTH_PT["landscape" if self.landscape else "portrait"] * 0.97
        avail -= 2 * self.inset * len(self.columns)
        fitting = math.floor(avail / sum(self.widths_em) * 10) / 10  # 0.1 pt steps, rounded down
        size = font_size or max(TABLE_MIN_FONT_PT, min(TABLE_FONT_PT, fitting))
        room = avail / size  # em
        natural = [self._natural_em(j) + (0 if a == "left" else 0.3) for j, a in enumerate(self.align)]
        if sum(natural) <= room:
            return size, None
        if sum(self.widths_em) > room:
            warnings.warn(f"a table of {len(self.columns)} columns is too wide for the page even at {size} pt; "
                          "consider Table(..., landscape=True) or fewer columns", stacklevel=3)
            return size, [f"{w:.2f}fr" for w in self.widths_em]
        widths = list(self.widths_em)
        text_grow = sum(max(0.0, n - w) for n, w, a in zip(natural, widths, self.align, strict=True) if a == "left")
        grow = [max(0.0, n - w) if a != "left" else 0.0
                for n, w, a in zip(natural, widths, self.align, strict=True)]
        spare = room - sum(widths) - text_grow  # what is left once the text columns are on one line
        for j in sorted(range(len(widths)), key=lambda k: grow[k]):  # short headers onto one line first
            add = min(grow[j], max(0.0, spare))
            widths[j] += add
            spare -= add
        pad = 2 * self.inset  # a typst column's width includes its cells' inset
        return size, [f"{w:.2f}fr" if a == "left" else f"{w:.2f}em + {pad:g}pt"
                      for w, a in zip(widths, self.align, strict=True)]

    def plain(self) -> str:
        frame = pd.DataFrame(self.rows, columns=self.columns)
        text = frame.to_string(index=False) if self.rows else "  ".join(self.columns)
        return f"{self.caption}\n{text}" if self.caption else text

    def html(self) -> str:
        caption = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        head = "".join(f'<th class="{a}">{html.escape(c)}</th>' for c, a in zip(self.columns, self.align, strict=True))
        body = []
        for i, row in enumerate(self.rows):
            cls = ' class="hl"' if i in self.highlight else ""
            cells = "".join(f'<td class="{a}">{html.escape(v)}</td>' for v, a in zip(row, self.align, strict=True))
            body.append(f"<tr{cls}>{cells}</tr>")
        wide = " wide" if len(self.columns) > 10 else ""
        return (f'<div class="table-wrap{wide}"><table class="data">{caption}<thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(body)}</tbody></table></div>")

    def typst(self) -> str:
        n = len(self.columns)
        if n == 0:
            return ""
        aligns = "(" + ", ".join(f"{a} + horizon" for a in self.align) + ",)"
        columns = "(" + ", ".join(self.column_widths) + ",)" if self.column_widths else str(n)
        header = ", ".join(f"strong({typst_str(c)})" for c in self.columns)
        cells = ",\n  ".join(", ".join(typst_str(v) for v in row) for row in self.rows)
        hl = ", ".join(str(i + 1) for i in sorted(self.highlight))
        fill = f'if y in ({hl},) {{ rgb("#fff3cd") }} else ' if hl else ""
        caption = f"  text(size: 9pt, fill: luma(60), {typst_str(self.caption)}),\n" if self.caption else ""
        table = (
            f"table(\n  columns: {columns},\n  align: {aligns},\n"
            f"  inset: (x: {self.inset:g}pt, y: 3.5pt),\n"
            "  stroke: (x, y) => (top: if y == 0 { 0.8pt } else { 0pt }, "
            "bottom: if y == 0 { 0.6pt } else { 0.3pt + luma(200) }),\n"
            f"  fill: (x, y) => {fill}if y == 0 {{ luma(238) }} else {{ none }},\n"
            f"  table.header({header}),\n  {cells}\n)")
        body = (f"#block(width: 100%, breakable: true, above: 1.2em, below: 1.2em, {{\n"
                f"  set text(size: {self.font_size}pt)\n  set par(justify: false)\n"
                f"  stack(spacing: 4pt,\n{caption}  {table})\n}})\n")
        return f"#page(flipped: true)[\n{body}]\n" if self.landscape else body


# ----------------------------------------------------------------------------- figure


def figure_name(data: bytes, ext: str = "png") -> str:
    """The file name a picture has beside the typst source: fig-<first 16 hex of its sha256>.<ext>."""
    return f"fig-{hashlib.sha256(data).hexdigest()[:16]}.{ext}"


def figure_png(fig: Any, dpi: int = FIGURE_DPI) -> bytes:
    """A matplotlib figure as PNG bytes; no 'Software' metadata, so the same figure gives the same bytes."""
    from scoring.render import fonts

    fonts.setup_matplotlib()  # fonts are resolved when drawing: a figure made before setup still gets them
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None}, facecolor="white")
    return buf.getvalue()


class Figure(DisplayObject):
    """A matplotlib figure as a PNG at `dpi` (default 150), with an optional caption.

    The figure is rendered once and closed (so Jupyter's inline backend does not show it twice).
    Shown at its own size (inches), never wider than the text.
    """

    def __init__(self, figure: Any, caption: str | None = None, dpi: int = FIGURE_DPI, close: bool = True) -> None:
        self.png = figure_png(figure, dpi)
        width_in, height_in = figure.get_size_inches()
        self.width_in, self.height_in = float(width_in), float(height_in)
        self.caption = caption
        self.name = figure_name(self.png)
        if close:
            import matplotlib.pyplot as plt

            plt.close(figure)

    @property
    def b64(self) -> str:
        return base64.b64encode(self.png).decode("ascii")

    def plain(self) -> str:
        return f"[figure {self.width_in:.1f}×{self.height_in:.1f} in{': ' + self.caption if self.caption else ''}]"

    def html(self) -> str:
        alt = html.escape(self.caption or "", quote=True)
        caption = f"<figcaption>{html.escape(self.caption)}</figcaption>" if self.caption else ""
        return (f'<figure><img src="data:image/png;base64,{self.b64}" alt="{alt}" '
                f'style="width:{round(self.width_in * 96)}px"/>{caption}</figure>')

    def typst(self) -> str:
        return image_typst(self.name, self.width_in * 2.54, self.caption)

    def extra(self) -> dict[str, str]:
        return {"image/png": self.b64}


def image_typst(name: str, width_cm: float | None, caption: str | None = None) -> str:
    """Typst for the picture file `name` (beside the source), at most `width_cm` and the text width."""
    limit = f"calc.min(size.width, {width_cm:.2f}cm)" if width_cm else "size.width"
    cap = f", caption: {typst_str(caption)}" if caption else ""
    return (f"#figure(layout(size => image({typst_str(name)}, width: {limit})), "
            f"numbering: none, supplement: none{cap})\n")

