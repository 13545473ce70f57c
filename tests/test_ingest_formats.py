"""Encodings, workbooks, header aliases, re-runs and the manifest."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from scoring.ingest import ingest_month, is_up_to_date
from scoring.ingest.readers import detect_encoding
from tests.ingest_helpers import MONTH, code, csv_bytes, make_project, tree_bytes, valid_month, write_month


def metrics_bytes(project) -> bytes:
    return project.metrics_file(MONTH).read_bytes()


def encodings(project) -> dict[str, str | None]:
    info = json.loads((project.processed_month(MONTH) / "manifest.json").read_text(encoding="utf-8"))
    return {f["name"]: f["encoding"] for f in info["inputs"]}


@pytest.fixture
def reference(tmp_path_factory) -> bytes:
    """metrics.csv of the valid month written as plain UTF-8 CSV."""
    project = make_project(tmp_path_factory.mktemp("reference"))
    write_month(project, valid_month(project))
    ingest_month(project, MONTH)
    return metrics_bytes(project)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_chinese_encodings_read_the_same(tmp_path, reference, encoding):
    project = make_project(tmp_path)
    write_month(project, valid_month(project), encoding=encoding)
    ingest_month(project, MONTH)
    assert metrics_bytes(project) == reference
    expected = "gbk" if encoding in ("gbk", "gb18030") else encoding  # GB18030 bytes of GBK characters are GBK
    assert set(encodings(project).values()) == {expected}


def test_a_name_outside_gbk_is_read_as_gb18030(tmp_path):
    project = make_project(tmp_path)
    month = valid_month(project)
    month.records[0]["主体名称"] = "临沂䶮华商贸有限公司"
    write_month(project, month, encoding="gb18030")
    out = ingest_month(project, MONTH)
    assert encodings(project)["名单记录.csv"] == "gb18030"
    entries = pd.read_csv(out / "list_entries.csv", dtype=str, keep_default_na=False)
    assert "临沂䶮华商贸有限公司" in entries["entity"].tolist()


def test_detect_encoding_order():
    assert detect_encoding("兰山区".encode()) == ("兰山区", "utf-8")
    assert detect_encoding(b"\xef\xbb\xbf" + "兰山区".encode()) == ("兰山区", "utf-8-sig")
    assert detect_encoding("兰山区".encode("gbk")) == ("兰山区", "gbk")
    assert detect_encoding("䶮".encode("gb18030")) == ("䶮", "gb18030")
    with pytest.raises(UnicodeDecodeError):
        detect_encoding(b"\xff\xff")


def test_xlsx_sources_read_the_same(tmp_path, reference):
    project = make_project(tmp_path)
    month = valid_month(project)
    for row in month.records:  # real Excel dates and numbers, as a department's workbook has them
        row["列入日期"] = dt.date.fromisoformat(row["列入日期"])
        row["退出日期"] = dt.date.fromisoformat(row["退出日期"]) if row["退出日期"] else None
    write_month(project, month, xlsx=("register", "indicators", "records", "reviews"))
    ingest_month(project, MONTH)
    assert metrics_bytes(project) == reference
    assert set(encodings(project).values()) == {None}


def test_metric_codes_and_full_names_are_accepted_as_headers(tmp_path, reference):
    project = make_project(tmp_path)
    month = valid_month(project)
    from scoring.index.spec import load_index

    spec = load_index(project.index_file)
    by_short = {m.short: m for m in spec.metrics()}
    for row in month.indicators:
        for header in [h for h in row if h.split("（")[0] in by_short]:
            m = by_short[header.split("（")[0]]
            row[m.code if m.code < "c3" else m.name] = row.pop(header)
    write_month(project, month)
    ingest_month(project, MONTH)
    assert metrics_bytes(project) == reference


def test_unit_codes_percentages_and_empty_cells(tmp_path):
    project = make_project(tmp_path)
    month = valid_month(project)
    month.indicators[0]["县区"] = "lanshan"
    month.indicators[0]["双公示率"] = "98.5%"
    month.indicators[1]["转码率"] = ""  # not reported
    month.indicators[2]["应用自动化联合奖惩系统"] = "否"
    write_month(project, month)
    ingest_month(project, MONTH)
    metrics = pd.read_csv(project.metrics_file(MONTH)).set_index(["unit", "metric"])["value"]
    assert metrics[("lanshan", "c2.i2.m1")] == pytest.approx(0.985)
    assert pd.isna(metrics[("luozhuang", "c2.i4.m1")])
    assert metrics[("hedong", "c1.i5.m6")] == 0.0
    assert "2019-07,luozhuang,c2.i4.m1,\n" in project.metrics_file(MONTH).read_text(encoding="utf-8")
    info = json.loads((project.processed_month(MONTH) / "manifest.json").read_text(encoding="utf-8"))
    assert info["not_reported"] == [{"unit": "luozhuang", "metric": "c2.i4.m1"}]


def test_a_metric_reported_by_one_unit_only_is_kept_with_the_others_not_reported(tmp_path):
    project = make_project(tmp_path)
    month = valid_month(project)
    for row in month.indicators[1:]:
        row["行业信用监管领域数（个）"] = ""  # partly blank: only 兰山区 reports c1.i3.m2
    write_month(project, month)
    ingest_month(project, MONTH)
    metrics = pd.read_csv(project.metrics_file(MONTH)).set_index(["unit", "metric"])["value"]
    assert metrics[("lanshan", "c1.i3.m2")] == 5
    assert metrics.xs("c1.i3.m2", level="metric").isna().sum() == 15
    info = json.loads((project.processed_month(MONTH) / "manifest.json").read_text(encoding="utf-8"))
    assert len([p for p in info["not_reported"] if p["metric"] == "c1.i3.m2"]) == 15


def test_several_records_files_are_pooled_and_duplicates_across_them_found(tmp_path):
    project = make_project(tmp_path)
    month = valid_month(project)
    folder = write_month(project, month)
    headers = list(month.records[0])
    (folder / "名单记录.csv").write_bytes(csv_bytes(month.records[:3], "gbk", headers))
    (folder / "名单记录-市场监管局.csv").write_bytes(csv_bytes(month.records[3:], "utf-8", headers))
    ingest_month(project, MONTH)
    assert len(pd.read_csv(project.processed_month(MONTH) / "list_entries.csv")) == 5
    (folder / "名单记录-市场监管局.csv").write_bytes(csv_bytes(month.records[2:], "utf-8", headers))
    from scoring.errors import DataError

    with pytest.raises(DataError) as info:
        ingest_month(project, MONTH)
    assert any("名单记录-市场监管局.csv: row 2" in p and "as row 4 of data/raw/2019-07/名单记录.csv" in p
               for p in info.value.problems), info.value.problems


def test_rerun_is_byte_identical_and_up_to_date_follows_the_raw_files(tmp_path):
    project = make_project(tmp_path)
    folder = write_month(project, valid_month(project))
    assert not is_up_to_date(project, MONTH)
    first = tree_bytes(ingest_month(project, MONTH))
    assert is_up_to_date(project, MONTH)
    assert tree_bytes(ingest_month(project, MONTH)) == first
    assert set(first) == {"metrics.csv", "register.csv", "list_entries.csv", "reviews.csv", "manifest.json"}
    (folder / "README.txt").write_text("说明", encoding="utf-8")
    assert not is_up_to_date(project, MONTH)  # a new file in the folder: ingest again
    ingest_month(project, MONTH)
    assert is_up_to_date(project, MONTH)


def test_manifest(tmp_path):
    project = make_project(tmp_path)
    write_month(project, valid_month(project), encoding="gbk")
    out = ingest_month(project, MONTH)
    info = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert info["month"] == MONTH and info["synthetic"] is False and info["index_version"] == "2019.1"
    assert len(info["index_sha256"]) == len(info["units_sha256"]) == 64
    rows = {f["name"]: f["rows"] for f in info["inputs"]}
    assert rows == {"单位基础数据.csv": 16, "指标填报.csv": 16, "名单记录.csv": 5, "评审打分.csv": 32}
    import hashlib

    raw = project.raw_month(MONTH)
    assert {f["name"]: f["sha256"] for f in info["inputs"]} == {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in raw.iterdir()}
    assert info["outputs"]["metrics.csv"]["rows"] == 16 * 58
    assert "time" not in json.dumps(info)


def test_synthetic_mark_file_or_note_marks_the_month(tmp_path):
    project = make_project(tmp_path)
    month = valid_month(project)
    folder = write_month(project, month)
    (folder / "示例数据.txt").write_text("synthetic: true\n", encoding="utf-8")
    out = ingest_month(project, MONTH)
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["synthetic"] is True
    (folder / "示例数据.txt").unlink()
    month.register[0]["备注"] = "示例数据"
    write_month(project, month)
    out = ingest_month(project, MONTH)
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["synthetic"] is True


def test_entity_names_cannot_run_as_spreadsheet_formulas(tmp_path):
    project = make_project(tmp_path)
    month = valid_month(project)
    month.records[0]["主体名称"] = '=HYPERLINK("http://x","y")'
    month.records[1]["统一社会信用代码"] = code(2).lower()
    write_month(project, month)
    out = ingest_month(project, MONTH)
    text = (out / "list_entries.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and code(2) in text
