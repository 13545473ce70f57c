"""The score stage's faster paths give what the plain paths give: a month's points made on their own
(engine.TidyPoints, Scored without the whole table), the months read by threads (the first bad month
raised) and fast_csv's threaded columns."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoring import csvbytes, engine
from scoring.analysis import history
from scoring.csvbytes import _THREADED_FROM, csv_bytes, fast_csv
from scoring.errors import DataError
from scoring.index.spec import parse_index
from scoring.pipeline.score import score_history
from scoring.project import Project

from .test_engine import TOY, TOY_UNITS, long

MONTHS = ["2019-06", "2019-07", "2019-08"]


def _frames() -> list[pd.DataFrame]:
    return [long(m, {"u1": {"A.1.x": i, "A.1.y": 0, "B.1.z": 0.5 - i / 10}, "u2": {"A.1.x": 5 - i, "B.1.z": 0.25},
                     "u3": {"A.1.x": 10, "A.1.y": i % 2, "B.1.z": 0.1 * i}}) for i, m in enumerate(MONTHS)]


def _parts() -> list[engine.CheckedMetrics]:
    spec = parse_index(TOY, source="toy")
    return [engine.checked_metrics(spec, TOY_UNITS, f) for f in _frames()]


def test_tidy_points_of_a_month_are_its_rows_of_the_whole_table() -> None:
    spec = parse_index(TOY, source="toy")
    tidy, summary = engine.score_and_summarise_tidy(spec, TOY_UNITS, _parts())
    assert isinstance(tidy, engine.TidyPoints)
    whole, plain_summary = engine.score_and_summarise(spec, TOY_UNITS, _parts())
    pd.testing.assert_frame_equal(tidy.frame(), whole)
    pd.testing.assert_frame_equal(summary, plain_summary)
    assert tidy.month_rows() == engine.month_rows(whole, MONTHS)
    for i, (_, start, stop) in enumerate(tidy.month_rows()):
        pd.testing.assert_frame_equal(tidy.frame(i, i + 1), whole.iloc[start:stop].reset_index(drop=True))
    pd.testing.assert_frame_equal(tidy.frame(1), whole.iloc[tidy.month_size:].reset_index(drop=True))
    pd.testing.assert_frame_equal(tidy.frame(0, 0), whole.iloc[:0])


def test_lazy_scored_reads_as_the_scored_table() -> None:
    spec = parse_index(TOY, source="toy")
    tidy, summary = engine.score_and_summarise_tidy(spec, TOY_UNITS, _parts())
    assert isinstance(tidy, engine.TidyPoints)
    whole = tidy.frame()
    eager = history.Scored(spec, TOY_UNITS, "2019-08", whole, summary, engine.month_rows(whole, MONTHS))
    lazy = history.Scored(spec, TOY_UNITS, "2019-08", tidy, summary, tidy.month_rows())
    for month in [*MONTHS, "2019-05"]:  # (2019-05, not scored: read from the whole table, then made)
        if month == "2019-05":
            assert "points" not in lazy.__dict__  # the scored months' rows made without the whole table
        pd.testing.assert_frame_equal(lazy.month_points(month), eager.month_points(month))
        for unit in TOY_UNITS.codes:
            pd.testing.assert_frame_equal(lazy.unit_points(unit, month), eager.unit_points(unit, month))
    pd.testing.assert_frame_equal(lazy.points, whole)


def _project(root: Path, bad: set[str]) -> Project:
    """A project of the toy months' processed metrics; the months in `bad` name a unit not in the units."""
    for frame, month in zip(_frames(), MONTHS, strict=True):
        folder = root / "data" / "processed" / month
        folder.mkdir(parents=True)
        frame = frame.assign(unit=frame["unit"].replace("u2", f"stranger{month}")) if month in bad else frame
        frame.to_csv(folder / "metrics.csv", index=False)
    return Project(root)


def test_score_history_is_the_engines_scoring_and_raises_the_first_bad_month(tmp_path: Path) -> None:
    spec = parse_index(TOY, source="toy")
    scored = score_history(_project(tmp_path / "good", set()), "2019-08", spec, TOY_UNITS)
    whole, summary = engine.score_and_summarise(spec, TOY_UNITS, _parts())
    pd.testing.assert_frame_equal(scored.points, whole)
    pd.testing.assert_frame_equal(scored.summary, summary)
    assert scored.month_rows == engine.month_rows(whole, MONTHS)
    with pytest.raises(DataError) as raised:
        score_history(_project(tmp_path / "bad", {"2019-07", "2019-08"}), "2019-08", spec, TOY_UNITS)
    assert "2019-07" in str(raised.value) and "2019-08" not in str(raised.value)


def test_threaded_fast_csv_is_pandas_bytes() -> None:
    n = _THREADED_FROM + 7
    rng = np.random.default_rng(13)
    frame = pd.DataFrame({"unit": pd.array([f"u{i % 97}" for i in range(n)], dtype="str"),
                          "value": rng.normal(size=n), "count": np.arange(n), "ok": np.arange(n) % 3 == 0,
                          "whole": np.floor(rng.normal(size=n) * 100)})
    with ThreadPoolExecutor(2) as pool:  # the threaded path is taken (it does not fall back to pandas)
        threaded = csvbytes._joined(list(frame.columns), [frame[c] for c in frame.columns], None, pool)
    assert threaded == fast_csv(frame, threads=2) == csv_bytes(frame) == fast_csv(frame)
    assert fast_csv(frame, "%.3f", threads=2) == csv_bytes(frame, "%.3f")
    quoted = frame.assign(unit=frame["unit"].where(frame.index != n - 1, "a,b"))  # one cell to quote: pandas
    assert fast_csv(quoted, threads=2) == csv_bytes(quoted)
    risky = frame.assign(unit=frame["unit"].where(frame.index != 3, "=1+1"))  # one cell to neutralise
    assert fast_csv(risky, threads=2) == csv_bytes(risky)
