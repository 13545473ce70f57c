"""Run report notebooks with papermill on Dask workers; a failure does not stop the others.

Each job is a Dask task (scoring.pipeline.cluster: a local cluster of worker processes by default,
or a real cluster's scheduler). On its worker papermill executes the notebook with the job's
parameters in the worker's warm kernel (scoring.pipeline.kernels: a fresh IPython session per
report, a new kernel after any report that failed), then the same worker renders it to HTML, PDF
and Word (scoring.render, in-process), all in a scratch folder; the files come back as bytes and
are written here where the job says (`write_outcome`). A notebook that raises is still written
(papermill records the error in it) and rendered (the HTML, PDF and Word file show a red error
box), and the job is reported failed with a one-line reason. The caller publishes a month
atomically (scoring.safeio.staged_dir).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from scoring.errors import BatchError, CreditCountyError
from scoring.pipeline import cluster
from scoring.safeio import atomic_write_bytes

REASON_MAX = 300  # characters of a failure reason


@dataclass
class Job:
    """One notebook run: `parameters` injected by papermill, outputs written to the given paths.

    `cwd`: the kernel's working folder (default: papermill's, the current folder). `html`/`pdf`/`docx`
    None: not rendered. `title`/`subtitle`/`synthetic`: the rendered title block and marks.
    `date`/`author`: the Word file's date and author (default: the end of the parameters' `month`
    or `year`, scoring.render.docx.period_date; empty).
    """

    name: str
    notebook: Path
    parameters: dict[str, Any]
    executed: Path
    html: Path | None = None
    pdf: Path | None = None
    docx: Path | None = None
    title: str = ""
    subtitle: str = ""
    synthetic: bool = False
    cwd: Path | None = None
    date: dt.date | None = None
    author: str = ""


@dataclass
class BatchResult:
    """Names in job order; `failed`: name → one-line reason; `durations`: name → seconds (run + render)."""

    succeeded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed

    def raise_for_failures(self) -> None:
        """Raise BatchError (one problem line per failed notebook) when any job failed."""
        if self.failed:
            total = len(self.succeeded) + len(self.failed)
            raise BatchError(f"{len(self.failed)} of {total} notebook(s) failed",
                             [f"{name}: {reason}" for name, reason in self.failed.items()])


# ----------------------------------------------------------------------------- one job


def _one_line(text: str) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= REASON_MAX else line[: REASON_MAX - 1] + "…"


def _reason(exc: BaseException) -> str:
    """'ValueError: message (cell 5, In [4])' for a notebook error; 'Type: message' otherwise.

    The cell is its position in the executed notebook, from 0 (papermill's injected cell included).
    """
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        where = f"cell {exc.cell_index}" + (f", In [{exc.exec_count}]" if exc.exec_count else "")
        return _one_line(f"{exc.ename}: {exc.evalue} ({where})")
    return _one_line(f"{type(exc).__name__}: {exc}")


OUTPUTS = ("executed", "html", "pdf", "docx")  # a Job's output paths


@dataclass
class JobOutcome:
    """What one job produced: `files` = output attribute (OUTPUTS) → the file's bytes."""

    name: str
    reason: str | None
    seconds: float
    files: dict[str, bytes] = field(default_factory=dict)
    kernel: int | None = None  # the pid of the kernel that ran it (a warm kernel runs many)


def execute_job(job: Job, kernel_name: str | None = None, timeout: int = 600) -> JobOutcome:
    """Run and render one job in this process's warm kernel, into a scratch folder; its files as bytes.

    The job's own output paths are not touched (a worker of a remote cluster need not see them):
    `write_outcome` puts the files there."""
    with tempfile.TemporaryDirectory(prefix="credit-county-job-") as scratch:
        local = replace(job, **{attr: Path(scratch) / Path(getattr(job, attr)).name
                                for attr in OUTPUTS if getattr(job, attr)})
        reason, seconds, kernel = _run(local, job.executed, kernel_name, timeout)
        files = {attr: Path(getattr(local, attr)).read_bytes() for attr in OUTPUTS
                 if getattr(local, attr) and Path(getattr(local, attr)).is_file()}
    return JobOutcome(job.name, reason, seconds, files, kernel)


def write_outcome(job: Job, outcome: JobOutcome) -> None:
    """Write a job's files where the job says (atomically, folders made); stale ones removed first."""
    for attr in OUTPUTS:
        if path := getattr(job, attr):
            Path(path).unlink(missing_ok=True)  # never leave a file from an earlier run beside a failed one
    for attr, data in outcome.files.items():
        atomic_write_bytes(getattr(job, attr), data)


def run_job(job: Job, kernel_name: str | None = None, timeout: int = 600) -> tuple[str, str | None, float]:
    """Execute and render one job in this process: (name, failure reason or None, seconds)."""
    if job.cwd:
        Path(job.cwd).mkdir(parents=True, exist_ok=True)
    outcome = execute_job(job, kernel_name, timeout)
    write_outcome(job, outcome)
    return outcome.name, outcome.reason, outcome.seconds


def _run(job: Job, written_as: Path, kernel_name: str | None, timeout: int) -> tuple[str | None, float, int | None]:
    """papermill the job's notebook (warm kernel), normalise it as if written at `written_as`, render it:
    (failure reason or None, seconds, the kernel's pid)."""
    from scoring.pipeline import kernels
    from scoring.render import docx, labels, reproducible
    from scoring.render import notebook as render

    start = time.perf_counter()
    reason, pid = None, None
    executed_ok = False
    try:
        kernel = kernels.warm(kernel_name or kernels.notebook_kernel(job.notebook))
        try:
            kernel.execute(job.notebook, job.executed, job.parameters, cwd=job.cwd, timeout=timeout)
        finally:
            pid = kernel.last_pid
        executed_ok = True
    except Exception as exc:
        reason = _reason(exc)
    try:  # an executed notebook, failed or not, carries no clock times, random ids or temporary paths
        if Path(job.executed).is_file():
            reproducible.normalise_notebook(job.executed, written_as=written_as)
    except Exception as exc:
        reason = reason or f"normalising the executed notebook failed: {_reason(exc)}"
    if Path(job.executed).is_file() and (job.html or job.pdf or job.docx):
        word = {"date": job.date or docx.period_date(job.parameters), "author": job.author}
        renderings = [(job.html, render.render_html, {}), (job.pdf, render.render_pdf, {}),
                      (job.docx, docx.render_docx, word)]
        try:
            common = {"title": job.title, "subtitle": job.subtitle, "synthetic": job.synthetic,
                      "labels": labels.load_labels(start=job.cwd or Path(job.notebook).parent)}
            nb = render.read_notebook(job.executed)
        except Exception as exc:
            renderings = []
            if executed_ok:
                reason = f"rendering failed: {_reason(exc)}"
        for out, write, extra in renderings:
            if not out:
                continue
            try:  # each rendering on its own: one that fails does not keep the others from being written
                write(nb, out, **common, **extra)
            except Exception as exc:
                if executed_ok and reason is None:
                    reason = f"rendering failed ({Path(out).suffix.lstrip('.')}): {_reason(exc)}"
    return reason, time.perf_counter() - start, pid


# ----------------------------------------------------------------------------- batch


def _check(jobs: list[Job]) -> None:
    problems = []
    for attr in ("name", "executed", "html", "pdf", "docx"):
        seen: set = set()
        for job in jobs:
            value = getattr(job, attr)
            key = Path(value).resolve() if isinstance(value, (str, os.PathLike)) and attr != "name" else value
            if value is not None and key in seen:
                problems.append(f"two jobs share the {attr} {value}")
            seen.add(key)
    if problems:
        raise CreditCountyError(f"{len(problems)} problem(s) with the notebook jobs", problems)


def run_batch(jobs: list[Job], *, workers: int = 2, progress: bool = True, kernel_name: str | None = None,
              timeout: int = 600, scheduler: str | None = None) -> BatchResult:
    """Run every job on Dask (scoring.pipeline.cluster: a local cluster of `workers` processes, or
    the cluster of `scheduler`); return who succeeded, who failed and why. Each job's files are
    written here as its result arrives.

    `kernel_name`: None = each notebook's own kernelspec ('python3' → this venv's Python).
    `timeout`: seconds allowed per cell. A progress bar (tqdm, stderr) when `progress`.
    """
    from distributed import as_completed
    from tqdm import tqdm

    jobs = list(jobs)
    _check(jobs)
    result = BatchResult()
    if not jobs:
        return result
    for job in jobs:  # the kernels' working folders exist before any worker looks for them
        if job.cwd:
            Path(job.cwd).mkdir(parents=True, exist_ok=True)
    outcomes: dict[str, tuple[str | None, float]] = {}
    with (tqdm(total=len(jobs), file=sys.stderr, disable=not progress, unit="nb", desc="notebooks") as bar,
          cluster.connect(min(workers, len(jobs)), scheduler) as client):  # an exception ends the workers now
        run = uuid.uuid4().hex[:8]
        futures = {client.submit(execute_job, job, kernel_name, timeout, key=f"report-{run}-{i}", pure=False): job
                   for i, job in enumerate(jobs)}
        for future in as_completed(futures, loop=client.loop):
            job = futures[future]
            try:
                outcome = future.result()
                write_outcome(job, outcome)
                reason, seconds = outcome.reason, outcome.seconds
            except OSError as exc:  # writing the files here
                reason, seconds = _reason(exc), 0.0
            except Exception as exc:  # the worker died (KilledWorker), or the job could not be sent
                reason, seconds = _worker_failure(exc), 0.0
            outcomes[job.name] = (reason, seconds)
            bar.update(1)
            failed = sum(1 for r, _ in outcomes.values() if r)
            if failed:
                bar.set_postfix(failed=failed)
    for job in jobs:
        reason, seconds = outcomes[job.name]
        result.durations[job.name] = seconds
        if reason is None:
            result.succeeded.append(job.name)
        else:
            result.failed[job.name] = reason
    return result


def _worker_failure(exc: BaseException) -> str:
    from distributed.scheduler import KilledWorker

    if isinstance(exc, KilledWorker):
        return "worker process died while running the notebook"
    return _reason(exc)
