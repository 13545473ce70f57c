"""All tables of a source together: the pool schema, and the typed frame of a valid source.

The pool schema checks across every row of the source, whichever file it came from:
unique keys (a duplicate across two files is a duplicate), one row per unit for per-unit
sources, and the source's set rules (`rules.py`). Its failures name the file and row of
each pooled row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pandera.pandas as pa

from scoring.ingest.context import Context, DataProblem, show
from scoring.ingest.contract import SourceSpec
from scoring.ingest.rules import SET_RULES, row_keys
from scoring.ingest.tables import RawFrame, column_desc, failures, is_table_level
from scoring.ingest.types import column_type


def _unique(source: SourceSpec, ctx: Context, describe_row: Callable[[int], str]) -> pa.Check:
    cols = source.unique
    keys: list[Any] = []  # each pooled row's key (filled by the test)

    def test(frame: pd.DataFrame) -> pd.Series:
        key = row_keys(frame, cols, ctx, source)
        keys[:] = list(key)
        return ~(key.notna() & key.duplicated(keep=False))

    def describe(_v: Any, row: dict[str, Any]) -> str:
        i = row["_row"]
        others = [describe_row(j) for j, k in enumerate(keys) if j != i and k is not None and k == keys[i]]
        labels = ", ".join(source.column(c).label for c in cols)
        return f"duplicate row: the same {labels} as {', '.join(others)}"

    return ctx.check(test, cols[0], describe)


def _every_unit(source: SourceSpec, ctx: Context) -> pa.Check:
    present: set[str | None] = set()  # the units found (filled by the test)
    blanks_ok = any(c.required and c.empty_ok for c in source.columns)

    def test(frame: pd.DataFrame) -> bool:
        present.update(ctx.unit_code(v) for v in frame.get("unit", pd.Series(dtype=object)))
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


def _pool(source: SourceSpec, tables: list[RawFrame]) -> pd.DataFrame:
    frames = [t.frame.reindex(columns=[c for c in source.names if c in t.frame.columns]) for t in tables]
    pool = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return pool.astype(object).where(pool.notna(), None)


def validate_pool(source: SourceSpec, tables: list[RawFrame], ctx: Context) -> list[DataProblem]:
    """Problems across all tables of a source (duplicates, missing units, one unit per entity)."""
    if not tables:
        return []
    locations = [(t, r) for t in tables for r in t.rows]
    pool = _pool(source, tables)

    def describe_row(i: int) -> str:
        t, r = locations[i]
        return f"row {r} of {t.raw.where}"

    fc = failures(pool_schema(source, ctx, describe_row), pool)
    if fc is None:
        return []
    order = {name: i for i, name in enumerate(source.names)}
    out: list[DataProblem] = []
    seen: set[tuple[str, Any]] = set()
    for case in fc.itertuples(index=False):
        check, index = str(case.check), case.index
        rule = ctx.rules.get(check)
        if rule is None:
            continue
        if is_table_level(index):
            where = " + ".join(dict.fromkeys(t.raw.where for t in tables))
            out.append(DataProblem(where, 0, 0, f"{where}: {rule.describe(None, {})}"))
            continue
        i = int(index)
        if (check, i) in seen:
            continue
        seen.add((check, i))
        t, r = locations[i]
        row = {**pool.iloc[i].to_dict(), "_row": i}
        col = rule.column
        out.append(DataProblem(t.raw.where, r, order.get(col, 0),
                               f"{t.raw.where}: row {r}, {column_desc(source, col, t.headers)}: "
                               f"value {show(row.get(col))} — {rule.describe(row.get(col), row)}"))
    return out


def typed_frame(source: SourceSpec, tables: list[RawFrame], ctx: Context) -> pd.DataFrame:
    """All rows of a valid source with typed columns: unit codes, dates, ints, floats (NaN = empty)."""
    frames = [t.frame.reindex(columns=source.names) for t in tables]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=source.names)
    frame = frame.astype(object).where(frame.notna(), None)
    out = pd.DataFrame(index=frame.index)
    for col in source.columns:
        values = frame[col.name] if col.name in frame.columns else pd.Series([None] * len(frame), dtype=object)
        out[col.name] = column_type(col).convert(col, source, ctx, values)
    return out
