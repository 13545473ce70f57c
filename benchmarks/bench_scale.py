"""Time and peak memory per stage on synthetic projects of 16, 136 and 2,844 units.

    python benchmarks/bench_scale.py [--units 16,136,2844] [--seed 7] [--months 12] [--keep]
                                     [--stages demo,ingest,ingest-serial,tables,score,montecarlo,sobol]
                                     [--project KEPT-PROJECT]

For each size N a scratch project in the data contract is built (untimed set-up apart from the
demo): this repository's params/ with params/units.yaml holding N units in 3 tiers — the 16 units
of Linyi first, then synthetic units (示例区/县/功能区 NNNN, about 10 % districts, 75 % counties,
15 % zones; population drawn from `--seed`) — and the demo generator (`credit-county demo-data`)
writing data/raw for 2019 (`demo-data --year 2019`: 12 months). `--project` reuses the raw data of a project kept
by `--keep` (one size; its data/processed is emptied; no demo). Then, each stage in a child process:

- demo       `credit-county demo-data --year 2019` (12 month folders and the year folder);
- ingest-serial  `ingest_month` of each of the `--months` last months, one after the other in one
             process (not by default: the baseline of `ingest`);
- ingest     the same months as `credit-county ingest --all` ingests them (scoring.pipeline.ingesting):
             each month a Dask task on Dask's process scheduler with 2 workers forked from the stage's
             process (one after the other in it below 32 MB of raw files: 16 and 136 units);
- score      `credit-county score --month M` (M: the last raw month): score history of every ingested
             month, the month's analyses and its sensitivity tables (Monte Carlo and Sobol as
             params/sensitivity.yaml sets them), every stage table written;
- tables     the score stage without its sensitivity tables: score history, the month's analyses
             and the CSV text of every table (`monthly.month_tables`; nothing written);
- montecarlo `sensitivity.monte_carlo` on the month's values, 10,000 draws per family (4 families);
- sobol      `sensitivity.sobol` with its bootstrap (params/sensitivity.yaml: n, resamples).

`--stages` picks the stages to time (default all but ingest-serial); demo and ingest always run, as
the set-up of the others (e.g. `--stages montecarlo,sobol --months 1`: the sensitivity stages on one
ingested month).

Printed per stage: wall and CPU seconds of the child and its peak memory (maximum resident set
size, os.wait4). The targets of issue 13 at 2,844 units: ingest + score ≤ 10 s — the score history
and the month's tables (`ingest+tables`; the issue's table times "score history" apart from Monte
Carlo and Sobol, which have targets of their own) —, Monte Carlo ≤ 10 s and ≤ 2 GB. The machine
may be shared: the load average is printed before and after; CPU time is the stage's own, wall
time includes waiting for other processes. The host's speed also moves from one session to the
next (the same code: 9.6 s and 19–27 s for ingest + tables on one day): compare two versions of
the code with `bench_against.py`, which alternates them in one run.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).with_name("credit-county")
TIERS = (("district", "区", 0.10), ("county", "县", 0.75), ("zone", "功能区", 0.15))
TARGETS = {"ingest+score": 10.0, "montecarlo": 10.0}
MONTE_CARLO_GB = 2.0


@dataclasses.dataclass
class Run:
    stage: str
    wall: float
    cpu: float
    peak_mib: float
    status: int
    stderr: str
    system_cpu: float = 0.0


def units_yaml(n: int, seed: int) -> str:
    """params/units.yaml with `n` units: Linyi's 16 (as many as fit) then synthetic ones in 3 tiers."""
    base = yaml.safe_load((ROOT / "params" / "units.yaml").read_text(encoding="utf-8"))
    units = list(base["units"][:n])
    rng = np.random.default_rng(seed)
    extra = n - len(units)
    counts = [round(extra * share) for _t, _l, share in TIERS]
    counts[1] += extra - sum(counts)
    k = len(units)
    for (tier, label, _share), count in zip(TIERS, counts, strict=True):
        for _ in range(count):
            k += 1
            units.append({"code": f"u{k:04d}", "name": f"示例{label}{k:04d}", "tier": tier,
                          "population_2010": round(float(rng.uniform(8.0, 120.0)), 2)})
    return yaml.safe_dump({"tiers": base["tiers"], "units": units}, allow_unicode=True, sort_keys=False)


def make_project(root: Path, n: int, seed: int) -> None:
    """params/ (units.yaml with `n` units), notebooks/ and the empty data folders."""
    shutil.copytree(ROOT / "params", root / "params")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    for sub in ("data/raw", "data/processed", "outputs"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "params" / "units.yaml").write_text(units_yaml(n, seed), encoding="utf-8")


def last_month(root: Path) -> str:
    """The month the score stages analyse: the project's last raw month (2019-12: the demo writes 2019)."""
    from scoring.project import Project

    return Project(root).raw_months()[-1]


