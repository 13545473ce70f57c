"""Metric values → points → totals, ranks and 达标, and the one display rounding.

The engine's verbs, each taking and returning plain tables:
  score(spec, units, metrics)      → tidy points (engine.points); score_checked: of tables each
                                     checked once (checked_metrics), as of their concatenation;
                                     score_and_summarise: with their summary (…_tidy: the points
                                     as TidyPoints, any months' rows made when asked, engine.tidy);
                                     month_rows: where each month's rows lie
  summarise(spec, units, points)   → one row per month × unit (engine.summary)
  rounded(values, decimals)        → values as printed (engine.rounding)
"""

from scoring.engine.points import (
    MISSING_POLICY,
    POINT_COLUMNS,
    CheckedMetrics,
    check_metric_table,
    checked_metrics,
    metric_fractions,
    month_rows,
    points_frame,
    score,
    score_and_summarise,
    score_and_summarise_tidy,
    score_checked,
)
from scoring.engine.rounding import rounded, rounded_array
from scoring.engine.summary import SCORES_COLUMNS, summarise
from scoring.engine.tidy import FLAG_MISSING, TidyPoints
from scoring.index.methods import FLAG_ZERO_TOLERANCE  # the zero_tolerance method's flag

__all__ = ["FLAG_MISSING", "FLAG_ZERO_TOLERANCE", "MISSING_POLICY", "POINT_COLUMNS", "SCORES_COLUMNS",
           "CheckedMetrics", "TidyPoints", "check_metric_table", "checked_metrics", "metric_fractions", "month_rows",
           "points_frame", "rounded", "rounded_array", "score", "score_and_summarise", "score_and_summarise_tidy",
           "score_checked", "summarise"]
