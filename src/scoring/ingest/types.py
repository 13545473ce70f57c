"""The column types of the data contract: one object per type, registered in `COLUMN_TYPES`.

Each type owns everything that depends on it:
  spec_rules   what the contract must say for a column of this type (a choice needs values)
  checks       the pandera checks of a cell's text, with the rule as told to the user
  convert      the typed values of a valid column (unit codes, dates, ints, floats)
  key          a cell as compared in unique keys (a unit's name and code are the same unit)
  validation   the Excel data validation of the template's column, and its number format
  range_text   the allowed values in words, for the template's notes sheet
  demo_cell    what the demo data writes for a drawn value (是/否 for a yes/no item)
Adding a type is one entry here (and its name in the template's `type_labels`). The base `ColumnType` (free
text) is in `typebase`. Checks and conversions see a whole column (`columns`: once per distinct text).
`NUMBER_LIMIT` is the largest magnitude a count or number may have, whatever the max."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from scoring.ingest import cells, columns
from scoring.ingest.codecolumns import code_checks, normalised_codes
from scoring.ingest.columns import Found, floats, objects, read_once, shared, visible
from scoring.ingest.context import Context
from scoring.ingest.typebase import TEMPLATE_EARLIEST, ColumnType, SpecRule, data_validation, excel_date, excel_list
from scoring.ingest.windows import DATE_WINDOWS, MonthWindow

if TYPE_CHECKING:
    from openpyxl.worksheet.datavalidation import DataValidation

    from scoring.ingest.contract import ColumnSpec, SourceSpec

# The largest magnitude of a count or number: 10^15 < 2^53, so every accepted figure is exact as a float
# (the metrics' values) and as a 64-bit integer (the register's counts); no county's count comes near it.
NUMBER_LIMIT = 10**15


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def _limit(x: float) -> str:
    """10^15 as '1,000,000,000,000,000 (10^15)'."""
    return f"{int(x):,}" + (f" (10^{round(math.log10(x))})" if x >= 1e6 and 10 ** round(math.log10(x)) == x else "")


Test = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (values as numbers, NaN: none; empty cells) → passes


def _check(ctx: Context, column: str, found: Found, ok: Test, describe: Any) -> pa.Check:
    """A check of a column read by `columns.read_once`: `ok` of its numbers (cells with an invisible character pass)."""
    def test(values: pd.Series) -> pd.Series:
        cells_ = found(values)
        return pd.Series(ok(cells_["value"], cells_["empty"]) | cells_["skip"], index=values.index)

    return ctx.check(test, column, describe)


def _flag_words(source: SourceSpec) -> list[str]:
    """The yes/no words of a source (the digits are accepted too, but not offered)."""
    return [k for k in source.flag_values if not k.isdigit()]


@dataclass(frozen=True)
class UnitType(ColumnType):
    """A unit of params/units.yaml, by its Chinese name or its code."""

    name: str = "unit"
    repeats: bool = True

    def checks(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> list[pa.Check]:
        names = "、".join(u.name for u in ctx.units.units)
        return [ctx.each(col.name, lambda v: ctx.unit_code(v) is not None,
                         f"not a unit of params/units.yaml; use one of: {names} (or its code)")]

    def convert(self, col: ColumnSpec, source: SourceSpec, ctx: Context, values: pd.Series) -> Any:
        return objects(values, ctx.unit_code)

    def key(self, text: Any, ctx: Context) -> Any:
        return ctx.unit_code(text) or cells.normalise(text)

    def validation(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> DataValidation | None:
        return data_validation(type="list", formula1=excel_list([u.name for u in ctx.units.units]))

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

        found = shared(lambda values: {**code_checks(values), "visible": visible(values)})

        def rule(name: str) -> Callable[[pd.Series], pd.Series]:  # a cell with an invisible character is told apart
            return lambda values: pd.Series(found(values)[name] | ~found(values)["visible"], index=values.index)

        def forbidden(v: Any) -> str:
            found = cells.forbidden_characters(v)
            return ", ".join(found[:10]) + (" …" if len(found) > 10 else "")

        return [
            ctx.check(rule("length"), col.name,
                      lambda v, _r: f"has {len(code(v))} characters; a {what} has {cells.CODE_LENGTH}"),
            ctx.check(rule("alphabet"), col.name,
                      lambda v, _r: f"contains {forbidden(v)}, not used in a {what} "
                                    "(only 0–9 and A–H J–N P–R T U W–Y; never I O Z S V)"),
            ctx.check(rule("region"), col.name, "characters 3–8 (the administrative division code) must be digits"),
            ctx.check(rule("check"), col.name,
                      lambda v, _r: f"wrong check character: by GB 32100-2015 the 18th character of {code(v)[:17]} is "
                                    f"{cells.check_character(code(v)[:17])!r}, not {(code(v) or ' ')[-1]!r}"),
        ]

    def convert(self, col: ColumnSpec, source: SourceSpec, ctx: Context, values: pd.Series) -> Any:
        columns.column_facts(codes := normalised_codes(values)).empty = columns.empty_cells(values)  # the same cells
        return pd.Series(codes, index=values.index, dtype=object, copy=False)

    def key(self, text: Any, ctx: Context) -> Any:
        return cells.normalise_code(text)

    def keys(self, values: pd.Series, ctx: Context) -> np.ndarray:
        return normalised_codes(values)

    def validation(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> DataValidation | None:
        return data_validation(type="textLength", operator="equal", formula1=str(cells.CODE_LENGTH))

    def range_text(self, col: ColumnSpec, source: SourceSpec, words: dict[str, Any], window: MonthWindow) -> str:
        return str(words.get(self.name, ""))


@dataclass(frozen=True)
class ChoiceType(ColumnType):
    """One of the column's `values`."""

    name: str = "choice"
    repeats: bool = True

    def spec_rules(self, col: ColumnSpec) -> list[SpecRule]:
        return [] if col.values else [("values", "contract_choice_values", "a choice needs values", {})]

    def checks(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> list[pa.Check]:
        allowed = set(col.values)
        return [ctx.each(col.name, lambda v: cells.normalise(v) in allowed, f"must be one of: {'、'.join(col.values)}")]

    def convert(self, col: ColumnSpec, source: SourceSpec, ctx: Context, values: pd.Series) -> Any:
        return objects(values, cells.normalise)

    def validation(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> DataValidation | None:
        return data_validation(type="list", formula1=excel_list(list(col.values)))

    def range_text(self, col: ColumnSpec, source: SourceSpec, words: dict[str, Any], window: MonthWindow) -> str:
        return " / ".join(col.values)


@dataclass(frozen=True)
class DateType(ColumnType):
    """A date, within the column's `window` of the month (or year) and not before `earliest`."""

    name: str = "date"
    repeats: bool = True
    number_format: str | None = "yyyy-mm-dd"

    def checks(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> list[pa.Check]:
        found = read_once(cells.parse_date, dt.date.toordinal)  # days, once per distinct text

        def within(low: dt.date | None, high: dt.date | None) -> Test:
            first, last = (-np.inf if low is None else low.toordinal()), (np.inf if high is None else high.toordinal())
            return lambda x, _empty: ~(x < first) & ~(x > last)

        out = [_check(ctx, col.name, found, lambda x, empty: empty | ~np.isnan(x),
                      "not a date: write YYYY-MM-DD, e.g. 2019-07-15")]
        if col.earliest is not None:
            out.append(_check(ctx, col.name, found, within(col.earliest, None),
                              f"before {col.earliest}: check the year"))
        if col.window is not None:
            window = DATE_WINDOWS[col.window]
            out.append(_check(ctx, col.name, found, within(*window.allowed(ctx.window)), window.rule(ctx.window)))
        return out

    def convert(self, col: ColumnSpec, source: SourceSpec, ctx: Context, values: pd.Series) -> Any:
        return objects(values, cells.parse_date)

    def key(self, text: Any, ctx: Context) -> Any:
        return cells.parse_date(text) or cells.normalise(text)

    def validation(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> DataValidation | None:
        if col.window is None:
            return None
        low, high = DATE_WINDOWS[col.window].allowed(ctx.window)
        if high is None:
            return None
        first = low or col.earliest or TEMPLATE_EARLIEST
        return data_validation(type="date", operator="between", formula1=excel_date(first), formula2=excel_date(high))

    def range_text(self, col: ColumnSpec, source: SourceSpec, words: dict[str, Any], window: MonthWindow) -> str:
        return str(words.get(col.window or "", "")).format(start=window.start, end=window.end,
                                                            next_end=window.next_end)


@dataclass(frozen=True)
class NumberType(ColumnType):
    """A number: `count` (whole), `number` or `ratio`, within the column's min and max (else the type's)."""

    name: str = "number"
    repeats: bool = True
    parse: Callable[[Any], float | int | None] = cells.parse_number
    what: str = "a number"  # "not {what}"
    low: float | None = None  # the type's own minimum and maximum (a column's min / max replace them)
    high: float | None = None
    excel: str = "decimal"  # the template's validation: whole | decimal
    negative: str | None = None  # the rule told for a value below 0 (else "below the minimum")
    limit: float | None = None  # the largest magnitude accepted, whatever the column's range (NUMBER_LIMIT)

    def bounds(self, col: ColumnSpec) -> tuple[float | None, float | None]:
        return (self.low if col.min is None else col.min), (self.high if col.max is None else col.max)

    def not_a_number(self, v: Any, _row: dict[str, Any]) -> str:
        """The rule told for a cell that is not {what}: a number too large for a float is told as such."""
        if cells.overflows(v):
            return f"too large: beyond the largest figure accepted, {_limit(self.limit or NUMBER_LIMIT)}"
        return f"not {self.what}"

    def checks(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> list[pa.Check]:
        parse, limit = self.parse, self.limit
        found = read_once(parse, float)  # once per distinct text, for every check of the column

        def huge(x: np.ndarray) -> np.ndarray:  # beyond the limit: told by its own check, not as out of range
            return np.abs(x) > (np.inf if limit is None else limit)

        low, high = self.bounds(col)
        out = [_check(ctx, col.name, found, lambda x, empty: empty | ~np.isnan(x), self.not_a_number)]
        if limit is not None:
            out.append(_check(ctx, col.name, found, lambda x, _e: ~huge(x),
                              f"beyond {_limit(limit)}, the largest figure accepted: no count or figure of a "
                              "county is that large (a typing error?)"))
        if low is not None:
            def below(v: Any, _row: dict[str, Any]) -> str:
                value = parse(v)
                negative = self.negative is not None and value is not None and value < 0
                return self.negative if negative else f"below the minimum {_fmt(low)}"

            out.append(_check(ctx, col.name, found, lambda x, _e: ~(x < low) | huge(x), below))
        if high is not None:
            out.append(_check(ctx, col.name, found, lambda x, _e: ~(x > high) | huge(x),
                              f"above the maximum {_fmt(high)}"))
        return out

    def convert(self, col: ColumnSpec, source: SourceSpec, ctx: Context, values: pd.Series) -> Any:
        return floats(values, self.parse)

    def validation(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> DataValidation | None:
        low, high = self.bounds(col)
        low = 0 if low is None else low
        if high is None:
            return data_validation(type=self.excel, operator="greaterThanOrEqual", formula1=f"{low:g}")
        return data_validation(type=self.excel, operator="between", formula1=f"{low:g}", formula2=f"{high:g}")

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
            return floats(values, cells.parse_number)
        whole = columns.numbers(values, cells.parse_whole)  # exact: |count| ≤ NUMBER_LIMIT < 2^53
        empty = np.isnan(whole)
        return pd.arrays.IntegerArray(np.where(empty, 0.0, whole).astype(np.int64), empty)

    def demo_cell(self, value: Any, col: ColumnSpec, source: SourceSpec) -> Any:
        return int(np.clip(round(value), 0, math.inf if col.max is None else col.max))


@dataclass(frozen=True)
class RatioType(NumberType):
    """A decimal between 0 and 1, or a percentage."""

    def checks(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> list[pa.Check]:
        low, high = self.bounds(col)
        found = read_once(self.parse, float)
        return [_check(ctx, col.name, found, lambda x, empty: empty | ~np.isnan(x), self.not_a_number),
                _check(ctx, col.name, found, lambda x, _e: ~(x < low) & ~(x > high),
                       f"outside [{_fmt(low)}, {_fmt(high)}]: a ratio is a decimal between 0 and 1 (98.5% → 0.985)")]

    def demo_cell(self, value: Any, col: ColumnSpec, source: SourceSpec) -> Any:
        return round(float(np.clip(value, 0, 1)), 4)


@dataclass(frozen=True)
class FlagType(ColumnType):
    """是 / 否 (or 1 / 0): the words and their values are the source's `flag_values`."""

    name: str = "flag"
    repeats: bool = True
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
        return floats(values, lambda v: flags.get(cells.normalise(v)))

    def validation(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> DataValidation | None:
        return data_validation(type="list", formula1=excel_list(_flag_words(source)))

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
    repeats: bool = True

    def checks(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> list[pa.Check]:
        codes = ", ".join(f"{code} ({ctx.spec.label(code)})" for code in dict.fromkeys(ctx.review_metrics().values()))
        return [ctx.each(col.name, lambda v: ctx.metric_code(v) is not None,
                         f"not an item scored by reviewers; use one of: {codes}")]

    def convert(self, col: ColumnSpec, source: SourceSpec, ctx: Context, values: pd.Series) -> Any:
        return objects(values, ctx.metric_code)

    def key(self, text: Any, ctx: Context) -> Any:
        return ctx.metric_code(text) or cells.normalise(text)

    def validation(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> DataValidation | None:
        return data_validation(type="list", formula1=excel_list([m.short for m in ctx.spec.metrics()
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
              negative="negative: a count cannot be below 0", limit=NUMBER_LIMIT),
    NumberType(name="number", parse=cells.parse_number, what="a number", limit=NUMBER_LIMIT),
    RatioType(name="ratio", parse=cells.parse_ratio, what="a number (0.985) or a percentage (98.5%)", low=0.0,
              high=1.0, shows_unit=False, demo_range=(0.3, 1.0)),
    FlagType(),
    MetricType(),
)}
TYPE_NAMES = tuple(COLUMN_TYPES)


def column_type(col: ColumnSpec) -> ColumnType:
    """The type object of a column (its `type` is one of `TYPE_NAMES`: the contract refuses others)."""
    return COLUMN_TYPES[col.type]
