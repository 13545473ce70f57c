"""A whole column at a time: the cell functions of `cells` over a column of text, computed once per distinct value.

The checks and conversions of a column (`types`, `rules`, `pools`) see a pandas Series of
cell texts (None = empty). A department file repeats the same unit, list type, date or
count in thousands of rows, so `distinct_map` computes a cell function once per distinct
text and spreads the results back (pandas.factorize); the 统一社会信用代码 checks, whose
values are all distinct, are numpy operations over the column (`codecolumns`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from scoring.ingest import cells

Key = tuple[int, tuple[int, ...], tuple[int, ...]]  # a column array's data buffer, shape and strides


@dataclass
class _Column:
    """What is known of one column, each fact computed at most once (None: not yet)."""

    array: np.ndarray  # kept alive: its buffer is not reused while remembered
    codes: np.ndarray | None = None  # pandas.factorize: −1 for empty cells
    uniques: np.ndarray | None = None
    empty: np.ndarray | None = None  # pandas.isna of every cell
    text: bool | None = None  # every cell is a str (so none is empty)
    clean: bool | None = None  # no cell holds an invisible character
    ascii: bytes | None = None  # every cell joined, when every one is ASCII text (`visible` found it)
    codes_normalised: np.ndarray | None = None  # `normalised_codes`
    codes_unchanged: bool = False  # `normalised_codes`: each code is its cell (so their factorisations agree)
    keys: dict[str, tuple[Any, np.ndarray]] = field(default_factory=dict)  # `remembered_keys`: (context, keys)
    read: dict[Any, np.ndarray] = field(default_factory=dict)  # `numbers`: (parse, as_number) → each distinct's


_SEEN: dict[Key, _Column] = {}
_KEPT = 96  # columns remembered


def _key(array: np.ndarray) -> Key:
    return array.__array_interface__["data"][0], array.shape, array.strides


def known_facts(array: np.ndarray) -> _Column | None:
    """What is remembered of a column array (`column_facts`), None when nothing is; nothing is added."""
    return _SEEN.get(_key(array))


def column_facts(values: pd.Series | np.ndarray) -> _Column:
    """The remembered facts of a column, known by its data buffer (which the memo keeps alive), for the
    last columns seen: the several checks and conversions of one column read it once. Columns are not
    changed in place here."""
    array = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else np.asarray(values, dtype=object)
    key = _key(array)
    hit = _SEEN.get(key)
    if hit is None:
        if len(_SEEN) >= _KEPT:
            del _SEEN[next(iter(_SEEN))]
        hit = _SEEN[key] = _Column(array)
    return hit


def factorized(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`pandas.factorize` of a column (codes, −1 for empty cells; distinct texts), remembered (`column_facts`)."""
    col = column_facts(values)
    if col.codes is None:
        codes, uniques = pd.factorize(col.array)  # empty cells (None, NaN: pandas.isna) → −1
        col.codes, col.uniques = codes, np.asarray(uniques, dtype=object)
    return col.codes, col.uniques  # type: ignore[return-value]


def remember_factorisation(array: np.ndarray, codes: np.ndarray, uniques: np.ndarray) -> None:
    """Remember `pandas.factorize(array)` found elsewhere (the CSV reader's, from Arrow's distinct cells):
    `codes` (int64, −1 for empty cells) and `uniques` (the distinct texts, in order of first appearance)."""
    col = column_facts(array)
    col.codes, col.uniques = codes, np.asarray(uniques, dtype=object)


def empty_cells(values: pd.Series | np.ndarray) -> np.ndarray:
    """`pandas.isna` of every cell (not to be changed), remembered: the codes −1 of a factorised column
    (factorize takes the cells pandas.isna takes as missing)."""
    col = column_facts(values)
    if col.empty is None:
        col.empty = (np.zeros(len(col.array), dtype=bool) if col.text else (col.codes < 0) if col.codes is not None
                     else pd.isna(col.array))
    return col.empty


def has_empty(values: pd.Series | np.ndarray) -> bool:
    """`Series.hasnans`: some cell is empty (None or NaN), from what is known of the column when it tells."""
    col = column_facts(values)
    if col.text:
        return False
    if col.empty is None and col.codes is not None:
        return bool(len(col.codes)) and int(col.codes.min()) < 0
    return bool(empty_cells(values).any())


