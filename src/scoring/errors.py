"""Exceptions with messages a user can act on.

Each carries `problems`: one line per problem, naming the file, row, column, value
and rule where those exist. The command line prints them and exits non-zero.

`write_failure` turns an OSError of the kind a user fixes outside the program (no space,
no quota, no permission, a read-only disk) into one sentence naming the folder being
written — the folder a user knows, never the temporary file or build folder beneath it.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
from pathlib import Path


class CreditCountyError(Exception):
    """Base class: something the user must fix; never a bug in this package."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems) if problems else [message]


class SpecError(CreditCountyError):
    """The index, the units or another params file is wrong."""


class DataError(CreditCountyError):
    """Input data breaks the data contract (docs/data.md)."""


class StateError(DataError):
    """A file the program itself wrote and reads back (the titles register, a processed month,
    stage tables, stage.json, index.yaml, provenance.json) is missing, damaged or changed."""


class ScoringError(CreditCountyError):
    """A value cannot be scored by its metric's method (e.g. a manual score above the points)."""


class BatchError(CreditCountyError):
    """One or more notebooks failed; the others were completed."""


# ----------------------------------------------------------------------------- write failures

#: errno → (what happened, what to do): the failures of the machine, not of the data.
WRITE_FAILURES: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on the device", "free some space and run again"),
    errno.EDQUOT: ("the disk quota is used up", "free some space (or ask for a larger quota) and run again"),
    errno.EACCES: ("permission denied", "make it writable for this user (or use a copy of the project "
                                        "you may write, with --root) and run again"),
    errno.EPERM: ("operation not permitted", "make it writable for this user (or use a copy of the project "
                                             "you may write, with --root) and run again"),
    errno.EROFS: ("the file system is read-only", "use a copy of the project on a writable disk (--root) "
                                                  "and run again"),
}
#: The failures that can only come from writing (a notebook's reason may name them too).
WRITE_ONLY = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)
_ERRNO = re.compile(r"\[Errno (\d+)\]")
def failed_errno(exc: BaseException) -> tuple[int | None, str | None]:
    """The errno and path of an OSError; for shutil.Error (copytree: a list of (source,
    destination, reason) triples) those of its first failure."""
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list) and exc.args[0]:
        first = exc.args[0][0]
        if isinstance(first, tuple) and len(first) == 3:
            found = _ERRNO.search(str(first[2]))
            return (int(found.group(1)) if found else None), str(first[1])
    if isinstance(exc, OSError):
        path = exc.filename2 if exc.filename2 is not None else exc.filename
        return exc.errno, (os.fsdecode(path) if path is not None else None)
    return None, None


def published_path(path: str | Path) -> Path:
    """The folder `path` is written for: a temporary build or swap folder → the folder it becomes
    (outputs/.2019-12.building.<owner>/units/a.html → outputs/2019-12); a temporary file → its
    folder; a file → its folder; a folder stays. Temporary names: scoring.safeio."""
    from scoring.safeio import parse_temporary_name  # safeio imports this module

    path = Path(path)
    parts = path.parts
    for i, part in enumerate(parts):
        temporary = parse_temporary_name(part)
        if temporary is not None:
            return Path(*parts[:i], temporary.name) if temporary.role else Path(*parts[:i])
    return path if path.is_dir() or not path.suffix else path.parent


def shown_path(path: Path) -> str:
    """`path` relative to the current folder when it is inside it (outputs/2019-12), else absolute."""
    try:
        return Path(os.path.abspath(path)).relative_to(Path.cwd()).as_posix() or "."
    except ValueError:
        return str(path)


def write_failure(exc: BaseException, target: Path | None) -> str | None:
    """One sentence for a write that failed for want of space or permission — "cannot write
    outputs/2019-12: no space left on the device — free some space and run again" — or None for
    any other error. `target`: the folder the command writes, named when the error names no path."""
    code, path = failed_errno(exc)
    if code not in WRITE_FAILURES:
        return None
    what, fix = WRITE_FAILURES[code]
    where = published_path(path) if path else target
    if where is None:
        return f"cannot write: {what} — {fix}"
    return f"cannot write {shown_path(where)}: {what} — {fix}"


def batch_write_failure(problems: list[str], target: Path | None) -> str | None:
    """The sentence of `write_failure` when a failed notebook's reason is a failure to write
    (no space, no quota, a read-only disk: the notebooks failed for the machine, not the data)."""
    for line in problems:
        found = _ERRNO.search(line)
        if found and int(found.group(1)) in WRITE_ONLY:
            what, fix = WRITE_FAILURES[int(found.group(1))]
            return f"cannot write {shown_path(target) if target else 'the outputs'}: {what} — {fix}"
    return None


def os_error_line(exc: OSError, target: Path | None) -> str:
    """The line the command prints for an OSError: `write_failure`'s sentence, else the path (a
    temporary name as the folder it is written for) and the system's reason, in one line."""
    sentence = write_failure(exc, target)
    if sentence is not None:
        return sentence
    code, path = failed_errno(exc)
    where = f"{shown_path(published_path(path))}: " if path else ""
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list):
        failures = exc.args[0]
        reason = str(failures[0][2]) if failures and isinstance(failures[0], tuple) else str(exc)[:200]
        more = f" (and {len(failures) - 1} more file(s))" if len(failures) > 1 else ""
        return f"{where}cannot copy: {reason}{more}"
    return f"{where}{exc.strerror or (os.strerror(code) if code else exc)}"
