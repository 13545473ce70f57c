"""Incremental rebuild (scoring.pipeline.reuse): unchanged reports are copied from the published month.

The demo month of the session (conftest.built_month) is copied into a scratch project; re-running
its bulletin reuses every report and leaves every file but provenance.json byte for byte; --force,
a changed params file or a changed published file make reports run again. Jobs that would run are
caught by a stand-in for batch.run_batch where running them is not the point (it fails them, so
nothing is published), and run for real once, after a change to params/report.yaml.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from scoring.cli import main
from scoring.errors import BatchError
from scoring.pipeline import batch, reuse
from scoring.pipeline.bulletin import build
from scoring.project import Project

from .conftest import DEMO_MONTH

REPORTS = 18  # bulletin, sensitivity, 16 units


def _hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _bulletin(project: Project, capsys, *extra: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["--root", str(project.root), "bulletin", "--month", DEMO_MONTH, "--quiet", *extra])
    return code, capsys.readouterr().out


@pytest.fixture(scope="module")
def project(built_month, tmp_path_factory) -> Project:
    """A copy of the session's demo project with its built month (this module changes it)."""
    target = tmp_path_factory.mktemp("incremental") / "project"
    shutil.copytree(built_month.root, target, symlinks=True)
    return Project(target)


@pytest.fixture()
def caught(monkeypatch) -> list[str]:
    """The names of the jobs handed to batch.run_batch; each is failed at once, not run."""
    names: list[str] = []

    def fail_all(jobs, **_kw):
        names.extend(j.name for j in jobs)
        return batch.BatchResult(failed={j.name: "not run (test)" for j in jobs})

    monkeypatch.setattr(batch, "run_batch", fail_all)
    return names


def test_an_unchanged_month_reuses_every_report_and_keeps_every_byte(project, capsys):
    month = project.output_month(DEMO_MONTH)
    before = _hashes(month)
    record = json.loads((month / reuse.REPORTS_FILE).read_text(encoding="utf-8"))
    assert len(record["reports"]) == REPORTS and set(record["inputs"]) == {"stage_sha256", "params_sha256",
                                                                           "software"}
    code, out = _bulletin(project, capsys)
    assert code == 0
    assert f"reused {REPORTS} of {REPORTS} reports (unchanged inputs); executed 0" in out
    after = _hashes(month)
    assert sorted(after) == sorted(before)
    assert [name for name in before if before[name] != after[name]] == ["provenance.json"]
    assert json.loads((month / "provenance.json").read_text(encoding="utf-8"))["reports_reused"] == REPORTS
    run = json.loads((month / "run.json").read_text(encoding="utf-8"))
    assert len(run["succeeded"]) == REPORTS and not run["failed"]


def test_force_runs_every_report(project, caught):
    month = project.output_month(DEMO_MONTH)
    before = _hashes(month)
    with pytest.raises(BatchError):
        build(project, DEMO_MONTH, progress=False, force=True)
    assert len(caught) == REPORTS and {"bulletin", "sensitivity", "lanshan"} <= set(caught)
    assert _hashes(month) == before  # a failed build publishes nothing
    shutil.rmtree(month.parent / f"{DEMO_MONTH}.failed")


def test_a_published_report_file_that_changed_is_run_again(project, caught):
    pdf = project.output_month(DEMO_MONTH) / "units" / "lanshan.pdf"
    original = pdf.read_bytes()
    pdf.write_bytes(original + b"\n")
    try:
        with pytest.raises(BatchError):
            build(project, DEMO_MONTH, progress=False)
    finally:
        pdf.write_bytes(original)
        shutil.rmtree(project.outputs / f"{DEMO_MONTH}.failed", ignore_errors=True)
    assert caught == ["lanshan"]


def test_a_damaged_record_reuses_nothing(project, caught):
    path = project.output_month(DEMO_MONTH) / reuse.REPORTS_FILE
    original = path.read_bytes()
    path.write_bytes(original[: len(original) // 2])
    try:
        with pytest.raises(BatchError):
            build(project, DEMO_MONTH, progress=False)
    finally:
        path.write_bytes(original)
        shutil.rmtree(project.outputs / f"{DEMO_MONTH}.failed", ignore_errors=True)
    assert len(caught) == REPORTS


def test_a_failed_report_is_never_recorded(tmp_path):
    stage = tmp_path / "stage"
    (stage / "notebooks").mkdir(parents=True)
    jobs = []
    for name in ("good", "bad"):
        (stage / "notebooks" / f"{name}.ipynb").write_text("{}", encoding="utf-8")
        (stage / f"{name}.html").write_text(name, encoding="utf-8")
        jobs.append(batch.Job(name=name, notebook=stage / "notebooks" / f"{name}.ipynb", parameters={},
                              executed=stage / "notebooks" / f"{name}.ipynb", html=stage / f"{name}.html"))
    planned = reuse.Plan(keys={"good": "k1", "bad": "k2"}, inputs={"stage_sha256": "s"})
    reuse.write_reports(stage, DEMO_MONTH, planned, jobs, ["good"])
    assert list(reuse.read_published(stage)) == ["good"]
    assert set(reuse.read_published(stage)["good"]["files"]) == {"notebooks/good.ipynb", "good.html"}


def test_keys_leave_out_paths_but_not_parameters(tmp_path):
    notebook = tmp_path / "n.ipynb"
    notebook.write_text("{}", encoding="utf-8")

    def key(**parameters) -> str:
        job = batch.Job(name="x", notebook=notebook, parameters=parameters, executed=tmp_path / "x.ipynb")
        return reuse.report_key(job, tmp_path, "shared")

    assert key(root="/a", tables="/a/t", month="2019-12") == key(root="/b", tables="/c", month="2019-12")
    assert key(month="2019-12") != key(month="2019-11")
    assert key(month="2019-12", unit="lanshan") != key(month="2019-12", unit="yishui")


@pytest.mark.slow
def test_a_changed_params_file_runs_every_report_and_the_next_run_reuses_them(project, capsys):
    report_yaml = project.params / "report.yaml"
    text = report_yaml.read_text(encoding="utf-8")
    label = "示例数据"
    assert label in text
    report_yaml.write_text(text.replace(label, "示例数据（测试）", 1), encoding="utf-8")
    code, out = _bulletin(project, capsys)
    assert code == 0, out
    assert f"reused 0 of {REPORTS} reports (unchanged inputs); executed {REPORTS} (stage tables, params changed)" in out
    code, out = _bulletin(project, capsys)
    assert code == 0 and f"reused {REPORTS} of {REPORTS} reports" in out
