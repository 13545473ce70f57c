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


def distinct_map(values: pd.Series, func: Callable[[Any], Any], empty: Any = None) -> np.ndarray:
    """`func(text)` of every cell as an object array, computed once per distinct text; `empty` for empty cells."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))  # empty cells (None, NaN) → −1
    results = np.empty(len(uniques) + 1, dtype=object)
    for i, text in enumerate(uniques):
        results[i] = func(text)
    results[-1] = empty  # code −1 picks the last entry
    return results[codes]


def distinct_test(values: pd.Series, pred: Callable[[Any], bool]) -> pd.Series:
    """`pred(text)` of every cell as a boolean Series (True for empty cells), once per distinct text."""
    return pd.Series(distinct_map(values, lambda v: bool(pred(v)), True).astype(bool), index=values.index)


def objects(values: pd.Series, func: Callable[[Any], Any]) -> pd.Series:
    """`func` of every non-empty cell (None stays None), as an object Series."""
    return pd.Series(distinct_map(values, func), index=values.index, dtype=object)


def floats(values: pd.Series, parse: Callable[[Any], float | None]) -> pd.Series:
    """`parse` of every cell as floats (NaN for empty cells and for None results)."""
    out = distinct_map(values, lambda v: np.nan if (x := parse(v)) is None else float(x), np.nan)
    return pd.Series(out.astype(float), index=values.index, dtype=float)


def visible(values: pd.Series) -> pd.Series:
    """True where a cell holds none of the invisible characters (`cells.INVISIBLE`)."""
    array = values.to_numpy(dtype=object)
    texts = array[pd.notna(array)]
    try:
        joined = " ".join(texts)
    except TypeError:  # not only text
        joined = " ".join(v for v in texts if isinstance(v, str))
    if joined.isprintable() or not cells.INVISIBLE.search(joined):  # the usual case: one scan of the column
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


def code_checks(values: pd.Series) -> dict[str, pd.Series]:
    """The four GB 32100-2015 checks of a column of codes (True: passes; empty cells pass), as
    `cells.code_length_ok`, `code_alphabet_ok`, `code_region_ok`, `code_check_ok` tell them."""
    codes = distinct_map(values, lambda v: cells.normalise_code(v) or "", "")
    present = np.fromiter((bool(c) for c in codes), dtype=bool, count=len(codes))
    length = np.fromiter((len(c) for c in codes), dtype=np.int64, count=len(codes))
    ascii_ = np.fromiter((c.isascii() for c in codes), dtype=bool, count=len(codes))
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
