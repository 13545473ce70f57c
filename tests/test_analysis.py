"""history, analysis and narrative on the toy index, with hand-computed expectations."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from scoring import engine, report, tables
from scoring.analysis import history, monthly
from scoring.analysis import profiles as analysis
from scoring.analysis.acceptance_rules import load_rules
from scoring.index.spec import parse_index
from scoring.report import body, narrative
from scoring.report.context import MonthContext
from scoring.report.text import load_report_text

from .test_engine import TOY, TOY_UNITS, long

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def scored() -> history.Scored:
    spec = parse_index(TOY, source="toy")
    july = long("2019-07", {
        "u1": {"A.1.x": 0, "A.1.y": 0, "B.1.z": 0.5},    # 0 + 4 + 8 = 12
        "u2": {"A.1.x": 5, "A.1.y": 1, "B.1.z": 0.25},   # 4 + 0 + 4 = 8
        "u3": {"A.1.x": 10, "A.1.y": 0, "B.1.z": 0.1},   # 8 + 4 + 1.6 = 13.6
    })
    august = long("2019-08", {
        "u1": {"A.1.x": 10, "A.1.y": 0, "B.1.z": 0.5},   # 8 + 4 + 8 = 20
        "u2": {"A.1.x": 5, "A.1.y": 0},                  # 4 + 4 + 0 (z missing) = 8
        "u3": {"A.1.x": 0, "A.1.y": 0, "B.1.z": 0.1},    # 0 + 4 + 1.6 = 5.6
    })
    points = engine.score(spec, TOY_UNITS, pd.concat([july, august]))
    return history.Scored(spec, TOY_UNITS, "2019-08", points, engine.summarise(spec, TOY_UNITS, points))


@pytest.mark.parametrize("order", ["as scored", "months interleaved"])
def test_month_points_are_each_months_rows_whatever_their_order(scored, order):
    points = scored.points if order == "as scored" else scored.points.iloc[::-1].sort_values("unit", kind="stable")
    mixed = history.Scored(scored.spec, scored.units, scored.month, points, scored.summary)
    assert order == "as scored" or points["month"].ne(points["month"].shift()).sum() > 2  # not one run a month
    for month in ("2019-07", "2019-08"):
        pd.testing.assert_frame_equal(mixed.month_points(month), points[points["month"] == month])
    assert mixed.month_points("2019-06").empty


def test_changes_since_last_month(scored):
    c = history.changes(scored.summary, "2019-08", 2).set_index("unit")
    assert c["delta_total"].to_dict() == pytest.approx({"u1": 8.0, "u2": 0.0, "u3": -8.0})
    # ranks: July u3 1, u1 2, u2 3; August u1 1, u2 2, u3 3
    assert c["rank_change"].to_dict() == {"u1": 1, "u2": 1, "u3": -2}
    first = history.changes(scored.summary, "2019-07", 2)
    assert first["delta_total"].isna().all()


def test_trend_and_slope(scored):
    t = history.trend(scored.summary, "u1")
    assert t["month"].tolist() == ["2019-07", "2019-08"]
    assert history.linear_slope(t["total"]) == pytest.approx(8.0)
    assert pd.isna(history.linear_slope(pd.Series([1.0])))


def test_problems_lists_weak_zero_tolerance_and_missing(scored):
    p = analysis.problems(scored, "u2")
    kinds = dict(zip(p["code"] + ":" + p["kind"], p["lost"], strict=True))
    # B.1 indicator 0 of 8 (weak) because z is missing; A.1 8/12 = 67% is not weak; y = 0 passes
    assert kinds == pytest.approx({"B.1:weak": 8.0, "B.1.z:missing": 8.0})
    july = history.Scored(scored.spec, scored.units, "2019-07", scored.points, scored.summary)
    assert "A.1.y:zero_tolerance" in set(analysis.problems(july, "u2").pipe(lambda f: f["code"] + ":" + f["kind"]))


def test_indicator_table_sorted_by_points_to_gain(scored):
    table = analysis.indicator_table(scored, "u3")
    # u3 in August: A.1 4/12 (lost 8), B.1 1.6/8 (lost 6.4)
    assert table["code"].tolist() == ["A.1", "B.1"]
    assert table["lost"].tolist() == pytest.approx([8.0, 6.4])
    # city median of A.1 fractions: u1 1, u2 8/12, u3 4/12 → 8/12
    assert table.loc[0, "city_median_fraction"] == pytest.approx(8 / 12)


def test_category_profile_and_heatmap(scored):
    profile = analysis.category_profile(scored, "u1").set_index("code")
    assert profile.loc["A", "points"] == pytest.approx(12.0)
    assert profile.loc["A", "city_median"] == pytest.approx(8.0)
    heat = analysis.category_heatmap(scored)
    assert heat.loc["u2", "B"] == 0 and heat.loc["u1", "A"] == pytest.approx(1.0)


def test_movers(scored):
    up, down = analysis.movers(history.changes(scored.summary, "2019-08", 2))
    assert up["unit"].tolist() == ["u1"] and down["unit"].tolist() == ["u3"]


def toy_context(tmp_path, scored) -> MonthContext:
    """The toy month written as stage tables in a toy project, read back as a report context."""
    import shutil

    import yaml

    root = tmp_path / "toy"
    (root / "params").mkdir(parents=True)
    for name in ("report.yaml", "labels.yaml", "review.yaml"):
        shutil.copy(ROOT / "params" / name, root / "params" / name)
    (root / "params" / "index.yaml").write_text(yaml.safe_dump(TOY, allow_unicode=True), encoding="utf-8")
    (root / "params" / "units.yaml").write_text(yaml.safe_dump({
        "tiers": TOY_UNITS.tiers,
        "units": [{"code": u.code, "name": u.name, "tier": u.tier} for u in TOY_UNITS.units]},
        allow_unicode=True), encoding="utf-8")
    rules = load_rules(root / "params" / "review.yaml")
    found = monthly.month_tables(scored, None, rules)
    meta = {"month": scored.month, "synthetic": False, "list_records": False}
    tables.write_tables(root / "stage", found, meta, (root / "params" / "index.yaml").read_text(encoding="utf-8"))
    return report.load(scored.month, root / "stage", root)


def test_narrative_numbers_come_from_the_stage_tables(scored, tmp_path):
    ctx = toy_context(tmp_path, scored)
    unit = report.UnitReport(ctx, "u3")
    paragraphs = narrative.unit_paragraphs(ctx, "u3", unit.row, unit.strengths, unit.weaknesses,
                                           unit.indicators, unit.problems)
    first = paragraphs[0]
    assert "2019年8月" in first and "三" in first
    assert "得分5.60分（满分20分）" in first
    assert "排名第3位" in first and "较上月下降8.00分，排名下降2位" in first
    assert "距12分的达标线还差6.40分" in first
    assert "本月总分由上月的13.60分降至5.60分，降到达标线以下" in first  # stage table crossings
    assert "得分下降主要在甲一−8.00分" in first  # stage table drivers
    overview = body.overview(ctx)
    assert "平均得分11.20分，与上月持平" in overview  # (20 + 8 + 5.6) / 3 = (12 + 8 + 13.6) / 3
    assert "1个县区达到12分的达标线，较上月减少1个" in overview
    assert "三总分由13.60分降至5.60分" in overview and "各县区零容忍项目均已清零" in overview
    assert ctx.table("city")["mean_total"].iloc[0] == pytest.approx((20 + 8 + 5.6) / 3, abs=1e-12)
    july = toy_context(tmp_path / "july", history.Scored(scored.spec, scored.units, "2019-07", scored.points,
                                                         scored.summary))
    assert "二（y）存在零容忍项目不达标" in body.overview(july)  # u2: y = 1 in July
    assert "本月为监测首月" in body.overview(july)


def test_new_stage_tables_on_the_toy_month(scored):
    rules = load_rules(ROOT / "params" / "review.yaml")
    found = monthly.month_tables(scored, None, rules)
    assert found["crossings"].to_dict("records") == [
        {"unit": "u3", "direction": "down", "prev_total_rounded": 13.6, "total_rounded": 5.6}]
    assert found["changes"].set_index("unit")["gap"].to_dict() == pytest.approx({"u1": 0, "u2": 4, "u3": 6.4})
    city = found["city_indicators"].set_index("code")
    assert city.loc["B.1", "fraction"] == pytest.approx((8 + 0 + 1.6) / 24)  # Σ points / Σ max
    assert city.loc["A.1", "fraction"] == pytest.approx((12 + 8 + 4) / 36) and city["position"].tolist() == [1, 2]
    drivers = found["drivers"].set_index("unit")
    assert drivers.loc["u1", "code"] == "A.1" and drivers.loc["u1", "delta"] == pytest.approx(8.0)
    detail = found["metric_detail"]
    z = detail[detail["code"] == "B.1.z"].set_index("unit")
    assert z.loc["u1", "city_median"] == pytest.approx(0.3) and z.loc["u2", "lost"] == pytest.approx(8.0)
    assert found["timeline"]["phase"].tolist() == ["creation", "creation"]  # July, August
    july = monthly.month_tables(history.Scored(scored.spec, scored.units, "2019-07", scored.points,
                                               scored.summary), None, rules)
    zero = july["zero_tolerance"]
    assert zero[["unit", "code"]].values.tolist() == [["u2", "A.1.y"]] and not zero["veto"].any()


def test_report_text_refuses_unknown_placeholder(tmp_path):
    import yaml

    from scoring.errors import SpecError

    data = yaml.safe_load((ROOT / "params" / "report.yaml").read_text(encoding="utf-8"))
    data["narrative"]["pass_yes"] = "达标{nonsense}"
    path = tmp_path / "report.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    text = load_report_text(path)
    with pytest.raises(SpecError, match=r"narrative\.pass_yes uses 'nonsense'"):
        text.fill("pass_yes", pass_line="12")
