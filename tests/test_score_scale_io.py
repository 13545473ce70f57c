"""The score stage's fast readers, writers and column tests (issue 13) against the plain ones: the
header check of state files, the CSV bytes of numbers, and the per-distinct-value column tests."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from scoring.analysis import monthly, profiles
from scoring.csvbytes import csv_bytes, fast_csv
from scoring.errors import StateError
from scoring.state import _plain_header, read_state_csv


def _plain_header_reference(text: str) -> list[str] | None:
    """The header check as it was: every non-empty line's commas counted in Python."""
    if '"' in text or "\r" in text:
        return None
    lines = [line for line in text.split("\n") if line]
    if not lines:
        return None
    commas = lines[0].count(",")
    return lines[0].split(",") if all(line.count(",") == commas for line in lines) else None


@pytest.mark.parametrize("seed", range(4))
def test_plain_header_equals_the_line_by_line_count(seed: int) -> None:
    rng = random.Random(seed)
    pieces = ["a", ",", ",", "\n", "\n", "甲", '"', "\r", "b,c", ",,", "𝄞"]
    accepted = 0
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        expected = _plain_header_reference(text)
        accepted += expected is not None
        assert _plain_header(text) == expected == _plain_header(text, text.encode("utf-8")), repr(text)
    assert accepted > 500  # the accepting path is exercised, not only the refusals


def test_read_state_csv_with_a_bom_and_a_damaged_row(tmp_path) -> None:
    body = "unit,value\nu1,1.5\nu2,\n"
    (tmp_path / "a.csv").write_bytes(b"\xef\xbb\xbf" + body.encode())
    (tmp_path / "b.csv").write_text(body, encoding="utf-8")
    cols = {"unit": str, "value": float}
    pd.testing.assert_frame_equal(read_state_csv(tmp_path / "a.csv", "t", "fix", cols),
                                  read_state_csv(tmp_path / "b.csv", "t", "fix", cols))
    (tmp_path / "c.csv").write_text(body + "u3,1,2\n", encoding="utf-8")
    with pytest.raises(StateError) as info:
        read_state_csv(tmp_path / "c.csv", "t", "fix", cols)
    assert "row 4: 3 field(s), the header has 2" in "\n".join(info.value.problems)
    (tmp_path / "d.csv").write_text(" \n\n", encoding="utf-8")
    with pytest.raises(StateError, match="is empty"):
        read_state_csv(tmp_path / "d.csv", "t", "fix", cols)


def _numbers(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    floats = rng.normal(0, 50, n)
    floats[::7] = np.round(floats[::7])  # whole numbers: "3.0"
    floats[::11] = np.nan
    floats[5::13] = rng.choice([1e16, -1e-5, 1e22, 5e-324, np.inf, -np.inf, 0.1, 2.5], len(floats[5::13]))
    return pd.DataFrame({"unit": [f"u{i % 17}" for i in range(n)], "x": floats, "y": -np.abs(floats),
                         "k": rng.integers(-5, 5, n), "m": pd.array(rng.integers(-3, 3, n), dtype="Int64"),
                         "ok": rng.random(n) < 0.5})


@pytest.mark.parametrize("n", [5, 3000])  # short columns; long ones, formatted once per distinct value
@pytest.mark.parametrize("float_format", [None, "%.10g"])
def test_fast_csv_writes_negative_numbers_as_pandas(n: int, float_format: str | None) -> None:
    frame = _numbers(n, n)
    frame.loc[frame.index[1], "m"] = pd.NA
    assert fast_csv(frame, float_format) == csv_bytes(frame, float_format)
    zero = frame.assign(x=frame["x"].where(frame.index != 2, -0.0))  # −0.0: no per-distinct formatting
    assert b"-0.0" in fast_csv(zero) and fast_csv(zero, float_format) == csv_bytes(zero, float_format)


@pytest.mark.parametrize("cell", ["-1", "=A1", "+7", "@x", "a,b", 'a"b', "a\nb"])
def test_fast_csv_leaves_risky_text_to_pandas(cell: str) -> None:
    frame = _numbers(40, 1)
    frame.loc[3, "unit"] = cell
    assert fast_csv(frame) == csv_bytes(frame)
    named = _numbers(40, 2).rename(columns={"x": "-x"})  # a column name like a formula
    assert fast_csv(named) == csv_bytes(named)


def _dates() -> pd.Series:
    values = ["2020-12-01", "2020-11-30", "", "2021-01-02", "2020-12-31", np.nan] * 50
    return pd.Series(pd.array(values, dtype=pd.StringDtype(na_value=np.nan)), index=range(100, 400))


def test_elementwise_tests_equal_the_whole_column_ones() -> None:
    dates = _dates()
    for test in (lambda d: d.astype(str).str[:7] == "2020-12", lambda d: d.astype(str).str[:7] <= "2020-12",
                 lambda d: (d.astype(str).str[:7] == "") | (d.astype(str).str[:7] > "2020-12")):
        expected = test(dates).to_numpy(dtype=bool)
        assert (monthly._elementwise(dates, test) == expected).all()
        assert (monthly._elementwise(dates.astype(object), test) == expected).all()  # not a text column
    assert monthly._elementwise(dates, lambda d: d == "2020-12-01").sum() == 50


def test_flag_and_equality_tests_equal_pandas() -> None:
    flags = pd.Series(pd.array(["", "missing", "zero_tolerance_failed", np.nan, "missing"] * 20,
                               dtype=pd.StringDtype(na_value=np.nan)), index=range(5, 105))
    for flag in ("missing", "zero_tolerance_failed"):
        pd.testing.assert_series_equal(profiles.has_flag(flags, flag), flags.str.contains(flag, regex=False))
        assert (profiles._is(flags, flag) == (flags == flag).to_numpy()).all()
    as_object = flags.astype(object).fillna("")
    pd.testing.assert_series_equal(profiles.has_flag(as_object, "missing"),
                                   as_object.str.contains("missing", regex=False))


def test_list_counts_and_movements_of_records() -> None:
    text = pd.StringDtype(na_value=np.nan)
    entries = pd.DataFrame({
        "unit": ["u1", "u1", "u2", "u2", "u3"], "entity": ["甲", "乙", "丙", "丁", "戊"],
        "credit_code": ["c1", "c2", "c3", "c4", "c5"], "list_type": ["黑名单"] * 5, "domain": ["税务"] * 5,
        "entry_date": ["2020-12-03", "2020-11-01", "2020-12-20", "2021-01-01", "2020-05-05"],
        "exit_date": ["2020-12-30", "", "", "", "2020-12-01"], "counted": ["1", "1", "0", "1", "1"],
    }).astype(text)
    counts = monthly.list_counts(entries, "2020-12", ["u1", "u2", "u3", "u4"]).set_index("unit")
    assert counts.loc["u1"].tolist() == [1, 1, 1] and counts.loc["u2"].tolist() == [0, 0, 0]
    assert counts.loc["u3"].tolist() == [0, 0, 1] and counts.loc["u4"].tolist() == [0, 0, 0]
    moves = monthly.list_movements(entries, "2020-12")
    assert list(zip(moves["unit"], moves["movement"], moves["entity"], strict=True)) == [
        ("u1", "entered", "甲"), ("u1", "exited", "甲"), ("u3", "exited", "戊")]
