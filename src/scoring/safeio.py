"""Writing files so that nothing is half-written and nothing earlier is lost.

- `atomic_write_*`: write to a temporary file in the same folder, then rename over.
- `staged_dir`: build a whole folder under a temporary name, then swap it into place;
  on any error the temporary folder is removed and the old folder stays as it was.
- `neutralise_cell`: a text cell beginning with = + - @ (or tab / CR) is prefixed with
  an apostrophe so that Excel or LibreOffice shows it as text, not a formula.

Every temporary name carries its owner, `owner_tag()` = "<pid>-<start time>", e.g.
`.2019-12.building.4242-918273.k3j2h1g0` or `.stage.json.4242-918273.x8y7z6w5.tmp`, so that a
later run can tell the leftovers of a killed process (`parse_temporary_name`, scoring.pipeline.runs.sweep)
from the work of a live one. The start time (clock ticks after boot, /proc/<pid>/stat) guards
against a reused pid.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import signal
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from scoring.errors import CreditCountyError

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: Temporary folders: .NAME.<role>.<pid>-<start>.<random>; temporary files: .NAME.<pid>-<start>.<random>.tmp
LEFTOVER_PATTERN = re.compile(r"^\.(?P<name>.+?)\.(?:(?P<role>building|old|scratch|workers)\.)?"
                              r"(?P<pid>\d+)-(?P<start>\d+)\.[A-Za-z0-9_]+(?P<tmp>\.tmp)?$")
_RENAME_EXCHANGE = 2  # renameat2 flag (Linux ≥ 3.15): swap two paths atomically
_AT_FDCWD = -100


# ----------------------------------------------------------------------------- owners


def process_start(pid: int) -> int | None:
    """Start time of process `pid` in clock ticks after boot (field 22 of /proc/<pid>/stat);
    None when there is no such process or it is a zombie (or there is no /proc)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        fields = text[text.rindex(")") + 2:].split()  # the name, in parentheses, may hold spaces
        return None if fields[0] in ("Z", "X") else int(fields[19])
    except (OSError, ValueError, IndexError):
        return None


def process_alive(pid: int, start: int) -> bool:
    """Whether process `pid` is running and is the one that started at `start` (not a reused pid).
    Without /proc, only whether the pid exists (a reused pid then counts as alive: nothing is removed)."""
    if pid <= 0:
        return False
    if not Path("/proc/self/stat").is_file():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return process_start(pid) == start


_owner: tuple[int, str] | None = None


def owner_tag() -> str:
    """"<pid>-<start time>" of this process: the owner part of its temporary names."""
    global _owner
    pid = os.getpid()
    if _owner is None or _owner[0] != pid:  # recomputed in a forked child
        _owner = (pid, f"{pid}-{process_start(pid) or 0}")
    return _owner[1]


class TemporaryName(NamedTuple):
    """What a temporary name says: the `name` it stands for, its `role`, its owner's `pid` and `start`.

    `role`: 'building' (a stage folder), 'old' (a published folder moved aside while swapping),
    'scratch', 'workers' (a worker pool's temporary folder); None: an atomic write's temporary file.
    """

    name: str
    role: str | None
    pid: int
    start: int


def parse_temporary_name(name: str) -> TemporaryName | None:
    """The owner and role of a temporary name made here (see the module); None: not one."""
    match = LEFTOVER_PATTERN.match(name)
    if not match or (match["role"] is None) == (match["tmp"] is None):
        return None
    return TemporaryName(match["name"], match["role"], int(match["pid"]), int(match["start"]))


def scratch_prefix(name: str, role: str = "scratch") -> str:
    """The prefix of a temporary folder of this process (tempfile.mkdtemp / TemporaryDirectory `prefix`)."""
    return f".{name}.{role}.{owner_tag()}."


