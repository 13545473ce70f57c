"""The fast paths of ingestion equal the plain ones on random input (no timing here: benchmarks/bench_ingest.py).

- CSV text → columns (`grid.text_grid`) = csv.reader + the reader's stripping, row by row;
- workbook cells from the sheet XML (`sheets.sheet_values`) = openpyxl's full reader;
- the column functions (`codecolumns.normalised_codes`, `code_checks`, `texts`, the remembered factorisation)
  = the cell functions of `cells` applied cell by cell;
- the pooled rows of several tables (`pools.stacked`) = pandas.concat with NaN → None.
"""

from __future__ import annotations

import csv
import io
import random

import numpy as np
import openpyxl
import pandas as pd
import pytest

from scoring.ingest import cells, codecolumns, columns
from scoring.ingest.grid import rows_to_columns, text_grid
from scoring.ingest.readers import _rows, _text_rows, sheet_records
from scoring.ingest.sheets import sheet_values
from tests.ingest_helpers import random_workbook

WORDS = ["兰山区", "罗庄区", "河东区", " 沂南县", "郯城县 ", "", "  ", "a b", "12", "3.5", "2019-07-01", "\u3000费县",
         "x\ty", "临沭县\u3000"]


def _plain_csv(text: str) -> tuple[list[str | None], list[int], list[np.ndarray]]:
    header, body = _text_rows(csv.reader(io.StringIO(text, newline="")))
    return (header, *rows_to_columns(body))


