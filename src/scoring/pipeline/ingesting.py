"""Ingest several months at once: each month a Dask task, the processed files written here.

`ingest_months(project, months)` validates and derives every month on the Dask cluster of
scoring.pipeline.cluster (a `LocalCluster` of `workers` processes, or `scheduler`): each task
reads data/raw/M and returns the processed month's files as bytes (`ingest.process.month_files`),
and this process writes each month folder as a whole (`ingest.process.write_files`), in month
order, as the tasks finish. The months are independent (each is scored on its own), so the
result is byte-identical to ingesting them one after the other. A month refused stops it as the
sequential loop would: the months before it are written, it raises its DataError, and the later
ones are not written. One month, months of less than `MIN_PARALLEL_BYTES` of raw files in all (a
city's or a province's year: seconds of work), or `workers` 1 without a scheduler run in this
process, one after the other: a cluster's start (a few seconds) would cost more than it saves.

`stale_months(project, until)` are the raw months up to `until` whose processed data is missing
or no longer matches the raw files, params and package version (`ingest.is_up_to_date`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scoring.errors import CreditCountyError, DataError
from scoring.project import Project

MIN_PARALLEL_BYTES = 32_000_000  # raw files of the months to ingest: about one month of 2,844 units, ~8 CPU-s


def _month_files(root: str, month: str) -> tuple[str, Any, list[str]]:
    """A Dask task: ("ok", the month's files, []) or ("refused", the error's message, its lines)."""
    from scoring.ingest.process import month_files, read_raw_month

    try:
        return "ok", month_files(read_raw_month(Project(Path(root)), month)), []
    except CreditCountyError as exc:  # sent back as text: the exception's own class stays here
        return "refused", str(exc), list(exc.problems)


def stale_months(project: Project, until: str | None = None) -> list[str]:
    """The raw months (up to `until`, when given) whose processed data is missing or stale."""
    from scoring.ingest import is_up_to_date

    return [m for m in project.raw_months() if (until is None or m <= until) and not is_up_to_date(project, m)]


def raw_bytes(project: Project, months: list[str]) -> int:
    """The size of the files in data/raw/M of `months` (bytes)."""
    return sum(p.stat().st_size for m in months if project.raw_month(m).is_dir()
               for p in project.raw_month(m).iterdir() if p.is_file())


def ingest_months(project: Project, months: list[str], workers: int = 2, scheduler: str | None = None,
                  min_bytes: int = MIN_PARALLEL_BYTES) -> list[Path]:
    """Ingest `months` (validate data/raw/M, write data/processed/M), each a Dask task when their raw
    files hold `min_bytes` or more; returns the folders written, in month order. Raises the
    DataError of the first month refused."""
    from scoring.ingest.process import ingest_month, write_files
    from scoring.pipeline import cluster

    months = sorted(dict.fromkeys(months))
    if (len(months) <= 1 or (workers <= 1 and cluster.scheduler_address(scheduler) is None)
            or raw_bytes(project, months) < min_bytes):
        return [ingest_month(project, m) for m in months]
    written: list[Path] = []
    with cluster.connect(workers, scheduler) as client:
        futures = [client.submit(_month_files, str(project.root), m, pure=False, key=f"ingest-{m}-{id(project)}")
                   for m in months]
        for month, future in zip(months, futures, strict=True):
            status, found, problems = future.result()
            if status != "ok":
                client.cancel(futures)
                raise DataError(found, problems=problems)
            written.append(write_files(project, month, found))
            future.release()
    return written
