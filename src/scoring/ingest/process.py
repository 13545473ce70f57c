"""One month: data/raw/YYYY-MM → validated, derived → data/processed/YYYY-MM (all or nothing).

Writes, in a folder built beside the old one and swapped in only when complete:
  metrics.csv       month, unit, metric, value — one row per unit × metric of the index
                    (units in params/units.yaml order, metrics in index order; empty = not reported)
  register.csv      unit, legal_persons, market_entities, population
  list_entries.csv  credit_code, entity, unit, list_type, domain, entry_date, exit_date, violations, movement,
                    counted (1 for the list types behind the 综合失信 metrics, 0 for 红名单)
  reviews.csv       unit, metric, score, reviewer, date, note
  manifest.json     inputs (name, sha256, rows, encoding), index / units / contract hashes,
                    package version, synthetic (示例数据) — no clock time, so a re-run is byte-identical
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scoring import __version__, provenance
from scoring.csvbytes import fast_csv
from scoring.errors import DataError, SpecError, StateError
from scoring.hashing import sha256_bytes, sha256_file
from scoring.index.spec import IndexSpec, Units, load_index, load_units
from scoring.ingest.cells import header_keys
from scoring.ingest.columns import column_facts, distinct_map, distinct_values, forget, in_order
from scoring.ingest.context import Context, DataProblem, sorted_lines
from scoring.ingest.contract import (
    INDICATOR_SOURCE,
    RECORDS_SOURCE,
    REGISTER_SOURCE,
    REVIEW_SOURCE,
    Contract,
    index_metrics,
    load_contract,
)
from scoring.ingest.derive import DERIVATIONS, entries_order, list_facts, movements, per_register
from scoring.ingest.messages import problem_count
from scoring.ingest.pools import pooled, typed_frame, validate_pool
from scoring.ingest.readers import InputFile, link_problem, read_month_folder
from scoring.ingest.tables import RawFrame, to_raw_frame, validate_table
from scoring.ingest.windows import MonthWindow
from scoring.project import Project, check_month
from scoring.safeio import atomic_write_bytes, staged_dir

SOURCES_FILE = "sources.yaml"
# the columns of the processed CSV files
ENTRIES_CSV_COLUMNS = ["credit_code", "entity", "unit", "list_type", "domain", "entry_date", "exit_date", "violations",
                 "movement", "counted"]
REGISTER_CSV_COLUMNS = ["unit", "legal_persons", "market_entities", "population"]
REVIEWS_CSV_COLUMNS = ["unit", "metric", "score", "reviewer", "date", "note"]
FLOAT_FORMAT = "%.10g"


@dataclass
class MonthData:
    """A validated month, ready to be written."""

    month: str
    metrics: pd.DataFrame
    register: pd.DataFrame
    entries: pd.DataFrame
    reviews: pd.DataFrame
    inputs: list[InputFile]
    synthetic: bool
    not_reported: list[tuple[str, str]] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)  # versions and hashes of index, units, contract


_PARAMS: dict[tuple[str, ...], tuple[IndexSpec, Units, Contract]] = {}  # by the files' paths and SHA-256
_PARAMS_KEPT = 4


def _params_key(project: Project) -> tuple[str, ...] | None:
    """The paths and SHA-256 of the index, units and contract files (None when one cannot be read)."""
    try:
        return tuple(f"{path}\x00{sha256_file(path)}"
                     for path in (project.index_file, project.units_file, project.params / SOURCES_FILE))
    except OSError:
        return None


def load_params(project: Project) -> tuple[IndexSpec, Units, Contract]:
    """The index, the units and the data contract; refuse derivations the registry lacks. The files
    are remembered by their paths and contents (the models are frozen): the months of one run read
    them once (2,844 units: about 0.2 CPU-s of YAML and validation)."""
    key = _params_key(project)
    loaded = _PARAMS.get(key) if key is not None else None
    if loaded is None:
        loaded = (spec := load_index(project.index_file), load_units(project.units_file),
                  load_contract(project.params / SOURCES_FILE, spec))
        if key is not None and _params_key(project) == key:  # not changed while read
            if len(_PARAMS) >= _PARAMS_KEPT:
                del _PARAMS[next(iter(_PARAMS))]
            _PARAMS[key] = loaded
    spec = loaded[0]
    unknown = [f"{project.index_file}: metric {m.code}: derive {m.derive!r} is not a known derivation "
               f"(known: {', '.join(sorted(DERIVATIONS))})"
               for m in spec.metrics() if m.source == "records" and m.derive not in DERIVATIONS]
    if unknown:
        raise SpecError(unknown[0], problems=unknown)
    return loaded


def _label(project: Project, path: Path) -> str:
    try:
        return path.relative_to(project.root).as_posix()
    except ValueError:
        return path.as_posix()


def read_raw_month(project: Project, month: str) -> MonthData:
    """Read data/raw/M, validate it and derive its metrics (nothing is written); raise DataError
    listing every problem."""
    try:
        return _read_raw_month(project, month)
    finally:
        forget()  # the columns' remembered factorisations
        gc.collect()  # the raw tables sit in reference cycles (checks ↔ context): freed now, not months later


def _read_raw_month(project: Project, month: str) -> MonthData:
    month = check_month(month)
    spec, units, contract = load_params(project)
    folder = project.raw_month(month)
    label = _label(project, folder)
    linked = link_problem(folder, project.root, label)
    if linked:
        raise DataError(linked)
    if not folder.is_dir():
        raise DataError(f"{label}: no raw data for {month} (a folder of the department files is needed)")
    inputs, read_problems = read_month_folder(folder, contract, label, project.root)
    ctx = Context(window=MonthWindow.of(month), units=units, spec=spec)
    problems: list[DataProblem] = [DataProblem(label, 0, i, p) for i, p in enumerate(read_problems)]

    metrics = index_metrics(spec)
    needed = {REGISTER_SOURCE: True, INDICATOR_SOURCE: any(m.source == "sheet" for m in metrics),
              RECORDS_SOURCE: any(m.source == "records" for m in metrics),
              REVIEW_SOURCE: any(m.source == "review" for m in metrics)}
    tables: dict[str, list[RawFrame]] = {key: [] for key in contract.sources}
    for item in inputs:
        for raw in item.tables:
            tables[raw.source.key].append(to_raw_frame(raw, problems))
    typed: dict[str, pd.DataFrame] = {}
    refused = {s.key for f in inputs if f.refused and (s := contract.source_for_file(Path(f.name).stem))}
    for key, source in contract.sources.items():
        found = tables[key]
        if not found and needed.get(key, False) and key not in refused:
            problems.append(DataProblem(label, 0, 90, f"{label}: no {source.title} ({key}) — expected a CSV file named "
                                                      f"{' or '.join(source.files)} (.csv), or a sheet "
                                                      f"{source.sheets[0]!r} in a workbook"))
        if len(found) > 1 and not source.multiple_files:
            problems.append(DataProblem(label, 0, 91, f"{label}: {source.title} is given more than once: "
                                                      f"{'; '.join(t.raw.where for t in found)} — keep one"))
        for table in found:
            problems.extend(validate_table(table, ctx))
        pool = pooled(source, found)
        problems.extend(validate_pool(source, found, ctx, pool))
        if not problems:  # valid so far: typed now, while what the checks learnt of its columns is remembered
            typed[key] = typed_frame(source, found, ctx, pool)
    problems.extend(_unscored_review_metrics(tables[REVIEW_SOURCE], ctx, label))
    problems.extend(_blank_sheet_metrics(tables[INDICATOR_SOURCE]))
    if problems:
        raise DataError(f"{label}: {problem_count(problems)} problem(s) — nothing was written",
                        problems=sorted_lines(problems))

    register = typed[REGISTER_SOURCE].set_index("unit").reindex(units.codes)
    synthetic = (folder / contract.marker_file).is_file() or any(
        contract.mark in str(v) for frame in typed.values() if "note" in frame.columns for v in frame["note"]
        if v is not None)
    values, not_reported = _metric_values(spec, units, contract, typed, register, month)
    return MonthData(
        month=month, metrics=values, register=register.reset_index()[REGISTER_CSV_COLUMNS],
        entries=_entries(typed[RECORDS_SOURCE], units, contract, month),
        reviews=_reviews(typed[REVIEW_SOURCE], units, spec),
        inputs=inputs, synthetic=synthetic, not_reported=not_reported,
        params={"index_version": spec.version, "index_sha256": spec.sha256, "units_sha256": units.sha256,
                "sources_version": contract.version, "sources_sha256": contract.sha256},
    )


def _unscored_review_metrics(tables: list[RawFrame], ctx: Context, label: str) -> list[DataProblem]:
    """A metric scored by reviewers with no score for any unit is a missing required metric."""
    scored: set[str] = set()
    for t in tables:
        if {"metric", "score"} <= set(t.frame.columns):
            named = t.frame.loc[t.frame["score"].notna(), "metric"]
            scored |= {ctx.metric_code(m) for m in pd.unique(named.to_numpy(dtype=object))}
    if not tables:
        return []
    return [DataProblem(label, 0, 95, f"{' + '.join(t.raw.where for t in tables)}: no score for {m.code} "
                                      f"({m.short}) — every item scored by reviewers needs scores (a unit without a "
                                      "score is scored 0 and flagged missing, but the item cannot be absent)")
            for m in ctx.spec.metrics() if m.source == "review" and m.code not in scored]


def _blank_sheet_metrics(tables: list[RawFrame]) -> list[DataProblem]:
    """A sheet metric whose column is there but empty for every unit is a metric nobody reported:
    refused like a missing column (one empty cell is a unit that did not report: scored 0, flagged).
    A sheet without data rows is left to the missing-unit check."""
    out: list[DataProblem] = []
    for t in tables:
        source = t.raw.source
        if not len(t.frame):
            continue
        for order, col in enumerate(source.columns):
            if col.metric is None or col.name not in t.frame.columns or t.frame[col.name].notna().any():
                continue
            written = t.headers.get(col.name, col.header)
            usual = {k for text in (col.name, col.header) for k in header_keys(text)}
            headed = "" if set(header_keys(written)) & usual else f", headed {written!r}"
            rows = f"rows {t.rows[0]}–{t.rows[-1]}" if len(t.rows) > 1 else f"row {t.rows[0]}"
            out.append(DataProblem(t.raw.where, 1, order,
                                   f"{t.raw.where}: column {col.name!r} ({col.header}{headed}) is empty in every row "
                                   f"({rows}) — a metric nobody reported is refused like a missing "
                                   "column: every metric with source: sheet needs its figures (leave a cell empty only "
                                   "for a unit that did not report)"))
    return out


def _metric_values(spec: IndexSpec, units: Units, contract: Contract, typed: dict[str, pd.DataFrame],
                   register: pd.DataFrame, month: str) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    sheet = typed[INDICATOR_SOURCE].set_index("unit").reindex(units.codes)
    reviews = typed[REVIEW_SOURCE]
    facts = list_facts(typed[RECORDS_SOURCE], register, units.codes, month,
                       contract.sources[RECORDS_SOURCE].counted)
    columns: dict[str, pd.Series] = {}
    for m in index_metrics(spec):
        if m.source == "sheet":
            counts = sheet[m.code].astype(float)
            columns[m.code] = per_register(counts, register, m.per) if m.per else counts
        elif m.source == "records":
            columns[m.code] = DERIVATIONS[str(m.derive)](facts).reindex(units.codes).astype(float)
        else:
            mine = reviews[reviews["metric"] == m.code]
            columns[m.code] = mine.set_index("unit")["score"].astype(float).reindex(units.codes)
    wide = pd.DataFrame(columns, index=units.codes)
    long = wide.stack(future_stack=True).rename("value").reset_index()
    long.columns = ["unit", "metric", "value"]
    long.insert(0, "month", month)
    missing = np.isnan(long["value"].to_numpy(dtype=float))
    not_reported = list(zip(long["unit"].to_numpy(dtype=object)[missing].tolist(),
                            long["metric"].to_numpy(dtype=object)[missing].tolist(), strict=True))
    return long[["month", "unit", "metric", "value"]], not_reported


def _entries(records: pd.DataFrame, units: Units, contract: Contract, month: str) -> pd.DataFrame:
    """The list records as list_entries.csv holds them: dates as ISO text (empty: none), the month's
    movement, whether the list type is counted; sorted by unit, list type, entry date and code."""
    counted_types = contract.sources[RECORDS_SOURCE].counted
    types = contract.sources[RECORDS_SOURCE].column("list_type").values
    columns = {name: records[name] for name in ENTRIES_CSV_COLUMNS[:5]}
    for col in ("entry_date", "exit_date"):
        columns[col] = pd.Series(iso := distinct_map(records[col], lambda d: d.isoformat(), ""), index=records.index,
                                 dtype=object, copy=False)
        column_facts(iso).text = True  # every cell a str: none empty
    columns["violations"] = records["violations"].astype("Int64")
    columns["movement"] = movements(records, month) if len(records) else pd.Series(dtype=object)
    columns["counted"] = pd.Series(distinct_values(records["list_type"], lambda t: t in counted_types, False, bool)
                                   .astype(int), index=records.index)
    unit_at = _positions(records["unit"], units.codes)
    type_at = _positions(records["list_type"], types)
    days = distinct_values(records["entry_date"], dt.date.toordinal, 0, np.int64)  # ordinal ≥ 1; 0: no date ("")
    order = entries_order(unit_at, type_at, columns["entry_date"], records["credit_code"], days)
    return pd.DataFrame({name: in_order(columns[name], order) for name in ENTRIES_CSV_COLUMNS}, copy=False)


def _positions(values: pd.Series, order: list[str] | tuple[str, ...]) -> pd.Series:
    """Each cell's position in `order` (NaN when it is not there), once per distinct cell."""
    at = {value: float(i) for i, value in enumerate(order)}
    return pd.Series(distinct_values(values, lambda v: at.get(v, np.nan), np.nan, float), index=values.index)


