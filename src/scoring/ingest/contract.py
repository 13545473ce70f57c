"""The raw data contract (`params/sources.yaml`) as typed models (pydantic), every problem listed.

The contract names each source (unit register, indicator sheet, list records, reviewer
scores), its files and sheets, its columns with their Chinese headers, types and ranges.
The indicator sheet's metric columns are not listed there: they come from the index
(every metric with `source: sheet`), typed by the contract's `metric_kinds` rules; they
are added when the contract is read with the index (`load_contract`), and the checks
that need them (unique headers, keys that are columns) see them.
`annual_sources` are the inputs of a year folder (data/raw/YYYY/), e.g. the acceptance
reviewers' scores; they use the same fields, with year windows for their dates.
A wrong contract is refused as a whole: SpecError with one line per problem,
"params/sources.yaml: key.path: rule — value", the rule in Chinese (params/labels.yaml).
"""

from __future__ import annotations

import codecs
import fnmatch
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import (
    BeforeValidator,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from scoring.config import Strict, Text, read_yaml, validate
from scoring.index.spec import IndexSpec, Metric
from scoring.ingest.cells import header_key, header_keys
from scoring.ingest.sources import (
    ColumnSpec,
    FieldProblem,
    MetricNotes,
    Override,
    SourceSpec,
    TextTuple,
    TypeName,
    as_tuple,
    metric_kind,
    only_placeholders,
    refuse,
)
from scoring.ingest.types import COLUMN_TYPES, column_type
from scoring.ingest.windows import MONTH_WINDOWS, YEAR_WINDOWS

__all__ = ["ANNUAL_REVIEW_SOURCE", "INDICATOR_SOURCE", "RECORDS_SOURCE", "REGISTER_SOURCE", "REVIEW_SOURCE",
           "ColumnSpec", "Contract", "SourceSpec", "index_metrics", "load_contract", "metric_kind", "sheet_unit"]

REGISTER_SOURCE = "register"
INDICATOR_SOURCE = "indicators"
RECORDS_SOURCE = "records"
REVIEW_SOURCE = "reviews"
SOURCE_KEYS = (REGISTER_SOURCE, INDICATOR_SOURCE, RECORDS_SOURCE, REVIEW_SOURCE)
ANNUAL_REVIEW_SOURCE = "annual_reviews"  # data/raw/YYYY/reviews.csv|xlsx: on-site and off-site scores
ANNUAL_SOURCE_KEYS = (ANNUAL_REVIEW_SOURCE,)


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


def sheet_unit(metric: Metric, kind: str) -> str:
    """The unit of the figure typed in the sheet: for a `per` metric the count's unit
    (个/万户法人企业 → 个), else the metric's unit; none for the types whose header shows no
    unit (ratios and yes/no items; `kind`: the column's type by `metric_kinds`)."""
    if not COLUMN_TYPES[kind].shows_unit:
        return ""
    return metric.unit.split("/")[0] if metric.per else metric.unit


def _metric_column(metric: Metric, entry: SourceSpec, divisors: dict[str, str]) -> ColumnSpec:
    """A metric's column of the indicator sheet; its note is the contract's `metric_notes`
    template (`per` for a metric divided by the register, else `plain`) filled in."""
    kind = metric_kind(entry.metric_kinds, metric)
    override = entry.overrides.get(metric.code) or Override()
    register = divisors.get(metric.per["register"], metric.per["register"]) if metric.per else ""
    notes = entry.metric_notes or MetricNotes(plain="{name}", per="{name}")
    note = (notes.per if metric.per else notes.plain).format(name=metric.name, short=metric.short, code=metric.code,
                                                             unit=metric.unit, register=register)
    return ColumnSpec(name=metric.code, label=metric.short, type=kind.type, unit=sheet_unit(metric, kind.type),
                      required=True, empty_ok=True, aliases=(metric.code, metric.name),
                      min=kind.min if override.min is None else override.min,
                      max=kind.max if override.max is None else override.max, note=note, metric=metric)


def _listed_locs(key: str, entry: SourceSpec, columns: list[ColumnSpec]) -> list[tuple[str | int, ...]]:
    """Where each column comes from: its entry in `columns`, or the source's `metric_columns`."""
    index = {id(c): i for i, c in enumerate(entry.columns)}
    return [(key, "columns", index[id(c)]) if id(c) in index else (key, "metric_columns") for c in columns]


def _column_rules(key: str, entry: SourceSpec, columns: list[ColumnSpec]) -> list[FieldProblem]:
    """Across the columns of a source: names and headers mean one column each; keys are columns."""
    errors: list[FieldProblem] = []
    locs = _listed_locs(key, entry, columns)
    names = [c.name for c in columns]
    seen: dict[str, str] = {}
    for i, (c, loc) in enumerate(zip(columns, locs, strict=True)):
        if c.name in names[:i]:
            errors.append(((*loc, "name"), "contract_duplicate_column", "duplicate column name", {}, c.name))
            continue
        for text in dict.fromkeys((c.name, c.label, c.header, *c.aliases)):
            clash = next((seen[k] for k in header_keys(text) if seen.get(k, c.name) != c.name), None)
            if clash is not None:
                errors.append((loc, "contract_ambiguous_header", "header {header} would mean both {first} and "
                               "{second}", {"header": text, "first": clash, "second": c.name}, text))
            for k in header_keys(text):
                seen.setdefault(k, c.name)
    for fld in ("unique", "skip_blank"):
        errors += [((key, fld, j), "contract_not_a_column", "not a column (columns: {names})",
                    {"names": ", ".join(names)}, n) for j, n in enumerate(getattr(entry, fld)) if n not in names]
    rules = {(fld, rule): (text, ctx) for c in columns
             for fld, rule, text, ctx in column_type(c).source_rules(c, entry)}  # once per source
    errors += [((key, fld), rule, text, ctx, getattr(entry, fld)) for (fld, rule), (text, ctx) in rules.items()]
    return errors


def _sheet_metrics(key: str, entry: SourceSpec, spec: IndexSpec, divisors: dict[str, str], reviews_title: str,
                   ) -> tuple[list[ColumnSpec], dict[str, str], list[FieldProblem]]:
    """The metric columns of an indicator sheet, the headers of the other metrics (refused there), problems."""
    codes = {m.code for m in spec.metrics()}
    errors: list[FieldProblem] = [((key, "overrides", code), "contract_unknown_metric", "not a metric of the index", {},
                            code) for code in entry.overrides if code not in codes]
    columns: list[ColumnSpec] = []
    foreign: dict[str, str] = {}
    for m in index_metrics(spec):
        if m.per and m.per["register"] not in divisors:
            errors.append(((key, "metric_columns"), "contract_per_register", "metric {code} is divided by register "
                           "column {register}, which sources.register does not have as a count (it has {have})",
                           {"code": m.code, "register": m.per["register"], "have": ", ".join(divisors)},
                           m.per["register"]))
        elif m.source == "sheet":
            columns.append(_metric_column(m, entry, divisors))
        else:
            why = (f"is computed from the list records ({m.derive}), not typed in" if m.source == "records"
                   else f"comes from the reviewer scores ({reviews_title}), not from this sheet")
            for text in (m.code, m.short, m.name):
                for k in header_keys(text):
                    foreign.setdefault(k, f"{m.code} ({m.short}) {why}")
    return columns, foreign, errors


def _resolve(group: dict[str, SourceSpec], spec: IndexSpec | None, windows: tuple[str, ...],
             window_rule: str) -> tuple[dict[str, SourceSpec], list[FieldProblem]]:
    """The sources of a folder as the contract holds them (metric columns added), and their problems."""
    register = group.get(REGISTER_SOURCE)
    divisors = {c.name: c.label for c in register.columns if column_type(c).divisor} if register else {}
    reviews_title = group[REVIEW_SOURCE].title if REVIEW_SOURCE in group else REVIEW_SOURCE
    out: dict[str, SourceSpec] = {}
    errors: list[FieldProblem] = []
    for key, entry in group.items():
        errors += [((key, "columns", i, "window"), window_rule, "window {window} does not fit this folder "
                    "(use one of {allowed})", {"window": c.window, "allowed": ", ".join(windows)}, c.window)
                   for i, c in enumerate(entry.columns) if c.window is not None and c.window not in windows]
        columns, foreign = list(entry.columns), {}
        if entry.metric_columns is not None and spec is not None:
            metric_columns, foreign, found = _sheet_metrics(key, entry, spec, divisors, reviews_title)
            errors += found
            cut = next((i for i, c in enumerate(columns) if not c.required), len(columns))
            columns[cut:cut] = metric_columns  # after the required columns, before the optional ones (备注)
        errors += _column_rules(key, entry, columns)
        out[key] = entry.resolved(key, columns, foreign)
    return out, errors


class _Folder(Strict):
    """The sources of one kind of folder; validated with the index (`context={"spec": …}`)."""

    windows: ClassVar[tuple[str, ...]] = ()  # the date windows of this folder's sources
    window_rule: ClassVar[str] = ""  # the rule id of a window that does not fit
    _sources: dict[str, SourceSpec] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _with_the_index(self, info: ValidationInfo) -> _Folder:
        fields = type(self).model_fields
        group = {fields[name].alias or name: entry for name, entry in self if entry is not None}
        self._sources, errors = _resolve(group, (info.context or {}).get("spec"), self.windows, self.window_rule)
        refuse("sources", errors)
        return self


class MonthSources(_Folder):
    """A month folder's sources (data/raw/YYYY-MM/), every one of them required."""

    windows: ClassVar[tuple[str, ...]] = MONTH_WINDOWS
    window_rule: ClassVar[str] = "contract_window_not_month"

    register_: SourceSpec = Field(alias="register")  # (`register` would shadow the class's ABC method)
    indicators: SourceSpec
    records: SourceSpec
    reviews: SourceSpec


class AnnualSources(_Folder):
    """A year folder's sources (data/raw/YYYY/)."""

    windows: ClassVar[tuple[str, ...]] = YEAR_WINDOWS
    window_rule: ClassVar[str] = "contract_window_not_year"

    annual_reviews: SourceSpec | None = None


class RequiredText(Strict):
    required: Text
    optional: Text
    optional_column: Text


class AnnualTemplateSpec(Strict):
    """The reviewers' workbook of a year (`credit-county template --year YYYY --reviews`); the other
    texts (notes sheet, headers, type labels, errors) are the month template's."""

    file: Text = "reviews.xlsx"  # written to outputs/templates/YYYY/: the name data/raw/YYYY/ reads
    title: str = ""
    year_label: str = "{year}"
    intro: TextTuple = ()  # placeholders {year} {next} {file} {units}
    items_header: TextTuple = ()  # the notes sheet's table of scored items and their maxima
    range_text: dict[str, str] = Field(default_factory=dict)  # over the month template's; {units} in `unit`

    @field_validator("file", "year_label")
    @classmethod
    def _year_only(cls, text: str) -> str:
        return only_placeholders(text, ("year",))

    @field_validator("intro")
    @classmethod
    def _intro(cls, lines: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(only_placeholders(line, ("year", "next", "file", "units")) for line in lines)


class TemplateSpec(Strict):
    """The Excel template's texts (`credit-county template`)."""

    file: Text = "template-{month}.xlsx"
    notes_sheet: Text | None = None
    record_rows: Annotated[int, Field(gt=0)] = 1000  # rows of a records sheet that carry data validation
    title: str = ""
    intro: TextTuple = ()
    columns_header: TextTuple = ()
    sources_header: TextTuple = ()
    month_label: str = "{month}"
    type_labels: dict[TypeName, str] = Field(default_factory=dict)
    range_text: dict[str, str] = Field(default_factory=dict)
    required_text: RequiredText | None = None
    error_title: str = ""
    error_text: str = ""
    annual: AnnualTemplateSpec | None = None  # the reviewers' workbook of a year

    @field_validator("file", "month_label")
    @classmethod
    def _month_only(cls, text: str) -> str:
        return only_placeholders(text, ("month",))


class Synthetic(Strict):
    mark: Text  # in a 备注 cell, or …
    marker_file: Text  # … this file in the month folder: the month is synthetic demo data


class FileHandling(Strict):
    data_extensions: TextTuple = (".csv", ".xlsx")
    ignored: TextTuple = ()
    notes_sheets: TextTuple = ()
    max_megabytes: dict[str, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)  # per extension


def _encoding(name: str) -> str:
    try:
        codecs.lookup(name)
    except LookupError as exc:
        raise PydanticCustomError("contract_encoding", "not a known text encoding") from exc
    return name


class SourcesFile(Strict):
    """params/sources.yaml as written."""

    version: str = ""
    synthetic: Synthetic
    files: FileHandling = FileHandling()
    encodings: Annotated[tuple[Annotated[str, BeforeValidator(_encoding)], ...], BeforeValidator(as_tuple),
                         Field(min_length=1)] = ("utf-8", "gbk", "gb18030")
    template: TemplateSpec = TemplateSpec()
    sources: MonthSources
    annual_sources: AnnualSources = AnnualSources()


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
    max_megabytes: dict[str, float] = field(default_factory=dict)  # the largest data file read, per extension

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


def load_contract(path: str | Path, spec: IndexSpec) -> Contract:
    """Read params/sources.yaml with the index; refuse it, listing every problem, when it is wrong."""
    path = Path(path)
    data, sha256 = read_yaml(path)
    model = validate(SourcesFile, data, str(path), "the data contract", context={"spec": spec})
    return Contract(
        version=model.version,
        sha256=sha256,
        mark=model.synthetic.mark,
        marker_file=model.synthetic.marker_file,
        data_extensions=tuple(e.lower() for e in model.files.data_extensions),
        ignored=model.files.ignored,
        notes_sheets=model.files.notes_sheets,
        encodings=model.encodings,
        template=model.template.model_dump(exclude_unset=True),
        sources=dict(model.sources._sources),
        path=str(path),
        annual=dict(model.annual_sources._sources),
        max_megabytes={e.lower(): mb for e, mb in model.files.max_megabytes.items()},
    )
