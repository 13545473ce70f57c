"""The list records' fast paths give what the plain computations give.

- `columns.distinct_map` remembers its result's factorisation: the one pandas.factorize gives it;
- `pools.stacked_facts`: the stacked column's remembered facts are the stacked cells' own;
- `typebase.stripped`: True exactly when `columns.texts` changes no cell (white space as str.strip takes it);
- `columns.numbers` remembered per parser: each parser's own values;
- `CountType.convert` (Int64 from numpy) and `derive.list_facts` (sums per unit by bincount) against
  the former pandas computations; the GB 32100 checks of mixed-case codes against `cells`.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import sys

import numpy as np
import pandas as pd
import pytest

from scoring.ingest import cells, codecolumns, columns, pools, typebase
from scoring.ingest.derive import ListFacts, list_facts, month_bounds


@pytest.fixture(autouse=True)
def _fresh() -> None:
    columns.forget()


def _cells(rng: random.Random, n: int, pool: list[object]) -> np.ndarray:
    return np.array([rng.choice(pool) for _ in range(n)], dtype=object)


@pytest.mark.parametrize("seed", range(6))
def test_distinct_map_remembers_the_factorisation_of_its_result(seed: int) -> None:
    rng = random.Random(seed)
    values = pd.Series(_cells(rng, 300, ["a", "b", " c", "d", None, np.nan, "e", "A"]), dtype=object)
    funcs = [str.upper, lambda v: None if v == "b" else v.strip(), lambda v: np.nan if v == "d" else len(v)]
    for func in funcs:
        for empty in (None, np.nan, "", 0):
            out = columns.distinct_map(values, func, empty)
            expected = [empty if pd.isna(v) else func(v) for v in values]
            assert [x if not (isinstance(x, float) and np.isnan(x)) else "nan" for x in out] == \
                   [x if not (isinstance(x, float) and np.isnan(x)) else "nan" for x in expected]
            known = columns.known_facts(out)
            if known is None or known.codes is None:
                assert not pd.isna(empty) and pd.isna(values).any()  # only then not remembered
                continue
            codes, uniques = pd.factorize(out)
            assert known.codes.tolist() == codes.tolist()
            assert list(known.uniques) == list(uniques)


@pytest.mark.parametrize("seed", range(6))
def test_stacked_columns_know_what_their_tables_knew(seed: int) -> None:
    rng = random.Random(seed)
    parts = [_cells(rng, rng.randrange(0, 60), ["x", "y", "z", "w", "q1"][: rng.randrange(1, 6)])
             for _ in range(rng.randrange(1, 4))]
    for p in parts:
        columns.factorized(p)
        columns.visible(pd.Series(p, dtype=object))  # text, clean, ascii learnt
    whole = np.concatenate(parts)
    pools.stacked_facts(parts, whole)
    known = columns.known_facts(whole)
    assert known is not None and known.codes is not None
    codes, uniques = pd.factorize(whole)
    assert known.codes.tolist() == codes.tolist() and list(known.uniques) == list(uniques)
    assert known.text is (True if all(columns.known_facts(p).text for p in parts) else None)  # type: ignore
    if known.ascii is not None:
        assert known.ascii == "".join(whole).encode("ascii")


@pytest.mark.parametrize("parts", [[["a1", "b2"], ["c3"], ["d4", "e5"]],  # every cell once
                                   [["a1", "b2"], ["c3", "a1"]],  # a code in two files
                                   [["a1", "b2"], ["c3", "c3"]],  # twice in one
                                   [["a1", None], ["c3"]], [[], ["a1"]]])
def test_stacked_codes_found_distinct_by_sets_are_factorised_as_pandas_does(parts: list[list[str | None]]) -> None:
    arrays = [np.array(p, dtype=object) for p in parts]
    for a in arrays:
        columns.factorized(a)
    whole = np.concatenate(arrays)
    pools.stacked_facts(arrays, whole)
    known = columns.known_facts(whole)
    codes, uniques = pd.factorize(whole)
    assert known is not None and known.codes.tolist() == codes.tolist() and list(known.uniques) == list(uniques)
    repeated = pools._repeated([whole, np.array(["t"] * len(whole), dtype=object)])
    assert repeated.tolist() == (pd.Series(whole).duplicated(keep=False) & pd.notna(whole)).tolist()


def test_stacked_facts_need_every_part_known() -> None:
    a, b = np.array(["x", "y"], dtype=object), np.array(["y", "z"], dtype=object)
    columns.factorized(a)
    whole = np.concatenate([a, b])
    pools.stacked_facts([a, b], whole)
    assert columns.known_facts(whole) is None


SPACES = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]


def test_white_space_is_what_the_checks_take_it_for() -> None:
    """`stripped` relies on these: every white space but " " is not printable, and re's \\s is str.isspace."""
    assert all(not c.isprintable() for c in SPACES if c != " ")
    assert all(re.fullmatch(r"\s", c) for c in SPACES)
    assert not any(re.fullmatch(r"\s", chr(c)) for c in range(sys.maxunicode + 1) if not chr(c).isspace()
                   and not 0xD800 <= c <= 0xDFFF)


