"""The monthly batch vs the plain approach an analyst would script, on the same machine in one run.

    python benchmarks/bench_batch.py [--units N] [--workers 2] [--month 2019-12] [--keep]

Builds a scratch project in a temporary folder (this repository's params/ and notebooks/, the
synthetic demo data of scoring.demo, months ingested up to --month; all untimed), then times

- batch: `scoring.pipeline.bulletin.build(project, month, workers=2, progress=False)`: the whole month
  as users get it: the score stage (scoring, the sensitivity analysis (Monte Carlo, Sobol, remove-one), then every
  notebook (1 city bulletin + 1 sensitivity + 16 units = 18) executed by papermill on a local Dask
  cluster of 2 worker processes with warm kernels and rendered there to HTML, PDF and Word, the
  workbook, index page, atomic publish;
- plain: the same notebooks with the same parameters (taken from the jobs the batch ran), one
  after another, each through three command lines as an analyst would script them:
      papermill NB OUT.ipynb --cwd notebooks/ -p root ... -p month ... [-p unit ...] -p tables ...
      jupyter nbconvert --to html --no-input OUT.ipynb
      python -m scoring.render.notebook pdf OUT.ipynb OUT.pdf --title ... --subtitle ... [--synthetic]
  (typst's PyPI package has no command line; scoring.render's is its one-shot converter). The plain
  side reads the stage tables the batch published: its score stage (scoring, sensitivity) is not
  timed, which favours the plain side.

Then, in this process, the cost of one report against the floor of any notebook run:

- bare kernel: start a kernel, wait until it answers, shut it down (`--kernels` times, the median);
- warm reports: the month's unit notebooks one after another through `batch.execute_job` (a warm
  kernel: a fresh IPython session per report; executed, rendered to HTML, PDF and Word). The first
  pays the kernel start and the imports; the marginal cost is the median of the others.

Prints both wall times, the per-notebook times, the plain/batch ratio (required ≥ 5×), each plain
step's share and the marginal report cost / bare kernel start (required ≤ 1.5×).
`--units N`: only the first N units (2 + N notebooks), for a quick check. Timings: time.perf_counter;
the machine may be shared, so the load average before and after is printed.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from scoring.demo import write_demo
from scoring.errors import CreditCountyError
from scoring.pipeline import batch, bulletin
from scoring.pipeline.score import load_spec
from scoring.project import Project
from scoring.render.labels import DEFAULT_LABELS

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the venv's scripts: papermill, jupyter
REQUIRED_RATIO = 5.0  # plain loop / batch, the whole month
MARGINAL_MAX = 1.5  # a warm report's cost / a bare kernel start


def scratch_project(folder: Path, month: str) -> Project:
    """params/ and notebooks/ of this repository, demo data, months ingested up to `month`."""
    for name in ("params", "notebooks"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    project = Project(folder)
    write_demo(project)
    bulletin.ensure_processed(project, month)
    return project


@contextmanager
def spy_on_run_batch(record: dict[str, Any]):
    """Record the jobs `bulletin.build` hands to batch.run_batch, the call's time and each job's time."""
    original = batch.run_batch

    def timed(jobs, **kwargs):
        record["jobs"] = list(jobs)
        start = time.perf_counter()
        try:
            outcome = original(jobs, **kwargs)
        finally:
            record["seconds"] = time.perf_counter() - start
        record["durations"] = dict(outcome.durations)
        return outcome

    batch.run_batch = timed
    try:
        yield record
    finally:
        batch.run_batch = original


def plain_jobs(jobs: list[batch.Job], stage: Path, folder: Path, tables: Path) -> list[batch.Job]:
    """The batch's jobs, writing under `folder`, reading the stage tables in `tables`."""

    def moved(path: Path | None) -> Path | None:
        return None if path is None else folder / Path(path).relative_to(stage)

    out = []
    for job in jobs:
        parameters = dict(job.parameters)
        if "tables" in parameters:
            parameters["tables"] = str(tables)
        out.append(dataclasses.replace(job, parameters=parameters, executed=moved(job.executed),
                                       html=moved(job.html), pdf=moved(job.pdf)))
    return out


def commands(job: batch.Job) -> dict[str, list[str]]:
    """The three command lines of one notebook."""
    run = [str(BIN / "papermill"), str(job.notebook), str(job.executed)]
    if job.cwd:
        run += ["--cwd", str(job.cwd)]
    for key, value in job.parameters.items():
        if not isinstance(value, str):
            raise TypeError(f"{job.name}: parameter {key}={value!r} is not a string")
        run += ["-p", key, value]
    html = [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(job.executed),
            "--output-dir", str(job.html.parent), "--output", job.html.stem]
    pdf = [sys.executable, "-m", "scoring.render.notebook", "pdf", str(job.executed), str(job.pdf),
           "--title", job.title, "--subtitle", job.subtitle, *(["--synthetic"] if job.synthetic else [])]
    return {"papermill": run, "nbconvert": html, "pdf": pdf}


