"""The month's sensitivity tables: their columns and `write_outputs` (docs/sensitivity.md, "The outputs")."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from scoring.safeio import write_csv

if TYPE_CHECKING:
    from scoring.analysis.sensitivity.montecarlo import MonteCarloResult

SUMMARY_COLUMNS = ["unit", "nominal_rank", "median_rank", "rank_p05", "rank_p95", "pass_probability"]
BY_FAMILY_COLUMNS = ["family", "unit", "nominal_rank", "median_rank", "rank_p05", "rank_p95",
                     "pass_probability"]
FAMILY_COLUMNS = ["family", "label", "draws", "spearman", "mean_abs_shift", "share_moved_gt2"]
SOBOL_COLUMNS = ["unit", "factor", "S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high", "variance"]
REMOVE_ONE_COLUMNS = ["unit", "dropped", "nominal_rank", "rank_without", "shift"]
READING_COLUMNS = ["unit", "subject", "input", "family", "fragile", "order", "nominal_rank", "nominal_pass",
                   "median_rank", "rank_p05", "rank_p95", "moved", "pass_probability"]
INPUT_COLUMNS = ["input", "level", "count", "low", "high", "nominal", "options", "families"]
SETS_COLUMNS = ["set", "unit", "total", "total_rounded", "rank", "pass"]


def write_outputs(out_dir: str | Path, result: MonteCarloResult, *, sobol: pd.DataFrame | None = None,
                  remove_one: pd.DataFrame | None = None,
                  remove_category: pd.DataFrame | None = None) -> dict[str, Path]:
    """Write the month's sensitivity tables (atomic, formula-safe CSV) into `out_dir`:

    sensitivity.csv            per unit: unit, nominal_rank, median_rank, rank_p05, rank_p95, pass_probability
    sensitivity_by_family.csv  the same per scenario family (with a family column)
    sensitivity_scenarios.csv  per family: family, label, draws, spearman, mean_abs_shift, share_moved_gt2
    sensitivity_reading.csv    per unit × decision × input: the plain reading (READING_COLUMNS)
    sensitivity_inputs.csv     per uncertain input: what it could do (INPUT_COLUMNS)
    sensitivity_sobol.csv      when given: unit, factor, S1, S1_low, S1_high, ST, ST_low, ST_high, variance
    sensitivity_remove_one.csv when given: unit, dropped, nominal_rank, rank_without, shift
    sensitivity_remove_category.csv  when given: the same for the categories
    The draws themselves (result.ranks, .totals, .scenarios) are not written. This is the Python
    API's quick export (six decimals); the score stage writes the stage tables at full precision.
    Returns {table: path} (keys summary, by_family, scenarios, reading, inputs, sobol, remove_one,
    remove_category).
    """
    out = Path(out_dir)
    paths = {
        "summary": write_csv(result.summary[SUMMARY_COLUMNS], out / "sensitivity.csv"),
        "by_family": write_csv(result.by_family[BY_FAMILY_COLUMNS], out / "sensitivity_by_family.csv"),
        "scenarios": write_csv(result.families[FAMILY_COLUMNS], out / "sensitivity_scenarios.csv"),
        "reading": write_csv(result.reading[READING_COLUMNS], out / "sensitivity_reading.csv"),
        "inputs": write_csv(result.inputs[INPUT_COLUMNS], out / "sensitivity_inputs.csv"),
    }
    if sobol is not None:
        paths["sobol"] = write_csv(sobol[SOBOL_COLUMNS], out / "sensitivity_sobol.csv")
    if remove_one is not None:
        paths["remove_one"] = write_csv(remove_one[REMOVE_ONE_COLUMNS], out / "sensitivity_remove_one.csv")
    if remove_category is not None:
        paths["remove_category"] = write_csv(remove_category[REMOVE_ONE_COLUMNS],
                                             out / "sensitivity_remove_category.csv")
    return paths
