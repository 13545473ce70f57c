"""The engine on a toy index with hand-computed points, and on Linyi's index through the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from scoring import engine
from scoring.cli import main
from scoring.errors import DataError, ScoringError
from scoring.index import methods
from scoring.index.spec import Unit, Units, load_index, load_units, parse_index

ROOT = Path(__file__).resolve().parents[1]

TOY = {
    "code": "toy", "name": "玩具指数", "total": 20, "levels": ["index", "category", "indicator", "metric"],
    "pass_line": {"points": 12, "reason": "test"},
    "children": [
        {"code": "A", "name": "甲类", "points": 12, "children": [
            {"code": "A.1", "name": "甲一", "points": 12, "metrics": [
                {"code": "A.1.x", "name": "x", "unit": "个", "direction": "higher", "method": "minmax",
                 "weight": 2, "rationale": "r"},
                {"code": "A.1.y", "name": "y", "unit": "件", "direction": "lower", "method": "zero_tolerance",
                 "weight": 1, "rationale": "r"},
            ]},
        ]},
        {"code": "B", "name": "乙类", "points": 8, "children": [
            {"code": "B.1", "name": "乙一", "points": 8, "metrics": [
                {"code": "B.1.z", "name": "z", "unit": "比例", "direction": "higher", "method": "goalposts",
                 "params": {"floor": 0, "target": 0.5}, "weight": 1, "rationale": "r"},
            ]},
        ]},
    ],
}
TOY_UNITS = Units(
    units=(Unit("u1", "一", "county"), Unit("u2", "二", "county"), Unit("u3", "三", "zone")),
    tiers={"county": "县", "zone": "功能区"}, sha256="",
)


def long(month: str, table: dict[str, dict[str, float]]) -> pd.DataFrame:
    rows = [(month, unit, code, value) for unit, values in table.items() for code, value in values.items()]
    return pd.DataFrame(rows, columns=["month", "unit", "metric", "value"])


@pytest.fixture
def toy_spec():
    return parse_index(TOY, source="toy")


def test_points_by_hand(toy_spec):
    # x: 0, 5, 10 → minmax 0, .5, 1 × 8 points; y: 0, 1, 0 → 1, 0, 1 × 4; z: .5, .25, .1 → 1, .5, .2 × 8
    metrics = long("2019-07", {
        "u1": {"A.1.x": 0, "A.1.y": 0, "B.1.z": 0.5},
        "u2": {"A.1.x": 5, "A.1.y": 1, "B.1.z": 0.25},
        "u3": {"A.1.x": 10, "A.1.y": 0, "B.1.z": 0.1},
    })
    points = engine.score(toy_spec, TOY_UNITS, metrics)
    assert list(points.columns) == engine.POINT_COLUMNS
    total = points[points["code"] == "toy"].set_index("unit")["points"]
    assert total.to_dict() == pytest.approx({"u1": 12.0, "u2": 8.0, "u3": 13.6})
    a = points[points["code"] == "A"].set_index("unit")
    assert a["points"].to_dict() == pytest.approx({"u1": 4.0, "u2": 4.0, "u3": 12.0})
    assert a.loc["u3", "fraction"] == pytest.approx(1.0)
    y = points[points["code"] == "A.1.y"].set_index("unit")
    assert y.loc["u2", "flags"] == engine.FLAG_ZERO_TOLERANCE
    assert y.loc["u1", "flags"] == ""
    assert set(points["level"]) == {"index", "category", "indicator", "metric"}

    summary = engine.summarise(toy_spec, TOY_UNITS, points)
    s = summary.set_index("unit")
    assert s["total"].to_dict() == pytest.approx({"u1": 12.0, "u2": 8.0, "u3": 13.6})
    assert s["rank"].to_dict() == {"u1": 2, "u2": 3, "u3": 1}
    assert s["tier_rank"].to_dict() == {"u1": 1, "u2": 2, "u3": 1}
    assert s["pass"].to_dict() == {"u1": True, "u2": False, "u3": True}
    assert list(summary.columns) == ["month", "unit", "name", "tier", "A", "B", "total", "total_rounded", "rank",
                                     "tier_rank", "pass"]


def test_missing_value_scores_zero_is_flagged_and_not_compared(toy_spec):
    metrics = long("2019-07", {
        "u1": {"A.1.x": 0, "A.1.y": 0, "B.1.z": 0.5},
        "u2": {"A.1.x": np.nan, "A.1.y": 0, "B.1.z": 0.5},
        "u3": {"A.1.x": 10, "A.1.y": 0},  # B.1.z absent altogether
    })
    points = engine.score(toy_spec, TOY_UNITS, metrics).set_index(["unit", "code"])
    assert points.loc[("u2", "A.1.x"), "points"] == 0
    assert points.loc[("u2", "A.1.x"), "flags"] == engine.FLAG_MISSING
    assert np.isnan(points.loc[("u2", "A.1.x"), "raw_value"])
    assert points.loc[("u3", "B.1.z"), "flags"] == engine.FLAG_MISSING
    # u1 and u3 are the only units compared for x: 0 → 0, 10 → full 8 points
    assert points.loc[("u3", "A.1.x"), "points"] == pytest.approx(8.0)


def test_ties_share_the_better_rank(toy_spec):
    same = {"A.1.x": 1, "A.1.y": 0, "B.1.z": 0.5}
    metrics = long("2019-07", {"u1": same, "u2": same, "u3": {**same, "B.1.z": 0.0}})
    summary = engine.summarise(toy_spec, TOY_UNITS, engine.score(toy_spec, TOY_UNITS, metrics))
    assert summary["rank"].tolist() == [1, 1, 3]


def test_months_are_scored_separately(toy_spec):
    a = long("2019-07", {"u1": {"A.1.x": 0}, "u2": {"A.1.x": 10}, "u3": {"A.1.x": 5}})
    b = long("2019-08", {"u1": {"A.1.x": 10}, "u2": {"A.1.x": 0}, "u3": {"A.1.x": 5}})
    points = engine.score(toy_spec, TOY_UNITS, pd.concat([a, b]))
    x = points[points["code"] == "A.1.x"].set_index(["month", "unit"])["points"]
    assert x[("2019-07", "u2")] == pytest.approx(8) and x[("2019-08", "u1")] == pytest.approx(8)


def test_refuses_unknown_units_metrics_duplicates(toy_spec):
    metrics = long("2019-07", {"u9": {"A.1.x": 1}, "u1": {"Q": 1}})
    metrics = pd.concat([metrics, metrics.iloc[[0]]])
    with pytest.raises(DataError) as info:
        engine.score(toy_spec, TOY_UNITS, metrics)
    text = "\n".join(info.value.problems)
    assert "row 2, column 'unit': 'u9'" in text
    assert "row 3, column 'metric': 'Q'" in text
    assert "duplicate value for (2019-07, u9, A.1.x)" in text


def test_flags_come_from_the_method_not_from_its_name(toy_spec):
    """A missing value is flagged `missing`; the method's own flags (zero_tolerance) where it has a value."""
    metrics = long("2019-07", {"u1": {"A.1.y": 2}, "u2": {"A.1.y": np.nan}, "u3": {"A.1.y": 0}})
    flags = engine.score(toy_spec, TOY_UNITS, metrics).set_index(["unit", "code"])["flags"]
    assert [flags[(u, "A.1.y")] for u in ("u1", "u2", "u3")] == [engine.FLAG_ZERO_TOLERANCE, engine.FLAG_MISSING, ""]
    assert engine.FLAG_ZERO_TOLERANCE == "zero_tolerance_failed" and engine.FLAG_MISSING == "missing"
    assert (flags.xs("A.1.x", level="code") == engine.FLAG_MISSING).all()