def _same_columns(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(list(x) == list(y) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("seed", range(12))
def test_text_grid_equals_the_csv_module(seed: int) -> None:
    rng = random.Random(seed)
    width = rng.randint(1, 6)
    end = rng.choice(["\n", "\r\n", "\r"])
    lines = [",".join(rng.choice(WORDS) for _ in range(width)) for _ in range(rng.randint(0, 40))]
    lines = [("" if rng.random() < 0.1 else line) for line in lines]  # empty lines: records without cells
    text = end.join(["h1,h2"[: 2 + 3 * (width > 1)], *lines]) + (end if rng.random() < 0.7 else "")
    fast = text_grid(text)
    assert fast is not None
    header, numbers, cols = fast
    plain_header, plain_numbers, plain_cols = _plain_csv(text)
    assert (header, numbers) == (plain_header, plain_numbers)
    width_plain = len(plain_cols)
    assert _same_columns(cols[:width_plain], plain_cols)
    assert all(all(v is None for v in c) for c in cols[width_plain:])  # rows the csv module saw shorter


@pytest.mark.parametrize("text", ['a,b\n"x,y",z\n', "a,b\n1,2\n3\n", "a,b\n1,2,3\n4,5\n", "a\x00,b\n1,2\n"])
def test_text_grid_leaves_other_files_to_the_csv_module(text: str) -> None:
    assert text_grid(text) is None


def test_text_grid_of_empty_text() -> None:
    assert text_grid("") == ([], [], [])
    assert text_grid("a,b\n") == (["a", "b"], [], [])
    assert text_grid("a,b\n,\n , \n")[:2] == (["a", "b"], [])  # blank rows left out


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("write_only", [False, True])
def test_sheet_values_equal_openpyxl(seed: int, write_only: bool) -> None:
    data = random_workbook(seed, write_only)
    fast = sheet_values(data)
    assert fast is not None
    wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    plain = [(ws.title, sheet_records(ws)) for ws in wb.worksheets]
    assert [t for t, _ in fast] == [t for t, _ in plain]
    for (_t, a), (_u, b) in zip(fast, plain, strict=True):
        (ha, ba), (hb, bb) = _rows(a), _rows(b)
        trim = lambda r: r[: max([i + 1 for i, v in enumerate(r) if v is not None] or [0])]  # noqa: E731
        assert trim(ha) == trim(hb)
        assert [(n, trim(c)) for n, c in ba] == [(n, trim(c)) for n, c in bb]


def test_sheet_values_leave_a_broken_file_to_openpyxl() -> None:
    assert sheet_values(b"not a workbook") is None


def _codes(rng: random.Random, n: int) -> list[str | None]:
    out: list[str | None] = []
    for _ in range(n):
        code = "".join(rng.choice(cells.CODE_ALPHABET) for _ in range(17))
        code += cells.check_character(code) if rng.random() < 0.8 else rng.choice(cells.CODE_ALPHABET)
        kind = rng.random()
        out.append(None if kind < 0.1 else code.lower() if kind < 0.2 else code[:-2] if kind < 0.25
                   else f" {code[:9]} {code[9:]}" if kind < 0.3 else code.replace("1", "１") if kind < 0.35
                   else code.replace("A", "I") if kind < 0.4 else code)
    return out


@pytest.mark.parametrize("plain_only", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_code_columns_equal_the_cell_functions(seed: int, plain_only: bool) -> None:
    rng = random.Random(seed)
    codes = _codes(rng, 300)
    if plain_only:  # the one upper-casing of the whole column
        codes = [c.upper() if c and c.isascii() and c.isalnum() else None for c in codes]
    values = pd.Series(codes, dtype=object)
    assert list(codecolumns.normalised_codes(values)) == [cells.normalise_code(c) for c in codes]
    checks = codecolumns.code_checks(values)
    for name, func in [("length", cells.code_length_ok), ("alphabet", cells.code_alphabet_ok),
                       ("region", cells.code_region_ok), ("check", cells.code_check_ok)]:
        expected = [c is None or not cells.normalise_code(c) or func(c) for c in codes]
        if name == "length":
            expected = [c is None or not cells.normalise_code(c) or cells.code_length_ok(c) for c in codes]
        assert list(checks[name]) == expected, name


def test_remembered_factorisation_gives_the_plain_results() -> None:
    rng = random.Random(3)
    values = pd.Series([rng.choice([*WORDS, None]) for _ in range(500)], dtype=object)
    first = columns.distinct_map(values, lambda v: f"<{v}>")
    again = columns.distinct_map(values, len, -1)  # the same column: its factorisation is reused
    assert list(first) == [None if v is None else f"<{v}>" for v in values]
    assert list(again) == [-1 if v is None else len(v) for v in values]
    assert list(columns.texts(values)) == [None if v is None else v.strip() for v in values]
    assert list(columns.visible(values)) == [True] * len(values)
    columns.forget()
    assert list(columns.distinct_map(values, lambda v: v)) == [None if v is None else v for v in values]


def test_stacked_equals_concat() -> None:
    from types import SimpleNamespace

    from scoring.ingest.pools import stacked

    frames = [pd.DataFrame({"a": ["1", None, "x"], "b": [None, "y", "z"]}, dtype=object),
              pd.DataFrame({"b": ["q"], "c": ["r"]}, dtype=object)]
    tables = [SimpleNamespace(frame=f) for f in frames]
    names = ["a", "b", "c"]
    plain = pd.concat([f.reindex(columns=names) for f in frames], ignore_index=True)
    plain = plain.astype(object).where(plain.notna(), None)
    pd.testing.assert_frame_equal(stacked(tables, names), plain)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- scoring at scale


def _plain_drivers(scored, changes: pd.DataFrame, previous: str, n: int = 2) -> pd.DataFrame:
    """`profiles.drivers` as a loop over the units (the reference)."""
    from scoring.analysis.profiles import indicator_level

    ind = scored.points[scored.points["level"] == indicator_level(scored)]
    wide = ind[ind["month"].isin([previous, scored.month])].pivot_table(index=["unit", "code"], columns="month",
                                                                        values="points")
    rows = []
    for unit, delta in changes.set_index("unit")["delta_total"].items():
        if pd.isna(delta) or delta == 0 or unit not in wide.index.get_level_values(0):
            continue
        mine = wide.loc[unit]
        moved = (mine[scored.month] - mine[previous]) * (1 if delta > 0 else -1)
        top = moved[moved > 0].sort_index().sort_values(ascending=False, kind="stable").head(n)
        for i, code in enumerate(top.index):
            before, now = mine.loc[code, previous], mine.loc[code, scored.month]
            rows.append({"unit": unit, "order": i + 1, "code": code, "before": before, "now": now,
                         "delta": now - before})
    return pd.DataFrame(rows, columns=["unit", "order", "code", "before", "now", "delta"])


def test_all_unit_tables_equal_the_per_unit_ones(demo_project) -> None:
    from scoring.analysis import history, profiles
    from scoring.pipeline.score import load_spec, score_history
    from scoring.tables import _csv_bytes

    spec, units = load_spec(demo_project)
    scored = score_history(demo_project, "2019-12", spec, units)
    for whole, one in [(profiles.problems_by_unit, profiles._problems),
                       (profiles.indicator_tables, profiles._indicator_table),
                       (profiles.category_profiles, profiles._category_profile)]:
        plain = pd.concat([one(scored, u).assign(unit=u) for u in units.codes], ignore_index=True)
        plain = plain[["unit", *[c for c in plain.columns if c != "unit"]]]
        assert _csv_bytes(whole(scored)) == _csv_bytes(plain), whole.__name__
        assert _csv_bytes(one(scored, units.codes[0])) == _csv_bytes(
            getattr(profiles, one.__name__.lstrip("_"))(scored, units.codes[0]))
    changes = history.changes(scored.summary, scored.month, spec.display_decimals, spec.pass_line)
    assert _csv_bytes(profiles.drivers(scored, changes, "2019-11")) == _csv_bytes(
        _plain_drivers(scored, changes, "2019-11"))
