"""Recorded weight sets: a table of alternative weightings, each scored exactly as the engine would.

The file (CSV, UTF-8): one row per set, one column per node or metric code (any level: a
category, an indicator, a metric's weight inside its indicator), and optionally a first
column `set` naming the set (default: its row number, 1, 2, …). A cell is what that code
would get in a weights file (docs/sensitivity.md, "Trying other weights"); an empty cell keeps
the published points. Every row is reconciled by the weights file's rule — from the root
down, the children of every node rescaled in proportion to add up to their parent — so a
row gives the same index as `index.weights.alternative_weights` with the same numbers, and
the same totals as `engine.score` on it (to 1e-9; tests/test_sensitivity_sets.py replays
sets through both routes).

`weight_set_analysis` scores all sets at once (the month model's matrix products) and gives
the Monte Carlo's statistics over the sets instead of random draws: the same tables
(sensitivity, sensitivity_by_family, sensitivity_scenarios; family `weight_sets`) and
`sensitivity_sets`, every set's total, printed total, rank and 达标 per unit.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from scoring.analysis.sensitivity.design import Draws
from scoring.analysis.sensitivity.model import MonthModel, build_model
from scoring.analysis.sensitivity.settings import SensitivitySettings
from scoring.analysis.sensitivity.statistics import DrawsOutcome, family_row, score_draws, summary_frame
from scoring.analysis.sensitivity.tables import BY_FAMILY_COLUMNS, FAMILY_COLUMNS, SETS_COLUMNS, SUMMARY_COLUMNS
from scoring.errors import DataError
from scoring.index.spec import IndexSpec, Units

SET_COLUMN = "set"
SETS_FAMILY = "weight_sets"


def read_weight_sets(path: str | Path, spec: IndexSpec) -> pd.DataFrame:
    """The weight-sets file as a frame: index = set names, columns = codes, NaN = published.
    DataError listing every problem (file, row, column, value, rule)."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot be read as a UTF-8 CSV file ({exc})") from exc
    rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise DataError(f"{path}: expected a header of node codes and at least one weight set")
    return parse_weight_sets(rows[0], rows[1:], spec, str(path))


def parse_weight_sets(header: list[str], rows: list[list[str]], spec: IndexSpec, source: str) -> pd.DataFrame:
    """Header and rows of text (as in the CSV file) → the sets frame; DataError listing every problem."""
    header = [h.strip() for h in header]
    named = bool(header) and header[0] == SET_COLUMN
    codes = header[1:] if named else header
    nodes = {n.code for n in spec.nodes()}
    metrics = {m.code for m in spec.metrics()}
    problems, seen = [], set()
    for j, code in enumerate(codes, start=2 if named else 1):
        if code == spec.root.code:
            problems.append(f"{source}: column {j} {code!r}: the index itself; its total ({spec.total:g}) "
                            "cannot change")
        elif code not in nodes and code not in metrics:
            problems.append(f"{source}: column {j} {code!r}: neither a node nor a metric of the index")
        elif code in seen:
            problems.append(f"{source}: column {j} {code!r}: given more than once")
        seen.add(code)
    names, table = [], np.full((len(rows), len(codes)), np.nan)
    for i, row in enumerate(rows):
        line = i + 2
        if len(row) != len(header):
            problems.append(f"{source}: row {line}: {len(row)} cells, the header has {len(header)}")
            continue
        name = row[0].strip() if named else str(i + 1)
        if not name:
            problems.append(f"{source}: row {line}, column {SET_COLUMN!r}: the set has no name")
        elif name in names:
            problems.append(f"{source}: row {line}, column {SET_COLUMN!r}: {name!r} names another set too")
        names.append(name)
        for j, cell in enumerate(row[1:] if named else row):
            cell = cell.strip()
            if not cell:
                continue
            try:
                value = float(cell)
            except ValueError:
                value = math.nan
            if not math.isfinite(value) or value <= 0:
                problems.append(f"{source}: row {line}, column {codes[j]!r}: {cell!r} — must be a number > 0")
            else:
                table[i, j] = value
    if problems:
        raise DataError(f"{source}: {len(problems)} problem(s) in the weight sets", problems=problems)
    return pd.DataFrame(table, index=pd.Index(names, name=SET_COLUMN), columns=codes)


