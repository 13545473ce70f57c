"""The score stage: data/processed (every month up to M) + params → the month's stage tables.

`score_stage` scores every processed month up to M (each month on its own), analyses M
(scoring.analysis.monthly: changes, profiles, problems, movers, creation progress, the
weighting's sensitivity) and writes the tables (scoring.tables) into a folder. Three callers:
  `score_month`   credit-county score --month M → outputs/M (the tables only)
  the bulletin    into its build folder, before any notebook runs
  `trial_stage`   a researcher's alternative index, weights or sensitivity settings →
                  outputs/trials/M-<key>/, so the shared outputs and params stay untouched
Every report reads only such a folder.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from scoring import engine, provenance, tables
from scoring.analysis import monthly
from scoring.analysis.acceptance_rules import load_rules
from scoring.analysis.history import Scored
from scoring.errors import CreditCountyError, DataError
from scoring.hashing import sha256_bytes
from scoring.index.spec import IndexSpec, Units, load_index, load_units
from scoring.index.weights import alternative_weights
from scoring.project import Project, check_month
from scoring.safeio import scratch_prefix, staged_dir
from scoring.state import read_state_csv

TRIALS = "trials"
SENSITIVITY_CHANGES = ("draws", "weight_range", "seed")
READERS = 2  # threads reading the processed months' metrics at once (this machine's two cores)


def load_spec(project: Project, index_file: str | Path | None = None) -> tuple[IndexSpec, Units]:
    """The index (or an alternative index file) and the units of `project`."""
    return load_index(index_file or project.index_file), load_units(project.units_file)


def read_metrics(project: Project, month: str, params: tuple[IndexSpec, Units]) -> pd.DataFrame:
    """data/processed/M/metrics.csv (month, unit, metric, value), checked against `params`."""
    return _checked_metrics(project, month, params).frame


def _checked_metrics(project: Project, month: str, params: tuple[IndexSpec, Units],
                     categories: bool = False) -> engine.CheckedMetrics:
    """read_metrics, keeping what the check found (engine.score_checked scores it without a second check);
    `categories`: month, unit and metric as pandas categories (read without a text per row)."""
    path = project.metrics_file(check_month(month))
    if not path.is_file():
        raise DataError(f"{path}: not found — run `credit-county ingest --month {month}` first")
    frame = read_state_csv(path, "the processed metrics", _reingest(month),
                           {"month": str, "unit": str, "metric": str, "value": float}, categories=categories)
    return engine.checked_metrics(*params, frame, source=str(path))


def read_metrics_history(project: Project, until: str, params: tuple[IndexSpec, Units]) -> pd.DataFrame:
    """Every processed month up to and including `until`, in one table."""
    frames = [read_metrics(project, m, params) for m in project.processed_months() if m <= until]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["month", "unit", "metric", "value"])


def read_list_entries(project: Project, month: str) -> pd.DataFrame | None:
    """data/processed/M/list_entries.csv as written by ingest (text as it came in), or None."""
    path = project.processed_month(month) / "list_entries.csv"
    if not path.is_file():
        return None
    return read_state_csv(path, "the processed list records", _reingest(month), None)


def _reingest(month: str) -> str:
    return f"run `credit-county ingest --month {month}` to write it again from data/raw"


def score_history(project: Project, month: str, spec: IndexSpec, units: Units) -> Scored:
    """Every processed month up to and including `month`, scored (each month on its own); the months'
    metrics are read and checked `READERS` at a time (the results taken in month order, so the first
    bad month is the one raised). The points are kept as the engine laid them out (engine.TidyPoints:
    the score stage reads two months' rows) when it scored the months' grid itself."""
    path = project.metrics_file(month)
    if not path.is_file():
        raise DataError(f"{path}: not found — run `credit-county ingest --month {month}` first")
    months = [m for m in project.processed_months() if m <= month]
    with ThreadPoolExecutor(READERS) as pool:  # (Arrow parses without the GIL: two months at a time)
        parts = list(pool.map(lambda m: _checked_metrics(project, m, (spec, units), categories=True), months))
    points, summary = engine.score_and_summarise_tidy(spec, units, parts)  # engine.score of read_metrics_history
    scored_months = sorted(summary["month"].unique())
    if isinstance(points, engine.TidyPoints) and points.month_size and points.months == scored_months:
        return Scored(spec, units, month, points, summary, points.month_rows())
    table = engine.points_frame(points)
    return Scored(spec, units, month, table, summary, engine.month_rows(table, scored_months))


@dataclass(frozen=True)
class Trial:
    """A researcher's variation of the published analysis (docs/sensitivity.md): another index
    file, a weights file, or other sensitivity settings (draws, weight_range, seed)."""

    index_file: str | None = None
    weights_file: str | None = None
    sensitivity: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, index_file: str | None = None, weights_file: str | None = None, **sensitivity: Any) -> Trial:
        unknown = sorted(set(sensitivity) - set(SENSITIVITY_CHANGES))
        if unknown:
            raise CreditCountyError(f"unknown sensitivity settings {unknown}; allowed: {SENSITIVITY_CHANGES}")
        chosen = tuple((k, sensitivity[k]) for k in SENSITIVITY_CHANGES if sensitivity.get(k) is not None)
        return cls(str(index_file) if index_file else None, str(weights_file) if weights_file else None, chosen)

    def __bool__(self) -> bool:
        return bool(self.index_file or self.weights_file or self.sensitivity)

    def record(self) -> dict[str, Any] | None:
        """What stage.json says of the trial (None for the published analysis)."""
        if not self:
            return None
        files = {k: {"file": v, "sha256": provenance.file_hash(v)}
                 for k, v in (("index_file", self.index_file), ("weights_file", self.weights_file)) if v}
        return {**files, "sensitivity": dict(self.sensitivity)}


def score_stage(project: Project, month: str, out: str | Path, trial: Trial = Trial()) -> Path:
    """Compute every stage table of `month` and write them into `out`; returns its stage.json."""
    from scoring.analysis import sensitivity as sens  # (scipy.stats: loaded when the stage runs, not to read)

    month = check_month(month)
    spec, units = load_spec(project, trial.index_file)
    if trial.weights_file:
        spec = alternative_weights(spec, trial.weights_file)
    rules = load_rules(project.params / "review.yaml", spec)
    settings = sens.load_settings(project.params / "sensitivity.yaml")
    if trial.sensitivity:
        settings = dataclasses.replace(settings, **dict(trial.sensitivity))
    scored = score_history(project, month, spec, units)
    list_entries = read_list_entries(project, month)
    found = monthly.month_tables(scored, list_entries, rules)
    values = monthly.metric_values(found["points"], spec)
    found.update(monthly.sensitivity_tables(spec, units, values, settings))
    index_yaml = (project.index_file.read_text(encoding="utf-8") if not trial.index_file and not trial.weights_file
                  else _yaml(spec.raw))
    meta = {
        "month": month, "months": scored.months, "synthetic": provenance.is_synthetic(project, month),
        "list_records": list_entries is not None,
        "index": {"source": provenance.project_path(project, spec.path), "version": spec.version,
                  "sha256": spec.sha256},
        "trial": trial.record(),
        "sensitivity": {k: getattr(settings, k) for k in SENSITIVITY_CHANGES},
        "provenance": provenance.data_record(project, month),
    }
    return tables.write_tables(out, found, meta, index_yaml)


def _yaml(data: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def score_month(project: Project, month: str) -> Path:
    """`credit-county score --month M`: the stage tables into outputs/M. They are computed in a
    temporary folder first and moved in only when all of them exist (stage.json last), so a
    failure leaves the month's earlier tables as they were."""
    final = project.output_month(month)
    final.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=scratch_prefix(month), dir=project.outputs) as scratch:
        score_stage(project, month, scratch)
        names = sorted(p.name for p in Path(scratch).iterdir())
        for name in [n for n in names if n != tables.STAGE_FILE] + [tables.STAGE_FILE]:
            os.replace(Path(scratch) / name, final / name)
    return final / tables.STAGE_FILE


def trial_stage(project: Project, month: str, trial: Trial) -> Path:
    """The stage folder of a trial: outputs/trials/M-<key>/, (re)computed unless it is current.
    The key hashes the trial's files and settings, the params and the processed data."""
    key = sha256_bytes(json.dumps({"trial": trial.record(), "params": provenance.params_hash(project),
                                   "data": provenance.history_hash(project, month)}, sort_keys=True).encode())
    folder = project.outputs / TRIALS / f"{month}-{key[:12]}"
    if not (folder / tables.STAGE_FILE).is_file():
        with staged_dir(folder) as scratch:  # built beside it, swapped in whole
            score_stage(project, month, scratch, trial)
    return folder
