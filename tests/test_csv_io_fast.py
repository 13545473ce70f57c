"""The fast CSV paths equal the plain ones, on inputs that take each shortcut and each fallback.

- `csvbytes.fast_csv` = pandas through `csv_bytes`: whole numbers (signed, unsigned above 2**63,
  nullable); the formula test on each text cell's first byte (a number's '-', a '-' inside a text
  cell, a risky first cell, empty cells before a risky one);
- `grid.text_grid` = csv.reader + the reader's stripping, with \\r\\n, mixed line ends and blank rows.
"""

from __future__ import annotations

import csv
import io
import random

import numpy as np
import pandas as pd
import pytest

from scoring import csvbytes
from scoring.csvbytes import csv_bytes, fast_csv
from scoring.ingest.grid import rows_to_columns, text_grid
from scoring.ingest.readers import _text_rows
from scoring.safeio import FORMULA_PREFIXES


def _no_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> bytes:
        raise AssertionError("went through pandas")
    monkeypatch.setattr(csvbytes, "csv_bytes", refuse)


@pytest.mark.parametrize("ints", [
    np.arange(-3, 3, dtype=np.int64).repeat(50),  # few values: the table of texts
    np.arange(-100, 100, dtype=np.int8).repeat(3),  # int8 spanning more than int8 can subtract
    np.random.default_rng(1).integers(-2**62, 2**62, 400),  # many values: astype(str)
    np.array([0, 2**63 + 5, 2**64 - 1] * 10, dtype=np.uint64),  # above int64
    np.array([2**63 - 2, 2**63 - 1] * 10, dtype=np.uint64),  # the top of int64, a span of 2
    np.array([-2**63, -2**63 + 1] * 10, dtype=np.int64),
])
def test_whole_numbers_as_pandas(ints: np.ndarray) -> None:
    frame = pd.DataFrame({"unit": [f"u{i % 7}" for i in range(len(ints))], "n": ints,
                          "m": pd.array(ints.astype(np.int64) % 5, dtype="Int64")})
    frame.loc[frame.index[::9], "m"] = pd.NA
    assert fast_csv(frame) == csv_bytes(frame)
    assert csvbytes._column_texts(frame["n"], None)[0].to_pylist() == ints.astype(str).tolist()


def test_plain_frame_does_not_go_through_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pd.DataFrame({"unit": ["a-b", "c"] * 600, "date": ["2020-01-02", ""] * 600, "n": [3, 4] * 600,
                          "x": [-1.5, 2.0] * 600})  # '-' inside cells and in numbers: not formulas
    expected = csv_bytes(frame, "%.10g")
    _no_pandas(monkeypatch)
    assert fast_csv(frame, "%.10g") == expected


@pytest.mark.parametrize("where", [0, 1, 599])
@pytest.mark.parametrize("cell", ["-x", "=1", "@a", "\tb", "+2"])
def test_risky_text_anywhere_goes_through_pandas(where: int, cell: str) -> None:
    frame = pd.DataFrame({"unit": ["a-b"] * 600, "n": [-1] * 600, "note": ["x"] * 600})
    frame.loc[where, "note" if where else "unit"] = cell
    assert fast_csv(frame) == csv_bytes(frame)
    assert b"'" + cell.encode() in fast_csv(frame)  # neutralised


def test_plain_cells_equals_the_plain_test() -> None:
    rng = random.Random(3)
    for _ in range(300):
        cells = ["".join(rng.choice(["a", "-", "=", "1", "\t", "中", ",", '"', "\n", "\r", "@", "+"])
                         for _ in range(rng.randint(0, 3)))
                 for _ in range(rng.randint(1, 6))]
        arrow = csvbytes._column_texts(pd.Series(cells, dtype=object), None)[0][rng.randint(0, 1):]
        shown = cells[len(cells) - len(arrow):]  # (a sliced array: the offsets start past 0)
        plain = not any(c.startswith(FORMULA_PREFIXES) or any(q in c for q in ',"\n\r') for c in shown)
        assert csvbytes._plain_cells(arrow, True) == plain, cells


def _plain_csv(text: str) -> tuple[list[str | None], list[int], list[np.ndarray]]:
    header, body = _text_rows(csv.reader(io.StringIO(text, newline="")))
    return (header, *rows_to_columns(body))


@pytest.mark.parametrize("text", [
    "a,b\r\n1,2\r\n\r\n , \r\n3, 4 \r\n",  # \r\n only, a blank line, a row of empty cells
    "a,b\r\n1,2\n3,4\r\n",  # \r\n and \n
    "a,b\r\n1,2\r3,4\r\n",  # \r\n and \r
    "a,b\n,x\n,\ny,\n",  # empty cells in each column, one blank row
    "a,b,c\r\n,,\r\n,,\r\n",  # blank rows only
    "a\r\n1\r\n\r\n2\r\n",  # one column
])
def test_text_grid_equals_the_csv_module(text: str) -> None:
    fast = text_grid(text)
    assert fast is not None
    header, numbers, cols = fast
    plain_header, plain_numbers, plain_cols = _plain_csv(text)
    assert (header, numbers) == (plain_header, plain_numbers)
    assert [list(c) for c in cols[:len(plain_cols)]] == [list(c) for c in plain_cols]
    assert all(c.dtype == object and c.flags.c_contiguous for c in cols)


@pytest.mark.parametrize("with_minus_zero", [False, True])
def test_long_formatted_float_column_as_pandas(with_minus_zero: bool) -> None:
    """A column long enough to be formatted once per distinct value (`_format_texts`), with repeats,
    NaN, 0.0 (and −0.0, which takes the per-cell path), tiny, huge and negative values."""
    rng = np.random.default_rng(13)
    values = rng.choice(np.array([1 / 3, 2.0, -0.25, 1e-7, 123456789012.5, 0.0, np.nan, 7.0, 1e21, -3e-5]),
                        size=5000)
    values[::97] = rng.random(len(values[::97]))  # and many values seen once
    if with_minus_zero:
        values[11] = -0.0
    frame = pd.DataFrame({"unit": [f"u{i % 13}" for i in range(len(values))], "value": values})
    assert fast_csv(frame, "%.10g") == csv_bytes(frame, "%.10g")
