"""The synthetic demo data: deterministic, marked 示例数据, every reader path, every scoring branch."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from scoring import engine
from scoring.config import read_yaml
from scoring.demo import load_demo_settings, write_demo
from scoring.demo.generator import Generator, apply_cases
from scoring.demo.values import GENERATORS, Draw
from scoring.errors import CreditCountyError, SpecError
from scoring.ingest import ingest_month, load_params
from tests.ingest_helpers import make_project, real_month_folder, tree_bytes

MONTHS = [f"2019-{m:02d}" for m in range(1, 13)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A project with the demo year written and every month ingested."""
    project = make_project(tmp_path_factory.mktemp("demo"))
    assert write_demo(project, years=[2019]) == MONTHS
    for month in MONTHS:
        ingest_month(project, month)
    return project


@pytest.fixture(scope="module")
def metrics(demo) -> pd.DataFrame:
    return pd.concat([pd.read_csv(demo.metrics_file(m)) for m in MONTHS], ignore_index=True)


def manifest(project, month) -> dict:
    return json.loads((project.processed_month(month) / "manifest.json").read_text(encoding="utf-8"))


def test_same_seed_same_bytes_other_seed_other_data(demo, tmp_path):
    again = make_project(tmp_path / "again")
    write_demo(again, years=[2019])
    assert tree_bytes(again.raw) == tree_bytes(demo.raw)
    other = make_project(tmp_path / "other")
    write_demo(other, years=[2019], seed=7)
    assert tree_bytes(other.raw) != tree_bytes(demo.raw)


def test_refuses_a_raw_folder_with_months_and_never_touches_real_data(tmp_path):
    project = make_project(tmp_path)
    real = real_month_folder(project)
    with pytest.raises(CreditCountyError, match="already holds 2019-05"):
        write_demo(project)
    with pytest.raises(CreditCountyError, match="real data"):
        write_demo(project, force=True)
    assert sorted(p.name for p in real.iterdir()) == ["单位基础数据.csv"]
    assert project.raw_months() == ["2019-05"]


def test_refuses_a_year_folder_with_real_reviews_and_never_touches_it(tmp_path):
    project = make_project(tmp_path)
    year = project.raw / "2019"
    year.mkdir()
    (year / "reviews.csv").write_text("县区,现场调研得分\n", encoding="utf-8")
    with pytest.raises(CreditCountyError, match="already holds 2019"):
        write_demo(project)
    with pytest.raises(CreditCountyError, match="2019 hold"):
        write_demo(project, force=True)
    assert sorted(p.name for p in project.raw.iterdir()) == ["2019"]
    assert sorted(p.name for p in year.iterdir()) == ["reviews.csv"]


def test_force_replaces_demo_months_only(tmp_path):
    project = make_project(tmp_path)
    write_demo(project)
    with pytest.raises(CreditCountyError):
        write_demo(project)
    before = tree_bytes(project.raw)
    write_demo(project, force=True)
    assert tree_bytes(project.raw) == before


def test_marked_synthetic_in_files_and_manifests(demo):
    for month in MONTHS:
        folder = demo.raw_month(month)
        assert "synthetic: true" in (folder / "示例数据.txt").read_text(encoding="utf-8")
        assert manifest(demo, month)["synthetic"] is True
    register = pd.read_csv(demo.raw_month("2019-03") / "单位基础数据.csv", encoding="utf-8")
    assert set(register["备注"]) == {"示例数据"}
    assert sorted(p.name for p in (demo.raw / "2019").iterdir()) == ["reviews.csv", "示例数据.txt"]
    assert "year: 2019" in (demo.raw / "2019" / "示例数据.txt").read_text(encoding="utf-8")
    assert set(pd.read_csv(demo.raw / "2019" / "reviews.csv", encoding="utf-8-sig")["备注"]) == {"示例数据"}


def test_every_reader_path_is_exercised(demo):
    seen = {(f["kind"], f["encoding"]) for m in MONTHS for f in manifest(demo, m)["inputs"]}
    assert {("csv", "utf-8"), ("csv", "utf-8-sig"), ("csv", "gbk"), ("csv", "gb18030"), ("xlsx", None)} <= seen
    december = manifest(demo, "2019-12")["inputs"]
    workbook = next(f for f in december if f["kind"] == "xlsx")
    assert {t["source"] for t in workbook["tables"]} == {"register", "indicators", "records", "reviews"}


