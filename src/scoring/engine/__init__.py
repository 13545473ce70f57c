"""Metric values → points → totals, ranks and 达标, and the one display rounding.

The engine's verbs, each taking and returning plain tables:
  score(spec, units, metrics)      → tidy points (engine.points)
  summarise(spec, units, points)   → one row per month × unit (engine.summary)
  rounded(values, decimals)        → values as printed (engine.rounding)
"""

from scoring.engine.points import (
    FLAG_MISSING,
    MISSING_POLICY,
    POINT_COLUMNS,
    check_metric_table,
    metric_fractions,
    score,
)
from scoring.engine.rounding import rounded, rounded_array
from scoring.engine.summary import SCORES_COLUMNS, summarise
from scoring.index.methods import FLAG_ZERO_TOLERANCE  # the zero_tolerance method's flag

__all__ = ["FLAG_MISSING", "FLAG_ZERO_TOLERANCE", "MISSING_POLICY", "POINT_COLUMNS", "SCORES_COLUMNS",
           "check_metric_table", "metric_fractions", "rounded", "rounded_array", "score", "summarise"]
