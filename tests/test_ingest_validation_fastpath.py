"""The fast path of validation (`tables.schema_passes`) accepts exactly the tables pandera accepts.

`tables.failures` skips pandera when `schema_passes` says a table is valid, so it must never say
so of a table pandera refuses; when it says invalid, pandera runs as before and every message
comes from it. Here both judge:
- tables built for the purpose: each schema feature the fast path mirrors (strict column set,
  required and optional columns, nullable columns, column and frame checks, a check that raises
  or returns something else), and one it does not (an element-wise check: left to pandera);
- every column type's good and bad cells (the cases of tests/test_ingest_types.py);
- every table and pool the bad-input tests of tests/test_ingest_errors.py and the invisible-
  character and huge-number tests of tests/test_reliability_ingest.py validate (run again here
  with each verdict compared), and the valid months of tests/test_ingest_formats.py.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest
from _pytest.mark.structures import ParameterSet
from pandera.errors import SchemaErrors

import tests.test_ingest_errors as errors
import tests.test_ingest_formats as formats
import tests.test_reliability_ingest as reliability
from scoring.ingest import codecolumns, columns, tables
from scoring.ingest.context import Context
from scoring.ingest.types import column_type
from scoring.ingest.windows import MonthWindow
from tests.test_ingest_types import CASES, CONTRACT, SPEC, UNITS


def pandera_passes(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> bool:
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors:
        return False
    return True


def judged(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> tuple[bool, bool]:
    """(fast verdict, pandera's), each on fresh remembered columns."""
    columns.forget()
    fast = tables.schema_passes(schema, frame)
    columns.forget()
    return fast, pandera_passes(schema, frame)


def _even(values: pd.Series) -> pd.Series:
    return values.map(lambda v: v is None or int(v) % 2 == 0)


def _raises(values: pd.Series) -> pd.Series:
    raise ValueError("a check that fails to run")


FRAME = pd.DataFrame({"a": ["2", "4", None], "b": ["x", "y", "z"]}, dtype=object)
SYNTHETIC = {  # name: (schema, frame, pandera's verdict)
    "valid": (pa.DataFrameSchema({"a": pa.Column(None, pa.Check(_even, ignore_na=False), nullable=True),
                                  "b": pa.Column(None)}, strict=True), FRAME, True),
    "unknown column (strict)": (pa.DataFrameSchema({"a": pa.Column(None, nullable=True)}, strict=True), FRAME,
                                False),
    "unknown column (not strict)": (pa.DataFrameSchema({"a": pa.Column(None, nullable=True)}), FRAME, True),
    "missing required column": (pa.DataFrameSchema({"c": pa.Column(None)}), FRAME, False),
    "missing optional column": (pa.DataFrameSchema({"c": pa.Column(None, required=False)}), FRAME, True),
    "empty cell, not nullable": (pa.DataFrameSchema({"a": pa.Column(None)}), FRAME, False),
    "a column check fails": (pa.DataFrameSchema({"b": pa.Column(None, pa.Check(lambda s: s != "y", ignore_na=False))}),
                             FRAME, False),
    "a column check raises": (pa.DataFrameSchema({"b": pa.Column(None, pa.Check(_raises, ignore_na=False))}), FRAME,
                              False),
    "a frame check fails": (pa.DataFrameSchema(checks=[pa.Check(lambda f: f["b"] != "z", ignore_na=False)]), FRAME,
                            False),
    "a frame check returns False": (pa.DataFrameSchema(checks=[pa.Check(lambda f: False, ignore_na=False)]), FRAME,
                                    False),
    "a frame check returns True": (pa.DataFrameSchema(checks=[pa.Check(lambda f: True, ignore_na=False)]), FRAME,
                                   True),
    "a check returns an array": (pa.DataFrameSchema({"b": pa.Column(None, pa.Check(
        lambda s: np.zeros(len(s), dtype=bool), ignore_na=False))}), FRAME, False),
    "duplicate column names": (pa.DataFrameSchema({"b": pa.Column(None)}),
                               pd.DataFrame([["x", "y"]], columns=["b", "b"], dtype=object), True),
}


@pytest.mark.parametrize("name", list(SYNTHETIC))
def test_the_fast_verdict_is_pandera_s_on_each_mirrored_feature(name: str) -> None:
    schema, frame, expected = SYNTHETIC[name]
    fast, slow = judged(schema, frame)
    assert slow is expected
    if name == "duplicate column names":  # not mirrored: left to pandera
        assert fast is False
    else:
        assert fast is slow


@pytest.mark.parametrize("schema", [
    pa.DataFrameSchema({"a": pa.Column(None, pa.Check(lambda v: v is None or int(v) > 0, element_wise=True),
                                       nullable=True)}),
    pa.DataFrameSchema({"a": pa.Column(None, pa.Check(_even), nullable=True)}),  # drops empty cells first
    pa.DataFrameSchema({"a": pa.Column(str, nullable=True)}),
    pa.DataFrameSchema({"a": pa.Column(None, nullable=True, unique=True)}),
])
def test_what_is_not_mirrored_is_left_to_pandera(schema: pa.DataFrameSchema) -> None:
    fast, slow = judged(schema, FRAME)
    assert fast is False and slow is True  # pandera accepts; the fast path does not judge


@pytest.mark.parametrize("name", list(CASES))
def test_each_type_s_good_cells_pass_and_bad_cells_fail_both_ways(name: str) -> None:
    key, col_name, good, _typed, bad, _rule, _excel, _demo = CASES[name]
    source = CONTRACT.source(key)
    col = source.column(col_name)
    ctx = Context(window=MonthWindow.of("2019-07"), units=UNITS, spec=SPEC)
    checks = [tables._visible(col.name, ctx, column_type(col).repeats), *column_type(col).checks(col, source, ctx)]
    schema = pa.DataFrameSchema({col.name: pa.Column(None, checks=checks, nullable=True)})
    assert judged(schema, pd.DataFrame({col.name: [good, None, good]}, dtype=object)) == (True, True)
    if bad is not None:
        assert judged(schema, pd.DataFrame({col.name: [good, None, bad]}, dtype=object)) == (False, False)
    hidden = pd.DataFrame({col.name: [good, f"{good}\u200b".strip()]}, dtype=object)
    assert judged(schema, hidden) == (False, False)  # an invisible character


def _cases(module: ModuleType, names: set[str] | None = None) -> Iterator[Any]:
    """The module's tests that need no fixture but tmp_path, with each of their parameters."""
    for name, func in vars(module).items():
        if not name.startswith("test_") or not inspect.isfunction(func) or (names and name not in names):
            continue
        marks = getattr(func, "pytestmark", [])
        grids = [m for m in marks if m.name == "parametrize"]
        if any(m.name in ("slow", "skip", "skipif") for m in marks):
            continue
        combos = []
        for grid in grids:
            argnames = grid.args[0].split(",") if isinstance(grid.args[0], str) else list(grid.args[0])
            argnames = [a.strip() for a in argnames]
            values = [v.values if isinstance(v, ParameterSet) else (v if len(argnames) > 1 else (v,))
                      for v in grid.args[1]]
            combos.append([dict(zip(argnames, v, strict=True)) for v in values])
        given = {k for grid in combos for k in grid[0]}
        if set(inspect.signature(func).parameters) - given != {"tmp_path"}:
            continue
        for i, chosen in enumerate(itertools.product(*combos)):
            kwargs = {k: v for part in chosen for k, v in part.items()}
            yield pytest.param(func, kwargs, id=f"{module.__name__.rsplit('.', 1)[-1]}::{name}[{i}]")


@pytest.fixture
def audited(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every verdict of `schema_passes` during the test, each compared with pandera's."""
    seen: list[bool] = []
    plain = tables.schema_passes

    def audit(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> bool:
        fast = plain(schema, frame)
        slow = pandera_passes(schema, frame)
        assert fast is slow, f"fast path says {fast}, pandera {slow}, on columns {list(frame.columns)}"
        seen.append(fast)
        return fast

    monkeypatch.setattr(tables, "schema_passes", audit)
    return seen


BAD = [*_cases(errors), *_cases(reliability, {
    "test_an_invisible_character_in_a_name_is_refused_by_its_code_point",
    "test_a_header_with_an_invisible_character_is_named",
    "test_one_mistake_in_2000_rows_is_told_for_three_rows_then_counted",
    "test_a_row_repeated_2000_times_names_a_few_of_the_others", "test_a_long_cell_is_shown_as_a_short_excerpt",
    "test_a_huge_count_in_the_records_and_the_indicator_sheet"})]


@pytest.mark.parametrize(("func", "kwargs"), BAD)
def test_on_the_bad_input_tests_the_fast_verdict_is_pandera_s(audited: list[bool], tmp_path, func, kwargs) -> None:
    func(tmp_path=tmp_path, **kwargs)


def test_the_bad_input_tests_validate_refused_tables(audited: list[bool], tmp_path) -> None:
    assert len(BAD) > 30
    errors.test_exit_before_entry(tmp_path)
    assert False in audited and True in audited  # a refused table (the records), accepted ones (the others)


@pytest.mark.parametrize(("func", "kwargs"), list(_cases(formats)))
def test_on_valid_months_the_fast_path_accepts_what_pandera_accepts(audited: list[bool], tmp_path, func,
                                                                    kwargs) -> None:
    func(tmp_path=tmp_path, **kwargs)
    assert True in audited


# --------------------------------------------------------------------------- the column functions behind the checks

TEXTS = ["12", "-3.5", "+4", ".5", "5.", "1e3", "1E-2", "1e400", "-0", "0.0", "1,234", "98.5%", " 7", "１２", "٣",
         "e5", "1e", "x", "", "3.0", "2.5", "99999999999999999999999", "兰山区", "a\x07b", "a\u200bb", "A\x7fB", "\t",
         "tab\there", "名\u202e称", None]


@pytest.mark.parametrize("seed", range(6))
def test_numbers_equal_the_parsers_cell_by_cell(seed: int) -> None:
    rng = np.random.default_rng(seed)
    cells_ = [TEXTS[i] for i in rng.integers(0, len(TEXTS), 200)]
    values = pd.Series(cells_, dtype=object)
    from scoring.ingest import cells

    for parse in (cells.parse_number, cells.parse_ratio, cells.parse_whole):
        columns.forget()
        fast = columns.numbers(values, parse)
        plain = np.array([np.nan if (x := parse(v)) is None else float(x) for v in cells_])
        assert np.array_equal(fast, plain, equal_nan=True), parse.__name__
        assert np.array_equal(np.signbit(fast), np.signbit(plain)), parse.__name__  # -0.0 stays -0.0


@pytest.mark.parametrize("distinct", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_visible_and_has_empty_equal_the_cell_rules(seed: int, distinct: bool) -> None:
    from scoring.ingest import cells

    rng = np.random.default_rng(seed)
    pool = TEXTS if seed % 2 else [t for t in TEXTS if t is None or t.isascii()]  # all-ASCII columns too
    cells_ = [pool[i] for i in rng.integers(0, len(pool), 100)]
    if seed == 0:
        cells_ = [c for c in cells_ if c is not None and not cells.INVISIBLE.search(c)]  # clean, no empty cell
    values = pd.Series(cells_, dtype=object)
    columns.forget()
    expected = [not isinstance(v, str) or cells.INVISIBLE.search(v) is None for v in cells_]
    assert list(columns.visible(values, distinct=distinct)) == expected
    assert all(expected) is (seed == 0)
    assert columns.has_empty(values) is values.hasnans
    columns.forget()
    columns.factorized(values)
    assert columns.has_empty(values) is values.hasnans


def _plain_one_unit(code: list, unit: list) -> tuple[list[bool], dict]:
    """one_unit_per_credit_code as first written, on the keys (None: empty)."""
    pairs = pd.DataFrame({"code": code, "unit": unit}).dropna()
    pairs = pairs[pairs["code"].duplicated(keep=False)]
    pairs = pairs[pairs["code"].isin(pairs.drop_duplicates().loc[lambda f: f["code"].duplicated(), "code"])]
    units_of: dict = {}
    for c, u in zip(pairs["code"], pairs["unit"], strict=True):
        units_of.setdefault(c, set()).add(u)
    told = pd.Series(code, dtype=object).isin(list(units_of)).to_numpy() & pd.notna(code)
    return list(~told), units_of


@pytest.mark.parametrize("seed", range(6))
def test_one_unit_per_credit_code_equals_the_plain_rule(seed: int) -> None:
    from scoring.ingest.rules import SET_RULES
    from tests.ingest_helpers import code

    rng = np.random.default_rng(seed)
    source = CONTRACT.source("records")
    names = [u.name for u in UNITS.units][:4]
    codes = [code(int(i)) for i in rng.integers(0, 30 if seed % 2 else 300, 120)]
    frame = pd.DataFrame({"credit_code": [c if rng.random() > 0.1 else None for c in codes],
                          "unit": [names[i] if rng.random() > 0.1 else None for i in rng.integers(0, 4, 120)]},
                         dtype=object)
    ctx = Context(window=MonthWindow.of("2019-07"), units=UNITS, spec=SPEC)
    check = SET_RULES["one_unit_per_credit_code"](source, ctx)
    columns.forget()
    passed = list(check._check_fn(frame))
    unit_code = {u.name: u.code for u in UNITS.units}
    expected, units_of = _plain_one_unit(list(frame["credit_code"]), [unit_code.get(u) for u in frame["unit"]])
    assert passed == expected
    assert seed % 2 == 0 or not all(passed)  # 30 codes in 120 rows: some under two units
    describe = ctx.rules[check.error].describe
    for i in np.flatnonzero(~np.array(passed)).tolist():
        row = frame.iloc[i].to_dict()
        named = sorted({u.name for u in UNITS.units if u.code in units_of[row["credit_code"]]})
        assert f"appears under {' and '.join(named)}: " in describe(None, row)


@pytest.mark.parametrize("seed", range(4))
def test_row_rules_equal_their_cell_by_cell_comparisons(seed: int) -> None:
    from scoring.ingest import cells
    from scoring.ingest.rules import ROW_RULES

    rng = np.random.default_rng(seed)
    dates = ["2019-07-01", "2019-07-20", "2019/7/5", "2018-05-10", "20190731", "2019-13-01", "x", None]
    counts = ["1", "5", "5.0", "12", "1,000", "7.5", "-2", "x", None, "1e400"]
    ctx = Context(window=MonthWindow.of("2019-07"), units=UNITS, spec=SPEC)
    n = 150
    pick = lambda options: [options[i] for i in rng.integers(0, len(options), n)]  # noqa: E731
    frame = pd.DataFrame({"entry_date": pick(dates), "exit_date": pick(dates), "legal_persons": pick(counts),
                          "market_entities": pick(counts), "score": pick(counts),
                          "metric": pick(["c2.i1.m3", "c1.i6.m6", "nope", None])}, dtype=object)

    def pairwise(a, b, ok):
        return [x is None or y is None or ok(x, y) for x, y in zip(a, b, strict=True)]

    points = {m.code: m.points for m in SPEC.metrics()}
    expected = {
        "exit_not_before_entry": pairwise(map(cells.parse_date, frame["entry_date"]),
                                          map(cells.parse_date, frame["exit_date"]), lambda e, x: x >= e),
        "market_entities_not_below_legal_persons": pairwise(map(cells.parse_whole, frame["legal_persons"]),
                                                            map(cells.parse_whole, frame["market_entities"]),
                                                            lambda legal, market: market >= legal),
        "score_within_points": pairwise(map(cells.parse_number, frame["score"]),
                                        [points.get(ctx.metric_code(v)) if ctx.metric_code(v) else None
                                         for v in frame["metric"]], lambda s, top: s <= top + 1e-9),
    }
    for name, plain in expected.items():
        columns.forget()
        assert list(ROW_RULES[name](ctx)._check_fn(frame)) == plain, name


@pytest.mark.parametrize("plain_only", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_code_checks_after_the_invisible_character_check_equal_the_cell_functions(seed: int, plain_only: bool) -> None:
    import random

    from scoring.ingest import cells
    from tests.test_ingest_scale import _codes

    codes = _codes(random.Random(seed), 300)
    if plain_only:  # every cell ASCII letters and digits: the bytes `visible` joined are judged
        codes = [c if c and c.isascii() and c.isalnum() else "0" * 18 for c in codes]
    values = pd.Series(codes, dtype=object)
    columns.forget()
    columns.visible(values)
    found = codecolumns.code_checks(values)
    for name, func in [("length", cells.code_length_ok), ("alphabet", cells.code_alphabet_ok),
                       ("region", cells.code_region_ok), ("check", cells.code_check_ok)]:
        assert list(found[name]) == [c is None or not cells.normalise_code(c) or func(c) for c in codes], name
