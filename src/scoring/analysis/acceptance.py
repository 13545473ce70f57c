"""Annual acceptance (总结验收), the titles register and re-evaluation (复评), creation progress.

Rules live in `params/review.yaml` (see docs/review.md):
  platform  = the December total, or the mean total over the creation months (index points)
  combined  = w_p × platform / index total × 100 + w_on × onsite + w_off × offsite   (0–100)
  passed    = combined ≥ pass line and no veto (a veto metric above its max value in December)
The register (data/titles.csv) keeps one row per unit and decision year: awarded, retained
or revoked; a later year's review re-evaluates every title still valid at its start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring.analysis import history
from scoring.analysis.acceptance_rules import ReviewRules
from scoring.engine import rounded
from scoring.errors import DataError

ACCEPTANCE_COLUMNS = ["unit", "platform", "onsite", "offsite", "combined", "combined_rounded", "rank", "passed",
                      "reason"]
TITLES_COLUMNS = ["unit", "year", "status", "valid_until", "combined", "reason"]
STATUSES = ("awarded", "retained", "revoked")


def platform_scores(summary: pd.DataFrame, year: int, rules: ReviewRules) -> pd.Series:
    """Each unit's platform figure in index points: the acceptance month's total or the
    mean total over the creation months of `year` (months without data are left out)."""
    totals = summary.pivot(index="unit", columns="month", values="total")
    if rules.platform_figure == "december":
        month = f"{year}-{rules.acceptance_month:02d}"
        if month not in totals:
            raise DataError(f"no scores for {month}: the platform figure is the {month} total")
        return totals[month]
    months = [f"{year}-{m:02d}" for m in rules.creation_months if f"{year}-{m:02d}" in totals]
    if not months:
        raise DataError(f"no scores for the creation months of {year}")
    return totals[months].mean(axis=1)


def veto_reasons(points: pd.DataFrame, year: int, rules: ReviewRules, missing: str = "{reason}",
                 separator: str = "; ") -> pd.Series:
    """unit → the veto reasons that apply (joined with `separator`), '' when none.

    A veto metric above its max value in the acceptance month vetoes; so does a veto metric
    with no value (`missing` formats the reason): an unreported case must not escape the veto.
    """
    month = f"{year}-{rules.acceptance_month:02d}"
    rows = points[(points["month"] == month)]
    units = sorted(rows["unit"].unique())
    reasons: dict[str, list[str]] = {u: [] for u in units}
    for veto in rules.vetoes:
        mine = rows[rows["code"] == veto["metric"]]
        for unit in mine.loc[mine["raw_value"] > veto["max_value"], "unit"]:
            reasons[unit].append(str(veto["reason"]))
        for unit in mine.loc[mine["raw_value"].isna(), "unit"]:
            reasons[unit].append(missing.format(reason=veto["reason"]))
    return pd.Series({u: separator.join(r) for u, r in reasons.items()}, dtype=object)


def combine(platform: pd.Series, reviews: pd.DataFrame, vetoes: pd.Series, rules: ReviewRules,
            index_total: float, reason_text: dict[str, str], decimals: int = 2) -> pd.DataFrame:
    """The acceptance table (ACCEPTANCE_COLUMNS), one row per unit, ranked on the combined score.

    `reviews`: unit, onsite, offsite (0–100). `reason_text`: templates passed, line, veto.
    """
    r = reviews.set_index("unit")
    out = pd.DataFrame({"unit": platform.index, "platform": platform.to_numpy()})
    out["onsite"] = out["unit"].map(r["onsite"])
    out["offsite"] = out["unit"].map(r["offsite"])
    w = rules.weights
    out["combined"] = (w["platform"] * out["platform"] / index_total * 100
                       + w["onsite"] * out["onsite"] + w["offsite"] * out["offsite"])
    out["combined_rounded"] = combined_shown = rounded(out["combined"], decimals)
    out["rank"] = combined_shown.rank(method="min", ascending=False).astype(int)
    veto = out["unit"].map(vetoes).fillna("")
    reached = combined_shown >= rules.pass_line
    out["passed"] = reached & (veto == "")
    line = f"{rules.pass_line:g}"
    out["reason"] = np.where(
        veto != "", [reason_text["veto"].format(reasons=v) for v in veto],
        np.where(reached, reason_text["passed"].format(pass_line=line),
                 reason_text["line"].format(pass_line=line)))
    return out.sort_values(["rank", "unit"]).reset_index(drop=True)[ACCEPTANCE_COLUMNS]


def update_register(register: pd.DataFrame, review: pd.DataFrame, year: int, rules: ReviewRules,
                    status_text: dict[str, str]) -> pd.DataFrame:
    """The register with `year`'s decisions (earlier years kept; `year`'s rows replaced).

    Holders of a title valid on 1 January of `year` are re-evaluated: retained (valid for
    another term) when they pass, revoked when they fail. Other units that pass are awarded.
    """
    register = register[register["year"] != year] if len(register) else pd.DataFrame(columns=TITLES_COLUMNS)
    valid_until_new = f"{year + rules.title_valid_years}-12-31"
    holders = set()
    if len(register):
        earlier = register[register["year"] < year]
        latest = earlier.sort_values("year").groupby("unit").tail(1)
        live = latest[(latest["status"] != "revoked") & (latest["valid_until"] >= f"{year}-01-01")]
        holders = set(live["unit"])
    rows = []
    for r in review.itertuples():
        if r.unit in holders:
            status = "retained" if r.passed else "revoked"
        elif r.passed:
            status = "awarded"
        else:
            continue
        rows.append({"unit": r.unit, "year": year, "status": status,
                     "valid_until": valid_until_new if status != "revoked" else f"{year}-12-31",
                     "combined": r.combined,
                     "reason": status_text["reason"].format(status=status_text[status], reason=r.reason)})
    new = pd.DataFrame(rows, columns=TITLES_COLUMNS)
    out = pd.concat([register, new], ignore_index=True) if len(register) else new
    return out.sort_values(["year", "unit"]).reset_index(drop=True)[TITLES_COLUMNS]


def creation_progress(scored: history.Scored, rules: ReviewRules, pass_line: float) -> pd.DataFrame:
    """During the creation months: per unit the points still needed, the months left until
    acceptance, the slope of its total so far, and the projected total at acceptance
    (a straight-line projection kept within [0, index total] — a reading of the trend, not a forecast).

    Empty outside the creation months.
    """
    year, month = map(int, scored.month.split("-"))
    if month not in rules.creation_months:
        return pd.DataFrame(columns=["unit", "total", "needed", "months_left", "slope", "projected", "on_track"])
    months = [f"{year}-{m:02d}" for m in rules.creation_months if m <= month]
    summary = scored.summary[scored.summary["month"].isin(months)]
    rows = []
    for unit in scored.units.codes:
        trend = summary[summary["unit"] == unit].sort_values("month")
        total = float(trend["total"].iloc[-1])
        slope = history.linear_slope(trend["total"], trend["month"].str[5:].astype(int))
        left = rules.acceptance_month - month
        projected = min(max(total + (slope if not math.isnan(slope) else 0.0) * left, 0.0), scored.spec.total)
        rows.append({"unit": unit, "total": total, "needed": max(0.0, pass_line - total), "months_left": left,
                     "slope": slope, "projected": projected,
                     "on_track": rounded(projected, scored.spec.display_decimals) >= pass_line})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- the year's evaluation


@dataclass
class ReviewOutcome:
    """A year's acceptance: the table, the register after it, and what it was computed from."""

    year: int
    rules: ReviewRules
    reviews: pd.DataFrame
    table: pd.DataFrame
    register: pd.DataFrame


def evaluate(scored: history.Scored, year: int, reviews: pd.DataFrame, register: pd.DataFrame,
             rules: ReviewRules, texts: dict) -> ReviewOutcome:
    """The year's acceptance from its scored months, the reviewers' scores and the register so
    far. `texts`: the `review` section of params/report.yaml (reasons and statuses, in Chinese)."""
    spec = scored.spec
    platform = platform_scores(scored.summary, year, rules)
    reasons = texts["reasons"]
    vetoes = veto_reasons(scored.points, year, rules, reasons["veto_missing"], reasons["separator"])
    table = combine(platform, reviews, vetoes, rules, spec.total, reasons, spec.display_decimals)
    return ReviewOutcome(year, rules, reviews, table, update_register(register, table, year, rules, texts["status"]))