def _reviews(reviews: pd.DataFrame, units: Units, spec: IndexSpec) -> pd.DataFrame:
    out = reviews.copy()
    order = {m.code: i for i, m in enumerate(spec.metrics())}
    unit_order = {code: i for i, code in enumerate(units.codes)}
    out["_u"], out["_m"] = out["unit"].map(unit_order), out["metric"].map(order)
    out = out.sort_values(["_u", "_m"], kind="stable")
    out["date"] = out["date"].map(lambda d: d.isoformat() if d is not None else "")
    out["note"] = out["note"].map(lambda v: "" if v is None else v)
    return out[REVIEWS_CSV_COLUMNS].reset_index(drop=True)


# --------------------------------------------------------------------------- writing


def manifest(data: MonthData, outputs: dict[str, bytes]) -> dict[str, Any]:
    """What a reviewer needs to trust the processed month: inputs, parameter hashes, versions
    (`outputs`: each written file's bytes)."""
    written = {"metrics.csv": data.metrics, "register.csv": data.register, "list_entries.csv": data.entries,
               "reviews.csv": data.reviews}  # their rows, as the CSV files hold them
    return {
        "month": data.month,
        "synthetic": data.synthetic,
        **data.params,
        "package_version": __version__,
        "inputs": [
            {"name": f.name, "sha256": f.sha256, "kind": f.kind, "encoding": f.encoding, "rows": f.rows,
             "tables": [{"source": t.source.key, "sheet": t.sheet, "rows": len(t.numbers)} for t in f.tables]}
            for f in data.inputs
        ],
        "outputs": {name: {"sha256": sha256_bytes(text), "rows": len(written[name]) if name in written else
                           _count_rows(text)} for name, text in outputs.items()},
        "not_reported": [{"unit": u, "metric": m} for u, m in data.not_reported],
        "list_movements": _movement_counts(data.entries),
    }


