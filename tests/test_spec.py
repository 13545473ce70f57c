"""The index and units loaders: Linyi's totals, and every refusal names its entry."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from scoring.errors import SpecError
from scoring.index.spec import load_index, load_units, parse_index

ROOT = Path(__file__).resolve().parents[1]
INDEX = ROOT / "params" / "index.yaml"


@pytest.fixture(scope="module")
def raw_index() -> dict:
    return yaml.safe_load(INDEX.read_text(encoding="utf-8"))


def test_linyi_index_totals_match_the_document():
    spec = load_index(INDEX)
    assert spec.total == 150
    assert [c.points for c in spec.categories] == [85, 15, 10, 10, 22, 8]
    indicators = [n for n in spec.nodes() if n.level == "indicator"]
    assert len(indicators) == 17
    assert [n.points for n in indicators] == [6, 10, 10, 12, 26, 21, 6, 4, 3, 2, 5, 5, 8, 2, 16, 6, 8]
    assert 55 <= len(spec.metrics()) <= 60
    assert sum(m.points for m in spec.metrics()) == pytest.approx(150)
    for ind in indicators:
        assert sum(m.points for m in ind.metrics) == pytest.approx(ind.points)


def test_metric_points_follow_weights():
    spec = load_index(INDEX)
    # c3.i2 (5 points) splits 3 : 2
    assert spec.metric("c3.i2.m1").points == pytest.approx(3.0)
    assert spec.metric("c3.i2.m2").points == pytest.approx(2.0)


def test_names_are_the_documents_text():
    doc = ROOT / "docs" / "source" / "linyi-credit-county-guidance-2019.txt"
    text = doc.read_text(encoding="utf-8").replace("“", '"').replace("”", '"')
    spec = load_index(INDEX)
    for node in spec.nodes()[1:]:
        assert node.name in text, node.code
    missing = [m.code for m in spec.metrics() if m.name not in text]
    assert missing == [], missing


def test_codes_are_unique_and_ascii():
    spec = load_index(INDEX)
    codes = [n.code for n in spec.nodes()] + [m.code for m in spec.metrics()]
    assert len(codes) == len(set(codes))
    assert all(c.isascii() for c in codes)


def refuse(raw: dict, fragment: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_index(raw, source="test.yaml")
    assert any(fragment in p for p in info.value.problems), info.value.problems


def test_refuses_indicator_points_not_adding_up(raw_index):
    bad = copy.deepcopy(raw_index)
    bad["children"][0]["children"][0]["points"] = 7  # c1.i1: 6 → 7, c1 now 86 ≠ 85
    refuse(bad, "entry 'c1': points 85 ≠ sum of its children 86")


def test_refuses_categories_not_adding_up_to_total(raw_index):
    bad = copy.deepcopy(raw_index)
    bad["total"] = 151
    refuse(bad, "entry 'linyi-2019': points 151 ≠ sum of its children 150")


def test_refuses_duplicate_codes(raw_index):
    bad = copy.deepcopy(raw_index)
    bad["children"][0]["children"][1]["metrics"][1]["code"] = "c1.i2.m1"
    refuse(bad, "duplicate code 'c1.i2.m1'")


def test_refuses_unknown_method(raw_index):
    bad = copy.deepcopy(raw_index)
    bad["children"][0]["children"][0]["metrics"][0]["method"] = "magic"
    refuse(bad, "entry 'c1.i1.m1', field 'method': unknown method 'magic'")


def test_refuses_missing_and_out_of_range_parameters(raw_index):
    bad = copy.deepcopy(raw_index)
    metric = bad["children"][0]["children"][2]["metrics"][1]  # c1.i3.m2 goalposts
    metric["params"] = {"floor": 0}
    refuse(bad, "entry 'c1.i3.m2', field 'method': goalposts: missing parameter 'target'")
    metric["params"] = {"floor": 30, "target": 20}
    refuse(bad, "entry 'c1.i3.m2', field 'method': goalposts: higher is better, so target 20 must exceed floor 30")


@pytest.mark.parametrize("weight", [0, -1, "x"])
def test_refuses_non_positive_weights(raw_index, weight):
    bad = copy.deepcopy(raw_index)
    bad["children"][0]["children"][0]["metrics"][0]["weight"] = weight
    refuse(bad, "entry 'c1.i1.m1', field 'weight'")


def test_lists_every_problem_at_once(raw_index):
    bad = copy.deepcopy(raw_index)
    bad["children"][0]["children"][0]["metrics"][0]["method"] = "magic"
    bad["children"][1]["children"][0]["metrics"][0]["direction"] = "up"
    with pytest.raises(SpecError) as info:
        parse_index(bad, source="test.yaml")
    text = "\n".join(info.value.problems)
    assert "'c1.i1.m1'" in text and "'c2.i1.m1'" in text


def test_refuses_pass_line_outside_total(raw_index):
    bad = copy.deepcopy(raw_index)
    bad["pass_line"]["points"] = 200
    refuse(bad, "pass_line.points 200 is outside [0, 150]")


def test_generic_tree_of_other_depth_and_total():
    """A two-level tree with a total of 10 loads; points split by weights."""
    spec = parse_index({
        "code": "toy", "name": "toy", "total": 10, "levels": ["index", "metric"],
        "pass_line": {"points": 5, "reason": "half"},
        "metrics": [
            {"code": "a", "name": "A", "unit": "x", "direction": "higher", "method": "minmax",
             "weight": 3, "rationale": "r"},
            {"code": "b", "name": "B", "unit": "x", "direction": "lower", "method": "rank",
             "weight": 1, "rationale": "r"},
        ],
    })
    assert [m.points for m in spec.metrics()] == [7.5, 2.5]
    assert spec.categories == ()


def test_units_the_sixteen_of_the_document():
    units = load_units(ROOT / "params" / "units.yaml")
    assert len(units.units) == 16
    tiers = [u.tier for u in units.units]
    assert (tiers.count("district"), tiers.count("county"), tiers.count("zone")) == (3, 9, 4)
    names = {u.name for u in units.units}
    for zone in ("高新技术产业开发区", "经济技术开发区", "临港经济技术开发区", "蒙山旅游度假区"):
        assert zone in names


def test_units_refuse_duplicates_and_unknown_tiers(tmp_path):
    path = tmp_path / "units.yaml"
    path.write_text(yaml.safe_dump({
        "tiers": {"county": "县"},
        "units": [{"code": "a", "name": "甲", "tier": "county"}, {"code": "a", "name": "乙", "tier": "city"}],
    }, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_units(path)
    text = "\n".join(info.value.problems)
    assert "duplicate code 'a'" in text and "tier 'city'" in text


def test_per_belongs_to_its_own_metric():
    spec = load_index(INDEX)
    assert spec.metric("c2.i2.m1").per is None  # 双公示率 is a ratio: not divided by anything
    assert spec.metric("c2.i2.m2").per == {"register": "market_entities", "scale": 10000}


def test_unit_codes_must_be_safe_file_names(tmp_path):
    path = tmp_path / "units.yaml"
    path.write_text(yaml.safe_dump({"tiers": {"county": "县"},
                                    "units": [{"code": "../evil", "name": "甲", "tier": "county"}]},
                                   allow_unicode=True), encoding="utf-8")
    with pytest.raises(SpecError, match="names the unit's report files"):
        load_units(path)


@pytest.mark.parametrize(("levels", "fragment"), [
    (4, "'levels' must list the level names"),
    (["index", "category", "indicator"], "holds metrics at depth 3, but 'levels'"),
])
def test_levels_must_match_the_tree(raw_index, levels, fragment):
    bad = copy.deepcopy(raw_index)
    bad["levels"] = levels
    refuse(bad, fragment)


def test_a_method_that_is_not_a_name_is_refused(raw_index):
    bad = copy.deepcopy(raw_index)
    bad["children"][0]["children"][0]["metrics"][0]["method"] = ["minmax"]
    refuse(bad, "unknown method ['minmax']")
