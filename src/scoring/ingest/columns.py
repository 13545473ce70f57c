"""A whole column at a time: the cell functions of `cells` over a column of text, computed once per distinct value.

The checks and conversions of a column (`types`, `rules`, `pools`) see a pandas Series of
cell texts (None = empty). A department file repeats the same unit, list type, date or
count in thousands of rows, so `distinct_map` computes a cell function once per distinct
text and spreads the results back (pandas.factorize); the 统一社会信用代码 checks, whose
values are all distinct, are numpy operations over the column (`code_checks`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from scoring.ingest import cells

_CODE_VALUE = np.full(256, -1, dtype=np.int64)  # byte → its value in CODE_ALPHABET (−1: not in it)
for _i, _c in enumerate(cells.CODE_ALPHABET):
    _CODE_VALUE[ord(_c)] = _i
_WEIGHTS = np.array(cells.CODE_WEIGHTS, dtype=np.int64)
_ALPHABET_BYTES = np.frombuffer(cells.CODE_ALPHABET.encode("ascii"), dtype=np.uint8)


_FACTORS: dict[tuple[int, tuple[int, ...], tuple[int, ...]], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
_KEPT = 48  # columns whose factorisation is remembered
_CLEAN: dict[tuple[int, tuple[int, ...], tuple[int, ...]], object] = {}  # columns without invisible characters


def _key(array: np.ndarray) -> tuple[int, tuple[int, ...], tuple[int, ...]]:
    return array.__array_interface__["data"][0], array.shape, array.strides


def factorized(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`pandas.factorize` of a column (codes, −1 for empty cells; distinct texts), remembered for the
    last columns seen (known by their data buffer, which the memo keeps alive): the several checks
    and conversions of one column hash its texts once. Columns are not changed in place here."""
    array = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else np.asarray(values, dtype=object)
    key = _key(array)
    hit = _FACTORS.get(key)
    if hit is None:
        codes, uniques = pd.factorize(array)  # empty cells (None, NaN) → −1
        if len(_FACTORS) >= _KEPT:
            del _FACTORS[next(iter(_FACTORS))]
        hit = _FACTORS[key] = (array, codes, np.asarray(uniques, dtype=object))
    return hit[1], hit[2]


def forget() -> None:
    """Drop the remembered factorisations, clean columns and codes (after a month: they keep its columns alive)."""
    _FACTORS.clear()
    _CLEAN.clear()
    _CODES.clear()


def distinct_map(values: pd.Series, func: Callable[[Any], Any], empty: Any = None) -> np.ndarray:
    """`func(text)` of every cell as an object array, computed once per distinct text; `empty` for empty cells."""
    codes, uniques = factorized(values)
    results = np.empty(len(uniques) + 1, dtype=object)
    for i, text in enumerate(uniques):
        results[i] = func(text)
    results[-1] = empty  # code −1 picks the last entry
    return results[codes]


def distinct_test(values: pd.Series, pred: Callable[[Any], bool]) -> pd.Series:
    """`pred(text)` of every cell as a boolean Series (True for empty cells), once per distinct text."""
    return pd.Series(distinct_map(values, lambda v: bool(pred(v)), True).astype(bool), index=values.index)


def texts(values: pd.Series) -> pd.Series:
    """`str(v).strip()` of every non-empty cell (None stays None), as an object Series: cell by cell,
    no hashing (the cells of a text column are mostly distinct)."""
    array = values.to_numpy(dtype=object)
    present = pd.notna(array)
    out = np.full(len(array), None, dtype=object)
    cells_ = array[present]
    try:
        out[present] = list(map(str.strip, cells_))  # text cells: no Python frame per cell
    except TypeError:  # not only text
        out[present] = [str(v).strip() for v in cells_]
    return pd.Series(out, index=values.index, dtype=object)


def objects(values: pd.Series, func: Callable[[Any], Any]) -> pd.Series:
    """`func` of every non-empty cell (None stays None), as an object Series."""
    return pd.Series(distinct_map(values, func), index=values.index, dtype=object)


def floats(values: pd.Series, parse: Callable[[Any], float | None]) -> pd.Series:
    """`parse` of every cell as floats (NaN for empty cells and for None results)."""
    out = distinct_map(values, lambda v: np.nan if (x := parse(v)) is None else float(x), np.nan)
    return pd.Series(out.astype(float), index=values.index, dtype=float)


def visible(values: pd.Series) -> pd.Series:
    """True where a cell holds none of the invisible characters (`cells.INVISIBLE`); a column found
    clean is remembered (by its data buffer, as `factorized`): its several checks scan it once."""
    array = values.to_numpy(dtype=object)
    key = _key(array)
    if key in _CLEAN:
        return pd.Series(True, index=values.index)
    hit = _FACTORS.get(key)  # each distinct text once if the column is factorised already
    texts = hit[2] if hit is not None else array
    try:
        joined = " ".join(filter(None, texts))  # empty cells (None) left out
    except TypeError:  # not only text
        joined = " ".join(v for v in texts if isinstance(v, str))
    if joined.isprintable() or not cells.INVISIBLE.search(joined):  # the usual case: one scan of the column
        if len(_CLEAN) >= _KEPT:
            del _CLEAN[next(iter(_CLEAN))]
        _CLEAN[key] = array  # kept alive: its buffer is not reused while remembered
        return pd.Series(True, index=values.index)
    return distinct_test(values, lambda v: not isinstance(v, str) or cells.INVISIBLE.search(v) is None)