def test_magnitudes(demo):
    _spec, units, _contract = load_params(demo)
    register = pd.read_csv(demo.processed_month("2019-06") / "register.csv").set_index("unit")
    population = pd.Series({u.code: u.population_2010 for u in units.units})
    assert np.corrcoef(register["legal_persons"], population[register.index])[0, 1] > 0.8
    per_1000_people = register["legal_persons"] / register["population"] * 1000
    assert per_1000_people.between(14, 55).all()
    assert (register["market_entities"] / register["legal_persons"]).between(5, 8.5).all()
    entries = pd.read_csv(demo.processed_month("2019-06") / "list_entries.csv", dtype=str, keep_default_na=False)
    counted = entries[entries["list_type"] != "红名单"]
    at_end = counted[counted["movement"] != "exited"].groupby("unit").size()
    per_1000 = at_end / register["legal_persons"] * 1000
    assert per_1000.between(0.5, 15).all(), per_1000
    assert set(entries["list_type"]) == {"黑名单", "重点关注名单", "红名单"}
    assert set(entries["movement"]) == {"entered", "exited", "listed"}


def test_every_branch_of_the_scoring_shows(demo, metrics):
    spec, _units, _contract = load_params(demo)
    values = metrics.set_index(["month", "unit", "metric"])["value"]
    assert values.isna().sum() >= 5  # a few missing items
    sheet = metrics[metrics["metric"].isin([m.code for m in spec.metrics() if m.source == "sheet"])]
    assert sheet.groupby(["month", "metric"])["value"].count().min() > 0  # never a whole column empty
    cases = metrics[(metrics["metric"] == "c1.i4.m1") & (metrics["value"] > 0)]  # 政府失信被执行人
    assert len(cases) >= 2 and "2019-12" in set(cases["month"])
    double_publicity = set(metrics.loc[metrics["metric"] == "c2.i2.m1", "value"].dropna())
    assert {1.0, 0.985, 0.95} <= double_publicity
    assert (metrics.loc[metrics["metric"] == "c1.i6.m1", "value"] > 0).any()  # deduction events
    for m in spec.metrics():
        if m.method == "manual":
            scores = metrics.loc[metrics["metric"] == m.code, "value"].dropna()
            assert scores.between(0, m.points).all()
    assert set(metrics.loc[metrics["metric"] == "c1.i5.m6", "value"].dropna()) == {0.0, 1.0}


def test_some_units_improve_and_some_slip(demo, metrics):
    spec, units, _contract = load_params(demo)
    points = engine.score(spec, units, metrics[metrics["month"].isin(["2019-01", "2019-12"])])
    summary = engine.summarise(spec, units, points).pivot(index="unit", columns="month", values="total")
    change = summary["2019-12"] - summary["2019-01"]
    assert (change > 10).sum() >= 3 and (change < -10).sum() >= 3, change
    assert "zero_tolerance_failed" in set(points["flags"])


def test_empty_cells_never_empty_a_whole_column(tmp_path):
    """However many cells the settings empty, each month's column keeps one figure (else it is refused)."""
    project = make_project(tmp_path)
    spec, units, contract = load_params(project)
    settings = load_demo_settings(project, spec, contract)
    cases = settings.cases.model_copy(update={"missing_cells": 20000})  # without the guard, ~60 columns would empty
    g = Generator(spec, units, contract, settings.model_copy(update={"cases": cases}), 2019, 1)
    sheets = {m: g.sheet_values(m) for m in range(1, 13)}
    apply_cases(g, sheets, {m: g.review_scores(m) for m in range(1, 13)})
    assert sum(v is None for s in sheets.values() for row in s.values() for v in row.values()) > 16 * 12
    for m, sheet in sheets.items():
        for c in next(iter(sheet.values())):
            assert any(row[c] is not None for row in sheet.values()), (m, c)


def settings_problems(project, *edits) -> list[str]:
    """The problems of params/demo.yaml with `edits` ((key path, value); value None deletes), without the file name."""
    spec, _units, contract = load_params(project)
    data, _sha = read_yaml(project.params / "demo.yaml")
    for path, value in edits:
        node = data
        for key in path[:-1]:
            node = node[key]
        if value is None:
            del node[path[-1]]
        else:
            node[path[-1]] = value
    with pytest.raises(SpecError) as info:
        load_demo_settings(project, spec, contract, data=data)
    return [p.split("demo.yaml: ", 1)[1] for p in info.value.problems]


