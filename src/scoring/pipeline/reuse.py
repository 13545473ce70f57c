"""Incremental rebuild: a report whose inputs are unchanged since the published month is copied, not run.

A report's key (`report_key`) hashes, conservatively, everything its files can depend on:
- the stage folder as the score stage wrote it (every stage table, index.yaml, stage.json —
  a report reads the whole folder through `scoring.report.load`), `stage_hash`;
- every file under params/ (but the archive site's labels, provenance.SITE_ONLY_PARAMS) and
  the report's notebook file;
- the software (`software_record`): the package version, a hash of the package's own files
  (code and templates, so an edit without a version bump counts), Python and the versions of
  the libraries that execute and render a notebook;
- the job: its name, parameters other than paths (`PATH_PARAMETERS`), title block, Word date
  and author, and where its files go in the month.

The published month records each report's key and the SHA-256 of its files in reports.json
(`REPORTS_FILE`; no time, no absolute path: byte-reproducible). `plan` copies a report's
published files into the new build when its key is the same and every recorded file is there
with its recorded bytes; anything else (no record, another key, a file missing or changed,
`force`) runs it. Only reports that succeeded are ever recorded, so a failed one is never
reused (a failed build is not published at all).

The key is per month, not per unit: a change to one unit's data changes the stage tables and
so every report of the month is run again.
"""

from __future__ import annotations

import json
import platform
import shutil
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from scoring import __version__
from scoring.errors import StateError
from scoring.hashing import sha256_bytes, sha256_file, sha256_named
from scoring.pipeline.batch import Job
from scoring.project import Project
from scoring.provenance import SITE_ONLY_PARAMS
from scoring.safeio import atomic_write_text
from scoring.state import read_state_json

#: The month's record of every report's key and files (beside run.json).
REPORTS_FILE = "reports.json"
#: Notebook parameters that are paths (where the project and the build lie): not part of a key.
PATH_PARAMETERS = ("root", "tables")
#: The libraries whose version a report's bytes depend on (executing, displaying, rendering).
LIBRARIES = ("papermill", "nbclient", "nbformat", "nbconvert", "ipykernel", "jupyter_client", "typst",
             "matplotlib", "numpy", "pandas", "python-docx", "pyyaml", "pydantic", "jinja2")


@dataclass
class Plan:
    """`run`: the jobs to execute; `reused`: names whose published files were copied into the
    build; `keys`: name → key of every job; `inputs`: the shared inputs' record (shared_inputs);
    `changed`: which of them differ from the published month's ([] when the same or unknown)."""

    run: list[Job] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)


def _tree_hash(folder: Path, skip: frozenset[str] = frozenset()) -> str:
    """SHA-256 over every file below `folder` (POSIX relative path and bytes, in path order) but
    those whose relative path is in `skip`."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                   and p.relative_to(folder).as_posix() not in skip)
    return sha256_named((p.relative_to(folder).as_posix(), p.read_bytes()) for p in files)


@cache
def software_record() -> dict[str, str]:
    """The software a report is built with: package version, a hash of the package's files,
    Python, and each of LIBRARIES' version ('' when not installed)."""
    import scoring

    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = ""
    return {"package_version": __version__, "package_sha256": _tree_hash(Path(scoring.__file__).parent),
            "python": platform.python_version(), **{f"lib:{k}": v for k, v in versions.items()}}


def stage_hash(stage: Path) -> str:
    """SHA-256 of the stage folder as the score stage left it: call it before any report runs."""
    return _tree_hash(stage)


def shared_inputs(project: Project, stage: Path) -> dict[str, Any]:
    """What every report of the build shares: the stage tables' hash, params/'s, the software."""
    return {"stage_sha256": stage_hash(stage), "params_sha256": _tree_hash(project.params, SITE_ONLY_PARAMS),
            "software": software_record()}


def shared_key(inputs: dict[str, Any]) -> str:
    """The hash of `inputs` (shared_inputs)."""
    return sha256_bytes(json.dumps(inputs, sort_keys=True).encode())


