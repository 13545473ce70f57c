"""Reading back the files this program wrote: with the discipline of department input.

The titles register (data/titles.csv), a processed month (data/processed/M: metrics.csv,
list_entries.csv, manifest.json), a stage folder (stage.json, the stage tables, index.yaml)
and a build's provenance.json are read through `read_state_text`, `read_state_json` and
`read_state_csv`: a file that is missing, unreadable, not UTF-8, empty, not valid JSON, cut
short, without its columns or with values of the wrong kind is a StateError naming the file
(and the row, column, value and rule where they exist) and what to run to write it again.
Reading writes nothing. A plain CSV (what this program writes) is read by Arrow (`_arrow_frame`),
giving exactly the frame pandas gives; any other, and any with a problem, is read by pandas and
checked cell by cell.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from scoring.csvbytes import text_offsets
from scoring.errors import StateError
from scoring.safeio import restore_cell

#: How a message names the kind a value should have.
KIND_NAMES = {str: "text", float: "a number", int: "a whole number", bool: "True or False", dict: "an object",
              list: "a list"}
SHOWN = 3  # cell problems shown per column (then a count of the rest)
_TEXT = pa.large_string()
_STR = pd.Series([], dtype=str).dtype  # what pandas reads a text column as (dtype=str)
_ARROW_TEXT = pd.StringDtype("pyarrow", na_value=np.nan) == _STR  # (pandas' text on Arrow: _arrow_frame applies)
_NUMBER_BYTES = b"0123456789.eE+-"  # the bytes of a number pandas and Arrow read alike (no 'nan', no spaces)
_INT_BYTES = b"0123456789-"
_FRACTION_BYTES = (b".", b"e", b"E")  # one of them: a number with a fraction or exponent


def short(value: object) -> str:
    """A value as a message shows it (its repr, at most 60 characters)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def read_state_text(path: Path, what: str, fix: str) -> str:
    """A text file this program wrote (UTF-8, a BOM tolerated); StateError naming the file when it
    is missing, unreadable, not UTF-8 or empty. `what` names the file for a user, `fix` says what to do."""
    return _read_state_data(path, what, fix)[1]


