"""The reviewers' workbook of the annual acceptance (`template --year YYYY --reviews`): its sheets,
pre-filled units, items and maxima, validation (at 16 and 136 units), and its round trip: filled
in with openpyxl and placed in data/raw/YYYY/, the reviews ingest reads back the same values;
a value out of range is refused by the cell's validation and by ingestion, with the usual line."""

from __future__ import annotations

import datetime as dt
import shutil

import openpyxl
import pandas as pd
import pytest

from scoring.errors import CreditCountyError, DataError, SpecError
from scoring.ingest.contract import ANNUAL_REVIEW_SOURCE
from scoring.ingest.process import load_params
from scoring.ingest.review_template import score_items, write_review_template
from scoring.ingest.reviews import read_reviews
from scoring.ingest.template import headers_of
from scoring.pipeline.review import reviews_file
from scoring.project import Project
from tests.ingest_helpers import make_project, tree_bytes

YEAR = 2019


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path)


def validations(ws) -> dict[str, object]:
    """Each validation by the first cell it covers."""
    return {str(dv.sqref).split(":")[0].split()[0]: dv for dv in ws.data_validations.dataValidation}


def fill(path, rows: dict[str, dict[str, object]]) -> None:
    """Fill the workbook as the reviewers would: by header, on the pre-filled unit rows, headers untouched."""
    wb = openpyxl.load_workbook(path)
    ws = wb["验收评审"]
    column = {c.value: c.column for c in ws[1]}
    for r in range(2, ws.max_row + 1):
        for header, value in rows.get(ws.cell(r, 1).value, {}).items():
            ws.cell(r, column[header]).value = value
    wb.save(path)


def scores(units) -> dict[str, dict[str, object]]:
    """Per unit name: the cells reviewers type (numbers, text and Excel dates)."""
    return {u.name: {"现场调研得分": 60 + (i % 40) + 0.5, "非现场评议得分": 95 - (i % 30), "现场调研评审人": f"张{i}",
                     "非现场评议评审人": "李四、王五", "评审日期": dt.date(YEAR, 12, 1) + dt.timedelta(days=i % 60)}
            for i, u in enumerate(units.units)}


def expected(units, rows) -> pd.DataFrame:
    return pd.DataFrame({
        "unit": [u.code for u in units.units],
        "onsite": [float(rows[u.name]["现场调研得分"]) for u in units.units],
        "offsite": [float(rows[u.name]["非现场评议得分"]) for u in units.units],
        "onsite_reviewer": [rows[u.name]["现场调研评审人"] for u in units.units],
        "offsite_reviewer": [rows[u.name]["非现场评议评审人"] for u in units.units],
        "review_date": [rows[u.name]["评审日期"].isoformat() for u in units.units],
    })


def place(project: Project, path) -> object:
    (project.raw / str(YEAR)).mkdir(parents=True, exist_ok=True)
    return shutil.copy(path, project.raw / str(YEAR) / path.name)


def test_sheets_units_items_and_notes(project):
    path = write_review_template(project, YEAR)
    assert path == project.outputs / "templates" / str(YEAR) / "reviews.xlsx"  # the name data/raw/YYYY/ reads
    _spec, units, contract = load_params(project)
    source = contract.annual_source(ANNUAL_REVIEW_SOURCE)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["填表说明", "验收评审"]
    ws = wb["验收评审"]
    assert [c.value for c in ws[1]] == headers_of(source)
    assert [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)] == [u.name for u in units.units]
    assert all(ws.cell(r, c).value is None for r in range(2, ws.max_row + 1) for c in range(2, ws.max_column + 1))
    notes = [[c.value for c in row] for row in wb["填表说明"].iter_rows()]
    text = "\n".join(str(v) for row in notes for v in row if v is not None)
    assert [row[:2] for row in notes if row[0] in {"现场调研得分", "非现场评议得分"}] == [
        ["现场调研得分", 100], ["非现场评议得分", 100]]  # the items and their maxima
    assert [c.label for c in score_items(source)] == ["现场调研得分", "非现场评议得分"]
    assert "2019-01-01 至 2020-01-31" in text and "data/raw/2019/" in text and "16个县区" in text
    assert "{" not in text  # every placeholder filled
    for col in source.columns:
        assert col.name in text


def test_validation_of_every_cell(project):
    ws = openpyxl.load_workbook(write_review_template(project, YEAR))["验收评审"]
    dvs = validations(ws)
    assert set(dvs) == {"A2", "B2", "C2", "F2"}  # unit, both scores, date; reviewers and note are free text
    assert dvs["A2"].type == "list" and "兰山区" in dvs["A2"].formula1 and str(dvs["A2"].sqref) == "A2:A17"
    for first in ("B2", "C2"):
        dv = dvs[first]
        assert (dv.type, dv.operator, dv.formula1, dv.formula2) == ("decimal", "between", "0", "100")
        assert str(dv.sqref) == f"{first[0]}2:{first[0]}17" and dv.showErrorMessage and dv.errorStyle in (None, "stop")
        assert "100" in dv.prompt
    assert (dvs["F2"].type, dvs["F2"].formula1, dvs["F2"].formula2) == ("date", "DATE(2019,1,1)", "DATE(2020,1,31)")
    assert ws["F2"].number_format == "yyyy-mm-dd"


