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
    text = doc.read_text(encoding="utf-8")  # names keep the document's “ ” quotes
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


def refuse(raw: dict, fragment: str, count: int = 1) -> list[str]:
    """`raw` is refused with exactly `count` problems, one of them containing `fragment`."""
    with pytest.raises(SpecError) as info:
        parse_index(raw, source="test.yaml")
    problems = info.value.problems
    assert any(fragment in p for p in problems), problems
    assert len(problems) == count, problems
    assert all(p.startswith("test.yaml: ") for p in problems), problems
    return problems


def test_refuses_indicator_points_not_adding_up(raw_index):
    bad = copy.deepcopy(raw_index)
    bad["children"][0]["children"][0]["points"] = 7  # c1.i1: 6 → 7, c1 now 86 ≠ 85
    refuse(bad, "test.yaml: children[0].points: c1 的分值 85 ≠ 其下级分值之和 86（c1.i1=7 + c1.i2=10")


def test_refuses_categories_not_adding_up_to_total(raw_index):
    bad = copy.deepcopy(raw_index)
    bad["total"] = 151
    refuse(bad, "test.yaml: total: linyi-2019 的分值 151 ≠ 其下级分值之和 150")


def test_refuses_duplicate_codes(raw_index):
    bad = copy.deepcopy(raw_index)
    bad["children"][0]["children"][1]["metrics"][1]["code"] = "c1.i2.m1"
    refuse(bad, "children[0].children[1].metrics[1].code: 代码 c1.i2.m1 重复"
                "（已用于 children[0].children[1].metrics[0]）")


def test_refuses_unknown_method(raw_index):
    bad = copy.deepcopy(raw_index)
    bad["children"][0]["children"][0]["metrics"][0]["method"] = "magic"
    refuse(bad, "children[0].children[0].metrics[0].method: 未知的方法 'magic'；可用的方法：minmax, goalposts")


def test_refuses_missing_and_out_of_range_parameters(raw_index):
    bad = copy.deepcopy(raw_index)
    metric = bad["children"][0]["children"][2]["metrics"][1]  # c1.i3.m2 goalposts
    metric["params"] = {"floor": 0}
    refuse(bad, "children[0].children[2].metrics[1].params.target: 缺少此项（必填）")
    metric["params"] = {"floor": 30, "target": 20}
    refuse(bad, "children[0].children[2].metrics[1].params.target: 越高越好，target（20）应大于 floor（30） — 20")
    metric["params"] = {"floor": 0, "target": 20, "goal": 1}
    refuse(bad, "children[0].children[2].metrics[1].params.goal: 不认识的键")
    bad["children"][0]["children"][5]["metrics"][1]["params"] = {"penalty": 0}  # c1.i6.m2 deduction
    refuse(bad, "children[0].children[5].metrics[1].params.penalty: 应大于 0", count=2)


@pytest.mark.parametrize(("weight", "rule"), [(0, "应大于 0"), (-1, "应大于 0"), ("x", "应为数字"), (True, "应为数字"),
                                             (float("nan"), "应为有限的数字")])
def test_refuses_non_positive_weights(raw_index, weight, rule):
    bad = copy.deepcopy(raw_index)
    bad["children"][0]["children"][0]["metrics"][0]["weight"] = weight
    refuse(bad, f"children[0].children[0].metrics[0].weight: {rule}")


def test_lists_every_problem_at_once(raw_index):
    bad = copy.deepcopy(raw_index)
    bad["children"][0]["children"][0]["metrics"][0]["method"] = "magic"
    bad["children"][1]["children"][0]["metrics"][0]["direction"] = "up"
    problems = refuse(bad, "children[0].children[0].metrics[0].method: 未知的方法 'magic'", count=2)
    assert "test.yaml: children[1].children[0].metrics[0].direction: 只能取以下之一" in problems[1]


def test_refuses_pass_line_outside_total(raw_index):
    bad = copy.deepcopy(raw_index)
    bad["pass_line"]["points"] = 200
    refuse(bad, "test.yaml: pass_line.points: 达标线 200 应在 [0, 150] 之内 — 200")


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
    problems = info.value.problems
    assert problems == [f"{path}: units[1].code: 单位代码 a 重复（units[0] 已用） — 'a'",
                        f"{path}: units[1].tier: 类别（tier）city 不在 tiers 之中：county — 'city'"]