def _read_state_data(path: Path, what: str, fix: str) -> tuple[bytes, str]:
    """read_state_text's text and its UTF-8 bytes (without the BOM)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise StateError(f"{path}: {what} is missing — {fix}") from exc
    except OSError as exc:
        raise StateError(f"{path}: cannot read {what} ({exc.strerror or exc}) — {fix}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise StateError(f"{path}: {what} is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}) — "
                         f"{fix}") from exc
    if not text or text.isspace():  # (as `not text.strip()`, without copying the text)
        raise StateError(f"{path}: {what} is empty — {fix}")
    return (data[len(codecs.BOM_UTF8):] if data.startswith(codecs.BOM_UTF8) else data), text


def read_state_json(path: Path, what: str, fix: str, fields: dict[str, type | tuple[type, ...]] | None = None,
                    ) -> dict[str, Any]:
    """A JSON object this program wrote (stage.json, manifest.json, provenance.json), as read_state_text
    checks it, then: valid JSON, an object, and each key of `fields` that is present of its type(s)."""
    text = read_state_text(path, what, fix)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StateError(f"{path}: {what} is not valid JSON — damaged or cut short at line {exc.lineno}, column "
                         f"{exc.colno} ({exc.msg}); {fix}") from exc
    if not isinstance(data, dict):
        raise StateError(f"{path}: {what} is not a JSON object — {fix}")
    problems = [f"{path}: key {key!r}: value {short(data[key])} — must be "
                + " or ".join(KIND_NAMES.get(k, "null") for k in (kinds if isinstance(kinds, tuple) else (kinds,)))
                for key, kinds in (fields or {}).items()
                if key in data and not _is_kind(data[key], kinds if isinstance(kinds, tuple) else (kinds,))]
    if problems:
        raise StateError(f"{path}: {what} is damaged — {fix}", problems=[*problems, f"{path}: {fix}"])
    return data


def _is_kind(value: object, kinds: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return bool in kinds
    if value is None:
        return type(None) in kinds
    return isinstance(value, tuple(k for k in kinds if k is not bool)) or (float in kinds and isinstance(value, int))


def _plain_header(text: str, data: bytes | None = None) -> list[str] | None:
    """The header of a CSV text that needs no parsing — no quote, no carriage return, every non-empty
    line with the header's number of commas — else None (then `csv.reader` reads it). Counted on the
    UTF-8 bytes (`data`, when at hand): with k commas in the header and L non-empty lines, there are
    k × L commas and the k-th one of each run of k lies in its line (so each line holds exactly k)."""
    if '"' in text or "\r" in text:
        return None
    array = np.frombuffer(text.encode("utf-8") if data is None else data, dtype=np.uint8)
    breaks = np.flatnonzero(array == ord("\n"))
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [len(array)]))
    filled = ends > starts  # the non-empty lines
    starts, ends = starts[filled], ends[filled]
    if not len(starts):
        return None
    first = len(text) - len(text.lstrip("\n")) if text.startswith("\n") else 0
    stop = text.find("\n", first)
    header = text[first:stop if stop >= 0 else len(text)]
    k = header.count(",")
    commas = np.flatnonzero(array == ord(","))
    if len(commas) != k * len(starts):
        return None
    if k and not ((commas[::k] >= starts).all() and (commas[k - 1::k] < ends).all()):
        return None
    return header.split(",")


def _csv_shape(path: Path, text: str, what: str, data: bytes | None = None) -> tuple[list[str], list[str]]:
    """The header and the problems of the CSV's structure: a row with another number of fields than
    the header (damaged or cut short), an unclosed quote. `data`: text's UTF-8 bytes, if at hand."""
    plain = _plain_header(text, data)
    if plain is not None:  # what csv.reader would find, without reading every row through it
        return plain, []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] = []
    problems: list[str] = []
    bad = 0
    row = 0
    try:
        for fields in reader:
            if not fields:
                continue
            row += 1
            if row == 1:
                header = fields
            elif len(fields) != len(header):
                bad += 1
                if bad <= SHOWN:
                    problems.append(f"{path}: row {row}: {len(fields)} field(s), the header has {len(header)} — "
                                    f"{what} is damaged or cut short")
    except csv.Error as exc:
        problems.append(f"{path}: row {row + 1} (line {reader.line_num}): {exc} — {what} is damaged or cut short")
    if bad > SHOWN:
        problems.append(f"{path}: and {bad - SHOWN} more row(s) with another number of fields than the header")
    return header, problems


def _cell_problems(path: Path, frame: pd.DataFrame, col: str, kind: type) -> list[str]:
    """Cells of `col` that are not of `kind` (empty cells are allowed: a missing number)."""
    values = frame[col]
    if kind is str or len(values) == 0:
        return []
    if kind is bool:
        wrong = ~values.isin([True, False, "True", "False"]) & values.notna()
    elif pd.api.types.is_bool_dtype(values):
        wrong = pd.Series(True, index=values.index)
    elif kind is float:
        wrong = pd.to_numeric(values, errors="coerce").isna() & values.notna()
    else:
        number = pd.to_numeric(values, errors="coerce")
        wrong = (number.isna() & values.notna()) | (number.notna() & (number % 1 != 0))
    rows = list(values.index[wrong.to_numpy()])
    lines = [f"{path}: row {i + 2}, column {col!r}: value {short(values[i])} — must be {KIND_NAMES[kind]}"
             for i in rows[:SHOWN]]
    if len(rows) > SHOWN:
        lines.append(f"{path}: column {col!r}: and {len(rows) - SHOWN} more value(s) that are not {KIND_NAMES[kind]}")
    return lines


