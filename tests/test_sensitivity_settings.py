"""params/sensitivity.yaml as a typed model: the defaults, every problem listed with its key path
and the Chinese rule, cross-field rules, and dataclasses.replace validating the change."""

from __future__ import annotations

import copy
import dataclasses
import re
import shutil
from pathlib import Path

import pytest
import yaml

from scoring.analysis import sensitivity
from scoring.errors import SpecError
from scoring.index import methods
from scoring.index.spec import load_index, load_units

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = ROOT / "params" / "sensitivity.yaml"


@pytest.fixture(scope="module")
def settings() -> sensitivity.SensitivitySettings:
    return sensitivity.load_settings(SETTINGS)


@pytest.fixture()
def source(tmp_path) -> str:
    """A settings path inside a scratch project, so the Chinese rules come from its params/labels.yaml."""
    (tmp_path / "params").mkdir()
    for name in ("index.yaml", "labels.yaml"):
        shutil.copy(ROOT / "params" / name, tmp_path / "params" / name)
    return str(tmp_path / "params" / "sensitivity.yaml")


def good() -> dict:
    return yaml.safe_load(SETTINGS.read_text(encoding="utf-8"))


def problems(data: dict, source: str) -> list[str]:
    with pytest.raises(SpecError) as err:
        sensitivity.parse_settings(data, source=source)
    return [p.removeprefix(f"{source}: ") for p in err.value.problems]


def test_settings_file_has_the_documented_defaults(settings):
    assert settings.draws == 10_000 and settings.weight_range == 0.25 and settings.weight_level == "indicator"
    assert settings.swap_methods == ("minmax", "rank", "zscore") and settings.swap_metrics is None
    assert settings.method_params == {"minmax": {}, "rank": {}, "zscore": {"clip": 2.0}}
    assert settings.aggregations == ("arithmetic", "geometric") and settings.epsilon == 0.01
    labels = {f.code: f.label for f in settings.families}
    assert labels == {"weights": "权重扰动", "normalisation": "标准化方法", "aggregation": "聚合方式",
                      "combined": "综合"}
    assert settings.family("combined").vary == ("weights", "normalisation", "aggregation")
    assert settings.summary_family == "combined" and settings.sobol_level == "category"
    assert settings.sobol_n == 2048 and settings.sobol_output == "rank"
    assert settings.bootstrap_resamples == 500 and settings.confidence == 0.95
    assert settings.labels["methods"]["zscore"] == "截尾z分数" and settings.path == str(SETTINGS)
    with pytest.raises(KeyError):
        settings.family("nope")


def test_settings_round_trip_through_the_file_shape(settings):
    again = sensitivity.parse_settings(settings.to_data(), source=settings.path)
    assert again == settings


def test_field_problems_are_listed_at_once_with_key_paths_and_chinese_rules(source):
    bad = {"seed": -1, "draws": 0, "weights": {"level": "indicator", "range": 1.5},
           "normalisation": {"methods": ["minmax", "goalposts"], "params": {"zscore": {}}},
           "aggregation": {"methods": ["harmonic"], "epsilon": 0.01},
           "families": [{"code": "w", "vary": ["weights", "luck"]}], "summary_family": "combined",
           "sobol": {"level": "category", "n": 1000, "output": "rank",
                     "bootstrap": {"resamples": 10, "confidence": 0.95}}}
    got = problems(bad, source)
    assert got == [
        "seed: 应不小于 0 — -1",
        "draws: 应不小于 1 — 0",
        "weights.range: 应小于 1.0 — 1.5",
        "normalisation.methods[1]: 不能作为替代的标准化方法（只能是无必填参数的相对方法：minmax, rank, zscore）"
        " — 'goalposts'",
        "aggregation.methods[0]: 只能取以下之一：'arithmetic' or 'geometric' — 'harmonic'",
        "families[0].label: 缺少此项（必填）",
        "families[0].vary[1]: 只能取以下之一：'weights', 'normalisation', 'aggregation' or 'pass_line' — 'luck'",
        "sobol.n: 应为 2 的整数次幂（如 1024、2048），Sobol' 序列才均衡 — 1000",
    ]


def test_cross_field_rules_are_listed_at_once(source):
    data = good()
    data["normalisation"]["methods"] = ["minmax", "rank"]  # params still give zscore
    data["aggregation"]["methods"] = ["geometric", "geometric"]
    data["families"][2]["code"] = "weights"
    data["families"][3]["code"] = "weights"
    data["sobol"]["n"] = 1000
    assert problems(data, source) == [
        "normalisation.params.zscore: 方法 zscore 未列入 normalisation.methods，不能在此设置参数 — {'clip': 2.0}",
        "aggregation.methods: 重复列出：geometric — ['geometric', 'geometric']",
        "families[2].code: 代码 weights 重复（已用于 families[0]） — 'weights'",
        "families[3].code: 代码 weights 重复（已用于 families[0]） — 'weights'",
        "sobol.n: 应为 2 的整数次幂（如 1024、2048），Sobol' 序列才均衡 — 1000",
    ]


