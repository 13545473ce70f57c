"""CSV files as bytes, fast: exactly what pandas' `to_csv` writes through `safeio.neutralise_frame`.

`csv_bytes` is `safeio.write_csv`'s text (formula-safe cells, no index, '\\n' line ends, UTF-8).
`fast_csv` gives the same bytes for the usual frame — the processed months (list_entries.csv has
hundreds of thousands of rows a month) and the stage tables (scoring.tables) — by joining the
cells' texts: when no cell needs CSV quoting (a comma, quote or line end) and no text cell (nor
column name) starts like a formula, the rows are the cells joined by commas (floats as
`float_format % x`, or their shortest repr, as pandas formats them; numbers are never
neutralised, so a negative number is written as it is); any other frame goes through pandas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.safeio import FORMULA_PREFIXES, neutralise_frame

_QUOTED = (b'"', b"\r")  # a cell the csv module would quote (commas and line ends are counted)
_RISKY = np.zeros(256, dtype=bool)  # byte → whether a cell starting with it is one FORMULA_PREFIXES names
_RISKY[np.frombuffer("".join(FORMULA_PREFIXES).encode("ascii"), dtype=np.uint8)] = True
_CELL_START = np.zeros(256, dtype=bool)  # byte → whether the next byte starts a cell (a comma, a line end)
_CELL_START[[ord(","), ord("\n")]] = True
_PREFIX_BYTES = tuple(p.encode("ascii") for p in FORMULA_PREFIXES)
_UNIQUE_FROM = 1024  # floats formatted once per distinct value from this many cells on
_SPAN = 1 << 16  # whole numbers spanning fewer values than this (and than cells) are formatted once per value


def _starts_risky(data: bytes) -> bool:
    """Whether a cell of comma-separated `data` starts with one of FORMULA_PREFIXES (the byte after
    the start, a comma or a line end)."""
    array = np.frombuffer(data, dtype=np.uint8)
    if not len(array):
        return False
    return bool(_RISKY[array[0]] or _RISKY[array[1:][_CELL_START[array[:-1]]]].any())


def _may_start_risky(data: bytes) -> bool:
    """Whether `data` holds a byte of FORMULA_PREFIXES at its start or after a comma or line end:
    `_starts_risky` over every cell, looking only where such a byte is (often nowhere)."""
    array = None
    for prefix in _PREFIX_BYTES:
        if prefix not in data:
            continue
        array = np.frombuffer(data, dtype=np.uint8) if array is None else array
        found = np.flatnonzero(array == prefix[0])
        if found[0] == 0 or _CELL_START[array[found[found > 0] - 1]].any():
            return True
    return False


def csv_bytes(frame: pd.DataFrame, float_format: str | None = None) -> bytes:
    """`safeio.write_csv`'s content of `frame`, as UTF-8 bytes."""
    text = neutralise_frame(frame).to_csv(index=False, float_format=float_format, lineterminator="\n")
    return text.encode("utf-8")


def _float_texts(floats: np.ndarray, float_format: str | None) -> list[str]:
    """Each float as `float_format % x` (None: its repr, the shortest round trip, as pandas writes
    it), NaN empty. Long columns are formatted once per distinct value: per bit pattern for repr
    (−0.0 apart from 0.0), per value for a format when no −0.0 is present (np.unique merges them)."""
    if len(floats) >= _UNIQUE_FROM and float_format is None:
        bits, inverse = np.unique(np.ascontiguousarray(floats, dtype=np.float64).view(np.int64), return_inverse=True)
        texts = np.array([("" if x != x else repr(x)) for x in bits.view(np.float64).tolist()], dtype=object)
        return texts[inverse].tolist()
    fmt = repr if float_format is None else float_format.__mod__
    if len(floats) >= _UNIQUE_FROM and not np.signbit(floats[floats == 0.0]).any():
        distinct, inverse = np.unique(floats, return_inverse=True)  # NaNs: one, last
        texts = np.array([("" if x != x else fmt(x)) for x in distinct.tolist()] or [""], dtype=object)
        return texts[inverse].tolist()
    return [("" if x != x else fmt(x)) for x in floats.tolist()]


