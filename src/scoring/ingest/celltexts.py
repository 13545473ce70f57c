"""The text of each distinct cell element of the usual worksheet XML, after its reference (its tail).

`_distinct` factorises the tails (style, data type, value) as arrays of 8-byte words, hashed; `_tail_texts`
gives each distinct tail's text as `sheets._row_cells` then `grid.cell_text` give it: one regular expression
over them all, numbers written out in bulk, inline strings unescaped at once (`_unescape_all`), dates by
openpyxl's `from_excel`. `Unusual` (a layout left to the lxml reader) is raised by both modules.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from scoring.ingest.grid import Cell, cell_text

_TAILS = re.compile(  # each of NUL-joined cell elements after the reference: style, data type, the value, or
    r'(?<![^\x00])(?: s="([0-9]+)")?(?: t="([A-Za-z]+)")?'  # an inline string ('<is>' and its text), or none
    r'(?:/>|>(?:<v>([^<]*)</v>|(<is>)<t(?: xml:space="preserve")?>([^<]*)</t></is>)?</c>)(?![^\x00])')
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9A-Fa-f]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_WIDTHS = (24, 48, 96, 192)  # the widths (bytes) of the slices compared as words
_MIX = np.uint64(0x9E3779B97F4A7C15)
_MASKS = np.array([0, *((1 << 8 * k) - 1 for k in range(1, 9))], dtype=np.uint64)  # k low-order bytes of 8


def _has_fraction(raw: str) -> bool:
    """A number's text with a fraction or an exponent: read as a float (else as an int, as openpyxl does)."""
    return "." in raw or "E" in raw or "e" in raw


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


def _unescape_all(texts: list[str]) -> list[str]:
    """`_unescape` of each text (none holds a NUL), all at once: the text after each '&' must start with an
    entity's name and ';' (as `_ENTITY` matches it), each name's character found once."""
    joined = "\x00".join(texts)
    if "&" not in joined:
        return texts
    head, *parts = joined.split("&")
    split = [part.partition(";") for part in parts]
    chars = {}
    for name, semicolon in {(name, semicolon) for name, semicolon, _rest in split}:
        found = _ENTITY.fullmatch(f"&{name}{semicolon}")
        if found is None:
            raise Unusual("&")  # an '&' that is not an entity: not well-formed
        chars[name] = _entity(found)
    out = head + "".join([chars[name] + rest for name, _semicolon, rest in split])
    if out.count("&") != joined.count("&amp;"):  # each text gives at least its own '&amp;'s
        raise Unusual("&")  # a reference to '&', as `_unescape`
    return out.split("\x00")


def _distinct(data: bytes, octets: np.ndarray, start: np.ndarray,
              end: np.ndarray) -> tuple[np.ndarray, list[bytes]]:
    """The distinct slices `data[start:end]` and each slice's index into them. A slice of up to 192 bytes is
    an array of 8-byte words (zeros after its end: the sheet holds no NUL), hashed, the hashes factorised
    and each slice compared with its class's representative; longer ones (or a hash collision) as bytes."""
    length = end - start
    code = np.empty(len(start), dtype=np.int64)
    representatives: list[np.ndarray] = []
    count, low, rest = 0, 0, [np.flatnonzero(length > _WIDTHS[-1])]
    for width in _WIDTHS:
        at = np.flatnonzero((length > low) & (length <= width))
        low, size = width, length[at]
        if not len(at):
            continue
        words = np.lib.stride_tricks.sliding_window_view(octets, width)[start[at]].view("<u8")
        hashed = np.zeros(len(at), dtype=np.uint64)
        for k in range(width // 8):
            words[:, k] &= _MASKS[np.clip(size - 8 * k, 0, 8)]  # the slice's bytes of this word
            hashed = (hashed ^ words[:, k]) * _MIX
        found, classes = pd.factorize(hashed)
        first = np.zeros(len(classes), dtype=np.int64)
        first[found] = np.arange(len(found))
        if not (words == words[first][found]).all():
            rest.append(at)  # a hash collision: these compared as bytes
            continue
        code[at] = found + count
        count += len(classes)
        representatives.append(at[first])
    chosen = np.concatenate([*representatives, np.zeros(0, dtype=np.int64)])
    out = [data[a:b] for a, b in zip(start[chosen].tolist(), end[chosen].tolist(), strict=True)]
    at = np.concatenate(rest)
    if len(at):  # the others as bytes
        slices = [data[a:b] for a, b in zip(start[at].tolist(), end[at].tolist(), strict=True)]
        index = dict.fromkeys(slices)
        for k, key in enumerate(index, start=count):
            index[key] = k
        code[at] = np.fromiter(map(index.__getitem__, slices), dtype=np.int64, count=len(slices))
        out.extend(index)
    return code, out


_ABSENT = object()  # a cell element without a value: not there


def _tail_texts(tails: str, count: int, shared: list[Any], epoch: Any, dates: set[int],
                durations: set[int]) -> list[Any]:
    """The text of each of the `count` distinct tails of cell elements (after the reference: style, data
    type, value; `tails`: joined by NULs), as `sheets._row_cells` then `grid.cell_text` give it; `_ABSENT`
    for a cell without a value. Inline strings are unescaped all at once; a number without a date style is
    `cell_text(float(raw))` or `cell_text(int(raw))`, written out here: its digits as `str` or `repr` give them."""
    parts = _TAILS.findall(tails) if count else []
    if len(parts) != count:
        raise Unusual("a cell not recognised")  # no reference, a formula, rich text …
    out: list[Any] = [None] * count
    inline: list[int] = []
    strings: list[str] = []
    dated = {style for style in {part[0] for part in parts} if int(style or 0) in dates}  # date styles
    for k, (style, xml_type, raw, is_, text) in enumerate(parts):
        if is_ and xml_type == "inlineStr":
            inline.append(k)
            strings.append(text)
        elif raw and (not xml_type or xml_type == "n") and style not in dated:
            if _has_fraction(raw):
                number = float(raw)
                out[k] = str(int(number)) if number.is_integer() else repr(number)
            else:
                out[k] = str(int(raw))
        else:
            out[k] = _value_text(style, xml_type, raw, text if is_ else None, shared, epoch, dates, durations)
    for k, text in zip(inline, _unescape_all(strings), strict=True):
        out[k] = text.strip() or None  # cell_text of a text
    return out


def _value_text(style: str | None, xml_type: str | None, raw: str, text: str | None, shared: list[Any],
                epoch: Any, dates: set[int], durations: set[int]) -> Any:
    """One cell's text from its style, data type, `<v>` value ('' when none) and inline string (None when none)."""
    if xml_type == "inlineStr":
        if text is None:
            return _ABSENT  # no inline string: the cell is not there
        return cell_text(_unescape(text))
    if not raw:
        return _ABSENT  # no value (an empty <v> or none): the cell is not there
    if not xml_type or xml_type == "n":
        s = int(style or 0)
        if s in dates:
            return _date_text(raw, epoch, s in durations)
        return cell_text(float(raw) if _has_fraction(raw) else int(raw))
    if xml_type == "s":
        return cell_text(shared[int(raw)])
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

    value = float(raw) if _has_fraction(raw) else int(raw)
    try:
        return cell_text(from_excel(value, epoch, timedelta=duration))
    except (OverflowError, ValueError):
        return "#VALUE!"
