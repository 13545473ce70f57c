"""All tables of a source together: the pool schema, and the typed frame of a valid source.

The pool schema checks across every row of the source, whichever file it came from:
unique keys (a duplicate across two files is a duplicate), one row per unit for per-unit
sources, and the source's set rules (`rules.py`). Its failures name the file and row of
each pooled row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from scoring.ingest.columns import column_facts, factorized, known_facts
from scoring.ingest.context import Context, DataProblem, Rule, show
from scoring.ingest.contract import SourceSpec
from scoring.ingest.messages import MAX_ROWS_SHOWN, group_lines
from scoring.ingest.rules import SET_RULES, key_parts
from scoring.ingest.tables import RawFrame, column_desc, failures
from scoring.ingest.types import column_type


def _unique(source: SourceSpec, ctx: Context, describe_row: Callable[[int], str]) -> pa.Check:
    cols = source.unique
    same: dict[Any, list[int]] = {}  # a duplicated key → its pooled rows (filled by the test)
    keys: dict[int, Any] = {}  # a repeated row → its key

    def test(frame: pd.DataFrame) -> pd.Series:
        parts = key_parts(frame, cols, ctx, source)
        repeated = _repeated(parts)
        keys.clear()
        same.clear()
        for i in np.flatnonzero(repeated).tolist():
            keys[i] = k = tuple(part[i] for part in parts)
            same.setdefault(k, []).append(i)
        return pd.Series(~repeated, index=frame.index)

    def describe(_v: Any, row: dict[str, Any]) -> str:
        i = row["_row"]
        others = [j for j in same.get(keys[i], []) if j != i]
        told = ", ".join(describe_row(j) for j in others[:MAX_ROWS_SHOWN])
        more = len(others) - MAX_ROWS_SHOWN
        labels = ", ".join(source.column(c).label for c in cols)
        return f"duplicate row: the same {labels} as {told}" + (f" and {more:,} more rows" if more > 0 else "")

    return ctx.check(test, cols[0], describe)


def _repeated(parts: list[np.ndarray]) -> np.ndarray:
    """True for the rows whose key (one cell of each part) no cell of is empty and another row has too:
    the parts' factorisation codes (−1: empty, as pandas.isna) combined into one integer per row."""
    n = len(parts[0]) if parts else 0
    key = np.zeros(n, dtype=np.int64)
    missing = np.zeros(n, dtype=bool)
    span = 1  # how many keys the parts so far can make
    for part in parts:
        codes, uniques = factorized(part)  # remembered: the keys of a column are factorised once
        if len(uniques) == n:  # a part of n distinct cells (none empty): n distinct keys
            return np.zeros(n, dtype=bool)
        missing |= codes < 0
        span *= len(uniques) + 1
        if span >= 2**62:  # too many to combine: pandas compares the codes
            frame = pd.DataFrame({i: pd.factorize(p)[0] for i, p in enumerate(parts)})
            return frame.duplicated(keep=False).to_numpy() & ~missing_cells(parts)
        key = key * (len(uniques) + 1) + (codes + 1)
    return pd.Series(key).duplicated(keep=False).to_numpy() & ~missing


def missing_cells(parts: list[np.ndarray]) -> np.ndarray:
    """True for the rows with an empty cell (pandas.isna) in some part."""
    missing = np.zeros(len(parts[0]) if parts else 0, dtype=bool)
    for part in parts:
        missing |= pd.isna(part)
    return missing


def _every_unit(source: SourceSpec, ctx: Context) -> pa.Check:
    present: set[str | None] = set()  # the units found (filled by the test)
    blanks_ok = any(c.required and c.empty_ok for c in source.columns)

    def test(frame: pd.DataFrame) -> bool:
        present.update(ctx.unit_code(v) for v in pd.unique(frame.get("unit", pd.Series(dtype=object)).to_numpy(object)))
        return set(ctx.units.codes) <= present

    def describe(_v: Any, _row: dict[str, Any]) -> str:
        missing = [u for u in ctx.units.units if u.code not in present]
        return (f"no row for {'、'.join(u.name for u in missing)}: {source.title} needs one row for each of the "
                f"{len(ctx.units.units)} units" + (" (leave its cells empty if a figure is not reported)"
                                                    if blanks_ok else ""))

    return ctx.check(test, None, describe)


def pool_schema(source: SourceSpec, ctx: Context, describe_row: Callable[[int], str]) -> pa.DataFrameSchema:
    """Checks across all the rows of a source: unique keys, every unit once, set rules.

    `describe_row(i)` names pooled row i for messages ('row 7 of data/raw/…/x.csv').
    """
    checks = [_unique(source, ctx, describe_row)] if source.unique else []
    if source.per_unit:
        checks.append(_every_unit(source, ctx))
    checks += [SET_RULES[name](source, ctx) for name in source.set_rules]
    return pa.DataFrameSchema(checks=checks)


def stacked(tables: list[RawFrame], names: list[str]) -> pd.DataFrame:
    """The rows of `tables` one after the other, columns `names` (None where a table lacks a column):
    what `pandas.concat` and NaN → None give, one object array per column; what the tables' checks
    learnt of a column every table has is known of the stacked one (`stacked_facts`)."""
    total = sum(len(t.frame) for t in tables)
    data = {}
    for name in names:
        parts = [t.frame[name].to_numpy(dtype=object) if name in t.frame.columns
                 else np.full(len(t.frame), None, dtype=object) for t in tables]
        data[name] = np.concatenate(parts) if tables else np.empty(0, dtype=object)
        if all(name in t.frame.columns for t in tables):
            stacked_facts(parts, data[name])
    return pd.DataFrame(data, columns=names, index=pd.RangeIndex(total), dtype=object, copy=False)  # the arrays


