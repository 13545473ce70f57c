"""The base of the column types (`types.py`): a column of free text, and the template's helpers.

`types.py` holds every other type and the registry `COLUMN_TYPES`; its docstring tells what
each method of a type is for.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from scoring.errors import CreditCountyError
from scoring.ingest import cells
from scoring.ingest.columns import column_facts, distinct_map, empty_cells, texts
from scoring.ingest.context import Context
from scoring.ingest.windows import MonthWindow

if TYPE_CHECKING:
    from openpyxl.worksheet.datavalidation import DataValidation

    from scoring.ingest.contract import ColumnSpec, SourceSpec

def data_validation(**rule: str) -> DataValidation:
    """The template's Excel data validation of a column (openpyxl's, imported only for the template)."""
    from openpyxl.worksheet.datavalidation import DataValidation

    return DataValidation(**rule)


SpecRule = tuple[str, str, str, dict[str, Any]]  # (field, rule id, English fallback, its placeholders)
TEMPLATE_EARLIEST = dt.date(2010, 1, 1)  # the template's first allowed date when the contract gives none


def excel_list(values: list[str]) -> str:
    """An Excel drop-down list formula; refused when longer than Excel's 255 characters."""
    text = ",".join(values)
    if len(text) > 255:
        raise CreditCountyError(f"a drop-down list longer than Excel's 255 characters: {text[:60]}…")
    return f'"{text}"'


def excel_date(d: dt.date) -> str:
    """A date as an Excel formula: DATE(2019,7,15)."""
    return f"DATE({d.year},{d.month},{d.day})"


def _known(key: Any) -> Any:
    """A key, None when pandas takes it as missing (None, NaN, NaT)."""
    return None if key is None or (pd.api.types.is_scalar(key) and pd.isna(key)) else key


_UNSTRIPPED = re.compile(r"\s\||\|\s")  # white space (as str.strip takes it) beside a "|" between cells


def stripped(values: pd.Series) -> bool:
    """Every cell is a str `str.strip` leaves as it is, or None (as the readers give them): the column's
    distinct texts, when known (`columns.column_facts`), else its cells, joined by "|" and looked at once:
    printable text (str.isprintable: no white space but " ") with no " " beside a "|" or at an end. A "|"
    in a cell can only make this False."""
    col = column_facts(values)
    array, empty = col.array, None if col.codes is None else col.codes < 0
    try:
        joined = "|".join(array if col.uniques is None else col.uniques)  # type: ignore[arg-type]
    except TypeError:  # an empty cell, or not only text
        empty = empty_cells(values)
        try:
            joined = "|".join(array[~empty])
        except TypeError:
            return False
    if empty is not None and empty.any() and not all(v is None for v in array[empty]):
        return False  # NaN: None in `texts`
    if joined[:1].isspace() or joined[-1:].isspace():
        return False
    if joined.isprintable():
        return "| " not in joined and " |" not in joined
    return _UNSTRIPPED.search(joined) is None


@dataclass(frozen=True)
class ColumnType:
    """A column type; the defaults are those of free text."""

    name: str = "text"
    shows_unit: bool = True  # the template's header carries the column's unit
    number_format: str | None = None  # of the template's cells
    demo_range: tuple[float, float] = (0.0, 10.0)  # [worst, best] the demo draws from without a setting
    divisor: bool = False  # a register column of this type can divide a sheet metric's count (`per`)
    repeats: bool = False  # its cells repeat (units, dates, counts): its checks read each distinct text once

    def spec_rules(self, col: ColumnSpec) -> list[SpecRule]:
        """What the contract must say for this column (field, rule id, English text, placeholders)."""
        return []

    def source_rules(self, col: ColumnSpec, source: SourceSpec) -> list[SpecRule]:
        """What the column's source must say for this column (e.g. the yes/no words)."""
        return []

    def checks(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> list[pa.Check]:
        return []

    def convert(self, col: ColumnSpec, source: SourceSpec, ctx: Context, values: pd.Series) -> Any:
        """`columns.texts` of the cells: the column itself when that changes nothing (`stripped`)."""
        if stripped(values):
            return pd.Series(values.to_numpy(dtype=object), index=values.index, dtype=object, copy=False)
        return texts(values)

    def key(self, text: Any, ctx: Context) -> Any:
        return cells.normalise(text)

    def keys(self, values: pd.Series, ctx: Context) -> np.ndarray:
        """`key` of every cell of a column (None for empty cells and for a missing key: NaN), as an object array."""
        return distinct_map(values, lambda v: _known(self.key(v, ctx)))

    def validation(self, col: ColumnSpec, source: SourceSpec, ctx: Context) -> DataValidation | None:
        return None

    def range_text(self, col: ColumnSpec, source: SourceSpec, words: dict[str, Any], window: MonthWindow) -> str:
        return ""

    def demo_cell(self, value: Any, col: ColumnSpec, source: SourceSpec) -> Any:
        return value
