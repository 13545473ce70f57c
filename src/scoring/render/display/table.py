"""Tables: a DataFrame shown with fitted column widths in HTML and typst (A4 portrait or landscape)."""

from __future__ import annotations

import math
import numbers
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd

from scoring.render.display.figure import TEXT_WIDTH_PT
from scoring.render.display.markup import DisplayObject, html_escape, typst_str

TABLE_FONT_PT = 9.0
TABLE_MIN_FONT_PT = 6.0
TABLE_INSET_PT = 4.0
TABLE_WRAP_EM = 16.0  # a text column wider than this wraps its lines
TABLE_WHOLE_ROWS = 24  # a table of at most this many rows is kept on one page; a longer one breaks
# across pages with its header row repeated on each (typst table.header(repeat: true); Word: w:tblHeader)
_NUMERIC = re.compile(r"^\s*[+\-−]?[\d,]*\.?\d+\s*%?\s*$")


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


def header_width_em(text: str) -> float:
    """Width (em) of a header: its widest line (a "\\n" in a header is a deliberate line break)."""
    return max(text_width_em(line) for line in text.split("\n"))


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
    Pages: up to TABLE_WHOLE_ROWS rows stay on one page; more break across pages, the header row
    repeated on each (any number of units: a ranking of 2,844 rows is about 60 pages).
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
        return max([header_width_em(self.columns[j]), *(text_width_em(r[j]) for r in self.rows)])

    def _needed_widths(self) -> list[float]:
        """Per column, the least width (em) it needs: its widest cell and its header on one line; when
        even the smallest font cannot fit that, headers may take two lines (more when that would make
        the column wider than max(cells, 2.5 em)). Text columns (left-aligned) wrap beyond
        TABLE_WRAP_EM instead of shrinking the whole table; other columns get 0.3 em to spare, as the
        widths are estimates."""

        def widths(header_lines: int) -> list[float]:
            out = []
            for j, col in enumerate(self.columns):
                cells = max((text_width_em(r[j]) for r in self.rows), default=0.0)
                if self.align[j] == "left":
                    cells = min(cells, TABLE_WRAP_EM)
                head = header_width_em(col)
                if header_lines > 1 and "\n" not in col:  # a header broken on purpose keeps its lines
                    head = min(head / 2, max(cells, 2.5))
                need = max(cells, head, 1.0)
                out.append(need if self.align[j] == "left" else need + 0.3)
            return out

        one_line = widths(1)
        avail = TEXT_WIDTH_PT["landscape" if self.landscape else "portrait"] * 0.97 - 2 * self.inset * len(self.columns)
        return one_line if sum(one_line) * TABLE_MIN_FONT_PT <= avail else widths(2)

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
        caption = f"<caption>{html_escape(self.caption)}</caption>" if self.caption else ""
        head = "".join(f'<th class="{a}">{html_escape(c).replace(chr(10), "<br>")}</th>'
                       for c, a in zip(self.columns, self.align, strict=True))
        body = []
        for i, row in enumerate(self.rows):
            cls = ' class="hl"' if i in self.highlight else ""
            cells = "".join(f'<td class="{a}">{html_escape(v)}</td>' for v, a in zip(row, self.align, strict=True))
            body.append(f"<tr{cls}>{cells}</tr>")
        wide = " wide" if len(self.columns) > 10 else ""
        return (f'<div class="table-wrap{wide}"><table class="data">{caption}<thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(body)}</tbody></table></div>")

    def typst_block(self) -> str:
        """The table as a block in the running text (scoring.render.display.layout.Landscape places it)."""
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
            f"  table.header(repeat: true, {header}),\n  {cells}\n)")
        breakable = "true" if len(self.rows) > TABLE_WHOLE_ROWS else "false"
        body = (f"#block(width: 100%, breakable: {breakable}, above: 1.2em, below: 1.2em, {{\n"
                f"  set text(size: {self.font_size}pt)\n  set par(justify: false)\n"
                f"  stack(spacing: 4pt,\n{caption}  {table})\n}})\n")
        return body

    def typst(self) -> str:
        """The table; with `landscape`, on landscape page(s) of its own."""
        body = self.typst_block()
        return f"#page(flipped: true)[\n{body}]\n" if self.landscape and body else body

    def block(self) -> dict[str, Any]:
        """Cells as formatted text; `highlight`: shaded row positions (0-based, body rows)."""
        return {"type": "table", "caption": self.caption, "columns": list(self.columns),
                "rows": [list(r) for r in self.rows], "align": list(self.align),
                "highlight": sorted(self.highlight), "landscape": self.landscape}


