"""The Arrow paths of the state files equal the pandas ones (same bytes written, same frames read).

- `csvbytes.repr_texts` = repr on every layout range (1e-9 … 1e16, negatives, −0.0, NaN, inf,
  subnormals), on random bit patterns and on repetitive columns (formatted once per distinct value);
- `state.read_state_csv` through Arrow (`_arrow_frame`) = through pandas and the cell checks: the
  same dtypes, values, NaN, categories (pandas' inference of numeric / boolean categories too)
  and the same refusals, on random small files of every kind of column.
"""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from scoring import state
from scoring.csvbytes import csv_bytes, fast_csv, repr_texts
from scoring.errors import StateError


def _floats(rng: np.random.Generator, n: int) -> np.ndarray:
    edges = [0.0, -0.0, np.nan, np.inf, -np.inf, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308]
    for k in (-10, -9, -7, -6, -5, -4, 10, 15, 16):
        edges += [10.0 ** k, np.nextafter(10.0 ** k, 0), np.nextafter(10.0 ** k, np.inf), -(10.0 ** k)]
    return np.concatenate([np.array(edges), rng.integers(0, 2**63, n).view(np.float64),
                           -rng.integers(0, 2**63, n).view(np.float64), 10.0 ** rng.uniform(-11, 17, n),
                           -(10.0 ** rng.uniform(-11, 17, n)), np.round(rng.random(n) * 100, 2),
                           rng.integers(-10**9, 10**9, n).astype(float)])


@pytest.mark.parametrize("seed", [0, 1])
def test_repr_texts_are_repr(seed: int) -> None:
    x = _floats(np.random.default_rng(seed), 20_000)
    assert repr_texts(x).to_pylist() == ["" if v != v else repr(v) for v in x.tolist()]


def test_repetitive_column_is_formatted_once_per_distinct_value() -> None:
    x = np.array([0.0, -0.0, 1.5, np.nan, 1e-05, -2.0, 1e12] * 3000)
    assert repr_texts(x).to_pylist() == ["" if v != v else repr(v) for v in x.tolist()]


def test_float_frame_written_as_pandas() -> None:
    rng = np.random.default_rng(5)
    x = _floats(rng, 3000)
    frame = pd.DataFrame({"unit": [f"u{i % 9}" for i in range(len(x))], "x": x, "y": x[::-1].copy(),
                          "flag": (x > 0)})
    assert fast_csv(frame) == csv_bytes(frame)


def test_bytes_in_a_text_column_go_through_pandas() -> None:
    frame = pd.DataFrame({"a": [b"x", "y"], "b": [1.0, 2.0]})
    assert fast_csv(frame) == csv_bytes(frame) == b"a,b\nb'x',1.0\ny,2.0\n"


CELLS = ["", "x", "'=a", "'x", "1", "-1", "1.5", "1e-05", "-0.0", "nan", "inf", "True", "False", "true", " 1",
         "007", "12345678901234567890", "1.", ".5", "+1", "e5", "临沂", "a b", "-", "0", "1E5", "=x", '"q"', "a\rb",
         "-0", "-00", "-0e0"]
KINDS = [str, float, int, bool]


def _read(path, columns, categories: bool) -> pd.DataFrame | Exception:
    try:
        return state.read_state_csv(path, "the table", "write it again", columns, categories=categories)
    except StateError as exc:
        return exc


def _same(a: pd.DataFrame | Exception, b: pd.DataFrame | Exception) -> bool:
    if isinstance(a, Exception) or isinstance(b, Exception):
        return type(a) is type(b) and str(a) == str(b) and a.problems == b.problems
    pd.testing.assert_frame_equal(a, b, check_exact=True, check_categorical=True)
    for col in a.columns:
        if isinstance(a[col].dtype, pd.CategoricalDtype):
            assert a[col].cat.codes.dtype == b[col].cat.codes.dtype
            assert a[col].cat.categories.dtype == b[col].cat.categories.dtype
        elif a[col].dtype.kind == "f":
            assert np.array_equal(a[col].to_numpy().view(np.int64), b[col].to_numpy().view(np.int64))
    return True


