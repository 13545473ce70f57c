"""Months ingested as Dask tasks (scoring.pipeline.ingesting, `credit-county ingest --all`) and the
fast CSV writer of the processed files (scoring.csvbytes): the same bytes as the one-month path."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pandas as pd
import pytest

from scoring.cli import main
from scoring.csvbytes import csv_bytes, fast_csv
from scoring.errors import DataError
from scoring.ingest import ingest_month
from scoring.pipeline.ingesting import ingest_months, stale_months
from tests.ingest_helpers import make_project, tree_bytes, valid_month, write_month

MONTHS = ("2019-07", "2019-08", "2019-10")  # months of 31 days: the helpers' dates of July move to them


def _project(tmp_path, broken: str | None = None):
    project = make_project(tmp_path)
    for m in MONTHS:
        month = valid_month(project)
        for row in [*month.records, *month.reviews]:
            for key, value in row.items():
                if isinstance(value, str) and value.startswith("2019-07-"):
                    row[key] = m + value[7:]
        if m == broken:
            month.records[0]["所属县区"] = "不存在区"
        write_month(project, month, name=m)
    return project


def test_months_on_a_cluster_give_the_bytes_of_one_month_after_the_other(tmp_path):
    one, many = _project(tmp_path / "one"), _project(tmp_path / "many")
    for m in MONTHS:
        ingest_month(one, m)
    written = ingest_months(many, list(MONTHS), workers=2, min_bytes=0)  # on a cluster, however small
    assert written == [many.processed_month(m) for m in MONTHS]
    assert tree_bytes(many.processed) == tree_bytes(one.processed)
    assert len(tree_bytes(many.processed)) == 5 * len(MONTHS)
    assert stale_months(many) == []


def test_a_refused_month_stops_as_the_sequential_loop_does(tmp_path):
    project = _project(tmp_path / "p", broken="2019-08")
    with pytest.raises(DataError) as alone:
        ingest_month(_project(tmp_path / "q", broken="2019-08"), "2019-08")
    with pytest.raises(DataError) as parallel:
        ingest_months(project, list(MONTHS), workers=2, min_bytes=0)
    assert str(parallel.value) == str(alone.value)
    assert parallel.value.problems == alone.value.problems
    assert any("不存在区" in line for line in parallel.value.problems)
    assert [p.name for p in sorted(project.processed.iterdir())] == ["2019-07"]  # before it: written; after: not


def test_ingest_all_skips_the_months_up_to_date(tmp_path):
    project = _project(tmp_path)
    ingest_month(project, "2019-08")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["--root", str(project.root), "ingest", "--all", "--workers", "2"]) == 0
    assert "1 month(s) already up to date, 2 ingested" in printed.getvalue()
    assert stale_months(project) == []
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["--root", str(project.root), "ingest", "--all"]) == 0
    assert printed.getvalue().strip() == "3 month(s) already up to date, 0 ingested"


@pytest.mark.parametrize("change", [
    {},  # the plain case: joined by commas
    {"entity": "=HYPERLINK(1)"}, {"entity": "-1"}, {"domain": "@x"}, {"entity": "+7"},  # neutralised by pandas
    {"entity": "甲,乙"}, {"entity": '甲"乙'}, {"entity": "甲\n乙"}, {"entity": "甲\r乙"},  # quoted by pandas
    {"entity": None}, {"violations": None}, {"value": np.nan}, {"value": -0.5}, {"value": 1e21},
])
def test_fast_csv_writes_what_pandas_writes(change):
    frame = pd.DataFrame({"entity": ["临沂甲公司", "乙", "丙"], "domain": ["税务", "环保", "税务"],
                          "violations": pd.array([3, 0, 12], dtype="Int64"), "counted": [1, 0, 1],
                          "value": [1 / 3, 2.0, 0.25], "date": ["2019-07-01", "", "2019-01-05"]})
    for col, value in change.items():
        frame.loc[1, col] = value
    assert fast_csv(frame, "%.10g") == csv_bytes(frame, "%.10g")
    assert fast_csv(frame.iloc[:0], "%.10g") == csv_bytes(frame.iloc[:0], "%.10g")