def test_per_belongs_to_its_own_metric():
    spec = load_index(INDEX)
    assert spec.metric("c2.i2.m1").per is None  # 双公示率 is a ratio: not divided by anything
    assert spec.metric("c2.i2.m2").per == {"register": "market_entities", "scale": 10000}


def test_unit_codes_must_be_safe_file_names(tmp_path):
    path = tmp_path / "units.yaml"
    path.write_text(yaml.safe_dump({"tiers": {"county": "县"},
                                    "units": [{"code": "../evil", "name": "甲", "tier": "county"}]},
                                   allow_unicode=True), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_units(path)
    assert info.value.problems == [f"{path}: units[0].code: 单位代码只能用小写字母、数字、- 或 _"
                                   "（它是该单位报告的文件名） — '../evil'"]


@pytest.mark.parametrize(("levels", "fragment", "count"), [
    (4, "test.yaml: levels: 应为列表 — 4", 1),
    ([], "test.yaml: levels: 至少需要 1 项", 18),  # and each of the 17 indicators holds metrics too deep
    (["index", "category", "indicator"], "children[0].children[0].metrics: c1.i1 的指标在第 3 级，但 levels "
                                         "['index', 'category', 'indicator'] 共 3 级（指标应在最后一级）", 17),
])
def test_levels_must_match_the_tree(raw_index, levels, fragment, count):
    bad = copy.deepcopy(raw_index)
    bad["levels"] = levels
    refuse(bad, fragment, count)


def test_a_method_that_is_not_a_name_is_refused(raw_index):
    bad = copy.deepcopy(raw_index)
    bad["children"][0]["children"][0]["metrics"][0]["method"] = ["minmax"]
    refuse(bad, "children[0].children[0].metrics[0].method: 应为文字 — ['minmax']")


def test_a_wrong_index_lists_every_problem_with_its_key_path_and_chinese_rule(raw_index):
    bad = copy.deepcopy(raw_index)
    c1 = bad["children"][0]["children"]
    c1[0]["points"] = 7                                         # c1 no longer adds up
    c1[1]["metrics"][1]["code"] = "c1.i2.m1"                    # duplicate
    c1[2]["metrics"][1]["params"] = {"floor": 30, "target": 20}  # goalposts against the direction
    c1[5]["metrics"][1]["params"] = {"penalty": -1}             # deduction penalty ≤ 0
    c1[5]["metrics"][5]["source"] = "sheet"                     # a manual score must come from review
    bad["children"][1]["children"][0]["metrics"][0]["name"] = "  "
    bad["pass_line"]["points"] = 200
    bad["colour"] = "red"
    with pytest.raises(SpecError) as info:
        parse_index(bad, source="test.yaml")
    assert sorted(info.value.problems) == sorted([
        "test.yaml: children[0].children[2].metrics[1].params.target: 越高越好，target（20）应大于 floor（30） — 20",
        "test.yaml: children[0].children[5].metrics[1].params.penalty: 应大于 0.0 — -1",
        "test.yaml: children[0].children[5].metrics[5].source: 方法 manual 的数据来源（source）只能是 review — 'sheet'",
        "test.yaml: children[1].children[0].metrics[0].name: 不能为空白 — '  '",
        "test.yaml: colour: 不认识的键（拼写错误，或不属于这里） — 'red'",
        "test.yaml: children[0].children[1].metrics[1].code: 代码 c1.i2.m1 重复（已用于 children[0].children[1]"
        ".metrics[0]） — 'c1.i2.m1'",
        "test.yaml: children[0].points: c1 的分值 85 ≠ 其下级分值之和 86（c1.i1=7 + c1.i2=10 + c1.i3=10 + c1.i4=12 + "
        "c1.i5=26 + c1.i6=21） — 85",
        "test.yaml: pass_line.points: 达标线 200 应在 [0, 150] 之内 — 200",
    ])
    assert str(info.value).startswith("test.yaml: index is not valid:\n  test.yaml: ")


@pytest.mark.parametrize(("change", "fragment"), [
    ({"method": "deduction", "params": {"penalty": 1}},
     "metrics[0].direction: 方法 deduction 只能用于方向 lower — 'higher'"),
    ({"method": "manual", "params": {}}, "metrics[0].source: 方法 manual 的数据来源（source）只能是 review — 'sheet'"),
    ({"source": "records"}, "metrics[0].derive: source 为 records 的指标须用 derive 写明"),
    ({"source": "web"}, "metrics[0].source: 只能取以下之一"),
    ({"code": "c1 i1"}, "metrics[0].code: 代码应为不含空格的 ASCII 文字"),
    ({"per": {"register": "legal_persons", "scale": 0}}, "metrics[0].per.scale: 应大于 0"),
    ({"params": {"when_equal": float("inf")}}, "metrics[0].params.when_equal: 应为有限的数字"),
    ({"params": {"when_equal": "1"}}, "metrics[0].params.when_equal: 应为数字 — '1'"),
    ({"rationale": None}, "metrics[0].rationale: 应为文字 — None"),
])
def test_a_metric_must_fit_its_method_and_the_format(raw_index, change, fragment):
    bad = copy.deepcopy(raw_index)
    bad["children"][0]["children"][0]["metrics"][0].update(change)  # c1.i1.m1, minmax, higher, sheet
    refuse(bad, "test.yaml: children[0].children[0]." + fragment)


def test_a_node_has_children_or_metrics_exactly_once(raw_index):
    bad = copy.deepcopy(raw_index)
    node = bad["children"][0]["children"][0]
    node["children"] = [{"code": "x", "name": "x", "points": 6, "metrics": node["metrics"]}]
    problems = refuse(bad, "children[0].children[0]: c1.i1 应有 children 或 metrics，二者恰有其一 — 'c1.i1'", count=3)
    assert any("代码 c1.i1.m1 重复" in p for p in problems)
    assert any("children[0].children[0].children[0].metrics: x 的指标在第 4 级" in p for p in problems)


def test_every_rule_has_its_chinese_text():
    import re

    labels = yaml.safe_load((ROOT / "params" / "labels.yaml").read_text(encoding="utf-8"))["validation"]
    src = ROOT / "src" / "scoring" / "index"
    code = (src / "schema.py").read_text(encoding="utf-8") + (src / "methods.py").read_text(encoding="utf-8")
    rules = set(re.findall(r'(?:PydanticCustomError|_problem)\(\s*"(\w+)"', code))
    rules |= {"duplicate_unit_code", "duplicate_unit_name"}  # f"duplicate_unit_{key}"
    assert len(rules) >= 20, rules
    assert sorted(rules - set(labels)) == []


def test_units_list_every_problem_with_its_key_path(tmp_path):
    path = tmp_path / "units.yaml"
    path.write_text(yaml.safe_dump({"tiers": {"county": "县"}, "units": [
        {"code": "a", "name": "甲", "tier": "county"},
        {"code": "b", "name": "甲", "tier": "county", "population_2010": -1},
        {"code": "c", "name": " ", "tier": "county", "colour": "red"},
        {"name": "丁", "tier": "zone"},
    ]}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_units(path)
    assert [p.removeprefix(f"{path}: ") for p in info.value.problems] == [
        "units[1].population_2010: 应大于 0.0 — -1",
        "units[2].name: 不能为空白 — ' '",
        "units[2].colour: 不认识的键（拼写错误，或不属于这里） — 'red'",
        "units[3].code: 缺少此项（必填）",
        "units[1].name: 单位名称 甲 重复（units[0] 已用） — '甲'",
        "units[3].tier: 类别（tier）zone 不在 tiers 之中：county — 'zone'",
    ]
    path.write_text("tiers: {}\nunits: []\n", encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_units(path)
    assert [p.removeprefix(f"{path}: ") for p in info.value.problems] == [
        "tiers: 至少需要 1 项 — {}", "units: 至少需要 1 项 — []"]
