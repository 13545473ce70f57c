"""Ingest several months at once: each month a Dask task.

`ingest_months(project, months)` validates and derives every month as a Dask task, the months
being independent (each is scored on its own), so the result is byte-identical to ingesting them
one after the other:

- on this machine (the default), with Dask's process scheduler (`dask.multiprocessing.get`) on
  `cluster.process_pool(workers)`: workers forked from this process, each task writing its month
  into a stage folder beside data/processed/M (`safeio.new_stage`, owned by this process);
- on a cluster (`scheduler`, or $CREDIT_COUNTY_SCHEDULER), with Dask distributed: each task
  returns the month's files as bytes (`ingest.process.month_files`; workers need data/raw only,
  read only) and this process writes them into the stage folder.

Then this process publishes the stage folders in month order (`safeio.publish_stage`). A month
refused stops it as the sequential loop would: the months before it are published, it raises its
DataError, and the later ones are not (their stages are removed). One month, months of less than
`MIN_PARALLEL_BYTES` of raw files in all (a city's year: seconds of work), or `workers` 1 without
a scheduler run in this process, one after the other.

`stale_months(project, until)` are the raw months up to `until` whose processed data is missing
or no longer matches the raw files, params and package version (`ingest.is_up_to_date`).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from scoring.errors import CreditCountyError, DataError
from scoring.project import Project
from scoring.safeio import new_stage, publish_stage, scratch_prefix

MIN_PARALLEL_BYTES = 32_000_000  # raw files of the months to ingest: about one month of 2,844 units, ~8 CPU-s

Outcome = tuple[str, Any, list[str]]  # ("ok", files or stage path, []) or ("refused", the message, its lines)


def _month_files(root: str, month: str) -> Outcome:
    """A task on a cluster: ("ok", the month's files as bytes, []) or ("refused", message, lines)."""
    from scoring.ingest.process import month_files, read_raw_month

    try:
        return "ok", month_files(read_raw_month(Project(Path(root)), month)), []
    except CreditCountyError as exc:  # sent back as text: the exception's own class stays here
        return "refused", str(exc), list(exc.problems)


def _staged_month(root: str, month: str, prefix: str) -> Outcome:
    """A task on this machine: ("ok", the stage folder holding the month's files, []) or ("refused", …)."""
    from scoring.ingest.process import write_stage

    status, found, problems = _month_files(root, month)
    if status != "ok":
        return status, found, problems
    return "ok", str(write_stage(new_stage(Project(Path(root)).processed_month(month), prefix), found)), []



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
    from scoring.ingest.process import ingest_month
    from scoring.pipeline import cluster

    months = sorted(dict.fromkeys(months))
    address = cluster.scheduler_address(scheduler)
    if len(months) <= 1 or (workers <= 1 and address is None) or raw_bytes(project, months) < min_bytes:
        return [ingest_month(project, m) for m in months]
    try:
        outcomes = (_on_cluster(project, months, workers, address) if address
                    else _on_this_machine(project, months, workers))
        return _publish(project, months, outcomes)
    finally:
        _remove_stages(project, months)  # those not published: after a refused month or an interrupt


def _on_this_machine(project: Project, months: list[str], workers: int) -> list[Outcome]:
    import dask.multiprocessing

    from scoring.pipeline import cluster

    graph = {f"ingest-{m}": (_staged_month, str(project.root), m,
                             scratch_prefix(project.processed_month(m).name, "building")) for m in months}
    with cluster.process_pool(workers) as pool:
        return list(dask.multiprocessing.get(graph, list(graph), pool=pool, chunksize=1))


def _on_cluster(project: Project, months: list[str], workers: int, address: str) -> list[Outcome]:
    from scoring.ingest.process import write_stage
    from scoring.pipeline import cluster

    outcomes: list[Outcome] = []
    with cluster.connect(workers, address) as client:
        futures = [client.submit(_month_files, str(project.root), m, pure=False, key=f"ingest-{m}-{id(project)}")
                   for m in months]
        for month, future in zip(months, futures, strict=True):
            status, found, problems = future.result()
            if status == "ok":
                found = str(write_stage(new_stage(project.processed_month(month)), found))
            outcomes.append((status, found, problems))
            future.release()
            if status != "ok":
                client.cancel(futures)
                break
    return outcomes


def _publish(project: Project, months: list[str], outcomes: list[Outcome]) -> list[Path]:
    """Publish the stage folders in month order up to the first month refused (then raise its error)."""
    written: list[Path] = []
    for month, (status, found, problems) in zip(months, outcomes, strict=False):
        if status != "ok":
            raise DataError(found, problems=problems)  # the later months' stages are removed
        publish_stage(Path(found), project.processed_month(month))
        written.append(project.processed_month(month))
    return written


def _remove_stages(project: Project, months: list[str]) -> None:
    """Remove the stage folders of `months` this process owns that are left (not published)."""
    for month in months:
        final = project.processed_month(month)
        for stage in final.parent.glob(f"{scratch_prefix(final.name, 'building')}*"):
            shutil.rmtree(stage, ignore_errors=True)
