"""A table's cells by column: from the rows of a sheet or CSV file, or straight from CSV text.

`text_grid` reads the usual department CSV file — no quote character, every data row as wide
as the others — with a few string operations over the whole text instead of a Python loop per
row; it gives exactly what `csv.reader` and the reader's stripping give (cells stripped, empty
cells None, blank rows left out, rows numbered as records from 1, the header), and None for any
other file, which the csv module then reads.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from itertools import repeat, zip_longest

import numpy as np

Cell = str | None


def rows_to_columns(body: Sequence[tuple[int, Sequence[Cell]]]) -> tuple[list[int], list[np.ndarray]]:
    """Row numbers and columns (object arrays, as many as the widest row has cells) of (number, cells) rows."""
    numbers = [n for n, _ in body]
    columns = [np.array(col, dtype=object) for col in zip_longest(*(c for _, c in body), fillvalue=None)]
    return numbers, columns


def cell_text(value: object) -> Cell:
    """A cell value as the text a user sees: None when empty; 3.0 → '3'; dates as YYYY-MM-DD."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value).strip()
    return text or None


def value_rows(records: Iterable[list[object]]) -> tuple[list[Cell], list[tuple[int, list[Cell]]]]:
    """Header and non-blank rows, cells as text, numbered from 1 (the header)."""
    header: list[Cell] = []
    body = []
    for number, record in enumerate(records, start=1):
        cells = [cell_text(v) for v in record]
        if number == 1:
            header = cells
        elif any(c is not None for c in cells):
            body.append((number, cells))
    return header, body


def _cells(line: str) -> list[Cell]:
    return [c.strip() or None for c in line.split(",")] if line else []


def text_grid(text: str) -> tuple[list[Cell], list[int], list[np.ndarray]] | None:
    """Header, row numbers of the non-blank rows and their columns of CSV `text` without quotes
    and with data rows all of one width; None when the csv module must read it."""
    if '"' in text or "\x00" in text:
        return None
    lines = _lines(text)
    if lines[-1] == "":
        lines.pop()  # the end of the last line
    if not lines:
        return [], [], []
    if len(text) > csv.field_size_limit() and max(map(len, lines)) > csv.field_size_limit():
        return None  # the csv module tells that a cell is too long
    header = _cells(lines[0])
    body = lines[1:]
    del lines
    if "" in body:  # empty lines: records without cells
        numbers = [n for n, line in enumerate(body, start=2) if line]
        body = [line for line in body if line]
    else:
        numbers = list(range(2, len(body) + 2))
    if not body:
        return header, [], []
    commas = set(map(str.count, body, repeat(",")))
    if len(commas) != 1:
        return None  # rows of different widths
    width = commas.pop() + 1
    flat = ",".join(body).split(",")
    del body
    grid = np.fromiter(map(str.strip, flat), dtype=object, count=len(flat)).reshape(-1, width)  # rows × columns
    del flat
    empty = grid == ""
    columns = [np.ascontiguousarray(grid[:, j]) for j in range(width)]
    del grid
    for column, found in zip(columns, empty.T, strict=True):
        if found.any():
            column[found] = None
    blank = empty.all(axis=1)  # rows of empty cells only
    if blank.any():
        columns = [column[~blank] for column in columns]
        numbers = np.asarray(numbers)[~blank].tolist()
    return header, numbers, columns


def _lines(text: str) -> list[str]:
    """The lines of `text`, whichever line ends it has (\\n, \\r\\n, \\r): split once when every end is \\r\\n."""
    if "\r" not in text:
        return text.split("\n")
    lines = text.split("\r\n")
    if text.count("\r") == len(lines) - 1 == text.count("\n"):  # every \r and \n in a \r\n
        return lines
    del lines
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