def shared(compute: Callable[[pd.Series], dict[str, Any]]) -> Callable[[pd.Series], dict[str, np.ndarray]]:
    """`compute` remembered for the column it saw last (known by its data buffer, which the memo
    keeps alive): the several checks of one column share one pass over it."""
    last: list[Any] = [None, None, None]  # key, the column's array, the results

    def run(values: pd.Series) -> dict[str, np.ndarray]:
        array = values.to_numpy(dtype=object)
        key = (array.__array_interface__["data"][0], array.shape, array.strides)
        if last[0] != key:
            last[:] = [key, array, {name: np.asarray(found) for name, found in compute(values).items()}]
        return last[2]

    return run


Found = Callable[[pd.Series], dict[str, np.ndarray]]  # a column → what its checks share


def read_once(parse: Callable[[Any], Any], as_number: Callable[[Any], float]) -> Found:
    """The cells of a column read once for all its checks (`shared`): "value", `as_number` of what
    `parse` reads (NaN: empty or unreadable), "empty", and "skip" (a cell holding an invisible
    character: told by its own check, not by these)."""
    def compute(values: pd.Series) -> dict[str, Any]:
        def number(v: Any) -> float:
            x = parse(v)
            return np.nan if x is None else float(as_number(x))

        return {"value": distinct_map(values, number, np.nan).astype(float),
                "empty": pd.isna(values.to_numpy(dtype=object)), "skip": ~visible(values).to_numpy()}

    return shared(compute)


_CODES: dict[tuple[int, tuple[int, ...], tuple[int, ...]], tuple[np.ndarray, np.ndarray]] = {}


def normalised_codes(values: pd.Series) -> np.ndarray:
    """`cells.normalise_code` of every cell (None for empty cells) as a new object array: one upper-casing
    of the whole column when every code is plain ASCII letters and digits (the usual case). Remembered
    for the last columns seen (by data buffer, as `factorized`): a column's checks, keys and typed
    values normalise it once."""
    array = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else np.asarray(values, dtype=object)
    key = _key(array)
    hit = _CODES.get(key)
    if hit is None:
        if len(_CODES) >= _KEPT:
            del _CODES[next(iter(_CODES))]
        hit = _CODES[key] = (array, _normalised_codes(array))
    return hit[1].copy()


def _normalised_codes(array: np.ndarray) -> np.ndarray:
    present = pd.notna(array)
    texts = array[present]
    try:
        joined = "".join(texts)
    except TypeError:  # not only text
        joined = ""
    if not joined or not (joined.isascii() and joined.isalnum()):
        return distinct_map(pd.Series(array, dtype=object), cells.normalise_code)
    out = np.full(len(array), None, dtype=object)
    out[present] = "\n".join(texts).upper().split("\n")
    return out


def code_checks(values: pd.Series) -> dict[str, pd.Series]:
    """The four GB 32100-2015 checks of a column of codes (True: passes; empty cells pass), as
    `cells.code_length_ok`, `code_alphabet_ok`, `code_region_ok`, `code_check_ok` tell them."""
    codes = normalised_codes(values)
    codes[pd.isna(codes)] = ""
    present = codes != ""
    length = np.fromiter(map(len, codes), dtype=np.int64, count=len(codes))
    ascii_ = np.fromiter(map(str.isascii, codes), dtype=bool, count=len(codes))
    full = (length == cells.CODE_LENGTH) & ascii_
    alphabet = np.ones(len(codes), dtype=bool)
    region = np.ones(len(codes), dtype=bool)
    check = np.ones(len(codes), dtype=bool)
    if full.any():
        grid = np.frombuffer("".join(codes[full]).encode("ascii"), dtype=np.uint8).reshape(-1, cells.CODE_LENGTH)
        value = _CODE_VALUE[grid]
        ok = (value >= 0).all(axis=1)
        alphabet[full] = ok
        digits = ((grid[:, 2:8] >= ord("0")) & (grid[:, 2:8] <= ord("9"))).all(axis=1)
        region[full] = ~ok | digits
        expected = _ALPHABET_BYTES[(31 - (value[:, :17] * _WEIGHTS).sum(axis=1) % 31) % 31]
        check[full] = ~ok | (grid[:, 17] == expected)
    other = present & ~full  # wrong length or not ASCII: the alphabet is judged per code
    for i in np.flatnonzero(other):
        alphabet[i] = cells.code_alphabet_ok(codes[i])
    index = values.index
    return {"length": pd.Series(~present | (length == cells.CODE_LENGTH), index=index),
            "alphabet": pd.Series(alphabet, index=index), "region": pd.Series(region, index=index),
            "check": pd.Series(check, index=index)}