def test_arrow_reading_equals_pandas_reading(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)
    cases = []
    for trial in range(300):
        ncol = rng.randint(1, 3)
        kinds = [rng.choice(KINDS) for _ in range(ncol)]
        pool = CELLS if rng.random() < 0.5 else CELLS[:9]
        rows = [[rng.choice(pool) for _ in range(ncol)] for _ in range(rng.randint(0, 4))]
        if rows and rng.random() < 0.1:
            rows[-1] = rows[-1][:-1]  # a row cut short
        names = [f"c{i}" for i in range(ncol)]
        path = tmp_path / f"t{trial}.csv"
        path.write_text(",".join(names) + "\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
        for columns in (dict(zip(names, kinds, strict=True)), None):
            cases += [(path, columns, categories) for categories in (False, True)]
    fast = [_read(*case) for case in cases]
    monkeypatch.setattr(state, "_arrow_frame", lambda *_args: None)
    assert all(_same(f, _read(*case)) for f, case in zip(fast, cases, strict=True))


def test_plain_file_is_read_by_arrow_and_numbers_as_categories_as_pandas(tmp_path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.csv"
    path.write_text("month,unit,metric,value\n" + "".join(f"2020-0{i % 3 + 1},u{i % 5},00{i % 2},{i / 7!r}\n"
                                                          for i in range(50)) + "2020-01,u1,001,\n", encoding="utf-8")
    columns = {"month": str, "unit": str, "metric": str, "value": float}
    fast = state.read_state_csv(path, "t", "f", columns, categories=True)
    assert fast["metric"].cat.categories.dtype == np.int64  # ('000', '001': numbers, as pandas infers them)
    assert fast["unit"].cat.categories.tolist() == [f"u{i}" for i in range(5)]
    assert np.isnan(fast["value"].iloc[-1])
    monkeypatch.setattr(state, "_arrow_frame", lambda *_args: None)
    assert _same(fast, state.read_state_csv(path, "t", "f", columns, categories=True))
    monkeypatch.undo()
    monkeypatch.setattr(pd, "read_csv", lambda *_a, **_k: (_ for _ in ()).throw(AssertionError("pandas read it")))
    assert state.read_state_csv(path, "t", "f", columns)["metric"].tolist()[:2] == ["000", "001"]


@pytest.mark.parametrize("texts", [
    ["2020-01"] * 300 + ["2020-02"] * 200,  # long runs: encoded from each run's first cell
    [f"u{i // 40}" for i in range(1000)] + ["u0"] * 5,  # runs, one text coming back after others
    [f"m{i % 7}" for i in range(600)],  # no runs
])
def test_encoded_is_arrow_dictionary_encoding(texts: list[str]) -> None:
    cells = pa.array(texts, pa.large_string())
    indices, distinct = state._encoded(cells)
    assert [distinct[i].as_py() for i in indices] == texts
    assert distinct.to_pylist() == pc.dictionary_encode(cells).dictionary.to_pylist() == list(dict.fromkeys(texts))


@pytest.mark.parametrize("seed", range(4))
def test_arrow_text_columns_are_written_as_their_object_cells(seed: int) -> None:
    """The processed list entries' text columns are Arrow text (pandas' str dtype, NaN for empty cells):
    written as the same cells held as Python objects (None empty) are, formula-like and quoted cells too."""
    rng = random.Random(seed)
    pool = ["临沂", "兰山区", "a", "", None, "=1+1", "x,y", "2019-03-01", '"q"', "-", "@"][: rng.randrange(3, 12)]
    n = rng.randrange(1, 40)
    objects = pd.DataFrame({"a": pd.Series([rng.choice(pool) for _ in range(n)], dtype=object),
                            "b": pd.Series([rng.choice(pool) for _ in range(n)], dtype=object),
                            "n": np.arange(n)})
    arrow = objects.astype({"a": pd.StringDtype("pyarrow", na_value=np.nan),
                            "b": pd.StringDtype("pyarrow", na_value=np.nan)})
    assert fast_csv(arrow, "%.10g") == csv_bytes(objects, "%.10g") == fast_csv(objects, "%.10g")
