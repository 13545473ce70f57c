"""The score stage's shortcuts equal the plain paths (issue 13: the stage tables, same bytes).

- float texts made once per distinct bit pattern (`csvbytes`): pandas' bytes, −0.0, NaN, inf;
- a processed metrics table read as categories (`state.read_state_csv(categories=True)`) scores as
  the text one, unused categories and neutralised cells included;
- the engine's month layout (`engine.month_rows`) and the analyses of two months only;
- reading the stage's modules does not load the sensitivity analysis (scipy.stats).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoring import engine
from scoring.analysis import history, monthly
from scoring.analysis.acceptance_rules import load_rules
from scoring.csvbytes import csv_bytes, fast_csv
from scoring.errors import DataError
from scoring.index.spec import parse_index
from scoring.state import read_state_csv

from .test_engine import TOY, TOY_UNITS, long

ROOT = Path(__file__).resolve().parents[1]


def _floats(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = np.concatenate([rng.random(n) * 100, rng.standard_normal(n // 4) * 1e-7, [0.0, -0.0, np.nan,
                             np.inf, -np.inf, 1e16, 5e-324, 0.1, 1 / 3, -2.5] * 30])
    return rng.permutation(values)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_float_texts_by_distinct_bit_pattern_are_pandas_bytes(seed: int) -> None:
    x = _floats(seed, 3000)
    frame = pd.DataFrame({"unit": [f"u{i % 9}" for i in range(len(x))], "x": x, "y": x[::-1] * 3})
    assert fast_csv(frame) == csv_bytes(frame)
    assert b"-0.0" in fast_csv(frame) and b",0.0" in fast_csv(frame)  # (−0.0 and 0.0 apart)


COLUMNS = {"month": str, "unit": str, "metric": str, "value": float}


def _write(path, frame: pd.DataFrame) -> None:
    path.write_bytes(csv_bytes(frame))


@pytest.mark.parametrize("cells", ["plain", "neutralised"])
def test_metrics_read_as_categories_score_as_text(tmp_path, cells: str) -> None:
    spec = parse_index(TOY, source="toy")
    frame = long("2019-07", {"u1": {"A.1.x": 0, "A.1.y": 0, "B.1.z": 0.5}, "u2": {"A.1.x": 5, "B.1.z": 0.25},
                             "u3": {"A.1.x": 10, "A.1.y": 1, "B.1.z": 0.1}})
    if cells == "neutralised":  # a unit code starting like a formula: written as '=u9, read back as =u9
        frame.loc[len(frame)] = ["2019-07", "=u9", "A.1.x", 3.0]
    path = tmp_path / "metrics.csv"
    _write(path, frame)
    text = read_state_csv(path, "m", "fix", COLUMNS)
    coded = read_state_csv(path, "m", "fix", COLUMNS, categories=True)
    assert all(isinstance(coded[c].dtype, pd.CategoricalDtype) for c in ("month", "unit", "metric"))
    pd.testing.assert_frame_equal(coded.astype({c: text[c].dtype for c in text}), text)
    if cells == "neutralised":
        assert "=u9" in set(coded["unit"]) and (tmp_path / "metrics.csv").read_text().count("'=u9") == 1
        with pytest.raises(DataError) as refused:  # the general check words it, as for the text table
            engine.checked_metrics(spec, TOY_UNITS, coded)
        assert refused.value.problems == ["metrics: row 10, column 'unit': '=u9' is not a unit in params/units.yaml"]
        return
    parts = [engine.checked_metrics(spec, TOY_UNITS, coded)]
    assert parts[0].positions is not None  # the shortcut, not the general check
    pd.testing.assert_frame_equal(engine.score_checked(spec, TOY_UNITS, parts), engine.score(spec, TOY_UNITS, text))


def test_unused_categories_are_no_month(tmp_path) -> None:
    spec = parse_index(TOY, source="toy")
    frame = long("2019-07", {"u1": {"A.1.x": 0, "A.1.y": 0, "B.1.z": 0.5}, "u2": {"A.1.x": 5, "B.1.z": 0.25}})
    coded = frame.astype({"month": pd.CategoricalDtype(["2019-06", "2019-07"]),
                          "unit": pd.CategoricalDtype(["u1", "u2", "u3"]), "metric": "category"})
    points = engine.score_checked(spec, TOY_UNITS, [engine.checked_metrics(spec, TOY_UNITS, coded)])
    assert set(points["month"]) == {"2019-07"}
    pd.testing.assert_frame_equal(points, engine.score(spec, TOY_UNITS, frame))


def _scored(with_rows: bool) -> history.Scored:
    spec = parse_index(TOY, source="toy")
    months = [long(m, {"u1": {"A.1.x": i, "A.1.y": 0, "B.1.z": 0.5 - i / 10}, "u2": {"A.1.x": 5 - i, "B.1.z": 0.25},
                       "u3": {"A.1.x": 10, "A.1.y": i % 2, "B.1.z": 0.1 * i}})
              for i, m in enumerate(["2019-06", "2019-07", "2019-08"])]
    points, summary = engine.score_and_summarise(spec, TOY_UNITS, [engine.checked_metrics(spec, TOY_UNITS, m)
                                                                   for m in months])
    rows = engine.month_rows(points, sorted(summary["month"].unique())) if with_rows else None
    return history.Scored(spec, TOY_UNITS, "2019-08", points, summary, rows)


def test_month_rows_are_where_the_engine_wrote_each_month() -> None:
    scored = _scored(True)
    assert scored.month_rows is not None and [m for m, _, _ in scored.month_rows] == ["2019-06", "2019-07", "2019-08"]
    for month, start, stop in scored.month_rows:
        assert (scored.points["month"].iloc[start:stop] == month).all()
    assert stop == len(scored.points)
    assert engine.month_rows(scored.points.iloc[::-1], ["2019-06", "2019-07", "2019-08"]) is None
    assert engine.month_rows(scored.points.iloc[1:], ["2019-06", "2019-07", "2019-08"]) is None
    assert engine.month_rows(scored.points, []) is None


def test_month_tables_with_the_layout_equal_those_without() -> None:
    rules = load_rules(ROOT / "params" / "review.yaml")
    fast, plain = (monthly.month_tables(_scored(r), None, rules) for r in (True, False))
    assert fast.keys() == plain.keys()
    for name in fast:
        pd.testing.assert_frame_equal(fast[name], plain[name], obj=name)
    assert len(fast["drivers"]) and len(fast["indicator_moves"])  # tables with rows, from two months


def test_reading_the_stage_does_not_load_the_sensitivity_analysis() -> None:
    code = ("import sys; import scoring.pipeline.score, scoring.analysis.monthly, scoring.tables; "
            "print('scipy.stats' in sys.modules)")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"


def _counts_per_column(list_entries: pd.DataFrame | None, month: str, units: list[str]) -> pd.DataFrame:
    """list_counts as it was: each count grouped by unit on its own (the reference)."""
    rows = monthly._counted(list_entries)
    test, ym = monthly._elementwise, monthly._year_month
    masks = {"listed": test(rows["entry_date"], lambda d: ym(d) <= month)
             & test(rows["exit_date"], lambda d: (ym(d) == "") | (ym(d) > month)),
             "entered": test(rows["entry_date"], lambda d: ym(d) == month),
             "exited": test(rows["exit_date"], lambda d: ym(d) == month)}
    out = pd.DataFrame({k: pd.Series(m, index=rows.index).groupby(rows["unit"]).sum().reindex(
        units, fill_value=0).astype(int) for k, m in masks.items()})
    return out.rename_axis("unit").reset_index()


def test_list_counts_and_movements_share_one_reading_of_the_records() -> None:
    columns = ["credit_code", "entity", "unit", "list_type", "domain", "entry_date", "exit_date", "violations",
               "movement", "counted"]
    records = pd.DataFrame([["c1", "e", "u1", "黑名单", "d", "2020-12-01", "", "1", "listed", "1"],
                            ["c2", "e", "u2", "黑名单", "d", "2020-01-01", "2020-12-03", "1", "exited", "1"],
                            ["c3", "e", "u9", "红名单", "d", "2020-12-01", "", "1", "listed", "0"],
                            ["c4", "e", "u1", "黑名单", "d", "2019-12-01", "2020-02-01", "1", "listed", "1"]],
                           columns=columns).astype(pd.StringDtype(na_value=np.nan))
    units = ["u1", "u2", "u3"]
    for entries in (records, records.iloc[:0], records[records["counted"] == "0"], records.astype(object)):
        found = monthly.list_counts(entries, "2020-12", units)
        pd.testing.assert_frame_equal(found, _counts_per_column(entries, "2020-12", units))
        counted = monthly._Counted(entries)
        pd.testing.assert_frame_equal(monthly._counts(counted, "2020-12", units), found)
        pd.testing.assert_frame_equal(monthly._movements(counted, "2020-12"),
                                      monthly.list_movements(entries, "2020-12"))
    assert monthly.list_counts(records, "2020-12", units)[["listed", "entered", "exited"]].values.tolist() == [
        [1, 1, 0], [0, 0, 1], [0, 0, 0]]
    assert monthly.list_counts(None, "2020-12", units).empty
