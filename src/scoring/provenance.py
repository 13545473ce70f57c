"""Where a report's numbers come from: input hashes, parameter hash, package version, run time."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
from pathlib import Path
from typing import Any

from scoring import __version__
from scoring.project import Project


def params_hash(project: Project) -> str:
    """SHA-256 over every params/*.yaml file (name and bytes, in name order)."""
    digest = hashlib.sha256()
    for path in sorted(project.params.glob("*.yaml")):
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def history_hash(project: Project, month: str) -> str:
    """SHA-256 over the processed metrics of every month up to and including `month`: what a
    month's reports depend on besides the params (trends and changes use the earlier months)."""
    digest = hashlib.sha256()
    for m in project.processed_months():
        if m <= month:
            digest.update(m.encode() + b"\0" + project.metrics_file(m).read_bytes())
    return digest.hexdigest()


def file_hash(path: str | Path | None) -> str | None:
    """SHA-256 of a file's bytes (None for no file)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else None


def manifest(project: Project, month: str) -> dict[str, Any]:
    """data/processed/M/manifest.json (written by ingest), or {} when absent."""
    path = project.processed_month(month) / "manifest.json"
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def is_synthetic(project: Project, month: str) -> bool:
    """True when the month's processed data came from the demo generator (示例数据)."""
    return bool(manifest(project, month).get("synthetic", False))


def record(project: Project, month: str, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The provenance of a report on `month`: what a reviewer needs to reproduce it."""
    info = manifest(project, month)
    inputs = [
        {"file": f.get("name") or f.get("file") or f.get("path"), "sha256": f.get("sha256"), "rows": f.get("rows")}
        for f in info.get("inputs", info.get("files", []))
    ]
    metrics_file = project.metrics_file(month)
    return {
        "month": month,
        "inputs": inputs,
        "metrics_sha256": hashlib.sha256(metrics_file.read_bytes()).hexdigest() if metrics_file.is_file() else None,
        "params_sha256": params_hash(project),
        "history_sha256": history_hash(project, month),
        "index_version": info.get("index_version"),
        "package_version": __version__,
        "python": platform.python_version(),
        "synthetic": bool(info.get("synthetic", False)),
        "run_time": (now or dt.datetime.now(dt.UTC)).astimezone().isoformat(timespec="seconds"),
    }


def write_record(path: Path, rec: dict[str, Any]) -> Path:
    from scoring.safeio import atomic_write_text

    return atomic_write_text(path, json.dumps(rec, ensure_ascii=False, indent=2) + "\n")