def test_summary_family_codes_labels_and_keys(source):
    data = good()
    data["summary_family"] = "all"
    data["families"][0].update(code="my weights", label=" ")
    data["draw"] = 5  # a typo of draws
    del data["sobol"]["bootstrap"]
    data["normalisation"]["metrics"] = 5
    assert problems(data, source) == [
        "normalisation.metrics: 应为 auto 或指标代码的列表 — 5",
        "families[0].code: 代码应为不含空格的 ASCII 文字 — 'my weights'",
        "families[0].label: 不能为空白 — ' '",
        "sobol.bootstrap: 缺少此项（必填）",
        "draw: 不认识的键（拼写错误，或不属于这里） — 5",
    ]
    data = good()
    data["summary_family"] = "all"
    assert problems(data, source) == [
        "summary_family: 应为已定义的情景类别之一：weights, normalisation, aggregation, combined — 'all'"]


def test_method_parameters_are_checked_by_the_catalogue_models(source):
    data = good()
    data["normalisation"]["params"] = {"zscore": {"clip": 20}, "minmax": {"when_equal": "x"}, "rank": {"a": 1},
                                       "goalposts": {}}
    got = problems(data, source)
    assert "normalisation.params.minmax.when_equal: 应为数字 — 'x'" in got
    assert "normalisation.params.rank.a: 不认识的键（拼写错误，或不属于这里） — 1" in got
    assert "normalisation.params.zscore.clip: 应不大于 10.0 — 20" in got
    assert "normalisation.params.goalposts: 不认识的键（拼写错误，或不属于这里） — {}" in got
    assert len(got) == 4


def test_the_alternatives_are_the_catalogues_relative_methods_without_required_parameters():
    swappable = sensitivity.swappable_methods()
    assert set(swappable) >= {"minmax", "rank", "zscore"}
    for name, method in methods.CATALOGUE.items():
        usable = method.relative and not any(p.required for p in method.params.values())
        assert (name in swappable) == usable, name


def test_metrics_listed_by_code_must_fit_the_index(settings):
    spec = load_index(ROOT / "params" / "index.yaml")
    units = load_units(ROOT / "params" / "units.yaml")
    relative = next(m for m in spec.metrics() if m.method in settings.swap_methods)
    other = next(m for m in spec.metrics() if m.method not in settings.swap_methods)
    s = dataclasses.replace(settings, swap_metrics=(relative.code, other.code, "c9.i9.m9"), draws=2)
    import pandas as pd

    values = pd.DataFrame(1.0, index=units.codes, columns=[m.code for m in spec.metrics()])
    with pytest.raises(SpecError) as err:
        sensitivity.monte_carlo(spec, units, values, s)
    assert len(err.value.problems) == 2
    assert f"{other.code!r} uses {other.method!r}" in err.value.problems[0]
    assert "'c9.i9.m9' is not a metric of the index" in err.value.problems[1]


def test_replace_validates_the_changed_settings(settings):
    assert dataclasses.replace(settings, draws=50).draws == 50
    with pytest.raises(SpecError) as err:
        dataclasses.replace(settings, draws=0, weight_range=1.0, summary_family="nope")
    text = "\n".join(err.value.problems)
    for path in ("draws:", "weights.range:", "summary_family:"):
        assert f"{settings.path}: {path}" in text, path


def test_every_rule_has_a_chinese_template():
    labels = yaml.safe_load((ROOT / "params" / "labels.yaml").read_text(encoding="utf-8"))["validation"]
    code = (ROOT / "src" / "scoring" / "analysis" / "sensitivity" / "schema.py").read_text(encoding="utf-8")
    rules = set(re.findall(r'PydanticCustomError\(\s*"(\w+)"', code))
    assert rules >= {"not_swappable", "params_without_method", "power_of_two", "unknown_family", "duplicate_code",
                     "range_or_fixed", "level_twice", "interval", "not_in_methods", "pass_line_fixed"}
    assert not rules - set(labels), rules - set(labels)


def test_a_wrong_file_is_refused_on_loading(tmp_path):
    data = copy.deepcopy(good())
    data["weights"]["range"] = "a lot"
    path = tmp_path / "sensitivity.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SpecError, match=r"weights\.range"):
        sensitivity.load_settings(path)