def child(stage: str, root: Path, months: int) -> None:
    """One stage, in this (child) process, with the memory settings the CLI makes (`scoring.memory`)."""
    from scoring import memory
    from scoring.project import Project

    memory.configure()
    project = Project(root)
    MONTH = last_month(root)
    if stage == "ingest":  # what `credit-county ingest --all` does: the months as Dask tasks on 2 workers
        from scoring.pipeline.ingesting import ingest_months

        ingest_months(project, project.raw_months()[-months:], workers=2)
        return
    if stage == "ingest-serial":  # one month after the other in this process (no cluster)
        from scoring.ingest import ingest_month

        for month in project.raw_months()[-months:]:
            ingest_month(project, month)
        return
    if stage == "tables":  # the score stage without its sensitivity tables: what issue 13 times
        from scoring import tables
        from scoring.analysis import monthly
        from scoring.analysis.acceptance_rules import load_rules
        from scoring.pipeline.score import load_spec, read_list_entries, score_history

        spec, units = load_spec(project)
        scored = score_history(project, MONTH, spec, units)
        found = monthly.month_tables(scored, read_list_entries(project, MONTH),
                                     load_rules(project.params / "review.yaml", spec))
        for name, frame in found.items():  # the CSV text of every table, as the stage writes it
            tables._csv_bytes(tables.conform(name, frame))
        return
    from scoring.analysis import sensitivity
    from scoring.pipeline.score import load_spec, read_metrics

    spec, units = load_spec(project)
    settings = sensitivity.load_settings(project.params / "sensitivity.yaml")
    values = sensitivity.month_values(read_metrics(project, MONTH, (spec, units)), MONTH)
    if stage == "montecarlo":
        sensitivity.monte_carlo(spec, units, values, dataclasses.replace(settings, draws=10_000))
    elif stage == "sobol":
        sensitivity.sobol(spec, units, values, settings)
    else:
        raise SystemExit(f"unknown stage {stage!r}")


def timed(stage: str, args: list[str], env: dict[str, str] | None = None) -> Run:
    """Run `args` as a child process (`env`: its environment, default this one's): wall, CPU (user +
    system), system CPU and peak resident memory."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(stage, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode, stderr,
               usage.ru_stime)


STAGES = ("demo", "ingest", "ingest-serial", "tables", "score", "montecarlo", "sobol")


def measure(n: int, seed: int, months: int, keep: bool, stages: tuple[str, ...] = STAGES,
            project: Path | None = None) -> list[Run]:
    """Build the project of `n` units and time `stages` (demo and ingest always: the others need them).
    `project`: a project kept by an earlier run (`--keep`) whose raw data is reused (no demo)."""
    root = project or Path(tempfile.mkdtemp(prefix=f"bench-scale-{n}-"))
    me = [sys.executable, str(Path(__file__).resolve())]
    try:
        if project is None:
            make_project(root, n, seed)
            runs = [timed("demo", [str(CLI), "--root", str(root), "demo-data", "--year", "2019"])]
        else:
            shutil.rmtree(root / "data" / "processed", ignore_errors=True)
            (root / "data" / "processed").mkdir()
            runs = [Run("demo", 0.0, 0.0, 0.0, 0, "")]
        if runs[-1].status == 0 and "ingest-serial" in stages:
            runs.append(timed("ingest-serial", [*me, "--child", "ingest-serial", "--root", str(root),
                                                "--months", str(months)]))
        if runs[-1].status == 0:
            runs.append(timed("ingest", [*me, "--child", "ingest", "--root", str(root), "--months", str(months)]))
        if runs[-1].status == 0 and "tables" in stages:
            runs.append(timed("tables", [*me, "--child", "tables", "--root", str(root)]))
        if runs[-1].status == 0 and "score" in stages:
            runs.append(timed("score", [str(CLI), "--root", str(root), "score", "--month", last_month(root)]))
        if runs[-1].status == 0:
            for stage in [s for s in ("montecarlo", "sobol") if s in stages]:
                runs.append(timed(stage, [*me, "--child", stage, "--root", str(root)]))
        return runs
    finally:
        if keep or project is not None:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def report(n: int, runs: list[Run]) -> None:
    for r in runs:
        flag = "" if r.status == 0 else f"  FAILED ({r.status}): {r.stderr.strip().splitlines()[-1:]}"
        print(f"{n:>6} {r.stage:<11} {r.wall:>8.1f} {r.cpu:>8.1f} {r.peak_mib:>9.0f}{flag}", flush=True)
    by = {r.stage: r for r in runs if r.status == 0}
    if "ingest" in by and "score" in by:
        both = by["ingest"].wall + by["score"].wall
        print(f"{n:>6} {'ingest+score':<11} {both:>8.1f} {by['ingest'].cpu + by['score'].cpu:>8.1f}"
              f"{'':>10}  (with the sensitivity tables: Monte Carlo and Sobol have their own targets)", flush=True)
    if "ingest" in by and "tables" in by:
        both = by["ingest"].wall + by["tables"].wall
        print(f"{n:>6} {'ingest+tables':<11} {both:>8.1f} {by['ingest'].cpu + by['tables'].cpu:>8.1f}"
              f"{'':>10}  (score history and the month's tables) target ≤ {TARGETS['ingest+score']:.0f} s "
              "at 2,844 units", flush=True)
    if "montecarlo" in by:
        mc = by["montecarlo"]
        print(f"{n:>6} {'':<11} Monte Carlo: {mc.wall / TARGETS['montecarlo']:.2f} × the time target, "
              f"{mc.peak_mib / 1024 / MONTE_CARLO_GB:.2f} × the memory target", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", default="16,136,2844", help="comma-separated numbers of units")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic units")
    parser.add_argument("--months", type=int, default=12, help="months ingested (the last ones of the year)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch projects")
    parser.add_argument("--project", help="reuse the raw data of a kept project (one size; no demo stage)")
    parser.add_argument("--stages", default=",".join(s for s in STAGES if s != "ingest-serial"),
                        help="comma-separated stages to time (demo and ingest always run)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, Path(args.root), args.months)
        return 0
    sizes = [int(s) for s in args.units.split(",") if s.strip()]
    stages = tuple(s.strip() for s in args.stages.split(",") if s.strip())
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        parser.error(f"unknown stages {unknown}; choose among {list(STAGES)}")
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores shared: wall times are noisy; CPU time is the "
          "stage's own)")
    print(f"{'units':>6} {'stage':<11} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9}")
    for n in sizes:
        report(n, measure(n, args.seed, args.months, args.keep, stages, Path(args.project) if args.project else None))
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