@pytest.mark.parametrize("seed", range(40))
def test_stripped_is_true_exactly_when_texts_changes_nothing(seed: int) -> None:
    rng = random.Random(seed)
    words = ["甲公司", "a|b", "x", "|", "", "名 称", "a\tb"]
    edges = ["", "", "", " ", "\u3000", "\t", "\x85", "\u2028", "|", " |"]
    pool = [rng.choice(edges) + rng.choice(words) + rng.choice(edges) for _ in range(6)]
    pool += [None] * rng.randrange(0, 2) + ([np.nan] if seed % 7 == 0 else []) + ([3] if seed % 11 == 0 else [])
    values = pd.Series(_cells(rng, rng.randrange(1, 40), pool), dtype=object)
    if seed % 2:
        columns.factorized(values)  # the distinct texts known
    plain = columns.texts(values).to_numpy(dtype=object)
    same = all((a is None and b is None) or (isinstance(a, str) and a == b) for a, b in zip(values, plain, strict=True))
    if typebase.stripped(values):
        assert same
    else:  # False only where texts changes a cell (or "|" sits beside white space inside one)
        assert not same or any(isinstance(v, str) and re.search(r"\s\||\|\s", v) for v in values)


def test_stripped_cases() -> None:
    def told(*cells_: object) -> bool:
        columns.forget()
        return typebase.stripped(pd.Series(np.array(cells_, dtype=object), dtype=object))

    assert told("甲公司", None, "a b", "x|y")
    assert not told("甲公司", " x") and not told("x\u3000") and not told("a", np.nan) and not told("a", 3)
    assert not told("a\t", "b") and not told("a", "\x85b") and told("a\tb", "c")


def test_numbers_remembered_per_parser() -> None:
    values = pd.Series(np.array(["1", "2.5", "3", None, "2019-07-15", "1"], dtype=object), dtype=object)
    whole = columns.numbers(values, cells.parse_whole)
    days = columns.numbers(values, cells.parse_date, dt.date.toordinal)
    assert np.array_equal(whole, [1, np.nan, 3, np.nan, np.nan, 1], equal_nan=True)
    assert np.array_equal(days, [np.nan] * 4 + [dt.date(2019, 7, 15).toordinal(), np.nan], equal_nan=True)
    assert np.array_equal(columns.numbers(values, cells.parse_number), [1, 2.5, 3, np.nan, np.nan, 1], equal_nan=True)


def test_counts_as_int64_from_numpy() -> None:
    from scoring.ingest.types import COLUMN_TYPES

    class Col:
        metric = None

    values = pd.Series(np.array(["0", "12", None, "3.0", "1e3", "-0", "７"], dtype=object), dtype=object)
    got = pd.Series(COLUMN_TYPES["count"].convert(Col(), None, None, values))  # type: ignore[arg-type]
    expected = pd.Series(pd.array([cells.parse_whole(v) for v in values], dtype="Int64"))
    pd.testing.assert_series_equal(got, expected)


