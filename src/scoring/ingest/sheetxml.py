"""The usual worksheet XML read as cell texts by vectorised scans over its bytes, without an XML tree.

`sheet_texts(xml, …)` gives exactly what `sheets._parse` (lxml, as openpyxl reads cells) followed by
the readers' `cell_text`, `_rows` and `rows_to_columns` give: the header's texts, the row numbers
of the non-blank rows and their columns (object arrays of texts, None = empty). It accepts only
the plain layout spreadsheet programs write — `<row>` elements of `<c r="B7" s="3" t="s">` cells
(attributes in that order, each optional) holding a `<v>` value or a one-piece inline string —
and proves it read every element: each '<' of the sheet data belongs to a token it recognised.
Anything else (formulas, rich text, comments, prefixes, other attributes, a carriage return
that XML would normalise) gives None, and the lxml reader decides.

How (numpy over the bytes, Python per distinct cell content): every '<' and '>' of the sheet data is
found once and each '<' classed by the two bytes after it (a cell, a row, a row's end, a cell's end);
the order of row starts, cells and row ends is checked as one string of their kinds. References are
parsed as arrays (1–3 letters, then the digits of their row's number, compared as 8-byte words), the
row tags `<row r="7">` too (any other by the regular expressions). The rest of each cell element after
its reference (its tail: style, data type, value) is factorised as words and its text computed once
per distinct tail, in `celltexts`.
"""

from __future__ import annotations

import re
from itertools import repeat
from typing import Any

import numpy as np

from scoring.ingest.celltexts import _ABSENT, _MASKS, _WIDTHS, Unusual, _distinct, _tail_texts
from scoring.ingest.grid import Cell

__all__ = ["Unusual", "sheet_texts"]

_MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_ROW_START = re.compile(r"<row((?:\s[^<>]*?)?)(/?)>")  # a row's attributes; "/": an empty row
_ORDER = re.compile(rb"(?:e*oc*/)*e*o?")  # row starts (o; e: an empty row), cells (c) and row ends (/)
_ROW_TAG = re.compile(r"<row[\s/>]")
_ROW_NUMBER = re.compile(r'\sr="([0-9]+)"')
_ANY_ROW_NUMBER = re.compile(r"\sr\s*=")
_MAX_ROW = 10_000_000
_PAD = bytes(_WIDTHS[-1])  # after the sheet: every look-ahead stays within the array
_LT, _GT, _QUOTE, _SLASH = 60, 62, 34, 47
_KINDS = np.zeros(1 << 16, dtype=np.uint8)  # a '<' by its next two bytes: c (a cell), r (a row), / (a row's
_KINDS[ord("c") << 8:(ord("c") + 1) << 8], _KINDS[ord("r") << 8:(ord("r") + 1) << 8] = ord("c"), ord("r")  # end)
_KINDS[_SLASH << 8 | ord("r")], _KINDS[_SLASH << 8 | ord("c")] = ord("/"), ord("x")  # x: '</c', a cell's end
_POWERS = 10 ** np.arange(8)  # a row number (≤ 10,000,000) has as many digits as powers of ten ≤ it


def sheet_texts(xml: bytes, shared: list[Any], epoch: Any, dates: set[int],
                durations: set[int]) -> tuple[list[Cell], list[int], list[np.ndarray]] | None:
    """Header, row numbers of the non-blank data rows and their columns of one worksheet's XML bytes
    (`shared`: the shared strings; `dates`, `durations`: the style ids read as dates or durations;
    `epoch`: the workbook's); None when the layout is left to the lxml reader."""
    try:
        return _sheet_texts(xml, shared, epoch, dates, durations)
    except (Unusual, ValueError, IndexError, KeyError, OverflowError, TypeError):
        return None


def _text(xml: bytes, octets: np.ndarray) -> str | None:
    """The XML (`octets`: its bytes as an array) as text when it is UTF-8 (its declaration names no other
    encoding) and holds only characters XML allows (no C0 control but tab and line feed, no U+FFFE or
    U+FFFF, no carriage return, which a parser would normalise); else None."""
    declared = xml[:200].lower().split(b"?>")[0]
    if b"encoding=" in declared and b'encoding="utf-8"' not in declared and b"encoding='utf-8'" not in declared:
        return None
    low = octets < 0x20
    if low.any() and ((octets[low] != 0x09) & (octets[low] != 0x0A)).any():
        return None
    if xml.find(b"\xef") != -1:
        lead = np.flatnonzero(octets[:-2] == 0xEF)
        if ((octets[lead + 1] == 0xBF) & ((octets[lead + 2] | 1) == 0xBF)).any():
            return None  # U+FFFE or U+FFFF
    try:
        return xml.decode("utf-8")  # strict: no surrogates either
    except UnicodeDecodeError:
        return None