def job_files(job: Job, stage: Path) -> list[str]:
    """The job's files (executed notebook, HTML, PDF, Word) relative to the build folder, POSIX."""
    return [Path(p).resolve().relative_to(stage.resolve()).as_posix()
            for p in (job.executed, job.html, job.pdf, job.docx) if p is not None]


def report_key(job: Job, stage: Path, shared: str) -> str:
    """The job's key: `shared` (shared_key), its notebook's bytes and the job itself without paths."""
    parameters = {k: v for k, v in job.parameters.items() if k not in PATH_PARAMETERS}
    record = {"shared": shared, "notebook": sha256_file(job.notebook), "name": job.name,
              "parameters": parameters, "title": job.title, "subtitle": job.subtitle,
              "synthetic": job.synthetic, "date": str(job.date) if job.date else None, "author": job.author,
              "files": job_files(job, stage)}
    return sha256_bytes(json.dumps(record, sort_keys=True, ensure_ascii=False, default=str).encode())


def _read(folder: Path) -> dict[str, Any]:
    path = folder / REPORTS_FILE
    if not path.is_file():
        return {}
    try:
        return read_state_json(path, "the published month's report keys", "build with --force",
                               {"reports": dict, "inputs": dict})
    except StateError:
        return {}


def read_published(folder: Path) -> dict[str, dict[str, Any]]:
    """The published month's reports.json: name → {"key", "files": {file: sha256}}; {} when it is
    absent or damaged (then every report runs: never reuse on a doubtful record)."""
    reports = _read(folder).get("reports", {})
    return {name: entry for name, entry in reports.items()
            if isinstance(entry, dict) and isinstance(entry.get("key"), str) and isinstance(entry.get("files"), dict)}


def _unchanged(published: Path, entry: dict[str, Any], files: list[str]) -> bool:
    recorded = entry["files"]
    return sorted(recorded) == sorted(files) and all(
        (published / f).is_file() and sha256_file(published / f) == recorded[f] for f in files)


def plan(project: Project, jobs: list[Job], stage: Path, published: Path, *, force: bool = False) -> Plan:
    """Split `jobs` into those to run and those whose published files are copied into `stage` now.

    Call right after the score stage wrote `stage` (its hash is part of every key)."""
    result = Plan(inputs=shared_inputs(project, stage))
    shared = shared_key(result.inputs)
    before = {} if force else read_published(published)
    earlier = _read(published).get("inputs") or {}
    result.changed = [k for k in result.inputs if earlier and earlier.get(k) != result.inputs[k]]
    for job in jobs:
        key = result.keys[job.name] = report_key(job, stage, shared)
        files = job_files(job, stage)
        entry = before.get(job.name)
        if entry and entry["key"] == key and _unchanged(published, entry, files):
            for f in files:
                (stage / f).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(published / f, stage / f)
            result.reused.append(job.name)
        else:
            result.run.append(job)
    return result


def write_reports(stage: Path, month: str, planned: Plan, jobs: list[Job], succeeded: list[str],
                  carried: dict[str, dict[str, Any]] | None = None) -> Path:
    """reports.json in the build: the shared inputs (planned.inputs), each succeeded job's key and
    files' SHA-256 (job order; a job with a file missing is left out), then `carried` (name → the
    published entry of a report carried over). A failed job is never recorded, so never reused."""
    done = set(succeeded)
    reports = {job.name: {"key": planned.keys[job.name],
                          "files": {f: sha256_file(stage / f) for f in job_files(job, stage)}}
               for job in jobs if job.name in done and all((stage / f).is_file() for f in job_files(job, stage))}
    reports.update({name: entry for name, entry in (carried or {}).items() if name not in reports})
    record = {"month": month, "inputs": planned.inputs, "reports": reports}
    text = json.dumps(record, ensure_ascii=False, indent=2) + "\n"
    return atomic_write_text(stage / REPORTS_FILE, text)
