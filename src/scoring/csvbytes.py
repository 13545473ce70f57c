"""CSV files as bytes, fast: exactly what pandas' `to_csv` writes through `safeio.neutralise_frame`.

`csv_bytes` is `safeio.write_csv`'s text (formula-safe cells, no index, '\\n' line ends, UTF-8).
`fast_csv` gives the same bytes for the usual frame — the processed months (list_entries.csv has
hundreds of thousands of rows a month) and the stage tables (scoring.tables) — by joining the
cells' texts, whole columns at once (Arrow): when no cell needs CSV quoting (a comma, quote or
line end) and no text cell (nor column name) starts like a formula, the rows are the cells joined
by commas, by Arrow's CSV writer quoting nothing (floats as `float_format % x`, or their shortest
repr, as pandas formats them: see `repr_texts`; numbers are never neutralised, so a negative
number is written as it is); any other frame goes through pandas.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from scoring.safeio import FORMULA_PREFIXES, neutralise_frame

_TEXT = pa.large_string()
_EMPTY = pa.scalar("", _TEXT)
_TRUE, _FALSE, _POINT_ZERO = (pa.scalar(s, _TEXT) for s in ("True", "False", ".0"))
_SPECIAL = (b",", b"\n", b"\r", b'"')  # a cell the csv module would quote (a comma, line end or quote)
_RISKY = np.zeros(256, dtype=bool)  # byte → whether a cell starting with it is one FORMULA_PREFIXES names
_RISKY[np.frombuffer("".join(FORMULA_PREFIXES).encode("ascii"), dtype=np.uint8)] = True
#: Arrow's texts of 1e-9 ≤ |x| < 1e-4 → repr's: 0.0000ddd → d.dde-05, 0.00000ddd → d.dde-06, e-7 → e-07.
_TINY_REWRITES = ((r"^(-?)0\.0000([1-9])(\d+)$", r"\1\2.\3e-05"), (r"^(-?)0\.0000([1-9])$", r"\1\2e-05"),
         (r"^(-?)0\.00000([1-9])(\d+)$", r"\1\2.\3e-06"), (r"^(-?)0\.00000([1-9])$", r"\1\2e-06"),
         (r"e-(\d)$", r"e-0\1"))
_UNIQUE_FROM = 1024  # floats formatted once per distinct value from this many cells on (see repr_texts)
_SAMPLE = 512  # repr_texts: the first cells telling whether a long column repeats its values
_ROWS = pcsv.WriteOptions(include_header=False, quoting_style="none", batch_size=1 << 16)  # (rows end in "\n")
_THREADED_FROM = 20_000  # fast_csv(threads=2): frames of this many rows or more are made by two threads
_PLAIN, _NAN, _WHOLE, _TINY_KIND, _WIDE, _MINUS_ZERO = range(6)  # _arrow_repr's kinds of float


def csv_bytes(frame: pd.DataFrame, float_format: str | None = None) -> bytes:
    """`safeio.write_csv`'s content of `frame`, as UTF-8 bytes."""
    text = neutralise_frame(frame).to_csv(index=False, float_format=float_format, lineterminator="\n")
    return text.encode("utf-8")


def _format_texts(floats: np.ndarray, float_format: str) -> pa.Array:
    """Each float as `float_format % x`, NaN empty, as Arrow text; long columns formatted once per distinct
    value (found by hashing, `pandas.factorize`: 5× faster than `np.unique` sorting them; the texts taken by
    each cell's code) when no −0.0 is present (it would be merged with 0.0)."""
    fmt = float_format.__mod__
    if len(floats) >= _UNIQUE_FROM and not np.signbit(floats[floats == 0.0]).any():
        codes, distinct = pd.factorize(floats)  # NaN: code −1, the empty text after the distinct values'
        texts = pa.array([fmt(x) for x in distinct.tolist()] + [""], _TEXT)
        return texts.take(pa.array(np.where(codes < 0, len(distinct), codes)))
    return pa.array([("" if x != x else fmt(x)) for x in floats.tolist()], _TEXT)


def _assembled(n: int, kind: np.ndarray, parts: dict[int, pa.Array]) -> pa.Array:
    """The n texts whose cell i is the next text of part kind[i] (each part's texts in order)."""
    present = [k for k in sorted(parts) if len(parts[k])]
    if len(present) == 1:
        return parts[present[0]]
    order = np.argsort(kind, kind="stable")  # the cells part by part, each part in order
    place = np.empty(n, dtype=np.int64)
    place[order] = np.arange(n)
    return pa.concat_arrays([parts[k] for k in present]).take(pa.array(place))


