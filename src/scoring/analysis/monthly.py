"""Every analysis of one month, as the stage tables the reports read (scoring.tables).

`month_tables` turns a scored history into the month's tables (points, scores, history,
changes, city, city_tiers, year_on_year, year_on_year_categories, city_year_on_year (the same
month last year: scoring.analysis.yearly), categories, indicators, strengths, problems, movers,
indicator_moves, movements, progress, crossings, zero_tolerance, city_indicators, drivers,
issues, metric_detail, list_counts, timeline); `sensitivity_tables` adds the weighting analysis.
Codes in, codes out: labels are the reports' business. Points are index points (150 in all).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from scoring import engine
from scoring.analysis import acceptance, history, profiles, yearly
from scoring.analysis.acceptance_rules import ReviewRules
from scoring.analysis.history import Scored
from scoring.analysis.texts import text_positions
from scoring.index.spec import IndexSpec, Units
from scoring.project import previous_month
from scoring.tables import CATALOGUE

if TYPE_CHECKING:  # the sensitivity analysis (scipy.stats) is loaded by `sensitivity_tables` only
    from scoring.analysis.sensitivity import SensitivitySettings

LISTED_MOVEMENTS = ("entered", "exited")


def _strengths(indicators: pd.DataFrame, units: list[str], n: int = 5) -> pd.DataFrame:
    """Per unit, up to `n` strengths (relative > 0 and not weak, furthest above the city median
    first) then up to `n` weaknesses (relative < 0, furthest below first), from the stage table
    indicators, in one pass over all units (as profiles.strengths_and_weaknesses per unit)."""
    above = indicators[(indicators["relative"] > 1e-12) & ~profiles.is_weak(indicators["fraction"])]
    below = indicators[indicators["relative"] < -1e-12]
    frames = []
    for side, rows, ascending in (("strength", above, False), ("weakness", below, True)):
        rows = rows.sort_values(["relative", "code"], ascending=[ascending, True], kind="stable")
        rows = rows.groupby("unit", sort=False).head(n)
        frames.append(rows.assign(side=side, position=rows.groupby("unit", sort=False).cumcount() + 1))
    out = pd.concat(frames, ignore_index=True)
    at = text_positions(out["unit"], units)  # (each unit's position in params order, as a map gives it)
    at = out["unit"].map({u: i for i, u in enumerate(units)}) if (at < 0).any() else at
    out = out.assign(_unit=at, _side=out["side"].eq("weakness"))
    out = out.sort_values(["_unit", "_side", "position"], kind="stable").reset_index(drop=True)
    return out.reindex(columns=list(CATALOGUE["strengths"].columns))


def _movers(changes: pd.DataFrame) -> pd.DataFrame:
    up, down = profiles.movers(changes)
    rows = [{"direction": d, "position": i + 1, "unit": u}
            for d, frame in (("up", up), ("down", down)) for i, u in enumerate(frame["unit"])]
    return pd.DataFrame(rows, columns=list(CATALOGUE["movers"].columns))


def _city(scored: Scored, changes: pd.DataFrame) -> pd.DataFrame:
    """The month city-wide; changes are of the printed means (display decimals) and counts."""
    before = scored.month_summary(previous_month(scored.month))
    decimals = scored.spec.display_decimals
    mean, n_pass = changes["total"].mean(), int(changes["pass"].sum())
    prev_mean = before["total"].mean() if len(before) else float("nan")
    prev_pass = float(before["pass"].sum()) if len(before) else float("nan")
    return pd.DataFrame([{
        "month": scored.month, "n_units": len(changes), "mean_total": mean, "n_pass": n_pass,
        "prev_n_pass": prev_pass, "prev_mean_total": prev_mean,
        "delta_mean": engine.rounded(engine.rounded(mean, decimals) - engine.rounded(prev_mean, decimals), decimals),
        "delta_pass": n_pass - prev_pass, "weak_line": profiles.WEAK_FRACTION,
    }])


def _city_tiers(scored: Scored, changes: pd.DataFrame) -> pd.DataFrame:
    """Per tier (params/units.yaml order; tiers with no unit left out): units, mean total, 达标
    count, and their changes since the month before (as _city: of the printed means)."""
    before = scored.month_summary(previous_month(scored.month))
    decimals = scored.spec.display_decimals
    now = changes.groupby("tier").agg(n_units=("unit", "size"), mean_total=("total", "mean"),
                                      n_pass=("pass", "sum"))
    prev = (before.groupby("tier").agg(prev_mean_total=("total", "mean"), prev_n_pass=("pass", "sum"))
            if len(before) else pd.DataFrame(columns=["prev_mean_total", "prev_n_pass"], dtype=float))
    tiers = [t for t in scored.units.tiers if t in now.index]
    out = now.reindex(tiers).join(prev.astype(float)).rename_axis("tier").reset_index()
    out.insert(1, "position", range(1, len(out) + 1))
    out["n_pass"] = out["n_pass"].astype(int)
    shown = engine.rounded(out["mean_total"], decimals) - engine.rounded(out["prev_mean_total"], decimals)
    out["delta_mean"] = engine.rounded(shown, decimals)
    out["delta_pass"] = out["n_pass"] - out["prev_n_pass"]
    return out.reindex(columns=list(CATALOGUE["city_tiers"].columns))


def _elementwise(column: pd.Series, test: Callable[[pd.Series], pd.Series]) -> np.ndarray:
    """`test(column)` as a boolean array, for a `test` of each value alone: on a text column computed
    once per distinct value (a month of list records repeats a few hundred dates)."""
    if not isinstance(column.dtype, pd.StringDtype):
        return np.asarray(test(column), dtype=bool)
    codes, distinct = pd.factorize(column, use_na_sentinel=False)
    return np.asarray(test(pd.Series(distinct, dtype=column.dtype)), dtype=bool)[codes]


def _year_month(dates: pd.Series) -> pd.Series:
    return dates.astype(str).str[:7]


def _counted(list_entries: pd.DataFrame | None) -> pd.DataFrame:
    """The rows of the counted list types (黑名单, 重点关注名单; not 红名单), or an empty frame."""
    if list_entries is None or not len(list_entries):
        return pd.DataFrame(columns=["unit", "entity", "credit_code", "list_type", "domain", "entry_date", "exit_date"])
    return list_entries[_elementwise(list_entries["counted"], lambda c: c.astype(str) == "1")]


class _Counted:
    """The counted rows of a month's list records (`_counted`), each date column factorised once
    for the tests of list_movements and list_counts (`_elementwise`, shared)."""

    def __init__(self, list_entries: pd.DataFrame | None) -> None:
        self.rows = _counted(list_entries)
        self._coded: dict[str, tuple[np.ndarray, pd.Series]] = {}

    def test(self, col: str, test: Callable[[pd.Series], pd.Series]) -> np.ndarray:
        """`_elementwise(self.rows[col], test)`."""
        column = self.rows[col]
        if not isinstance(column.dtype, pd.StringDtype):
            return np.asarray(test(column), dtype=bool)
        if col not in self._coded:
            codes, distinct = pd.factorize(column, use_na_sentinel=False)
            self._coded[col] = (codes, pd.Series(distinct, dtype=column.dtype))
        codes, distinct = self._coded[col]
        return np.asarray(test(distinct), dtype=bool)[codes]


def list_movements(list_entries: pd.DataFrame | None, month: str) -> pd.DataFrame:
    """The month's list entries and exits from the records' dates (ISO, as ingest writes them): one
    row per entry dated in the month and one per exit dated in it, so an entity listed and delisted
    in the same month appears twice (列入 and 退出) and the rows count as the list metrics do."""
    return _movements(_Counted(list_entries), month)


def _movements(counted: _Counted, month: str) -> pd.DataFrame:
    columns = list(CATALOGUE["movements"].columns)
    rows = counted.rows
    frames = [rows[counted.test(col, lambda d: _year_month(d) == month)].assign(movement=movement)
              for movement, col in zip(LISTED_MOVEMENTS, ("entry_date", "exit_date"), strict=True)]
    out = pd.concat(frames, ignore_index=True).reindex(columns=columns)
    return out.sort_values(["unit", "movement", "entry_date", "credit_code"]).reset_index(drop=True)


def list_counts(list_entries: pd.DataFrame | None, month: str, units: list[str]) -> pd.DataFrame:
    """Per unit: counted entities listed at the end of `month` (entered by then, not exited by
    then), entered and exited during it — S, A and X of scoring.ingest.derive. Empty without records."""
    if list_entries is None:
        return pd.DataFrame(columns=list(CATALOGUE["list_counts"].columns))
    return _counts(_Counted(list_entries), month, units)


def _counts(counted: _Counted, month: str, units: list[str]) -> pd.DataFrame:
    rows = counted.rows
    masks = {"listed": counted.test("entry_date", lambda d: _year_month(d) <= month)
             & counted.test("exit_date", lambda d: (_year_month(d) == "") | (_year_month(d) > month)),
             "entered": counted.test("entry_date", lambda d: _year_month(d) == month),
             "exited": counted.test("exit_date", lambda d: _year_month(d) == month)}
    sums = pd.DataFrame(masks, index=rows.index).groupby(rows["unit"]).sum()  # the units factorised once
    return sums.reindex(units, fill_value=0).astype(int).rename_axis("unit").reset_index()


def month_tables(scored: Scored, list_entries: pd.DataFrame | None, rules: ReviewRules) -> dict[str, pd.DataFrame]:
    """The month's stage tables except the sensitivity ones (see scoring.tables.CATALOGUE)."""
    spec = scored.spec
    previous = previous_month(scored.month)
    changes = history.changes(scored.summary, scored.month, spec.display_decimals, spec.pass_line)
    progress = acceptance.creation_progress(scored, rules, spec.pass_line)
    problems = profiles.problems_by_unit(scored)
    indicators = profiles.indicator_tables(scored)
    counted = _Counted(list_entries)
    return {
        "points": scored.month_points().reset_index(drop=True),
        "scores": scored.month_summary(),
        "history": scored.summary,
        "changes": changes,
        "city": _city(scored, changes),
        "city_tiers": _city_tiers(scored, changes),
        "year_on_year": yearly.year_on_year(scored),
        "year_on_year_categories": yearly.year_on_year_categories(scored),
        "city_year_on_year": yearly.city_year_on_year(scored),
        "categories": profiles.category_profiles(scored),
        "indicators": indicators,
        "strengths": _strengths(indicators, scored.units.codes),
        "problems": problems,
        "movers": _movers(changes),
        "indicator_moves": profiles.indicator_moves(scored, scored.month, previous),
        "movements": _movements(counted, scored.month),
        "progress": progress,
        "crossings": history.crossings(scored.summary, scored.month),
        "zero_tolerance": profiles.zero_tolerance_failures(scored, previous, rules.vetoes),
        "city_indicators": profiles.city_indicators(scored, previous),
        "drivers": profiles.drivers(scored, changes, previous),
        "issues": profiles.issues(problems, scored.units.codes),
        "metric_detail": profiles.metric_detail(scored),
        "list_counts": (list_counts(None, scored.month, scored.units.codes) if list_entries is None
                        else _counts(counted, scored.month, scored.units.codes)),
        "timeline": history.timeline(scored.months, rules.creation_months, rules.acceptance_month),
    }


