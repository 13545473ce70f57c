"""Bad input: each case gives a line naming file, row, column, value and rule; nothing is written."""

from __future__ import annotations

import pytest

from scoring.cli import main
from scoring.errors import DataError
from scoring.ingest import ingest_month
from tests.ingest_helpers import MONTH, code, make_project, tree_bytes, valid_month, write_month, write_xlsx

RAW = f"data/raw/{MONTH}"


def fails(project, month=MONTH) -> list[str]:
    with pytest.raises(DataError) as info:
        ingest_month(project, month)
    assert not project.processed_month(month).exists(), "a processed month was written despite errors"
    assert not [p for p in project.processed.iterdir() if p.name != ".gitkeep"], "temporary folder left behind"
    return info.value.problems


def run(tmp_path, change, **kwargs) -> list[str]:
    project = make_project(tmp_path)
    month = valid_month(project)
    change(month)
    write_month(project, month, **kwargs)
    return fails(project)


def one(problems: list[str], *fragments: str) -> str:
    hits = [p for p in problems if all(f in p for f in fragments)]
    assert len(hits) == 1, f"expected one line with {fragments}, got {hits} among:\n" + "\n".join(problems)
    return hits[0]


def test_unknown_unit_name_lists_the_valid_names(tmp_path):
    problems = run(tmp_path, lambda m: m.register[0].update({"县区": "兰山"}))
    line = one(problems, "单位基础数据.csv: row 2, column 'unit' (县区): value '兰山'")
    assert "not a unit" in line and "兰山区、罗庄区、河东区" in line and "蒙山旅游度假区" in line
    one(problems, "no row for 兰山区")  # and the register now lacks 兰山区


def test_duplicate_rows_name_both_rows(tmp_path):
    problems = run(tmp_path, lambda m: m.records.append(dict(m.records[4])))
    assert one(problems, "名单记录.csv: row 6,", "duplicate row").endswith("as row 7 of data/raw/2019-07/名单记录.csv")
    one(problems, "名单记录.csv: row 7, column 'credit_code' (统一社会信用代码)", "duplicate row", "as row 6")


def test_duplicate_unit_in_the_register(tmp_path):
    problems = run(tmp_path, lambda m: m.register.append(dict(m.register[0])))
    one(problems, "单位基础数据.csv: row 2, column 'unit' (县区): value '兰山区'", "duplicate row", "row 18")


@pytest.mark.parametrize(("value", "rule"), [
    (code(1)[:-1] + ("0" if code(1)[-1] != "0" else "1"), "wrong check character"),
    (code(1)[:17], "has 17 characters; a 统一社会信用代码 has 18"),
    (code(1)[:10] + "O" + code(1)[11:], "contains O, not used"),
    ("91371302ABCDEFGHJK", "wrong check character"),
])
def test_malformed_credit_code(tmp_path, value, rule):
    problems = run(tmp_path, lambda m: m.records[0].update({"统一社会信用代码": value}))
    one(problems, f"名单记录.csv: row 2, column 'credit_code' (统一社会信用代码): value '{value}' — ", rule)


def test_negative_count(tmp_path):
    problems = run(tmp_path, lambda m: m.records[1].update({"违法记录次数（次）": -1}))
    assert problems == ["data/raw/2019-07/名单记录.csv: row 3, column 'violations' (违法记录次数（次）): value '-1' — "
                        "negative: a count cannot be below 0"]


def test_negative_count_in_the_indicator_sheet(tmp_path):
    problems = run(tmp_path, lambda m: m.indicators[2].update({"政府失信被执行人（件）": -2}))
    one(problems, "指标填报.csv: row 4, column 'c1.i4.m1' (政府失信被执行人（件）): value '-2' — negative")


def test_ratio_outside_zero_one(tmp_path):
    problems = run(tmp_path, lambda m: m.indicators[5].update({"双公示率": 1.5}))
    one(problems, "指标填报.csv: row 7, column 'c2.i2.m1' (双公示率): value '1.5' — outside [0, 1]")