def _arrow_frame(data: bytes, columns: dict[str, type] | None, categories: bool) -> pd.DataFrame | None:
    """What read_state_csv's pandas reading gives for a plain CSV (UTF-8 `data` without BOM, quote,
    carriage return or NUL, the header on its first line, every row with the header's fields, every
    value of its column's kind), read by Arrow — or None whenever pandas could read it otherwise or
    find a problem (then pandas and the checks read it). Text stays text (categories: sorted, as
    pandas'); a float column's cells are numbers without spaces, 'nan' or 'inf' (so both parsers give
    the same double), at least one with a fraction or exponent or empty (pandas' float64); whole
    numbers are ≤ 18 digits, never empty; booleans are True / False."""
    if (not _ARROW_TEXT or any(b in data for b in (b'"', b"\r", b"\0")) or data.startswith(b"\n")
            or b"\n" not in data):
        return None
    header = data[:data.find(b"\n")].decode("utf-8").split(",")
    columns = dict.fromkeys(header, str) if columns is None else columns
    if len(header) < 2 or len(set(header)) != len(header) or "" in header or set(header) != set(columns):
        return None
    convert = pacsv.ConvertOptions(column_types=dict.fromkeys(header, pa.large_binary()), null_values=[],
                                   strings_can_be_null=False, quoted_strings_can_be_null=False)
    try:  # (as bytes: `data` is UTF-8, so is every cell of it)
        table = pacsv.read_csv(pa.py_buffer(data), pacsv.ReadOptions(use_threads=False, block_size=1 << 22),
                               pacsv.ParseOptions(quote_char=False), convert)
    except pa.ArrowInvalid:  # (a row with another number of fields)
        return None
    if table.column_names != header or not table.num_rows:  # (no row: pandas reads it)
        return None
    made = {}
    for col in header:
        cells = table.column(col).combine_chunks().view(_TEXT)
        made[col] = _arrow_column(cells, columns[col], categories)
        if made[col] is None:
            return None
    return pd.DataFrame(made)


def _inferred(texts: pa.Array) -> bool:
    """Whether pandas' categories of these texts are not texts: all numbers (pd.to_numeric) or all
    True / False in any case (read_csv's inference of categories)."""
    if pc.all(pc.is_in(pc.utf8_lower(texts), pa.array(["true", "false"], _TEXT))).as_py():
        return True
    for some in (texts[:8], texts):  # (one text that is no number is enough: often among the first)
        if pd.to_numeric(pd.Index(_STR.__from_arrow__(some)), errors="coerce").isna().any():
            return False
    return True


