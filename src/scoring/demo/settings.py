"""params/demo.yaml as typed models (pydantic), checked against the index and the data contract.

The names the demo writes — file names, the notes sheet, the list types — must be what
params/sources.yaml reads; the metrics and methods it names must be the index's. A wrong
file is refused as a whole: SpecError with one line per problem,
"params/demo.yaml: key.path: rule — value", the rule in Chinese (params/labels.yaml).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, model_validator

from scoring.config import MonthNumber, Share, Strict, Text, read_yaml, validate
from scoring.demo.values import GENERATORS
from scoring.index.spec import IndexSpec
from scoring.ingest.contract import RECORDS_SOURCE, Contract
from scoring.ingest.sources import FieldProblem, as_tuple, refuse
from scoring.project import Project

SETTINGS_FILE = "demo.yaml"
NonEmptyTexts = Annotated[tuple[Text, ...], BeforeValidator(as_tuple), Field(min_length=1)]
Pair = Annotated[tuple[float, float], BeforeValidator(as_tuple)]  # [low, high] or [worst, best]
NonNegative = Annotated[float, Field(ge=0)]
Count = Annotated[int, Field(ge=0)]
Year = Annotated[int, Field(ge=1990, le=2100)]
GeneratorName = Literal[tuple(GENERATORS)]


class FileNames(Strict):
    """The file of each source (records: one per department, `{department}` in the name)."""

    register_: Text = Field(alias="register")  # (`register` would shadow the class's ABC method)
    indicators: Text
    records: Text
    reviews: Text

    def of(self, key: str) -> str:
        """The file name of source `key`."""
        return {(f.alias or name): getattr(self, name) for name, f in type(self).model_fields.items()}[key]


class ListTypes(Strict):
    black: Text  # counted
    watch: Text  # counted
    red: Text  # kept, not counted


class Lists(Strict):
    types: ListTypes
    stock_per_1000: Pair
    entries_per_1000_per_month: Pair
    exit_probability_per_month: Pair
    same_month_exit_probability: Share
    watch_share: Share
    violations_mean: NonNegative
    red_per_1000: Pair
    red_entries_per_1000_per_month: NonNegative
    first_listed: Annotated[dt.date, Field(strict=False)]  # YYYY-MM-DD


class Department(Strict):
    domains: NonEmptyTexts
    red_domains: Annotated[tuple[Text, ...], BeforeValidator(as_tuple)] = ()


class Trends(Strict):
    improving: Count
    slipping: Count


class EntityNames(Strict):
    prefix: str
    words: NonEmptyTexts
    trades: NonEmptyTexts
    suffixes: NonEmptyTexts
    rare: Text  # a character outside GBK


class AnnualReviews(Strict):
    scores: Pair
    noise: NonNegative
    onsite_reviewers: NonEmptyTexts
    offsite_reviewers: NonEmptyTexts
    days_from_year_end: Annotated[tuple[int, int], BeforeValidator(as_tuple)]


class OpenCases(Strict):
    """Open cases (value 1) in weak units, for each sheet metric of these methods."""

    methods: NonEmptyTexts
    months: Annotated[tuple[Annotated[tuple[MonthNumber, MonthNumber], BeforeValidator(as_tuple)], ...],
                      BeforeValidator(as_tuple)]


class Cases(Strict):
    missing_cells: Count
    missing_reviews: Count
    open_cases: OpenCases


class ValueGenerators(Strict):
    """Which generator draws a sheet metric's value, by the metric's method in the index."""

    by_method: dict[str, GeneratorName]
    default: GeneratorName

    def of(self, method: str) -> str:
        return self.by_method.get(method, self.default)


class MetricSetting(Strict):
    """A metric's demo parameters; a bare [worst, best] is its `range`."""

    range: Pair | None = None
    values: Annotated[tuple[float, ...], BeforeValidator(as_tuple), Field(min_length=1)] | None = None
    threshold: Share | None = None
    events: NonNegative | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_range(cls, data: Any) -> Any:
        return {"range": data} if isinstance(data, list) else data


