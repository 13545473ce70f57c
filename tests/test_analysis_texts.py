"""scoring.analysis.texts: Arrow's comparisons and look-ups of text columns give pandas' answers."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from scoring.analysis.texts import text_equals, text_positions

TEXT = pd.StringDtype(na_value=np.nan)
CELLS = ["b", None, "a", "c", "b", "é", ""]


def _columns() -> list[pd.Series]:
    chunked = pa.chunked_array([pa.array(CELLS[:3], pa.large_string()), pa.array(CELLS[3:], pa.large_string())])
    return [pd.Series(pd.array(CELLS, dtype=TEXT)), pd.Series(TEXT.__from_arrow__(chunked)),
            pd.Series(CELLS, dtype=object), pd.Series(pd.array(CELLS, dtype=pd.StringDtype("python", np.nan)))]


@pytest.mark.parametrize("value", ["b", "a", "é", "", "zz"])
def test_text_equals_is_pandas_comparison(value: str) -> None:
    for column in _columns():
        found = text_equals(column, value)
        assert found.dtype == bool and found.tolist() == (column == value).fillna(False).tolist()
    assert text_equals(_columns()[0].iloc[:0], "b").dtype == bool


@pytest.mark.parametrize("labels", [["a", "b", "c"], ["c", "é", "", "b"], [], ["x"]])
def test_text_positions_is_get_indexer(labels: list[str]) -> None:
    for column in _columns():
        expected = pd.Index(labels, dtype=object).get_indexer(column.to_numpy(dtype=object))
        assert text_positions(column, labels).tolist() == expected.tolist()
    assert text_positions(_columns()[1], ["b", "a"]).tolist() == [0, -1, 1, -1, 0, -1, -1]


def test_the_points_tables_text_columns_equal_pandas_own() -> None:
    """engine.tidy lays a text column out once and shares it across the months: the same column
    (dtype and cells) as pandas builds from the texts taken at the codes, month after month."""
    from scoring.engine import tidy

    values, codes = ["c1", "c1.i1", "临沂"], np.array([2, 0, 1, 1, 0])
    shared = pd.Series(tidy._texts(values, codes, 3))
    plain = pd.Series(pd.array(np.asarray(values, dtype=object)[np.tile(codes, 3)], dtype=tidy._STR_DTYPE))
    assert shared.dtype == plain.dtype and shared.tolist() == plain.tolist()
    months = pd.Series(tidy._month_texts(["2020-01", "2020-02"], 4))
    assert months.dtype == plain.dtype and months.tolist() == ["2020-01"] * 4 + ["2020-02"] * 4
