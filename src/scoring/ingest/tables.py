"""One file's (or sheet's) table: canonical column names, then its pandera table schema.

The table schema of a source checks the columns present (strict: unknown ones refused),
the required cells, every cell's text by its column type (`types.py`) and the source's
row rules (`rules.py`), and that no cell holds an invisible character. It runs with `lazy=True`,
so every failure is collected; each becomes one line: "file: row R, column 'C' (表头): value V —
rule", for the first few rows of a column and rule, the others counted (`messages`). A table
every check passes is accepted without pandera's machinery (`schema_passes`: the same check
functions, called as pandera calls them); any other is validated by pandera, which tells it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from scoring.ingest.cells import character_name, header_keys, invisible_characters
from scoring.ingest.columns import has_empty, visible
from scoring.ingest.context import Context, DataProblem, Rule, show
from scoring.ingest.contract import SourceSpec
from scoring.ingest.messages import group_lines
from scoring.ingest.readers import RawTable
from scoring.ingest.rules import ROW_RULES
from scoring.ingest.types import column_type


@dataclass
class RawFrame:
    """A raw table as a frame with canonical column names, ready for validation."""

    raw: RawTable
    frame: pd.DataFrame  # object columns of text (None = empty), index 0..n−1
    rows: list[int]  # row number in the file of each index position
    headers: dict[str, str]  # column name in the frame → the header as written in the file


def _column_letter(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def to_raw_frame(raw: RawTable, problems: list[DataProblem]) -> RawFrame:
    """The raw table with canonical column names (unknown headers kept as written), blank
    pre-filled rows of `skip_blank` sources left out, all cells as text or None."""
    source = raw.source
    aliases = source.aliases()
    width = max(len(raw.headers), len(raw.columns))
    empty = np.full(len(raw.numbers), None, dtype=object)
    columns = [raw.columns[i] if i < len(raw.columns) else empty for i in range(width)]
    names: list[str | None] = []
    headers: dict[str, str] = {}
    for i in range(width):
        header = raw.headers[i] if i < len(raw.headers) else None
        has_data = any(v is not None and v == v for v in columns[i])  # a cell not None (nor NaN): stops at the first
        if header is None:
            names.append(f"(column {_column_letter(i)}, no header)" if has_data else None)
            continue
        name = next((aliases[k] for k in header_keys(header) if k in aliases), header)
        if name in headers:
            problems.append(DataProblem(raw.where, 1, i, f"{raw.where}: row 1, columns {show(headers[name])} and "
                                                         f"{show(header)} both mean {name!r} — keep one"))
            names.append(None)
            continue
        headers[name] = header
        names.append(name)
    kept = [(i, n) for i, n in enumerate(names) if n is not None]
    data = {n: np.asarray(columns[i], dtype=object) for i, n in kept}  # not copied (nor consolidated): read only
    frame = pd.DataFrame(data, columns=[n for _, n in kept], dtype=object, index=pd.RangeIndex(len(raw.numbers)),
                         copy=False)
    rows = list(raw.numbers)
    if source.skip_blank and len(frame):
        present = [c for c in source.skip_blank if c in frame.columns]
        if present:
            keep = frame[present].notna().any(axis=1).to_numpy()
            frame = frame[keep]
            rows = [r for r, k in zip(rows, keep, strict=True) if k]
    frame = frame.reset_index(drop=True)
    return RawFrame(raw=raw, frame=frame, rows=rows, headers=headers)


def table_schema(source: SourceSpec, ctx: Context) -> pa.DataFrameSchema:
    """Columns present (unknown ones refused), required cells, each cell's type and range, row rules."""
    columns = {
        col.name: pa.Column(None, checks=[_visible(col.name, ctx, column_type(col).repeats),
                                          *column_type(col).checks(col, source, ctx)],
                            nullable=col.empty_ok, required=col.required)
        for col in source.columns
    }
    row_checks = [ROW_RULES[name](ctx) for name in source.row_rules]
    return pa.DataFrameSchema(columns, checks=row_checks, strict=True)