def _sheet_texts(data: bytes, shared: list[Any], epoch: Any, dates: set[int],
                 durations: set[int]) -> tuple[list[Cell], list[int], list[np.ndarray]] | None:
    octets = np.frombuffer(data + _PAD, dtype=np.uint8)  # positions are byte offsets into `data`
    xml = _text(data, octets[:len(data)])
    if xml is None:
        return None
    root = xml[:xml.find(">", xml.find("<worksheet")) + 1]
    if "<worksheet" not in root or _MAIN not in root:
        return None
    start, end = data.find(b"<sheetData>") + len(b"<sheetData>"), data.rfind(b"</sheetData>")
    if start < len(b"<sheetData>") or end < start or data.find(b"<sheetData>", end) != -1:
        return None  # not one sheet data (another one inside it is a '<' of no token read, below)
    if _ROW_TAG.search(data[:start].decode()) or _ROW_TAG.search(data[end:].decode()):
        return None  # rows outside the sheet data
    marks = np.flatnonzero((octets[start:end] | 2) == _GT) + start  # every '<' (0x3C) and '>' (0x3E) of the sheet data
    opening = np.flatnonzero(octets[marks] == _LT)
    lt = marks[opening]  # every '<'
    tag_end = np.append(marks, end)[opening + 1]  # the mark after each '<': its tag's end when a '>'
    after, second = octets[lt + 1], octets[lt + 2]
    kind = _KINDS[(after.astype(np.uint16) << 8) | second]  # the '<' of cells, rows, row ends, '</c'; 0: others
    found = np.flatnonzero(kind)
    sort = kind[found]
    cell, row, close = (found[sort == ord(k)] for k in "cr/")
    if not _is(octets, lt[close] + 2, b"row>") or (octets[tag_end[np.concatenate([cell, row])]] != _GT).any():
        return None  # '</r…' not a row end, or a cell or row tag not ended before the next '<'
    starts, empty, numbers = _row_starts(data, octets, lt[row], tag_end[row])
    kind[row] = np.where(empty, ord("e"), ord("o"))
    sort = kind[found]
    if _ORDER.fullmatch(sort[sort != ord("x")].tobytes()) is None:
        return None  # a row not closed, a row end without its start, a cell outside a row or an empty row's
    rows = np.cumsum(sort == ord("o"))[sort == ord("c")] - 1  # each cell's row: the last one started (an index)
    row_numbers = numbers[~empty]
    col_of, tail_start = _references(octets, lt[cell], rows, row_numbers)
    ends = lt[found[sort == ord("x")]]  # the '</c' (the first after a cell's tag: its end, unless it ends '/>')
    following = np.cumsum(sort == ord("x"))[sort == ord("c")]  # '</c' up to each cell's '<': its next one
    head_end = tag_end[cell]
    closed = octets[head_end - 1] == _SLASH
    if not (closed | (following < len(ends))).all():
        return None  # a cell not closed
    tail_end = np.where(closed, head_end + 1, np.append(ends, 0)[np.minimum(following, len(ends))] + 4)
    code, distinct = _distinct(data, octets, tail_start, tail_end)
    tails = b"\x00".join(distinct).decode()
    inner = np.fromiter(map(str.count, tails.split("\x00"), repeat("<")), dtype=np.int64, count=len(distinct))
    if len(lt) - len(starts) - len(close) - len(tail_start) != int(inner[code].sum()):
        return None  # a '<' of none of the tokens read: another element
    values = np.empty(len(distinct), dtype=object)
    values[:] = _tail_texts(tails, len(distinct), shared, epoch, dates, durations)
    row_of, filled = row_numbers[rows], np.not_equal(values, None)
    if _ABSENT in values:  # cells without a value: not there
        there = np.flatnonzero((values != _ABSENT)[code])
        row_of, col_of, code = row_of[there], col_of[there], code[there]
    return _table(row_of, col_of, values[code], filled[code])


def _is(octets: np.ndarray, at: np.ndarray, text: bytes) -> bool:
    """Whether `text` is found at each of the positions `at`."""
    return all((octets[at + k] == c).all() for k, c in enumerate(text))


