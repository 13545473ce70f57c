"""A table's cells by column: from the rows of a sheet or CSV file, or straight from CSV text.

The usual department CSV file — no quote character, every data row as wide as the others — is
read without a Python loop per row, giving exactly what `csv.reader` and the reader's stripping
give (cells stripped, empty cells None, blank rows left out, rows numbered as records from 1, the
header): `bytes_grid` splits its bytes with Arrow's CSV reader and decodes and strips each column's
distinct cells once (the cells share those strings), when its lines end in \n or \r\n and none is
empty; `text_grid` splits any other such text by string operations over the whole of it. Both give
None for any other file, which the csv module then reads.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from itertools import repeat, zip_longest

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from scoring.ingest.columns import remember_factorisation

Cell = str | None


def rows_to_columns(body: Sequence[tuple[int, Sequence[Cell]]]) -> tuple[list[int], list[np.ndarray]]:
    """Row numbers and columns (object arrays, as many as the widest row has cells) of (number, cells) rows."""
    numbers = [n for n, _ in body]
    columns = [np.array(col, dtype=object) for col in zip_longest(*(c for _, c in body), fillvalue=None)]
    return numbers, columns


def cell_text(value: object) -> Cell:
    """A cell value as the text a user sees: None when empty; 3.0 → '3'; dates as YYYY-MM-DD."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value).strip()
    return text or None


def value_rows(records: Iterable[list[object]]) -> tuple[list[Cell], list[tuple[int, list[Cell]]]]:
    """Header and non-blank rows, cells as text, numbered from 1 (the header)."""
    header: list[Cell] = []
    body = []
    for number, record in enumerate(records, start=1):
        cells = [cell_text(v) for v in record]
        if number == 1:
            header = cells
        elif any(c is not None for c in cells):
            body.append((number, cells))
    return header, body


def _cells(line: str) -> list[Cell]:
    return [c.strip() or None for c in line.split(",")] if line else []


Grid = tuple[list[Cell], list[int], list[np.ndarray]]  # header, row numbers, columns (object arrays)


def text_grid(text: str) -> Grid | None:
    """Header, row numbers of the non-blank rows and their columns of CSV `text` without quotes
    and with data rows all of one width; None when the csv module must read it."""
    if '"' in text or "\x00" in text:
        return None
    return _split_grid(text)


# Codecs in which a byte below 0x80 is always that ASCII character: a comma, quote or line end is never
# part of another character, and an ASCII cell reads the same (UTF-8, GBK, GB18030, GB2312, Big5).
_ASCII_SAFE = frozenset({"utf-8", "gbk", "gb18030", "gb2312", "big5", "ascii"})


def bytes_grid(data: bytes, encodings: tuple[str, ...]) -> tuple[Grid, str] | None:
    """`text_grid` of the text `readers.detect_encoding` decodes from `data`, and that encoding, without
    decoding the whole file: Arrow splits the bytes and each column's distinct cells are decoded, in the
    first of `encodings` all of them and the header fit, as the whole text would be. None for a file
    Arrow does not take, for an encoding not `_ASCII_SAFE`, or when no encoding fits (the caller then
    decodes the whole text, and tells where it is not text)."""
    bom = data.startswith(codecs.BOM_UTF8)
    tried = ("utf-8",) if bom else encodings
    if not all(_codec(e) in _ASCII_SAFE for e in tried):
        return None
    raw = data[len(codecs.BOM_UTF8):] if bom else data
    if b'"' in raw or b"\x00" in raw:
        return None
    parsed = _parsed(raw)
    if parsed is None:
        return None
    header, table = parsed
    coded = [(column, _as_text(column.dictionary))
             for column in (pc.dictionary_encode(col.combine_chunks()) for col in table.columns)]
    for encoding in tried:
        try:
            texts = [header.decode(encoding), *(_decoded(column, utf8, _codec(encoding)) for column, utf8 in coded)]
        except UnicodeDecodeError:
            continue
        return _grid(texts[0], table.num_rows, texts[1:]), "utf-8-sig" if bom else encoding
    return None


def _as_text(cells: pa.Array) -> pa.Array | None:
    """Cells of bytes as Arrow text when every one is UTF-8 (checked as Python's decoder checks), else None."""
    try:
        return cells.cast(pa.string())
    except pa.ArrowInvalid:
        return None