def _encoded(cells: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Each cell's index into the distinct texts, and those texts (in order of appearance): from the
    first cell of each run of equal cells when the cells come in long runs (a month, a unit)."""
    if len(cells) > 256 and pc.sum(pc.not_equal(cells[1:256], cells[:255])).as_py() < 32:  # (runs at the start)
        starts = np.flatnonzero(pc.not_equal(cells[1:], cells[:-1]).to_numpy(zero_copy_only=False)) + 1
        if len(starts) * 8 < len(cells):
            starts = np.concatenate(([0], starts))
            encoded = pc.dictionary_encode(cells.take(pa.array(starts)))
            return np.repeat(encoded.indices.to_numpy(), np.diff(np.append(starts, len(cells)))), encoded.dictionary
    encoded = pc.dictionary_encode(cells)
    return encoded.indices.to_numpy(), encoded.dictionary


def _arrow_column(cells: pa.Array, kind: type, categories: bool) -> Any:
    """One column of `_arrow_frame` (a pandas array or NumPy array), or None."""
    if kind is str:
        if not categories:
            return _STR.__from_arrow__(cells)
        indices, distinct = _encoded(cells)
        if _inferred(distinct):
            return None
        order = pc.array_sort_indices(distinct).to_numpy()
        rank = np.empty(len(order), dtype=np.min_scalar_type(-len(order)))  # (pandas' codes: int8, int16, …)
        rank[order] = np.arange(len(order))
        texts = _STR.__from_arrow__(distinct.take(pa.array(order)))
        return pd.Categorical.from_codes(rank[indices], dtype=pd.CategoricalDtype(pd.Index(texts, dtype=_STR)))
    if cells.offset:
        return None
    offsets = text_offsets(cells)
    lengths = np.diff(offsets)
    raw = cells.buffers()[2].slice(int(offsets[0]), int(offsets[-1] - offsets[0])).to_pybytes() if offsets[-1] else b""
    filled = lengths > 0
    if kind is bool:
        if not filled.all() or not pc.all(pc.is_in(cells, pa.array(["True", "False"], _TEXT))).as_py():
            return None
        return pc.equal(cells, pa.scalar("True", _TEXT)).to_numpy(zero_copy_only=False)
    if kind is int:
        if not filled.all() or (lengths > 18).any() or raw.translate(None, _INT_BYTES):
            return None
        try:
            return pc.cast(cells, pa.int64()).to_numpy()
        except pa.ArrowInvalid:
            return None
    if kind is not float or raw.translate(None, _NUMBER_BYTES):
        return None
    if filled.all() and not any(b in raw for b in _FRACTION_BYTES):
        return None  # every cell a whole number: pandas reads int64
    long = filled & (lengths > 18)
    if long.any() and not all(set(t) & set(".eE") for t in pc.filter(cells, pa.array(long)).to_pylist()):
        return None  # (a whole number of 19 digits or more: pandas may read text)
    valid = pa.py_buffer(np.packbits(filled, bitorder="little"))
    texts = pa.LargeStringArray.from_buffers(len(cells), cells.buffers()[1], cells.buffers()[2], valid)
    try:
        values = pc.cast(texts, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        return None
    if not np.isfinite(values[filled]).all() or np.signbit(values[filled & (values == 0)]).any():
        return None  # (−0: pandas may read '-0' as a whole number, so 0.0)
    return values


def read_state_csv(path: Path, what: str, fix: str, columns: dict[str, type] | None, *,
                   categories: bool = False) -> pd.DataFrame:
    """A CSV this program wrote (stage tables, the titles register, a processed month's tables) with
    `columns` (name → str, float, int or bool; more columns may follow; None: every column of the
    header, as text) as read_state_text checks
    it, then: every row with the header's number of fields, every column present, every value of
    its column's kind. Text columns keep their text exactly (no NA guessing; spreadsheet-safe
    prefixes undone), empty cells of the other columns are NaN, booleans are True/False;
    `categories`: the text columns as pandas categories of their texts (no text object per cell).
    StateError listing the problems (file, row, column, value, rule), `fix` last."""
    path = Path(path)
    data, text = _read_state_data(path, what, fix)
    frame = _arrow_frame(data, columns, categories)
    if frame is not None:
        return _restored(frame, dict.fromkeys(frame.columns, str) if columns is None else columns, text, categories)
    header, problems = _csv_shape(path, text, what, data)
    columns = dict.fromkeys(header, str) if columns is None else columns
    missing = [c for c in columns if c not in header]
    if missing:
        problems.append(f"{path}: missing column(s) {', '.join(missing)} of {what} (it has: {', '.join(header)})")
    if problems:
        raise StateError(f"{path}: {what} is damaged — {fix}", problems=[*problems, f"{path}: {fix}"])
    text_cols = [c for c, kind in columns.items() if kind is str]
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=dict.fromkeys(text_cols, "category" if categories else str),
                            keep_default_na=False,
                            na_values={c: [""] for c in columns if c not in text_cols})
    except (pd.errors.ParserError, ValueError) as exc:
        raise StateError(f"{path}: {what} cannot be read ({' '.join(str(exc).split())}) — {fix}") from exc
    problems = [line for col, kind in columns.items() for line in _cell_problems(path, frame, col, kind)]
    if problems:
        raise StateError(f"{path}: {what} holds values of the wrong kind — {fix}",
                         problems=[*problems, f"{path}: {fix}"])
    return _restored(frame, columns, text, categories)


def _restored(frame: pd.DataFrame, columns: dict[str, type], text: str, categories: bool) -> pd.DataFrame:
    """`frame` with neutralised text cells restored (their apostrophe removed) and booleans True/False."""
    text_cols = [c for c, kind in columns.items() if kind is str]
    restoring = text_cols if "'" in text else []  # only cells that start with an apostrophe were neutralised
    for col in restoring if categories else ():  # restored as texts, then categories again
        frame[col] = frame[col].astype(str)
    for col in restoring:
        try:
            quoted = frame[col].str.startswith("'", na=False)
        except AttributeError:  # no text in the column at all
            continue
        if quoted.any():
            frame.loc[quoted, col] = frame.loc[quoted, col].map(restore_cell)
    for col in restoring if categories else ():
        frame[col] = frame[col].astype("category")
    for col, kind in columns.items():
        if kind is bool and frame[col].dtype != bool:
            frame[col] = frame[col].map({"True": True, "False": False, True: True, False: False})
    return frame
