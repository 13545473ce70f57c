"""A table's cells by column: from the rows of a sheet or CSV file, or straight from CSV text.

`text_grid` reads the usual department CSV file — no quote character, every data row as wide
as the others — with a few string operations over the whole text instead of a Python loop per
row; it gives exactly what `csv.reader` and the reader's stripping give (cells stripped, empty
cells None, blank rows left out, rows numbered as records from 1, the header), and None for any
other file, which the csv module then reads.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from itertools import zip_longest

import numpy as np

Cell = str | None


def rows_to_columns(body: Sequence[tuple[int, Sequence[Cell]]]) -> tuple[list[int], list[np.ndarray]]:
    """Row numbers and columns (object arrays, as many as the widest row has cells) of (number, cells) rows."""
    numbers = [n for n, _ in body]
    columns = [np.array(col, dtype=object) for col in zip_longest(*(c for _, c in body), fillvalue=None)]
    return numbers, columns


def _cells(line: str) -> list[Cell]:
    return [c.strip() or None for c in line.split(",")] if line else []


def text_grid(text: str) -> tuple[list[Cell], list[int], list[np.ndarray]] | None:
    """Header, row numbers of the non-blank rows and their columns of CSV `text` without quotes
    and with data rows all of one width; None when the csv module must read it."""
    if '"' in text or "\x00" in text:
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
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
    commas = {t.count(",") for t in body}
    if len(commas) != 1:
        return None  # rows of different widths
    width = commas.pop() + 1
    flat = list(map(str.strip, ",".join(body).split(",")))
    del body
    grid = np.fromiter(flat, dtype=object, count=len(flat)).reshape(-1, width)
    del flat
    empty = grid == ""
    if empty.any():
        grid[empty] = None
        blank = empty.all(axis=1)
        if blank.any():  # rows of empty cells only
            grid = grid[~blank]
            numbers = np.asarray(numbers)[~blank].tolist()
    return header, numbers, [grid[:, j].copy() for j in range(width)]