def test_no_code_tests_a_method_by_its_name():
    """What a method does is in its catalogue entry: the loader, the engine and the weights never
    branch on a method's name."""
    import re

    pattern = re.compile(r"""(method|method_name|\.method)\s*(==|!=|\bin\b)\s*[("'\[]""")
    hits = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
            for folder in ("index", "engine") for path in sorted((ROOT / "src" / "scoring" / folder).glob("*.py"))
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if pattern.search(line)]
    assert hits == []


def test_out_of_domain_value_names_metric_and_unit(toy_spec):
    metrics = long("2019-07", {"u1": {"A.1.y": -2}})
    with pytest.raises(ScoringError, match=r"metric A\.1\.y .*unit 'u1': value -2"):
        engine.score(toy_spec, TOY_UNITS, metrics)


# ------------------------------------------------------------------ Linyi index through the CLI


def linyi_month(seed: int = 1) -> pd.DataFrame:
    """Plausible values for every metric of the Linyi index (method-aware), 16 units."""
    spec = load_index(ROOT / "params" / "index.yaml")
    units = load_units(ROOT / "params" / "units.yaml")
    rng = np.random.default_rng(seed)
    rows = []
    for m in spec.metrics():
        kind = methods.CATALOGUE[m.method].value_kind
        for u in units.codes:
            if kind == "flag":
                v = float(rng.integers(0, 2))
            elif kind == "count":
                v = float(rng.poisson(0.3))
            elif kind == "score":
                v = round(float(rng.uniform(0, m.points)), 2)
            else:
                v = float(rng.uniform(0, 1))
            rows.append(("2019-07", u, m.code, v))
    return pd.DataFrame(rows, columns=["month", "unit", "metric", "value"])


