"""One file's (or sheet's) table: canonical column names, then its pandera table schema.

The table schema of a source checks the columns present (strict: unknown ones refused),
the required cells, every cell's text by its column type (`types.py`) and the source's
row rules (`rules.py`). It runs with `lazy=True`, so every failure is collected; each
becomes one line: "file: row R, column 'C' (表头): value V — rule".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from scoring.ingest.cells import header_keys
from scoring.ingest.context import Context, DataProblem, show
from scoring.ingest.contract import SourceSpec
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
    width = max([len(raw.headers), *(len(cells_) for _, cells_ in raw.rows)])
    names: list[str | None] = []
    headers: dict[str, str] = {}
    for i in range(width):
        header = raw.headers[i] if i < len(raw.headers) else None
        has_data = any(i < len(c) and c[i] is not None for _, c in raw.rows)
        if header is None:
            names.append(f"(column {_column_letter(i)}, no header)" if has_data else None)
            continue
        name = next((aliases[k] for k in header_keys(header) if k in aliases), header)
        if name in headers:
            problems.append(DataProblem(raw.where, 1, i, f"{raw.where}: row 1, columns {headers[name]!r} and "
                                                         f"{header!r} both mean {name!r} — keep one"))
            names.append(None)
            continue
        headers[name] = header
        names.append(name)
    kept = [(i, n) for i, n in enumerate(names) if n is not None]
    data = {n: [c[i] if i < len(c) else None for _, c in raw.rows] for i, n in kept}
    frame = pd.DataFrame(data, columns=[n for _, n in kept], dtype=object)
    rows = [r for r, _ in raw.rows]
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
        col.name: pa.Column(None, checks=column_type(col).checks(col, source, ctx), nullable=col.empty_ok,
                            required=col.required)
        for col in source.columns
    }
    row_checks = [ROW_RULES[name](ctx) for name in source.row_rules]
    return pa.DataFrameSchema(columns, checks=row_checks, strict=True)


def column_desc(source: SourceSpec, name: str | None, headers: dict[str, str]) -> str:
    """How a message names a column: canonical name and the header as written (else the template's)."""
    written = headers.get(str(name))
    try:
        label = source.column(str(name)).header
    except KeyError:
        return f"column {name!r}"
    return f"column {name!r} ({written or label})"


def failures(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame | None:
    """pandera's failure cases of `frame` (every one: lazy), None when it is valid."""
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as exc:
        return exc.failure_cases
    return None


def is_table_level(index: Any) -> bool:
    return index is None or (isinstance(index, float) and np.isnan(index))


def validate_table(table: RawFrame, ctx: Context) -> list[DataProblem]:
    """Every problem of one table, one line each."""
    source, where = table.raw.source, table.raw.where
    fc = failures(table_schema(source, ctx), table.frame)
    if fc is None:
        return []
    order = {name: i for i, name in enumerate(source.names)}
    out: list[DataProblem] = []
    seen: set[tuple[str, Any]] = set()
    for case in fc.itertuples(index=False):
        check, column, value, index = str(case.check), case.column, case.failure_case, case.index
        if check == "column_in_dataframe":
            out.append(_missing_column(source, where, str(value), order))
            continue
        if check == "column_in_schema":
            out.append(_unknown_column(source, where, table.headers.get(str(value), str(value)), len(order)))
            continue
        if is_table_level(index):
            out.append(DataProblem(where, 0, 0, f"{where}: {check}"))
            continue
        i = int(index)
        rule = ctx.rules.get(check)
        col = (rule.column if rule else None) or column
        if rule is not None and rule.column is not None and (check, i) in seen:
            continue
        seen.add((check, i))
        row = table.frame.iloc[i].to_dict()
        shown = row.get(col) if rule is not None and rule.column is not None and col in row else value
        text = rule.describe(shown, row) if rule else ("a value is required" if check == "not_nullable" else check)
        out.append(DataProblem(where, table.rows[i], order.get(col, len(order)),
                               f"{where}: row {table.rows[i]}, {column_desc(source, col, table.headers)}: "
                               f"value {show(shown)} — {text}"))
    return out


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
    return DataProblem(where, 1, order, f"{where}: row 1: column {header!r}: {why}")
