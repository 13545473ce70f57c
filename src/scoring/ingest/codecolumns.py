"""The 统一社会信用代码 column as a whole: its codes normalised and the four GB 32100-2015 checks
(length, alphabet, region digits, check character), as `cells` tells them of one code, computed
as numpy operations over the column's bytes (its values are all distinct: no per-distinct memo
helps), and remembered with the column's other facts (`columns.column_facts`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.ingest import cells
from scoring.ingest.columns import column_facts, distinct_map, empty_cells, remember_factorisation

_CODE_VALUE = np.full(256, 255, dtype=np.uint8)  # byte → its upper case's value in CODE_ALPHABET (255: not in it)
for _i, _c in enumerate(cells.CODE_ALPHABET):
    _CODE_VALUE[ord(_c)] = _CODE_VALUE[ord(_c.lower())] = _i
_CODE_VALUE_BYTES = _CODE_VALUE.tobytes()  # (for bytes.translate)
# The weighted sums in float32 (exact: every sum is below 2^24) by numpy's own loop (einsum), not a
# BLAS product: after a BLAS call its threads keep spinning for a while, and in the ingest's two
# workers on two cores that spinning took the other worker's CPU (about 0.12 CPU-s a 2,844-unit
# month; benchmarks/bench_code_checks.py).
_WEIGHTS = np.array(cells.CODE_WEIGHTS, dtype=np.float32)
_ALPHABET_BYTES = np.frombuffer(cells.CODE_ALPHABET.encode("ascii"), dtype=np.uint8)


def normalised_codes(values: pd.Series) -> np.ndarray:
    """`cells.normalise_code` of every cell (None for empty cells) as a new object array: one upper-casing
    of the whole column when every code is plain ASCII letters and digits (the usual case). Remembered
    (`column_facts`): a column's checks, keys and typed values normalise it once; when normalising
    changes no cell, the column's factorisation is known of the codes too."""
    col = column_facts(values)
    if col.codes_normalised is None:
        plain = col.text and col.ascii is not None and col.ascii.isalnum()  # every cell ASCII letters and digits
        if plain and len(col.ascii.translate(None, _LOWER)) == len(col.ascii):  # type: ignore[union-attr]
            col.codes_normalised, col.codes_unchanged = col.array, True
        else:
            col.codes_normalised, col.codes_unchanged = _normalised_codes(col.array, ~empty_cells(values))
    out = col.codes_normalised.copy()
    if col.codes_unchanged and col.codes is not None:
        remember_factorisation(out, col.codes, col.uniques)  # type: ignore[arg-type]
    return out


def _plain_text(texts: np.ndarray) -> bytes | None:
    """The texts joined as ASCII bytes when every one is ASCII letters and digits (and one is not empty)."""
    try:
        joined = "".join(texts)
    except TypeError:  # not only text
        return None
    raw = joined.encode("ascii") if joined.isascii() else b""
    return raw if raw.isalnum() else None  # bytes.isalnum: str.isalnum of ASCII text, in one C loop


_LOWER = bytes(range(ord("a"), ord("z") + 1))


def _normalised_codes(array: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, bool]:
    """The normalised codes, and whether each is its cell (None where the cell is empty)."""
    texts = array[present]
    raw = _plain_text(texts)
    if raw is None:
        return distinct_map(pd.Series(array, dtype=object), cells.normalise_code), False
    out = np.full(len(array), None, dtype=object)
    if len(raw.translate(None, _LOWER)) == len(raw):  # no lower-case letter: every code is its own upper case
        out[present] = texts
        return out, bool(np.equal(array[~present], None).all())  # (an empty cell that is NaN, not None, differs)
    out[present] = "\n".join(texts).upper().split("\n")
    return out, False


_UPPER = np.arange(256, dtype=np.uint8)  # byte → its upper case (ASCII)
_UPPER[ord("a"):ord("z") + 1] -= 32


