"""The stages glued to the project's files: load params, read processed metrics, score, write.

Each function reads only the stage before it through the files named in
docs/architecture.md, so any stage can be re-run alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from scoring import engine
from scoring.errors import DataError
from scoring.index.spec import IndexSpec, Node, Units, load_index, load_units
from scoring.project import Project, check_month
from scoring.safeio import write_csv


def load_spec(project: Project, index_file: str | Path | None = None) -> tuple[IndexSpec, Units]:
    """The index (or an alternative index file) and the units of `project`."""
    return load_index(index_file or project.index_file), load_units(project.units_file)


def index_tree(spec: IndexSpec) -> dict[str, Any]:
    """The index as nested dicts (code, name, level, points, children / metrics)."""

    def node_dict(node: Node) -> dict[str, Any]:
        out: dict[str, Any] = {"code": node.code, "name": node.name, "level": node.level,
                               "points": node.points}
        if node.children:
            out["children"] = [node_dict(c) for c in node.children]
        if node.metrics:
            out["children"] = [
                {"code": m.code, "name": m.name, "short": m.short, "level": spec.levels[-1],
                 "points": m.points, "unit": m.unit, "direction": m.direction, "method": m.method,
                 "params": m.params, "weight": m.weight, "source": m.source}
                for m in node.metrics
            ]
        return out

    tree = node_dict(spec.root)
    tree.update(version=spec.version, document=spec.document, pass_line=spec.pass_line,
                sha256=spec.sha256)
    return tree


def read_metrics(project: Project, month: str, params: tuple[IndexSpec, Units] | None = None) -> pd.DataFrame:
    """data/processed/M/metrics.csv as a DataFrame (month, unit, metric, value), checked
    against the index and units (`params`, loaded from the project when not given)."""
    path = project.metrics_file(check_month(month))
    if not path.is_file():
        raise DataError(f"{path}: not found — run `credit-county ingest --month {month}` first")
    frame = pd.read_csv(path, dtype={"month": str, "unit": str, "metric": str})
    engine.check_metric_table(*(params or load_spec(project)), frame, source=str(path))
    return frame


def read_metrics_history(project: Project, until: str) -> pd.DataFrame:
    """Every processed month up to and including `until`, in one table."""
    months = [m for m in project.processed_months() if m <= until]
    params = load_spec(project)
    frames = [read_metrics(project, m, params) for m in months]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["month", "unit", "metric", "value"])


def score_month(project: Project, month: str) -> Path:
    """Score `month`; write outputs/M/scores.csv (one row per unit) and points.csv (tidy)."""
    spec, units = load_spec(project)
    metrics = read_metrics(project, month)
    points = engine.score(spec, units, metrics)
    return write_scores(points, engine.summarise(spec, units, points), project.output_month(month))


def write_scores(points: pd.DataFrame, summary: pd.DataFrame, folder: Path) -> Path:
    """One month's points.csv (the tidy table) and scores.csv (one row per unit) into `folder`."""
    write_csv(points, folder / "points.csv")
    return write_csv(summary.drop(columns="month"), folder / "scores.csv")
