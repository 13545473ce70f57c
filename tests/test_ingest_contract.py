"""A wrong data contract (params/sources.yaml) is refused as a whole: one line per problem, with its
key path and the rule in Chinese; the valid one reads to the objects the ingestion uses."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import yaml

from scoring.errors import SpecError
from scoring.index.spec import load_index
from scoring.ingest.contract import load_contract
from tests.ingest_helpers import ROOT, make_project

Edit = Callable[[dict], object]


def problems(tmp_path, *edits: Edit) -> list[str]:
    """The problems of the contract after `edits` of its data, each without the file name."""
    project = make_project(tmp_path)
    path = project.params / "sources.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for edit in edits:
        edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_contract(path, load_index(project.index_file))
    assert str(info.value).startswith(f"{path}: the data contract is not valid:")
    prefix = f"{path}: "
    assert all(p.startswith(prefix) for p in info.value.problems), info.value.problems
    return [p.removeprefix(prefix) for p in info.value.problems]


def source(data: dict, key: str) -> dict:
    return data["sources"][key]


def column(data: dict, key: str, name: str) -> dict:
    return next(c for c in source(data, key)["columns"] if c["name"] == name)


def setter(getter: Callable[[dict], dict], field: str, value: object) -> Edit:
    """An edit setting (value given) or deleting (value None) one field."""
    def edit(data: dict) -> None:
        node = getter(data)
        if value is None:
            del node[field]
        else:
            node[field] = value
    return edit


def ratio_columns(data: dict) -> None:
    column(data, "register", "population")["type"] = "number"  # no longer a count: c3.i1.m1 cannot be divided by it


CASES = [
    # the sources of a month folder, and of a year folder
    (setter(lambda d: d["sources"], "records", None), "sources.records: 缺少此项（必填）"),
    (setter(lambda d: d["sources"], "ledger", {"title": "台账"}), "sources.ledger: 不认识的键"),
    (setter(lambda d: d, "annual_sources", ["annual_reviews"]), "annual_sources: 应为映射"),
    (setter(lambda d: d["annual_sources"], "yearly", {}), "annual_sources.yearly: 不认识的键"),
    (setter(lambda d: d["synthetic"], "mark", 12), "synthetic.mark: 应为文字 — 12"),
    (setter(lambda d: d["synthetic"], "marker_file", None), "synthetic.marker_file: 缺少此项（必填）"),
    (setter(lambda d: d, "encodings", ["utf-8", "big-5x"]), "encodings[1]: 不是已知的文字编码"),
    (setter(lambda d: source(d, "records"), "sheets", []), "sources.records.sheets: 至少需要 1 项"),
    (setter(lambda d: source(d, "records"), "files", None), "sources.records.files: 缺少此项（必填）"),
    (setter(lambda d: source(d, "records"), "row_rules", ["exit_after_entry"]),
     "sources.records.row_rules[0]: 只能取以下之一：'exit_not_before_entry', "),
    (setter(lambda d: source(d, "records"), "set_rules", ["one_code"]),
     "sources.records.set_rules[0]: 只能取以下之一：'one_unit_per_credit_code' — 'one_code'"),
    (setter(lambda d: source(d, "records"), "unique", ["credit_code", "list_kind"]),
     "sources.records.unique[1]: 不是本数据源的列（列有：credit_code, entity, unit, list_type, domain, entry_date, "
     "exit_date, violations, note） — 'list_kind'"),
    (setter(lambda d: source(d, "reviews"), "skip_blank", ["grade"]),
     "sources.reviews.skip_blank[0]: 不是本数据源的列"),
    (setter(lambda d: source(d, "register"), "metric_kinds", [{"type": "count"}]),
     "sources.register.metric_kinds: 只用于 metric_columns: sheet 的数据源（指标填报）"),
    # columns
    (setter(lambda d: source(d, "register")["columns"][1], "label", None),
     "sources.register.columns[1].label: 缺少此项"),
    (setter(lambda d: column(d, "records", "credit_code"), "type", "code"),
     "sources.records.columns[0].type: 只能取以下之一：'unit', 'text', 'credit_code', 'choice', 'date', 'count', "
     "'number', 'ratio', 'flag' or 'metric' — 'code'"),
    (setter(lambda d: column(d, "records", "exit_date"), "window", "in_week"),
     "sources.records.columns[6].window: 只能取以下之一：'until_month_end', 'in_month', "),
    (setter(lambda d: column(d, "records", "list_type"), "values", None),
     "sources.records.columns[3].values: 选项列（type: choice）须用 values 列出可选的值 — ()"),
    (setter(lambda d: column(d, "records", "entry_date"), "earliest", "2010-13-01"),
     "sources.records.columns[5].earliest: 应为日期（YYYY-MM-DD） — '2010-13-01'"),
    (setter(lambda d: column(d, "register", "legal_persons"), "max", 0),
     "sources.register.columns[1].max: 不应小于 min（1） — 0.0"),
    (setter(lambda d: column(d, "register", "legal_persons"), "min", "1"), "sources.register.columns[1].min: 应为数字"),
    (setter(lambda d: column(d, "register", "unit"), "metric", "c1.i1.m1"),
     "sources.register.columns[0].metric: 指标列来自 params/index.yaml"),
    (setter(lambda d: column(d, "records", "entity"), "name", "credit_code"),
     "sources.records.columns[1].name: 列名重复 — 'credit_code'"),
    (setter(lambda d: column(d, "records", "domain"), "aliases", ["所属领域", "名单"]),
     "sources.records.columns[4]: 表头 名单 会同时指向列 list_type 和 domain — '名单'"),
    (setter(lambda d: column(d, "reviews", "date"), "window", "in_year_or_next_january"),
     "sources.reviews.columns[4].window: 日期窗口 in_year_or_next_january 用于年度文件夹 data/raw/YYYY/"),
    # the indicator sheet: metric columns from the index
    (setter(lambda d: source(d, "indicators"), "metric_notes", "{name}"), "sources.indicators.metric_notes: 应为映射"),
    (setter(lambda d: source(d, "indicators"), "metric_notes", None),
     "sources.indicators.metric_notes: 缺少此项（必填）"),
    (setter(lambda d: source(d, "indicators")["metric_notes"], "per", 3),
     "sources.indicators.metric_notes.per: 应为文字"),
    (setter(lambda d: source(d, "indicators")["metric_notes"], "extra", "{name}"),
     "sources.indicators.metric_notes.extra: 不认识的键"),
    (setter(lambda d: source(d, "indicators")["metric_notes"], "plain", "{title}"),
     "sources.indicators.metric_notes.plain: 不是有效的模板：只能用占位符 {name}, {short}, {code}, {unit}, {register}"),
    (setter(lambda d: source(d, "indicators")["overrides"], "c9.i9.m9", {"max": 5}),
     "sources.indicators.overrides.c9.i9.m9: 不是 params/index.yaml 中的指标 — 'c9.i9.m9'"),
    (setter(lambda d: source(d, "indicators")["overrides"], "c1.i3.m2", {"type": "ratio"}),
     "sources.indicators.overrides.c1.i3.m2.type: 不认识的键"),
    (ratio_columns, "sources.indicators.metric_columns: 指标 c3.i1.m1 按单位基础数据的 population 折算，但 "
                    "sources.register 没有这一计数列（计数列有：legal_persons, market_entities） — 'population'"),
    (setter(lambda d: source(d, "indicators"), "flag_values", {"1": 1, "0": 0}),
     "sources.indicators.flag_values: 是/否 须各有一个文字表示（如 是: 1、否: 0），不能只有数字"),
    (setter(lambda d: source(d, "indicators"), "flag_values", {"是": 2, "否": 0}),
     "sources.indicators.flag_values.是: 只能取以下之一：0 or 1 — 2"),
    # the template's texts
    (setter(lambda d: d["template"], "file", "信用县-{year}.xlsx"),
     "template.file: 不是有效的模板：只能用占位符 {month}"),
    (setter(lambda d: d["template"], "record_rows", 0), "template.record_rows: 应大于 0 — 0"),
    (setter(lambda d: d["template"]["type_labels"], "code", "代码"), "template.type_labels.code.[key]: 只能取以下之一"),
]


@pytest.mark.parametrize(("edit", "line"), CASES, ids=[line.split(":")[0] for _, line in CASES])
def test_each_wrong_contract_is_refused_with_its_key_path(tmp_path, edit, line):
    found = problems(tmp_path, edit)
    assert [p for p in found if p.startswith(line)], found


def test_every_problem_of_the_contract_at_once(tmp_path):
    """Problems in several sources and sections are listed together, each with its key path."""
    found = problems(tmp_path,
                     setter(lambda d: d["synthetic"], "mark", 12),
                     setter(lambda d: source(d, "records"), "unique", ["credit_code", "list_kind"]),
                     setter(lambda d: source(d, "indicators")["overrides"], "c9.i9.m9", {"max": 5}),
                     setter(lambda d: column(d, "reviews", "date"), "window", "in_year_or_next_january"),
                     setter(lambda d: d["template"], "record_rows", 0))
    assert [p.split(": ")[0] for p in found] == [
        "synthetic.mark", "template.record_rows", "sources.indicators.overrides.c9.i9.m9", "sources.records.unique[1]",
        "sources.reviews.columns[4].window"], found
    rules = ["应为文字", "应大于 0", "不是 params/index.yaml 中的指标", "不是本数据源的列",
             "日期窗口 in_year_or_next_january"]
    assert all(rule in line for rule, line in zip(rules, found, strict=True)), found


def test_the_valid_contract_reads_with_the_index_columns():
    spec = load_index(ROOT / "params" / "index.yaml")
    contract = load_contract(ROOT / "params" / "sources.yaml", spec)
    assert list(contract.sources) == ["register", "indicators", "records", "reviews"]
    assert list(contract.annual) == ["annual_reviews"]
    sheet = contract.source("indicators")
    assert sheet.key == "indicators" and sheet.names[0] == "unit" and sheet.names[-1] == "note"
    assert [c.name for c in sheet.columns if c.metric is not None] == [m.code for m in spec.metrics()
                                                                       if m.source == "sheet"]
    assert sheet.column("c6.i1.m2").max == 60 and sheet.column("c6.i1.m2").min == 0  # override over metric_kinds
    assert sheet.column("c1.i5.m6").type == "flag" and sheet.column("c1.i1.m1").type == "count"
    assert sheet.foreign["c1.i2.m1"].startswith("c1.i2.m1 (") and "list records" in sheet.foreign["c1.i2.m1"]
    assert contract.source("records").column("entry_date").earliest.isoformat() == "2010-01-01"
    assert contract.template["record_rows"] == 1000 and contract.encodings == ("utf-8", "gbk", "gb18030")
