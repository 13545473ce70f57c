"""The life of a writing command's processes: each run recorded, workers that die with it, and a
sweep that ends and removes what killed runs left behind.

- `recorded(project)` (the CLI, around every verb that writes): first `sweep`, then a record of
  this run in outputs/.runs/<pid>-<start>.json, and SIGTERM/SIGINT/SIGHUP turned into `Interrupted` so
  that the build unwinds (stage folders removed, workers ended) and exits non-zero with one line.
- `init_worker` (run in each worker process of the run's local Dask cluster, scoring.pipeline.cluster):
  the worker gets SIGTERM when this process dies (Linux prctl PR_SET_PDEATHSIG; a thread watching
  os.getppid() where that is missing), ignores SIGINT (the parent decides), records itself and the
  kernels it starts (outputs/.runs/<owner>.<worker pid>.json, `record_kernel`) and keeps its
  temporary files in a folder of the run. `end_workers` ends what such records name (on an
  exception, an interrupt included: a running notebook is not waited for).
- `sweep(project)`: records whose owner is dead → their still-living workers and kernels ended
  (only a process with the recorded pid AND start time: a reused pid is never signalled), records
  removed; temporary folders and files of dead owners (scoring.safeio names) removed — a published
  folder moved aside by a run killed while swapping is put back. One line on stderr for each.

A kernel (ipykernel) also exits by itself within a second of its worker's death: it polls its
parent (JPY_PARENT_PID, set by jupyter_client).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from scoring.project import Project
from scoring.safeio import (
    TemporaryName,
    atomic_write_text,
    owner_tag,
    parse_temporary_name,
    process_alive,
    process_start,
)

RUNS = ".runs"  # the registry, under outputs/
RECORD_PATTERN = re.compile(r"^(?P<pid>\d+)-(?P<start>\d+)(?:\.(?P<child>\d+))?\.json$")
INTERRUPTS = [getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name)]
GRACE = 2.0  # seconds between SIGTERM and SIGKILL when ending processes
_PR_SET_PDEATHSIG = 1
_TMP_MAX = 60  # characters: a longer worker temporary folder would make kernel socket paths too long

#: Temporary folders named before names carried their owner: removed once a day old (no run lasts that long).
LEGACY_PATTERN = re.compile(r"^\.(?P<name>.+)\.(?P<role>building|score|old)\.(?:[a-z0-9_]{8}|\d+)$")
LEGACY_AGE = 24 * 3600.0  # seconds

_run_folder: Path | None = None  # the registry of this process's run (set by `recorded`)
_worker: dict | None = None  # in a worker: {"path": its record, "record": {...}}
_interrupted = False


class Interrupted(KeyboardInterrupt):
    """SIGTERM, SIGINT or SIGHUP received during a recorded run: unwinds like Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


# ----------------------------------------------------------------------------- the run


def _on_signal(signum: int, _frame: object) -> None:
    global _interrupted
    if _interrupted:  # a second signal while unwinding: stop now (workers still die with us)
        os._exit(128 + signum)
    _interrupted = True
    raise Interrupted(signum)


def _remove_records(folder: Path, tag: str) -> None:
    for path in [folder / f"{tag}.json", *folder.glob(f"{tag}.*.json")]:
        path.unlink(missing_ok=True)


@contextlib.contextmanager
def recorded(project: Project, *, writes: bool = True) -> Iterator[None]:
    """Around a command: sweep, record this run, turn SIGTERM/SIGINT/SIGHUP into an orderly stop.

    An interrupted command prints one line and exits 128 + the signal number (SystemExit);
    `writes` False (a command that writes nothing): nothing is done.
    """
    global _run_folder, _interrupted
    if not writes:
        yield
        return
    for line in sweep(project):
        print(line, file=sys.stderr)
    folder, tag = project.outputs / RUNS, owner_tag()
    made_outputs = not project.outputs.exists()
    with contextlib.suppress(OSError):  # a read-only project: no record (workers still die with us)
        atomic_write_text(folder / f"{tag}.json", json.dumps(
            {"pid": os.getpid(), "start": process_start(os.getpid()), "argv": sys.argv}) + "\n")
    previous_folder, _run_folder = _run_folder, folder
    handlers = {}
    if threading.current_thread() is threading.main_thread():  # an ignored signal (nohup, &) stays ignored
        handlers = {s: signal.signal(s, _on_signal) for s in INTERRUPTS if signal.getsignal(s) is not signal.SIG_IGN}
    try:
        yield
    except Interrupted as exc:
        print(f"error: the build was interrupted ({signal.Signals(exc.signum).name}): unfinished work was "
              "discarded, published folders were left whole", file=sys.stderr)
        raise SystemExit(128 + exc.signum) from None
    finally:
        for s, handler in handlers.items():
            signal.signal(s, handler)
        _interrupted, _run_folder = False, previous_folder
        _remove_records(folder, tag)
        with contextlib.suppress(OSError):
            folder.rmdir()
            if made_outputs:
                project.outputs.rmdir()


