"""Annual acceptance: both platform figures, the weights, the veto, the register over two years."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from scoring.analysis import acceptance as review
from scoring.analysis.acceptance_rules import ReviewRules, load_rules
from scoring.errors import SpecError
from scoring.pipeline.review import read_register

ROOT = Path(__file__).resolve().parents[1]
TEXT = yaml.safe_load((ROOT / "params" / "report.yaml").read_text(encoding="utf-8"))["review"]


def rules(**changes) -> ReviewRules:
    base = dict(platform_figure="december", creation_months=(7, 8, 9, 10, 11), acceptance_month=12,
                weights={"platform": 0.6, "onsite": 0.25, "offsite": 0.15}, pass_line=80.0,
                title_valid_years=1, vetoes=({"metric": "m.zero", "max_value": 0, "reason": "有政府失信"},))
    base.update(changes)
    return ReviewRules(**base)


def summary(year: int = 2019) -> pd.DataFrame:
    totals = {  # unit: totals for Jul … Dec (of 150)
        "a": [120, 125, 130, 135, 140, 150],
        "b": [150, 150, 150, 150, 150, 90],
        "c": [90, 90, 90, 90, 90, 90],
    }
    rows = [{"month": f"{year}-{m:02d}", "unit": u, "total": float(t[m - 7])} for u, t in totals.items()
            for m in range(7, 13)]
    return pd.DataFrame(rows)


def test_platform_figure_december_or_creation_mean():
    dec = review.platform_scores(summary(), 2019, rules())
    assert dec.to_dict() == {"a": 150.0, "b": 90.0, "c": 90.0}
    mean = review.platform_scores(summary(), 2019, rules(platform_figure="creation_mean"))
    assert mean.to_dict() == pytest.approx({"a": 130.0, "b": 150.0, "c": 90.0})


def combined_table(platform, vetoes=None, r=None):
    reviews = pd.DataFrame({"unit": ["a", "b", "c"], "onsite": [90.0, 100.0, 60.0], "offsite": [80.0, 100.0, 60.0]})
    vetoes = vetoes if vetoes is not None else pd.Series({"a": "", "b": "", "c": ""})
    return review.combine(platform, reviews, vetoes, r or rules(), 150, TEXT["reasons"]).set_index("unit")


def test_weights_combine_on_a_100_point_scale():
    table = combined_table(review.platform_scores(summary(), 2019, rules()))
    # a: 0.6 × 100 + 0.25 × 90 + 0.15 × 80 = 94.5; b: 0.6 × 60 + 25 + 15 = 76; c: 0.6 × 60 + 15 + 9 = 60
    assert table["combined"].to_dict() == pytest.approx({"a": 94.5, "b": 76.0, "c": 60.0})
    assert table["rank"].to_dict() == {"a": 1, "b": 2, "c": 3}
    assert table["passed"].to_dict() == {"a": True, "b": False, "c": False}
    assert table.loc["b", "reason"] == "综合得分未达到80分验收线"
    # with the creation mean, b's strong creation months count: 0.6 × 100 + 25 + 15 = 100
    mean = combined_table(review.platform_scores(summary(), 2019, rules(platform_figure="creation_mean")))
    assert mean.loc["b", "combined"] == pytest.approx(100.0) and mean.loc["b", "passed"]


def test_other_weights_move_the_result():
    r = rules(weights={"platform": 1.0, "onsite": 0.0, "offsite": 0.0})
    table = combined_table(review.platform_scores(summary(), 2019, r), r=r)
    assert table["combined"].to_dict() == pytest.approx({"a": 100.0, "b": 60.0, "c": 60.0})
    assert table["rank"].to_dict() == {"a": 1, "b": 2, "c": 2}


def test_veto_blocks_the_title_whatever_the_total():
    points = pd.DataFrame({"month": "2019-12", "unit": ["a", "b", "c"], "code": "m.zero",
                           "raw_value": [1.0, 0.0, 0.0]})
    vetoes = review.veto_reasons(points, 2019, rules())
    assert vetoes.to_dict() == {"a": "有政府失信", "b": "", "c": ""}
    table = combined_table(review.platform_scores(summary(), 2019, rules()), vetoes)
    assert not table.loc["a", "passed"]
    assert table.loc["a", "reason"] == "一票否决：有政府失信"
    assert table.loc["a", "combined"] == pytest.approx(94.5)


def test_register_across_two_years():
    status = TEXT["status"]
    y1 = pd.DataFrame({"unit": ["a", "b", "c"], "combined": [90.0, 85.0, 50.0], "passed": [True, True, False],
                       "reason": ["ok", "ok", "no"]})
    reg = review.update_register(read_register(Path("/nonexistent")), y1, 2019, rules(), status)
    assert reg[["unit", "year", "status", "valid_until"]].values.tolist() == [
        ["a", 2019, "awarded", "2020-12-31"], ["b", 2019, "awarded", "2020-12-31"]]
    y2 = pd.DataFrame({"unit": ["a", "b", "c"], "combined": [88.0, 70.0, 82.0], "passed": [True, False, True],
                       "reason": ["ok", "no", "ok"]})
    reg2 = review.update_register(reg, y2, 2020, rules(), status)
    later = reg2[reg2["year"] == 2020].set_index("unit")
    assert later["status"].to_dict() == {"a": "retained", "b": "revoked", "c": "awarded"}
    assert later.loc["a", "valid_until"] == "2021-12-31"
    assert len(reg2[reg2["year"] == 2019]) == 2  # history kept
    # re-running 2020 replaces 2020's rows, never duplicates them
    again = review.update_register(reg2, y2, 2020, rules(), status)
    assert again.equals(reg2)
    # a revoked title is not re-evaluated in 2021: b is awarded afresh if it passes
    y3 = y2.assign(passed=[True, True, True])
    reg3 = review.update_register(reg2, y3, 2021, rules(), status)
    assert reg3[reg3["year"] == 2021].set_index("unit")["status"].to_dict() == {
        "a": "retained", "b": "awarded", "c": "retained"}


@pytest.mark.parametrize(("change", "problem"), [
    ({"platform_figure": "best"}, "platform_figure: 只能取以下之一：'december' or 'creation_mean' — 'best'"),
    ({"weights": {"platform": 0.5, "onsite": 0.25, "offsite": 0.15}},
     "weights: 三项权重之和应为 1，现为 0.9 — {'platform': 0.5, 'onsite': 0.25, 'offsite': 0.15}"),
    ({"weights": {"platform": 1.0}}, "weights.onsite: 缺少此项（必填）"),
    ({"pass_line": 120}, "pass_line: 应不大于 100.0 — 120"),
    ({"vetoes": [{"metric": "nope", "max_value": 0, "reason": "x"}]},
     "vetoes[0].metric: 不是指标体系中的指标 — 'nope'"),
])
def test_rules_refused_with_a_clear_message(tmp_path, change, problem):
    from scoring.index.spec import load_index

    (tmp_path / "params").mkdir()
    for name in ("index.yaml", "labels.yaml"):  # a scratch project: the Chinese rules of its labels.yaml
        shutil.copy(ROOT / "params" / name, tmp_path / "params" / name)
    data = yaml.safe_load((ROOT / "params" / "review.yaml").read_text(encoding="utf-8"))
    data.update(change)
    path = tmp_path / "params" / "review.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_rules(path, load_index(ROOT / "params" / "index.yaml"))
    assert f"{path}: {problem}" in info.value.problems, info.value.problems


def test_project_rules_load():
    from scoring.index.spec import load_index

    r = load_rules(ROOT / "params" / "review.yaml", load_index(ROOT / "params" / "index.yaml"))
    assert r.weights == {"platform": 0.6, "onsite": 0.25, "offsite": 0.15}


def test_creation_progress_projects_the_trend_within_the_scale():
    from scoring import engine
    from scoring.analysis import history
    from scoring.index.spec import parse_index

    from .test_engine import TOY, TOY_UNITS, long

    spec = parse_index(TOY, source="toy")  # 20 points, pass line 12
    months = [long(f"2019-{m:02d}", {
        "u1": {"A.1.x": m, "A.1.y": 0, "B.1.z": 0.05 * (m - 6)},   # rising
        "u2": {"A.1.x": 5, "A.1.y": 0, "B.1.z": 0.05},             # flat
        "u3": {"A.1.x": 0, "A.1.y": 0, "B.1.z": 0.5},              # flat
    }) for m in (7, 8, 9)]
    points = engine.score(spec, TOY_UNITS, pd.concat(months))
    scored = history.Scored(spec, TOY_UNITS, "2019-09", points, engine.summarise(spec, TOY_UNITS, points))
    table = review.creation_progress(scored, rules(), spec.pass_line).set_index("unit")
    assert table["months_left"].tolist() == [3, 3, 3]
    # u1: totals 4 + 0.8·… rise linearly; the projection is total + slope × 3, never above 20
    summary = scored.summary.pivot(index="unit", columns="month", values="total")
    slope = (summary.loc["u1", "2019-09"] - summary.loc["u1", "2019-07"]) / 2
    assert table.loc["u1", "slope"] == pytest.approx(slope)
    assert table.loc["u1", "projected"] == pytest.approx(min(20, summary.loc["u1", "2019-09"] + 3 * slope))
    assert table.loc["u3", "needed"] == pytest.approx(max(0, 12 - summary.loc["u3", "2019-09"]))
    december = history.Scored(spec, TOY_UNITS, "2019-12", points, scored.summary)
    assert review.creation_progress(december, rules(), 12).empty


def test_an_unreported_veto_metric_vetoes_too():
    points = pd.DataFrame({"month": "2019-12", "unit": ["a", "b", "c"], "code": "m.zero",
                           "raw_value": [float("nan"), 1.0, 0.0]})
    vetoes = review.veto_reasons(points, 2019, rules(), TEXT["reasons"]["veto_missing"], TEXT["reasons"]["separator"])
    assert vetoes["a"] == "有政府失信（该项数据未报送，按一票否决处理）"
    assert vetoes["b"] == "有政府失信" and vetoes["c"] == ""


def test_re_running_an_earlier_year_uses_only_decisions_before_it():
    status = TEXT["status"]
    register = pd.DataFrame([
        {"unit": "a", "year": 2018, "status": "awarded", "valid_until": "2019-12-31", "combined": 90.0, "reason": ""},
        {"unit": "a", "year": 2020, "status": "retained", "valid_until": "2021-12-31", "combined": 90.0,
         "reason": ""},
    ])
    y2019 = pd.DataFrame({"unit": ["a"], "combined": [50.0], "passed": [False], "reason": ["no"]})
    out = review.update_register(register, y2019, 2019, rules(), status)
    assert out[out["year"] == 2019].set_index("unit").loc["a", "status"] == "revoked"


def test_titles_register_is_validated(tmp_path):
    path = tmp_path / "titles.csv"
    path.write_text("unit,year,status,valid_until,combined,reason\n"
                    "a,2019,Awarded,2020-12-31,90,x\nb,20x9,awarded,2020-13-45,90,x\n", encoding="utf-8")
    with pytest.raises(Exception) as info:
        read_register(path)
    text = "\n".join(info.value.problems)
    assert "row 2, column 'status': value 'Awarded'" in text
    assert "row 3, column 'year': value '20x9'" in text and "row 3, column 'valid_until'" in text
