"""The lines of a refusal: one per problem, sorted, and bounded whatever the input.

A problem found in many rows of one file, column and rule (a group) is told for its first
`MAX_ROWS_SHOWN` rows, then counted: "…: column 'unit' (县区): … and 1,997 more rows with the
same problem (rows 5 to 2001)". A file with more than `MAX_LINES_PER_FILE` lines tells each
group in one line; past that its other problems are counted, and past `MAX_LINES` lines in all
the rest are counted. Every line is at most `MAX_LINE_CHARS` characters, its invisible and
control characters escaped (\\u202e), and a cell value is shown as at most `MAX_VALUE_CHARS`
characters of it, so a message never echoes a file at length.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_VALUE_CHARS = 40  # of a cell value, as a message shows it
MAX_ROWS_SHOWN = 3  # rows told for one file, column and rule; the others are counted
MAX_LINES_PER_FILE = 30
MAX_LINES = 60  # in all
MAX_LINE_CHARS = 500


@dataclass
class DataProblem:
    """One line of a refusal; `where`, `row` and `order` (column position) sort the lines.

    Rows of one file, column and rule share a `group`; the group's summary line (`more` > 0)
    stands for `more` rows not told, the first and last of them in `span`.
    """

    where: str
    row: int  # 0: about the whole file or folder
    order: int
    text: str
    group: str = ""
    more: int = 0
    span: tuple[int, int] = (0, 0)


def excerpt(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    """At most `limit` characters of `text` (cut with '…')."""
    return text if len(text) <= limit else text[:limit] + "…"


def escaped(text: str) -> str:
    """`text` with characters that are not printable (controls, zero-width, bidi) as \\x, \\u escapes."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def show(value: Any) -> str:
    """A cell value as a message shows it: quoted, at most MAX_VALUE_CHARS characters, escaped."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "(empty)"
    return repr(excerpt(value)) if isinstance(value, str) else repr(value)


def rows_text(first: int, last: int) -> str:
    return f"row {first}" if first == last else f"rows {first} to {last}"


def group_lines(where: str, order: int, label: str, key: str, rows: np.ndarray, text_of: Any) -> list[DataProblem]:
    """The problem of one group in `rows` (the file's row numbers, ascending): the first
    MAX_ROWS_SHOWN told (`text_of(k)`: the line of the k-th), a summary for the others.
    `label` names file and column ('data/raw/…/x.csv: column 'unit' (县区)')."""
    shown = range(min(len(rows), MAX_ROWS_SHOWN))
    out = [DataProblem(where, int(rows[k]), order, text_of(k), group=key) for k in shown]
    rest = rows[MAX_ROWS_SHOWN:]
    if len(rest):
        first, last = int(rest.min()), int(rest.max())
        out.append(DataProblem(where, int(rows[MAX_ROWS_SHOWN - 1]), order,
                               f"{label}: … and {len(rest):,} more row{'s' if len(rest) > 1 else ''} with the same "
                               f"problem ({rows_text(first, last)})", group=key, more=len(rest), span=(first, last)))
    return out


def problem_count(problems: list[DataProblem]) -> int:
    """How many problems the lines stand for (a summary line counts its rows)."""
    told = {p.text: p for p in problems}
    return sum(p.more or 1 for p in told.values())


def _compact(items: list[DataProblem], rank: dict[int, float]) -> list[DataProblem]:
    """Each group in one line, in its first row's place: that row, with the count of the others."""
    groups: dict[str, list[DataProblem]] = {}
    for p in items:
        if p.group:
            groups.setdefault(p.group, []).append(p)
    out: list[DataProblem] = []
    for p in items:
        members = groups.get(p.group) if p.group else None
        if members is None:
            out.append(p)
            continue
        if members[0] is not p:
            continue
        shown = [m for m in members if not m.more]
        summary = next((m for m in members if m.more), None)
        others = len(shown) - 1 + (summary.more if summary else 0)
        if not others:
            out.append(p)
            continue
        first = shown[1].row if len(shown) > 1 else summary.span[0]  # type: ignore[union-attr]
        last = summary.span[1] if summary else shown[-1].row
        line = DataProblem(p.where, p.row, p.order, f"{p.text} — and {others:,} more row{'s' if others > 1 else ''} "
                                                    f"with the same problem ({rows_text(first, last)})",
                           p.group, others, (first, last))
        rank[id(line)] = rank[id(p)]
        out.append(line)
    return out


def _bounded_file(where: str, items: list[DataProblem], rank: dict[int, float]) -> list[DataProblem]:
    """At most MAX_LINES_PER_FILE lines about one file; new lines get a `rank` (their place)."""
    if len(items) <= MAX_LINES_PER_FILE:
        return items
    items = _compact(items, rank)
    if len(items) <= MAX_LINES_PER_FILE:
        return items
    kept, rest = items[:MAX_LINES_PER_FILE - 1], items[MAX_LINES_PER_FILE - 1:]
    n = sum(p.more or 1 for p in rest)
    line = DataProblem(where, rest[0].row, rest[0].order, f"{where}: … and {n:,} more problem{'s' if n > 1 else ''} "
                                                          "not shown (fix those above and run again to see them)",
                       more=n)
    rank[id(line)] = rank[id(kept[-1])] + 0.5
    return [*kept, line]


def sorted_lines(problems: list[DataProblem]) -> list[str]:
    """File-level problems first in the order found, then by file, row and column; no repeats;
    bounded (see the module's docstring)."""
    first = [p for p in problems if p.row == 0]
    rest = sorted((p for p in problems if p.row != 0), key=lambda p: (p.where, p.row, p.order, p.more > 0, p.text))
    seen: set[str] = set()
    files: dict[str, list[DataProblem]] = {}
    rank: dict[int, float] = {}
    for p in [*first, *rest]:
        if p.text not in seen:
            seen.add(p.text)
            rank[id(p)] = len(rank)
            files.setdefault(p.where, []).append(p)
    told = sorted((p for where, items in files.items() for p in _bounded_file(where, items, rank)),
                  key=lambda p: rank[id(p)])
    lines = [excerpt(escaped(p.text), MAX_LINE_CHARS) for p in told]
    if len(lines) > MAX_LINES:
        n = sum(p.more or 1 for p in told[MAX_LINES - 1:])
        lines = [*lines[:MAX_LINES - 1], f"… and {n:,} more problem{'s' if n > 1 else ''} not shown (fix those above "
                                         "and run again to see them)"]
    return lines
