"""The raw data contract (`params/sources.yaml`) as typed objects.

The contract names each source (unit register, indicator sheet, list records, reviewer
scores), its files and sheets, its columns with their Chinese headers, types and ranges.
The indicator sheet's metric columns are not listed there: they come from the index
(every metric with `source: sheet`), typed by the contract's `metric_kinds` rules.
`annual_sources` are the inputs of a year folder (data/raw/YYYY/), e.g. the acceptance
reviewers' scores; they use the same fields, with year windows for their dates.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from scoring.config import read_yaml
from scoring.errors import SpecError
from scoring.index.spec import IndexSpec, Metric

TYPES = ("unit", "text", "credit_code", "choice", "date", "count", "number", "ratio", "flag", "metric")
MONTH_WINDOWS = ("until_month_end", "in_month", "in_month_or_next")  # dates of a month folder's sources
YEAR_WINDOWS = ("in_year_or_next_january",)  # dates of a year folder's (annual) sources
WINDOWS = MONTH_WINDOWS + YEAR_WINDOWS
REGISTER_SOURCE = "register"
INDICATOR_SOURCE = "indicators"
RECORDS_SOURCE = "records"
REVIEW_SOURCE = "reviews"
SOURCE_KEYS = (REGISTER_SOURCE, INDICATOR_SOURCE, RECORDS_SOURCE, REVIEW_SOURCE)
ANNUAL_REVIEW_SOURCE = "annual_reviews"  # data/raw/YYYY/reviews.csv|xlsx: on-site and off-site scores
ANNUAL_SOURCE_KEYS = (ANNUAL_REVIEW_SOURCE,)


def header_key(text: object) -> str:
    """A header as compared: NFKC (full-width → ASCII), no white space, lower case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


def header_keys(text: object) -> list[str]:
    """The header itself and, if it ends with a bracketed unit ('法人企业数（户）'), without it."""
    key = header_key(text)
    keys = [key]
    stripped = re.sub(r"\([^()]*\)$", "", key)
    if stripped and stripped != key:
        keys.append(stripped)
    return keys


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a source: canonical name, Chinese header, type and allowed values."""

    name: str
    label: str
    type: str
    unit: str = ""
    required: bool = True
    empty_ok: bool = False
    aliases: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    values: tuple[str, ...] = ()
    window: str | None = None
    earliest: dt.date | None = None
    note: str = ""
    metric: Metric | None = None  # set for the indicator sheet's metric columns

    @property
    def header(self) -> str:
        """The template's header: the label with its unit, e.g. 法人企业数（户）."""
        return f"{self.label}（{self.unit}）" if self.unit else self.label


@dataclass(frozen=True)
class SourceSpec:
    """One kind of input (a CSV file or a workbook sheet)."""

    key: str
    title: str
    sheets: tuple[str, ...]
    files: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    multiple_files: bool = False
    per_unit: bool = False
    unique: tuple[str, ...] = ()
    row_rules: tuple[str, ...] = ()
    set_rules: tuple[str, ...] = ()
    skip_blank: tuple[str, ...] = ()
    counted: tuple[str, ...] = ()
    flag_values: dict[str, int] = field(default_factory=dict)
    provider: str = ""
    note: str = ""
    foreign: dict[str, str] = field(default_factory=dict)  # header key → why it does not belong here

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def aliases(self) -> dict[str, str]:
        """Every accepted header key → canonical column name."""
        out: dict[str, str] = {}
        for c in self.columns:
            for text in (c.name, c.label, c.header, *c.aliases):
                for key in header_keys(text):
                    out.setdefault(key, c.name)
        return out

    def matches_file(self, stem: str) -> bool:
        return any(fnmatch.fnmatch(header_key(stem), header_key(p)) for p in self.files)

    def matches_sheet(self, sheet: str) -> bool:
        return header_key(sheet) in {header_key(s) for s in self.sheets}


