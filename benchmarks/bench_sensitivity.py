"""Vectorised Monte Carlo over the weights vs recomputing the full score once per draw.

    python benchmarks/bench_sensitivity.py [--draws 10000] [--loop-draws 200] [--seed 7]

Takes the demo month 2019-12 (scoring.demo, ingested in a scratch project, untimed), then times

- vectorised: `sensitivity.monte_carlo` with one family (weights only, ±25% on the 17
  indicators), `--draws` draws — the whole call, nominal scoring by the engine included;
- loop: for each of the first `--loop-draws` of the same draws, build the perturbed index
  (`spec.parse_index` on the edited params), `engine.score` and `engine.summarise` — then
  extrapolated linearly to `--draws`. As in the sensitivity model, a metric's fraction does
  not change with its points: the two methods defined in points (`deduction`, `manual`) get
  their penalty and the reviewer's score scaled by new points / published points.

It checks that both give the same ranks for the looped draws, and prints both times and the ratio.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from scoring import engine
from scoring.analysis import sensitivity
from scoring.index.spec import IndexSpec, load_index, load_units, parse_index

ROOT = Path(__file__).resolve().parents[1]


def demo_month(month: str = "2019-12") -> pd.DataFrame:
    """Units × metric codes of one month of the built-in demo data (scoring.demo), ingested
    in a scratch project: the same realistic month the bulletin shows."""
    from scoring.demo import write_demo
    from scoring.ingest import ingest_month
    from scoring.pipeline.score import read_metrics
    from scoring.project import Project

    with tempfile.TemporaryDirectory() as tmp:
        project = Project(Path(tmp))
        shutil.copytree(ROOT / "params", project.params)
        write_demo(project)
        ingest_month(project, month)
        params = (load_index(project.params / "index.yaml"), load_units(project.params / "units.yaml"))
        return sensitivity.month_values(read_metrics(project, month, params), month)


def perturbed(spec: IndexSpec, values: pd.DataFrame, leaf_points: dict[str, float]) -> tuple[IndexSpec, pd.DataFrame]:
    """The index with new indicator points (inner nodes: the sums below them) and the month's
    values as the engine must see them for every metric to keep its fraction (long table)."""
    raw = copy.deepcopy(spec.raw)
    values = values.copy()

    def visit(entry: dict) -> float:
        if entry.get("children"):
            entry["points"] = sum(visit(c) for c in entry["children"])
            return entry["points"]
        ratio = leaf_points[entry["code"]] / entry["points"]
        entry["points"] = leaf_points[entry["code"]]
        for metric in entry["metrics"]:
            if metric["method"] == "deduction":
                metric["params"] = {**metric["params"], "penalty": metric["params"]["penalty"] * ratio}
            elif metric["method"] == "manual":
                values[metric["code"]] = values[metric["code"]] * ratio
        return entry["points"]

    for child in raw["children"]:
        visit(child)
    long = values.rename_axis(index="unit", columns=None).reset_index().melt(
        id_vars="unit", var_name="metric", value_name="value").assign(month="2019-12")
    return parse_index(raw, source="perturbed"), long


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--loop-draws", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7, help="seed of the weight draws")
    parser.add_argument("--repeats", type=int, default=5, help="vectorised runs; the best time is reported")
    args = parser.parse_args(argv)

    spec = load_index(ROOT / "params" / "index.yaml")
    units = load_units(ROOT / "params" / "units.yaml")
    settings = sensitivity.load_settings(ROOT / "params" / "sensitivity.yaml")
    weights_only = dataclasses.replace(
        settings, draws=args.draws, summary_family="weights",
        families=(sensitivity.Family("weights", settings.family("weights").label, ("weights",)),))
    values = demo_month()

    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        result = sensitivity.monte_carlo(spec, units, values, weights_only, seed=args.seed)
        times.append(time.perf_counter() - start)
    vectorised = min(times)
    fixed_times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        sensitivity.monte_carlo(spec, units, values, dataclasses.replace(weights_only, draws=1), seed=args.seed)
        fixed_times.append(time.perf_counter() - start)
    fixed = min(fixed_times)

    weight_cols = [c for c in result.scenarios if c.startswith("weight:")]
    loop_ranks = []
    start = time.perf_counter()
    for draw in range(args.loop_draws):
        row = result.scenarios.loc[draw, weight_cols]
        spec_d, long = perturbed(spec, values, {c.removeprefix("weight:"): float(v) for c, v in row.items()})
        summary = engine.summarise(spec_d, units, engine.score(spec_d, units, long))
        loop_ranks.append(summary.set_index("unit").loc[units.codes, "rank"].to_numpy())
    loop = (time.perf_counter() - start) / args.loop_draws * args.draws

    same = np.array_equal(np.asarray(loop_ranks), result.ranks.to_numpy()[: args.loop_draws])
    nominal = result.nominal
    print(f"index {spec.version}: {len(units.codes)} units, {len(spec.metrics())} metrics, "
          f"{len(weight_cols)} indicator weights ±{settings.weight_range:.0%}; demo month 2019-12; "
          f"nominal totals {nominal['total'].min():.1f}–{nominal['total'].max():.1f}, "
          f"{int(nominal['pass'].sum())} of {len(nominal)} pass")
    print(f"vectorised  monte_carlo, {args.draws:,} draws:  {vectorised * 1000:8.1f} ms "
          f"(best of {args.repeats}: {', '.join(f'{t * 1000:.0f}' for t in times)} ms)")
    print(f"            of which fixed cost (engine's nominal scoring, fraction matrices; 1 draw): "
          f"{fixed * 1000:.1f} ms → the draws themselves {max(vectorised - fixed, 0) * 1000:.1f} ms")
    print(f"loop        parse_index + engine.score + engine.summarise per draw: "
          f"{loop / args.draws * 1000:.2f} ms/draw × {args.draws:,} = {loop:8.1f} s "
          f"(timed {args.loop_draws} draws, extrapolated)")
    print(f"ratio       loop / vectorised = {loop / vectorised:,.0f}×")
    print(f"check       ranks of the {args.loop_draws} looped draws equal the vectorised ones: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
