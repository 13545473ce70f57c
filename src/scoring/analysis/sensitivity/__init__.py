"""How much the ranking depends on the index's own choices (weights, normalisation, aggregation).

The reference practice is the JRC's for composite indicators (Saisana, Saltelli & Tarantola
2005; COINr): Monte Carlo over the uncertain choices, median rank with a 5–95% band, and
variance-based (Sobol) first-order and total-effect indices. docs/sensitivity.md explains
the formulas, the defaults (params/sensitivity.yaml) and how to read the tables.

One job per module:
  settings     params/sensitivity.yaml as a typed model → SensitivitySettings
  model        the vectorised one-month model (totals for many draws at once, ranks)
  montecarlo   monte_carlo → MonteCarloResult; scenario_totals for a recorded weight set
  sobol        Sobol indices of the weights
  remove_one   ranks with one indicator dropped
  tables       the output columns and write_outputs

Every rank, band and pass decision uses the total rounded as printed
(`engine.rounded_array`), so a rank band is read off the same number as the printed rank.
Use it as `from scoring.analysis import sensitivity; sensitivity.monte_carlo(...)`.
"""

from scoring.analysis.sensitivity.model import CHUNK, month_values, perturbed_points, rank_rows
from scoring.analysis.sensitivity.montecarlo import (
    MOVED_PLACES,
    PERCENTILES,
    MonteCarloResult,
    monte_carlo,
    scenario_totals,
)
from scoring.analysis.sensitivity.remove_one import remove_one
from scoring.analysis.sensitivity.settings import (
    AGGREGATIONS,
    FACTORS,
    SOBOL_OUTPUTS,
    Family,
    SensitivitySettings,
    SettingsFile,
    load_settings,
    parse_settings,
    swappable_methods,
)
from scoring.analysis.sensitivity.sobol import CONSTANT_TOLERANCE, sobol
from scoring.analysis.sensitivity.tables import (
    BY_FAMILY_COLUMNS,
    FAMILY_COLUMNS,
    REMOVE_ONE_COLUMNS,
    SOBOL_COLUMNS,
    SUMMARY_COLUMNS,
    write_outputs,
)

__all__ = [
    "AGGREGATIONS",
    "BY_FAMILY_COLUMNS",
    "CHUNK",
    "CONSTANT_TOLERANCE",
    "FACTORS",
    "FAMILY_COLUMNS",
    "MOVED_PLACES",
    "PERCENTILES",
    "REMOVE_ONE_COLUMNS",
    "SOBOL_COLUMNS",
    "SOBOL_OUTPUTS",
    "SUMMARY_COLUMNS",
    "Family",
    "MonteCarloResult",
    "SensitivitySettings",
    "SettingsFile",
    "load_settings",
    "monte_carlo",
    "month_values",
    "parse_settings",
    "perturbed_points",
    "rank_rows",
    "remove_one",
    "scenario_totals",
    "sobol",
    "swappable_methods",
    "write_outputs",
]
