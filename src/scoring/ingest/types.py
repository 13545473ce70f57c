"""The column types of the data contract: one object per type, registered in `COLUMN_TYPES`.

Each type owns everything that depends on it:
  spec_rules   what the contract must say for a column of this type (a choice needs values)
  checks       the pandera checks of a cell's text, with the rule as told to the user
  convert      the typed values of a valid column (unit codes, dates, ints, floats)
  key          a cell as compared in unique keys (a unit's name and code are the same unit)
  validation   the Excel data validation of the template's column, and its number format
  range_text   the allowed values in words, for the template's notes sheet
  demo_cell    what the demo data writes for a drawn value (是/否 for a yes/no item)
Adding a type is one entry here (and its name in the template's `type_labels`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from openpyxl.worksheet.datavalidation import DataValidation

from scoring.errors import CreditCountyError
from scoring.ingest import cells
from scoring.ingest.context import Context
from scoring.ingest.windows import DATE_WINDOWS, MonthWindow

if TYPE_CHECKING:
    from scoring.ingest.contract import ColumnSpec, SourceSpec

SpecRule = tuple[str, str, str, dict[str, Any]]  # (field, rule id, English fallback, its placeholders)
TEMPLATE_EARLIEST = dt.date(2010, 1, 1)  # the template's first allowed date when the contract gives none


def excel_list(values: list[str]) -> str:
    """An Excel drop-down list formula; refused when longer than Excel's 255 characters."""
    text = ",".join(values)
    if len(text) > 255:
        raise CreditCountyError(f"a drop-down list longer than Excel's 255 characters: {text[:60]}…")
    return f'"{text}"'


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def _excel_date(d: dt.date) -> str:
    return f"DATE({d.year},{d.month},{d.day})"


def _objects(values: pd.Series, func: Callable[[Any], Any]) -> pd.Series:
    return pd.Series([None if v is None else func(v) for v in values], index=values.index, dtype=object)


def _floats(values: pd.Series, parse: Callable[[Any], float | None]) -> pd.Series:
    return pd.Series([np.nan if v is None else parse(v) for v in values], index=values.index, dtype=float)


def _flag_words(source: SourceSpec) -> list[str]:
    """The yes/no words of a source (the digits are accepted too, but not offered)."""
    return [k for k in source.flag_values if not k.isdigit()]


