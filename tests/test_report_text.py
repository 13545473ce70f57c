"""params/report.yaml as a typed model: required sections, strings only, well-formed templates, and
`fill` naming the placeholders the code does not supply."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from scoring.errors import SpecError
from scoring.report.text import REQUIRED_SECTIONS, ReportFile, ReportText, load_report_text, placeholders

ROOT = Path(__file__).resolve().parents[1]


def original() -> dict:
    return yaml.safe_load((ROOT / "params" / "report.yaml").read_text(encoding="utf-8"))


def write(project: Path, data: dict) -> Path:
    path = project / "params" / "report.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(SpecError) as err:
        load_report_text(path)
    return [p.removeprefix(f"{path}: ") for p in err.value.problems]


def test_the_project_texts_load_as_they_are_in_the_file():
    text = load_report_text(ROOT / "params" / "report.yaml")
    assert REQUIRED_SECTIONS == ("titles", "sections", "columns", "values", "charts", "narrative", "suggestions")
    assert text.data == original()  # validated, not rewritten: same keys, same order
    assert list(text["titles"]) == list(original()["titles"])
    assert text.month_label("2019-12") == "2019年12月" and text.month_label("2019-07") == "2019年7月"
    assert text.join(["兰山区", "罗庄区"]) == "兰山区、罗庄区"
    assert text.fill("pass_yes", pass_line="120", unused="ignored") == "已达到120分的达标线。"
    assert text.fill("review.reasons.veto", reasons="甲") == "一票否决：甲"
    assert text["values"]["problem_kinds"]["missing"] == "数据缺失（按0分计）"


def test_several_problems_are_listed_at_once(params_project):
    data = original()
    del data["charts"], data["suggestions"]
    data["titles"]["month_label"] = "{year}年{month月"
    data["narrative"]["pass_yes"] = 120
    data["narrative"]["leaders"] = "排名前三位的是{0}。"
    data["values"]["problem_kinds"]["weak"] = ["得分率低于60%"]
    data["review"]["reasons"]["line"] = "未达到{pass_line}}分"
    data["footnotes"] = {"a": "b"}
    got = problems(write(params_project, data))
    assert got == [
        "titles.month_label: 花括号不成对（expected '}' before end of string）；要显示花括号本身请连写两个"
        " — '{year}年{month月'",
        "values.problem_kinds.weak: 应为文字 — ['得分率低于60%']",
        "charts: 缺少此项（必填）",
        "narrative.pass_yes: 应为文字 — 120",
        "narrative.leaders: 占位符应为名称（如 {unit}），不能是 '0' — '排名前三位的是{0}。'",
        "suggestions: 缺少此项（必填）",
        "review.reasons.line: 花括号不成对（Single '}' encountered in format string）；要显示花括号本身请连写两个"
        " — '未达到{pass_line}}分'",
        "footnotes: 不认识的键（拼写错误，或不属于这里） — {'a': 'b'}",
    ]


def test_keys_the_code_needs_must_be_there(params_project):
    data = original()
    del data["titles"]["month_label"], data["narrative"]["list_separator"], data["values"]["problem_kinds"]
    assert problems(write(params_project, data)) == ["titles.month_label: 缺少此项（必填）",
                                              "values.problem_kinds: 缺少此项（必填）",
                                              "narrative.list_separator: 缺少此项（必填）"]


def test_fill_names_every_placeholder_the_code_does_not_supply(params_project):
    data = original()
    data["narrative"]["pass_yes"] = "达标{nonsense}{pass_line}{other}{nonsense}"
    path = write(params_project, data)
    text = load_report_text(path)
    with pytest.raises(SpecError, match=re.escape(
            f"{path}: narrative.pass_yes uses 'nonsense', 'other' which the code does not supply "
            "(it supplies pass_line)")):
        text.fill("pass_yes", pass_line="12")
    with pytest.raises(SpecError, match=r"narrative\.no_such_text is missing"):
        text.fill("no_such_text")
    with pytest.raises(SpecError, match=r"review\.reasons is a section, not a text"):
        text.fill("review.reasons")


def test_placeholders_and_the_model():
    assert placeholders("{a}年{b:.2f}、{{literal}}{c!r}") == ["a", "b", "c"]
    with pytest.raises(ValueError):
        placeholders("{a")
    assert ReportText({"narrative": {"x": "{n}个"}}).fill("x", n=3) == "3个"
    assert set(REQUIRED_SECTIONS) < set(ReportFile.model_fields)


def test_every_rule_has_a_chinese_template():
    labels = yaml.safe_load((ROOT / "params" / "labels.yaml").read_text(encoding="utf-8"))["validation"]
    code = (ROOT / "src" / "scoring" / "report" / "text.py").read_text(encoding="utf-8")
    rules = set(re.findall(r'PydanticCustomError\(\s*"(\w+)"', code))
    assert rules == {"template_braces", "template_placeholder"}
    assert not rules - set(labels), rules - set(labels)
