"""A source of the data contract and its columns, as typed models (pydantic).

`SourceSpec` is one source of params/sources.yaml (a CSV file or a workbook sheet), with its
`ColumnSpec`s; `contract.py` reads the whole file and adds the indicator sheet's metric
columns from the index. Rules that span several fields raise `PydanticCustomError`s with
a rule id, whose Chinese text is in params/labels.yaml (`validation:`); `refuse` raises
several at once, each at its own key path.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from scoring.config import Strict, Text
from scoring.index.spec import Metric
from scoring.ingest.cells import header_key, header_keys
from scoring.ingest.rules import ROW_RULES, SET_RULES
from scoring.ingest.types import TYPE_NAMES, column_type
from scoring.ingest.windows import DATE_WINDOWS

WINDOWS = tuple(DATE_WINDOWS)
METRIC_NOTE_FIELDS = ("name", "short", "code", "unit", "register")
# One problem a validator found: (key path within the model, rule id, English text, its placeholders, the value)
FieldProblem = tuple[tuple[str | int, ...], str, str, dict[str, Any], Any]


def refuse(title: str, errors: list[FieldProblem]) -> None:
    """Raise every problem at once, each at its own key path (relative to the model being validated)."""
    if errors:
        raise ValidationError.from_exception_data(title, [
            InitErrorDetails(type=PydanticCustomError(rule, text, ctx), loc=loc, input=value)
            for loc, rule, text, ctx, value in errors])


def only_placeholders(text: str, fields: tuple[str, ...]) -> str:
    """`text` when it is a template of `fields` ({name} …) only; else a `contract_placeholders` error."""
    try:
        text.format(**dict.fromkeys(fields, ""))
    except (KeyError, IndexError, ValueError) as exc:
        raise PydanticCustomError("contract_placeholders", "not a template of {fields} ({error})",
                                  {"fields": ", ".join("{" + f + "}" for f in fields), "error": repr(exc)}) from exc
    return text


def as_tuple(value: Any) -> Any:
    """A YAML list as a tuple (strict models take tuples only)."""
    return tuple(value) if isinstance(value, list) else value


TextTuple = Annotated[tuple[str, ...], BeforeValidator(as_tuple)]
TypeName = Literal[TYPE_NAMES]
WindowName = Literal[WINDOWS]
RowRuleName = Literal[tuple(ROW_RULES)]
SetRuleName = Literal[tuple(SET_RULES)]


class ColumnSpec(Strict):
    """One column of a source: canonical name, Chinese header, type and allowed values."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: Text
    label: Text
    type: TypeName
    unit: str = ""
    required: bool = True
    empty_ok: bool = False
    aliases: TextTuple = ()
    min: float | None = None
    max: float | None = None
    values: TextTuple = ()
    window: WindowName | None = None
    earliest: Annotated[dt.date | None, Field(strict=False)] = None  # YYYY-MM-DD
    note: str = ""
    metric: Metric | None = None  # set for the indicator sheet's metric columns (from the index, never the file)

    @field_validator("metric", mode="before")
    @classmethod
    def _from_the_index(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, Metric):
            raise PydanticCustomError("contract_metric_in_file", "a metric column comes from params/index.yaml, "
                                                                 "not from this file")
        return value

    @model_validator(mode="after")
    def _type_rules(self) -> ColumnSpec:
        errors: list[FieldProblem] = [((fld,), rule, text, ctx, getattr(self, fld))
                               for fld, rule, text, ctx in column_type(self).spec_rules(self)]
        if self.min is not None and self.max is not None and self.min > self.max:
            errors.append((("max",), "contract_min_above_max", "below min {min}", {"min": f"{self.min:g}"}, self.max))
        refuse("column", errors)
        return self

    @property
    def header(self) -> str:
        """The template's header: the label with its unit, e.g. 法人企业数（户）."""
        return f"{self.label}（{self.unit}）" if self.unit else self.label


class MetricKind(Strict):
    """A `metric_kinds` rule: a metric matching every condition given gets this type and range."""

    method: str | None = None
    per: bool | None = None
    units: TextTuple | None = None
    type: TypeName
    min: float | None = None
    max: float | None = None

    def matches(self, metric: Metric) -> bool:
        """Every condition the rule gives holds (none given: any metric)."""
        return (self.method in (None, metric.method) and self.per in (None, metric.per is not None)
                and (self.units is None or metric.unit in self.units))


class Override(Strict):
    """A tighter range for one metric's column."""

    min: float | None = None
    max: float | None = None


class MetricNotes(Strict):
    """The notes of the metric columns: templates of {name} {short} {code} {unit} {register}."""

    plain: Text
    per: Text

    @field_validator("plain", "per")
    @classmethod
    def _template(cls, text: str) -> str:
        return only_placeholders(text, METRIC_NOTE_FIELDS)


class SourceSpec(Strict):
    """One kind of input (a CSV file or a workbook sheet). Read with the index, `columns` also
    hold the metric columns (`metric_columns: sheet`), and `key` and `foreign` are set."""

    title: Text
    sheets: Annotated[TextTuple, Field(min_length=1)]
    files: Annotated[TextTuple, Field(min_length=1)]
    columns: Annotated[tuple[ColumnSpec, ...], BeforeValidator(as_tuple), Field(min_length=1)]
    multiple_files: bool = False
    per_unit: bool = False
    unique: TextTuple = ()
    row_rules: Annotated[tuple[RowRuleName, ...], BeforeValidator(as_tuple)] = ()
    set_rules: Annotated[tuple[SetRuleName, ...], BeforeValidator(as_tuple)] = ()
    skip_blank: TextTuple = ()
    counted: TextTuple = ()
    flag_values: dict[str, Literal[0, 1]] = Field(default_factory=dict)
    provider: str = ""
    note: str = ""
    metric_columns: Literal["sheet"] | None = None  # plus one column per metric of the index with source: sheet
    metric_kinds: Annotated[tuple[MetricKind, ...], BeforeValidator(as_tuple)] = ()
    overrides: dict[str, Override] = Field(default_factory=dict)
    metric_notes: MetricNotes | None = None
    _key: str = PrivateAttr(default="")
    _foreign: dict[str, str] = PrivateAttr(default_factory=dict)  # header key → why it does not belong here

    @field_validator("note")
    @classmethod
    def _strip(cls, text: str) -> str:
        return text.strip()

    @model_validator(mode="after")
    def _sheet_fields(self) -> SourceSpec:
        errors: list[FieldProblem] = []
        if self.metric_columns is None:
            errors += [((fld,), "contract_sheet_only", "only for a source with metric_columns: sheet", {},
                        getattr(self, fld)) for fld in ("metric_kinds", "overrides", "metric_notes")
                       if getattr(self, fld)]
        elif self.metric_notes is None:  # metric_columns: sheet needs its notes
            errors.append((("metric_notes",), "missing", "Field required", {}, None))
        refuse("source", errors)
        return self

    @property
    def key(self) -> str:
        return self._key

    @property
    def foreign(self) -> dict[str, str]:
        return self._foreign

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

    def resolved(self, key: str, columns: list[ColumnSpec], foreign: dict[str, str]) -> SourceSpec:
        """This source as the contract holds it: its key, every column, the headers that do not belong."""
        out = self.model_copy(update={"columns": tuple(columns)})
        out._key, out._foreign = key, foreign
        return out


def metric_kind(rules: tuple[MetricKind, ...], metric: Metric) -> MetricKind:
    """The first `metric_kinds` rule that matches the metric (by method, per, or unit); else a number."""
    return next((rule for rule in rules if rule.matches(metric)), MetricKind(type="number"))
