"""Byte-reproducible builds: the same inputs, params and package version give the same bytes in every
file of a month, wherever the project lies and whenever it is built; only provenance.json records the
run (its time and durations, scoring.provenance.RUN_FIELDS).

The end-to-end check builds the demo month twice by the real command line, in two scratch projects
at different paths, in separate processes (other hash seeds, other time zones), and compares every
file's SHA-256. The unit tests check the pieces that make it so: the executed-notebook normaliser,
the zip normaliser, the fixed time ($SOURCE_DATE_EPOCH) and the project-relative paths.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from scoring import provenance
from scoring.errors import CreditCountyError
from scoring.project import Project
from scoring.render import reproducible
from scoring.render.notebook import pdf_time
from scoring.render.xlsx import DataSheet, SheetColumn, xlsx_bytes

from .conftest import DEMO_MONTH, copy_project

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


# ----------------------------------------------------------------------------- two whole builds


def _cli(*args: str, env: dict[str, str]) -> None:
    script = Path(sys.executable).with_name("credit-county")
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "scoring"]
    done = subprocess.run([*command, *args], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(args)}: {done.stderr[-2000:]}"


def _build(root: Path, seed: str, zone: str) -> Project:
    project = copy_project(root)
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "CREDIT_COUNTY_ROOT")}
    env.update(PYTHONHASHSEED=seed, TZ=zone)
    _cli("--root", str(root), "demo-data", "--year", "2019", env=env)
    _cli("--root", str(root), "bulletin", "--month", DEMO_MONTH, "--quiet", env=env)
    return project


def _hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def builds(built_month, tmp_path_factory) -> tuple[Project, Project]:
    """The demo month built twice: the test session's build (in-process) and one by `credit-county` in a
    project at a path of another length, in another time zone, with another hash seed."""
    second = _build(tmp_path_factory.mktemp("reproducible") / "second build" / "deeper" / "project", "2",
                    "Asia/Shanghai")
    return built_month, second


@pytest.mark.slow
def test_every_file_of_the_month_has_the_same_bytes_in_both_builds(builds):
    first, second = (_hashes(p.output_month(DEMO_MONTH)) for p in builds)
    assert sorted(first) == sorted(second)
    assert len(first) > 60 and "provenance.json" in first
    for suffix in (".csv", ".html", ".pdf", ".docx", ".xlsx", ".ipynb", "stage.json", "run.json", "index.yaml"):
        assert any(name.endswith(suffix) for name in first), suffix
    differ = sorted(name for name in first if first[name] != second[name])
    assert differ == ["provenance.json"]


@pytest.mark.slow
def test_provenance_differs_only_in_the_run_time_and_durations(builds):
    records = [json.loads((p.output_month(DEMO_MONTH) / "provenance.json").read_text(encoding="utf-8"))
               for p in builds]
    for record in records:
        assert set(provenance.RUN_FIELDS) <= set(record)
        dt.datetime.fromisoformat(record["run_time"])
        assert record["duration_seconds"] > 0
        assert {"bulletin", "sensitivity", "lanshan"} <= set(record["notebook_seconds"])
    assert records[0]["run_time"] != records[1]["run_time"]  # other time zones: never the same text
    kept = [{k: v for k, v in r.items() if k not in provenance.RUN_FIELDS} for r in records]
    assert kept[0] == kept[1]
    run = json.loads((builds[0].output_month(DEMO_MONTH) / "run.json").read_text(encoding="utf-8"))
    assert set(run) == {"month", "succeeded", "failed", "carried_over_from_earlier_build"}  # no time


@pytest.mark.slow
def test_no_file_names_where_the_project_was_built(builds):
    for project in builds:
        marks = [str(project.root).encode(), b".building."]
        for path in project.output_month(DEMO_MONTH).rglob("*"):
            if path.is_file() and path.suffix != ".pdf":  # a PDF's text is compressed: its hash is compared above
                data = path.read_bytes()
                assert not [m for m in marks if m in data], path


@pytest.mark.slow
def test_an_executed_notebook_keeps_no_times_and_its_paths_resolve_from_its_folder(builds):
    project = builds[1]
    path = project.output_month(DEMO_MONTH) / "notebooks" / "units" / "lanshan.ipynb"
    nb = nbformat.read(path, as_version=4)
    record = nb.metadata["papermill"]
    assert not set(reproducible.TIMING_KEYS) & set(record)
    for cell in nb.cells:
        assert not set(reproducible.CELL_RUN_METADATA) & set(cell.metadata)
        assert not set(reproducible.TIMING_KEYS) & set(cell.metadata.get("papermill", {}))
    assert [c.id for c in nb.cells][:4] == ["cell-00", "cell-01", reproducible.INJECTED_ID, "cell-02"]
    parameters = record["parameters"]
    assert (path.parent / parameters["root"]).resolve() == project.root.resolve()
    assert (path.parent / parameters["tables"]).resolve() == project.output_month(DEMO_MONTH).resolve()
    assert (path.parent / record["input_path"]).resolve() == (project.notebooks / "county_report.ipynb").resolve()


# ----------------------------------------------------------------------------- the notebook normaliser


def _executed(root: Path, stage: str, started: str, cell_id: str) -> Path:
    """A notebook as papermill leaves it in a build folder `stage` of the project at `root`."""
    from papermill.parameterize import parameterize_notebook

    (root / "params").mkdir(parents=True, exist_ok=True)
    (root / "params" / "index.yaml").write_text("version: test\n", encoding="utf-8")
    folder = root / "outputs" / stage / "notebooks"
    folder.mkdir(parents=True)
    cells = [new_markdown_cell("# report", metadata={"tags": []}),
             new_code_cell("root = None\nmonth = None", metadata={"tags": ["parameters"]}),
             new_code_cell("print(month)", execution_count=2, metadata={"tags": []}, outputs=[
                 nbformat.v4.new_output("stream", name="stdout", text="2019-12\n")])]
    nb = new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    nb.metadata["papermill"] = {"input_path": str(root / "notebooks" / "report.ipynb"),
                                "output_path": str(folder / "report.ipynb"), "start_time": started,
                                "end_time": started, "duration": 1.25, "exception": None, "version": "2.7.0",
                                "default_parameters": {}, "environment_variables": {}}
    params = {"root": str(root), "month": "2019-12", "tables": str(root / "outputs" / stage),
              "elsewhere": "/usr/share/data"}
    nb = parameterize_notebook(nb, params, kernel_name="python3", language="python")
    for cell in nb.cells:
        cell.metadata["papermill"] = {"start_time": started, "end_time": started, "duration": 0.5,
                                      "exception": False, "status": "completed"}
        cell.metadata["execution"] = {"iopub.status.busy": started, "shell.execute_reply": started}
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = cell_id  # papermill's is random
    path = folder / "report.ipynb"
    nbformat.write(nb, path)
    return path


def test_normalise_notebook_removes_times_random_ids_and_the_build_folder(tmp_path):
    one = _executed(tmp_path / "a", ".2019-12.building.abc123", "2026-01-01T10:00:00Z", "6d9539f6")
    two = _executed(tmp_path / "b" / "deeper", ".2019-12.building.zz9", "2027-05-05T23:59:59Z", "a6abcf98")
    assert one.read_bytes() != two.read_bytes()
    for path in (one, two):
        reproducible.normalise_notebook(path)
    assert one.read_bytes() == two.read_bytes()
    text = one.read_text(encoding="utf-8")
    assert "2026" not in text and str(tmp_path) not in text and ".building." not in text and "duration" not in text

    nb = nbformat.read(one, as_version=4)
    assert [c.id for c in nb.cells] == ["cell-00", "cell-01", reproducible.INJECTED_ID, "cell-02"]
    record = nb.metadata.papermill
    assert record.parameters == {"root": "../../..", "month": "2019-12", "tables": "..",
                                 "elsewhere": "/usr/share/data"}  # a path outside the project stays as it was
    assert record.input_path == "../../../notebooks/report.ipynb" and record.output_path == "report.ipynb"
    values: dict = {}
    exec(nb.cells[2].source, values)  # the injected cell says what the metadata says
    assert {k: values[k] for k in record.parameters} == dict(record.parameters)
    assert nb.cells[3].metadata.papermill == {"exception": False, "status": "completed"}
    assert nb.cells[3].outputs[0].text == "2019-12\n"  # outputs are untouched

    before = one.read_bytes()
    reproducible.normalise_notebook(one)  # idempotent
    assert one.read_bytes() == before


# ----------------------------------------------------------------------------- zips, times, paths


def _zip(stamp: tuple, attr: int, order: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.external_attr, info.create_system = attr, 3
            z.writestr(info, f"content of {name}")
    return buf.getvalue()


def test_normalise_zip_dates_every_member_and_keeps_the_order():
    when = dt.datetime(2019, 12, 31)
    names = ["[Content_Types].xml", "word/document.xml", "docProps/core.xml"]
    a = reproducible.normalise_zip(_zip((2026, 1, 2, 3, 4, 6), 0o644 << 16, names), when)
    b = reproducible.normalise_zip(_zip((2030, 7, 8, 9, 10, 12), 0o600 << 16, names), when)
    assert a == b
    with zipfile.ZipFile(io.BytesIO(a)) as z:
        assert z.namelist() == names
        assert {i.date_time for i in z.infolist()} == {(2019, 12, 31, 0, 0, 0)}
        assert {i.compress_type for i in z.infolist()} == {zipfile.ZIP_DEFLATED}
        assert z.read("word/document.xml") == b"content of word/document.xml"
    early = reproducible.normalise_zip(a, dt.datetime(1970, 1, 1))  # before what a zip can hold
    with zipfile.ZipFile(io.BytesIO(early)) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_fixed_time_is_the_period_end_or_source_date_epoch_never_the_clock(monkeypatch):
    monkeypatch.delenv(reproducible.SOURCE_DATE_EPOCH, raising=False)
    assert reproducible.fixed_time(dt.date(2019, 12, 31)) == dt.datetime(2019, 12, 31)
    assert reproducible.fixed_time() == dt.datetime.combine(reproducible.FALLBACK_DATE, dt.time())
    assert reproducible.period_date({"month": "2020-02"}) == dt.date(2020, 2, 29)
    monkeypatch.setenv(reproducible.SOURCE_DATE_EPOCH, "1577836800")  # 2020-01-01 00:00 UTC
    assert reproducible.fixed_time(dt.date(2019, 12, 31)) == dt.datetime(2020, 1, 1)
    monkeypatch.setenv(reproducible.SOURCE_DATE_EPOCH, "yesterday")
    with pytest.raises(CreditCountyError, match="SOURCE_DATE_EPOCH"):
        reproducible.fixed_time(dt.date(2019, 12, 31))


def test_the_workbook_and_the_pdf_clock_take_source_date_epoch(monkeypatch):
    sheet = DataSheet("s", "表", [SheetColumn("单位", ["兰山区"]), SheetColumn("得分", [91.25], "0.00")])
    monkeypatch.delenv(reproducible.SOURCE_DATE_EPOCH, raising=False)
    nb = new_notebook(metadata={"papermill": {"parameters": {"month": "2019-12"}}})
    assert pdf_time(nb) == int(dt.datetime(2019, 12, 31, tzinfo=dt.UTC).timestamp())
    monkeypatch.setenv(reproducible.SOURCE_DATE_EPOCH, "1577836800")
    assert pdf_time(nb) == 1577836800
    data = xlsx_bytes([sheet], reproducible.fixed_time(dt.date(2019, 12, 31)))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert {i.date_time for i in z.infolist()} == {(2020, 1, 1, 0, 0, 0)}
        assert "2020-01-01T00:00:00Z" in z.read("docProps/core.xml").decode()


def test_records_name_project_files_relative_to_the_project(tmp_path):
    project = Project(tmp_path / "p")
    (project.params).mkdir(parents=True)
    assert provenance.project_path(project, project.params / "index.yaml") == "params/index.yaml"
    assert provenance.project_path(project, "/usr/share/x.yaml") == "/usr/share/x.yaml"
    assert provenance.project_path(project, "") == ""
    shutil.rmtree(project.params)
