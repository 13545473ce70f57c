"""How much the ranking depends on the index's own choices: weights, normalisation, aggregation, pass line.

The reference practice is the JRC's for composite indicators (Saisana, Saltelli & Tarantola
2005; OECD/JRC Handbook 2008; COINr): Monte Carlo over the uncertain inputs, median rank with a
5–95% band, pass probability, variance-based (Sobol) first-order and total-effect indices, and
remove-one. docs/sensitivity.md explains the formulas, the defaults (params/sensitivity.yaml)
and how to read the tables.

One job per module:
  schema       params/sensitivity.yaml as a typed model (SettingsFile), every rule
  settings     the validated file → SensitivitySettings
  tree         the index tree as arrays: points of every level for many draws (perturb, fit)
  model        the vectorised one-month model (totals for many draws at once, ranks)
  design       the uncertain inputs as columns of the unit hypercube → draws
  statistics   totals, ranks, 达标 of the draws; median rank, quantiles, pass probability, ρ
  tally        how often each unit took each rank (no draws × units array); quantiles and shifts from the counts
  montecarlo   monte_carlo → MonteCarloResult; scenario_totals for given indicator points
  reading      the plain reading (which decision is fragile, and by which input); the inputs table
  weight_sets  recorded weight sets: read, score as the engine would, the same statistics
  sobol        Sobol indices of the inputs
  remove_one   ranks with one indicator or category dropped
  tables       the output columns and write_outputs

Every rank, band and pass decision uses the total rounded as printed
(`engine.rounded_array`), so a rank band is read off the same number as the printed rank.
Use it as `from scoring.analysis import sensitivity; sensitivity.monte_carlo(...)`.
"""

from scoring.analysis.sensitivity.design import Design, Draws, input_design
from scoring.analysis.sensitivity.model import CHUNK, MonthModel, build_model, month_values, rank_rows
from scoring.analysis.sensitivity.montecarlo import MonteCarloResult, monte_carlo, scenario_totals
from scoring.analysis.sensitivity.reading import inputs_table, reading_table
from scoring.analysis.sensitivity.remove_one import remove_one
from scoring.analysis.sensitivity.schema import (
    AGGREGATIONS,
    FACTORS,
    QUANTILE_METHODS,
    SOBOL_OUTPUTS,
    SettingsFile,
    swappable_methods,
)
from scoring.analysis.sensitivity.settings import Family, SensitivitySettings, load_settings, parse_settings
from scoring.analysis.sensitivity.sobol import ALL_UNITS, CONSTANT_TOLERANCE, sobol
from scoring.analysis.sensitivity.statistics import MOVED_PLACES, PERCENTILES, mean_spearman
from scoring.analysis.sensitivity.tables import (
    BY_FAMILY_COLUMNS,
    FAMILY_COLUMNS,
    INPUT_COLUMNS,
    READING_COLUMNS,
    REMOVE_ONE_COLUMNS,
    SETS_COLUMNS,
    SOBOL_COLUMNS,
    SUMMARY_COLUMNS,
    write_outputs,
)
from scoring.analysis.sensitivity.tree import WeightTree, perturbed_points, weight_tree
from scoring.analysis.sensitivity.weight_sets import (
    SETS_FAMILY,
    WeightSetsResult,
    parse_weight_sets,
    read_weight_sets,
    set_points,
    set_totals,
    weight_set_analysis,
)

__all__ = [
    "AGGREGATIONS",
    "ALL_UNITS",
    "BY_FAMILY_COLUMNS",
    "CHUNK",
    "CONSTANT_TOLERANCE",
    "FACTORS",
    "FAMILY_COLUMNS",
    "INPUT_COLUMNS",
    "MOVED_PLACES",
    "PERCENTILES",
    "QUANTILE_METHODS",
    "READING_COLUMNS",
    "REMOVE_ONE_COLUMNS",
    "SETS_COLUMNS",
    "SETS_FAMILY",
    "SOBOL_COLUMNS",
    "SOBOL_OUTPUTS",
    "SUMMARY_COLUMNS",
    "Design",
    "Draws",
    "Family",
    "MonteCarloResult",
    "MonthModel",
    "SensitivitySettings",
    "SettingsFile",
    "WeightSetsResult",
    "WeightTree",
    "build_model",
    "input_design",
    "inputs_table",
    "load_settings",
    "mean_spearman",
    "monte_carlo",
    "month_values",
    "parse_settings",
    "parse_weight_sets",
    "perturbed_points",
    "rank_rows",
    "read_weight_sets",
    "reading_table",
    "remove_one",
    "scenario_totals",
    "set_points",
    "set_totals",
    "sobol",
    "swappable_methods",
    "weight_set_analysis",
    "weight_tree",
    "write_outputs",
]
