"""The year against the last (issue 14, part 2) on the demo's two years: the stage tables of December
2020 against an independent reading of the history table, the unit report's 同比 sentence and
section, the bulletin's 同比 sentence and 附件1 column, none of them in December 2019 (no year
before it), and the 2020 review re-evaluating the 2019 titles."""

from __future__ import annotations

import subprocess

import pandas as pd
import pytest

from scoring import engine, report
from scoring.project import same_month_last_year
from scoring.render import display
from scoring.tables import StageFolder

from .conftest import DEMO_MONTH

MONTH, LAST = "2020-12", "2019-12"
UNIT = "pingyi"


def plain(objects: list) -> str:
    return "\n".join(o.plain() for o in objects if not isinstance(o, display.Figure))


@pytest.fixture(scope="module")
def stage(two_years) -> StageFolder:
    return StageFolder(two_years.output_month(MONTH))


@pytest.fixture(scope="module")
def ctx(two_years):
    return report.load(MONTH, root=two_years.root)


def test_same_month_last_year():
    assert same_month_last_year("2020-12") == "2019-12" and same_month_last_year("2021-01") == "2020-01"


def test_the_unit_table_is_the_history_read_again(stage, ctx):
    d = ctx.decimals
    history = stage.table("history")
    now = history[history["month"] == MONTH].set_index("unit")
    then = history[history["month"] == LAST].set_index("unit")
    got = stage.table("year_on_year").set_index("unit")
    assert list(got.index) == list(now.index) and set(got["last_year_month"]) == {LAST}
    pd.testing.assert_series_equal(got["last_total"], then["total"].reindex(got.index), check_names=False)
    pd.testing.assert_series_equal(got["total"], now["total"], check_names=False)
    expected = (now["total"].round(d) - then["total"].round(d)).round(d)
    assert (got["delta_total"] - expected).abs().max() < 1e-9
    assert (got["rank_change"] == then["rank"] - now["rank"]).all()
    assert (got["last_pass"].astype(bool) == then["pass"]).all()
    assert got["delta_total"].abs().max() > 1  # the second year is not a copy of the first


def test_the_category_and_city_tables_are_the_history_read_again(stage):
    history = stage.table("history")
    now, then = (history[history["month"] == m].set_index("unit") for m in (MONTH, LAST))
    cats = stage.table("year_on_year_categories")
    codes = list(dict.fromkeys(cats["code"]))
    assert len(cats) == len(now) * len(codes) and len(codes) >= 2
    for r in cats.itertuples():
        assert r.points == now.loc[r.unit, r.code] and r.last_points == then.loc[r.unit, r.code]
        assert abs(r.delta - round(round(r.points, 2) - round(r.last_points, 2), 2)) < 1e-9
    city = stage.table("city_year_on_year").iloc[0]
    assert city["last_year_month"] == LAST and city["n_units"] == len(now)
    assert city["mean_total"] == pytest.approx(now["total"].mean(), abs=1e-12)
    assert city["last_mean_total"] == pytest.approx(then["total"].mean(), abs=1e-12)
    assert (city["n_pass"], city["last_n_pass"]) == (now["pass"].sum(), then["pass"].sum())
    assert city["delta_pass"] == city["n_pass"] - city["last_n_pass"]


def test_a_first_year_has_empty_tables_with_their_columns(built_month):
    first = StageFolder(built_month.output_month(DEMO_MONTH))
    for name in ("year_on_year", "year_on_year_categories", "city_year_on_year"):
        table = first.table(name)
        assert len(table) == 0 and len(table.columns) > 3


def test_the_unit_report_says_and_shows_the_same_month_last_year(ctx, stage):
    row = stage.table("year_on_year").set_index("unit").loc[UNIT]
    unit = report.UnitReport(ctx, UNIT)
    summary = plain(unit.narrative())
    assert "与去年同期（2019年12月）相比" in summary
    assert f"{row['last_total']:.2f}分" in summary and f"{row['total']:.2f}分" in summary
    assert f"第{int(row['last_rank'])}位变为第{int(row['rank'])}位" in summary
    section = unit.year_on_year()
    assert section[0].text == "与去年同期比较"
    table = section[1]
    frame = pd.DataFrame(table.rows, columns=table.columns)
    cats = stage.table("year_on_year_categories")
    mine = cats[cats["unit"] == UNIT]
    assert list(frame["本月"]) == [f"{v:.2f}" for v in [*mine["points"], row["total"]]]
    assert list(frame["去年同期"]) == [f"{v:.2f}" for v in [*mine["last_points"], row["last_total"]]]
    assert frame["较去年同期"].iloc[-1] == f"{engine.rounded(row['delta_total'], 2):+.2f}".replace("-", "−")


