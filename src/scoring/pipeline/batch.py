"""Run report notebooks with papermill in parallel worker processes; a failure does not stop the others.

Each job runs in a worker process (scoring.pipeline.runs.worker_pool: 'spawn', so no kernel or cwd state
is shared; workers die with this process and are ended at once on an interrupt):
papermill executes the notebook with the job's parameters into `Job.executed`, then the same
worker renders it to HTML, PDF and Word (scoring.render, in-process). A notebook that raises is still
written (papermill records the error in it) and rendered (the HTML, PDF and Word file show a red error box),
and the job is reported failed with a one-line reason. Jobs write where they are told; the caller
publishes a month atomically (scoring.safeio.staged_dir).

Kernels: the notebooks' kernel 'python3' is always this interpreter (sys.executable, i.e. the
venv's Python) whatever kernel.json files exist elsewhere, and talks over IPC sockets, not TCP.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
import uuid
from concurrent.futures import Future, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scoring.errors import BatchError, CreditCountyError
from scoring.pipeline import runs

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


# ----------------------------------------------------------------------------- kernel


def _kernel_manager_class() -> type:
    """A jupyter KernelManager: IPC transport, 'python3' = ipykernel in sys.executable, quiet shutdown."""
    from ipykernel.kernelspec import RESOURCES, get_kernel_dict
    from jupyter_client.kernelspec import NATIVE_KERNEL_NAME, KernelSpecManager
    from jupyter_client.manager import KernelManager
    from traitlets import CaselessStrEnum, default

    class VenvKernelSpecManager(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> Any:
            if kernel_name in (NATIVE_KERNEL_NAME, "python"):
                spec = get_kernel_dict()
                # -Xfrozen_modules=off: debugpy (ipykernel's debugger) otherwise warns at each start.
                spec["argv"] = [sys.executable, "-Xfrozen_modules=off", *spec["argv"][1:]]
                return self.kernel_spec_class(resource_dir=RESOURCES, **spec)
            return super().get_kernel_spec(kernel_name)

    class IpcKernelManager(KernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

        @default("ip")
        def _default_ip(self) -> str:
            # Unique, absolute socket prefix: the default 'kernel-ipc' is relative to the cwd and
            # kernels started at the same time in the same folder would share sockets.
            return os.path.join(tempfile.gettempdir(), f"cc-{uuid.uuid4().hex[:12]}-ipc")

        async def _async_interrupt_kernel(self) -> None:
            # jupyter_client interrupts before every shutdown; the kernel then logs a spurious
            # "KeyboardInterrupt caught in kernel". An idle kernel needs only the shutdown request
            # (a busy one is still killed after the shutdown wait).
            if not self.shutting_down:
                await super()._async_interrupt_kernel()

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            await super()._async_launch_kernel(kernel_cmd, **kw)
            runs.record_kernel(getattr(self.provisioner, "pid", None))  # ended if it outlives its worker

        @default("kernel_spec_manager")
        def _default_spec_manager(self) -> KernelSpecManager:
            return VenvKernelSpecManager(data_dir=self.data_dir)

    return IpcKernelManager


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


def run_job(job: Job, kernel_name: str | None = None, timeout: int = 600) -> tuple[str, str | None, float]:
    """Execute and render one job in this process: (name, failure reason or None, seconds)."""
    import papermill

    from scoring.render import docx, labels, reproducible
    from scoring.render import notebook as render

    start = time.perf_counter()
    reason = None
    executed_ok = False
    try:
        Path(job.executed).parent.mkdir(parents=True, exist_ok=True)
        Path(job.executed).unlink(missing_ok=True)  # never render a stale notebook from an earlier run
        papermill.execute_notebook(
            str(job.notebook), str(job.executed), parameters=dict(job.parameters), kernel_name=kernel_name,
            progress_bar=False, log_output=False, cwd=str(job.cwd) if job.cwd else None,
            execution_timeout=timeout, kernel_manager_class=_kernel_manager_class())
        executed_ok = True
    except Exception as exc:
        reason = _reason(exc)
    try:  # an executed notebook, failed or not, carries no clock times, random ids or temporary paths
        if Path(job.executed).is_file():
            reproducible.normalise_notebook(job.executed)
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
    return job.name, reason, time.perf_counter() - start


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
              timeout: int = 600) -> BatchResult:
    """Run every job in a pool of `workers` processes; return who succeeded, who failed and why.

    `kernel_name`: None = each notebook's own kernelspec ('python3' → this venv's Python).
    `timeout`: seconds allowed per cell. A progress bar (tqdm, stderr) when `progress`.
    """
    from tqdm import tqdm

    jobs = list(jobs)
    _check(jobs)
    result = BatchResult()
    if not jobs:
        return result
    outcomes: dict[str, tuple[str | None, float]] = {}
    with (tqdm(total=len(jobs), file=sys.stderr, disable=not progress, unit="nb", desc="notebooks") as bar,
          runs.worker_pool(max(1, min(workers, len(jobs)))) as pool):  # an exception ends the workers now
        futures: dict[Future, Job] = {pool.submit(run_job, job, kernel_name, timeout): job for job in jobs}
        for future in as_completed(futures):
            job = futures[future]
            try:
                _, reason, seconds = future.result()
            except BrokenProcessPool as exc:
                reason, seconds = _one_line(f"worker process died: {exc}"), 0.0
            except Exception as exc:  # e.g. a job that cannot be pickled
                reason, seconds = _reason(exc), 0.0
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