@pytest.mark.parametrize(("path", "value", "line"), [
    (("files", "register"), "基础数据.csv", "files.register: params/sources.yaml 不会把此文件读作 register"
                                         "（文件名应匹配 register* / 单位基础数据*，扩展名为 .csv / .xlsx） — "
                                         "'基础数据.csv'"),
    (("files", "records"), "名单记录-{department}.txt", "files.records: params/sources.yaml 不会把此文件读作 records"),
    (("files", "records"), "名单记录.csv", "files.records: 须含 {department}：每个部门一个文件 — '名单记录.csv'"),
    (("lists", "types", "red"), "黑名单", "lists.types.red: 应为 records.list_type 中不计入测评的名单类型：红名单 — "
                                         "'黑名单'"),
    (("lists", "types", "watch"), "红名单", "lists.types.watch: 应为 records.list_type 中计入测评（records.counted）的"
                                         "名单类型：黑名单、重点关注名单 — '红名单'"),
    (("notes_sheet",), "Sheet1", "notes_sheet: 应为 params/sources.yaml 中 files.notes_sheets 之一：填表说明、说明、"
                                 "备注 — 'Sheet1'"),
    (("value_generators", "by_method", "bands"), "stairs", "value_generators.by_method.bands: 只能取以下之一："),
    (("value_generators", "by_method", "median"), "range", "value_generators.by_method.median: params/index.yaml "
                                                           "中没有 source: sheet 的指标使用此方法 — 'median'"),
    (("value_generators", "default"), None, "value_generators.default: 缺少此项（必填）"),
    (("cases", "open_cases", "months"), [[6, 3]], "cases.open_cases.months[0]: 起始月份晚于结束月份 — [6, 3]"),
    (("metrics", "c1.i2.m1"), [0, 1], "metrics.c1.i2.m1: 不是 params/index.yaml 中 source: sheet 的指标 — 'c1.i2.m1'"),
    (("metrics", "c1.i5.m6"), {"threshold": 0.45, "events": 2}, "metrics.c1.i5.m6.events: 生成器 yes_no（方法 flag）"
                                                               "不使用此项 — 2.0"),
    (("lists", "watch_share"), 1.3, "lists.watch_share: 应不大于 1.0 — 1.3"),
    (("legal_persons_per_1000_people", "county"), None, "legal_persons_per_1000_people: 须有 county"),
    (("division_codes", "yinan"), "37132", "division_codes.yinan: 格式不符"),
    (("years",), [2019, 2021], "years: 须为连续的年份，从早到晚 — [2019, 2021]"),
    (("years",), [], "years: "),
])
def test_a_wrong_setting_is_refused_with_its_key_path(tmp_path, path, value, line):
    problems = settings_problems(make_project(tmp_path), (path, value))
    assert [p for p in problems if p.startswith(line)], problems


def test_every_problem_of_the_settings_at_once(tmp_path):
    problems = settings_problems(make_project(tmp_path), (("notes_sheet",), "Sheet1"),
                                 (("lists", "types", "red"), "黑名单"), (("files", "reviews"), "打分.csv"),
                                 (("metrics", "c1.i6.m1"), {"values": [1, 2]}))
    assert [p.split(":")[0] for p in problems] == ["lists.types.red", "files.reviews", "notes_sheet",
                                                   "metrics.c1.i6.m1.values"], problems
    assert all("应为" in p or "不会" in p or "不使用" in p for p in problems)


def test_each_value_generator_by_name(tmp_path):
    from scoring.demo.settings import MetricSetting

    _spec, _units, contract = load_params(make_project(tmp_path))
    sheet = contract.source("indicators")

    def draw(name: str, code: str, setting: object, z: float = 0.5) -> object:
        col = sheet.column(code)
        return GENERATORS[name].draw(Draw(np.random.default_rng(1), col, col.metric,
                                          MetricSetting.model_validate(setting), 0.5, z,
                                          {"legal_persons": 20000}.__getitem__))

    assert draw("yes_no", "c1.i5.m6", {"threshold": 0.45}) is True
    assert draw("yes_no", "c1.i5.m6", {"threshold": 0.55}) is False
    assert draw("no_case", "c1.i4.m1", {}) == 0
    assert draw("events", "c1.i6.m1", {"events": 0.0}) == 0
    assert draw("steps", "c2.i2.m1", {"values": [0.95, 0.98, 0.985, 1.0]}, z=0.6) == 0.985
    assert draw("steps", "c2.i2.m1", {}, z=0.99) == pytest.approx(1.0)  # the first band's threshold
    assert draw("range", "c1.i3.m2", [6, 22]) == 14.0
    assert draw("range", "c1.i1.m1", [1, 12]) == 13  # 6.5 per 10 000 legal persons of 20 000: the count


def test_the_generator_of_a_method_is_chosen_by_name_in_the_settings(tmp_path):
    project = make_project(tmp_path)
    spec, units, contract = load_params(project)
    settings = load_demo_settings(project, spec, contract)
    steps = {row["c2.i2.m1"] for row in Generator(spec, units, contract, settings, 2019, 1).sheet_values(1).values()}
    assert steps <= {0.95, 0.98, 0.985, 1.0}  # bands: steps (the band edges of demo.yaml)
    generators = settings.value_generators
    ranged = settings.model_copy(update={"value_generators": generators.model_copy(
        update={"by_method": {**generators.by_method, "bands": "range"}})})
    values = {row["c2.i2.m1"] for row in Generator(spec, units, contract, ranged, 2019, 1).sheet_values(1).values()}
    assert not values <= {0.95, 0.98, 0.985, 1.0} and all(0 <= v <= 1 for v in values)