def _int_texts(ints: np.ndarray) -> np.ndarray:
    """Each whole number's decimal text (as `astype(str)`), an object array: from a table of the
    texts of min … max when they span few values (signed, or unsigned below 2**63), else `astype(str)`."""
    signed = np.issubdtype(ints.dtype, np.signedinteger)
    if len(ints) and (signed or int(ints.max()) < 2**63):
        low, high = int(ints.min()), int(ints.max())
        if high - low < min(_SPAN, len(ints)):
            table = np.array([str(i) for i in range(low, high + 1)], dtype=object)
            return table[ints.astype(np.int64) - low]
    return ints.astype(str).astype(object)


def _column_texts(values: pd.Series, float_format: str | None) -> tuple[list[str], bool]:
    """Each cell as to_csv writes it when it is text, a whole number, True / False or a float
    (`float_format % x`; without one, the shortest repr, as pandas): empty for None / NA / NaN;
    and whether the column is one neutralise_frame rewrites (text). Raises TypeError for any other
    column."""
    dtype = values.dtype
    if pd.api.types.is_float_dtype(dtype) and isinstance(dtype, np.dtype):
        return _float_texts(values.to_numpy(dtype=float), float_format), False
    if pd.api.types.is_bool_dtype(dtype) and isinstance(dtype, np.dtype):
        return values.to_numpy().astype(str).tolist(), False
    if pd.api.types.is_integer_dtype(dtype) and isinstance(dtype, np.dtype):
        return _int_texts(values.to_numpy()).tolist(), False
    if pd.api.types.is_integer_dtype(dtype):  # Int64: NA empty
        digits = _int_texts(values.to_numpy(dtype=np.int64, na_value=0))
        digits[values.isna().to_numpy()] = ""
        return digits.tolist(), False
    if pd.api.types.is_object_dtype(dtype):  # text and None (any other cell: TypeError when joined)
        cells = values.to_numpy(dtype=object).copy()
        cells[np.equal(cells, None)] = ""
        return cells.tolist(), True
    if pd.api.types.is_string_dtype(dtype):
        return values.to_numpy(dtype=object, na_value="").tolist(), True
    raise TypeError(f"a column of {dtype}")


def fast_csv(frame: pd.DataFrame, float_format: str | None = None) -> bytes:
    """`csv_bytes(frame, float_format)` exactly, from the cells joined by commas: taken when every
    cell is text, a whole number or a float, no cell holds a comma, quote or line end (nothing to
    quote: each row has one comma fewer than columns) and no text cell nor column name starts like
    a formula (nothing to neutralise); otherwise through pandas."""
    columns = [str(c) for c in frame.columns]
    if not len(frame) or len(columns) < 2 or frame.columns.has_duplicates or frame.columns.nlevels > 1:
        return csv_bytes(frame, float_format)  # (a row of one empty cell is written as "")
    try:
        texts = [_column_texts(frame[c], float_format) for c in frame.columns]
        body = "\n".join(map(",".join, zip(*(cells for cells, _ in texts), strict=True)))
    except TypeError:  # a cell that is not text
        return csv_bytes(frame, float_format)
    head = ",".join(columns).encode("utf-8")
    data = body.encode("utf-8")
    del body
    rows = len(frame)
    plain = (data.count(b"\n") == rows - 1 and data.count(b",") == rows * (len(columns) - 1)
             and head.count(b",") == len(columns) - 1 and b"\n" not in head
             and not any(q in data or q in head for q in _QUOTED)
             and not _starts_risky(head)
             and not (_may_start_risky(data)  # a number's '-' too: then the text cells alone
                      and _starts_risky("\n".join("\n".join(c) for c, is_text in texts if is_text).encode("utf-8"))))
    return head + b"\n" + data + b"\n" if plain else csv_bytes(frame, float_format)
