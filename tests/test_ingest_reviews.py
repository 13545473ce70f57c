"""The annual review file data/raw/YYYY/reviews.csv|xlsx: read to an exact frame in every format;
each bad case gives lines naming file, row, column, value and rule; nothing is written."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from scoring.demo import write_demo
from scoring.errors import DataError, SpecError
from scoring.index.spec import load_index, load_units
from scoring.ingest import load_params, read_raw_month
from scoring.ingest.contract import load_contract
from scoring.ingest.reviews import ANNUAL_REVIEW_COLUMNS, read_reviews
from tests.ingest_helpers import ROOT, csv_bytes, make_project, tree_bytes, valid_month, write_month, write_xlsx

YEAR = 2019
RAW = f"data/raw/{YEAR}"
UNITS = load_units(ROOT / "params" / "units.yaml")
HEADERS = ["县区", "现场调研得分", "非现场评议得分", "现场调研评审人", "非现场评议评审人", "评审日期"]


def good_rows() -> list[dict]:
    """One row per unit: scores 60 + i and 90 − i / 2, dates from 2019-12-10 into January 2020."""
    return [{"县区": u.name, "现场调研得分": 60 + i, "非现场评议得分": 90 - i / 2, "现场调研评审人": f"张{i}",
             "非现场评议评审人": "李四、王五",
             "评审日期": (dt.date(YEAR, 12, 10) + dt.timedelta(days=3 * i)).isoformat()}
            for i, u in enumerate(UNITS.units)]


def expected() -> pd.DataFrame:
    rows = good_rows()
    return pd.DataFrame({
        "unit": [u.code for u in UNITS.units],
        "onsite": [float(r["现场调研得分"]) for r in rows],
        "offsite": [float(r["非现场评议得分"]) for r in rows],
        "onsite_reviewer": [r["现场调研评审人"] for r in rows],
        "offsite_reviewer": [r["非现场评议评审人"] for r in rows],
        "review_date": [r["评审日期"] for r in rows],
    })


@pytest.fixture
def project(tmp_path):
    project = make_project(tmp_path)
    (project.raw / str(YEAR)).mkdir()
    return project


def write_csv(project, rows, encoding="utf-8", headers=None, name="reviews.csv"):
    path = project.raw / str(YEAR) / name
    path.write_bytes(csv_bytes(rows, encoding, headers or HEADERS))
    return path


def fails(project, path) -> list[str]:
    before = tree_bytes(project.root)
    with pytest.raises(DataError) as info:
        read_reviews(path, UNITS, YEAR)
    assert tree_bytes(project.root) == before, "reading the reviews wrote something"
    return info.value.problems


def one(problems: list[str], *fragments: str) -> str:
    hits = [p for p in problems if all(f in p for f in fragments)]
    assert len(hits) == 1, f"expected one line with {fragments}, got {hits} among:\n" + "\n".join(problems)
    return hits[0]


# --------------------------------------------------------------------------- good files


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_good_csv_in_every_encoding_reads_to_the_exact_frame(project, encoding):
    path = write_csv(project, good_rows(), encoding)
    before = tree_bytes(project.root)
    frame = read_reviews(path, UNITS, YEAR)
    pd.testing.assert_frame_equal(frame, expected())
    assert list(frame.columns) == ANNUAL_REVIEW_COLUMNS
    assert frame.attrs["synthetic"] is False
    assert tree_bytes(project.root) == before


def test_good_xlsx_with_numbers_and_excel_dates_reads_to_the_exact_frame(project):
    rows = [{**r, "评审日期": dt.date.fromisoformat(r["评审日期"])} for r in good_rows()]
    path = write_xlsx(project.raw / str(YEAR) / "reviews.xlsx", {"验收评审": rows}, HEADERS)
    pd.testing.assert_frame_equal(read_reviews(path, UNITS, YEAR), expected())


def test_aliases_unit_codes_any_row_order_and_a_note_column(project):
    rows = [{"单位": u.code if i % 2 else u.name, "现场调研得分（分）": 60 + i, "非现场得分": 90 - i / 2,
             "现场评审人": f"张{i}", "非现场评审组": "李四、王五", "日期": r["评审日期"].replace("-", "/"),
             "备注": "示例数据"}
            for i, (u, r) in enumerate(zip(UNITS.units, good_rows(), strict=True))]
    path = write_csv(project, list(reversed(rows)), headers=list(rows[0]))
    pd.testing.assert_frame_equal(read_reviews(path, UNITS, YEAR), expected())


# --------------------------------------------------------------------------- bad files


def change(row: int, **cells):
    """A change of the good rows: row `row` of the file (2 = the first unit) gets `cells`."""
    def apply(rows):
        rows[row - 2].update(cells)
        return rows
    return apply


@pytest.mark.parametrize(("edit", "fragments"), [
    (change(3, 现场调研得分=101), ("row 3, column 'onsite' (现场调研得分): value '101' — above the maximum 100",)),
    (change(4, 非现场评议得分=-0.5), ("row 4, column 'offsite' (非现场评议得分): value '-0.5' — below the minimum 0",)),
    (change(5, 现场调研得分="八十"), ("row 5, column 'onsite' (现场调研得分): value '八十' — not a number",)),
    (change(6, 现场调研评审人=""), ("row 6, column 'onsite_reviewer' (现场调研评审人): value (empty) — "
                                    "a value is required",)),
    (change(7, 非现场评议评审人="  "), ("row 7, column 'offsite_reviewer' (非现场评议评审人): value (empty) — "
                                        "a value is required",)),
    (change(8, 评审日期="2018-12-31"), ("row 8, column 'review_date' (评审日期): value '2018-12-31' — outside "
                                        "2019-01-01 … 2020-01-31 (the year 2019 or January 2020)",)),
    (change(9, 评审日期="2020-02-01"), ("row 9, column 'review_date' (评审日期): value '2020-02-01' — outside "
                                        "2019-01-01 … 2020-01-31",)),
    (change(10, 评审日期="2019-13-01"), ("row 10, column 'review_date' (评审日期): value '2019-13-01' — not a date",)),
    (change(2, 县区="兰山"), ("row 2, column 'unit' (县区): value '兰山' — not a unit of params/units.yaml; "
                            "use one of: 兰山区、罗庄区",
                            f"{RAW}/reviews.csv: no row for 兰山区: 验收评审 needs one row for each of the 16 units")),
    (change(3, 县区="兰山区"), ("row 2, column 'unit' (县区): value '兰山区' — duplicate row: the same 县区 as "
                              f"row 3 of {RAW}/reviews.csv",
                              "row 3, column 'unit' (县区): value '兰山区' — duplicate row: the same 县区 as "
                              f"row 2 of {RAW}/reviews.csv", "no row for 罗庄区")),
    (lambda rows: rows[:-1], (f"{RAW}/reviews.csv: no row for 蒙山旅游度假区: 验收评审 needs one row for each of the "
                              "16 units",)),
])
def test_each_bad_case_names_file_row_column_value_and_rule(project, edit, fragments):
    problems = fails(project, write_csv(project, edit(good_rows())))
    assert len(problems) == len(fragments), problems
    for fragment in fragments:
        line = one(problems, fragment)
        assert line.startswith(f"{RAW}/reviews.csv: "), line


def test_every_problem_at_once_in_file_order(project):
    rows = good_rows()
    rows[0]["现场调研得分"] = 101
    rows[1]["非现场评议评审人"] = ""
    rows[2]["评审日期"] = "2018-06-01"
    rows[3]["县区"] = "沂蒙县"
    problems = fails(project, write_csv(project, rows))
    assert problems[0] == f"{RAW}/reviews.csv: no row for 郯城县: 验收评审 needs one row for each of the 16 units"
    assert [p.split(", column")[0] for p in problems[1:]] == [f"{RAW}/reviews.csv: row {r}" for r in (2, 3, 4, 5)]


def test_unknown_and_missing_columns(project):
    headers = [h for h in HEADERS if h != "非现场评议评审人"] + ["分数"]
    rows = [{**r, "分数": 1} for r in good_rows()]
    problems = fails(project, write_csv(project, rows, headers=headers))
    one(problems, f"{RAW}/reviews.csv: row 1: column 'offsite_reviewer' (非现场评议评审人) is missing")
    one(problems, f"{RAW}/reviews.csv: row 1: column '分数': not a column of 验收评审")


def test_xlsx_bad_cell_names_the_sheet(project):
    rows = good_rows()
    rows[4]["非现场评议得分"] = 100.5
    path = write_xlsx(project.raw / str(YEAR) / "reviews.xlsx", {"验收评审": rows}, HEADERS)
    problems = fails(project, path)
    assert problems == [f"{RAW}/reviews.xlsx, sheet 验收评审: row 6, column 'offsite' (非现场评议得分): "
                        "value '100.5' — above the maximum 100"]


def test_wrong_sheet(project):
    path = write_xlsx(project.raw / str(YEAR) / "reviews.xlsx", {"Sheet1": good_rows()}, HEADERS)
    problems = fails(project, path)
    one(problems, f"{RAW}/reviews.xlsx: wrong sheet — the file name says 验收评审, so it needs a sheet named "
                  "'验收评审'", "sheets found: 'Sheet1'")
    one(problems, f"{RAW}/reviews.xlsx: sheet 'Sheet1' is not a sheet of the contract — expected '验收评审'")


def test_a_monthly_sheet_is_not_the_annual_one(project):
    path = write_xlsx(project.raw / str(YEAR) / "reviews.xlsx", {"评审打分": good_rows()}, HEADERS)
    one(fails(project, path), "wrong sheet", "sheets found: '评审打分'")


@pytest.mark.parametrize(("name", "data", "rule"), [
    ("reviews.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "unreadable — binary data (NUL bytes)"),
    ("reviews.csv", "县区,现场调研得分\n".encode("utf-16"), "unreadable"),
    ("reviews.csv", b"\xff\xfe\xff\x80\x80\xff", "unreadable — not text in utf-8, gbk, gb18030"),
    ("reviews.xlsx", b"PK\x03\x04 this is not a workbook", "unreadable — not an Excel .xlsx workbook"),
    ("reviews.xls", b"\xd0\xcf\x11\xe0", "not a data file of the contract (old Excel format: save it as .xlsx)"),
    ("reviews.csv", b"", "empty — row 1 must hold the column headers of 验收评审"),
])
def test_unreadable_file(project, name, data, rule):
    path = project.raw / str(YEAR) / name
    path.write_bytes(data)
    one(fails(project, path), f"{RAW}/{name}: {rule}")


def test_missing_file_is_a_data_error(project):
    with pytest.raises(DataError, match=f"{RAW}/reviews.csv: cannot read"):
        read_reviews(project.raw / str(YEAR) / "reviews.csv", UNITS, YEAR)


# --------------------------------------------------------------------------- contract and folders


def test_year_windows_only_in_annual_sources(tmp_path):
    project = make_project(tmp_path)
    path = project.params / "sources.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("window: in_year_or_next_january", "window: in_month")
                        .replace("window: in_month_or_next,", "window: in_year_or_next_january,"), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_contract(path, load_index(project.index_file))
    one(info.value.problems, "sources.yaml: sources.reviews.columns[4].window: 日期窗口 in_year_or_next_january "
                             "用于年度文件夹", "月份数据源只能用：until_month_end, in_month, in_month_or_next — "
                             "'in_year_or_next_january'")
    one(info.value.problems, "sources.yaml: annual_sources.annual_reviews.columns[5].window: 日期窗口 in_month 用于月份"
                             "文件夹；年度数据源只能用：in_year_or_next_january — 'in_month'")


def test_the_annual_source_stays_out_of_the_month(project):
    _spec, _units, contract = load_params(project)
    assert "annual_reviews" not in contract.sources and "annual_reviews" in contract.annual
    write_csv(project, good_rows())
    write_month(project, valid_month(project))
    assert project.raw_months() == ["2019-07"]
    assert read_raw_month(project, "2019-07").reviews["metric"].notna().all()  # the month's own reviews, read as before


# --------------------------------------------------------------------------- demo


def test_demo_writes_a_marked_reviews_file_that_reads_and_repeats_byte_for_byte(tmp_path):
    first, second = make_project(tmp_path / "a"), make_project(tmp_path / "b")
    write_demo(first, years=[YEAR])
    write_demo(second, years=[YEAR])
    path = first.raw / str(YEAR) / "reviews.csv"
    assert path.read_bytes() == (second.raw / str(YEAR) / "reviews.csv").read_bytes()
    assert "synthetic: true" in (first.raw / str(YEAR) / "示例数据.txt").read_text(encoding="utf-8")
    assert set(pd.read_csv(path, encoding="utf-8-sig")["备注"]) == {"示例数据"}
    frame = read_reviews(path, UNITS, YEAR)
    assert frame.attrs["synthetic"] is True
    assert list(frame["unit"]) == UNITS.codes
    assert frame[["onsite", "offsite"]].stack().between(60, 98).all()
    assert frame["onsite"].corr(frame["offsite"]) > 0.5  # both follow the unit's December standing
    assert frame["onsite_reviewer"].str.contains("示例").all() and frame["offsite_reviewer"].str.contains("示例").all()
    assert first.raw_months() == [f"{YEAR}-{m:02d}" for m in range(1, 13)]
