"""Named checks across the columns of a row (`row_rules`) and across the rows of a source (`set_rules`).

The contract names them (params/sources.yaml); `ROW_RULES` and `SET_RULES` are the
registries, and a name the registry lacks is refused when the contract is read. Each rule
makes one pandera check; its message may use what the check computed over the rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from scoring.ingest import cells
from scoring.ingest.columns import objects
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


def parsed(frame: pd.DataFrame, column: str, parse: Callable[[Any], Any]) -> pd.Series:
    """A column's cells parsed (None for empty cells, and for every row when the column is absent)."""
    if column not in frame.columns:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return objects(frame[column], parse)


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
    keys = np.asarray(column_type(source.column(column)).keys(frame[column], ctx), dtype=object)
    keys[pd.isna(keys)] = None
    return keys


def _cell(row: dict[str, Any], column: str) -> str:
    """Another cell of the row, as a rule's text names it (at most a few characters of it)."""
    return excerpt(str(row.get(column)))


def _pairwise(frame: pd.DataFrame, a: pd.Series, b: pd.Series, ok: Callable[[Any, Any], bool]) -> pd.Series:
    """True where either value is missing or ok(a, b)."""
    return pd.Series([x is None or y is None or ok(x, y) for x, y in zip(a, b, strict=True)], index=frame.index)


@row_rule("exit_not_before_entry")
def exit_not_before_entry(ctx: Context) -> pa.Check:
    def test(frame: pd.DataFrame) -> pd.Series:
        return _pairwise(frame, parsed(frame, "entry_date", cells.parse_date),
                         parsed(frame, "exit_date", cells.parse_date), lambda entry, leave: leave >= entry)

    return ctx.check(test, "exit_date", lambda _v, row: f"before the entry date {_cell(row, 'entry_date')} of the "
                                                        "same row: an exit cannot precede its entry")


@row_rule("market_entities_not_below_legal_persons")
def market_entities_not_below_legal_persons(ctx: Context) -> pa.Check:
    def test(frame: pd.DataFrame) -> pd.Series:
        return _pairwise(frame, parsed(frame, "legal_persons", cells.parse_whole),
                         parsed(frame, "market_entities", cells.parse_whole), lambda legal, market: market >= legal)

    return ctx.check(test, "market_entities", lambda _v, row: f"below the legal-person enterprises "
                                                              f"({_cell(row, 'legal_persons')}) of the same row: "
                                                              "market entities include them")


@row_rule("score_within_points")
def score_within_points(ctx: Context) -> pa.Check:
    def points(text: Any) -> float | None:
        code = ctx.metric_code(text)
        return ctx.spec.metric(code).points if code else None

    def test(frame: pd.DataFrame) -> pd.Series:
        return _pairwise(frame, parsed(frame, "score", cells.parse_number), parsed(frame, "metric", points),
                         lambda score, top: score <= top + 1e-9)

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
        pairs = pd.DataFrame({"code": code, "unit": unit}).dropna()
        pairs = pairs[pairs["code"].duplicated(keep=False)]  # a code under one unit needs no more look
        pairs = pairs[pairs["code"].isin(pairs.drop_duplicates().loc[lambda f: f["code"].duplicated(), "code"])]
        for c, u in zip(pairs["code"], pairs["unit"], strict=True):  # only the codes under more than one unit
            units_of.setdefault(c, set()).add(names.get(u, str(u)))
        told = pd.Series(code, dtype=object).isin(list(units_of)).to_numpy() & pd.notna(code)
        return pd.Series(~told, index=frame.index)

    def describe(_v: Any, row: dict[str, Any]) -> str:
        units = units_of.get(code_type.key(row.get("credit_code"), ctx), set())
        return (f"the same {source.column('credit_code').label} appears under {' and '.join(sorted(units))}: "
                "an entity belongs to one unit")

    return ctx.check(test, "credit_code", describe)