def remembered_keys(values: pd.Series, kind: str, ctx: Any, compute: Callable[[], np.ndarray]) -> np.ndarray:
    """`compute()`, the keys of a column's cells as its type `kind` compares them under `ctx`, remembered
    for the column (`column_facts`): a source's unique keys and set rules compare its cells once (and
    `factorized` of the keys is then remembered too). Not to be changed in place."""
    col = column_facts(values)
    found = col.keys.get(kind)
    if found is None or found[0] is not ctx:
        found = col.keys[kind] = (ctx, compute())
    return found[1]


def forget() -> None:
    """Drop the remembered columns (after a month: they keep its columns alive)."""
    _SEEN.clear()


def distinct_values(values: pd.Series, func: Callable[[Any], Any], empty: Any, dtype: Any) -> np.ndarray:
    """`func(text)` of every cell as an array of `dtype` (bool, float), computed once per distinct text;
    `empty` for empty cells."""
    codes, uniques = factorized(values)
    results = np.empty(len(uniques) + 1, dtype=dtype)
    results[:-1] = [func(text) for text in uniques]
    results[-1] = empty  # code −1 picks the last entry
    return results[codes]


def distinct_map(values: pd.Series, func: Callable[[Any], Any], empty: Any = None) -> np.ndarray:
    """`func(text)` of every cell as an object array, computed once per distinct text; `empty` for empty cells.
    Its factorisation is remembered (`column_facts`), derived from the column's: the results factorised."""
    codes, uniques = factorized(values)
    results = np.empty(len(uniques) + 1, dtype=object)
    for i, text in enumerate(uniques):
        results[i] = func(text)
    results[-1] = empty  # code −1 picks the last entry
    out = results[codes]
    if not (len(codes) and codes.min() < 0) or empty is None or (isinstance(empty, float) and np.isnan(empty)):
        found, distinct = pd.factorize(results[:-1])  # as pandas.factorize(out): first appearances keep their order
        col = column_facts(out)
        col.codes, col.uniques = np.append(found, -1)[codes], np.asarray(distinct, dtype=object)
    return out


def distinct_test(values: pd.Series, pred: Callable[[Any], bool]) -> pd.Series:
    """`pred(text)` of every cell as a boolean Series (True for empty cells), once per distinct text."""
    return pd.Series(distinct_values(values, lambda v: bool(pred(v)), True, bool), index=values.index)


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
    """`func` of every non-empty cell (None stays None), as an object Series (its factorisation remembered)."""
    return pd.Series(distinct_map(values, func), index=values.index, dtype=object, copy=False)


def floats(values: pd.Series, parse: Callable[[Any], float | None]) -> pd.Series:
    """`parse` of every cell as floats (NaN for empty cells and for None results)."""
    return pd.Series(numbers(values, parse), index=values.index, dtype=float)


# parsers that read a plain ASCII number (`cells.PLAIN_NUMBER`) as float(text), when finite; True: whole ones only
_PLAIN_READ = {cells.parse_number: False, cells.parse_ratio: False, cells.parse_whole: True}


def numbers(values: pd.Series, parse: Callable[[Any], Any], as_number: Callable[[Any], float] = float) -> np.ndarray:
    """`as_number` of what `parse` reads in every cell, as floats (NaN: empty, or None read), once per
    distinct text, remembered for the column (`column_facts`). The distinct texts that are plain ASCII numbers
    are read at once (float of each, as `cells.parse_number` reads them) when `parse` is a number parser of
    `cells` and `as_number` float."""
    codes, uniques = factorized(values)
    read = column_facts(values).read
    if (parse, as_number) not in read:
        read[parse, as_number] = _numbers(uniques, parse, as_number)
    return read[parse, as_number][codes]


def _numbers(uniques: np.ndarray, parse: Callable[[Any], Any], as_number: Callable[[Any], float]) -> np.ndarray:
    out = np.full(len(uniques) + 1, np.nan)  # code −1 (empty) picks the last entry

    def number(v: Any) -> float:
        x = parse(v)
        return np.nan if x is None else float(as_number(x))

    rest = np.arange(len(uniques))
    whole = _PLAIN_READ.get(parse)
    if whole is not None and as_number is float and len(uniques):
        try:
            plain = np.fromiter(map(bool, map(cells.PLAIN_NUMBER.fullmatch, uniques)), dtype=bool, count=len(uniques))
        except TypeError:  # not only text
            plain = np.zeros(len(uniques), dtype=bool)
        x = np.array(list(map(float, uniques[plain])), dtype=float)
        x[~np.isfinite(x)] = np.nan  # parse_number: finite numbers only
        if whole:
            x[x != np.floor(x)] = np.nan  # parse_whole: whole numbers only,
            x += 0.0  # as float(int(value)): -0.0 → 0.0
        out[:-1][plain] = x
        rest = np.flatnonzero(~plain)
    for i in rest.tolist():
        out[i] = number(uniques[i])
    return out