@pytest.fixture
def project(tmp_path):
    shutil.copytree(ROOT / "params", tmp_path / "params")
    return tmp_path


def test_score_command_writes_scores_csv(project, capsys):
    metrics = linyi_month()
    (project / "data" / "processed" / "2019-07").mkdir(parents=True)
    metrics.to_csv(project / "data" / "processed" / "2019-07" / "metrics.csv", index=False)
    assert main(["--root", str(project), "score", "--month", "2019-07"]) == 0
    scores = pd.read_csv(project / "outputs" / "2019-07" / "scores.csv")
    assert list(scores.columns) == ["month", "unit", "name", "tier", "c1", "c2", "c3", "c4", "c5", "c6",
                                    "total", "total_rounded", "rank", "tier_rank", "pass"]
    assert len(scores) == 16
    categories = scores[["c1", "c2", "c3", "c4", "c5", "c6"]].sum(axis=1)
    assert np.allclose(scores["total"], categories, atol=1e-5)
    assert scores["rank"].min() == 1 and scores["total"].max() <= 150
    top = scores.sort_values("rank").iloc[0]
    assert top["total"] == scores["total"].max()
    first = (project / "outputs" / "2019-07" / "scores.csv").read_bytes()
    assert main(["--root", str(project), "score", "--month", "2019-07"]) == 0
    assert (project / "outputs" / "2019-07" / "scores.csv").read_bytes() == first


def test_score_command_missing_input_is_a_clear_error(project, capsys):
    assert main(["--root", str(project), "score", "--month", "2019-07"]) == 2
    err = capsys.readouterr().err
    assert "metrics.csv: not found" in err and "credit-county ingest --month 2019-07" in err


def test_index_json_has_the_tree(project, capsys):
    import json

    assert main(["--root", str(project), "index", "--json"]) == 0
    tree = json.loads(capsys.readouterr().out)
    assert tree["points"] == 150
    assert [c["points"] for c in tree["children"]] == [85, 15, 10, 10, 22, 8]


def test_bad_index_refused_by_the_command(project, capsys):
    raw = yaml.safe_load((project / "params" / "index.yaml").read_text(encoding="utf-8"))
    raw["children"][2]["points"] = 11
    (project / "params" / "index.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert main(["--root", str(project), "index"]) == 2
    err = capsys.readouterr().err
    assert "index.yaml: children[2].points: c3 的分值 11 ≠ 其下级分值之和 10（c3.i1=5 + c3.i2=5） — 11" in err
