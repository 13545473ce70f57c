"""The engine's whole-array paths (issue 13) against the plain ones they replace: the same points,
fractions, summary and errors, bit for bit, including the inputs that send them back to the plain path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoring import engine
from scoring.engine import points as engine_points
from scoring.errors import DataError, ScoringError
from scoring.index import methods
from scoring.index.spec import IndexSpec, Node, Unit, Units, load_index

ROOT = Path(__file__).resolve().parents[1]
SPEC = load_index(ROOT / "params" / "index.yaml")
UNITS = Units(units=tuple(Unit(f"u{i}", f"单位{i}", "county" if i % 3 else "zone") for i in range(40)),
              tiers={"county": "县", "zone": "功能区"}, sha256="")


def _metrics(months: list[str], seed: int, missing: float = 0.1) -> pd.DataFrame:
    """Plausible values for every metric (method-aware), some missing, some units all equal."""
    rng = np.random.default_rng(seed)
    rows = []
    for month in months:
        for m in SPEC.metrics():
            kind = methods.CATALOGUE[m.method].value_kind
            same = rng.random() < 0.1  # every unit the same value: the all-equal branches
            for u in UNITS.codes:
                if rng.random() < missing:
                    continue
                draw = rng.random() if not same else 0.5
                v = (float(draw < 0.5) if kind == "flag" else float(int(draw * 3)) if kind == "count"
                     else round(draw * m.points, 2) if kind == "score" else float(draw))
                rows.append((month, u, m.code, v))
    return pd.DataFrame(rows, columns=["month", "unit", "metric", "value"])


# ------------------------------------------------------------------ the plain engine (as it was)


def _plain_tidy_month(spec: IndexSpec, month: str, values: pd.DataFrame, fractions: pd.DataFrame,
                      missing: pd.DataFrame) -> pd.DataFrame:
    unit_codes = np.asarray(values.index, dtype=object)
    n = len(unit_codes)
    blocks: list[dict[str, object]] = []
    metric_points: dict[str, pd.Series] = {}
    for m in spec.metrics():
        pts = fractions[m.code] * m.points
        metric_points[m.code] = pts
        own = methods.flags(m.method, values[m.code], fractions[m.code]).to_numpy()
        flags = np.where(own != "", own, np.where(missing[m.code], engine.FLAG_MISSING, ""))
        blocks.append({"level": spec.levels[-1], "code": m.code, "parent": m.parent,
                       "raw_value": values[m.code].to_numpy(dtype=float), "fraction": fractions[m.code].to_numpy(),
                       "points": pts.to_numpy(), "max_points": m.points, "flags": flags})

    def aggregate(node: Node, parent: str) -> pd.Series:
        parts = [metric_points[m.code] for m in node.metrics] + [aggregate(c, node.code) for c in node.children]
        pts = sum(parts[1:], parts[0])
        blocks.append({"level": node.level, "code": node.code, "parent": parent, "raw_value": np.nan,
                       "fraction": (pts / node.points).to_numpy(), "points": pts.to_numpy(),
                       "max_points": node.points, "flags": ""})
        return pts

    aggregate(spec.root, "")
    blocks.reverse()

    def column(name: str, dtype: object = None) -> np.ndarray:
        if all(np.ndim(b[name]) == 0 for b in blocks):
            return np.repeat(np.asarray([b[name] for b in blocks], dtype=dtype), n)
        return np.concatenate([np.full(n, b[name], dtype=dtype) if np.ndim(b[name]) == 0
                               else np.asarray(b[name], dtype=dtype) for b in blocks])

    text = pd.StringDtype(na_value=np.nan)
    return pd.DataFrame({
        "month": pd.array(np.full(n * len(blocks), month, dtype=object), dtype=text),
        "unit": pd.array(np.tile(unit_codes, len(blocks)), dtype=text),
        "level": pd.array(column("level", object), dtype=text), "code": pd.array(column("code", object), dtype=text),
        "parent": pd.array(column("parent", object), dtype=text), "raw_value": column("raw_value", float),
        "fraction": column("fraction", float), "points": column("points", float),
        "max_points": column("max_points"), "flags": pd.array(column("flags", object), dtype=text),
    })[engine.POINT_COLUMNS]


def _plain_score(spec: IndexSpec, units: Units, metrics: pd.DataFrame) -> pd.DataFrame:
    """engine.score before issue 13: one pivot, one metric_fractions loop and one frame per month."""
    codes = [m.code for m in spec.metrics()]
    frames = []
    for month, values in metrics[metrics["month"].notna()].groupby("month"):
        grid = values.pivot(index="unit", columns="metric", values="value").reindex(index=units.codes, columns=codes)
        grid = grid.astype(float)
        fractions, missing = engine_points._metric_fractions_plain(spec, grid)
        frames.append(_plain_tidy_month(spec, str(month), grid, fractions, missing))
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------ the tests


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_score_equals_the_plain_engine(seed: int) -> None:
    metrics = _metrics(["2020-01", "2020-02", "2020-03"], seed)
    pd.testing.assert_frame_equal(engine.score(SPEC, UNITS, metrics), _plain_score(SPEC, UNITS, metrics),
                                  check_exact=True)


def test_metric_fractions_equal_the_plain_loop() -> None:
    metrics = _metrics(["2020-05"], 7, missing=0.3)
    values = metrics.pivot(index="unit", columns="metric", values="value")
    fast, missing = engine.metric_fractions(SPEC, UNITS, values)
    plain, plain_missing = engine_points._metric_fractions_plain(
        SPEC, values.reindex(index=UNITS.codes, columns=[m.code for m in SPEC.metrics()]).astype(float))
    pd.testing.assert_frame_equal(fast, plain, check_exact=True, check_names=False)
    pd.testing.assert_frame_equal(missing, plain_missing, check_exact=True)


def test_tables_the_fast_check_leaves_alone_are_scored_alike() -> None:
    """Text values, integer values and rows without a month: the general check and placement."""
    metrics = _metrics(["2020-01", "2020-02"], 4)
    reference = engine.score(SPEC, UNITS, metrics)
    as_text = metrics.assign(value=metrics["value"].map(repr).astype(object))
    assert engine_points._clean_positions(UNITS.codes, [m.code for m in SPEC.metrics()], as_text) is None
    pd.testing.assert_frame_equal(engine.score(SPEC, UNITS, as_text), reference, check_exact=True)
    undated = pd.concat([metrics, metrics.iloc[:5].assign(month=np.nan)], ignore_index=True)
    pd.testing.assert_frame_equal(engine.score(SPEC, UNITS, undated), reference, check_exact=True)


def test_score_checked_equals_score_of_the_concatenation() -> None:
    months = [_metrics([m], i) for i, m in enumerate(["2020-01", "2020-02", "2020-03"])]
    parts = [engine.checked_metrics(SPEC, UNITS, f) for f in months]
    points, summary = engine.score_and_summarise(SPEC, UNITS, parts)
    whole = engine.score(SPEC, UNITS, pd.concat(months, ignore_index=True))
    pd.testing.assert_frame_equal(points, whole, check_exact=True)
    pd.testing.assert_frame_equal(summary, engine.summarise(SPEC, UNITS, whole), check_exact=True)
    pd.testing.assert_frame_equal(engine.score_checked(SPEC, UNITS, []), engine.score(
        SPEC, UNITS, pd.DataFrame(columns=["month", "unit", "metric", "value"])))


def test_a_month_in_two_tables_is_checked_as_one_table() -> None:
    """A row repeated across two tables: the concatenation's duplicate error, its row numbers."""
    first = _metrics(["2020-01"], 1)
    second = pd.concat([_metrics(["2020-02"], 2), first.iloc[[3]]], ignore_index=True)
    parts = [engine.checked_metrics(SPEC, UNITS, f) for f in (first, second)]
    with pytest.raises(DataError) as fast:
        engine.score_checked(SPEC, UNITS, parts)
    with pytest.raises(DataError) as whole:
        engine.score(SPEC, UNITS, pd.concat([first, second], ignore_index=True))
    assert fast.value.problems == whole.value.problems and "duplicate value" in fast.value.problems[0]


