"""Every analysis of one month, as the stage tables the reports read (scoring.tables).

`month_tables` turns a scored history into the month's tables (points, scores, history,
changes, city, categories, indicators, strengths, problems, movers, indicator_moves,
movements, progress); `sensitivity_tables` adds the weighting analysis. Codes in, codes
out: labels are the reports' business. Points are index points (150 in all).
"""

from __future__ import annotations

import pandas as pd

from scoring.analysis import acceptance, history, profiles
from scoring.analysis import sensitivity as sens
from scoring.analysis.acceptance_rules import ReviewRules
from scoring.analysis.history import Scored
from scoring.analysis.sensitivity import SensitivitySettings
from scoring.index.spec import IndexSpec, Units
from scoring.project import previous_month
from scoring.tables import CATALOGUE

LISTED_MOVEMENTS = ("entered", "exited")


def _per_unit(scored: Scored, table) -> pd.DataFrame:
    """`table(scored, unit)` for every unit, stacked with a unit column first."""
    frames = [table(scored, unit).assign(unit=unit) for unit in scored.units.codes]
    out = pd.concat(frames, ignore_index=True)
    return out[["unit", *[c for c in out.columns if c != "unit"]]]


def _strengths(scored: Scored) -> pd.DataFrame:
    rows = []
    for unit in scored.units.codes:
        strong, weak = profiles.strengths_and_weaknesses(scored, unit)
        for side, frame in (("strength", strong), ("weakness", weak)):
            rows += [{"unit": unit, "side": side, "position": i + 1, "code": c} for i, c in enumerate(frame["code"])]
    return pd.DataFrame(rows, columns=list(CATALOGUE["strengths"].columns))


def _movers(changes: pd.DataFrame) -> pd.DataFrame:
    up, down = profiles.movers(changes)
    rows = [{"direction": d, "position": i + 1, "unit": u}
            for d, frame in (("up", up), ("down", down)) for i, u in enumerate(frame["unit"])]
    return pd.DataFrame(rows, columns=list(CATALOGUE["movers"].columns))


def _city(scored: Scored, changes: pd.DataFrame) -> pd.DataFrame:
    before = scored.month_summary(previous_month(scored.month))
    return pd.DataFrame([{
        "month": scored.month, "n_units": len(changes), "mean_total": changes["total"].mean(),
        "n_pass": int(changes["pass"].sum()),
        "prev_n_pass": float(before["pass"].sum()) if len(before) else float("nan"),
    }])


def list_movements(list_entries: pd.DataFrame | None) -> pd.DataFrame:
    """The month's list entries and exits (counted list types only: 红名单 rows are not list movements)."""
    columns = list(CATALOGUE["movements"].columns)
    if list_entries is None or not len(list_entries):
        return pd.DataFrame(columns=columns)
    rows = list_entries[list_entries["movement"].isin(LISTED_MOVEMENTS) & (list_entries["counted"].astype(str) == "1")]
    return rows[columns].sort_values(["unit", "movement", "entry_date", "credit_code"]).reset_index(drop=True)


def month_tables(scored: Scored, list_entries: pd.DataFrame | None, rules: ReviewRules) -> dict[str, pd.DataFrame]:
    """The month's stage tables except the sensitivity ones (see scoring.tables.CATALOGUE)."""
    spec = scored.spec
    changes = history.changes(scored.summary, scored.month, spec.display_decimals)
    progress = acceptance.creation_progress(scored, rules, spec.pass_line)
    return {
        "points": scored.month_points().reset_index(drop=True),
        "scores": scored.month_summary(),
        "history": scored.summary,
        "changes": changes,
        "city": _city(scored, changes),
        "categories": _per_unit(scored, profiles.category_profile),
        "indicators": _per_unit(scored, profiles.indicator_table),
        "strengths": _strengths(scored),
        "problems": _per_unit(scored, profiles.problems),
        "movers": _movers(changes),
        "indicator_moves": profiles.indicator_moves(scored, scored.month, previous_month(scored.month)),
        "movements": list_movements(list_entries),
        "progress": progress,
    }


def sensitivity_tables(spec: IndexSpec, units: Units, values: pd.DataFrame,
                       settings: SensitivitySettings) -> dict[str, pd.DataFrame]:
    """Monte Carlo (rank bands, 达标 probability, scenario families), Sobol indices and their
    mean per factor over the units whose output varies, and remove-one, for one month."""
    mc = sens.monte_carlo(spec, units, values, settings, seed=settings.seed)
    sobol = sens.sobol(spec, units, values, settings, seed=settings.seed)
    varying = sobol[sobol["variance"] > 0]
    factors = varying.groupby("factor", sort=False)[["S1", "ST"]].mean().reset_index()
    return {
        "sensitivity": mc.summary,
        "sensitivity_by_family": mc.by_family,
        "sensitivity_scenarios": mc.families,
        "sensitivity_sobol": sobol,
        "sensitivity_factors": factors,
        "sensitivity_remove_one": sens.remove_one(spec, units, values),
    }


def metric_values(points: pd.DataFrame, spec: IndexSpec) -> pd.DataFrame:
    """units × metric codes: the raw values of the metric rows of a month's points table."""
    leaf = points[points["level"] == spec.levels[-1]]
    return leaf.pivot(index="unit", columns="code", values="raw_value")