def test_the_bulletin_says_the_city_against_last_year_and_annex_1_has_the_column(ctx, stage):
    city = report.CityReport(ctx)
    row = stage.table("city_year_on_year").iloc[0]
    overview = plain(city.overview())
    way = "提高" if row["delta_mean"] > 0 else "下降"
    assert (f"与去年同期（2019年12月）相比，全市平均得分{way}{abs(row['delta_mean']):.2f}分，"
            f"达标县区由{int(row['last_n_pass'])}个变为{int(row['n_pass'])}个。") in overview
    annex = next(o for o in city.annex_ranking()[0].objects if isinstance(o, display.Table))
    frame = pd.DataFrame(annex.rows, columns=annex.columns)
    by_unit = stage.table("year_on_year").set_index("unit")["delta_total"]
    names = {u.code: u.name for u in ctx.units.units}
    shown = dict(zip(frame["县区"], frame["较去年同期"], strict=True))
    for unit, delta in by_unit.items():
        assert shown[names[unit]] == f"{delta:+.2f}".replace("-", "−")


def test_december_2019_reports_say_nothing_of_a_year_before(built_month):
    ctx = report.load(DEMO_MONTH, root=built_month.root)
    assert report.UnitReport(ctx, UNIT).year_on_year() == []
    assert "去年同期" not in plain(report.UnitReport(ctx, UNIT).narrative())
    city = report.CityReport(ctx)
    assert "去年同期" not in plain(city.overview())
    annex = next(o for o in city.annex_ranking()[0].objects if isinstance(o, display.Table))
    assert "较去年同期" not in annex.columns


def test_the_rendered_reports_of_december_2020_carry_it(two_years):
    folder = two_years.output_month(MONTH)
    unit_pdf = subprocess.run(["pdftotext", "-layout", str(folder / "units" / f"{UNIT}.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
    assert "与去年同期比较" in unit_pdf and "去年同期为2019年12月" in unit_pdf
    html = (folder / "bulletin.html").read_text(encoding="utf-8")
    assert "与去年同期（2019年12月）相比" in html and "较去年同期" in html


def test_the_2020_review_re_evaluates_the_2019_titles(two_years):
    titles = pd.read_csv(two_years.root / "data" / "titles.csv", dtype=str)
    held = set(titles[(titles["year"] == "2019") & (titles["status"] == "awarded")]["unit"])
    later = titles[titles["year"] == "2020"].set_index("unit")
    assert held and held <= set(later.index)
    assert set(later.loc[sorted(held), "status"]) == {"retained", "revoked"}  # the demo shows both
    assert set(later.drop(index=sorted(held))["status"]) == {"awarded"}  # new titles: not held in 2019


def test_the_departments_workbook_has_the_change_against_last_year(ctx, stage, tmp_path):
    import openpyxl

    from scoring.report.workbook import write_workbook

    path = write_workbook(ctx, path=tmp_path / "通报数据.xlsx")
    sheet = openpyxl.load_workbook(path).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = next(r for r in rows if r and "较去年同期（分）" in r)
    at, unit_at = header.index("较去年同期（分）"), header.index("县区")
    names = {u.name: u.code for u in ctx.units.units}
    by_unit = stage.table("year_on_year").set_index("unit")["delta_total"]
    body = [r for r in rows[rows.index(header) + 1:] if r[unit_at] in names]
    assert len(body) == len(by_unit)
    for r in body:
        assert r[at] == pytest.approx(by_unit[names[r[unit_at]]], abs=1e-12)


def test_the_trend_shows_the_same_months_last_year(ctx, stage, built_month):
    history = stage.table("history")
    mine = history[history["unit"] == UNIT].set_index("month")["total"]
    table = next(o for o in report.UnitReport(ctx, UNIT).trend() if isinstance(o, display.Table))
    frame = pd.DataFrame(table.rows, columns=table.columns)
    months = [f"2020-{int(label[5:-1]):02d}" for label in frame["月份"]]
    assert months and all(m.startswith("2020-") for m in months)
    assert list(frame["去年同期"]) == [f"{mine[same_month_last_year(m)]:.2f}" for m in months]
    assert list(frame["总分"]) == [f"{mine[m]:.2f}" for m in months]
    first = report.load(DEMO_MONTH, root=built_month.root)
    table = next(o for o in report.UnitReport(first, UNIT).trend() if isinstance(o, display.Table))
    assert "去年同期" not in table.columns