@pytest.mark.parametrize(("column", "value", "rule"), [
    ("列入日期", "2019-08-01", "after the month's last day 2019-07-31"),
    ("退出日期", "2019-08-01", "outside 2019-07 (2019-07-01 … 2019-07-31)"),
    ("退出日期", "2019-06-30", "outside 2019-07 (2019-07-01 … 2019-07-31)"),
])
def test_dates_outside_the_month(tmp_path, column, value, rule):
    problems = run(tmp_path, lambda m: m.records[0].update({column: value}))
    one(problems, "名单记录.csv: row 2, column", f"({column}): value '{value}' — {rule}")


def test_exit_before_entry(tmp_path):
    problems = run(tmp_path, lambda m: m.records[1].update({"列入日期": "2019-07-20", "退出日期": "2019-07-10"}))
    assert problems == ["data/raw/2019-07/名单记录.csv: row 3, column 'exit_date' (退出日期): value '2019-07-10' — "
                        "before the entry date 2019-07-20 of the same row: an exit cannot precede its entry"]


def test_missing_required_metric_column(tmp_path):
    def drop(m):
        for row in m.indicators:
            row.pop("转码率")

    problems = run(tmp_path, drop)
    one(problems, "指标填报.csv: row 1: column 'c2.i4.m1' (转码率) is missing")


def test_an_all_blank_metric_column_is_refused_like_a_missing_one(tmp_path):
    def blank(m):
        for row in m.indicators:
            row["行业信用监管领域数（个）"] = ""

    problems = run(tmp_path, blank)
    assert problems == [f"{RAW}/指标填报.csv: column 'c1.i3.m2' (行业信用监管领域数（个）) is empty in every row "
                        "(rows 2–17) — a metric nobody reported is refused like a missing column: every metric with "
                        "source: sheet needs its figures (leave a cell empty only for a unit that did not report)"]


def test_an_all_blank_metric_column_in_a_workbook_under_another_header(tmp_path):
    def blank(m):
        for row in m.indicators:
            row.pop("行业信用监管领域数（个）")
            row["行业信用监管，开展行业信用监管的领域"] = None  # the metric's full name as header
        m.indicators[3]["转码率"] = ""  # one unit not reporting another metric is fine

    problems = run(tmp_path, blank, xlsx=("indicators",))
    one(problems, f"{RAW}/指标填报.xlsx, sheet 指标填报: column 'c1.i3.m2' (行业信用监管领域数（个）, headed "
                  "'行业信用监管，开展行业信用监管的领域') is empty in every row (rows 2–17)",
        "refused like a missing column")
    assert len(problems) == 1, problems


def test_missing_reviewer_scores_for_an_item(tmp_path):
    problems = run(tmp_path, lambda m: m.reviews.__setitem__(slice(None), [r for r in m.reviews
                                                                          if r["指标"] != "c2.i1.m3"]))
    one(problems, "评审打分.csv: no score for c2.i1.m3")


def test_a_derived_metric_typed_into_the_sheet_is_refused(tmp_path):
    problems = run(tmp_path, lambda m: [row.update({"名单总量占全市比重": 0.1}) for row in m.indicators])
    one(problems, "column '名单总量占全市比重': c1.i2.m1", "computed from the list records")


def test_unreadable_csv(tmp_path):
    project = make_project(tmp_path)
    folder = write_month(project, valid_month(project))
    (folder / "评审打分.csv").write_bytes(b"\xff\xfe\xff\xff garbage \x80\x80")
    one(fails(project), f"{RAW}/评审打分.csv: unreadable — not text in utf-8, gbk, gb18030")