@dataclass(frozen=True)
class ColumnType:
    """A column type; the defaults are those of free text."""

    name: str = "text"
    shows_unit: bool = True  # the template's header carries the column's unit
    number_format: str | None = None  # of the template's cells
    demo_range: tuple[float, float] = (0.0, 10.0)  # [worst, best] the demo draws from without a setting
    divisor: bool = False  # a register column of this type can divide a sheet metric's count (`per`)

    def spec_rules(self, col: ColumnSpec) -> list[SpecRule]:
        """What the contract must say for this column (field, rule id, English text, placeholders)."""
        return []

    def source_rules(self, col: ColumnSpec, source: SourceSpec) -> list[SpecRule]:
        """What the column's source must say for this column (e.g. the yes/no words)."""
        return []

    def checks(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> list[pa.Check]:
        return []

    def convert(self, col: ColumnSpec, source: SourceSpec, ctx: Context, values: pd.Series) -> Any:
        return _objects(values, lambda v: str(v).strip())

    def key(self, text: Any, ctx: Context) -> Any:
        return cells.normalise(text)

    def validation(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> DataValidation | None:
        return None

    def range_text(self, col: ColumnSpec, source: SourceSpec, words: dict[str, Any], window: MonthWindow) -> str:
        return ""

    def demo_cell(self, value: Any, col: ColumnSpec, source: SourceSpec) -> Any:
        return value


@dataclass(frozen=True)
class UnitType(ColumnType):
    """A unit of params/units.yaml, by its Chinese name or its code."""

    name: str = "unit"

    def checks(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> list[pa.Check]:
        names = "、".join(u.name for u in ctx.units.units)
        return [ctx.each(col.name, lambda v: ctx.unit_code(v) is not None,
                         f"not a unit of params/units.yaml; use one of: {names} (or its code)")]

    def convert(self, col: ColumnSpec, source: SourceSpec, ctx: Context, values: pd.Series) -> Any:
        return _objects(values, ctx.unit_code)

    def key(self, text: Any, ctx: Context) -> Any:
        return ctx.unit_code(text) or cells.normalise(text)

    def validation(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> DataValidation | None:
        return DataValidation(type="list", formula1=excel_list([u.name for u in ctx.units.units]))

    def range_text(self, col: ColumnSpec, source: SourceSpec, words: dict[str, Any], window: MonthWindow) -> str:
        return str(words.get(self.name, ""))


@dataclass(frozen=True)
class CreditCodeType(ColumnType):
    """A 统一社会信用代码 (GB 32100-2015): length, alphabet, region digits, check character."""

    name: str = "credit_code"

    def checks(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> list[pa.Check]:
        what = col.label  # the contract's name of the code (统一社会信用代码)

        def code(v: Any) -> str:
            return cells.normalise_code(v) or ""

        return [
            ctx.each(col.name, cells.code_length_ok,
                     lambda v, _r: f"has {len(code(v))} characters; a {what} has {cells.CODE_LENGTH}"),
            ctx.each(col.name, cells.code_alphabet_ok,
                     lambda v, _r: f"contains {', '.join(cells.forbidden_characters(v))}, not used in a {what} "
                                   "(only 0–9 and A–H J–N P–R T U W–Y; never I O Z S V)"),
            ctx.each(col.name, cells.code_region_ok,
                     "characters 3–8 (the administrative division code) must be digits"),
            ctx.each(col.name, cells.code_check_ok,
                     lambda v, _r: f"wrong check character: by GB 32100-2015 the 18th character of {code(v)[:17]} is "
                                   f"{cells.check_character(code(v)[:17])!r}, not {(code(v) or ' ')[-1]!r}"),
        ]

    def convert(self, col: ColumnSpec, source: SourceSpec, ctx: Context, values: pd.Series) -> Any:
        return _objects(values, cells.normalise_code)

    def key(self, text: Any, ctx: Context) -> Any:
        return cells.normalise_code(text)

    def validation(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> DataValidation | None:
        return DataValidation(type="textLength", operator="equal", formula1=str(cells.CODE_LENGTH))

    def range_text(self, col: ColumnSpec, source: SourceSpec, words: dict[str, Any], window: MonthWindow) -> str:
        return str(words.get(self.name, ""))


@dataclass(frozen=True)
class ChoiceType(ColumnType):
    """One of the column's `values`."""

    name: str = "choice"

    def spec_rules(self, col: ColumnSpec) -> list[SpecRule]:
        return [] if col.values else [("values", "contract_choice_values", "a choice needs values", {})]

    def checks(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> list[pa.Check]:
        allowed = set(col.values)
        return [ctx.each(col.name, lambda v: cells.normalise(v) in allowed, f"must be one of: {'、'.join(col.values)}")]

    def convert(self, col: ColumnSpec, source: SourceSpec, ctx: Context, values: pd.Series) -> Any:
        return _objects(values, cells.normalise)

    def validation(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> DataValidation | None:
        return DataValidation(type="list", formula1=excel_list(list(col.values)))

    def range_text(self, col: ColumnSpec, source: SourceSpec, words: dict[str, Any], window: MonthWindow) -> str:
        return " / ".join(col.values)


@dataclass(frozen=True)
class DateType(ColumnType):
    """A date, within the column's `window` of the month (or year) and not before `earliest`."""

    name: str = "date"
    number_format: str | None = "yyyy-mm-dd"

    def checks(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> list[pa.Check]:
        def within(low: dt.date | None, high: dt.date | None) -> Callable[[Any], bool]:
            def ok(v: Any) -> bool:
                d = cells.parse_date(v)
                return d is None or ((low is None or d >= low) and (high is None or d <= high))

            return ok

        out = [ctx.each(col.name, lambda v: cells.parse_date(v) is not None,
                        "not a date: write YYYY-MM-DD, e.g. 2019-07-15")]
        if col.earliest is not None:
            out.append(ctx.each(col.name, within(col.earliest, None), f"before {col.earliest}: check the year"))
        if col.window is not None:
            window = DATE_WINDOWS[col.window]
            out.append(ctx.each(col.name, within(*window.allowed(ctx.window)), window.rule(ctx.window)))
        return out

    def convert(self, col: ColumnSpec, source: SourceSpec, ctx: Context, values: pd.Series) -> Any:
        return _objects(values, cells.parse_date)

    def key(self, text: Any, ctx: Context) -> Any:
        return cells.parse_date(text) or cells.normalise(text)

    def validation(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> DataValidation | None:
        if col.window is None:
            return None
        low, high = DATE_WINDOWS[col.window].allowed(ctx.window)
        if high is None:
            return None
        first = low or col.earliest or TEMPLATE_EARLIEST
        return DataValidation(type="date", operator="between", formula1=_excel_date(first), formula2=_excel_date(high))

    def range_text(self, col: ColumnSpec, source: SourceSpec, words: dict[str, Any], window: MonthWindow) -> str:
        return str(words.get(col.window or "", "")).format(start=window.start, end=window.end,
                                                            next_end=window.next_end)


@dataclass(frozen=True)
class NumberType(ColumnType):
    """A number: `count` (whole), `number` or `ratio`, within the column's min and max (else the type's)."""

    name: str = "number"
    parse: Callable[[Any], float | int | None] = cells.parse_number
    what: str = "a number"  # "not {what}"
    low: float | None = None  # the type's own minimum and maximum (a column's min / max replace them)
    high: float | None = None
    excel: str = "decimal"  # the template's validation: whole | decimal
    negative: str | None = None  # the rule told for a value below 0 (else "below the minimum")

    def bounds(self, col: ColumnSpec) -> tuple[float | None, float | None]:
        return (self.low if col.min is None else col.min), (self.high if col.max is None else col.max)

    def checks(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> list[pa.Check]:
        parse = self.parse
        low, high = self.bounds(col)
        out = [ctx.each(col.name, lambda v: parse(v) is not None, f"not {self.what}")]
        if low is not None:
            def below(v: Any, _row: dict[str, Any]) -> str:
                value = parse(v)
                negative = self.negative is not None and value is not None and value < 0
                return self.negative if negative else f"below the minimum {_fmt(low)}"

            out.append(ctx.each(col.name, lambda v: parse(v) is None or parse(v) >= low, below))
        if high is not None:
            out.append(ctx.each(col.name, lambda v: parse(v) is None or parse(v) <= high,
                                f"above the maximum {_fmt(high)}"))
        return out

    def convert(self, col: ColumnSpec, source: SourceSpec, ctx: Context, values: pd.Series) -> Any:
        return _floats(values, self.parse)

    def validation(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> DataValidation | None:
        low, high = self.bounds(col)
        low = 0 if low is None else low
        if high is None:
            return DataValidation(type=self.excel, operator="greaterThanOrEqual", formula1=f"{low:g}")
        return DataValidation(type=self.excel, operator="between", formula1=f"{low:g}", formula2=f"{high:g}")

    def range_text(self, col: ColumnSpec, source: SourceSpec, words: dict[str, Any], window: MonthWindow) -> str:
        low, high = self.bounds(col)
        if low is not None and high is not None:
            return str(words.get("between", "{min} – {max}")).format(min=f"{low:g}", max=f"{high:g}")
        if low is not None:
            return str(words.get("at_least", "≥ {min}")).format(min=f"{low:g}")
        if high is not None:
            return str(words.get("at_most", "≤ {max}")).format(max=f"{high:g}")
        return ""

    def demo_cell(self, value: Any, col: ColumnSpec, source: SourceSpec) -> Any:
        return round(value, 1)


@dataclass(frozen=True)
class CountType(NumberType):
    """A whole number ≥ 0 (a register figure as an int; a sheet metric's count as a float)."""

    divisor: bool = True

    def convert(self, col: ColumnSpec, source: SourceSpec, ctx: Context, values: pd.Series) -> Any:
        if col.metric is not None:  # a sheet metric: floats (NaN = not reported), maybe divided by the register
            return _floats(values, cells.parse_number)
        return pd.array([cells.parse_whole(v) if v is not None else None for v in values], dtype="Int64")

    def demo_cell(self, value: Any, col: ColumnSpec, source: SourceSpec) -> Any:
        return int(np.clip(round(value), 0, math.inf if col.max is None else col.max))


@dataclass(frozen=True)
class RatioType(NumberType):
    """A decimal between 0 and 1, or a percentage."""

    def checks(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> list[pa.Check]:
        parse = self.parse
        low, high = self.bounds(col)
        return [ctx.each(col.name, lambda v: parse(v) is not None, f"not {self.what}"),
                ctx.each(col.name, lambda v: parse(v) is None or low <= parse(v) <= high,
                         f"outside [{_fmt(low)}, {_fmt(high)}]: a ratio is a decimal between 0 and 1 (98.5% → 0.985)")]

    def demo_cell(self, value: Any, col: ColumnSpec, source: SourceSpec) -> Any:
        return round(float(np.clip(value, 0, 1)), 4)


@dataclass(frozen=True)
class FlagType(ColumnType):
    """是 / 否 (or 1 / 0): the words and their values are the source's `flag_values`."""

    name: str = "flag"
    shows_unit: bool = False

    def source_rules(self, col: ColumnSpec, source: SourceSpec) -> list[SpecRule]:
        words = _flag_words(source)
        if {source.flag_values[k] for k in words} == {0, 1}:
            return []
        return [("flag_values", "contract_flag_words", "needs a word worth 1 and a word worth 0 (是: 1, 否: 0), "
                 "not only digits", {})]

    def checks(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> list[pa.Check]:
        allowed = {cells.normalise(k) for k in source.flag_values}
        meaning = ", ".join(f"{k} = {'yes' if v else 'no'}" for k, v in source.flag_values.items() if not k.isdigit())
        return [ctx.each(col.name, lambda v: cells.normalise(v) in allowed,
                         f"must be {' / '.join(source.flag_values)}" + (f" ({meaning})" if meaning else ""))]

    def convert(self, col: ColumnSpec, source: SourceSpec, ctx: Context, values: pd.Series) -> Any:
        flags = {cells.normalise(k): float(v) for k, v in source.flag_values.items()}
        return _floats(values, lambda v: flags.get(cells.normalise(v)))

    def validation(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> DataValidation | None:
        return DataValidation(type="list", formula1=excel_list(_flag_words(source)))

    def range_text(self, col: ColumnSpec, source: SourceSpec, words: dict[str, Any], window: MonthWindow) -> str:
        return " / ".join(_flag_words(source))

    def demo_cell(self, value: Any, col: ColumnSpec, source: SourceSpec) -> Any:
        """The first word worth 1 when `value` is true, else the first worth 0."""
        worth = 1 if value else 0
        return next(k for k in _flag_words(source) if source.flag_values[k] == worth)


@dataclass(frozen=True)
class MetricType(ColumnType):
    """A metric scored by reviewers, by its code, short or full name."""

    name: str = "metric"

    def checks(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> list[pa.Check]:
        codes = ", ".join(f"{code} ({ctx.spec.label(code)})" for code in dict.fromkeys(ctx.review_metrics().values()))
        return [ctx.each(col.name, lambda v: ctx.metric_code(v) is not None,
                         f"not an item scored by reviewers; use one of: {codes}")]

    def convert(self, col: ColumnSpec, source: SourceSpec, ctx: Context, values: pd.Series) -> Any:
        return _objects(values, ctx.metric_code)

    def key(self, text: Any, ctx: Context) -> Any:
        return ctx.metric_code(text) or cells.normalise(text)

    def validation(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> DataValidation | None:
        return DataValidation(type="list", formula1=excel_list([m.short for m in ctx.spec.metrics()
                                                                 if m.source == "review"]))

    def range_text(self, col: ColumnSpec, source: SourceSpec, words: dict[str, Any], window: MonthWindow) -> str:
        return str(words.get(self.name, ""))


COLUMN_TYPES: dict[str, ColumnType] = {t.name: t for t in (
    UnitType(),
    ColumnType(name="text"),
    CreditCodeType(),
    ChoiceType(),
    DateType(),
    CountType(name="count", parse=cells.parse_whole, what="a whole number", low=0, excel="whole",
              negative="negative: a count cannot be below 0"),
    NumberType(name="number", parse=cells.parse_number, what="a number"),
    RatioType(name="ratio", parse=cells.parse_ratio, what="a number (0.985) or a percentage (98.5%)", low=0.0,
              high=1.0, shows_unit=False, demo_range=(0.3, 1.0)),
    FlagType(),
    MetricType(),
)}
TYPE_NAMES = tuple(COLUMN_TYPES)


def column_type(col: ColumnSpec) -> ColumnType:
    """The type object of a column (its `type` is one of `TYPE_NAMES`: the contract refuses others)."""
    return COLUMN_TYPES[col.type]