class DemoSettings(Strict):
    """params/demo.yaml."""

    note: Text
    years: Annotated[tuple[Year, ...], BeforeValidator(as_tuple), Field(min_length=1)]  # consecutive, oldest first
    files: FileNames
    notes_sheet: Text
    population_growth_since_2010: Pair
    legal_persons_per_1000_people: dict[str, Pair]  # by unit tier; `county` for any other tier
    market_entities_per_legal_person: Pair
    legal_persons_monthly_growth: Pair
    quality: Pair
    quality_noise: NonNegative
    metric_noise: NonNegative
    trends: Trends
    trend_per_month: float
    lists: Lists
    departments: Annotated[dict[str, Department], Field(min_length=1)]
    division_codes: dict[str, Annotated[str, Field(pattern=r"^\d{6}$")]]
    default_division_code: Annotated[str, Field(pattern=r"^\d{6}$")]
    names: EntityNames
    reviewers: NonEmptyTexts
    annual_reviews: AnnualReviews
    cases: Cases
    value_generators: ValueGenerators
    metrics: dict[str, MetricSetting] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _rules(self, info: ValidationInfo) -> DemoSettings:
        context = info.context or {}
        errors: list[FieldProblem] = []
        if "county" not in self.legal_persons_per_1000_people:
            errors.append((("legal_persons_per_1000_people",), "demo_density_county", "needs county (the default of "
                           "any other tier)", {}, sorted(self.legal_persons_per_1000_people)))
        if not any(d.red_domains for d in self.departments.values()):
            errors.append((("departments",), "demo_red_domains", "one department at least needs red_domains", {},
                           sorted(self.departments)))
        if len(self.departments) > 1 and "{department}" not in self.files.records:
            errors.append((("files", "records"), "demo_department_file", "needs {department}: one file per "
                           "department", {"department": "{department}"}, self.files.records))
        if list(self.years) != list(range(self.years[0], self.years[0] + len(self.years))):
            errors.append((("years",), "demo_years_consecutive", "consecutive years, oldest first", {},
                           list(self.years)))
        if context.get("contract") is not None:
            errors += _contract_rules(self, context["contract"])
        if context.get("spec") is not None:
            errors += _index_rules(self, context["spec"])
        refuse("demo settings", errors)
        return self


def _contract_rules(s: DemoSettings, contract: Contract) -> list[FieldProblem]:
    """What the demo writes must be what the contract reads."""
    errors: list[FieldProblem] = []
    records = contract.source(RECORDS_SOURCE)
    types = records.column("list_type").values
    for role, counted in (("black", True), ("watch", True), ("red", False)):
        value = getattr(s.lists.types, role)
        allowed = [t for t in types if (t in records.counted) == counted]
        if value not in allowed:
            rule = "demo_list_type_counted" if counted else "demo_list_type_not_counted"
            errors.append((("lists", "types", role), rule, "must be a list type of records.list_type that is "
                           f"{'' if counted else 'not '}counted: {{allowed}}", {"allowed": "、".join(allowed)}, value))
    for key in (f.alias or name for name, f in FileNames.model_fields.items()):
        name = s.files.of(key)
        names = [name.format(department=d) for d in s.departments] if key == RECORDS_SOURCE else [name]
        for n in names:
            stem, dot, ext = n.rpartition(".")
            found = contract.source_for_file(stem) if dot else None
            if found is None or found.key != key or f".{ext.lower()}" not in contract.data_extensions:
                errors.append((("files", key), "demo_file_name", "params/sources.yaml does not read this file as "
                               "{key} (names: {patterns}; extensions: {extensions})",
                               {"key": key, "patterns": " / ".join(contract.source(key).files),
                                "extensions": " / ".join(contract.data_extensions)}, name))
                break
    if not contract.is_notes_sheet(s.notes_sheet):
        errors.append((("notes_sheet",), "demo_notes_sheet", "must be one of files.notes_sheets of "
                       "params/sources.yaml: {allowed}", {"allowed": "、".join(contract.notes_sheets)}, s.notes_sheet))
    return errors


def _index_rules(s: DemoSettings, spec: IndexSpec) -> list[FieldProblem]:
    """The metrics and methods the demo names must be the index's sheet metrics and their methods."""
    sheet = {m.code: m for m in spec.metrics() if m.source == "sheet"}
    methods = {m.method for m in sheet.values()}
    errors: list[FieldProblem] = [
        (("value_generators", "by_method", method), "demo_unknown_method", "no sheet metric of params/index.yaml has "
         "this method", {}, method) for method in s.value_generators.by_method if method not in methods]
    errors += [(("cases", "open_cases", "methods", i), "demo_unknown_method", "no sheet metric of params/index.yaml "
                "has this method", {}, method) for i, method in enumerate(s.cases.open_cases.methods)
               if method not in methods]
    errors += [(("cases", "open_cases", "months", i), "demo_month_span", "the first month is after the last", {},
                list(span)) for i, span in enumerate(s.cases.open_cases.months) if span[0] > span[1]]
    for code, setting in s.metrics.items():
        if code not in sheet:
            errors.append((("metrics", code), "demo_unknown_metric", "not a metric of params/index.yaml with "
                           "source: sheet", {}, code))
            continue
        generator = s.value_generators.of(sheet[code].method)
        errors += [(("metrics", code, fld), "demo_setting_unused", "not read by generator {generator} (method "
                    "{method})", {"generator": generator, "method": sheet[code].method}, getattr(setting, fld))
                   for fld in MetricSetting.model_fields
                   if fld in setting.model_fields_set and fld not in GENERATORS[generator].uses]
    return errors


def load_demo_settings(project: Project, spec: IndexSpec | None = None, contract: Contract | None = None,
                       data: dict[str, Any] | None = None) -> DemoSettings:
    """params/demo.yaml (or `data` in its place), checked against the index and the contract when given."""
    path = project.params / SETTINGS_FILE
    if data is None:
        data, _sha = read_yaml(path)
    return validate(DemoSettings, data, str(path), "the demo settings file",
                    context={"spec": spec, "contract": contract})