@dataclass(frozen=True)
class Contract:
    """The whole contract: sources plus file handling, encodings, template and demo marks.

    `sources` are a month folder's (data/raw/YYYY-MM/); `annual` those of a year folder
    (data/raw/YYYY/), which the month's reading, checks and template never see.
    """

    version: str
    sha256: str
    mark: str
    marker_file: str
    data_extensions: tuple[str, ...]
    ignored: tuple[str, ...]
    notes_sheets: tuple[str, ...]
    encodings: tuple[str, ...]
    template: dict[str, Any]
    sources: dict[str, SourceSpec]
    path: str = ""
    annual: dict[str, SourceSpec] = field(default_factory=dict)

    def source(self, key: str) -> SourceSpec:
        return self.sources[key]

    def annual_source(self, key: str) -> SourceSpec:
        return self.annual[key]

    def source_for_file(self, stem: str) -> SourceSpec | None:
        return next((s for s in self.sources.values() if s.matches_file(stem)), None)

    def source_for_sheet(self, sheet: str) -> SourceSpec | None:
        return next((s for s in self.sources.values() if s.matches_sheet(sheet)), None)

    def is_notes_sheet(self, sheet: str) -> bool:
        return header_key(sheet) in {header_key(s) for s in self.notes_sheets}

    def is_ignored(self, name: str) -> bool:
        return name.startswith(".") or any(fnmatch.fnmatch(name.lower(), p.lower()) for p in self.ignored)


def index_metrics(spec: IndexSpec) -> list[Metric]:
    """The index's metrics, with `per` read from each metric's own entry of the index file.

    (`scoring.spec` 0.1.0 gives every metric of an indicator the `per` of the indicator's
    last metric; this reads it per metric, and equals `spec.metrics()` once that is fixed.)
    """
    own: dict[str, Any] = {}

    def visit(node: dict[str, Any]) -> None:
        for entry in node.get("metrics") or []:
            if isinstance(entry, dict):
                own[str(entry.get("code"))] = entry.get("per")
        for child in node.get("children") or []:
            if isinstance(child, dict):
                visit(child)

    visit(spec.raw or {})
    if not own:
        return spec.metrics()
    return [replace(m, per=own.get(m.code)) for m in spec.metrics()]


def metric_kind(rules: list[dict[str, Any]], metric: Metric) -> dict[str, Any]:
    """The first `metric_kinds` rule that matches the metric (by method, per, or unit)."""
    for rule in rules:
        if "method" in rule and rule["method"] != metric.method:
            continue
        if "per" in rule and bool(rule["per"]) != (metric.per is not None):
            continue
        if "units" in rule and metric.unit not in rule["units"]:
            continue
        return rule
    return {"type": "number"}


def sheet_unit(metric: Metric, kind: str) -> str:
    """The unit of the figure typed in the sheet: for a `per` metric the count's unit
    (个/万户法人企业 → 个), else the metric's unit; none for ratios and yes/no items (`kind`:
    the column's type by `metric_kinds`, which picks ratio and flag by the index's units and methods)."""
    if kind in ("ratio", "flag"):
        return ""
    return metric.unit.split("/")[0] if metric.per else metric.unit


def load_contract(path: str | Path, spec: IndexSpec) -> Contract:
    """Read params/sources.yaml; refuse it, listing every problem, when it is wrong."""
    path = Path(path)
    data, sha256 = read_yaml(path)
    problems: list[str] = []
    sources_raw = data.get("sources") or {}
    for key in SOURCE_KEYS:
        if key not in sources_raw:
            problems.append(f"{path}: sources.{key} is missing")
    register_labels = {
        str(c["name"]): str(c.get("label", c["name"]))
        for c in (sources_raw.get(REGISTER_SOURCE) or {}).get("columns") or []
        if isinstance(c, dict) and c.get("type") == "count" and c.get("name")
    }
    reviews_title = str((sources_raw.get(REVIEW_SOURCE) or {}).get("title") or REVIEW_SOURCE)
    sources: dict[str, SourceSpec] = {}
    for key, entry in sources_raw.items():
        if key not in SOURCE_KEYS:
            problems.append(f"{path}: sources.{key}: unknown source (known: {', '.join(SOURCE_KEYS)})")
            continue
        sources[key] = _source(path, key, entry or {}, spec, problems, register_labels, reviews_title=reviews_title)
    annual_raw = data.get("annual_sources") or {}
    if not isinstance(annual_raw, dict):
        problems.append(f"{path}: annual_sources must be a mapping of sources")
        annual_raw = {}
    annual: dict[str, SourceSpec] = {}
    for key, entry in annual_raw.items():
        if key not in ANNUAL_SOURCE_KEYS:
            problems.append(f"{path}: annual_sources.{key}: unknown annual source "
                            f"(known: {', '.join(ANNUAL_SOURCE_KEYS)})")
            continue
        annual[key] = _source(path, key, entry or {}, spec, problems, register_labels, section="annual_sources")
    for where, group, allowed in (("sources", sources, MONTH_WINDOWS), ("annual_sources", annual, YEAR_WINDOWS)):
        problems.extend(f"{path}: {where}.{s.key}.{c.name}: window {c.window!r} does not fit a "
                        f"{'month' if allowed is MONTH_WINDOWS else 'year'} folder (use one of {allowed})"
                        for s in group.values() for c in s.columns
                        if c.type == "date" and c.window in WINDOWS and c.window not in allowed)
    synthetic = data.get("synthetic") or {}
    files = data.get("files") or {}
    for name, value in (("synthetic.mark", synthetic.get("mark")), ("synthetic.marker_file",
                                                                      synthetic.get("marker_file"))):
        if not isinstance(value, str) or not value:
            problems.append(f"{path}: {name} must be text")
    if problems:
        raise SpecError("data contract is not valid:\n  " + "\n  ".join(problems), problems=problems)
    return Contract(
        version=str(data.get("version", "")),
        sha256=sha256,
        mark=str(synthetic["mark"]),
        marker_file=str(synthetic["marker_file"]),
        data_extensions=tuple(str(e).lower() for e in files.get("data_extensions", [".csv", ".xlsx"])),
        ignored=tuple(files.get("ignored", [])),
        notes_sheets=tuple(files.get("notes_sheets", [])),
        encodings=tuple(data.get("encodings") or ("utf-8", "gbk", "gb18030")),
        template=dict(data.get("template") or {}),
        sources=sources,
        path=str(path),
        annual=annual,
    )