def code_checks(values: pd.Series) -> dict[str, pd.Series]:
    """The four GB 32100-2015 checks of a column of codes (True: passes; empty cells pass), as
    `cells.code_length_ok`, `code_alphabet_ok`, `code_region_ok`, `code_check_ok` tell them. A column of
    plain ASCII letters and digits (the usual case) is judged on its bytes, upper-cased, as
    `cells.normalise_code` reads such a code."""
    col = column_facts(values)
    if col.text and col.ascii is not None:  # every cell ASCII text, joined already
        present, texts = np.ones(len(col.array), dtype=bool), col.array
        raw = col.ascii if col.ascii.isalnum() else None
    else:
        present = ~empty_cells(values)
        texts = col.array[present]
        raw = _plain_text(texts)
    if raw is not None:
        found = _plain_code_checks(texts, raw)
        index = values.index
        out = {}
        for name, ok in found.items():
            whole = np.ones(len(present), dtype=bool)
            whole[present] = ok
            out[name] = pd.Series(whole, index=index)
        return out
    codes = normalised_codes(values)
    codes[pd.isna(codes)] = ""
    present = codes != ""
    length = np.fromiter(map(len, codes), dtype=np.int64, count=len(codes))
    ascii_ = np.fromiter(map(str.isascii, codes), dtype=bool, count=len(codes))
    full = (length == cells.CODE_LENGTH) & ascii_
    alphabet, region, check = _grid_checks(codes, full, length)
    index = values.index
    return {"length": pd.Series(~present | (length == cells.CODE_LENGTH), index=index),
            "alphabet": pd.Series(alphabet, index=index), "region": pd.Series(region, index=index),
            "check": pd.Series(check, index=index)}


def _grid_checks(codes: np.ndarray, full: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, ...]:
    """Alphabet, region and check character of normalised `codes` (`full`: 18 ASCII characters)."""
    alphabet = np.ones(len(codes), dtype=bool)
    region = np.ones(len(codes), dtype=bool)
    check = np.ones(len(codes), dtype=bool)
    if full.any():
        grid = np.frombuffer("".join(codes[full]).encode("ascii"), dtype=np.uint8).reshape(-1, cells.CODE_LENGTH)
        alphabet[full], region[full], check[full] = _judged(grid)
    other = (length > 0) & ~full  # wrong length or not ASCII: the alphabet is judged per code
    for i in np.flatnonzero(other):
        alphabet[i] = cells.code_alphabet_ok(codes[i])
    return alphabet, region, check


def _weighted_sums(values: np.ndarray) -> np.ndarray:
    """Each row's first 17 values (0–30; 255 for a byte outside the alphabet) times GB 32100's weights,
    summed (int64; at most 17 × 255 × 30)."""
    return np.einsum("ij,j->i", values[:, :17].astype(np.float32), _WEIGHTS).astype(np.int64)


def _judged(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Alphabet, region and check character of codes as rows of 18 ASCII bytes, judged upper-cased."""
    value = np.frombuffer(grid.tobytes().translate(_CODE_VALUE_BYTES), dtype=np.uint8).reshape(grid.shape)
    ok = (value != 255).all(axis=1) if (value == 255).any() else np.ones(len(grid), dtype=bool)
    digits = ((grid[:, 2:8] >= ord("0")) & (grid[:, 2:8] <= ord("9"))).all(axis=1)
    weighted = _weighted_sums(value)
    expected = _ALPHABET_BYTES[(31 - weighted % 31) % 31]  # (a row not ok: unused)
    return ok, ~ok | digits, ~ok | (_UPPER[grid[:, 17]] == expected)


def _plain_code_checks(texts: np.ndarray, raw: bytes) -> dict[str, np.ndarray]:
    """`code_checks` of present codes that are ASCII letters and digits (`raw`: them joined)."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    upper = np.frombuffer(raw, dtype=np.uint8)  # `_judged` upper-cases
    full = lengths == cells.CODE_LENGTH
    if full.all():
        grid = upper.reshape(-1, cells.CODE_LENGTH)
    else:
        starts = np.cumsum(lengths) - lengths
        grid = upper[starts[full][:, None] + np.arange(cells.CODE_LENGTH)]
    alphabet = np.ones(len(texts), dtype=bool)
    region = np.ones(len(texts), dtype=bool)
    check = np.ones(len(texts), dtype=bool)
    if full.any():
        alphabet[full], region[full], check[full] = _judged(grid)
    for i in np.flatnonzero((lengths > 0) & ~full):
        alphabet[i] = cells.code_alphabet_ok(texts[i])
    return {"length": full | (lengths == 0), "alphabet": alphabet, "region": region, "check": check}