# ----------------------------------------------------------------------------- files


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{owner_tag()}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; published files are for readers too
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def neutralise_cell(value: object) -> object:
    """Prefix text that a spreadsheet would read as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def restore_cell(value: object) -> object:
    """Undo `neutralise_cell` when reading a CSV this package wrote: the data as it came in."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells (and column names) cannot run as formulas."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            column = out[col]
            try:  # object columns may mix text and numbers: only text cells can test True
                risky = column.str.startswith(FORMULA_PREFIXES, na=False)
            except AttributeError:  # no text in the column at all
                continue
            if risky.any():  # one vectorised test per column; only the risky cells are rewritten
                out.loc[risky, col] = "'" + column[risky].astype(str)
    out.columns = [neutralise_cell(c) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, float_format: str = "%.6f") -> Path:
    """Atomic, formula-safe, deterministic UTF-8 CSV (no index, '\\n' line ends)."""
    text = neutralise_frame(frame).to_csv(index=False, float_format=float_format, lineterminator="\n")
    return atomic_write_text(path, text)


# ----------------------------------------------------------------------------- folders


def _refuse_stray(final: Path) -> None:
    """A file or link where the folder `final` goes is the user's: refuse rather than move it."""
    what = "a symbolic link" if final.is_symlink() else "a file" if final.exists() and not final.is_dir() else None
    if what:
        raise CreditCountyError(
            f"{final} is {what}, not a folder: this is where the folder {final.name} is written as a "
            f"whole, and the {what.split()[-1]} is not moved or deleted — move or rename it "
            f"(e.g. to {final.name}.bak), then run again")


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0
    except (OSError, AttributeError, TypeError):
        return False


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """SIGINT/SIGTERM arriving inside the block are handled when it ends (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    previous = {s: h for s, h in previous.items() if h is not None}
    for s in previous:
        signal.signal(s, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if caught:
            handler = previous[caught[0]]
            if callable(handler):
                handler(caught[0], None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(caught[0])


def _publish(stage: Path, final: Path) -> Path | None:
    """Put `stage` at `final`; return the folder holding the earlier `final` (to remove), if any."""
    if not final.is_dir():
        os.replace(stage, final)
        return None
    if _exchange(stage, final):  # `final` is the new folder, `stage` the old one: never a moment without
        return stage
    old = final.parent / f".{final.name}.old.{owner_tag()}.{uuid.uuid4().hex[:8]}"
    os.replace(final, old)  # a kill right here leaves `old` alone: runs.sweep puts it back
    try:
        os.replace(stage, final)
    except BaseException:
        os.replace(old, final)
        raise
    return old


def new_stage(final: str | Path, prefix: str | None = None) -> Path:
    """An empty temporary folder beside `final` (readable by all), to be published by `publish_stage`.
    `prefix`: the temporary name's prefix, `scratch_prefix(final.name, "building")` of this process by
    default (another process's, e.g. the parent of a worker building it, makes that process its owner)."""
    final = Path(final)
    _refuse_stray(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=prefix or scratch_prefix(final.name, "building"), dir=final.parent))
    stage.chmod(0o755)  # mkdtemp makes 0700; the published folder is for readers too
    return stage


def publish_stage(stage: Path, final: str | Path) -> None:
    """Swap the complete folder `stage` (`new_stage`) in at `final`; the earlier `final` is removed
    once the new one is in place. On failure `stage` is removed and `final` left as it was."""
    final = Path(final)
    try:
        with _signals_deferred():  # an interrupt during the swap takes effect after it
            _refuse_stray(final)
            old = _publish(stage, final)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def staged_dir(final: str | Path) -> Iterator[Path]:
    """Yield an empty temporary folder beside `final`; on success swap it into place.

    The previous `final` is kept until the new one is in place, then removed, so a reader
    sees either the old folder or the new one, never a half-built one. A file or symbolic link
    at `final` is refused (CreditCountyError) before anything is built; nothing is moved.
    """
    stage = new_stage(final)
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    publish_stage(stage, final)