def _arrow_repr(x: np.ndarray) -> pa.Array:
    """repr_texts of distinct or few floats (see there)."""
    a = np.abs(x)
    with np.errstate(invalid="ignore"):
        kind = np.select([np.isnan(a), (a < 1e10) & (a == np.floor(a)), (a < 1e-4) & (a >= 1e-9),
                          (a >= 1e10) & (a < 1e16)], [_NAN, _WHOLE, _TINY_KIND, _WIDE], _PLAIN).astype(np.int8)
    kind[(kind == _WHOLE) & (a == 0) & np.signbit(x)] = _MINUS_ZERO
    at = {k: np.flatnonzero(kind == k) for k in (_NAN, _WHOLE, _TINY_KIND, _WIDE, _PLAIN, _MINUS_ZERO)}
    cast = np.sort(np.concatenate((at[_PLAIN], at[_TINY_KIND])))  # (Arrow's own digits: read back below)
    texts = pc.cast(pa.array(x[cast]), _TEXT)
    back = pc.cast(texts, pa.float64()).to_numpy(zero_copy_only=False)
    if not np.array_equal(back.view(np.int64), x[cast].view(np.int64)):  # (not seen: a safeguard)
        return pa.array([("" if v != v else repr(v)) for v in x.tolist()], _TEXT)
    tiny = kind[cast] == _TINY_KIND
    parts = {_NAN: pa.array([""] * len(at[_NAN]), _TEXT), _MINUS_ZERO: pa.array(["-0.0"] * len(at[_MINUS_ZERO]), _TEXT),
             _WIDE: pa.array([repr(v) for v in x[at[_WIDE]].tolist()], _TEXT),
             _WHOLE: pc.binary_join_element_wise(pc.cast(pa.array(x[at[_WHOLE]].astype(np.int64)), _TEXT),
                                                 _POINT_ZERO, _EMPTY)}
    if tiny.any():
        made = texts.filter(pa.array(tiny))
        for pattern, replacement in _TINY_REWRITES:
            made = pc.replace_substring_regex(made, pattern, replacement)
        parts[_TINY_KIND] = made
        texts = texts.filter(pa.array(~tiny))
    parts[_PLAIN] = texts
    return _assembled(len(x), kind, parts)


def repr_texts(floats: np.ndarray) -> pa.Array:
    """Each float's `repr` (its shortest round trip, as pandas writes it), NaN empty, as Arrow text.

    Arrow's cast writes the same shortest digits (the closest of the shortest, as repr), positional
    for 1e-6 ≤ |x| < 1e10 and as d.ddde±x otherwise; repr is positional for 1e-4 ≤ |x| < 1e16 with
    '.0' on whole numbers and a two-digit exponent. So the floats are cast, but for those whose
    layouts differ: whole numbers below 1e10 (their integer's text + '.0'), 1e-9 ≤ |x| < 1e-4 (cast,
    then rewritten by `_TINY_REWRITES`), the few of 1e10 ≤ |x| < 1e16 (repr itself). Every cast text is read
    back: should one not give its float bit for bit, the column is formatted by repr. A long column
    whose first cells repeat is formatted once per distinct bit pattern (−0.0 apart from 0.0)."""
    x = np.ascontiguousarray(floats, dtype=np.float64)
    if len(x) >= _UNIQUE_FROM and len(np.unique(x[:_SAMPLE].view(np.int64))) * 8 <= _SAMPLE:
        codes, distinct = pd.factorize(x.view(np.int64))
        if len(distinct) * 4 <= len(x):
            return _arrow_repr(np.asarray(distinct).view(np.float64)).take(pa.array(codes))
    return _arrow_repr(x)


