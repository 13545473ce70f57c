"""The GB 32100 check character of 300,000 credit codes: the weighted sums by numpy's einsum (what
`scoring.ingest.codecolumns` does) against the same float32 product by BLAS (`@`), in one run.

    python benchmarks/bench_code_checks.py [--codes 300000] [--repeats 20] [--pause 0.02]

Each repeat computes the weighted sums of the codes' first 17 values and then waits `--pause`
seconds, as the ingest goes on to other work. Printed per way: wall and process CPU seconds of all
repeats, and CPU ÷ wall. The two products take about the same time, but OpenBLAS's threads keep
spinning after the BLAS one: the process burns CPU while it waits (einsum's own loop starts no
thread). In the ingest's two workers on two cores that CPU was taken from the other worker
(12 months of 2,844 units: 15.7 → 14.1 CPU-s, 8.4 → 7.7 s).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from scoring.ingest import cells, codecolumns


def _codes(n: int, seed: int = 7) -> np.ndarray:
    """n codes' values (0–30) as rows of 18 bytes."""
    return np.random.default_rng(seed).integers(0, 31, size=(n, cells.CODE_LENGTH), dtype=np.uint8)


def einsum_sums(values: np.ndarray) -> np.ndarray:
    return codecolumns._weighted_sums(values)


def blas_sums(values: np.ndarray) -> np.ndarray:
    return (values[:, :17].astype(np.float32) @ np.array(cells.CODE_WEIGHTS, dtype=np.float32)).astype(np.int64)


def timed(way, values: np.ndarray, repeats: int, pause: float) -> tuple[float, float]:
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeats):
        way(values)
        time.sleep(pause)
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=300_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--pause", type=float, default=0.02, help="seconds of waiting after each product")
    args = parser.parse_args()
    values = _codes(args.codes)
    rows = {}
    for name, way in (("einsum (float32)", einsum_sums), ("BLAS (float32)", blas_sums)):
        way(values)  # warm
        rows[name] = timed(way, values, args.repeats, args.pause)
    assert np.array_equal(einsum_sums(values), blas_sums(values))  # (after the timing: BLAS threads spin)
    print(f"{args.codes:,} codes × {args.repeats} repeats, {args.pause * 1000:.0f} ms pause after each")
    for name, (wall, cpu) in rows.items():
        print(f"  {name:<16} wall {wall:6.3f} s   CPU {cpu:6.3f} s   CPU/wall {cpu / wall:5.2f}")
    (_, einsum_cpu), (_, blas_cpu) = rows.values()
    print(f"  einsum uses {einsum_cpu / blas_cpu:.2f} × the CPU of the BLAS product (its threads' spinning counted)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