def test_the_clean_check_refuses_what_the_general_one_refuses() -> None:
    metrics = _metrics(["2020-01"], 5)
    bad = metrics.copy()
    bad.loc[2, "unit"] = "nowhere"
    bad.loc[4, "metric"] = "Q"
    bad = pd.concat([bad, bad.iloc[[7]]], ignore_index=True)
    with pytest.raises(DataError) as info:
        engine.check_metric_table(SPEC, UNITS, bad, source="m.csv")
    text = "\n".join(info.value.problems)
    assert "row 4, column 'unit': 'nowhere'" in text and "row 6, column 'metric': 'Q'" in text
    assert "duplicate value" in text


@pytest.mark.parametrize("month_index", [0, 1])
def test_a_bad_value_is_worded_as_the_plain_loop_words_it(month_index: int) -> None:
    """A count below 0 in one month: the all-months call fails, the plain loop names the unit."""
    metrics = _metrics(["2020-01", "2020-02"], 6, missing=0.0)
    count = next(m for m in SPEC.metrics() if methods.CATALOGUE[m.method].value_kind == "count")
    row = metrics.index[(metrics["metric"] == count.code) & (metrics["unit"] == "u7")][month_index]
    metrics.loc[row, "value"] = -2.0
    with pytest.raises(ScoringError) as fast:
        engine.score(SPEC, UNITS, metrics)
    with pytest.raises(ScoringError) as plain:
        _plain_score(SPEC, UNITS, metrics)
    assert fast.value.problems == plain.value.problems
    assert f"metric {count.code}" in str(fast.value) and "unit 'u7': value -2" in str(fast.value)
