"""The usual worksheet XML read as cell texts by a few regular-expression scans, without an XML tree.

`sheet_texts(xml, …)` gives exactly what `sheets._parse` (lxml, as openpyxl reads cells) followed by
the readers' `cell_text`, `_rows` and `rows_to_columns` give: the header's texts, the row numbers
of the non-blank rows and their columns (object arrays of texts, None = empty). It accepts only
the plain layout spreadsheet programs write — `<row>` elements of `<c r="B7" s="3" t="s">` cells
(attributes in that order, each optional) holding a `<v>` value or a one-piece inline string —
and proves it read every element: each '<' of the sheet data belongs to a token it recognised.
Anything else (formulas, rich text, comments, prefixes, other attributes, a carriage return
that XML would normalise) gives None, and the lxml reader decides.
"""

from __future__ import annotations

import re
from itertools import repeat
from operator import add, itemgetter
from typing import Any

import numpy as np

from scoring.ingest.grid import Cell, cell_text

_MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_DATA = re.compile(r"<sheetData>(.*)</sheetData>", re.S)
_ROW_START = re.compile(r"<row((?:\s[^<>]*?)?)(/?)>")  # a row's attributes; "/": an empty row
_CELL = re.compile(  # a cell: its reference, then style, data type and the value or inline string (or none)
    r'<c r="([A-Z]{1,3}[0-9]+)"((?: s="[0-9]+")?(?: t="[A-Za-z]+")?'
    r'(?:/>|>(?:<v>[^<]*</v>|<is><t(?: xml:space="preserve")?>[^<]*</t></is>)?</c>))')
_PARTS = re.compile(r'(?: s="([0-9]+)")?(?: t="([A-Za-z]+)")?(?:/>|>(.*)</c>)', re.S)
_ROW_TAG = re.compile(r"<row[\s/>]")
_ROW_NUMBER = re.compile(r'\sr="([0-9]+)"')
_ANY_ROW_NUMBER = re.compile(r"\sr\s*=")
_CONTROLS = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0D, 0x20)])  # not XML characters (and CR)
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9A-Fa-f]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_MAX_ROW = 10_000_000
_COLUMNS: dict[str, int] = {}  # column letters → number


class Unusual(Exception):
    """A layout left to the lxml reader."""


def _entity(m: re.Match[str]) -> str:
    name = m.group(1)
    if name[0] != "#":
        return _NAMED[name]
    code = int(name[2:], 16) if name[1] == "x" else int(name[1:])
    char = chr(code)  # ValueError beyond U+10FFFF: left to lxml
    if not (code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code >= 0x10000):
        raise Unusual(name)  # not an XML character
    return char


def _unescape(text: str) -> str:
    """XML character data as a parser gives it (the five entities and character references)."""
    if "&" not in text:
        return text
    out = _ENTITY.sub(_entity, text)
    if out.count("&") != sum(1 for m in _ENTITY.finditer(text) if m.group(1) == "amp"):
        raise Unusual("&")  # an '&' that is not an entity: not well-formed
    return out


def _column(letters: str) -> int:
    out = 0
    for ch in letters:
        out = out * 26 + ord(ch) - 64
    return out


def sheet_texts(xml: bytes, shared: list[Any], epoch: Any, dates: set[int],
                durations: set[int]) -> tuple[list[Cell], list[int], list[np.ndarray]] | None:
    """Header, row numbers of the non-blank data rows and their columns of one worksheet's XML bytes
    (`shared`: the shared strings; `dates`, `durations`: the style ids read as dates or durations;
    `epoch`: the workbook's); None when the layout is left to the lxml reader."""
    try:
        return _sheet_texts(xml, shared, epoch, dates, durations)
    except (Unusual, ValueError, IndexError, KeyError, OverflowError, TypeError):
        return None


def _text(xml: bytes) -> str | None:
    """The XML as text when it is UTF-8 (its declaration names no other encoding) and holds only
    characters XML allows (no C0 control but tab and line feed, no U+FFFE or U+FFFF, no carriage
    return, which a parser would normalise); else None."""
    declared = xml[:200].lower().split(b"?>")[0]
    if b"encoding=" in declared and b'encoding="utf-8"' not in declared and b"encoding='utf-8'" not in declared:
        return None
    if len(xml.translate(None, _CONTROLS)) != len(xml) or b"\xef\xbf\xbe" in xml or b"\xef\xbf\xbf" in xml:
        return None
    try:
        return xml.decode("utf-8")  # strict: no surrogates either
    except UnicodeDecodeError:
        return None