def test_round_trip_same_values(project):
    path = write_review_template(project, YEAR)
    _spec, units, _contract = load_params(project)
    rows = scores(units)
    fill(path, rows)
    placed = place(project, path)
    assert reviews_file(project, YEAR) == placed  # what `credit-county review --year 2019` reads
    got = read_reviews(placed, units, YEAR)
    pd.testing.assert_frame_equal(got, expected(units, rows))
    assert got.attrs["synthetic"] is False


def test_out_of_range_refused_by_the_cell_and_by_ingestion(project):
    path = write_review_template(project, YEAR)
    _spec, units, _contract = load_params(project)
    rows = scores(units)
    rows["河东区"]["现场调研得分"] = 101  # row 4
    rows["郯城县"]["非现场评议得分"] = -0.5  # row 5
    rows["兰陵县"]["评审日期"] = dt.date(YEAR + 1, 2, 1)  # row 6
    fill(path, rows)
    ws = openpyxl.load_workbook(path)["验收评审"]
    dvs = validations(ws)
    assert "B4" in dvs["B2"].sqref and not 0 <= ws["B4"].value <= float(dvs["B2"].formula2)  # Excel refuses it
    assert "C5" in dvs["C2"].sqref and not float(dvs["C2"].formula1) <= ws["C5"].value
    placed = place(project, path)
    before = tree_bytes(project.root)
    with pytest.raises(DataError) as info:
        read_reviews(placed, units, YEAR)
    assert tree_bytes(project.root) == before
    where = "data/raw/2019/reviews.xlsx, sheet 验收评审"
    assert info.value.problems == [
        f"{where}: row 4, column 'onsite' (现场调研得分): value '101' — above the maximum 100",
        f"{where}: row 5, column 'offsite' (非现场评议得分): value '-0.5' — below the minimum 0",
        f"{where}: row 6, column 'review_date' (评审日期): value '2020-02-01' — outside 2019-01-01 … 2020-01-31 "
        "(the year 2019 or January 2020): scores of another year belong in that year's folder"]


def test_a_blank_workbook_is_refused_cell_by_cell(project):
    placed = place(project, write_review_template(project, YEAR))
    _spec, units, _contract = load_params(project)
    with pytest.raises(DataError) as info:
        read_reviews(placed, units, YEAR)
    assert "row 2, column 'onsite' (现场调研得分): value (empty) — a value is required" in info.value.problems[0]


def test_same_year_same_bytes_never_inside_raw(project, tmp_path):
    first = write_review_template(project, YEAR).read_bytes()
    assert write_review_template(project, YEAR, tmp_path / "again.xlsx").read_bytes() == first
    assert write_review_template(project, YEAR + 1).read_bytes() != first
    with pytest.raises(CreditCountyError, match="not written inside"):
        write_review_template(project, YEAR, project.raw / str(YEAR) / "reviews.xlsx")
    assert not (project.raw / str(YEAR)).exists()


def test_a_wrong_placeholder_in_the_texts_is_refused(project):
    path = project.params / "sources.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("在{year}年内或{next}年1月内", "在{yaer}年内"),
                    encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_params(project)
    assert any("template.annual.intro" in p for p in info.value.problems)


def test_136_units_validate_and_round_trip(tmp_path):
    """Beyond Excel's 255-character inline list the unit drop-down refers to a hidden column of the notes
    sheet; every score cell of the 136 rows is validated; the filled workbook reads back."""
    from tests.test_scale import bench_scale

    bench_scale().make_project(tmp_path, 136, seed=3)
    project = Project(tmp_path)
    _spec, units, _contract = load_params(project)
    path = write_review_template(project, YEAR)
    wb = openpyxl.load_workbook(path)
    ws, notes = wb["验收评审"], wb["填表说明"]
    assert ws.max_row == 137
    dvs = validations(ws)
    ref = dvs["A2"].formula1
    assert dvs["A2"].type == "list" and ref == "'填表说明'!$J$1:$J$136"
    assert [notes.cell(r, 10).value for r in range(1, 137)] == [u.name for u in units.units]
    assert notes.column_dimensions["J"].hidden
    for first in ("B2", "C2"):
        assert str(dvs[first].sqref) == f"{first[0]}2:{first[0]}137" and dvs[first].formula2 == "100"
    assert "136个县区" in "".join(str(c.value) for row in notes.iter_rows(max_col=8) for c in row if c.value)
    rows = scores(units)
    fill(path, rows)
    pd.testing.assert_frame_equal(read_reviews(place(project, path), units, YEAR), expected(units, rows))


@pytest.mark.parametrize("year", ["19", "2019-12", 0, "twenty"])
def test_a_year_not_written_yyyy_is_refused(project, year):
    with pytest.raises(CreditCountyError, match="must be written YYYY"):
        write_review_template(project, year)