def _codec(encoding: str) -> str:
    """The codec's own name ('UTF8' → 'utf-8'), or the name itself when Python knows no such codec."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return encoding


def _decoded(coded: pa.DictionaryArray, utf8: pa.Array | None,
             codec: str) -> tuple[list[str], np.ndarray, pa.Array | None]:
    """A dictionary-encoded column of bytes (`utf8`: its distinct cells as text when they are UTF-8) as
    its distinct cells' texts in `codec` (an `_ASCII_SAFE` one), the codes, and the texts as Arrow text
    when known; UnicodeDecodeError when a cell is not text in it."""
    if utf8 is not None and (codec == "utf-8" or pc.all(pc.string_is_ascii(utf8)).as_py()):
        return utf8.to_pylist(), coded.indices.to_numpy(), utf8  # (ASCII reads the same in every safe codec)
    if codec == "utf-8":
        raise UnicodeDecodeError(codec, b"", 0, 1, "not UTF-8")
    return _decoded_cells(coded.dictionary, codec), coded.indices.to_numpy(), None


def _decoded_cells(cells: pa.BinaryArray, codec: str) -> list[str]:
    """`[cell.decode(codec) for cell in cells]`, decoded at once: the cells joined by line ends (a byte
    no `_ASCII_SAFE` codec reads as part of another character, and no cell of a split line holds), the
    text split there. UnicodeDecodeError when a cell is not text in `codec`."""
    if len(cells) < 2:
        return [cell.decode(codec) for cell in cells.to_pylist()]
    offsets = np.frombuffer(cells.buffers()[1], dtype=np.int32)[cells.offset:cells.offset + len(cells) + 1]
    data = np.frombuffer(cells.buffers()[2] or b"", dtype=np.uint8)[offsets[0]:offsets[-1]]
    return np.insert(data, offsets[1:-1] - offsets[0], ord("\n")).tobytes().decode(codec).split("\n")


_NO_QUOTES = pcsv.ParseOptions(delimiter=",", quote_char=False, double_quote=False, escape_char=False,
                               newlines_in_values=False, ignore_empty_lines=False)


def _parsed(raw: bytes) -> tuple[bytes, pa.Table] | None:
    """The header line and the data rows (columns of bytes) of CSV bytes whose lines end in \n or
    \r\n, with no empty line and a data row, every row as wide as the first (Arrow refuses another)
    and none longer than the csv module's field limit in bytes; None for any other.

    Lines are told apart by counting: the body's bytes are each row's cells, width − 1 commas, its
    line feed and the carriage returns; an empty line or a carriage return alone makes that count
    exceed the body (Arrow reads either as a row end), so no scan of the text looks for them."""
    returns = raw.count(b"\r") if b"\r" in raw else 0
    first = raw.find(b"\n")
    if first < 0:
        return None  # one line: no data row
    header = raw[:first].removesuffix(b"\r")
    if not header or len(raw) <= first + 1 or raw.startswith(codecs.BOM_UTF8, first + 1) or raw.endswith(b"\r"):
        return None  # an empty first line, no data row, a byte-order mark Arrow would drop from row 2, or a
        # carriage return alone at the end (the line feed added below would make it a line end)
    body = memoryview(raw)[first + 1:] if raw.endswith(b"\n") else raw[first + 1:] + b"\n"  # (Arrow: one line
    end = raw.find(b"\n", first + 1)  # without its end is no row)
    width = raw.count(b",", first + 1, end if end >= 0 else len(raw)) + 1
    if width == 1 and (b"\n\n" in raw or b"\n\r\n" in raw):
        return None  # an empty line (wider rows: told by their lengths below)
    options = pcsv.ConvertOptions(column_types={f"f{i}": pa.binary() for i in range(width)}, null_values=[],
                                  strings_can_be_null=False, quoted_strings_can_be_null=False)
    try:
        table = pcsv.read_csv(pa.py_buffer(body),
                              read_options=pcsv.ReadOptions(use_threads=False, autogenerate_column_names=True,
                                                            block_size=max(1 << 20, len(body) // 4 + 1)),
                              parse_options=_NO_QUOTES, convert_options=options)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # rows of different widths (or another layout Arrow does not take)
    lengths = sum((pc.binary_length(col).to_numpy(zero_copy_only=False).astype(np.int64) for col in table.columns),
                  start=width - 1)  # each line's bytes, were its cells parted by width − 1 commas
    if int(lengths.sum()) + table.num_rows + returns - raw.startswith(b"\r\n", first - 1) != len(body):
        return None  # more bytes counted than the body has: an empty line (Arrow reads a row of empty cells
        # without commas) or a carriage return not before a line feed (Arrow ends a row there too)
    if max(len(header), int(np.max(lengths))) > csv.field_size_limit():
        return None  # a line that may be longer than the field limit: the csv module tells whether a cell is
    return header, table


# The characters `str.strip` removes (`str.isspace`; tests/test_ingest_grid_arrow.py checks the list).
_SPACES = pa.array(list("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                        "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"), pa.string())


_SPACE_CHARS = frozenset(_SPACES.to_pylist())
# A text's first (last) UTF-8 byte when it starts (ends) with one of `_SPACES`: the texts with such a
# byte there are the only ones that may start or end with a space (CJK texts have them now and then).
_SPACE_FIRST_BYTE, _SPACE_LAST_BYTE = np.zeros(256, dtype=bool), np.zeros(256, dtype=bool)
_SPACE_FIRST_BYTE[[c.encode("utf-8")[0] for c in _SPACE_CHARS]] = True
_SPACE_LAST_BYTE[[c.encode("utf-8")[-1] for c in _SPACE_CHARS]] = True


def _stripped(texts: list[str], arrow: pa.Array | None = None) -> tuple[np.ndarray, bool]:
    """`t.strip() or None` of each text (`arrow`: the same texts as Arrow text, when at hand), as an object
    array, and whether any text changed: only the texts that start or end with a space (any `str.isspace`
    character) are stripped by Python — found among those whose first or last UTF-8 byte is one a space
    starts or ends with (`_SPACE_FIRST_BYTE`, `_SPACE_LAST_BYTE`: read from the array's bytes)."""
    out = np.empty(len(texts), dtype=object)
    out[:] = texts
    if not texts:
        return out, False
    arrow = pa.array(texts, pa.string()) if arrow is None else arrow
    width = np.int64 if pa.types.is_large_string(arrow.type) else np.int32
    offsets = np.frombuffer(arrow.buffers()[1], dtype=width)[arrow.offset:arrow.offset + len(arrow) + 1]
    data = np.frombuffer(arrow.buffers()[2] or b"", dtype=np.uint8)
    blank = offsets[1:] == offsets[:-1]
    filled = np.flatnonzero(~blank)
    edge = _SPACE_FIRST_BYTE[data[offsets[filled]]] | _SPACE_LAST_BYTE[data[offsets[filled + 1] - 1]]
    edged = [i for i in filled[edge].tolist() if texts[i][0] in _SPACE_CHARS or texts[i][-1] in _SPACE_CHARS]
    for i in edged:
        out[i] = texts[i].strip() or None
    out[blank] = None
    return out, bool(edged) or bool(blank.any())


def _grid(header: str, rows: int, columns: list[tuple[list[str], np.ndarray, pa.Array | None]]) -> Grid:
    """The grid of a header and each column's distinct texts and codes: texts stripped once (`str.strip`,
    as the reader strips a cell; empty: None), rows of empty cells left out, rows numbered from 2. Each
    column's factorisation is remembered (`columns.remember_factorisation`): the distinct texts of a
    UTF-8 column are Arrow's distinct cells, in order of appearance; others (stripped, emptied, or
    decoded from another codec, where two byte sequences may read alike) are factorised again, few."""
    out, found, empty = [], [], np.ones(rows, dtype=bool)
    for texts, codes, arrow in columns:
        distinct, changed = _stripped(texts, arrow)
        if changed or arrow is None:
            merged, uniques = pd.factorize(distinct)  # (None: −1)
            cell_codes = merged[codes]
        else:
            cell_codes, uniques = codes.astype(np.int64), distinct
        empty &= cell_codes < 0
        out.append(distinct[codes])
        found.append((cell_codes, uniques))
    numbers = np.arange(2, rows + 2)
    if empty.any():  # rows of empty cells only
        out = [column[~empty] for column in out]
        found = [(codes[~empty], uniques) for codes, uniques in found]
        numbers = numbers[~empty]
    for column, (codes, uniques) in zip(out, found, strict=True):
        remember_factorisation(column, codes, uniques)
    return _cells(header), numbers.tolist(), out


def _split_grid(text: str) -> Grid | None:
    """`text_grid` of any text without quotes by string operations over the whole text."""
    lines = _lines(text)
    if lines[-1] == "":
        lines.pop()  # the end of the last line
    if not lines:
        return [], [], []
    if len(text) > csv.field_size_limit() and max(map(len, lines)) > csv.field_size_limit():
        return None  # the csv module tells that a cell is too long
    header = _cells(lines[0])
    body = lines[1:]
    del lines
    if "" in body:  # empty lines: records without cells
        numbers = [n for n, line in enumerate(body, start=2) if line]
        body = [line for line in body if line]
    else:
        numbers = list(range(2, len(body) + 2))
    if not body:
        return header, [], []
    commas = set(map(str.count, body, repeat(",")))
    if len(commas) != 1:
        return None  # rows of different widths
    width = commas.pop() + 1
    flat = ",".join(body).split(",")
    del body
    grid = np.fromiter(map(str.strip, flat), dtype=object, count=len(flat)).reshape(-1, width)  # rows × columns
    del flat
    empty = grid == ""
    columns = [np.ascontiguousarray(grid[:, j]) for j in range(width)]
    del grid
    for column, found in zip(columns, empty.T, strict=True):
        if found.any():
            column[found] = None
    blank = empty.all(axis=1)  # rows of empty cells only
    if blank.any():
        columns = [column[~blank] for column in columns]
        numbers = np.asarray(numbers)[~blank].tolist()
    return header, numbers, columns


def _lines(text: str) -> list[str]:
    """The lines of `text`, whichever line ends it has (\\n, \\r\\n, \\r): split once when every end is \\r\\n."""
    if "\r" not in text:
        return text.split("\n")
    lines = text.split("\r\n")
    if text.count("\r") == len(lines) - 1 == text.count("\n"):  # every \r and \n in a \r\n
        return lines
    del lines
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