def visible(values: pd.Series, distinct: bool = False) -> pd.Series:
    """True where a cell holds none of the invisible characters (`cells.INVISIBLE`). The column is
    scanned once (its distinct texts if it is factorised already, or is to be: `distinct`, for a
    column whose texts repeat) and found clean is remembered (`column_facts`): its other checks look no more."""
    col = column_facts(values)
    if col.clean is None:
        col.clean = _clean(col, distinct)
    if col.clean:
        return pd.Series(True, index=values.index)
    return distinct_test(values, lambda v: not isinstance(v, str) or cells.INVISIBLE.search(v) is None)


_ASCII_SHOWN = bytes(b for b in range(128) if not cells.INVISIBLE.match(chr(b)))  # ASCII bytes no rule refuses


def _clean(col: _Column, distinct: bool) -> bool:
    """No cell of the column holds an invisible character: one scan of its texts joined."""
    if distinct:
        factorized(col.array)
    whole = col.uniques is None or len(col.uniques) == len(col.array)  # (n distinct texts of n cells: the cells)
    texts = col.array if whole else col.uniques
    try:
        joined = "".join(texts)  # type: ignore[arg-type]
        col.text = col.text or whole  # every cell is a str
    except TypeError:  # an empty cell (None), or not only text
        try:
            joined = "".join(filter(None, texts))  # type: ignore[arg-type]
        except TypeError:
            joined = "".join(v for v in texts if isinstance(v, str))  # type: ignore[union-attr]
    if joined.isascii():  # the invisible ASCII characters are bytes: deleting every other byte leaves them
        raw = joined.encode("ascii")
        col.ascii = raw if whole and col.text else None  # for `code_checks`
        return not raw.translate(None, _ASCII_SHOWN)
    return joined.isprintable() or not cells.INVISIBLE.search(joined)


def shared(compute: Callable[[pd.Series], dict[str, Any]]) -> Callable[[pd.Series], dict[str, np.ndarray]]:
    """`compute` remembered for the column it saw last (known by its data buffer, which the memo
    keeps alive): the several checks of one column share one pass over it."""
    last: list[Any] = [None, None, None]  # key, the column's array, the results

    def run(values: pd.Series) -> dict[str, np.ndarray]:
        array = values.to_numpy(dtype=object)
        key = _key(array)
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
        return {"value": numbers(values, parse, as_number), "empty": empty_cells(values),
                "skip": ~visible(values, distinct=True).to_numpy()}

    return shared(compute)


_SAMPLE = 512  # in_order: the first cells telling whether a column repeats its texts
_ARROW_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' text on Arrow (its str dtype)


def in_order(values: pd.Series, order: np.ndarray) -> pd.Series:
    """The column's cells in `order`. A column of texts (and None) comes out as Arrow text (pandas' str
    dtype, None → NaN), taken from its distinct texts when they are known and few, so that writing it
    joins Arrow arrays (`csvbytes.fast_csv`) instead of reading a Python string a cell."""
    if values.dtype != object:
        return pd.Series(values.array.take(order), dtype=values.dtype, copy=False)
    cells = values.to_numpy(dtype=object)
    facts = known_facts(cells)
    if (facts is not None and facts.codes is not None) or len(pd.unique(cells[:_SAMPLE])) * 8 <= len(cells[:_SAMPLE]):
        codes, uniques = factorized(cells)  # (remembered, or a column whose first cells repeat)
        if len(uniques) * 4 <= len(cells):
            codes = codes[order]
            texts = pa.array(uniques, pa.large_string()).take(pa.array(codes, mask=codes < 0))
            return pd.Series(_ARROW_STR.__from_arrow__(texts), copy=False)
    texts = pa.array(cells[order], pa.large_string())
    return pd.Series(_ARROW_STR.__from_arrow__(texts), copy=False)