def _column(path: Path, where: str, entry: Any, problems: list[str]) -> ColumnSpec | None:
    if not isinstance(entry, dict) or not entry.get("name") or not entry.get("label"):
        problems.append(f"{path}: {where}: a column needs name and label, got {entry!r}")
        return None
    kind = entry.get("type")
    if kind not in TYPES:
        problems.append(f"{path}: {where}.{entry['name']}: type {kind!r} is not one of {TYPES}")
    window = entry.get("window")
    if kind == "date" and window not in (None, *WINDOWS):
        problems.append(f"{path}: {where}.{entry['name']}: window {window!r} is not one of {WINDOWS}")
    if kind == "choice" and not entry.get("values"):
        problems.append(f"{path}: {where}.{entry['name']}: a choice needs values")
    earliest = entry.get("earliest")
    if isinstance(earliest, str):
        try:
            earliest = dt.date.fromisoformat(earliest)
        except ValueError:
            problems.append(f"{path}: {where}.{entry['name']}: earliest {earliest!r} is not YYYY-MM-DD")
            earliest = None
    return ColumnSpec(
        name=str(entry["name"]), label=str(entry["label"]), type=str(kind), unit=str(entry.get("unit") or ""),
        required=bool(entry.get("required", True)), empty_ok=bool(entry.get("empty_ok", False)),
        aliases=tuple(str(a) for a in entry.get("aliases") or ()), min=entry.get("min"), max=entry.get("max"),
        values=tuple(str(v) for v in entry.get("values") or ()), window=window, earliest=earliest,
        note=str(entry.get("note") or ""),
    )


def _metric_column(metric: Metric, rules: list[dict[str, Any]], overrides: dict[str, Any],
                   register_labels: dict[str, str], notes: dict[str, str]) -> ColumnSpec:
    """A metric's column of the indicator sheet; its note is the contract's `metric_notes`
    template (`per` for a metric divided by the register, else `plain`) filled in."""
    kind = {**metric_kind(rules, metric), **(overrides.get(metric.code) or {})}
    register = register_labels.get(metric.per["register"], metric.per["register"]) if metric.per else ""
    note = notes["per" if metric.per else "plain"].format(name=metric.name, short=metric.short, code=metric.code,
                                                          unit=metric.unit, register=register)
    kind_name = str(kind.get("type", "number"))
    return ColumnSpec(
        name=metric.code, label=metric.short, type=kind_name, unit=sheet_unit(metric, kind_name),
        required=True, empty_ok=True, aliases=(metric.code, metric.name), min=kind.get("min"),
        max=kind.get("max"), note=note, metric=metric,
    )


METRIC_NOTE_FIELDS = ("name", "short", "code", "unit", "register")