# ----------------------------------------------------------------------------- workers


def _die_with_parent() -> bool:
    """Ask Linux to send this process SIGTERM when its parent dies; False where unavailable."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        args = [ctypes.c_ulong(v) for v in (signal.SIGTERM, 0, 0, 0)]
        return libc.prctl(ctypes.c_int(_PR_SET_PDEATHSIG), *args) == 0
    except (OSError, AttributeError, TypeError):
        return False


def _watch_parent(owner: int) -> None:
    while os.getppid() == owner:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)


def _write_worker() -> None:
    if _worker is not None:
        with contextlib.suppress(OSError):
            atomic_write_text(_worker["path"], json.dumps(_worker["record"]) + "\n")


def init_worker(owner: int, tag: str, records: str, tmp: str) -> None:
    """A worker process's initializer (also for another executor's workers): die with `owner` (its
    parent, whose owner tag is `tag`), record itself in the folder `records`, temporary files in `tmp`."""
    global _worker
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    if not _die_with_parent():
        threading.Thread(target=_watch_parent, args=(owner,), daemon=True, name="watch-parent").start()
    if os.getppid() != owner:  # the parent died before the request took effect
        os._exit(1)
    if len(tmp) <= _TMP_MAX:
        os.environ["TMPDIR"] = tempfile.tempdir = tmp  # kernels inherit it: their sockets go there too
        os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(tmp, "jupyter")  # kernels' connection files
    pid = os.getpid()
    _worker = {"path": Path(records) / f"{tag}.{pid}.json",
               "record": {"pid": pid, "start": process_start(pid), "owner": owner, "kernels": []}}
    _write_worker()


def record_kernel(pid: int | None) -> None:
    """(In a pool worker) note a kernel process it started, so that it can be ended if it outlives us."""
    if _worker is None or not pid:
        return
    kernels = [k for k in _worker["record"]["kernels"] if process_alive(k["pid"], k["start"])]
    _worker["record"]["kernels"] = [*kernels, {"pid": pid, "start": process_start(pid)}]
    _write_worker()


def _recorded_processes(paths: list[Path]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(workers, kernels) as (pid, start) from worker records; a damaged record counts for nothing."""
    workers, kernels = [], []
    for path in paths:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            workers.append((int(record["pid"]), int(record["start"])))
            kernels += [(int(k["pid"]), int(k["start"])) for k in record.get("kernels", []) if k.get("start")]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
    return workers, kernels


