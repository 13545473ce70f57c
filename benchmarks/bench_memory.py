"""The ingest and tables stages at 2,844 units with the memory settings every command makes
(`scoring.memory`: Arrow's buffers from malloc, no huge-page advice from NumPy, malloc's thresholds
fixed) against the libraries' defaults, one at a time, in one run.

    python benchmarks/bench_memory.py --project <a project kept by bench_scale.py --keep> [--repeats 3]
    python benchmarks/bench_memory.py --units 136          # builds a synthetic project first

Each run is `bench_scale.py --child ingest` (12 months as Dask tasks on 2 workers, as the CLI ingests
them) then `--child tables` (the score stage's tables of the last month), fresh processes, with
data/processed emptied before the ingest; the settings alternate within each repeat:
  cli        what the CLI makes (malloc; no huge-page advice; freed memory kept for reuse)
  mimalloc   $ARROW_DEFAULT_MEMORY_POOL=mimalloc (pyarrow's default)
  hugepages  $NUMPY_MADVISE_HUGEPAGE=1 (NumPy's default where transparent huge pages are `madvise`)
  glibc      $CREDIT_COUNTY_MALLOC=glibc (malloc's own thresholds: freed memory returned to the kernel)
Printed per run: each stage's wall, CPU and system-CPU seconds (the kernel's share: page faults),
then each setting's medians and its ratio to cli. The files are the same whatever the settings
(they decide where buffers live, not what they hold; tests/test_memory.py checks a month).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_against  # noqa: E402  (one ingest + tables run)
import bench_scale  # noqa: E402  (the synthetic projects)

SETTINGS = {"cli": {}, "mimalloc": {"ARROW_DEFAULT_MEMORY_POOL": "mimalloc"},
            "hugepages": {"NUMPY_MADVISE_HUGEPAGE": "1"}, "glibc": {"CREDIT_COUNTY_MALLOC": "glibc"}}
STAGES = ("ingest", "tables")
Timing = dict[str, tuple[float, float, float]]  # stage → (wall, CPU, system CPU) seconds


def run_once(root: Path, months: int, setting: str) -> Timing:
    """The ingest of `months` months, then the tables stage, with the environment of `setting`
    (`bench_against.run_once`, this checkout's stages)."""
    ingest, tables, _files = bench_against.run_once(root, months, ({**os.environ, **SETTINGS[setting]},
                                                                   HERE / "bench_scale.py"))
    return {stage: (run.wall, run.cpu, run.system_cpu) for stage, run in zip(STAGES, (ingest, tables), strict=True)}


def build(units: int, seed: int) -> Path:
    """A synthetic project of `units` units with a demo year (bench_scale's)."""
    root = Path(tempfile.mkdtemp(prefix=f"bench-memory-{units}-"))
    bench_scale.make_project(root, units, seed)
    subprocess.run([str(bench_scale.CLI), "--root", str(root), "demo-data", "--year", "2019"], check=True,
                   stdout=subprocess.DEVNULL)
    return root


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", help="a project with raw months (e.g. kept by bench_scale.py --keep)")
    parser.add_argument("--units", type=int, default=2844, help="units of the project built when no --project")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each setting, alternating")
    args = parser.parse_args(argv)
    root = Path(args.project) if args.project else build(args.units, args.seed)
    try:
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        print(f"{'setting':<10} " + " ".join(f"{s + ' ' + k:>14}" for s in STAGES for k in ("wall", "cpu", "sys")))
        runs: dict[str, list[Timing]] = {setting: [] for setting in SETTINGS}
        for _ in range(args.repeats):
            for setting in SETTINGS:
                runs[setting].append(found := run_once(root, args.months, setting))
                print(f"{setting:<10} " + " ".join(f"{v:>14.2f}" for s in STAGES for v in found[s]), flush=True)
        medians = {setting: {s: [statistics.median(r[s][i] for r in runs[setting]) for i in range(3)]
                             for s in STAGES} for setting in SETTINGS}
        cli = medians["cli"]
        for setting, median in medians.items():
            ratios = {s: median[s][0] / cli[s][0] for s in STAGES}
            both = sum(median[s][0] for s in STAGES) / sum(cli[s][0] for s in STAGES)
            print(f"{setting:<10} median: ingest {median['ingest'][0]:.2f} s ({median['ingest'][2]:.2f} system), "
                  f"tables {median['tables'][0]:.2f} s ({median['tables'][2]:.2f} system); ÷ cli: ingest "
                  f"{ratios['ingest']:.3f}×, tables {ratios['tables']:.3f}×, both {both:.3f}×")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        if not args.project:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
