"""The column types: each one's cell checks, typed values, key, template cell and demo cell.

A new type is one entry of `scoring.ingest.types.COLUMN_TYPES` and one row of `CASES`.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pandera.pandas as pa
import pytest
from pandera.errors import SchemaErrors

from scoring.index.spec import load_index, load_units
from scoring.ingest.context import Context
from scoring.ingest.contract import load_contract
from scoring.ingest.types import COLUMN_TYPES, column_type
from scoring.ingest.windows import MonthWindow
from tests.ingest_helpers import ROOT, code

SPEC = load_index(ROOT / "params" / "index.yaml")
UNITS = load_units(ROOT / "params" / "units.yaml")
CONTRACT = load_contract(ROOT / "params" / "sources.yaml", SPEC)

# type: (source, column, a good cell, its typed value, a bad cell, the rule told, template validation, demo in → out)
CASES = {
    "unit": ("register", "unit", "兰山区", "lanshan", "兰山", "not a unit of params/units.yaml", "list", None),
    "text": ("records", "entity", " 临沂甲公司 ", "临沂甲公司", None, None, None, None),
    "credit_code": ("records", "credit_code", code(1).lower(), code(1), code(1)[:17], "has 17 characters", "textLength",
                    None),
    "choice": ("records", "list_type", "黑名单", "黑名单", "灰名单", "must be one of: 黑名单、重点关注名单、红名单",
               "list", None),
    "date": ("records", "exit_date", "2019年7月20日", dt.date(2019, 7, 20), "2019-06-30", "outside 2019-07", "date",
             None),
    "count": ("records", "violations", "1,234", 1234, "-1", "negative: a count cannot be below 0", "whole", (3.6, 4)),
    "number": ("reviews", "score", "1.5", 1.5, "x", "not a number", "decimal", (2.345, 2.3)),
    "ratio": ("indicators", "c2.i2.m1", "98.5%", 0.985, "1.5", "outside [0, 1]", "decimal", (1.23456, 1.0)),
    "flag": ("indicators", "c1.i5.m6", "是", 1.0, "有", "must be 是 / 否 / 1 / 0", "list", (True, "是")),
    "metric": ("reviews", "metric", "c2.i1.m3", "c2.i1.m3", "c9.i9.m9", "not an item scored by reviewers", "list",
               None),
}


def test_every_type_has_a_case_a_template_label_and_a_row_in_the_docs():
    assert set(CASES) == set(COLUMN_TYPES)
    labels = CONTRACT.template["type_labels"]
    docs = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    for name in COLUMN_TYPES:
        assert labels.get(name), name
        assert f"| `{name}` |" in docs, name


@pytest.mark.parametrize("name", list(CASES))
def test_a_type_checks_converts_and_writes_its_cells(name):
    key, col_name, good, typed, bad, rule, excel, demo = CASES[name]
    source = CONTRACT.source(key)
    col = source.column(col_name)
    assert col.type == name
    kind = column_type(col)
    ctx = Context(window=MonthWindow.of("2019-07"), units=UNITS, spec=SPEC)
    cells = [good, None] + ([bad] if bad is not None else [])
    schema = pa.DataFrameSchema({col.name: pa.Column(None, checks=kind.checks(col, source, ctx), nullable=True)})
    frame = pd.DataFrame({col.name: cells}, dtype=object)
    if bad is None:
        schema.validate(frame, lazy=True)
    else:
        with pytest.raises(SchemaErrors) as info:
            schema.validate(frame, lazy=True)
        failed = info.value.failure_cases
        assert set(failed["index"]) == {2}, failed  # the good and the empty cell pass
        told = [ctx.rules[c].describe(bad, {}) for c in failed["check"]]
        assert any(rule in t for t in told), told
    values = list(kind.convert(col, source, ctx, pd.Series([good, None], dtype=object)))
    assert values[0] == typed and pd.isna(values[1])
    dv = kind.validation(col, source, ctx)
    assert (dv.type if dv is not None else None) == excel
    if demo is not None:
        assert kind.demo_cell(demo[0], col, source) == demo[1]


def test_keys_compare_cells_as_their_types_read_them():
    ctx = Context(window=MonthWindow.of("2019-07"), units=UNITS, spec=SPEC)
    assert COLUMN_TYPES["unit"].key("兰山区", ctx) == COLUMN_TYPES["unit"].key("lanshan", ctx) == "lanshan"
    assert COLUMN_TYPES["credit_code"].key(f" {code(1).lower()} ", ctx) == code(1)
    assert COLUMN_TYPES["date"].key("2019/7/1", ctx) == COLUMN_TYPES["date"].key("2019-07-01", ctx)
    assert COLUMN_TYPES["text"].key("１２３", ctx) == "123"


def test_a_register_count_is_an_int_and_a_sheet_count_a_float():
    ctx = Context(window=MonthWindow.of("2019-07"), units=UNITS, spec=SPEC)
    register, sheet = CONTRACT.source("register"), CONTRACT.source("indicators")
    cells = pd.Series(["12", None], dtype=object)
    assert str(column_type(register.column("population")).convert(register.column("population"), register, ctx,
                                                                   cells).dtype) == "Int64"
    per = sheet.column("c1.i1.m1")
    assert column_type(per).convert(per, sheet, ctx, cells).dtype == float
