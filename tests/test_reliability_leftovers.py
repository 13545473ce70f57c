"""Leftovers: temporary names carry their owner; a sweep removes those of dead owners only, puts back a
published folder moved aside by a killed swap, and a stray file where a stage folder goes is refused."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from scoring import safeio
from scoring.errors import CreditCountyError
from scoring.pipeline import runs
from scoring.project import Project
from scoring.safeio import (
    _signals_deferred,
    atomic_write_text,
    owner_tag,
    parse_temporary_name,
    process_start,
    staged_dir,
)
from tests.conftest import copy_project


def dead_tag() -> str:
    """The owner tag of a process that has exited."""
    child = subprocess.Popen(["true"])
    child.wait()
    return f"{child.pid}-{12345}"


def make(path: Path, size: int = 0) -> Path:
    """A leftover folder holding one file of `size` bytes, or (a name ending .tmp) a file."""
    if path.name.endswith(".tmp"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)
    else:
        (path / "sub").mkdir(parents=True)
        (path / "sub" / "table.csv").write_bytes(b"x" * size)
    return path


@pytest.fixture
def project(tmp_path) -> Project:
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "index.yaml").write_text("{}\n")
    for folder in ("data/raw/2019-12", "data/processed", "outputs/trials"):
        (tmp_path / folder).mkdir(parents=True)
    return Project(tmp_path)


def test_temporary_names_carry_their_owner(tmp_path):
    tag = owner_tag()
    assert tag == f"{os.getpid()}-{process_start(os.getpid())}"
    with staged_dir(tmp_path / "2019-12") as stage:
        found = parse_temporary_name(stage.name)
        assert found == ("2019-12", "building", os.getpid(), process_start(os.getpid()))
        atomic_write_text(stage / "a.csv", "x\n")
    assert (tmp_path / "2019-12" / "a.csv").read_text() == "x\n"
    assert [p.name for p in tmp_path.iterdir()] == ["2019-12"]
    assert parse_temporary_name(".stage.json.12-34.ab_c9xyz.tmp") == ("stage.json", None, 12, 34)
    assert parse_temporary_name(".2019.old.12-34.abcdef12") == ("2019", "old", 12, 34)
    for other in (".2019-12.building.abc", "2019-12", ".hidden", ".a.12-34.abc", ".a.building.12-34.abc.tmp"):
        assert parse_temporary_name(other) is None


def test_an_atomic_write_names_its_temporary_file_after_its_owner(tmp_path, monkeypatch):
    renamed = []
    replace = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (renamed.append(Path(a).name), replace(a, b)))
    atomic_write_text(tmp_path / "stage.json", "{}")
    assert parse_temporary_name(renamed[0]) == ("stage.json", None, os.getpid(), process_start(os.getpid()))
    assert [p.name for p in tmp_path.iterdir()] == ["stage.json"]


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "two renames"])
def test_a_swap_replaces_the_folder_whole_and_leaves_nothing(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(safeio, "_exchange", lambda a, b: False)
    final = tmp_path / "2019-12"
    for text in ("first", "second"):
        with staged_dir(final) as stage:
            (stage / "v.txt").write_text(text)
    assert (final / "v.txt").read_text() == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["2019-12"]
    with pytest.raises(RuntimeError), staged_dir(final) as stage:
        (stage / "v.txt").write_text("third")
        raise RuntimeError("boom")
    assert (final / "v.txt").read_text() == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["2019-12"]


def test_an_interrupt_during_the_swap_takes_effect_after_it():
    """The signal is sent to the main thread itself (sent to the process, it may reach one of the test
    process's other threads, whose handler can run after the block has ended), with Python's own
    SIGINT handler and SIGINT unblocked in the main thread whatever earlier tests left (it failed in two
    of four fresh-clone runs of the suite on 2026-12-02, never alone; the message tells the state it
    started from)."""
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    blocked = signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    started = f"SIGINT handler {handler!r}, blocked in the main thread: {sorted(blocked)}"
    try:
        with pytest.raises(KeyboardInterrupt):
            with _signals_deferred():
                signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
                reached = True  # not interrupted inside the block
            raise AssertionError(f"the deferred interrupt was lost ({started})")
        assert reached
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        signal.signal(signal.SIGINT, handler)


@pytest.mark.parametrize("kind", ["file", "link"])
def test_a_stray_file_or_link_where_a_stage_folder_goes_is_refused_and_left_alone(tmp_path, kind):
    final = tmp_path / "processed" / "2019-12"
    final.parent.mkdir()
    if kind == "file":
        final.write_text("someone's notes\n")
    else:
        (tmp_path / "elsewhere").mkdir()
        final.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(CreditCountyError) as err, staged_dir(final):
        raise AssertionError("nothing may be built")
    message = str(err.value)
    assert str(final) in message and ("a file" if kind == "file" else "a symbolic link") in message
    assert "not moved or deleted" in message and "move or rename it" in message
    assert [p.name for p in final.parent.iterdir()] == ["2019-12"]  # no hidden folder made, nothing moved
    if kind == "file":
        assert final.read_text() == "someone's notes\n"
    else:
        assert final.is_symlink() and list((tmp_path / "elsewhere").iterdir()) == []


def test_the_command_refuses_a_stray_file_where_the_processed_month_goes(tmp_path, capsys):
    from scoring.cli import main
    from scoring.demo import write_demo

    project = copy_project(tmp_path / "p")
    write_demo(project, years=[2019])
    stray = project.processed / "2019-12"
    stray.write_bytes(b"\x00 not a folder")
    assert main(["--root", str(project.root), "ingest", "--month", "2019-12"]) == 2
    err = capsys.readouterr().err
    assert f"error: {stray} is a file, not a folder" in err and "Traceback" not in err
    assert stray.read_bytes() == b"\x00 not a folder"
    assert sorted(p.name for p in project.processed.iterdir()) == ["2019-12"]
    assert not (project.outputs / runs.RUNS).exists()  # the run's record went with it


def test_the_sweep_removes_dead_owners_leftovers_and_keeps_live_ones(project):
    dead, live = dead_tag(), owner_tag()
    reused = f"{os.getpid()}-{process_start(os.getpid()) + 7}"  # this pid, another start time: a dead owner
    out, processed, tmp = project.outputs, project.processed, Path(tempfile.gettempdir())
    (out / "2019").mkdir()
    gone = [make(out / f".2019-12.building.{dead}.abcd1234", 300_000),
            make(out / "2019-11" / f".stage.json.{dead}.x1y2z3w4.tmp", 1000),
            make(processed / f".2019-12.building.{reused}.q1w2e3r4", 1000),
            make(out / "trials" / f".2019-12-abc.building.{dead}.zz99yy88"),
            make(out / f".2019.old.{dead}.0a1b2c3d"),  # the new outputs/2019 is in place: the old one goes
            make(out / runs.RUNS / f".{dead}.json.{dead}.m1n2b3v4.tmp"),
            make(tmp / f".credit-county.workers.{dead}.t1t2t3t4")]
    kept = [make(out / f".2019-12.building.{live}.live1234"),
            make(processed / "2019-12" / f".metrics.csv.{live}.live5678.tmp"),
            make(out / ".hidden-by-the-user" / "x.tmp"),
            make(project.raw / "2019-12" / f".dept.csv.{dead}.raw12345.tmp")]  # raw data is never touched
    moved_aside = make(out / f".2019-10.old.{dead}.9f8e7d6c", 10)  # killed between the two renames
    (processed / "2019-08").mkdir()
    legacy = [make(out / ".2019-08.building.k2j3h4g5"), make(processed / ".2019-08.old.4242")]  # older names
    recent = make(out / ".2019-07.building.a1b2c3d4")
    for path in legacy:
        os.utime(path, (time.time() - 2 * runs.LEGACY_AGE,) * 2)
    kept.append(recent)

    lines = runs.sweep(project)

    assert [p for p in gone + legacy if p.exists()] == [] and [p for p in kept if not p.exists()] == []
    assert not moved_aside.exists() and (out / "2019-10" / "sub" / "table.csv").read_bytes() == b"x" * 10
    assert lines[0] == f"restored {out / '2019-10'}: an earlier run was killed while replacing it"
    assert len(lines) == 2 and lines[1].startswith(
        "removed 7 folders and 2 temporary files left by earlier interrupted runs (0.3 MB): "
        f"outputs/.2019-08.building.k2j3h4g5, outputs/.2019-12.building.{dead}.abcd1234, ")
    assert lines[1].endswith(" and 6 more")
    assert runs.sweep(project) == []  # nothing left to do
