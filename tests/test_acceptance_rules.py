"""params/review.yaml as a typed model: every problem listed at once with its key path and Chinese rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from scoring.analysis.acceptance_rules import ReviewFile, ReviewRules, load_rules
from scoring.errors import SpecError
from scoring.index.spec import load_index

ROOT = Path(__file__).resolve().parents[1]


def write(project: Path, **changes) -> Path:
    data = yaml.safe_load((ROOT / "params" / "review.yaml").read_text(encoding="utf-8"))
    data.update(changes)
    path = project / "params" / "review.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def problems(path: Path, with_index: bool = True) -> list[str]:
    spec = load_index(ROOT / "params" / "index.yaml") if with_index else None
    with pytest.raises(SpecError) as err:
        load_rules(path, spec)
    return [p.removeprefix(f"{path}: ") for p in err.value.problems]


def test_the_project_rules(params_project):
    rules = load_rules(ROOT / "params" / "review.yaml", load_index(ROOT / "params" / "index.yaml"))
    assert rules == ReviewRules(
        platform_figure="december", creation_months=(7, 8, 9, 10, 11), acceptance_month=12,
        weights={"platform": 0.6, "onsite": 0.25, "offsite": 0.15}, pass_line=80.0, title_valid_years=1,
        vetoes=({"metric": "c1.i4.m1", "max_value": 0.0, "reason": "存在未清零的政府失信被执行人"},),
        sha256=rules.sha256)
    assert len(rules.sha256) == 64


def test_several_problems_are_listed_at_once(params_project):
    path = write(params_project, platform_figure="best", creation_months=[7, 13], acceptance_month="12",
                 weights={"platform": 0.6, "onsite": -0.1, "offsite": 0.15, "panel": 0.1},
                 pass_line=True, title_valid_years=0,
                 vetoes=[{"metric": "nope", "max_value": 0, "reason": "x"}, {"metric": "c1.i4.m1", "reason": " "}],
                 colour="red")
    assert problems(path) == [
        "platform_figure: 只能取以下之一：'december' or 'creation_mean' — 'best'",
        "creation_months[1]: 应不大于 12 — 13",
        "acceptance_month: 应为整数 — '12'",
        "weights.onsite: 应不小于 0.0 — -0.1",
        "weights.panel: 不认识的键（拼写错误，或不属于这里） — 0.1",
        "pass_line: 应为数字 — True",
        "title_valid_years: 应不小于 1 — 0",
        "vetoes[0].metric: 不是指标体系中的指标 — 'nope'",
        "vetoes[1].max_value: 缺少此项（必填）",
        "vetoes[1].reason: 不能为空白 — ' '",
        "colour: 不认识的键（拼写错误，或不属于这里） — 'red'",
    ]


def test_weights_must_add_up_to_one(params_project):
    path = write(params_project, weights={"platform": 0.6, "onsite": 0.3, "offsite": 0.15})
    assert problems(path) == [
        "weights: 三项权重之和应为 1，现为 1.05 — {'platform': 0.6, 'onsite': 0.3, 'offsite': 0.15}"]


def test_veto_metrics_are_checked_only_against_a_given_index(params_project):
    path = write(params_project, vetoes=[{"metric": "nope", "max_value": 0, "reason": "x"}])
    assert problems(path) == ["vetoes[0].metric: 不是指标体系中的指标 — 'nope'"]
    assert load_rules(path).vetoes == ({"metric": "nope", "max_value": 0.0, "reason": "x"},)


def test_defaults_and_missing_keys(params_project):
    data = yaml.safe_load((ROOT / "params" / "review.yaml").read_text(encoding="utf-8"))
    del data["title_valid_years"], data["vetoes"], data["pass_line"]
    path = params_project / "params" / "review.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert problems(path) == ["pass_line: 缺少此项（必填）"]
    data["pass_line"] = 80
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    rules = load_rules(path)
    assert rules.title_valid_years == 1 and rules.vetoes == () and rules.pass_line == 80.0


def test_every_rule_has_a_chinese_template():
    labels = yaml.safe_load((ROOT / "params" / "labels.yaml").read_text(encoding="utf-8"))["validation"]
    code = (ROOT / "src" / "scoring" / "analysis" / "acceptance_rules.py").read_text(encoding="utf-8")
    rules = set(re.findall(r'PydanticCustomError\(\s*"(\w+)"', code))
    assert rules == {"weights_sum", "unknown_metric", "blank"}
    assert not rules - set(labels), rules - set(labels)
    assert set(ReviewFile.model_fields) == {"platform_figure", "creation_months", "acceptance_month", "weights",
                                            "pass_line", "title_valid_years", "vetoes"}
