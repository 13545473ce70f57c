"""The month's Excel workbook for the departments, read back with openpyxl: sheet names and headers
from params, names instead of codes, every number the stage table's (bit for bit), 是/否, the same
bytes for the same tables, formula-like text inert, CSV for Excel with a BOM."""

from __future__ import annotations

import dataclasses
import io
import math
import re
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from scoring import engine, report, tables
from scoring.cli import main
from scoring.errors import SpecError
from scoring.pipeline.bulletin import index_page, report_links
from scoring.pipeline.score import score_stage
from scoring.report.common import run_id
from scoring.report.text import ReportText, load_report_text
from scoring.report.workbook import export_csv, workbook_bytes_of, workbook_name, write_workbook

from .conftest import DEMO_MONTH, ROOT

FORMULAS = ['=HYPERLINK("http://example.com","点我")', "+1+1", "-2+3", "@SUM(A1:A2)", "=1/0"]


@pytest.fixture(scope="module")
def stage(demo_project, tmp_path_factory) -> Path:
    """The demo month's stage tables (score stage only) in a folder of their own."""
    folder = tmp_path_factory.mktemp("workbook-stage")
    score_stage(demo_project, DEMO_MONTH, folder)
    return folder


@pytest.fixture(scope="module")
def ctx(demo_project, stage):
    return report.load(DEMO_MONTH, stage, demo_project.root)


@pytest.fixture(scope="module")
def book(ctx, tmp_path_factory):
    path = write_workbook(ctx, tmp_path_factory.mktemp("workbook"))
    return openpyxl.load_workbook(path)


def rows(ws) -> list[dict]:
    """The sheet as records keyed by its headers (the cells, not their values' text)."""
    cells = list(ws.iter_rows())
    head = [c.value for c in cells[0]]
    return [dict(zip(head, row, strict=True)) for row in cells[1:]]


def same(a: object, b: object) -> bool:
    """Equal, bit for bit; an empty cell for a missing number."""
    if b is None or (isinstance(b, float) and math.isnan(b)):
        return a is None
    return a == b and type(a) in (int, float)


@pytest.fixture(scope="module")
def labels(ctx) -> dict:
    return ctx.text["workbook"]


def test_sheets_and_headers_come_from_params(ctx, book, labels):
    assert book.sheetnames == list(labels["sheets"].values())
    assert book.sheetnames[0] == "排名" and book.sheetnames[-1] == "说明"
    allowed = set(labels["columns"].values()) | {c.name for c in ctx.spec.categories}
    for ws in book:
        head = [c.value for c in next(ws.iter_rows(max_row=1))]
        assert set(head) <= allowed, (ws.title, set(head) - allowed)
        assert ws.sheet_state == "visible" and ws.freeze_panes == "A2"
        assert all(ws.column_dimensions[c.column_letter].width >= 4 for c in next(ws.iter_rows(max_row=1)))
        if ws.title != labels["sheets"]["notes"]:
            assert ws.auto_filter.ref == ws.dimensions
    ranking = book[labels["sheets"]["ranking"]]
    assert [c.value for c in ranking[1]][:3] == ["排名", "县区", "县区类型"]
    assert book.properties.title == "临沂市“信用县”创建监测通报数据（2019年12月）"


def test_no_code_true_false_or_english_value_in_any_visible_cell(ctx, book):
    units = set(ctx.units.codes)
    codes = {n.code for n in ctx.spec.nodes()} | {m.code for m in ctx.spec.metrics()}
    code_like = re.compile(r"\b(c\d+(\.i\d+)?(\.m\d+)?|linyi-\d+)\b")
    words = {"True", "False", "true", "false", "entered", "exited", "weak", "zero_tolerance", "missing",
             "zero_tolerance_failed", "district", "county", "zone", "nan", "None"}
    seen = 0
    for ws in book:
        for row in ws.iter_rows():
            for cell in row:
                if not isinstance(cell.value, str):
                    continue
                seen += 1
                text = cell.value
                assert text not in codes | words, (ws.title, cell.coordinate, text)
                assert not code_like.search(text), (ws.title, cell.coordinate, text)
                assert not any(u in text for u in units), (ws.title, cell.coordinate, text)
    assert seen > 5000


