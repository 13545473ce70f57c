"""Named checks across the columns of a row (`row_rules`) and across the rows of a source (`set_rules`).

The contract names them (params/sources.yaml); `ROW_RULES` and `SET_RULES` are the
registries, and a name the registry lacks is refused when the contract is read. Each rule
makes one pandera check; its message may use what the check computed over the rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from scoring.ingest import cells
from scoring.ingest.columns import factorized, numbers, remembered_keys
from scoring.ingest.context import Context
from scoring.ingest.messages import excerpt
from scoring.ingest.types import column_type

if TYPE_CHECKING:
    from scoring.ingest.contract import SourceSpec

RowRule = Callable[[Context], pa.Check]
SetRule = Callable[["SourceSpec", Context], pa.Check]
ROW_RULES: dict[str, RowRule] = {}
SET_RULES: dict[str, SetRule] = {}


def row_rule(name: str) -> Callable[[RowRule], RowRule]:
    def add(func: RowRule) -> RowRule:
        ROW_RULES[name] = func
        return func

    return add


def set_rule(name: str) -> Callable[[SetRule], SetRule]:
    def add(func: SetRule) -> SetRule:
        SET_RULES[name] = func
        return func

    return add


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _numbers(frame: pd.DataFrame, column: str, parse: Callable[[Any], Any],
             as_number: Callable[[Any], float] = float) -> np.ndarray:
    """`as_number` of what `parse` reads in a column's cells, as floats (`columns.numbers`: NaN for empty
    cells and None read, and for every row when the column is absent)."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return numbers(frame[column], parse, as_number)


def _not_below(frame: pd.DataFrame, low: np.ndarray, high: np.ndarray) -> pd.Series:
    """True where either value is missing (NaN) or high ≥ low."""
    return pd.Series(~(high < low), index=frame.index)


def key_parts(frame: pd.DataFrame, columns: tuple[str, ...], ctx: Context, source: SourceSpec) -> list[np.ndarray]:
    """The keys of each of `columns` as its column type compares cells (object arrays; None: empty)."""
    return [_keys(frame, c, ctx, source) for c in columns]


def row_keys(frame: pd.DataFrame, columns: tuple[str, ...], ctx: Context, source: SourceSpec) -> pd.Series:
    """Each row's key over `columns` (a tuple), as its column types compare cells; None when a cell is empty."""
    parts = key_parts(frame, columns, ctx, source)
    keys = np.empty(len(frame), dtype=object)
    keys[:] = list(zip(*parts, strict=True)) if parts else [()] * len(frame)
    missing = np.zeros(len(frame), dtype=bool)
    for part in parts:
        missing |= pd.isna(part)
    keys[missing] = None
    return pd.Series(keys, index=frame.index, dtype=object)


def _keys(frame: pd.DataFrame, column: str, ctx: Context, source: SourceSpec) -> np.ndarray:
    """Each row's key of one column (`row_keys` without the tuples); None when the cell is empty."""
    if column not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    kind = column_type(source.column(column))
    return remembered_keys(frame[column], kind.name, ctx,
                           lambda: np.asarray(kind.keys(frame[column], ctx), dtype=object))


def _cell(row: dict[str, Any], column: str) -> str:
    """Another cell of the row, as a rule's text names it (at most a few characters of it)."""
    return excerpt(str(row.get(column)))


@row_rule("exit_not_before_entry")
def exit_not_before_entry(ctx: Context) -> pa.Check:
    def test(frame: pd.DataFrame) -> pd.Series:
        return _not_below(frame, _numbers(frame, "entry_date", cells.parse_date, dt.date.toordinal),
                          _numbers(frame, "exit_date", cells.parse_date, dt.date.toordinal))  # days

    return ctx.check(test, "exit_date", lambda _v, row: f"before the entry date {_cell(row, 'entry_date')} of the "
                                                        "same row: an exit cannot precede its entry")


@row_rule("market_entities_not_below_legal_persons")
def market_entities_not_below_legal_persons(ctx: Context) -> pa.Check:
    def test(frame: pd.DataFrame) -> pd.Series:
        # counts as floats: exact (a count's float is a whole number), so they compare as the ints do
        return _not_below(frame, _numbers(frame, "legal_persons", cells.parse_whole),
                          _numbers(frame, "market_entities", cells.parse_whole))

    return ctx.check(test, "market_entities", lambda _v, row: f"below the legal-person enterprises "
                                                              f"({_cell(row, 'legal_persons')}) of the same row: "
                                                              "market entities include them")


@row_rule("score_within_points")
def score_within_points(ctx: Context) -> pa.Check:
    def points(text: Any) -> float | None:
        code = ctx.metric_code(text)
        return ctx.spec.metric(code).points if code else None

    def test(frame: pd.DataFrame) -> pd.Series:
        return _not_below(frame, _numbers(frame, "score", cells.parse_number),
                          _numbers(frame, "metric", points) + 1e-9)  # the float sum Python makes

    def describe(_v: Any, row: dict[str, Any]) -> str:
        code = ctx.metric_code(row.get("metric")) or ""
        return (f"above the {ctx.spec.metric(code).points:g} points of {code} ({ctx.spec.label(code)}): "
                "a reviewer's score lies between 0 and the item's points")

    return ctx.check(test, "score", describe)


@set_rule("one_unit_per_credit_code")
def one_unit_per_credit_code(source: SourceSpec, ctx: Context) -> pa.Check:
    names = {u.code: u.name for u in ctx.units.units}
    units_of: dict[Any, set[str]] = {}  # credit code key → the units it appears under (filled by the test)
    code_type = column_type(source.column("credit_code"))

    def test(frame: pd.DataFrame) -> pd.Series:
        code, unit = _keys(frame, "credit_code", ctx, source), _keys(frame, "unit", ctx, source)
        code_id, codes = factorized(code)  # −1: empty
        if len(codes) == len(code):  # every code once: under one unit
            return pd.Series(True, index=frame.index)
        unit_id, unit_keys = factorized(unit)
        both = (code_id >= 0) & (unit_id >= 0)
        pairs = pd.unique(code_id[both].astype(np.int64) * (len(unit_keys) + 1) + unit_id[both])  # (code, unit) once
        pair_code, pair_unit = np.divmod(pairs, len(unit_keys) + 1)
        shared = np.bincount(pair_code, minlength=len(codes)) > 1  # a code under more than one unit
        for i in np.flatnonzero(shared[pair_code]).tolist():
            units_of.setdefault(codes[pair_code[i]], set()).add(names.get(u := unit_keys[pair_unit[i]], str(u)))
        if not units_of:
            return pd.Series(True, index=frame.index)
        told = pd.Series(code, dtype=object).isin(list(units_of)).to_numpy() & pd.notna(code)
        return pd.Series(~told, index=frame.index)

    def describe(_v: Any, row: dict[str, Any]) -> str:
        units = units_of.get(code_type.key(row.get("credit_code"), ctx), set())
        return (f"the same {source.column('credit_code').label} appears under {' and '.join(sorted(units))}: "
                "an entity belongs to one unit")

    return ctx.check(test, "credit_code", describe)