def _movement_counts(entries: pd.DataFrame) -> dict[str, int]:
    """How many counted entries entered, exited and stayed listed this month."""
    counted = entries["counted"].to_numpy() == 1
    return {k: int((np.asarray(entries["movement"] == k, dtype=bool) & counted).sum())
            for k in ("entered", "exited", "listed")}


def _count_rows(text: bytes) -> int:
    return max(0, len(pd.read_csv(io.BytesIO(text), dtype=str, keep_default_na=False)))


def month_files(data: MonthData) -> dict[str, bytes]:
    """The processed month's files as bytes (file name → content), manifest.json last: what
    `write_month` writes, computed anywhere (a Dask worker of `scoring.pipeline.ingesting`)."""
    files = {
        "metrics.csv": fast_csv(data.metrics, FLOAT_FORMAT),
        "register.csv": fast_csv(data.register, FLOAT_FORMAT),
        "list_entries.csv": fast_csv(data.entries, FLOAT_FORMAT),
        "reviews.csv": fast_csv(data.reviews, FLOAT_FORMAT),
    }
    files["manifest.json"] = (json.dumps(manifest(data, files), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return files


def write_stage(stage: Path, files: dict[str, bytes]) -> Path:
    """Write a processed month's files (`month_files`) into its stage folder (`safeio.new_stage`)."""
    for name, content in files.items():
        atomic_write_bytes(stage / name, content)
    return stage


def write_files(project: Project, month: str, files: dict[str, bytes]) -> Path:
    """Write a processed month's files (`month_files`) as a whole: built beside the old folder,
    swapped in when complete."""
    final = project.processed_month(month)
    with staged_dir(final) as stage:
        write_stage(stage, files)
    return final


def write_month(project: Project, data: MonthData) -> Path:
    """Write the processed month as a whole: built beside the old folder, swapped in when complete."""
    return write_files(project, data.month, month_files(data))


def ingest_month(project: Project, month: str) -> Path:
    """Validate data/raw/M and write data/processed/M; on any problem raise DataError and write nothing."""
    return write_month(project, read_raw_month(project, month))


def is_up_to_date(project: Project, month: str) -> bool:
    """True when data/processed/M was made from the raw files as they are now, with the same
    index, units, contract and package version (False when it is missing or stale)."""
    month = check_month(month)
    path = project.processed_month(month) / "manifest.json"
    if not path.is_file() or not project.metrics_file(month).is_file():
        return False
    try:
        info = provenance.read_manifest(project, month)
        spec, units, contract = load_params(project)
    except (ValueError, OSError, SpecError, StateError):  # a damaged record: ingest again
        return False
    folder = project.raw_month(month)
    if link_problem(folder, project.root, "") or any(
            link_problem(p, project.root, "") for p in folder.glob("*") if not p.name.startswith(".")):
        return False  # read_raw_month refuses it
    if not folder.is_dir():
        return True
    now = [(p.name, sha256_file(p)) for p in sorted(folder.iterdir()) if p.is_file() and not p.name.startswith(".")]
    then = [(f.get("name"), f.get("sha256")) for f in info.get("inputs", [])]
    return (now == then and info.get("index_sha256") == spec.sha256 and info.get("units_sha256") == units.sha256
            and info.get("sources_sha256") == contract.sha256 and info.get("package_version") == __version__)


