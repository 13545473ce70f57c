"""The `credit-county` command's start: the memory-allocator settings, then `scoring.cli.main`.

A month of 2,844 units allocates about 600 MB of short-lived memory (Arrow buffers, numpy arrays,
Python objects) and gives it back; Linux maps it in 4 KiB pages, each first touch a page fault.
Two settings of the C allocators cut those faults (12 months of 2,844 units on 2 workers: about
540,000 faults and 2–3 CPU-s of kernel time → about 145,000 and 1.5 CPU-s;
`benchmarks/bench_scale.py --stages ingest-plain-allocator,…` compares them in one run):

- `GLIBC_TUNABLES=glibc.malloc.hugetlb=1`: glibc's malloc asks for transparent huge pages
  (`madvise`, 2 MiB) for the memory it maps (glibc ≥ 2.35; ignored where transparent huge pages
  are off);
- `MIMALLOC_PURGE_DELAY=-1`: mimalloc (pyarrow's default memory pool) keeps the pages it freed for
  the next buffers instead of returning them to the system after 10 ms.

The C libraries read these variables when the process starts, so `main` sets the missing ones and
re-executes the same command line once (`os.execve`: same process id, same open files). A value
the user has set is kept as it is; `CREDIT_COUNTY_PLAIN_ALLOCATOR=1` leaves the environment alone.
Worker processes (ingest, reports) inherit the settings. Memory is not kept from the system longer
than the command runs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

PLAIN_ENV = "CREDIT_COUNTY_PLAIN_ALLOCATOR"
GLIBC_TUNABLE = ("GLIBC_TUNABLES", "glibc.malloc.hugetlb", "1")
MIMALLOC_SETTINGS = {"MIMALLOC_PURGE_DELAY": "-1"}


def _glibc() -> bool:
    try:
        return (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    except (ValueError, OSError, AttributeError):  # not a glibc system
        return False


def allocator_environment(environ: Mapping[str, str], glibc: bool | None = None) -> dict[str, str] | None:
    """`environ` with the allocator settings added, or None when nothing is to be added.

    The glibc tunable is appended to any other tunables in `GLIBC_TUNABLES` (`name=value` items
    joined by `:`) unless `glibc.malloc.hugetlb` is already among them; only on glibc systems.
    """
    if environ.get(PLAIN_ENV, "") not in ("", "0"):
        return None
    added = {name: value for name, value in MIMALLOC_SETTINGS.items() if name not in environ}
    variable, tunable, value = GLIBC_TUNABLE
    tunables = [item for item in environ.get(variable, "").split(":") if item]
    if (_glibc() if glibc is None else glibc) and not any(item.split("=")[0] == tunable for item in tunables):
        added[variable] = ":".join([*tunables, f"{tunable}={value}"])
    return {**environ, **added} if added else None


def restart_with_allocator_settings() -> None:
    """Re-execute this process's command line with the allocator settings, if any is missing."""
    environment = allocator_environment(os.environ)
    if environment is not None and sys.orig_argv:
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            os.execve(sys.executable, sys.orig_argv, environment)
        except OSError:  # (cannot re-execute: the command runs with the allocators as they are)
            return


def main() -> int:
    """The console script: the allocator settings, then the command itself."""
    restart_with_allocator_settings()
    from scoring.cli import main as command

    return command()