def set_points(model: MonthModel, sets: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
    """(leaf points (D, L), metric shares (D, M) or None) of every set, by the weights file's rule."""
    tree, n = model.tree, len(sets)
    raw = {}
    for d in tree.depths:
        given = [c for c in d.codes if c in sets.columns]
        if given:
            w = np.tile(d.points, (n, 1))
            for c in given:
                col = sets[c].to_numpy(dtype=float)
                w[:, d.codes.index(c)] = np.where(np.isnan(col), w[:, d.codes.index(c)], col)
            raw[d.level] = w
    weights = None
    given = [c for c in tree.metric_codes if c in sets.columns]
    if given:
        weights = np.tile(tree.metric_weight, (n, 1))
        for c in given:
            col = sets[c].to_numpy(dtype=float)
            j = tree.metric_codes.index(c)
            weights[:, j] = np.where(np.isnan(col), weights[:, j], col)
    return tree.fit(raw, weights, n)


def set_totals(spec: IndexSpec, units: Units, values: pd.DataFrame, sets: pd.DataFrame,
               *, model: MonthModel | None = None) -> np.ndarray:
    """Totals (sets × units, full precision) of every weight set, as the engine scores the index
    `alternative_weights` makes of it."""
    model = build_model(spec, units, values) if model is None else model
    leaf, share = set_points(model, sets)
    return model.totals(leaf, share=share)


@dataclass
class WeightSetsResult:
    """The sets' outcome and the Monte Carlo's tables over them (module docstring)."""

    sets: pd.DataFrame  # set, unit, total, total_rounded, rank, pass
    summary: pd.DataFrame
    by_family: pd.DataFrame
    families: pd.DataFrame
    nominal: pd.DataFrame
    outcome: DrawsOutcome

    def tables(self) -> dict[str, pd.DataFrame]:
        """The stage tables of a weight-sets run (scoring.tables.CATALOGUE names)."""
        return {"sensitivity": self.summary, "sensitivity_by_family": self.by_family,
                "sensitivity_scenarios": self.families, "sensitivity_sets": self.sets}


def weight_set_analysis(spec: IndexSpec, units: Units, values: pd.DataFrame, sets: pd.DataFrame,
                        settings: SensitivitySettings, *, model: MonthModel | None = None) -> WeightSetsResult:
    """Score every recorded set and summarise as the Monte Carlo does (the index's pass line,
    arithmetic aggregation, every metric on its own method; quantiles by settings.quantile_method)."""
    model = build_model(spec, units, values) if model is None else model
    leaf, share = set_points(model, sets)
    n = len(sets)
    draws = Draws(leaf, share, None, np.full(n, "arithmetic"), np.full(n, float(spec.pass_line)))
    outcome = score_draws(model, draws, settings.epsilon)
    nominal = model.nominal
    nominal_rank = nominal["rank"].to_numpy()
    by_family = summary_frame(model.units, nominal_rank, outcome, settings.quantile_method, BY_FAMILY_COLUMNS,
                              family=SETS_FAMILY)
    u = len(model.units)
    table = pd.DataFrame({
        SET_COLUMN: np.repeat(sets.index.to_numpy(dtype=str), u), "unit": np.tile(model.units, n),
        "total": outcome.totals.ravel(), "total_rounded": model.shown(outcome.totals).ravel(),
        "rank": outcome.ranks.ravel(), "pass": outcome.passed.ravel()})[SETS_COLUMNS]
    label = settings.labels.get("families", {}).get(SETS_FAMILY, SETS_FAMILY)
    return WeightSetsResult(
        sets=table, summary=by_family[SUMMARY_COLUMNS], by_family=by_family,
        families=pd.DataFrame([family_row(SETS_FAMILY, label, outcome, nominal_rank)], columns=FAMILY_COLUMNS),
        nominal=nominal, outcome=outcome)