def test_ranking_numbers_are_the_stage_tables(ctx, book, labels):
    by_name = {ctx.unit_name(u): u for u in ctx.units.codes}
    changes = ctx.table("changes").set_index("unit")
    scores = ctx.table("scores").set_index("unit")
    got = rows(book[labels["sheets"]["ranking"]])
    assert [by_name[r["县区"].value] for r in got] == list(changes.sort_values("rank", kind="stable").index)
    cols = labels["columns"]
    for r in got:
        unit = by_name[r[cols["unit"]].value]
        c = changes.loc[unit]
        assert same(r[cols["rank"]].value, int(c["rank"])) and same(r[cols["tier_rank"]].value, int(c["tier_rank"]))
        assert same(r[cols["total"]].value, c["total_rounded"]) and r[cols["total"]].number_format == "0.00"
        assert same(r[cols["change"]].value, c["delta_total"]) and same(r[cols["gap"]].value, c["gap"])
        assert same(r[cols["rank_change"]].value, None if math.isnan(c["rank_change"]) else int(c["rank_change"]))
        assert r[cols["pass"]].value == ("是" if c["pass"] else "否")
        assert r[cols["tier"]].value == ctx.units.tiers[c["tier"]]
        for cat in ctx.spec.categories:
            assert same(r[cat.name].value, scores.loc[unit, cat.code]), (unit, cat.code)
            assert r[cat.name].data_type == "n"
    assert {r[cols["pass"]].value for r in got} == {"是", "否"}


def test_category_indicator_and_sub_item_numbers_are_the_stage_tables(ctx, book, labels):
    spec, cols, sheets = ctx.spec, labels["columns"], labels["sheets"]
    unit_of = {ctx.unit_name(u): u for u in ctx.units.codes}
    code_of = {n.name: n.code for n in spec.nodes()} | {m.short: m.code for m in spec.metrics()}
    checks = {
        "categories": ("categories", "category", {"points": "points", "max_points": "max_points",
                                                  "fraction": "fraction", "city_median": "city_median",
                                                  "city_max": "city_max"}),
        "indicators": ("indicators", "indicator", {"points": "points", "max_points": "max_points", "lost": "lost",
                                                   "fraction": "fraction", "relative": "relative",
                                                   "city_median_fraction": "city_median_fraction"}),
        "subitems": ("metric_detail", "subitem", {"raw_value": "raw_value", "city_median": "city_median",
                                                  "points": "points", "max_points": "max_points", "lost": "lost"}),
    }
    for sheet, (table, key, columns) in checks.items():
        stage = ctx.table(table).set_index(["unit", "code"])
        got = rows(book[sheets[sheet]])
        assert len(got) == len(stage), sheet
        for r in got:
            where = (unit_of[r[cols["unit"]].value], code_of[r[cols[key]].value])
            for header, col in columns.items():
                assert same(r[cols[header]].value, stage.loc[where, col]), (sheet, where, col)
    metric = {m.code: m for m in spec.metrics()}
    for r in rows(book[sheets["subitems"]]):
        m = metric[code_of[r[cols["subitem"]].value]]
        assert r[cols["measure"]].value == m.unit and r[cols["subitem_text"]].value == m.name
        raw = r[cols["raw_value"]]
        expected = {"比例": "0.0%", "比例（占黑名单主体）": "0.0%", "是/否": '"是";"是";"否"'}.get(m.unit, "0.00")
        assert raw.value is None or raw.number_format == expected, (m.code, raw.number_format)
    flagged = [r[cols["flags"]].value for r in rows(book[sheets["subitems"]]) if r[cols["flags"]].value]
    assert flagged == ["零容忍项目不达标"] * len(ctx.table("zero_tolerance"))