def _metric_notes(path: Path, where: str, entry: dict[str, Any], problems: list[str]) -> dict[str, str]:
    """The `metric_notes` templates of the indicator sheet ({name}, {short}, {code}, {unit}, {register})."""
    raw = entry.get("metric_notes")
    notes = {"plain": "{name}", "per": "{name}"}
    if not isinstance(raw, dict):
        problems.append(f"{path}: {where}.metric_notes must be a mapping with plain and per "
                        f"(templates with {', '.join('{' + f + '}' for f in METRIC_NOTE_FIELDS)})")
        return notes
    for key in notes:
        text = raw.get(key)
        if not isinstance(text, str) or not text:
            problems.append(f"{path}: {where}.metric_notes.{key} must be text")
            continue
        try:
            text.format(**dict.fromkeys(METRIC_NOTE_FIELDS, ""))
        except (KeyError, IndexError, ValueError) as exc:
            problems.append(f"{path}: {where}.metric_notes.{key}: {text!r} is not a template of "
                            f"{', '.join('{' + f + '}' for f in METRIC_NOTE_FIELDS)} ({exc!r})")
            continue
        notes[key] = text
    problems.extend(f"{path}: {where}.metric_notes.{key}: unknown (known: plain, per)" for key in raw
                    if key not in notes)
    return notes


def _source(path: Path, key: str, entry: dict[str, Any], spec: IndexSpec, problems: list[str],
            register_labels: dict[str, str], section: str = "sources", reviews_title: str = REVIEW_SOURCE,
            ) -> SourceSpec:
    where = f"{section}.{key}"
    columns = [c for i, e in enumerate(entry.get("columns") or []) if (c := _column(path, f"{where}.columns[{i}]",
                                                                                     e, problems))]
    foreign: dict[str, str] = {}
    metric_cols: list[ColumnSpec] = []
    if entry.get("metric_columns") == "sheet":
        rules = list(entry.get("metric_kinds") or [])
        overrides = dict(entry.get("overrides") or {})
        notes = _metric_notes(path, where, entry, problems)
        codes = {m.code for m in spec.metrics()}
        problems.extend(f"{path}: {where}.overrides: {code!r} is not a metric of the index"
                        for code in overrides if code not in codes)
        for m in index_metrics(spec):
            if m.per and m.per["register"] not in register_labels:
                problems.append(f"{path}: metric {m.code} is divided by register column {m.per['register']!r}, "
                                f"which sources.register does not have (it has {sorted(register_labels)})")
            if m.source == "sheet":
                metric_cols.append(_metric_column(m, rules, overrides, register_labels, notes))
            else:
                why = (f"is computed from the list records ({m.derive}), not typed in" if m.source == "records"
                       else f"comes from the reviewer scores ({reviews_title}), not from this sheet")
                for text in (m.code, m.short, m.name):
                    for k in header_keys(text):
                        foreign.setdefault(k, f"{m.code} ({m.short}) {why}")
    if metric_cols:  # the metrics after the required columns, before the optional ones (备注)
        cut = next((i for i, c in enumerate(columns) if not c.required), len(columns))
        columns[cut:cut] = metric_cols
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        problems.append(f"{path}: {where}: duplicate column names {sorted({n for n in names if names.count(n) > 1})}")
    seen: dict[str, str] = {}
    for c in columns:
        for text in (c.name, c.label, c.header, *c.aliases):
            for k in header_keys(text):
                if seen.get(k, c.name) != c.name:
                    problems.append(f"{path}: {where}: header {text!r} would mean both {seen[k]!r} and {c.name!r}")
                seen.setdefault(k, c.name)
    for fld in ("unique", "skip_blank"):
        problems.extend(f"{path}: {where}.{fld}: {n!r} is not a column" for n in entry.get(fld) or [] if n not in names)
    sheets = tuple(str(s) for s in entry.get("sheets") or ())
    files = tuple(str(s) for s in entry.get("files") or ())
    if not sheets or not files:
        problems.append(f"{path}: {where}: needs sheets and files")
    return SourceSpec(
        key=key, title=str(entry.get("title") or key), sheets=sheets, files=files, columns=tuple(columns),
        multiple_files=bool(entry.get("multiple_files", False)), per_unit=bool(entry.get("per_unit", False)),
        unique=tuple(entry.get("unique") or ()), row_rules=tuple(entry.get("row_rules") or ()),
        set_rules=tuple(entry.get("set_rules") or ()), skip_blank=tuple(entry.get("skip_blank") or ()),
        counted=tuple(str(v) for v in entry.get("counted") or ()),
        flag_values={str(k): int(v) for k, v in (entry.get("flag_values") or {}).items()},
        provider=str(entry.get("provider") or ""), note=str(entry.get("note") or "").strip(), foreign=foreign,
    )
