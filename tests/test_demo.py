"""The synthetic demo data: deterministic, marked 示例数据, every reader path, every scoring branch."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from scoring import engine
from scoring.demo import Generator, _apply_cases, load_settings, write_demo
from scoring.errors import CreditCountyError, SpecError
from scoring.ingest import ingest_month, load_params
from tests.ingest_helpers import make_project, tree_bytes

MONTHS = [f"2019-{m:02d}" for m in range(1, 13)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A project with the demo year written and every month ingested."""
    project = make_project(tmp_path_factory.mktemp("demo"))
    assert write_demo(project) == MONTHS
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
    write_demo(again)
    assert tree_bytes(again.raw) == tree_bytes(demo.raw)
    other = make_project(tmp_path / "other")
    write_demo(other, seed=7)
    assert tree_bytes(other.raw) != tree_bytes(demo.raw)


def test_refuses_a_raw_folder_with_months_and_never_touches_real_data(tmp_path):
    project = make_project(tmp_path)
    real = project.raw_month("2019-05")
    real.mkdir()
    (real / "单位基础数据.csv").write_text("县区\n", encoding="utf-8")
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
    settings = load_settings(project)
    settings["cases"]["missing_cells"] = 20000  # without the guard, ~60 columns would empty
    g = Generator(spec, units, contract, settings, 2019, 1)
    sheets = {m: g.sheet_values(m) for m in range(1, 13)}
    _apply_cases(g, sheets, {m: g.review_scores(m) for m in range(1, 13)})
    assert sum(v is None for s in sheets.values() for row in s.values() for v in row.values()) > 16 * 12
    for m, sheet in sheets.items():
        for c in next(iter(sheet.values())):
            assert any(row[c] is not None for row in sheet.values()), (m, c)


@pytest.mark.parametrize(("path", "value", "fragment"), [
    (("files", "register"), "基础数据.csv", "files.register = '基础数据.csv' must be a file name"),
    (("files", "records"), "名单记录.txt", "files.records = '名单记录.txt'"),
    (("lists", "types", "red"), "黑名单", "lists.types.red = '黑名单' must be a list type"),
    (("notes_sheet",), "Sheet1", "notes_sheet = 'Sheet1'"),
])
def test_names_the_demo_writes_must_fit_the_contract(tmp_path, path, value, fragment):
    project = make_project(tmp_path)
    spec, units, contract = load_params(project)
    settings = load_settings(project)
    node = settings
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(SpecError) as info:
        Generator(spec, units, contract, settings, 2019, 1)
    assert [p for p in info.value.problems if fragment in p], info.value.problems