def stacked_facts(parts: list[np.ndarray], whole: np.ndarray) -> None:
    """Remember of `whole`, the `parts` one after the other, what is known of every part (`columns`): its
    factorisation (the parts' distinct texts factorised in turn: pandas.factorize's of `whole`, whose
    first appearances come in that order), that every cell is text, that none holds an invisible character,
    the cells joined as ASCII bytes."""
    known = [known_facts(p) for p in parts]
    facts = [k for k in known if k is not None]
    if not parts or len(facts) < len(known):
        return
    col = column_facts(whole)
    factorised = all(k.codes is not None and k.uniques is not None for k in facts)
    if factorised and _all_distinct(parts, facts):
        col.codes, col.uniques = np.arange(len(whole)), whole  # every cell once: its own distinct text
    elif factorised:
        found, distinct = pd.factorize(np.concatenate([k.uniques for k in facts]))  # type: ignore[misc]
        ends = np.cumsum([len(k.uniques) for k in facts])  # type: ignore[arg-type]
        col.codes = np.concatenate([np.append(found[end - len(k.uniques):end], -1)[k.codes]  # type: ignore
                                    for k, end in zip(facts, ends, strict=True)])
        col.uniques = np.asarray(distinct, dtype=object)
    col.text = all(k.text for k in facts) or None
    col.clean = all(k.clean for k in facts) or None
    col.ascii = b"".join(k.ascii for k in facts) if col.text and all(k.ascii is not None for k in facts) else None  # type: ignore


def _all_distinct(parts: list[np.ndarray], facts: list[Any]) -> bool:
    """Whether no cell of the parts is empty and none is another's (a column of 统一社会信用代码): each
    part's cells its distinct texts, and no text in two parts (sets of text: cheaper than factorising)."""
    if not all(len(k.uniques) == len(part) for k, part in zip(facts, parts, strict=True)):
        return False
    seen: set[Any] = set(facts[0].uniques)
    for k in facts[1:]:
        if not seen.isdisjoint(k.uniques):
            return False
        if k is not facts[-1]:
            seen.update(k.uniques)
    return True


def pooled(source: SourceSpec, tables: list[RawFrame]) -> pd.DataFrame:
    """The rows of a source's tables one after the other, in the source's columns that some table has
    (None where a table lacks one): one table's own frame when it has just those columns in that order
    (so what its checks learnt of its columns is known to the pool's), else `stacked`."""
    if not tables:
        return pd.DataFrame()
    present = [[c for c in source.names if c in t.frame.columns] for t in tables]
    names = list(dict.fromkeys(c for found in present for c in found))
    if len(tables) == 1 and list(tables[0].frame.columns) == names:
        return tables[0].frame
    return stacked(tables, names)


def validate_pool(source: SourceSpec, tables: list[RawFrame], ctx: Context,
                  pool: pd.DataFrame | None = None) -> list[DataProblem]:
    """Problems across all tables of a source (duplicates, missing units, one unit per entity);
    `pool`: their `pooled` rows, when known."""
    if not tables:
        return []
    pool = pooled(source, tables) if pool is None else pool
    file_of = np.repeat(np.arange(len(tables)), [len(t.rows) for t in tables])
    row_of = np.concatenate([np.asarray(t.rows, dtype=np.int64) for t in tables])

    def describe_row(i: int) -> str:
        return f"row {row_of[i]} of {tables[file_of[i]].raw.where}"

    fc = failures(pool_schema(source, ctx, describe_row), pool)
    if fc is None:
        return []
    order = {name: i for i, name in enumerate(source.names)}
    out: list[DataProblem] = []
    table_level = fc["index"].isna().to_numpy()
    for check in dict.fromkeys(fc["check"].astype(str)[table_level]):
        rule = ctx.rules.get(check)
        if rule is not None:
            where = " + ".join(dict.fromkeys(t.raw.where for t in tables))
            out.append(DataProblem(where, 0, 0, f"{where}: {rule.describe(None, {})}"))
    cell = fc[~table_level]
    for check, part in cell.groupby(cell["check"].astype(str), sort=False):
        rule = ctx.rules.get(check)
        if rule is None:
            continue
        positions = np.unique(part["index"].to_numpy(dtype=np.int64))
        col = rule.column
        for k in dict.fromkeys(file_of[positions]):  # per file: a few rows told, the others counted
            t, mine = tables[k], positions[file_of[positions] == k]

            def told(n: int, mine: np.ndarray = mine, t: RawFrame = t, rule: Rule = rule) -> str:
                i = int(mine[n])
                row = {**pool.iloc[i].to_dict(), "_row": i}
                return (f"{t.raw.where}: row {row_of[i]}, {column_desc(source, rule.column, t.headers)}: "
                        f"value {show(row.get(rule.column))} — {rule.describe(row.get(rule.column), row)}")

            out += group_lines(t.raw.where, order.get(col, 0), f"{t.raw.where}: {column_desc(source, col, t.headers)}",
                               f"{t.raw.where}\x1f{col}\x1f{check}", row_of[mine], told)
    return out


def typed_frame(source: SourceSpec, tables: list[RawFrame], ctx: Context,
                pool: pd.DataFrame | None = None) -> pd.DataFrame:
    """All rows of a valid source with typed columns: unit codes, dates, ints, floats (NaN = empty);
    `pool`: the tables' `pooled` rows, when known (a column no table has is empty)."""
    frame = (pooled(source, tables) if pool is None else pool) if tables else pd.DataFrame(columns=source.names)
    out = pd.DataFrame(index=frame.index)
    for col in source.columns:
        values = frame[col.name] if col.name in frame.columns else pd.Series([None] * len(frame), dtype=object)
        out[col.name] = column_type(col).convert(col, source, ctx, values)
    return out