def _row_starts(data: bytes, octets: np.ndarray, at: np.ndarray,
                ends: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The row tags from the '<r' at `at` to the '>' at `ends`: their positions, which are empty (`<row …/>`)
    and their row numbers (as the lxml reader counts rows: 'r', else one after the last); Unusual when one is
    not a row start, is in another namespace, numbered unusually, or rows are out of order or repeated."""
    window = octets[at[:, None] + np.arange(8, 19)]  # after '<row r="': the digits, '"', '>' or '/>'
    digit = (window >= ord("0")) & (window <= ord("9"))
    width = digit.argmin(axis=1)
    rows = np.arange(len(at))
    plain = (_is_each(octets, at, b'<row r="') & (width > 0) & (window[rows, width] == _QUOTE)
             & ((ends == at + 9 + width) | ((ends == at + 10 + width) & (octets[ends - 1] == _SLASH))))
    numbers = np.zeros(len(at), dtype=np.int64)
    for k in range(window.shape[1] - 1):  # <row r="7">: the number read here
        numbers = np.where(k < width, numbers * 10 + window[:, k] - ord("0"), numbers)
    empty = octets[ends - 1] == _SLASH
    numbered = plain.copy()
    for k in np.flatnonzero(~plain).tolist():  # any other row tag: its attributes read as the lxml reader does
        tag = _ROW_START.fullmatch(data[at[k]:ends[k] + 1].decode())
        if tag is None:
            raise Unusual("a '<r' not a row start")
        attributes, slash = tag.groups()
        number = _ROW_NUMBER.search(attributes)
        if "xmlns" in attributes or (number is None and _ANY_ROW_NUMBER.search(attributes)):
            raise Unusual("a row in another namespace, or numbered unusually")
        empty[k], numbered[k] = bool(slash), number is not None
        numbers[k] = min(int(number.group(1)), _MAX_ROW + 1) if number else 0
    if not numbered.all():  # rows without a number: one after the last
        for k in np.flatnonzero(~numbered).tolist():
            numbers[k] = numbers[k - 1] + 1 if k else 1
    if len(numbers) and (numbers[0] < 1 or numbers.max() > _MAX_ROW or (np.diff(numbers) <= 0).any()):
        raise Unusual("rows out of order or repeated")
    return at, empty, numbers


def _is_each(octets: np.ndarray, at: np.ndarray, text: bytes) -> np.ndarray:
    """For each position of `at`, whether `text` is found there."""
    out = np.ones(len(at), dtype=bool)
    for k, c in enumerate(text):
        out &= octets[at + k] == c
    return out


def _references(octets: np.ndarray, heads: np.ndarray, rows: np.ndarray,
                numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column numbers (A = 1) of the cells starting `<c r="` at `heads` (`rows`: each one's row, an index
    into the row `numbers`) and where each one's tail starts (after the reference's quote); Unusual
    unless each reference is 1–3 letters then its row's number, as `str` writes it."""
    if not _is(octets, heads + 1, b'c r="'):
        raise Unusual("a '<c' not a cell with a reference")
    width = np.searchsorted(_POWERS, numbers, side="right")  # digits of each row number (1 … 8)
    packed = np.zeros(len(numbers), dtype=np.uint64)  # each row number's digits as big-endian bytes
    for k in range(len(_POWERS)):
        digit = (numbers // 10**k % 10 + ord("0")).astype(np.uint64) << np.uint64(8 * k)
        packed |= np.where(k < width, digit, np.uint64(0))
    digits = width[rows]
    letters = np.zeros(len(heads), dtype=np.int64)  # 1–3: the letters before the first quote found
    for k in (3, 2, 1):
        letters[octets[heads + 6 + k + digits] == _QUOTE] = k
    first, second, third = (octets[heads + k].astype(np.int64) - ord("A") + 1 for k in (6, 7, 8))
    letter = [(c >= 1) & (c <= 26) for c in (first, second, third)]
    quote = heads + 6 + letters + digits
    ending = np.lib.stride_tricks.sliding_window_view(octets, 8)[quote - 8].view(">u8")[:, 0]  # before the quote
    if not ((letters > 0) & letter[0] & ((letters < 2) | letter[1]) & ((letters < 3) | letter[2])
            & (ending & _MASKS[digits] == packed[rows])).all():
        raise Unusual("a reference not 1–3 letters and its row's number")
    col = np.where(letters == 1, first, np.where(letters == 2, first * 26 + second,
                                                 (first * 26 + second) * 26 + third))
    return col, quote + 1


def _table(row: np.ndarray, col: np.ndarray, text: np.ndarray,
           filled: np.ndarray) -> tuple[list[Cell], list[int], list[np.ndarray]]:
    """Header (row 1, as wide as its last cell with a value), non-blank rows and their columns
    (as wide as the widest such row) from each valued cell's sheet row (in sheet order), column and text
    (`filled`: the text is not None)."""
    key = row * 20_000 + col  # cells in sheet order: increasing, unless one is given twice (or out of order)
    if not (np.diff(key) > 0).all() and len(np.unique(key)) != len(key):
        raise Unusual("a cell given twice")
    heading = int(np.searchsorted(row, 2))  # row 1's cells come first
    header: list[Cell] = [None] * int(col[:heading].max() if heading else 0)
    for c, t in zip(col[:heading].tolist(), text[:heading].tolist(), strict=True):
        header[c - 1] = t
    row, col, text, filled = row[heading:], col[heading:], text[heading:], filled[heading:]
    new = np.flatnonzero(np.diff(row, prepend=-1))  # where each row's cells start
    rows = np.cumsum(np.diff(row, prepend=-1) != 0) - 1  # each cell's row (an index into `new`)
    shown = np.bincount(rows, weights=filled, minlength=len(new)) > 0  # the rows with a text
    numbers = row[new[shown]]
    kept = np.flatnonzero(shown[rows])
    at = (np.cumsum(shown) - 1)[rows[kept]]  # each kept cell's row among `numbers`
    width = int(col[kept].max()) if len(kept) else 0
    grid = np.full((width, len(numbers)), None, dtype=object)  # a column a row: each one contiguous
    grid[col[kept] - 1, at] = text[kept]
    return header, numbers.tolist(), [grid[j].copy() for j in range(width)]