def end_processes(processes: list[tuple[int, int]], grace: float = GRACE) -> int:
    """SIGTERM each (pid, start time) still running as recorded, SIGKILL those left after `grace`
    seconds; a process whose pid now belongs to another process is left alone. Returns how many."""
    alive = [(p, s) for p, s in set(processes) if p != os.getpid() and process_alive(p, s)]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        left = [(p, s) for p, s in alive if process_alive(p, s)]
        for pid, _ in left:
            with contextlib.suppress(OSError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while left and time.monotonic() < deadline and any(process_alive(p, s) for p, s in left):
            time.sleep(0.05)
    return len(alive)


def run_folder() -> Path | None:
    """The run registry of this process's recorded run (None outside `recorded`)."""
    return _run_folder


def end_workers(records: Path, tag: str) -> int:
    """End the still-living workers recorded in `records` for the owner `tag` and their kernels."""
    workers, kernels = _recorded_processes(sorted(records.glob(f"{tag}.*.json")))
    return end_processes(workers) + end_processes(kernels)


def remove_worker_records(records: Path, tag: str) -> None:
    """Remove the worker records of the owner `tag` (the run's own record stays)."""
    for path in records.glob(f"{tag}.*.json"):
        path.unlink(missing_ok=True)


# ----------------------------------------------------------------------------- sweep


def _size(path: Path) -> int:
    if path.is_symlink() or not path.is_dir():
        return path.lstat().st_size
    return sum(os.lstat(os.path.join(top, f)).st_size for top, _, files in os.walk(path) for f in files)


def _readable(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.0f} KB"


def _sweep_records(folder: Path) -> list[str]:
    """End the living workers and kernels of runs whose owner is dead; remove their records."""
    owners: dict[tuple[int, int], list[Path]] = {}
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if match := RECORD_PATTERN.match(path.name):
            owners.setdefault((int(match["pid"]), int(match["start"])), []).append(path)
    lines = []
    for (pid, start), paths in owners.items():
        if process_alive(pid, start):
            continue  # a live run (perhaps running now beside this one): not ours to touch
        workers, kernels = _recorded_processes([p for p in paths if RECORD_PATTERN.match(p.name)["child"]])
        ended_workers, ended_kernels = end_processes(workers), end_processes(kernels)
        for path in paths:
            path.unlink(missing_ok=True)
        if ended_workers or ended_kernels:
            what = [f"{n} {word}{'es' if n != 1 else ''}" for n, word in
                    ((ended_workers, "worker process"), (ended_kernels, "kernel process")) if n]
            lines.append(f"ended {' and '.join(what)} left by an earlier run (pid {pid})")
        else:
            lines.append(f"removed the record of an earlier run that was killed (pid {pid}); "
                         "none of its processes was still running")
    return lines


def _leftovers(folder: Path, depth: int, only: str = "") -> Iterator[tuple[Path, TemporaryName]]:
    """Temporary folders and files (safeio names) of dead owners in `folder` and `depth` levels below."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        owner = parse_temporary_name(entry.name) if entry.name.startswith(only or ".") else None
        if owner is None and not only and (legacy := LEGACY_PATTERN.match(entry.name)):
            with contextlib.suppress(OSError):
                if time.time() - entry.stat(follow_symlinks=False).st_mtime > LEGACY_AGE and entry.is_dir():
                    owner = TemporaryName(legacy["name"], legacy["role"], 0, 0)  # pid 0: never alive
        if owner is not None:
            if not process_alive(owner.pid, owner.start):
                yield Path(entry.path), owner
        elif depth > 0 and entry.is_dir(follow_symlinks=False):
            yield from _leftovers(Path(entry.path), depth - 1)


def _sweep_leftovers(project: Project) -> list[str]:
    places = [(project.outputs, 2, ""), (project.processed, 1, ""), (project.root / "data", 0, ""),
              (project.raw, 0, ""), (Path(tempfile.gettempdir()), 0, ".credit-county")]
    removed: list[tuple[Path, bool]] = []
    lines, size = [], 0
    for folder, depth, only in places:
        for path, owner in _leftovers(folder, depth, only):
            final = path.parent / owner.name
            if owner.role == "old" and not final.exists() and not final.is_symlink():
                with contextlib.suppress(OSError):  # killed between the two renames of a swap: put it back
                    os.replace(path, final)
                    lines.append(f"restored {final}: an earlier run was killed while replacing it")
                continue
            with contextlib.suppress(OSError):
                size += _size(path)
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    path.unlink()
            if not path.exists() and not path.is_symlink():
                removed.append((path, path.name.endswith(".tmp")))
    if removed:
        shown = []
        for path, _ in removed[:3]:
            with contextlib.suppress(ValueError):
                path = path.relative_to(project.root)
            shown.append(str(path))
        folders, files = sum(1 for _, f in removed if not f), sum(1 for _, f in removed if f)
        what = " and ".join(f"{n} {word}{'s' if n != 1 else ''}" for n, word in
                            ((folders, "folder"), (files, "temporary file")) if n)
        more = f" and {len(removed) - 3} more" if len(removed) > 3 else ""
        lines.append(f"removed {what} left by earlier interrupted runs ({_readable(size)}): {', '.join(shown)}{more}")
    return lines


def sweep(project: Project) -> list[str]:
    """End what earlier killed runs of `project` left running and remove what they left behind;
    one line per thing done (nothing of a live run is touched)."""
    return _sweep_records(project.outputs / RUNS) + _sweep_leftovers(project)
