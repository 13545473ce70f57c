"""The fast paths of the month's pools, sort and params equal the plain ones (no timing here: benchmarks/).

- `pools._repeated` (duplicate keys by one combined integer) = pandas' DataFrame.duplicated of the codes;
- `entries_order` (one integer sort, then the tied rows by code) = sort_values(kind="stable");
- `grid.text_grid` with mixed line ends = the csv module;
- `process.load_params` remembered by the files' contents: a changed file is read again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

import numpy as np
import pandas as pd
import pytest

from scoring.ingest import process
from scoring.ingest.derive import entries_order
from scoring.ingest.grid import rows_to_columns, text_grid
from scoring.ingest.pools import _repeated
from scoring.ingest.readers import _text_rows
from tests.conftest import copy_project

EMPTY = [None, np.nan, pd.NaT, pd.NA]


@pytest.mark.parametrize("seed", range(8))
def test_repeated_keys_equal_pandas_duplicated(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(0, 300)
    choices = [["a", "b", "c", *EMPTY[: rng.randint(0, 4)]], [1, 2, 1.0, True, None],
               [dt.date(2020, 1, d) for d in range(1, 4)] + [None], [f"code{i}" for i in range(400)]]
    parts = []
    for _ in range(rng.randint(1, 3)):
        pool = rng.choice(choices)
        part = np.empty(n, dtype=object)
        part[:] = [rng.choice(pool) for _ in range(n)]
        parts.append(part)
    missing = np.zeros(n, dtype=bool)
    for part in parts:
        missing |= pd.isna(part)
    codes = pd.DataFrame({i: pd.factorize(part)[0] for i, part in enumerate(parts)})
    plain = codes.duplicated(keep=False).to_numpy() & ~missing
    assert _repeated(parts).tolist() == plain.tolist()
    if n > 20:
        assert plain.any()  # the case is exercised


@pytest.mark.parametrize("seed", range(8))
def test_entries_order_equals_a_stable_sort(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 400)
    dates = [dt.date(2019, 1, 1) + dt.timedelta(days=rng.randint(0, 40)) for _ in range(n)]
    if seed % 2:
        dates[0] = None  # an empty entry date: "" sorts first
    frame = pd.DataFrame({
        "_u": [rng.randint(0, 5) for _ in range(n)], "_t": [rng.randint(0, 2) for _ in range(n)],
        "entry_date": ["" if d is None else d.isoformat() for d in dates],
        "credit_code": [rng.choice(["91A", "91B", "91a", "9\u00e91", "91"]) for _ in range(n)]})
    days = np.array([0 if d is None else d.toordinal() for d in dates], dtype=object)
    plain = frame.sort_values(["_u", "_t", "entry_date", "credit_code"], kind="stable").index.to_numpy()
    fast = entries_order(frame["_u"], frame["_t"], frame["entry_date"], frame["credit_code"], days)
    assert fast.tolist() == plain.tolist()
    frame.loc[0, "_u"] = np.nan  # pandas' own placement of an unknown unit
    plain = frame.sort_values(["_u", "_t", "entry_date", "credit_code"], kind="stable").index.to_numpy()
    fast = entries_order(frame["_u"], frame["_t"], frame["entry_date"], frame["credit_code"], days)
    assert fast.tolist() == plain.tolist()


@pytest.mark.parametrize("text", ["a,b\r\n1,2\r\n3,4\r\n", "a,b\r\n1,2\n3,4\r\n", "a,b\r\n1,2\r3,4", "a,b\n\r\n1,2\r\n",
                                  "a,b\r\n\r\n1, 2\r\n ,\r\n"])
def test_text_grid_line_ends_equal_the_csv_module(text: str) -> None:
    fast = text_grid(text)
    assert fast is not None
    header, body = _text_rows(csv.reader(io.StringIO(text, newline="")))
    numbers, columns = rows_to_columns(body)
    assert (fast[0], fast[1]) == (header, numbers)
    assert [list(c) for c in fast[2][: len(columns)]] == [list(c) for c in columns]


def test_params_are_read_again_when_a_file_changes(tmp_path) -> None:
    project = copy_project(tmp_path / "p")
    first = process.load_params(project)
    assert process.load_params(project) is first  # remembered
    units = project.units_file.read_text(encoding="utf-8")
    project.units_file.write_text(units + "\n# changed\n", encoding="utf-8")
    again = process.load_params(project)
    assert again is not first and again[1].sha256 != first[1].sha256
    assert again[1].codes == first[1].codes