def test_points_to_gain_are_sorted_and_complete(ctx, book, labels):
    cols = labels["columns"]
    got = rows(book[labels["sheets"]["gains"]])
    lost = [r[cols["lost"]].value for r in got]
    assert lost == sorted(lost, reverse=True) and [r[cols["order"]].value for r in got] == list(range(1, len(got) + 1))
    ind = ctx.table("indicators")
    expected = {(ctx.unit_name(u), ctx.spec.label(c)) for u, c, v in zip(ind["unit"], ind["code"], ind["lost"],
                                                                          strict=True)
                if engine.rounded(v, ctx.decimals) > 0}
    assert {(r[cols["unit"]].value, r[cols["indicator"]].value) for r in got} == expected
    problems = [r[cols["problems"]].value for r in got if r[cols["problems"]].value]
    assert sum(p.count("零容忍项目不达标（") for p in problems) == len(ctx.table("zero_tolerance"))
    assert sum(p.count("得分率低于60%") for p in problems) == (ctx.table("problems")["kind"] == "weak").sum()


def test_list_movements_count_as_the_metrics(ctx, book, labels):
    cols = labels["columns"]
    got = rows(book[labels["sheets"]["movements"]])
    moves = ctx.table("movements")
    assert len(got) == len(moves)
    assert {r[cols["movement"]].value for r in got} == {"新增", "退出"}
    counted = Counter((r[cols["unit"]].value, r[cols["movement"]].value) for r in got)
    for row in ctx.table("list_counts").itertuples():
        name = ctx.unit_name(row.unit)
        assert (counted[(name, "新增")], counted[(name, "退出")]) == (row.entered, row.exited), name
    dates = [r[cols["entry_date"]] for r in got]
    assert all(c.is_date and c.number_format == "yyyy-mm-dd" for c in dates if c.value is not None)
    entity = {(ctx.unit_name(u), e) for u, e in zip(moves["unit"], moves["entity"], strict=True)}
    assert {(r[cols["unit"]].value, r[cols["entity"]].value) for r in got} == entity


def test_notes_name_the_month_the_demo_data_and_the_run(ctx, book, labels):
    notes = {r[0]: r[1] for r in book[labels["sheets"]["notes"]].iter_rows(min_row=2, values_only=True)}
    assert notes["数据月份"] == "2019年12月"
    assert notes["数据性质"].startswith("示例数据")
    assert f"运行编号 {run_id(ctx)}" in notes["数据来源"] and len(run_id(ctx)) >= 8
    assert notes["达标线"].startswith("120分。项目自定")
    assert all(f"工作表“{name}”" in notes for name in book.sheetnames)
    assert book[labels["sheets"]["ranking"]].oddHeader.right.text == "示例数据"


