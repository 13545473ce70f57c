"""Where a report's numbers come from: input hashes, parameter hash, package version.

`data_record` is what the stage tables were computed from (no clock time, no absolute path:
the same inputs give the same record); `run_record` adds when the build ran and how long it
took (RUN_FIELDS) — provenance.json of a bulletin is the one file of a build that differs
between two runs on the same inputs, and only in those fields. `project_path` names a file in
a record: relative to the project, so that where the project lies leaves no trace.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
from pathlib import Path
from typing import Any

from scoring import __version__
from scoring.hashing import sha256_file, sha256_named
from scoring.project import Project
from scoring.safeio import atomic_write_text

#: The fields of provenance.json that differ between two builds of the same inputs.
RUN_FIELDS = ("run_time", "duration_seconds", "notebook_seconds")


def project_path(project: Project, path: str | Path) -> str:
    """`path` as a record names it: relative to the project root (POSIX) when it lies inside the
    project, else as given ('' for none)."""
    if not str(path):
        return ""
    resolved = Path(path).resolve()
    if resolved.is_relative_to(project.root.resolve()):
        return resolved.relative_to(project.root.resolve()).as_posix()
    return str(path)


#: params files no stage and no report reads (the archive site's labels): a change to them
#: neither rebuilds a report nor blocks a carry-over.
SITE_ONLY_PARAMS = frozenset({"site.yaml"})


def params_hash(project: Project) -> str:
    """SHA-256 over every params/*.yaml file but SITE_ONLY_PARAMS (name and bytes, in name order)."""
    return sha256_named((p.name, p.read_bytes()) for p in sorted(project.params.glob("*.yaml"))
                        if p.name not in SITE_ONLY_PARAMS)


def history_hash(project: Project, month: str) -> str:
    """SHA-256 over the processed metrics of every month up to and including `month`: what a
    month's reports depend on besides the params (trends and changes use the earlier months)."""
    return sha256_named((m, project.metrics_file(m).read_bytes()) for m in project.processed_months() if m <= month)


def file_hash(path: str | Path | None) -> str | None:
    """SHA-256 of a file's bytes (None for no file)."""
    return sha256_file(path) if path else None


def read_manifest(project: Project, month: str) -> dict[str, Any]:
    """data/processed/M/manifest.json (written by ingest), or {} when absent; StateError naming
    the file when it is damaged (not UTF-8, empty, not JSON, keys of the wrong kind)."""
    from scoring.errors import StateError
    from scoring.state import read_state_json

    path = project.processed_month(month) / "manifest.json"
    if not path.exists():
        return {}
    info = read_state_json(path, "the processed month's record", f"run `credit-county ingest --month {month}` "
                           "to write it again from data/raw", {"inputs": list, "files": list, "synthetic": bool})
    if not all(isinstance(f, dict) for f in info.get("inputs", info.get("files", []))):
        raise StateError(f"{path}: key 'inputs': must be a list of objects — run `credit-county ingest --month "
                         f"{month}` to write it again from data/raw")
    return info


def is_synthetic(project: Project, month: str) -> bool:
    """True when the month's processed data came from the demo generator (示例数据)."""
    return bool(read_manifest(project, month).get("synthetic", False))


def data_record(project: Project, month: str) -> dict[str, Any]:
    """What a month's stage tables were computed from: inputs, metrics, params, software."""
    info = read_manifest(project, month)
    inputs = [
        {"file": f.get("name") or f.get("file") or f.get("path"), "sha256": f.get("sha256"), "rows": f.get("rows")}
        for f in info.get("inputs", info.get("files", []))
    ]
    metrics_file = project.metrics_file(month)
    return {
        "month": month,
        "inputs": inputs,
        "metrics_sha256": sha256_file(metrics_file) if metrics_file.is_file() else None,
        "params_sha256": params_hash(project),
        "history_sha256": history_hash(project, month),
        "index_version": info.get("index_version"),
        "package_version": __version__,
        "python": platform.python_version(),
        "synthetic": bool(info.get("synthetic", False)),
    }


def run_record(project: Project, month: str, *, now: dt.datetime | None = None, seconds: float | None = None,
               notebooks: dict[str, float] | None = None) -> dict[str, Any]:
    """`data_record` plus the run (RUN_FIELDS): `now`, when the build started (default: the clock),
    `seconds` the whole build took and `notebooks` (name → seconds to run and render), each
    rounded to 0.1 s; the durations are left out when not given."""
    record = {**data_record(project, month),
              "run_time": (now or dt.datetime.now(dt.UTC)).astimezone().isoformat(timespec="seconds")}
    if seconds is not None:
        record["duration_seconds"] = round(seconds, 1)
    if notebooks is not None:
        record["notebook_seconds"] = {name: round(s, 1) for name, s in notebooks.items()}
    return record


def write_record(path: Path, rec: dict[str, Any]) -> Path:
    return atomic_write_text(path, json.dumps(rec, ensure_ascii=False, indent=2) + "\n")
