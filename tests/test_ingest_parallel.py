"""Months ingested as Dask tasks (scoring.pipeline.ingesting, `credit-county ingest --all`) and the
fast CSV writer of the processed files (scoring.csvbytes): the same bytes as the one-month path."""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import threading
from unittest import mock

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


def test_with_a_thread_running_the_workers_are_spawned_with_the_same_bytes(tmp_path):
    one, many = _project(tmp_path / "one"), _project(tmp_path / "many")
    for m in MONTHS:
        ingest_month(one, m)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)  # forking a process with threads is not safe
    other.start()
    try:
        with mock.patch("multiprocessing.get_context", wraps=multiprocessing.get_context) as context:
            ingest_months(many, list(MONTHS), workers=2, min_bytes=0)
    finally:
        stop.set()
    assert [c.args for c in context.call_args_list][:1] == [("spawn",)]
    assert tree_bytes(many.processed) == tree_bytes(one.processed)


def test_on_a_scheduler_the_months_come_back_as_bytes_with_the_same_result(tmp_path):
    """The --scheduler route (Dask distributed): a LocalCluster with 2 workers in this process."""
    from distributed import LocalCluster

    one, many = _project(tmp_path / "one"), _project(tmp_path / "many")
    for m in MONTHS:
        ingest_month(one, m)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as local:
        written = ingest_months(many, list(MONTHS), workers=2, scheduler=local.scheduler_address, min_bytes=0)
    assert written == [many.processed_month(m) for m in MONTHS]
    assert tree_bytes(many.processed) == tree_bytes(one.processed)
    assert sorted(p.name for p in many.processed.iterdir()) == list(MONTHS)  # no stage folder left


@pytest.mark.parametrize("route", ["this machine", "scheduler"])
def test_a_refused_month_stops_as_the_sequential_loop_does(tmp_path, route):
    from distributed import LocalCluster

    project = _project(tmp_path / "p", broken="2019-08")
    with pytest.raises(DataError) as alone:
        ingest_month(_project(tmp_path / "q", broken="2019-08"), "2019-08")
    with contextlib.ExitStack() as stack:
        scheduler = None
        if route == "scheduler":
            scheduler = stack.enter_context(LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                                         dashboard_address=None)).scheduler_address
        with pytest.raises(DataError) as parallel:
            ingest_months(project, list(MONTHS), workers=2, scheduler=scheduler, min_bytes=0)
    assert str(parallel.value) == str(alone.value)
    assert parallel.value.problems == alone.value.problems
    assert any("不存在区" in line for line in parallel.value.problems)
    # before it: published; it and after it: not, and no stage folder of theirs is left (all names listed)
    assert [p.name for p in sorted(project.processed.iterdir())] == ["2019-07"]


def test_an_interrupted_ingest_leaves_no_stage_folder_and_no_month(tmp_path, monkeypatch):
    import dask.multiprocessing

    project = _project(tmp_path)
    real = dask.multiprocessing.get

    def interrupted(*args, **kwargs):
        real(*args, **kwargs)  # the months' stage folders are built ...
        raise KeyboardInterrupt  # ... and the user presses Ctrl-C before they are published

    monkeypatch.setattr(dask.multiprocessing, "get", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ingest_months(project, list(MONTHS), workers=2, min_bytes=0)
    assert list(project.processed.iterdir()) == []


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