def test_same_tables_give_the_same_bytes_whatever_the_clock(ctx, demo_project, stage):
    first = workbook_bytes_of(ctx)
    again = workbook_bytes_of(report.load(DEMO_MONTH, stage, demo_project.root))
    assert first == again
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {(2019, 12, 31, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    assert re.findall(r"<dcterms:(?:created|modified)[^>]*>([^<]*)<", core) == ["2019-12-31T00:00:00Z"] * 2


def test_formula_like_names_stay_inert(ctx, demo_project, tmp_path):
    folder = tmp_path / "stage"
    frames = {name: ctx.table(name) for name in ctx.stage.meta["tables"]}
    moves = frames["movements"]
    moves.loc[moves.index[: len(FORMULAS)], "entity"] = FORMULAS
    meta = {k: v for k, v in ctx.stage.meta.items() if k not in ("tables", "index_sha256")}
    tables.write_tables(folder, frames, meta, index_yaml=ctx.stage.index_file.read_text(encoding="utf-8"))
    changed = report.load(DEMO_MONTH, folder, demo_project.root)
    path = write_workbook(changed, tmp_path)
    ws = openpyxl.load_workbook(path)["名单变动"]
    cells = [c for c in ws["C"] if c.value in FORMULAS]
    assert sorted(c.value for c in cells) == sorted(FORMULAS)  # shown exactly as they are
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    with zipfile.ZipFile(path) as z:
        assert not any("<f>" in z.read(n).decode() or "<f " in z.read(n).decode()
                       for n in z.namelist() if n.startswith("xl/worksheets/"))
    csv = export_csv(changed, tmp_path / "csv")
    text = next(p for p in csv if p.name == "名单变动.csv").read_text(encoding="utf-8-sig")
    assert all(f"'{f}" in text.replace('""', '"') for f in FORMULAS)


def test_csv_for_excel_has_a_bom_yes_no_and_full_precision(ctx, tmp_path, labels):
    files = export_csv(ctx, tmp_path)
    assert [p.stem for p in files] == list(labels["sheets"].values())
    for path in files:
        assert path.read_bytes().startswith(b"\xef\xbb\xbf"), path
    ranking = pd.read_csv(tmp_path / "排名.csv", encoding="utf-8-sig")
    assert set(ranking["达标"]) == {"是", "否"} and ranking["排名"].dtype == "int64"
    changes = ctx.table("changes").sort_values("rank", kind="stable")
    assert ranking["总分"].tolist() == changes["total_rounded"].tolist()
    scores = ctx.table("scores").set_index("unit").loc[changes["unit"]]
    assert ranking[ctx.spec.categories[0].name].tolist() == scores[ctx.spec.categories[0].code].tolist()


def test_a_missing_section_or_a_bad_sheet_name_is_a_clear_error(ctx, params_project):
    data = {k: v for k, v in ctx.text.data.items() if k != "workbook"}
    with pytest.raises(SpecError, match="the section workbook is missing"):
        workbook_bytes_of(dataclasses.replace(ctx, text=ReportText(data)))
    original = yaml.safe_load((ROOT / "params" / "report.yaml").read_text(encoding="utf-8"))
    original["workbook"]["sheets"]["ranking"] = "排名/总分"
    del original["workbook"]["sheets"]["notes"]
    path = params_project / "params" / "report.yaml"
    path.write_text(yaml.safe_dump(original, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_report_text(path)
    problems = [p.removeprefix(f"{path}: ") for p in err.value.problems]
    assert problems[0].startswith("workbook.sheets.ranking: 格式不符") and "workbook.sheets.notes: 缺少此项（必填）" \
        in problems


def test_the_command_writes_the_workbook_and_its_csv(demo_project, stage, tmp_path):
    out = tmp_path / "月报.xlsx"
    assert main(["--root", str(demo_project.root), "workbook", "--month", DEMO_MONTH, "--tables", str(stage),
                 "--output", str(out), "--csv"]) == 0
    assert openpyxl.load_workbook(out).sheetnames[0] == "排名"
    assert len(list((tmp_path / "月报").glob("*.csv"))) == 7


def test_the_index_page_links_the_workbook():
    page = index_page("标题", "2019年12月", [report_links("通报", "bulletin")], None, {},
                      downloads=[("通报数据（Excel）", "通报数据.xlsx")])
    assert '<a href="%E9%80%9A%E6%8A%A5%E6%95%B0%E6%8D%AE.xlsx">通报数据（Excel）</a>' in page


def test_the_bulletin_publishes_the_workbook_and_links_it(built_month):
    out = built_month.output_month(DEMO_MONTH)
    ctx = report.load(DEMO_MONTH, root=built_month.root)
    path = out / workbook_name(ctx)
    assert path.is_file() and path.read_bytes() == workbook_bytes_of(ctx)
    assert "%E9%80%9A%E6%8A%A5%E6%95%B0%E6%8D%AE.xlsx" in (out / "index.html").read_text(encoding="utf-8")
