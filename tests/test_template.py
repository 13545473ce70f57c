"""The Excel template: sheets, headers, pre-filled units, validation, notes; a filled copy ingests."""

from __future__ import annotations

import datetime as dt
import shutil

import openpyxl
import pandas as pd
import pytest

from scoring.cli import main
from scoring.errors import CreditCountyError, SpecError
from scoring.ingest import ingest_month, load_params
from scoring.ingest.template import headers_of, write_template
from tests.ingest_helpers import MONTH, code, make_project, sheet_value


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path)


def test_sheets_headers_units_and_notes(project):
    path = write_template(project, MONTH)
    assert path == project.outputs / "templates" / f"信用县数据填报-{MONTH}.xlsx"
    spec, units, contract = load_params(project)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["填表说明", "单位基础数据", "指标填报", "名单记录", "评审打分"]
    for source in contract.sources.values():
        ws = wb[source.sheets[0]]
        assert [c.value for c in ws[1]] == headers_of(source)
    for sheet in ("单位基础数据", "指标填报"):
        assert [wb[sheet].cell(r, 1).value for r in range(2, 18)] == [u.name for u in units.units]
    assert wb["指标填报"].cell(1, 2).value == "诚信典型数量（个）"  # the count a department reports
    reviews = wb["评审打分"]
    assert reviews.max_row == 1 + 16 * 2 and reviews.cell(2, 2).value == "重大失信事件治理反馈"
    notes = "\n".join(str(c.value) for row in wb["填表说明"].iter_rows() for c in row if c.value is not None)
    for m in spec.metrics():
        if m.source == "sheet":
            assert m.code in notes
    assert "credit_code" in notes and "GB 32100-2015" in notes and "2019-07-01 至 2019-07-31" in notes


def test_metric_notes_come_from_the_contract_templates(project):
    _spec, _units, contract = load_params(project)
    columns = contract.source("indicators")
    per = columns.column("c1.i1.m1")  # 诚信典型数量, divided by the register's 法人企业数
    assert per.note.endswith("（填原始数量，系统按法人企业数折算为个/万户法人企业）") and per.unit == "个"
    assert columns.column("c2.i2.m1").note == columns.column("c2.i2.m1").metric.name
    assert (columns.column("c2.i2.m1").unit, columns.column("c1.i5.m6").unit) == ("", "")  # ratio, yes/no
    path = project.params / "sources.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("系统按{register}折算", "系统按{registre}折算"),
                    encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_params(project)
    assert [p.split("sources.yaml: ", 1)[1] for p in info.value.problems] == [
        "sources.indicators.metric_notes.per: 不是有效的模板：只能用占位符 {name}, {short}, {code}, {unit}, {register}"
        "（KeyError('registre')） — '{name}（填原始数量，系统按{registre}折算为{unit}）'"]


def validations(ws) -> dict[str, object]:
    return {str(dv.sqref).split(":")[0].split()[0]: dv for dv in ws.data_validations.dataValidation}


def test_data_validation(project):
    wb = openpyxl.load_workbook(write_template(project, MONTH))
    records = validations(wb["名单记录"])
    assert records["D2"].type == "list" and "黑名单,重点关注名单,红名单" in records["D2"].formula1
    assert records["C2"].type == "list" and "兰山区" in records["C2"].formula1
    assert records["A2"].type == "textLength" and records["A2"].formula1 == "18"
    assert records["G2"].type == "date" and records["G2"].formula2 == "DATE(2019,7,31)"
    assert records["H2"].type == "whole" and records["H2"].formula1 == "0"
    sheet = validations(wb["指标填报"])
    ratio = next(dv for dv in wb["指标填报"].data_validations.dataValidation if dv.promptTitle == "双公示率")
    assert ratio.type == "decimal" and (ratio.formula1, ratio.formula2) == ("0", "1")
    assert sheet["A2"].type == "list"
    score = [dv for dv in wb["评审打分"].data_validations.dataValidation if dv.type == "decimal"]
    assert sorted(dv.formula2 for dv in score) == ["2", "3"]  # each item's own points


def test_same_month_same_bytes(project, tmp_path):
    first = write_template(project, MONTH).read_bytes()
    assert write_template(project, MONTH, tmp_path / "again.xlsx").read_bytes() == first


def test_never_written_inside_raw(project):
    with pytest.raises(CreditCountyError, match="not written inside"):
        write_template(project, MONTH, project.raw / MONTH / "t.xlsx")
    assert not (project.raw / MONTH).exists()


def fill(path, project) -> None:
    """Fill the template as a department would, with openpyxl, keeping every header as it is."""
    _spec, _units, contract = load_params(project)
    wb = openpyxl.load_workbook(path)
    ws = wb["单位基础数据"]
    for r in range(2, 18):
        legal = 20000 if r == 2 else 5000
        ws.cell(r, 2).value, ws.cell(r, 3).value, ws.cell(r, 4).value = legal, legal * 6, legal * 50
    ws = wb["指标填报"]
    for c, col in enumerate(contract.source("indicators").columns, start=1):
        if col.metric is not None:
            for r in range(2, 18):
                ws.cell(r, c).value = sheet_value(col.type)
    ws.cell(3, 2).value = None  # 罗庄区 does not report 诚信典型数量
    ws = wb["名单记录"]
    rows = [(code(1), "临沂甲公司", "兰山区", "黑名单", "税务", dt.date(2018, 5, 10), None, 3),
            (code(2), "临沂乙公司", "兰山区", "重点关注名单", "金融", dt.date(2019, 7, 12), None, 1),
            (code(3), "临沂丙公司", "兰山区", "黑名单", "环保", dt.date(2019, 1, 5), dt.date(2019, 7, 20), 4)]
    for r, values in enumerate(rows, start=2):
        for c, v in enumerate(values, start=1):
            ws.cell(r, c).value = v
    ws = wb["评审打分"]
    for r in range(2, ws.max_row + 1):
        ws.cell(r, 3).value, ws.cell(r, 4).value, ws.cell(r, 5).value = 1.5, "评审组", dt.date(2019, 8, 2)
    wb.save(path)


def test_a_filled_template_ingests_without_edits(project, tmp_path):
    path = write_template(project, MONTH, tmp_path / "filled.xlsx")
    fill(path, project)
    (project.raw / MONTH).mkdir()
    shutil.copy(path, project.raw / MONTH / path.name)
    out = ingest_month(project, MONTH)
    metrics = pd.read_csv(out / "metrics.csv").set_index(["unit", "metric"])["value"]
    assert metrics[("lanshan", "c1.i1.m1")] == pytest.approx(5 / 20000 * 10000)
    assert pd.isna(metrics[("luozhuang", "c1.i1.m1")])
    assert metrics[("lanshan", "c1.i2.m1")] == 1.0  # the only unit with listed entities
    assert metrics[("lanshan", "c1.i2.m4")] == pytest.approx(1 / 3)
    assert metrics[("lanshan", "c2.i1.m3")] == 1.5
    entries = pd.read_csv(out / "list_entries.csv", dtype=str, keep_default_na=False)
    assert entries["movement"].tolist() == ["listed", "exited", "entered"]
    assert entries["exit_date"].tolist() == ["", "2019-07-20", ""]


def test_command_line_template(project, capsys):
    assert main(["--root", str(project.root), "template", "--month", MONTH]) == 0
    assert (project.outputs / "templates" / f"信用县数据填报-{MONTH}.xlsx").is_file()