def _array(cells: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous array."""
    return cells.combine_chunks() if isinstance(cells, pa.ChunkedArray) else cells


def _column_texts(values: pd.Series, float_format: str | None) -> tuple[pa.Array, bool]:
    """Each cell as to_csv writes it when it is text, a whole number, True / False or a float
    (`float_format % x`; without one, the shortest repr, as pandas): empty for None / NA / NaN;
    and whether the column is one neutralise_frame rewrites (text). Raises TypeError for any other
    column."""
    dtype = values.dtype
    if pd.api.types.is_float_dtype(dtype) and isinstance(dtype, np.dtype):
        floats = values.to_numpy(dtype=float)
        if float_format is None:
            return repr_texts(floats), False
        return _format_texts(floats, float_format), False
    if pd.api.types.is_bool_dtype(dtype) and isinstance(dtype, np.dtype):
        return pc.if_else(pa.array(values.to_numpy()), _TRUE, _FALSE), False
    if pd.api.types.is_integer_dtype(dtype):  # numpy or Int64 (NA empty)
        return _array(pc.fill_null(pc.cast(pa.array(values), _TEXT), _EMPTY)), False
    if pd.api.types.is_object_dtype(dtype):  # text and None (any other cell: TypeError)
        if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
            raise TypeError("a cell that is not text")
        try:  # (NaN and NA are skipped by infer_dtype, refused here)
            cells = pa.array(values.to_numpy(dtype=object), _TEXT, from_pandas=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise TypeError("a cell that is not text") from exc
        return pc.fill_null(cells, _EMPTY), True
    if pd.api.types.is_string_dtype(dtype):
        return _array(pc.fill_null(pc.cast(pa.array(values), _TEXT), _EMPTY)), True
    raise TypeError(f"a column of {dtype}")


def _plain_head(columns: list[str]) -> bool:
    """Whether the header needs neither quoting nor neutralising."""
    return not any(c.startswith(FORMULA_PREFIXES) or any(q.decode() in c for q in _SPECIAL) for c in columns)


def text_offsets(cells: pa.Array) -> np.ndarray:
    """Where each cell of a large_string (or large_binary) array starts in its data buffer, and where the
    last ends: len(cells) + 1 byte offsets (int64), read from the array's own buffer, not copied."""
    return np.frombuffer(cells.buffers()[1], dtype=np.int64)[cells.offset:cells.offset + len(cells) + 1]


def _plain_cells(cells: pa.Array, text: bool) -> bool:
    """Whether no cell holds a comma, line end or quote, nor (`text`) starts like a formula: read
    from the array's UTF-8 bytes and offsets (each cell's first byte, when it has one)."""
    offsets = text_offsets(cells)
    if offsets[-1] == offsets[0]:
        return True
    data = np.frombuffer(cells.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
    raw = data.tobytes()
    if any(q in raw for q in _SPECIAL):
        return False
    starts = offsets[:-1][offsets[1:] > offsets[:-1]] - offsets[0]
    return not (text and _RISKY[data[starts]].any())


def fast_csv(frame: pd.DataFrame, float_format: str | None = None, threads: int = 1) -> bytes:
    """`csv_bytes(frame, float_format)` exactly, from the cells joined by commas (whole columns at
    once): taken when every cell is text, a whole number or a float, no cell holds a comma, quote
    or line end (nothing to quote) and no text cell nor column name starts like a formula (nothing
    to neutralise); otherwise through pandas. `threads` 2 (a process alone on two cores, as the score
    stage): from `_THREADED_FROM` rows on, the columns' texts are made, checked and joined by two
    threads (the same bytes: see `_joined`); the ingest's workers, one per core, write on one."""
    columns = [str(c) for c in frame.columns]
    if (not len(frame) or len(columns) < 2 or frame.columns.has_duplicates or frame.columns.nlevels > 1
            or not _plain_head(columns)):
        return csv_bytes(frame, float_format)  # (a row of one empty cell is written as "")
    series = [frame[c] for c in frame.columns]
    if threads < 2 or len(frame) < _THREADED_FROM:
        return _joined(columns, series, float_format, None) or csv_bytes(frame, float_format)
    with ThreadPoolExecutor(2) as pool:  # (per call: a pool made before a fork would not work after it)
        return _joined(columns, series, float_format, pool) or csv_bytes(frame, float_format)


def _joined(columns: list[str], series: list[pd.Series], float_format: str | None,
            pool: ThreadPoolExecutor | None) -> bytes | None:
    """fast_csv's bytes of the columns `series` (named `columns`), or None when a cell is not text, a
    whole number or a float, or needs quoting or neutralising. With a `pool`, its threads make the
    columns' texts, check them and join the rows (in two halves) — Arrow's kernels, run without the
    GIL; each cell's text and each row's bytes are the same however the work is split."""
    run: Callable[..., Iterator[Any]] = pool.map if pool is not None else map
    try:
        texts = list(run(lambda values: _column_texts(values, float_format), series))
    except TypeError:  # a cell that is not text
        return None
    checked = [found for found in texts if found[1] or float_format is not None]  # (and float_format's texts)
    if not all(run(lambda found: _plain_cells(*found), checked)):
        return None
    cells, n = [c for c, _ in texts], len(series[0])
    halves = [(0, n)] if pool is None else [(0, n // 2), (n // 2, n)]
    bodies = list(run(lambda half: _rows_bytes(cells, *half), halves))
    return b"".join((",".join(columns).encode("utf-8"), b"\n", *bodies))


def _rows_bytes(cells: list[pa.Array], start: int, stop: int) -> pa.Buffer:
    """The CSV lines of rows start … stop − 1: each row's cells joined by commas, a newline after each —
    written by Arrow's CSV writer quoting nothing (`_joined` has checked that no cell needs it; a cell
    that did would raise ArrowInvalid): the texts' bytes as they are, 1.7× faster than joining them
    with `binary_join_element_wise` (a month's list_entries.csv: 53 → 31 ms)."""
    table = pa.table([c[start:stop] for c in cells], names=[str(i) for i in range(len(cells))])
    sink = pa.BufferOutputStream()
    pcsv.write_csv(table, sink, _ROWS)
    return sink.getvalue()
