"""`credit-county sensitivity --month M`: a researcher's sensitivity analysis of one month, in its own folder.

The published analysis is the score stage's (outputs/M/sensitivity*.csv, from
params/sensitivity.yaml). This command runs the same analysis with other settings — a settings
file of the researcher's (`--settings`, validated like params/sensitivity.yaml), other
`--draws` or `--seed` — or scores recorded weight sets (`--weight-sets FILE.csv`, one row per
set, columns = node codes; docs/sensitivity.md) with the same statistics. It reads only
data/processed/M/metrics.csv and params/, and writes stage tables (scoring.tables: CSV at full
precision, stage.json with the settings used and every input's SHA-256) into
outputs/trials/M-sensitivity-<key>/ (or `--out`), swapped in whole; the shared params and
outputs are untouched. A peer re-running the command on the same files gets the same tables.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from scoring import provenance, tables
from scoring.analysis import monthly
from scoring.analysis import sensitivity as sens
from scoring.hashing import sha256_bytes
from scoring.pipeline.score import TRIALS, load_spec, read_metrics
from scoring.project import Project, check_month
from scoring.safeio import staged_dir

SENSITIVITY_RUN = "sensitivity"


def sensitivity_run(project: Project, month: str, *, settings_file: str | Path | None = None,
                    weight_sets: str | Path | None = None, draws: int | None = None, seed: int | None = None,
                    out: str | Path | None = None) -> Path:
    """Run the month's sensitivity analysis (or score `weight_sets`) and write its tables into a
    folder of their own; returns the folder's stage.json. Tables: without weight sets those of
    the score stage's analysis (monthly.sensitivity_tables); with them sensitivity,
    sensitivity_by_family, sensitivity_scenarios (family weight_sets) and sensitivity_sets."""
    month = check_month(month)
    spec, units = load_spec(project)
    settings_path = Path(settings_file) if settings_file else project.params / "sensitivity.yaml"
    settings = sens.load_settings(settings_path)
    changes = {k: v for k, v in (("draws", draws), ("seed", seed)) if v is not None}
    if changes:
        settings = dataclasses.replace(settings, **changes)
    values = sens.month_values(read_metrics(project, month, (spec, units)), month)
    if weight_sets:
        sets = sens.read_weight_sets(weight_sets, spec)
        found = sens.weight_set_analysis(spec, units, values, sets, settings).tables()
    else:
        found = monthly.sensitivity_tables(spec, units, values, settings)
    run = {
        "settings_file": {"file": provenance.project_path(project, settings_path),
                          "sha256": provenance.file_hash(settings_path)},
        "weight_sets": {"file": str(weight_sets), "sha256": provenance.file_hash(weight_sets)} if weight_sets else None,
        "settings": settings.to_data(),
    }
    key = sha256_bytes(json.dumps({"run": run, "params": provenance.params_hash(project),
                                   "data": provenance.history_hash(project, month)},
                                  sort_keys=True, ensure_ascii=False, default=str).encode())
    folder = Path(out) if out else project.outputs / TRIALS / f"{month}-{SENSITIVITY_RUN}-{key[:12]}"
    meta: dict[str, Any] = {
        "month": month, "run": SENSITIVITY_RUN, "synthetic": provenance.is_synthetic(project, month),
        "index": {"source": provenance.project_path(project, spec.path), "version": spec.version,
                  "sha256": spec.sha256},
        "trial": {k: v for k, v in run.items() if k != "settings"},
        "sensitivity": {k: getattr(settings, k) for k in ("draws", "weight_range", "seed")},
        "sensitivity_settings": run["settings"],
        "provenance": provenance.data_record(project, month),
    }
    with staged_dir(folder) as stage:
        tables.write_tables(stage, found, meta)
    return folder / tables.STAGE_FILE


def summary_lines(stage_file: str | Path) -> list[str]:
    """What the command prints: the folder, then one line per unit of sensitivity.csv (codes)."""
    folder = tables.StageFolder(Path(stage_file).parent)
    summary = folder.table("sensitivity").sort_values(["nominal_rank", "unit"])
    scenarios = folder.table("sensitivity_scenarios")
    counts = [f"{r.family}: {r.draws:,} {'sets' if r.family == sens.SETS_FAMILY else 'draws'}"
              for r in scenarios.itertuples()]
    lines = [f"wrote the sensitivity tables of {folder.meta['month']}: {folder.folder} ({', '.join(counts)})",
             f"{'unit':<12} {'rank':>4} {'median':>7} {'p05':>6} {'p95':>6} {'pass':>6}"]
    lines += [f"{r.unit:<12} {r.nominal_rank:>4} {r.median_rank:>7g} {r.rank_p05:>6g} {r.rank_p95:>6g} "
              f"{r.pass_probability:>6.1%}" for r in summary.itertuples()]
    return lines