def run_plain(jobs: list[batch.Job], cwd: Path) -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    """Every job's three commands, one after another: (name → step → seconds, name → failure)."""
    times: dict[str, dict[str, float]] = {}
    failed: dict[str, str] = {}
    for job in jobs:
        for path in (job.executed, job.html, job.pdf):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        times[job.name] = {}
        for step, cmd in commands(job).items():
            start = time.perf_counter()
            proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
            times[job.name][step] = time.perf_counter() - start
            if proc.returncode != 0:
                tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
                failed.setdefault(job.name, f"{step} exited {proc.returncode}: {tail[:300]}")
    return times, failed


def bare_kernel_seconds(times: int) -> float:
    """Median seconds to start a kernel (this venv's, IPC), get its first reply and shut it down."""
    from scoring.pipeline import kernels

    seconds = []
    for _ in range(times):
        start = time.perf_counter()
        manager = kernels.kernel_manager_class()(kernel_name="python3")
        manager.start_kernel()
        client = manager.client()
        client.start_channels()
        client.wait_for_ready(timeout=60)
        client.stop_channels()
        manager.shutdown_kernel(now=False)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def warm_report_seconds(jobs: list[batch.Job]) -> list[float]:
    """Seconds of each job run in turn in this process's warm kernel (scratch outputs, nothing kept)."""
    from scoring.pipeline import kernels

    seconds = []
    for job in jobs:
        start = time.perf_counter()
        outcome = batch.execute_job(job)
        if outcome.reason:
            raise RuntimeError(f"{job.name}: {outcome.reason}")
        seconds.append(time.perf_counter() - start)
    kernels.shutdown_all()
    return seconds


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (workers, kernels, command lines)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def missing_files(jobs: list[batch.Job]) -> list[str]:
    return [str(p) for job in jobs for p in (job.executed, job.html, job.pdf)
            if p is not None and not (Path(p).is_file() and Path(p).stat().st_size > 0)]


