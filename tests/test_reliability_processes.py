"""Killed builds: workers and kernels die with the command, the published month is untouched, and the
next writing command ends what is still running of a killed run (never a reused pid) and removes its
leftovers, saying so."""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from scoring.pipeline import cluster, runs
from scoring.project import Project
from scoring.safeio import parse_temporary_name, process_alive, process_start
from tests.conftest import DEMO_MONTH, copy_project

CLI = str(Path(sys.executable).parent / "credit-county")


def pdeathsig() -> int:
    """(Run in a local Dask worker) the signal this process gets when its parent dies."""
    value = ctypes.c_int(0)
    ctypes.CDLL(None).prctl(2, ctypes.byref(value), 0, 0, 0)  # PR_GET_PDEATHSIG
    return value.value


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Project:
    """The demo data with December's stage tables published (`score`), as a user has them."""
    from scoring.demo import write_demo
    from scoring.pipeline.bulletin import ensure_processed
    from scoring.pipeline.score import score_month

    project = copy_project(tmp_path_factory.mktemp("killed"))
    write_demo(project, years=[2019])
    ensure_processed(project, DEMO_MONTH)
    score_month(project, DEMO_MONTH)
    return project


def hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def hidden(project: Project) -> list[str]:
    """Temporary names made by this package in outputs/ and data/processed/."""
    return sorted(str(p.relative_to(project.root)) for folder in (project.outputs, project.processed)
                  for p in folder.rglob(".*") if parse_temporary_name(p.name))


def session(sid: int) -> list[tuple[int, int]]:
    """(pid, start) of the living processes of session `sid` (the command and its workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if entry.name.isdigit() and fields[0] not in "ZX" and int(fields[3]) == sid:
            found.append((int(entry.name), int(fields[19])))
    return found


def start_bulletin(project: Project) -> tuple[subprocess.Popen, list[tuple[int, int]], list[tuple[int, int]]]:
    """Start `credit-county bulletin` and wait until its notebooks run: (the command, its worker
    processes and the other processes of its session, its kernels), all as (pid, start)."""
    proc = subprocess.Popen([CLI, "--root", str(project.root), "bulletin", "--month", DEMO_MONTH, "--quiet"],
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        records = [json.loads(p.read_text()) for p in (project.outputs / runs.RUNS).glob(f"{proc.pid}-*.*.json")]
        kernels = [(k["pid"], k["start"]) for r in records for k in r["kernels"]]
        if len(records) == 2 and kernels:
            workers = [(r["pid"], r["start"]) for r in records]
            assert all(process_alive(*w) for w in workers)
            return proc, sorted(set(workers) | set(session(proc.pid)) - {(proc.pid, process_start(proc.pid))}), kernels
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"no notebook started: {proc.communicate()}")


def alive(processes: list[tuple[int, int]], within: float) -> list[tuple[int, int]]:
    deadline = time.monotonic() + within
    while (left := [p for p in processes if process_alive(*p)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def test_local_workers_die_with_the_command_and_at_once_on_an_exception():
    with cluster.connect(1) as client:
        assert list(client.run(pdeathsig).values()) == [signal.SIGTERM]  # on the thread that set it up
        assert client.submit(os.getppid, pure=False).result() == os.getpid()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), cluster.connect(1) as client:
        client.submit(time.sleep, 60, pure=False)
        worker = next(iter(client.run(lambda: (os.getpid(), process_start(os.getpid()))).values()))
        time.sleep(0.5)
        raise KeyboardInterrupt
    assert time.monotonic() - started < 8 and not process_alive(*worker)


def _me() -> tuple[int, int, int]:
    return os.getpid(), process_start(os.getpid()) or 0, os.getppid()


def test_the_ingest_pool_workers_die_with_the_command_and_at_once_on_an_exception():
    """cluster.process_pool (Dask's process scheduler, ingest): forked workers tied to this process."""
    with cluster.process_pool(1) as pool:
        assert pool.submit(pdeathsig).result() == signal.SIGTERM
        assert pool.submit(_me).result()[2] == os.getpid()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), cluster.process_pool(1) as pool:
        pid, start, _parent = pool.submit(_me).result()
        pool.submit(time.sleep, 60)
        time.sleep(0.3)
        raise KeyboardInterrupt
    assert time.monotonic() - started < 8 and not process_alive(pid, start)


