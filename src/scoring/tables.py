"""The stage tables: the files the score stage writes and every report reads.

A month's stage folder (outputs/YYYY-MM/, or a researcher's trial folder) holds one CSV
per table below, `index.yaml` (the index exactly as scored, alternative weights applied)
and `stage.json` (what the tables were computed from, and each table's SHA-256). Floats
are written at full precision (shortest round-trip repr) and read back bit for bit, so an
independent re-computation can compare every number at 1e-9 from the files alone. Text
cells that a spreadsheet would run as formulas are prefixed with an apostrophe on
writing and restored on reading (`safeio.neutralise_cell`).

`write_tables` writes a set; `StageFolder` reads it, checking that each table exists,
has its columns and kinds of value (scoring.state) and is the one `stage.json` names.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from scoring.csvbytes import fast_csv
from scoring.errors import DataError, StateError
from scoring.hashing import sha256_bytes, sha256_file
from scoring.safeio import atomic_write_bytes, atomic_write_text
from scoring.state import read_state_csv, read_state_json, short

STAGE_FILE = "stage.json"
INDEX_FILE = "index.yaml"


@dataclass(frozen=True)
class TableSpec:
    """One stage table: its file, its columns (name → Python type: str, float, int or bool) and
    what a row is. `open_columns`: more columns may follow (one per category code in the scores)."""

    name: str
    row: str
    columns: dict[str, type]
    open_columns: bool = False

    @property
    def file(self) -> str:
        return f"{self.name}.csv"


def _spec(name: str, row: str, columns: str, open_columns: bool = False) -> TableSpec:
    """A TableSpec from 'col:type col:type …' (type defaults to float)."""
    types = {"str": str, "float": float, "int": int, "bool": bool}
    cols = {}
    for item in columns.split():
        col, _, kind = item.partition(":")
        cols[col] = types[kind or "float"]
    return TableSpec(name, row, cols, open_columns)


SCORES = "month:str unit:str name:str tier:str total total_rounded rank:int tier_rank:int pass:bool"
CATALOGUE: dict[str, TableSpec] = {t.name: t for t in (
    _spec("points", "month × unit × node or metric: raw value, fraction (0–1), points (index points), flags",
          "month:str unit:str level:str code:str parent:str raw_value fraction points max_points flags:str"),
    _spec("scores", "unit this month: category points, total, total as printed, rank, tier rank, 达标",
          SCORES, open_columns=True),
    _spec("history", "month × unit, every scored month up to this one (as scores)", SCORES, open_columns=True),
    _spec("changes", "unit: total and rank against the month before (delta of the printed totals), points "
          "still needed to the pass line (as printed, 0 when 达标)",
          "unit:str name:str tier:str total total_rounded rank:int tier_rank:int pass:bool prev_total "
          "prev_rank delta_total rank_change gap"),
    _spec("city", "the month city-wide: units, mean total, 达标 count now and the month before, their changes "
          "(as printed), the score rate under which an indicator is listed as weak",
          "month:str n_units:int mean_total n_pass:int prev_n_pass prev_mean_total delta_mean delta_pass "
          "weak_line"),
    _spec("city_tiers", "tier of units (params/units.yaml order): position, units, mean total, 达标 count, the same "
          "the month before and the changes (of the printed means)",
          "tier:str position:int n_units:int mean_total n_pass:int prev_mean_total prev_n_pass delta_mean "
          "delta_pass"),
    _spec("year_on_year", "unit: total, printed total, rank, 达标 this month and in the same month last year "
          "(empty without it), the change of the printed totals and of the rank (> 0 = moved up)",
          "unit:str last_year_month:str total total_rounded rank:int pass:bool last_total last_total_rounded "
          "last_rank last_pass delta_total rank_change"),
    _spec("year_on_year_categories", "unit × category: points this month and in the same month last year "
          "(empty without it), the change of the printed points", "unit:str code:str points last_points delta"),
    _spec("city_year_on_year", "the month city-wide against the same month last year (empty without it): "
          "units, mean total and 达标 count then and now, their changes (as printed)",
          "month:str last_year_month:str n_units:int mean_total n_pass:int last_n_units:int last_mean_total "
          "last_n_pass:int delta_mean delta_pass:int"),
    _spec("categories", "unit × category: points, max points, fraction, city median and best",
          "unit:str code:str points max_points fraction city_median city_max"),
    _spec("indicators", "unit × indicator: points, lost (max − points), fraction, city median fraction, "
          "difference to it as printed (relative), percentile among units (1 = best)",
          "unit:str code:str parent:str points max_points lost fraction city_median_fraction relative percentile"),
    _spec("strengths", "unit × listed indicator: side (strength | weakness) and its order in the list",
          "unit:str side:str position:int code:str"),
    _spec("problems", "unit × problem: kind (weak | zero_tolerance | missing), code, the value, points lost",
          "unit:str kind:str code:str value lost"),
    _spec("movers", "units that gained (up) or lost (down) most points since the month before",
          "direction:str position:int unit:str"),
    _spec("indicator_moves", "indicators whose city mean points moved most since the month before",
          "code:str before now delta"),
    _spec("movements", "list entries and exits of the month (the records behind the list metrics): one row per "
          "entry and one per exit, so an entity listed and delisted in the month has both",
          "unit:str movement:str entity:str credit_code:str list_type:str domain:str entry_date:str "
          "exit_date:str"),
    _spec("progress", "unit during the creation months: points needed, months left, slope, projection",
          "unit:str total needed months_left:int slope projected on_track:bool"),
    _spec("crossings", "unit whose 达标 changed since the month before: direction (up = 达标 now, down = no "
          "longer), printed totals before and now", "unit:str direction:str prev_total_rounded total_rounded"),
    _spec("zero_tolerance", "unit × zero-tolerance metric failed this month: indicator, raw value (cases), points "
          "lost, failed the month before too, a veto of the annual acceptance (params/review.yaml vetoes)",
          "unit:str code:str parent:str raw_value lost prev_failed:bool veto:bool"),
    _spec("city_indicators", "indicator city-wide: position (1 = lowest score rate), score rate (Σ points / Σ "
          "max points) now and the month before, max points per unit, points lost by all units, units weak",
          "position:int code:str parent:str fraction prev_fraction max_points lost units_weak:int"),
    _spec("drivers", "unit × indicator whose points moved most in the direction of the unit's total since the "
          "month before (order 1 = most): points before, now, change", "unit:str order:int code:str before now delta"),
    _spec("issues", "the month's problems grouped: kind, the group's position within its kind (1 = most points "
          "lost by its units), indicator or metric, unit, its value (score rate or raw value), points lost",
          "kind:str position:int code:str unit:str value lost"),
    _spec("metric_detail", "unit × metric: raw value, city median raw value, fraction, points, max points, points "
          "lost, flags (each unit's metrics by points lost)",
          "unit:str code:str parent:str raw_value city_median fraction points max_points lost flags:str"),
    _spec("list_counts", "unit: entities on the counted lists at the end of the month, entries and exits during "
          "it (the counts behind the list metrics; one row of movements per entry and per exit)",
          "unit:str listed:int entered:int exited:int"),
    _spec("timeline", "scored month: phase of the creation programme (before | arrangement | creation | "
          "acceptance | after), months to the acceptance month, shown (from the latest arrangement month on)",
          "month:str phase:str months_left:int shown:bool"),
    _spec("sensitivity", "unit: nominal rank, median rank and 5–95% rank band over the draws (quantiles as "
          "params/sensitivity.yaml statistics.quantile_method: may fall between two ranks), 达标 probability",
          "unit:str nominal_rank:int median_rank rank_p05 rank_p95 pass_probability"),
    _spec("sensitivity_by_family", "scenario family × unit: as sensitivity",
          "family:str unit:str nominal_rank:int median_rank rank_p05 rank_p95 pass_probability"),
    _spec("sensitivity_scenarios", "scenario family: draws, mean Spearman ρ, mean |rank shift|, share moved > 2",
          "family:str label:str draws:int spearman mean_abs_shift share_moved_gt2"),
    _spec("sensitivity_sobol", "unit × factor: Sobol first-order and total indices with intervals",
          "unit:str factor:str S1 S1_low S1_high ST ST_low ST_high variance"),
    _spec("sensitivity_factors", "factor: mean S1 and ST over the units whose output varies",
          "factor:str S1 ST"),
    _spec("sensitivity_remove_one", "unit × indicator dropped: rank without it and the shift",
          "unit:str dropped:str nominal_rank:int rank_without:int shift:int"),
    _spec("sensitivity_remove_category", "unit × category dropped: rank without it and the shift",
          "unit:str dropped:str nominal_rank:int rank_without:int shift:int"),
    _spec("sensitivity_reading", "unit × decision (rank | pass) × uncertain input varied alone: fragile, "
          "order (1 = the input that makes it most fragile), rank band, share of draws off the rank, 达标 probability",
          "unit:str subject:str input:str family:str fragile:bool order:int nominal_rank:int nominal_pass:bool "
          "median_rank rank_p05 rank_p95 moved pass_probability"),
    _spec("sensitivity_inputs", "uncertain input (per perturbed level for the weights): what it could do — "
          "range, nominal, alternatives, the families that vary it",
          "input:str level:str count:int low high nominal options:str families:str"),
    _spec("sensitivity_sets", "recorded weight set × unit (credit-county sensitivity --weight-sets): total, "
          "total as printed, rank, 达标",
          "set:str unit:str total total_rounded rank:int pass:bool"),
    _spec("review", "unit: platform figure, reviewers' scores, combined score (0–100), rank, passed, reason",
          "unit:str platform onsite offsite combined combined_rounded rank:int passed:bool reason:str"),
    _spec("reviewers", "unit: the reviewers' validated scores (0–100), reviewers and date",
          "unit:str onsite offsite onsite_reviewer:str offsite_reviewer:str review_date:str"),
    _spec("titles", "the titles register after the year's decisions: unit × decision year",
          "unit:str year:int status:str valid_until:str combined reason:str"),
)}


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    """Deterministic UTF-8 CSV: floats as their shortest round-trip repr, '\\n' line ends, formula-safe
    cells (pandas' bytes, `csvbytes.fast_csv`: the score stage runs alone, the long tables on two threads)."""
    return fast_csv(frame, threads=2)


def conform(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with the table's columns in order (an open table keeps its own order, e.g. the
    category columns of `scores` before the total); DataError if one is missing."""
    spec = CATALOGUE[name]
    missing = [c for c in spec.columns if c not in frame.columns]
    if missing:
        raise DataError(f"stage table {name}: the code produced no column(s) {missing}")
    return frame if spec.open_columns else frame[list(spec.columns)]


def write_tables(folder: str | Path, tables: dict[str, pd.DataFrame], meta: dict[str, Any],
                 index_yaml: str | None = None) -> Path:
    """Write every table of `tables` into `folder` (each atomic), then stage.json: `meta` plus
    each table's file, rows and SHA-256. stage.json is written last: a folder whose stage.json
    names a table's hash holds exactly that table."""
    folder = Path(folder)
    listed = {}
    for name, frame in tables.items():
        data = _csv_bytes(conform(name, frame))
        atomic_write_bytes(folder / CATALOGUE[name].file, data)
        listed[name] = {"file": CATALOGUE[name].file, "rows": len(frame), "sha256": sha256_bytes(data)}
    if index_yaml is not None:
        atomic_write_text(folder / INDEX_FILE, index_yaml)
        meta = {**meta, "index_sha256": sha256_bytes(index_yaml.encode("utf-8"))}
    record = {**meta, "tables": listed}
    return atomic_write_text(folder / STAGE_FILE, json.dumps(record, ensure_ascii=False, indent=2) + "\n")


def rerun_hint(folder: Path) -> str:
    """What rewrites a stage folder: the score stage (YYYY-MM), the review (YYYY), else its command."""
    name = Path(folder).name
    if re.fullmatch(r"\d{4}-\d{2}", name):
        return f"re-run `credit-county score --month {name}` (or the bulletin) to write it again"
    if re.fullmatch(r"\d{4}-\d{2}-.+", name):
        return "remove this trial folder and run the trial again to write it again"
    if re.fullmatch(r"\d{4}", name):
        return f"re-run `credit-county review --year {name}` to write it again"
    return "re-run the command that wrote this folder (score, review or sensitivity) to write it again"


def read_table(path: Path, name: str) -> pd.DataFrame:
    """One stage table as written, with its column types; StateError naming the file otherwise."""
    path = Path(path)
    return read_state_csv(path, f"the stage table {name}", rerun_hint(path.parent), CATALOGUE[name].columns)


#: What stage.json's keys hold, where present (`tables` is required).
STAGE_FIELDS: dict[str, type | tuple[type, ...]] = {
    "tables": dict, "month": str, "year": int, "months": list, "synthetic": bool, "list_records": bool,
    "index": dict, "index_sha256": str, "trial": (dict, type(None)), "sensitivity": dict, "provenance": dict,
    "reviewers_file": dict, "rules_sha256": str}
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass
class StageFolder:
    """A folder of stage tables: `meta` is its stage.json; `table(name)` reads one table, once.

    Everything read is checked: stage.json (UTF-8 JSON, each table listed with its file and a
    SHA-256), each table against the hash stage.json records for it, then its columns and
    value kinds, and index.yaml against `index_sha256`. Damage is a StateError naming the file."""

    folder: Path
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.folder = Path(self.folder)
        if not (self.folder / STAGE_FILE).is_file():
            month = self.folder.name if re.fullmatch(r"\d{4}-\d{2}", self.folder.name) else "YYYY-MM"
            raise StateError(f"{self.folder / STAGE_FILE}: no stage tables here ({STAGE_FILE} is missing) — run "
                             f"`credit-county score --month {month}` (or the bulletin) first")

    @property
    def fix(self) -> str:
        return rerun_hint(self.folder)

    @cached_property
    def meta(self) -> dict[str, Any]:
        path = self.folder / STAGE_FILE
        data = read_state_json(path, "the stage record", self.fix, STAGE_FIELDS)
        if "tables" not in data:
            raise StateError(f"{path}: not a stage record (no 'tables') — {self.fix}")
        problems = []
        for name, entry in data["tables"].items():
            spec = CATALOGUE.get(name)
            if spec is None:
                problems.append(f"{path}: tables.{name}: not a stage table (scoring.tables.CATALOGUE)")
            elif not isinstance(entry, dict) or entry.get("file") != spec.file:
                problems.append(f"{path}: tables.{name}: value {short(entry)} — must be an object with "
                                f"file {spec.file!r}")
            elif not isinstance(entry.get("sha256"), str) or not _SHA256.fullmatch(entry["sha256"]):
                problems.append(f"{path}: tables.{name}.sha256: value {short(entry.get('sha256'))} — must be a "
                                "SHA-256 (64 hexadecimal digits)")
        if problems:
            raise StateError(f"{path}: the stage record is damaged — {self.fix}",
                             problems=[*problems, f"{path}: {self.fix}"])
        return data

    @property
    def index_file(self) -> Path:
        """index.yaml, checked against the hash stage.json records for it (when it records one)."""
        path = self.folder / INDEX_FILE
        recorded = self.meta.get("index_sha256")
        if recorded is not None:
            self._check(path, recorded, "the index as scored")
        return path

    def has(self, name: str) -> bool:
        return name in self.meta["tables"]

    def _check(self, path: Path, recorded: str, what: str) -> None:
        if not path.is_file():
            raise StateError(f"{path}: {what} is missing (stage.json lists it) — {self.fix}")
        if sha256_file(path) != recorded:
            raise StateError(f"{path}: {what} changed since the score stage wrote it (its SHA-256 is not the one "
                             f"stage.json records) — {self.fix}")

    def table(self, name: str) -> pd.DataFrame:
        """The table `name` (a copy), checked against the hash stage.json records for it."""
        if name not in self._cache:
            entry = self.meta["tables"].get(name)
            if entry is None:
                raise StateError(f"{self.folder / STAGE_FILE}: the stage has no table {name!r} "
                                 f"(it has: {', '.join(self.meta['tables'])}) — {self.fix}")
            path = self.folder / CATALOGUE[name].file
            self._check(path, entry["sha256"], f"the stage table {name}")
            self._cache[name] = read_table(path, name)
        return self._cache[name].copy()