def _sheet_texts(data: bytes, shared: list[Any], epoch: Any, dates: set[int],
                 durations: set[int]) -> tuple[list[Cell], list[int], list[np.ndarray]] | None:
    xml = _text(data)
    if xml is None:
        return None
    root = xml[:xml.find(">", xml.find("<worksheet")) + 1]
    if "<worksheet" not in root or _MAIN not in root or xml.count("<sheetData>") != 1:
        return None
    data = _DATA.search(xml)
    if data is None:
        return None
    body = data.group(1)
    if len(_ROW_TAG.findall(xml)) != len(_ROW_TAG.findall(body)):
        return None  # rows outside the sheet data
    pieces = body.split("</row>")  # each a row's start tag and cells (after rows with no end tag)
    numbers: list[int] = []  # the row of each piece's cells
    counts: list[int] = []  # how many cells each piece has
    tags, row = len(pieces) - 1, 0  # the '<' of the elements read; the last row number
    for k, piece in enumerate(pieces):
        starts = _ROW_START.findall(piece)
        tags += len(starts)
        for attributes, _empty in starts:
            numbered = _ROW_NUMBER.search(attributes)
            if "xmlns" in attributes or (numbered is None and _ANY_ROW_NUMBER.search(attributes)):
                return None  # a row in another namespace, or numbered unusually
            number = int(numbered.group(1)) if numbered else row + 1
            if number <= row or number > _MAX_ROW:
                return None  # rows out of order or repeated
            row = number
        last = k == len(pieces) - 1
        if [e for _a, e in starts[:-1] if not e] or (starts and not last and starts[-1][1]) or (
                not last and not starts):
            return None  # a row not closed, or a row end without its start
        if last or piece.find("<c") < piece.rfind("<row"):
            if "<c" in piece:
                return None  # a cell outside a row
            continue
        numbers.append(row)
        counts.append(piece.count("<c"))
    cells = _CELL.findall(body)  # in document order, each cell once
    refs, tails = list(map(itemgetter(0), cells)), list(map(itemgetter(1), cells))
    del cells
    if len(tails) != sum(counts) or tags + len(tails) + "".join(tails).count("<") != body.count("<"):
        return None  # a cell not recognised (no reference, a formula, rich text …) or another element
    letters = list(map(str.rstrip, refs, repeat("0123456789")))
    named = np.repeat(np.asarray([str(n) for n in numbers], dtype=object), counts).tolist()
    if refs != list(map(add, letters, named)):
        return None  # a cell of another row
    for name in set(letters).difference(_COLUMNS):
        _COLUMNS[name] = _column(name)
    col_of = np.fromiter(map(_COLUMNS.__getitem__, letters), dtype=np.int64, count=len(letters))
    row_of = np.repeat(np.asarray(numbers, dtype=np.int64), counts)
    memo = _Texts(shared, epoch, dates, durations)
    text = np.empty(len(tails), dtype=object)
    text[:] = list(map(memo.__getitem__, tails))
    there = np.fromiter((t is not _ABSENT for t in text), dtype=bool, count=len(text)) \
        if _ABSENT in memo.values() else np.ones(len(text), dtype=bool)
    return _table(row_of[there], col_of[there], text[there])


_ABSENT = object()  # a cell element without a value: not there


class _Texts(dict):
    """A cell's text by the rest of its element after the reference (style, data type, value), computed
    once (as `sheets._row_cells`, then `grid.cell_text`); `_ABSENT` for a cell without a value."""

    def __init__(self, shared: list[Any], epoch: Any, dates: set[int], durations: set[int]) -> None:
        super().__init__()
        self.shared, self.epoch, self.dates, self.durations = shared, epoch, dates, durations

    def __missing__(self, tail: str) -> Any:
        parts = _PARTS.fullmatch(tail)
        if parts is None:
            raise Unusual(tail)
        style, xml_type, content = parts.groups()
        self[tail] = text = self.text(style, xml_type, content or "")
        return text

    def text(self, style: str | None, xml_type: str | None, content: str) -> Any:
        if xml_type == "inlineStr":
            if not content.startswith("<is>"):
                return _ABSENT  # no inline string: the cell is not there
            return cell_text(_unescape(content[content.index(">", 4) + 1:-9]))
        raw = content[3:-4] if content.startswith("<v>") else ""
        if not raw:
            return _ABSENT  # no value (an empty <v> or none): the cell is not there
        if not xml_type or xml_type == "n":
            s = int(style or 0)
            if s in self.dates:
                return _date_text(raw, self.epoch, s in self.durations)
            return cell_text(float(raw) if ("." in raw or "E" in raw or "e" in raw) else int(raw))
        if xml_type == "s":
            return cell_text(self.shared[int(raw)])
        if xml_type == "b":
            return cell_text(bool(int(raw)))
        if xml_type == "d":
            from openpyxl.utils.datetime import from_ISO8601

            return cell_text(from_ISO8601(_unescape(raw)))
        if xml_type in ("str", "e"):
            return cell_text(_unescape(raw))
        raise Unusual(xml_type)


def _date_text(raw: str, epoch: Any, duration: bool) -> Cell:
    from openpyxl.utils.datetime import from_excel

    value = float(raw) if ("." in raw or "E" in raw or "e" in raw) else int(raw)
    try:
        return cell_text(from_excel(value, epoch, timedelta=duration))
    except (OverflowError, ValueError):
        return "#VALUE!"


def _table(row: np.ndarray, col: np.ndarray, text: np.ndarray) -> tuple[list[Cell], list[int], list[np.ndarray]]:
    """Header (row 1, as wide as its last cell with a value), non-blank rows and their columns
    (as wide as the widest such row) from each valued cell's sheet row, column and text."""
    key = row * 20_000 + col  # cells in sheet order: increasing, unless one is given twice (or out of order)
    if not (np.diff(key) > 0).all() and len(np.unique(key)) != len(key):
        raise Unusual("a cell given twice")
    first = row == 1
    header: list[Cell] = [None] * int(col[first].max() if first.any() else 0)
    for c, t in zip(col[first].tolist(), text[first].tolist(), strict=True):
        header[c - 1] = t
    data = ~first
    filled = data & np.not_equal(text, None)
    numbers = np.unique(row[filled])  # sorted: the rows with a text
    kept = data & np.isin(row, numbers)
    width = int(col[kept].max()) if kept.any() else 0
    grid = np.full((len(numbers), width), None, dtype=object)
    grid[np.searchsorted(numbers, row[kept]), col[kept] - 1] = text[kept]
    return header, numbers.tolist(), [grid[:, j].copy() for j in range(width)]
