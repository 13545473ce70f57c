"""Text columns held by Arrow (pandas' 'str'): comparisons and look-ups computed by Arrow over the
column's UTF-8 cells, without a Python text object per cell; the same answers as pandas'."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _arrow_text(column: pd.Series) -> pa.ChunkedArray | None:
    """The column's Arrow cells when it is a text column held by Arrow, else None."""
    dtype = column.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        return column.array.__arrow_array__()
    return None


def text_equals(column: pd.Series, value: str) -> np.ndarray:
    """`column == value` as a boolean array (a missing text: False)."""
    cells = _arrow_text(column)
    if cells is None:
        return (column == value).to_numpy(dtype=bool)
    found = pc.fill_null(pc.equal(cells, pa.scalar(value, cells.type)), False)
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)


def text_positions(keys: pd.Series, labels: pd.Index | list[str]) -> np.ndarray:
    """`pd.Index(labels).get_indexer(keys)`: each key's position in `labels` (unique), −1 where it is
    not there (or missing)."""
    labels = pd.Index(labels)
    cells = _arrow_text(keys)
    if (cells is None or not labels.is_unique
            or pd.api.types.infer_dtype(labels, skipna=False) not in ("string", "empty")):
        return labels.get_indexer(keys.to_numpy(dtype=object))
    found = pc.index_in(cells, value_set=pa.array(labels.to_numpy(dtype=object), cells.type))
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
