"""`credit-county ingest` of 12 months with Arrow's bundled mimalloc against malloc (what
`scoring.arrowpool` makes the CLI use), in one run.

    python benchmarks/bench_arrow_pool.py --project <a project kept by bench_scale.py --keep> [--repeats 3]
    python benchmarks/bench_arrow_pool.py --units 136          # builds a synthetic project first

Each run is `bench_scale.py --child ingest` (the months as Dask tasks on 2 workers, as the CLI
ingests them) in a fresh process, data/processed emptied before it, the two pools alternating;
printed per run: wall, CPU and system-CPU seconds (the kernel's share: page faults), then each
pool's median and mimalloc ÷ malloc. The processed files are the same with either pool (the pool
decides where Arrow's buffers live, not what they hold; tests/test_arrowpool.py checks a month).
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
import bench_scale  # noqa: E402  (the synthetic projects and the timed child stages)

POOLS = ("mimalloc", "system")


def ingest_once(root: Path, months: int, pool: str) -> tuple[float, float, float]:
    """Wall, CPU and system-CPU seconds of one ingest of `months` months with Arrow pool `pool`."""
    shutil.rmtree(root / "data" / "processed", ignore_errors=True)
    (root / "data" / "processed").mkdir()
    run = bench_scale.timed("ingest", [sys.executable, str(HERE / "bench_scale.py"), "--child", "ingest",
                                       "--root", str(root), "--months", str(months)],
                            env={**os.environ, "ARROW_DEFAULT_MEMORY_POOL": pool})
    if run.status != 0:
        raise SystemExit(f"the ingest with pool {pool} failed ({run.status}): {run.stderr.strip()[-500:]}")
    return run.wall, run.cpu, run.system_cpu


def build(units: int, seed: int) -> Path:
    """A synthetic project of `units` units with a demo year (bench_scale's)."""
    root = Path(tempfile.mkdtemp(prefix=f"bench-arrow-pool-{units}-"))
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
    parser.add_argument("--repeats", type=int, default=3, help="runs of each pool, alternating")
    args = parser.parse_args(argv)
    root = Path(args.project) if args.project else build(args.units, args.seed)
    try:
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        print(f"{'pool':<10} {'wall s':>7} {'cpu s':>7} {'sys s':>7}")
        runs: dict[str, list[tuple[float, float, float]]] = {pool: [] for pool in POOLS}
        for _ in range(args.repeats):
            for pool in POOLS:
                runs[pool].append(found := ingest_once(root, args.months, pool))
                print(f"{pool:<10} {found[0]:>7.2f} {found[1]:>7.2f} {found[2]:>7.2f}", flush=True)
        medians = {pool: [statistics.median(r[i] for r in runs[pool]) for i in range(3)] for pool in POOLS}
        for pool in POOLS:
            print(f"{pool:<10} median {medians[pool][0]:.2f} s wall, {medians[pool][1]:.2f} CPU-s, "
                  f"{medians[pool][2]:.2f} system CPU-s")
        m, s = medians["mimalloc"], medians["system"]
        print(f"mimalloc ÷ malloc: wall {m[0] / s[0]:.2f}×, CPU {m[1] / s[1]:.2f}×, system CPU {m[2] / s[2]:.2f}×")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        if not args.project:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
