"""The plain reading: which unit's rank or 达标 decision is fragile, and which input makes it so.

For every uncertain input of `reading.inputs` that can vary, the draws that vary it alone (a
family whose `vary` is exactly that input, else draws of its own: `monte_carlo` makes them)
give per unit its rank band and pass probability under that input alone. A decision is
fragile under the input when

- 达标:  pass_band[0] < pass_probability < pass_band[1]   (default 5% and 95%)
- rank:  rank_p95 − rank_p05 ≥ rank_places               (default 1 place)

`order` ranks a unit's inputs for one decision, 1 = the one that makes it most fragile: for
达标 the pass probability nearest ½ (min(p, 1 − p) largest), for the rank the widest band, then
the largest share of draws off the published rank. The report turns the rows into sentences
("若将达标线在115–125分之间变动，郯城县有40%的情形达标"); `sensitivity_inputs` says what each
input's range was, so the sentence can name it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.analysis.sensitivity.design import Design
from scoring.analysis.sensitivity.settings import SensitivitySettings
from scoring.analysis.sensitivity.statistics import DrawsOutcome, unit_statistics
from scoring.analysis.sensitivity.tables import INPUT_COLUMNS, READING_COLUMNS


def reading_table(units: list[str], nominal: pd.DataFrame, single: dict[str, tuple[str, DrawsOutcome]],
                  settings: SensitivitySettings) -> pd.DataFrame:
    """One row per unit × decision (rank, pass) × input of `single` (input → (family code, its
    draws' outcome)), with fragile and order (module docstring)."""
    nominal_rank = nominal["rank"].to_numpy()
    low, high = settings.pass_band
    frames = []
    for name in [i for i in settings.reading_inputs if i in single]:
        family, outcome = single[name]
        found = unit_statistics(outcome, nominal_rank, settings.quantile_method)
        p = found["pass_probability"]
        width = found["rank_p95"] - found["rank_p05"]
        for subject, fragile, strength, tie in (("pass", (p > low) & (p < high), np.minimum(p, 1 - p), p * 0),
                                                ("rank", width >= settings.rank_places, width, found["moved"])):
            frames.append(pd.DataFrame({
                "unit": units, "subject": subject, "input": name, "family": family, "fragile": fragile,
                "nominal_rank": nominal_rank, "nominal_pass": nominal["pass"].to_numpy(dtype=bool),
                **{k: found[k] for k in ("median_rank", "rank_p05", "rank_p95", "moved", "pass_probability")},
                "_strength": strength, "_tie": tie}))
    if not frames:
        return pd.DataFrame(columns=READING_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["_unit"] = out["unit"].map({u: i for i, u in enumerate(units)})
    out["_input"] = out["input"].map({n: i for i, n in enumerate(settings.reading_inputs)})
    out = out.sort_values(["_unit", "subject", "_strength", "_tie", "_input"],
                          ascending=[True, True, False, False, True], kind="stable")
    out["order"] = out.groupby(["unit", "subject"]).cumcount() + 1
    return out.sort_values(["_unit", "subject", "order"], kind="stable")[READING_COLUMNS].reset_index(drop=True)


def inputs_table(designs: dict[str, Design], settings: SensitivitySettings,
                 families: dict[str, list[str]]) -> pd.DataFrame:
    """What every uncertain input could do in this run: one row per input (per perturbed level for
    the weights) — input, level, count (nodes, metrics or 1), low, high (weights: the multiplier's
    range; pass_line: the pass line's, in points), nominal, options (the alternatives, or the
    weights' rescale rule), families (the families varying it, space-separated)."""
    rows = []
    for name, des in designs.items():
        fams = " ".join(families.get(name, []))
        for b in des.blocks:
            row = {"input": name, "level": b.level, "count": len(b.codes), "low": np.nan, "high": np.nan,
                   "nominal": np.nan, "options": "", "families": fams}
            if name == "weights":
                row.update(low=1.0 - b.rate, high=1.0 + b.rate, nominal=1.0, options=settings.rescale)
            elif name == "normalisation":
                row["options"] = " ".join(des.model.swap_options)
            elif name == "aggregation":
                row["options"] = " ".join(settings.aggregations)
            elif name == "pass_line":
                row.update(low=settings.pass_line_range[0], high=settings.pass_line_range[1],
                           nominal=float(des.model.spec.pass_line))
            rows.append(row)
    return pd.DataFrame(rows, columns=INPUT_COLUMNS)