def test_kill_9_leaves_no_process_and_the_next_command_removes_the_leftovers(project):
    published = hashes(project.output_month(DEMO_MONTH))
    proc, workers, kernels = start_bulletin(project)
    proc.kill()  # SIGKILL: nothing of the command runs any more
    proc.wait(10)
    assert alive(workers + kernels, within=15) == []
    assert hashes(project.output_month(DEMO_MONTH)) == published
    left = hidden(project)
    assert any(name.startswith(f"outputs/.{DEMO_MONTH}.building.{proc.pid}-") for name in left), left
    assert any((project.outputs / runs.RUNS).glob(f"{proc.pid}-*.json"))

    done = subprocess.run([CLI, "--root", str(project.root), "template", "--month", DEMO_MONTH],  # any writing verb
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert f"removed the record of an earlier run that was killed (pid {proc.pid}); none of its processes " \
           "was still running" in lines
    removed = [line for line in lines if line.startswith("removed ") and "left by earlier interrupted runs" in line]
    assert len(removed) == 1 and f"outputs/.{DEMO_MONTH}.building.{proc.pid}-" in removed[0], lines
    assert hidden(project) == [] and not (project.outputs / runs.RUNS).exists()
    assert not list(Path(tempfile.gettempdir()).glob(f".credit-county.workers.{proc.pid}-*"))


def test_sigterm_stops_the_build_at_once_with_one_line_and_nothing_left(project):
    published = hashes(project.output_month(DEMO_MONTH))
    proc, workers, kernels = start_bulletin(project)
    sent = time.monotonic()
    proc.terminate()
    _, err = proc.communicate(timeout=15)
    assert time.monotonic() - sent < 6
    assert proc.returncode == 128 + signal.SIGTERM
    assert err.decode().strip().splitlines()[-1] == ("error: the build was interrupted (SIGTERM): unfinished "
                                                      "work was discarded, published folders were left whole")
    assert "Traceback" not in err.decode()
    assert alive(workers + kernels, within=1) == []  # ended by the command itself, not by their own polling
    assert hashes(project.output_month(DEMO_MONTH)) == published
    assert hidden(project) == [] and not (project.outputs / runs.RUNS).exists()
    assert not list(Path(tempfile.gettempdir()).glob(f".credit-county.workers.{proc.pid}-*"))


def test_a_stale_record_ends_only_processes_that_are_still_the_recorded_ones(tmp_path):
    project = Project(tmp_path)
    folder = project.outputs / runs.RUNS
    folder.mkdir(parents=True)
    reused = subprocess.Popen(["sleep", "60"])  # an unrelated process that got a recorded pid
    stale = subprocess.Popen(["sleep", "60"])  # a kernel of the killed run, still running
    neighbour = subprocess.Popen(["sleep", "60"])  # a worker of a live run
    try:
        owner = f"{neighbour.pid + 10**6}-1"  # no such process
        worker = {"pid": reused.pid, "start": process_start(reused.pid) + 100, "owner": 0,
                  "kernels": [{"pid": stale.pid, "start": process_start(stale.pid)}]}
        (folder / f"{owner}.json").write_text("{}")
        (folder / f"{owner}.{reused.pid}.json").write_text(json.dumps(worker))
        live = f"{os.getpid()}-{process_start(os.getpid())}"
        (folder / f"{live}.{neighbour.pid}.json").write_text(json.dumps(
            {"pid": neighbour.pid, "start": process_start(neighbour.pid), "kernels": []}))

        lines = runs.sweep(project)

        assert lines == [f"ended 1 kernel process left by an earlier run (pid {neighbour.pid + 10**6})"]
        assert stale.wait(5) == -signal.SIGTERM
        assert reused.poll() is None and neighbour.poll() is None  # never signalled
        assert sorted(p.name for p in folder.iterdir()) == [f"{live}.{neighbour.pid}.json"]
    finally:
        for proc in (reused, stale, neighbour):
            proc.kill()
            proc.wait()