def test_unreadable_xlsx(tmp_path):
    project = make_project(tmp_path)
    folder = write_month(project, valid_month(project))
    (folder / "指标填报.csv").unlink()
    (folder / "指标填报.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    problems = fails(project)
    one(problems, f"{RAW}/指标填报.xlsx: unreadable — not an Excel .xlsx workbook")
    one(problems, "no 指标填报 (indicators)")


def test_wrong_sheet_names_the_sheets_found(tmp_path):
    project = make_project(tmp_path)
    month = valid_month(project)
    folder = write_month(project, month)
    (folder / "名单记录.csv").unlink()
    write_xlsx(folder / "名单记录.xlsx", {"Sheet1": month.records})
    problems = fails(project)
    line = one(problems, f"{RAW}/名单记录.xlsx: wrong sheet")
    assert "'名单记录' or 'records'" in line and "sheets found: 'Sheet1'" in line
    one(problems, f"{RAW}/名单记录.xlsx: sheet 'Sheet1' is not a sheet of the contract")


def test_an_old_excel_file_is_refused(tmp_path):
    project = make_project(tmp_path)
    folder = write_month(project, valid_month(project))
    (folder / "补充.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    one(fails(project), "补充.xls: not a data file of the contract (old Excel format: save it as .xlsx)")


def test_all_problems_of_a_file_are_listed_at_once(tmp_path):
    def many(m):
        m.records[0]["统一社会信用代码"] = "123"
        m.records[1]["名单类型"] = "灰名单"
        m.records[2]["违法记录次数（次）"] = "三"
        m.records[3]["列入日期"] = "2019-13-01"
        m.records[4]["所属县区"] = "北京市"

    problems = run(tmp_path, many)
    assert len(problems) == 5, problems
    for row, column, value in [(2, "credit_code", "123"), (3, "list_type", "灰名单"), (4, "violations", "三"),
                               (5, "entry_date", "2019-13-01"), (6, "unit", "北京市")]:
        one(problems, f"名单记录.csv: row {row}, column '{column}'", f"value '{value}' — ")
    assert [int(p.split("row ")[1].split(",")[0]) for p in problems] == [2, 3, 4, 5, 6]  # in file order


def test_problems_of_several_files_are_listed_together(tmp_path):
    def two_files(m):
        m.register[3]["常住人口（人）"] = "many"
        m.reviews[0]["评分（分）"] = 7  # c1.i6.m6 is worth 3 points

    problems = run(tmp_path, two_files)
    one(problems, "单位基础数据.csv: row 5, column 'population'", "value 'many' — not a whole number")
    one(problems, "评审打分.csv: row 2, column 'score' (评分（分）): value '7' — above the 3 points of c1.i6.m6")


def test_a_failure_leaves_the_previous_processed_month_untouched(tmp_path):
    project = make_project(tmp_path)
    month = valid_month(project)
    write_month(project, month)
    out = ingest_month(project, MONTH)
    before = tree_bytes(out)
    month.indicators[0]["双公示率"] = "-0.5"
    write_month(project, month)
    with pytest.raises(DataError):
        ingest_month(project, MONTH)
    assert tree_bytes(out) == before
    assert sorted(p.name for p in project.processed.iterdir()) == [MONTH]  # no temporary folder left


def test_raw_files_are_never_written(tmp_path):
    project = make_project(tmp_path)
    folder = write_month(project, valid_month(project))
    before = tree_bytes(folder)
    ingest_month(project, MONTH)
    assert tree_bytes(folder) == before


def test_command_line_prints_one_line_per_problem_and_exits_2(tmp_path, capsys):
    project = make_project(tmp_path)
    month = valid_month(project)
    month.records[0]["退出日期"] = "2019-06-01"
    month.records[1]["违法记录次数（次）"] = -4
    write_month(project, month)
    assert main(["--root", str(project.root), "ingest", "--month", MONTH]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all(line.startswith("error: data/raw/2019-07/名单记录.csv: row ") for line in err)
    assert not project.processed_month(MONTH).exists()


def test_missing_month_folder(tmp_path):
    project = make_project(tmp_path)
    with pytest.raises(DataError, match="no raw data for 2019-07"):
        ingest_month(project, MONTH)


def test_formulas_without_a_computed_value_are_refused(tmp_path):
    import openpyxl

    project = make_project(tmp_path)
    month = valid_month(project)
    folder = write_month(project, month, xlsx=("register",))
    wb = openpyxl.load_workbook(folder / "单位基础数据.xlsx")
    wb["单位基础数据"]["C2"] = "=B2*6"  # written by a program: no cached value
    wb.save(folder / "单位基础数据.xlsx")
    one(fails(project), "单位基础数据.xlsx, sheet 单位基础数据: cells C2 hold formulas without a computed value")


def test_a_sub_folder_is_not_silently_ignored(tmp_path):
    project = make_project(tmp_path)
    folder = write_month(project, valid_month(project))
    (folder / "补报").mkdir()
    one(fails(project), "data/raw/2019-07/补报: a folder — files in sub-folders are not read")