def differing_lines(a: Path, b: Path) -> set[str]:
    """Lines of the two executed notebooks' report outputs (text/plain) that differ, each cut at its ':'."""
    from scoring.render import notebook as render

    def lines(path: Path) -> list[str]:
        bundles = render.report_outputs(path, labels=DEFAULT_LABELS)
        return [line for bundle in bundles for line in bundle.get("text/plain", "").splitlines()]

    old, new = lines(a), lines(b)
    if len(old) != len(new):
        return {f"<{len(old)} vs {len(new)} lines>"}
    return {x.split(":")[0].strip() for x, y in zip(old, new, strict=True) if x != y}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=None, help="only the first N units (default: all)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--month", default="2019-12")
    parser.add_argument("--kernels", type=int, default=3, help="bare kernel starts timed (default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch project and print where it is")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="cc-bench-batch-"))
    try:
        start = time.perf_counter()
        project = scratch_project(tmp / "project", args.month)
        # The kernels, workers and command lines all find this project's params/labels.yaml.
        os.environ["CREDIT_COUNTY_ROOT"] = str(project.root)
        _, units = load_spec(project)
        wanted = units.codes[: args.units] if args.units is not None else None
        print(f"scratch project {project.root}: demo data, ingested up to {args.month} "
              f"({time.perf_counter() - start:.1f} s, untimed)")
        load_before = os.getloadavg()

        # (a) the batch: the whole month as users get it.
        record: dict[str, Any] = {}
        with spy_on_run_batch(record):
            cpu, start = cpu_seconds(), time.perf_counter()
            try:
                result = bulletin.build(project, args.month, workers=args.workers, progress=False, units=wanted)
            except CreditCountyError as exc:
                print(f"the batch failed: {exc}", *exc.problems, sep="\n  ", file=sys.stderr)
                return 1
            batch_wall, batch_cpu = time.perf_counter() - start, cpu_seconds() - cpu
        jobs: list[batch.Job] = record["jobs"]
        stage = Path(jobs[0].parameters["tables"])
        published = plain_jobs(jobs, stage, result.folder, result.folder)

        # (b) the plain approach: the same notebooks, command line by command line.
        plain = plain_jobs(jobs, stage, tmp / "plain", result.folder)
        cpu, start = cpu_seconds(), time.perf_counter()
        step_times, plain_failed = run_plain(plain, cwd=project.root)
        plain_wall, plain_cpu = time.perf_counter() - start, cpu_seconds() - cpu
        load_after = os.getloadavg()

        n = len(jobs)
        kinds = {"city": sum(j.name == "bulletin" for j in jobs),
                 "sensitivity": sum(j.name == "sensitivity" for j in jobs)}
        kinds["unit"] = n - kinds["city"] - kinds["sensitivity"]
        steps = {s: sum(t[s] for t in step_times.values()) for s in ("papermill", "nbconvert", "pdf")}
        worker_mean = sum(record["durations"].values()) / n
        before_notebooks = batch_wall - record["seconds"]
        ratio = plain_wall / batch_wall

        plural = "" if kinds["unit"] == 1 else "s"
        print(f"\nmonth {args.month}: {n} notebooks ({kinds['city']} city + {kinds['sensitivity']} sensitivity + "
              f"{kinds['unit']} unit{plural}), each executed, then rendered to HTML and PDF; "
              f"{os.cpu_count()} CPUs, {args.workers} workers; load average before {load_before[0]:.2f}, "
              f"after {load_after[0]:.2f} (1 min)")
        rows = [
            ("batch  bulletin.build (whole month)", batch_wall,
             f"{batch_wall / n:6.2f} s/notebook (wall / {n}); CPU {batch_cpu:.0f} s"),
            ("         scoring, sensitivity analysis, index, publish", before_notebooks, ""),
            (f"         run_batch: {n} notebooks, {args.workers} workers", record["seconds"],
             f"{worker_mean:6.2f} s mean per job inside a worker"),
            ("plain  sequential command lines", plain_wall,
             f"{plain_wall / n:6.2f} s/notebook (mean); CPU {plain_cpu:.0f} s"),
        ]
        rows += [(f"         {label}", steps[s], f"{steps[s] / n:6.2f} s/notebook")
                 for s, label in (("papermill", "papermill CLI"), ("nbconvert", "jupyter nbconvert --to html"),
                                  ("pdf", "python -m scoring.render.notebook pdf"))]
        for label, seconds, note in rows:
            print(f"{label:<52} {seconds:8.1f} s   {note}")
        by_kind = {"city": ["bulletin"], "sensitivity": ["sensitivity"],
                   "unit": [j.name for j in jobs if j.name not in ("bulletin", "sensitivity")]}
        print("mean per notebook kind (plain: its 3 commands; batch: one job inside a worker): " + "; ".join(
            f"{kind} {sum(sum(step_times[x].values()) for x in names) / len(names):.2f} / "
            f"{sum(record['durations'][x] for x in names) / len(names):.2f} s"
            for kind, names in by_kind.items() if names))
        verdict = "meets" if ratio >= REQUIRED_RATIO else "BELOW"
        print(f"{'ratio  plain / batch':<52} {ratio:8.2f} ×   ({verdict} the required {REQUIRED_RATIO:.0f}×)")
        print("(the plain side reuses the batch's stage tables: its score stage is not timed)")

        bare = bare_kernel_seconds(args.kernels)
        units_jobs = by_kind["unit"]
        warm = warm_report_seconds([j for j in published if j.name in units_jobs])  # reads the published month
        marginal = statistics.median(warm[1:]) if len(warm) > 1 else warm[0]
        print(f"{'kernel bare start, first reply, shutdown':<52} {bare:8.2f} s   (median of {args.kernels})")
        print(f"{'warm   first unit report (kernel start, imports)':<52} {warm[0]:8.2f} s")
        print(f"{'       each further unit report (median)':<52} {marginal:8.2f} s   "
              f"({len(warm) - 1} reports: executed, HTML, PDF, Word)")
        share = marginal / bare
        verdict = "meets" if share <= MARGINAL_MAX else "ABOVE"
        print(f"{'ratio  warm report / bare kernel start':<52} {share:8.2f} ×   "
              f"({verdict} the required ≤ {MARGINAL_MAX}×)")

        problems = [f"batch: {k}: {v}" for k, v in result.failed.items()]
        problems += [f"plain: {k}: {v}" for k, v in plain_failed.items()]
        problems += [f"missing: {p}" for p in missing_files(published) + missing_files(plain)]
        print(f"check  every notebook ran and wrote .ipynb, HTML and PDF on both sides: {not problems}")
        if not problems:
            diffs: set[str] = set()
            for a, b in zip(published, plain, strict=True):
                diffs |= differing_lines(Path(a.executed), Path(b.executed))
            print("       report outputs of the two sides differ only in the line(s): "
                  f"{', '.join(sorted(diffs)) or '-'} (expected: the provenance's run time)")
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1 if problems else 0
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