def _visible(column: str, ctx: Context, repeats: bool) -> pa.Check:
    """No cell holds an invisible character (zero-width, bidirectional or control: `cells.INVISIBLE`);
    each distinct text of a column whose cells `repeat` is looked at once."""
    def describe(value: Any, _row: dict[str, Any]) -> str:
        found = invisible_characters(value if isinstance(value, str) else None)
        return (f"contains {', '.join(character_name(c) for c in found[:3])}{' …' if len(found) > 3 else ''}: an "
                "invisible character (zero-width, bidirectional or control) that makes a name look like another "
                "or turns the text around — delete it (retype the cell)")

    def test(values: pd.Series) -> pd.Series:
        return visible(values, distinct=repeats)

    return ctx.check(test, column, describe)


def column_desc(source: SourceSpec, name: str | None, headers: dict[str, str]) -> str:
    """How a message names a column: canonical name and the header as written (else the template's)."""
    written = headers.get(str(name))
    try:
        label = source.column(str(name)).header
    except KeyError:
        return f"column {name!r}"
    return f"column {name!r} ({written or label})"


def failures(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame | None:
    """pandera's failure cases of `frame` (every one: lazy), None when it is valid. A frame
    `schema_passes` accepts is valid without pandera's machinery (and its copy of the frame);
    any other is validated by pandera, so every failure case comes from it."""
    if schema_passes(schema, frame):
        return None
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as exc:
        return exc.failure_cases
    return None


def schema_passes(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> bool:
    """True only when pandera would find no failure: the schema's own check functions called as
    pandera's pandas backend calls them (strict column set, required columns, nullable columns, each
    column's checks on its Series, the frame's checks on the frame). False when one fails or raises,
    or when the schema uses a feature not mirrored here (dtype, coerce, unique, parsers, groupby,
    element-wise or NA-dropping checks, …): pandera decides those."""
    if not _mirrored(schema) or frame.columns.has_duplicates:
        return False
    present = set(frame.columns)
    if schema.strict and not present <= set(schema.columns):
        return False  # column_in_schema
    for name, col in schema.columns.items():
        if name not in present:
            if col.required:
                return False  # column_in_dataframe
            continue
        values = frame[name]
        if not all(_check_passes(check, values) for check in col.checks):
            return False
        if not col.nullable and has_empty(values):  # after the checks: they may have learnt it
            return False  # not_nullable
    return all(_check_passes(check, frame) for check in schema.checks)


def _mirrored(schema: pa.DataFrameSchema) -> bool:
    """The schema uses only what `schema_passes` mirrors."""
    plain = (schema.dtype is None and not schema.coerce and schema.strict in (True, False) and not schema.ordered
             and not schema.unique and schema.index is None and not schema.parsers and not schema.add_missing_columns
             and not schema.drop_invalid_rows and not schema.unique_column_names)
    return plain and all(
        not col.regex and col.dtype is None and not col.coerce and not col.unique and not col.parsers
        and col.default is None and not col.drop_invalid_rows and col.name == name
        for name, col in schema.columns.items())


def _check_passes(check: pa.Check, obj: pd.Series | pd.DataFrame) -> bool:
    """The check's function applied as pandera applies a vectorised check that keeps empty cells: a
    boolean (or a Series, all of it) passes; an exception, another result or another kind of check
    does not (pandera then tells it)."""
    fn = check._check_fn
    if (check.element_wise or check.ignore_na or check.groupby is not None or check.raise_warning
            or pa.Check.is_builtin_check(getattr(fn, "__name__", ""))):
        return False
    try:
        out = fn(obj, **check._check_kwargs)
    except Exception:  # pandera tells it as the check's failure
        return False
    if isinstance(out, bool | np.bool_):
        return bool(out)
    return isinstance(out, pd.Series) and bool(out.all())


def is_table_level(index: Any) -> bool:
    return index is None or (isinstance(index, float) and np.isnan(index))


def validate_table(table: RawFrame, ctx: Context) -> list[DataProblem]:
    """Every problem of one table: one line each, a few rows per column and rule (the others counted)."""
    source, where = table.raw.source, table.raw.where
    fc = failures(table_schema(source, ctx), table.frame)
    if fc is None:
        return []
    order = {name: i for i, name in enumerate(source.names)}
    out: list[DataProblem] = []
    checks = fc["check"].astype(str).to_numpy(dtype=object)
    structural = np.isin(checks, ["column_in_dataframe", "column_in_schema"])
    table_level = fc["index"].isna().to_numpy() & ~structural
    for case, check in zip(fc[structural].itertuples(index=False), checks[structural], strict=True):
        value = str(case.failure_case)
        out.append(_missing_column(source, where, value, order) if check == "column_in_dataframe"
                   else _unknown_column(source, where, table.headers.get(value, value), len(order)))
    out += [DataProblem(where, 0, 0, f"{where}: {check}") for check in dict.fromkeys(checks[table_level])]
    cell = fc[~structural & ~table_level]
    rows = np.asarray(table.rows, dtype=np.int64)
    for (check, column), part in cell.groupby([cell["check"].astype(str), _column_of(cell, ctx)], sort=False):
        rule = ctx.rules.get(check)
        col = str(column)
        positions, first = np.unique(part["index"].to_numpy(dtype=np.int64), return_index=True)
        values = part["failure_case"].to_numpy(dtype=object)[first]

        told = partial(_cell_line, table, rule, check, col, positions, values)
        out += group_lines(where, order.get(col, len(order)), f"{where}: {column_desc(source, col, table.headers)}",
                           f"{where}\x1f{col}\x1f{check}", rows[positions], told)
    return out


def _cell_line(table: RawFrame, rule: Rule | None, check: str, col: str, positions: np.ndarray, values: np.ndarray,
               k: int) -> str:
    """The line of the k-th failing row of a column and rule (`positions`: frame positions; `values`: pandera's)."""
    source, where = table.raw.source, table.raw.where
    row = table.frame.iloc[int(positions[k])].to_dict()
    shown = row.get(col) if rule is not None and rule.column is not None and col in row else values[k]
    text = rule.describe(shown, row) if rule else ("a value is required" if check == "not_nullable" else check)
    return (f"{where}: row {table.rows[int(positions[k])]}, {column_desc(source, col, table.headers)}: "
            f"value {show(shown)} — {text}")


def _column_of(cases: pd.DataFrame, ctx: Context) -> pd.Series:
    """The column each failure is told under: its rule's (a row rule names one), else pandera's."""
    told = {check: rule.column for check, rule in ctx.rules.items() if rule.column is not None}
    named = cases["check"].astype(str).map(told)
    return named.where(named.notna(), cases["column"].astype(str)).astype(str)


def _missing_column(source: SourceSpec, where: str, name: str, order: dict[str, int]) -> DataProblem:
    col = source.column(name)
    why = ("every metric with source: sheet needs its column (empty cells mean not reported)"
           if col.metric is not None else f"{source.title} needs it")
    return DataProblem(where, 1, order.get(col.name, 0),
                       f"{where}: row 1: column {col.name!r} ({col.header}) is missing — {why}")


def _unknown_column(source: SourceSpec, where: str, header: str, order: int) -> DataProblem:
    foreign = next((source.foreign[k] for k in header_keys(header) if k in source.foreign), None)
    expected = ("、".join(c.header for c in source.columns) if len(source.columns) <= 12
                else "see the template's notes sheet or docs/data.md")
    why = foreign or f"not a column of {source.title}; expected: {expected}"
    found = invisible_characters(header)
    if found:
        why = f"holds {', '.join(character_name(c) for c in found[:3])}, an invisible character — delete it; {why}"
    return DataProblem(where, 1, order, f"{where}: row 1: column {show(header)}: {why}")
