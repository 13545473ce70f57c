"""`ingest` + `tables` at 2,844 units: this checkout against another source tree, in one run.

    python benchmarks/bench_against.py --project KEPT-PROJECT --against OTHER-CHECKOUT [--repeats 3] [--months 12]

The host's own speed varies from one session to the next by more than most code changes move the
stages: the same code (and byte-identical outputs) took 9.6 s for ingest + tables on the afternoon
of 2026-12-02, 19–27 s that evening and 11.5–12.1 s on 2026-12-03, at load averages below 1.6, and
no small reference workload followed it (a Python loop of 10 million additions took 0.55 s in the
slow evening and 0.48 s on 2026-12-03; a pandas factorize of 1 million strings 0.36 s and 0.53 s: the
other way round). So a speed change is measured against the code before it, alternating, on the
same host in the same hour.

`--against` is another checkout (or its `src` folder), e.g. `git worktree add /tmp/base main`.
`--project` is a project kept by `bench_scale.py --keep` (its raw data is reused; data/processed is
emptied before each ingest). Each repeat runs bench_scale's `ingest` and `tables` stages (child
processes, as bench_scale times them; each tree's own benchmarks/bench_scale.py, so that its child
calls that tree's stage functions) with the other tree first on PYTHONPATH, then with this one
(the order alternating from one repeat to the next), after one untimed run (the first is slower: it
reads the raw files from disk). Printed: each run, each version's medians,
this ÷ against, and whether every run wrote the same bytes (SHA-256 of every file in data/processed
after each ingest; the exit status is 1 when not): a speed change must not change a byte.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_scale  # noqa: E402  (the timed child stages)

from scoring.hashing import sha256_file  # noqa: E402

THIS = "this"
AGAINST = "against"


def source_tree(path: Path) -> Path:
    """The folder holding the `scoring` package of a checkout (`path/src`) or of `path` itself."""
    for tree in (path / "src", path):
        if (tree / "scoring" / "__init__.py").is_file():
            return tree.resolve()
    raise SystemExit(f"{path}: no scoring package there (nor in {path / 'src'}) — give a checkout of this repository")


def stage_child(tree: Path) -> Path:
    """The bench_scale.py of the checkout holding source tree `tree` (this one's when it has none)."""
    own = (tree.parent if tree.name == "src" else tree) / "benchmarks" / "bench_scale.py"
    return own if own.is_file() else HERE / "bench_scale.py"


def environment(tree: Path) -> dict[str, str]:
    """This environment with `tree` first on PYTHONPATH, checked: `import scoring` must come from it."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tree), *filter(None, [os.environ.get("PYTHONPATH")])])}
    found = subprocess.run([sys.executable, "-c", "import scoring; print(scoring.__file__)"], env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    if not Path(found).resolve().is_relative_to(tree):
        raise SystemExit(f"with PYTHONPATH={tree}, `import scoring` reads {found}: cannot time that tree")
    return env


def processed_digest(root: Path) -> dict[str, str]:
    """SHA-256 of every file under data/processed, by its path there."""
    base = root / "data" / "processed"
    return {p.relative_to(base).as_posix(): sha256_file(p)
            for p in sorted(base.rglob("*")) if p.is_file()}


Version = tuple[dict[str, str], Path]  # a tree's environment and its bench_scale.py


def run_once(root: Path, months: int, version: Version) -> tuple[bench_scale.Run, bench_scale.Run, dict[str, str]]:
    """The ingest (data/processed emptied first) and tables stages of `version`, and the files written."""
    env, child = version
    shutil.rmtree(root / "data" / "processed", ignore_errors=True)
    (root / "data" / "processed").mkdir()
    me = [sys.executable, str(child)]
    runs = []
    for stage, extra in (("ingest", ["--months", str(months)]), ("tables", [])):
        found = bench_scale.timed(stage, [*me, "--child", stage, "--root", str(root), *extra], env=env)
        if found.status != 0:
            raise SystemExit(f"{stage} failed ({found.status}) with PYTHONPATH={env['PYTHONPATH']}: "
                             f"{found.stderr.strip()[-800:]}")
        runs.append(found)
    return runs[0], runs[1], processed_digest(root)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", required=True, help="a project kept by bench_scale.py --keep")
    parser.add_argument("--against", required=True, help="another checkout (or its src folder)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each version, alternating")
    parser.add_argument("--months", type=int, default=12, help="months ingested (the last ones)")
    args = parser.parse_args(argv)
    root = Path(args.project).resolve()
    if not (root / "data" / "raw").is_dir():
        raise SystemExit(f"{root}: not a project with data/raw (keep one with bench_scale.py --keep)")
    trees = {AGAINST: source_tree(Path(args.against)), THIS: source_tree(HERE.parent)}
    envs: dict[str, Version] = {v: (environment(tree), stage_child(tree)) for v, tree in trees.items()}
    for version, (_env, child) in envs.items():
        print(f"{version}: {trees[version]} (stages timed by {child})")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print(f"{'version':<8} {'run':>3} {'ingest s':>9} {'tables s':>9} {'both s':>7} {'cpu s':>7}")
    run_once(root, args.months, envs[AGAINST])  # untimed: the first run reads the raw files from disk
    totals: dict[str, list[tuple[float, float, float]]] = {AGAINST: [], THIS: []}
    written: dict[str, dict[str, str]] = {}
    for repeat in range(1, args.repeats + 1):
        for version in (AGAINST, THIS) if repeat % 2 else (THIS, AGAINST):
            ingest, tables, files = run_once(root, args.months, envs[version])
            if written.setdefault(version, files) != files:
                raise SystemExit(f"{version}: run {repeat} wrote other bytes than run 1 (not reproducible)")
            totals[version].append((ingest.wall, tables.wall, ingest.wall + tables.wall))
            print(f"{version:<8} {repeat:>3} {ingest.wall:>9.2f} {tables.wall:>9.2f} {ingest.wall + tables.wall:>7.2f} "
                  f"{ingest.cpu + tables.cpu:>7.2f}", flush=True)
    medians = {v: [statistics.median(t[i] for t in totals[v]) for i in range(3)] for v in totals}
    for version, (ingest_s, tables_s, both_s) in medians.items():
        print(f"{version:<8} median: ingest + tables {both_s:.2f} s (ingest {ingest_s:.2f}, tables {tables_s:.2f})")
    this, other = medians[THIS], medians[AGAINST]
    print(f"this ÷ against: {this[2] / other[2]:.3f}× "
          f"(ingest {this[0] / other[0]:.3f}×, tables {this[1] / other[1]:.3f}×)")
    differ = sorted(k for k in written[THIS].keys() | written[AGAINST].keys()
                    if written[THIS].get(k) != written[AGAINST].get(k))
    print(f"processed files: {'identical' if not differ else 'DIFFERENT'} ({len(written[THIS])} files"
          + (f"; differ: {', '.join(differ[:8])}{' …' if len(differ) > 8 else ''})" if differ else ")"))
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