def _old_list_facts(entries: pd.DataFrame, register: pd.DataFrame, units: list[str], month: str,
                    counted: tuple[str, ...]) -> ListFacts:
    """derive.list_facts as it was: pandas masks and a groupby sum."""
    start, end = month_bounds(month)
    rows = entries[entries["list_type"].isin(counted)]

    def test(dates: pd.Series, pred, empty: bool) -> pd.Series:  # type: ignore[no-untyped-def]
        return dates.map(lambda d: empty if d is None else bool(pred(d))).astype(bool)

    at_end = test(rows["entry_date"], lambda d: d <= end, False) & test(rows["exit_date"], lambda d: d > end, True)

    def per_unit(mask: pd.Series, weights: pd.Series | None = None) -> pd.Series:
        values = mask.astype(float) if weights is None else weights.astype(float).where(mask, 0.0)
        return values.groupby(rows["unit"]).sum().reindex(units, fill_value=0.0).astype(float)

    return ListFacts(listed=per_unit(at_end),
                     added=per_unit(test(rows["entry_date"], lambda d: start <= d <= end, False)),
                     exited=per_unit(test(rows["exit_date"], lambda d: start <= d <= end, False)),
                     violations=per_unit(at_end, rows["violations"]),
                     legal_persons=register["legal_persons"].astype(float).reindex(units))


@pytest.mark.parametrize("seed", range(8))
def test_list_facts_as_the_groupby_gave_them(seed: int) -> None:
    rng = random.Random(seed)
    units = ["u1", "u2", "u3", "u4"]
    n = rng.randrange(0, 200)
    day = [None] + [dt.date(2020, 11, 1) + dt.timedelta(days=k) for k in range(0, 60, 3)]
    entries = pd.DataFrame({
        "unit": pd.Series(_cells(rng, n, ["u1", "u2", "u3", "zz"]), dtype=object),
        "list_type": pd.Series(_cells(rng, n, ["黑名单", "重点关注名单", "红名单"]), dtype=object),
        "entry_date": pd.Series(_cells(rng, n, day[1:]), dtype=object),
        "exit_date": pd.Series(_cells(rng, n, day), dtype=object),
        "violations": pd.array([rng.randrange(0, 9) for _ in range(n)], dtype="Int64"),
    })
    register = pd.DataFrame({"legal_persons": pd.array([10, 20, 30, 40], dtype="Int64")}, index=units)
    new = list_facts(entries, register, units, "2020-12", ("黑名单", "重点关注名单"))
    old = _old_list_facts(entries, register, units, "2020-12", ("黑名单", "重点关注名单"))
    for name in ("listed", "added", "exited", "violations", "legal_persons"):
        a, b = getattr(new, name), getattr(old, name)
        assert a.index.tolist() == b.index.tolist() == units
        assert np.array_equal(a.to_numpy(dtype=float), b.to_numpy(dtype=float))


def test_code_checks_of_mixed_case_codes() -> None:
    rng = random.Random(5)
    codes = []
    for _ in range(400):
        code = cells.make_code("".join(rng.choice(cells.CODE_ALPHABET) for _ in range(17)))
        code = "".join(c.lower() if rng.random() < 0.2 else c for c in code)
        if rng.random() < 0.2:
            k = rng.randrange(18)
            code = code[:k] + rng.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefiosz") + code[k + 1:]
        codes.append(code)
    found = codecolumns.code_checks(pd.Series(np.array(codes, dtype=object), dtype=object))
    assert found["alphabet"].tolist() == [cells.code_alphabet_ok(c) for c in codes]
    assert found["region"].tolist() == [cells.code_region_ok(c) for c in codes]
    assert found["check"].tolist() == [cells.code_check_ok(c) for c in codes]
    assert not all(found["check"]) and any(c != c.upper() for c in codes)


@pytest.mark.parametrize("cells_", [["91371302MA3C00001X", "91371302MA3C00002X", None, "91371302MA3C00001X"],
                                    ["91371302ma3c00001x", "91371302MA3C00002X", "91371302MA3C00001X"],
                                    ["91371302MA3C00001X", np.nan, "91371302MA3C00001X"]])
def test_codes_that_normalising_leaves_as_they_are_share_the_column_s_factorisation(cells_: list[object]) -> None:
    values = pd.Series(np.array(cells_, dtype=object), dtype=object)
    columns.factorized(values)  # known of the column (as the CSV reader makes it known)
    codes = codecolumns.normalised_codes(values)
    assert codes.tolist() == [cells.normalise_code(v) if isinstance(v, str) else None for v in cells_]
    known = columns.known_facts(codes)
    if known is not None and known.codes is not None:
        expected_codes, expected_uniques = pd.factorize(codes)
        assert known.codes.tolist() == expected_codes.tolist() and list(known.uniques) == list(expected_uniques)
    else:  # a code upper-cased, or an empty cell that is NaN (the codes hold None there)
        assert any(isinstance(v, float) or (isinstance(v, str) and not v.isupper()) for v in cells_)