def sensitivity_tables(spec: IndexSpec, units: Units, values: pd.DataFrame,
                       settings: SensitivitySettings) -> dict[str, pd.DataFrame]:
    """Monte Carlo (rank bands, 达标 probability, scenario families, the plain reading and the
    inputs varied), Sobol indices and their mean per factor over the units whose output varies,
    and remove-one (each indicator, each category), for one month. One month model serves all."""
    from scoring.analysis import sensitivity as sens

    model = sens.build_model(spec, units, values, settings)
    mc = sens.monte_carlo(spec, units, values, settings, seed=settings.seed, model=model)
    sobol = sens.sobol(spec, units, values, settings, seed=settings.seed, model=model)
    varying = sobol[sobol["variance"] > 0]
    factors = varying.groupby("factor", sort=False)[["S1", "ST"]].mean().reset_index()
    categories = spec.levels[1] if len(spec.levels) > 2 else None
    return {
        "sensitivity": mc.summary,
        "sensitivity_by_family": mc.by_family,
        "sensitivity_scenarios": mc.families,
        "sensitivity_sobol": sobol,
        "sensitivity_factors": factors,
        "sensitivity_remove_one": sens.remove_one(spec, units, values, rescale=settings.rescale, model=model),
        "sensitivity_remove_category": sens.remove_one(spec, units, values, categories, settings.rescale,
                                                       model=model),
        "sensitivity_reading": mc.reading,
        "sensitivity_inputs": mc.inputs,
    }


def metric_values(points: pd.DataFrame, spec: IndexSpec) -> pd.DataFrame:
    """units × metric codes: the raw values of the metric rows of a month's points table."""
    leaf = points[points["level"] == spec.levels[-1]]
    return leaf.pivot(index="unit", columns="code", values="raw_value")

