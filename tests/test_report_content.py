"""The content of the bulletin and the unit reports on the demo month (2019-12): the 公文 parts in
order, the facts a leader needs first, advice specific to each indicator, list tables that count
as the metrics do, plain rank-band sentences — each checked against the stage tables or an
independent reading of the scores and points."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest
import yaml

from scoring import report
from scoring.analysis import profiles
from scoring.pipeline.score import score_stage
from scoring.render import display
from scoring.report.common import rank_label

from .conftest import DEMO_MONTH, ROOT, copy_project

CITY_PARTS = ["header", "masthead", "title", "addressees", "overview", "ranking", "problems", "next_steps",
              "annex_list", "signature", "provenance", "annex_ranking", "distribution", "annex_indicators", "heatmap",
              "annex_robustness", "imprint"]
BODY_PARTS = ["overview", "ranking", "problems", "next_steps"]


def plain(objects: list) -> str:
    return "\n".join(o.plain() for o in objects if not isinstance(o, display.Figure))


def frame_of(table: display.Table) -> pd.DataFrame:
    """A displayed table's cells as printed."""
    return pd.DataFrame(table.rows, columns=table.columns)


@pytest.fixture(scope="module")
def stage(demo_project, tmp_path_factory):
    """The demo month's stage tables, computed by the score stage into a folder of their own."""
    folder = tmp_path_factory.mktemp("content") / DEMO_MONTH
    score_stage(demo_project, DEMO_MONTH, folder)
    return folder


@pytest.fixture(scope="module")
def ctx(demo_project, stage):
    return report.load(DEMO_MONTH, stage, demo_project.root)


@pytest.fixture(scope="module")
def city(ctx):
    built = report.CityReport(ctx)
    return {name: getattr(built, name)() for name in CITY_PARTS}


def names_of(ctx) -> dict[str, str]:
    return {u.code: u.name for u in ctx.units.units}


# ----------------------------------------------------------------------------- the facts first


def test_first_paragraph_names_every_crossing_and_every_zero_tolerance_failure(ctx, city):
    """Expected sets from the history and points tables, read independently of the new tables."""
    first = city["overview"][1].plain()
    names, line = names_of(ctx), ctx.spec.pass_line
    history = ctx.table("history")
    now = history[history["month"] == DEMO_MONTH].set_index("unit")
    before = history[history["month"] == "2019-11"].set_index("unit")
    was, is_ = before["total_rounded"] >= line, now["total_rounded"] >= line
    crossed = [u for u in now.index if was[u] != is_[u]]
    assert crossed == ["tancheng"]
    for unit in crossed:
        move = "降至" if was[unit] else "升至"
        shown = f"{before.loc[unit, 'total_rounded']:.2f}分{move}{now.loc[unit, 'total_rounded']:.2f}分"
        assert f"{names[unit]}总分由{shown}" in first
    assert "郯城县总分由121.76分降至116.89分，降到达标线以下" in first
    points = ctx.table("points")
    zero_codes = {m.code for m in profiles.zero_tolerance_metrics(ctx.spec)}
    failed = points[points["code"].isin(zero_codes) & (points["raw_value"] > 0)]
    assert {names[u] for u in failed["unit"]} == {"费县", "罗庄区", "平邑县"}
    for r in failed.itertuples():
        assert f"{names[r.unit]}（{ctx.spec.label(r.code)}）" in first, r.unit
    assert "6个县区达到120分的达标线，较上月减少1个" in first
    weakest = ctx.table("city_indicators").sort_values("fraction").head(3)
    for r in weakest.itertuples():
        assert f"{ctx.spec.label(r.code)}（{r.fraction:.0%}）" in first


def test_body_sections_are_numbered_in_order_and_december_is_the_acceptance_month(ctx, city):
    headings = [o.text for name in BODY_PARTS for o in city[name] if isinstance(o, display.Heading) and o.level == 2]
    assert headings == ["一、总体情况", "二、排名情况", "三、存在问题", "四、下一步工作"]
    for name in BODY_PARTS[1:]:
        subs = [o.text for o in city[name] if isinstance(o, display.Heading) and o.level == 3]
        assert subs and all(s.startswith(f"（{n}）") for s, n in zip(subs, "一二三四五六七八", strict=False)), subs
    steps = plain(city["next_steps"])
    assert "总结验收" in steps and "12月" in steps and "现场调研和非现场评议" in steps
    assert "费县存在未清零的政府失信被执行人，按验收规则属一票否决事项" in steps
    problems = plain(city["problems"])
    assert "费县政府失信被执行人1件" in problems and "罗庄区涉金融领域黑名单1件" in problems


def test_the_gongwen_parts_come_in_the_standard_order(ctx, city):
    assert city["masthead"][0].plain() == "临沂市社会信用体系建设工作领导小组办公室文件"
    assert city["masthead"][1].plain() == "〔文号待定〕"  # params/report.yaml bulletin.office.numbers: unset
    assert isinstance(city["title"][0], display.DocTitle)
    assert "2019年12月“信用县”创建监测情况的通报" in city["title"][0].text
    assert city["addressees"][0].plain().endswith("蒙山旅游度假区管委会：")
    assert city["annex_list"][0].plain().startswith("附件：1. 各县区创建基础评价得分及排名")
    signature = city["signature"][0]
    assert (signature.organ, signature.date) == ("临沂市社会信用体系建设工作领导小组办公室", "2020年1月10日")
    firsts = [city[name][0] for name in ("annex_ranking", "annex_indicators", "annex_robustness")]
    labels = [(o.objects[0] if isinstance(o, display.Landscape) else o).label for o in firsts]
    assert labels == ["附件1", "附件2", "附件3"]
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_notebooks", ROOT / "tools" / "make_notebooks.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    shown = [c.source for c in tool.CITY.cells if c.source.startswith("display(")]  # the notebook's order
    assert shown == [f"display(*city.{name}())" for name in CITY_PARTS]


def test_number_and_date_come_from_params_when_set(demo_project, stage, tmp_path):
    project = copy_project(tmp_path / "office")
    path = project.params / "report.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["bulletin"]["office"]["numbers"] = {DEMO_MONTH: "临信用办〔2020〕1号"}
    data["bulletin"]["office"]["issue_dates"] = {DEMO_MONTH: "2020-01-08"}
    data["bulletin"]["office"]["copy_to"] = "市发改委"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    built = report.CityReport(report.load(DEMO_MONTH, stage, project.root))
    assert built.masthead()[1].plain() == "临信用办〔2020〕1号"
    assert built.signature()[0].date == "2020年1月8日"
    assert plain(built.imprint()) == "抄送：市发改委。\n临沂市社会信用体系建设工作领导小组办公室　　2020年1月8日印发"


def test_movers_read_consistently_with_their_rank_change_and_name_their_drivers(ctx, city):
    moves = plain(city["ranking"])
    changes = ctx.table("changes").set_index("unit")
    movers = ctx.table("movers")
    drivers = ctx.table("drivers")
    for r in movers.itertuples():
        row = changes.loc[r.unit]
        move = ("名次不变" if row["rank_change"] == 0 else
                f"名次{'上升' if row['rank_change'] > 0 else '下降'}{abs(int(row['rank_change']))}位")
        sign = "+" if row["delta_total"] > 0 else "−"
        assert f"{row['name']}（{sign}{abs(row['delta_total']):.2f}分，{move}" in moves, r.unit
        assert (row["delta_total"] > 0) == (r.direction == "up")
        for d in drivers[drivers["unit"] == r.unit].itertuples():
            assert ctx.spec.label(d.code) in moves
    assert "罗庄区（−6.20分，名次上升1位" in moves and "退步" not in moves


# ----------------------------------------------------------------------------- advice


def test_no_advice_sentence_is_shared_by_two_indicators(ctx):
    advice = ctx.text["suggestions"]
    indicators = {n.code for n in ctx.spec.nodes() if n.metrics}
    parents = {m.code: m.parent for m in ctx.spec.metrics()}
    assert indicators <= set(advice), sorted(indicators - set(advice))
    owner: dict[str, str] = {}
    for code, text in advice.items():
        indicator = code if code in indicators else parents[code]  # a key is an indicator or a metric
        for sentence in filter(None, (s.strip() for s in re.split(r"[。；]", text))):
            assert owner.setdefault(sentence, indicator) == indicator, (sentence, owner[sentence], indicator)


def test_problem_lists_are_sorted_by_points_to_gain_with_specific_advice(ctx):
    for unit in ctx.units.codes:
        built = report.UnitReport(ctx, unit)
        assert built.problems["lost"].is_monotonic_decreasing, unit
        section = built.problem_list()
        if not len(built.problems):
            continue
        assert len(frame_of(section[1])) == len(built.problems)
        suggestions = [built._advice(k, c)[1] for k, c in zip(built.problems["kind"], built.problems["code"],
                                                              strict=True)]
        assert all(suggestions), unit
        parents = [c if c in {n.code for n in ctx.spec.nodes()} else ctx.spec.metric(c).parent
                   for c in built.problems["code"]]
        by_text: dict[str, set[str]] = {}
        for text, parent in zip(suggestions, parents, strict=True):
            by_text.setdefault(text, set()).add(parent)
        assert all(len(p) == 1 for p in by_text.values()), (unit, by_text)
    assert "得分率低于60%" in plain(report.UnitReport(ctx, "yishui").problem_list())


# ----------------------------------------------------------------------------- drill-down and lists


def test_metric_drill_down_shows_every_metric_with_raw_value_median_and_points_lost(ctx):
    points = ctx.table("points")
    leaf = points[points["level"] == ctx.spec.levels[-1]]
    medians = leaf.groupby("code")["raw_value"].median()
    built = report.UnitReport(ctx, "tancheng")
    rows = built.metrics
    assert sorted(rows["code"]) == sorted(m.code for m in ctx.spec.metrics())
    mine = leaf[leaf["unit"] == "tancheng"].set_index("code")
    for r in rows.itertuples():
        assert r.lost == pytest.approx(mine.loc[r.code, "max_points"] - mine.loc[r.code, "points"], abs=1e-12)
        assert (pd.isna(r.city_median) and pd.isna(medians[r.code])) or r.city_median == pytest.approx(medians[r.code])
    assert rows["lost"].is_monotonic_decreasing
    assert len(frame_of(built.metric_table()[1])) == len(ctx.spec.metrics())


def test_list_tables_count_as_the_list_metrics(demo_project, ctx):
    """Rows of each unit's list table = the counts = the list metrics' raw values × the register."""
    register = pd.read_csv(demo_project.processed_month(DEMO_MONTH) / "register.csv").set_index("unit")
    points = ctx.table("points")
    by_derive = {m.derive: m.code for m in ctx.spec.metrics() if m.derive}
    raw = points[points["code"].isin(by_derive.values())].pivot(index="unit", columns="code", values="raw_value")
    counts = ctx.table("list_counts").set_index("unit")
    both = 0
    for unit in ctx.units.codes:
        built = report.UnitReport(ctx, unit)
        shown = built.movement_list()
        table = next((o for o in shown if isinstance(o, display.Table)), None)
        movement = ctx.text["columns"]["movement"]
        rows = frame_of(table) if table is not None else pd.DataFrame({movement: []})
        entered = int((rows[movement] == ctx.text["values"]["entered"]).sum())
        exited = int((rows[movement] == ctx.text["values"]["exited"]).sum())
        c, legal = counts.loc[unit], float(register.loc[unit, "legal_persons"])
        assert (entered, exited) == (c["entered"], c["exited"]), unit
        assert raw.loc[unit, by_derive["listed_added_per_legal_person"]] * legal == pytest.approx(entered), unit
        assert raw.loc[unit, by_derive["listed_per_legal_person"]] * legal == pytest.approx(c["listed"]), unit
        share = raw.loc[unit, by_derive["listed_exit_share"]]
        assert share == pytest.approx(exited / (c["listed"] + exited) if c["listed"] + exited else 1.0), unit
        assert f"新增黑名单及重点关注名单主体{entered}个，退出{exited}个" in plain(shown) or not (entered or exited)
        same = built.movements.groupby("credit_code")["movement"].nunique()
        both += int((same == 2).sum())
    assert both > 0  # the demo month has entities listed and delisted within it: both rows are shown
    junan = ctx.table("movements")
    assert int(((junan["unit"] == "junan") & (junan["movement"] == "entered")).sum()) == 4


# ----------------------------------------------------------------------------- plain words


def test_rank_bands_and_pass_shares_read_as_one_plain_sentence_each(ctx, city):
    sens = ctx.table("sensitivity").set_index("unit")
    for unit in ctx.units.codes:
        text = plain(report.UnitReport(ctx, unit).narrative())
        low, high = rank_label(sens.loc[unit, "rank_p05"]), rank_label(sens.loc[unit, "rank_p95"])  # 7 or 7.95
        if low == high:
            assert f"名次稳定，至少90%的情形为第{low}位" in text, unit
        else:
            assert f"名次有90%的情形落在第{low}至第{high}位" in text, unit
        assert "权重在±25%范围内变动" in text
        p = sens.loc[unit, "pass_probability"]
        assert ("均达到达标线" in text) == (p == 1) and ("均未达到达标线" in text) == (p == 0), unit
    assert "不足1%" in plain(report.UnitReport(ctx, "tancheng").narrative())  # 2 draws in 10 000
    everything = "\n".join(plain(objs) for objs in city.values())
    assert not re.search(r"第(\d+)至第\1位", everything)  # no "第16至第16位"
    body = "\n".join(plain(city[name]) for name in BODY_PARTS)
    units = "\n".join(plain(report.UnitReport(ctx, u).narrative()) for u in ctx.units.codes)
    for term in ("Sobol", "S1", "ST", "截尾z分数", "5%–95%"):
        assert term not in body and term not in units, term
    annex = plain(city["annex_robustness"])
    for term in ("Sobol", "S1", "ST", "截尾z分数", "排名区间", "达标概率"):
        assert term in annex, term  # in the annex, each explained there


def test_project_choices_are_labelled_with_their_source_and_no_reader_is_sent_to_the_docs(ctx, city):
    note = plain(city["annex_ranking"])
    assert f"达标线120分。来源：{ctx.spec.pass_line_reason}" in note
    for m in profiles.zero_tolerance_metrics(ctx.spec):
        assert m.short in note and m.rationale in note
    assert "由本监测设定" in note
    everything = "\n".join(plain(objs) for objs in city.values())
    assert "docs/" not in everything and "methodology" not in everything and "sha256" not in everything


def test_an_office_with_its_own_line_sees_its_own_wording(demo_project, tmp_path):
    project = copy_project(tmp_path / "line")
    shutil.copytree(demo_project.raw, project.raw, dirs_exist_ok=True)
    shutil.copytree(demo_project.processed, project.processed, dirs_exist_ok=True)
    path = project.params / "index.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("pass_line:")
    end = text.index("display_decimals:")
    path.write_text(text[:start] + "pass_line:\n  points: 110\n  reason: 本办规定：按本市实际确定。\n"
                    + text[end:], encoding="utf-8")
    (project.params / "sensitivity.yaml").write_text(
        (ROOT / "params" / "sensitivity.yaml").read_text(encoding="utf-8").replace("draws: 10000", "draws: 64")
        .replace("n: 2048", "n: 64").replace("resamples: 500", "resamples: 0"), encoding="utf-8")
    score_stage(project, DEMO_MONTH, project.output_month(DEMO_MONTH))
    built = report.CityReport(report.load(DEMO_MONTH, root=project.root))
    assert "达标线110分。来源：本办规定：按本市实际确定。" in plain(built.annex_ranking())
    assert "达到110分的达标线" in plain(built.overview())
    unit = report.UnitReport(report.load(DEMO_MONTH, root=project.root), "lanshan")
    assert "来源：本办规定：按本市实际确定。" in plain(unit.key_figures())


def test_provenance_is_one_line_without_hashes_or_clock(ctx, city):
    line = plain(city["provenance"])
    assert "\n" not in line and line.startswith("（附注：数据月份2019年12月；运行编号")
    run = re.search(r"运行编号([0-9a-f]+)", line).group(1)
    assert len(run) == 8 and "sha256" not in line and not re.search(r"\d{2}:\d{2}", line)
    assert plain(report.UnitReport(ctx, "lanshan").provenance()) == line


def test_trends_start_with_the_programme_and_texts_use_chinese_quotes(ctx):
    section = report.UnitReport(ctx, "lanshan").trend()
    months = frame_of(section[-1])[ctx.text["columns"]["month"]].tolist()
    assert months[0] == "2019年6月" and months[-1] == "2019年12月"  # 安排部署 June → now
    data = yaml.safe_load((ROOT / "params" / "report.yaml").read_text(encoding="utf-8"))

    def texts(node):
        if isinstance(node, dict):
            for v in node.values():
                yield from texts(v)
        elif isinstance(node, list):
            for v in node:
                yield from texts(v)
        elif isinstance(node, str):
            yield node

    for section_name in ("sections", "columns", "values", "narrative", "suggestions", "captions", "bulletin"):
        for text in texts(data[section_name]):
            assert not re.search(r'"[^"]*[\u4e00-\u9fff]', text), (section_name, text)


def test_annex_tables_keep_their_headers_unbroken_at_a_readable_size(ctx, city):
    """附件1 (14 columns) goes on a landscape page with its heading, 附件2's tables stay portrait; headers
    give the short name with the points under it: every header line and cell fits its column as laid out
    (typst sizes the columns itself, no wrapping) at ≥ 8 pt, and a note gives the full name of every
    short label."""
    ranking = city["annex_ranking"][0]
    assert isinstance(ranking, display.Landscape)
    assert isinstance(ranking.objects[0], display.AttachmentHeading) and not ranking.objects[0].page_break
    tables = [o for o in ranking.objects if isinstance(o, display.Table)]
    tables += [o for o in city["annex_indicators"] if isinstance(o, display.Table)]
    assert len(tables) == 1 + len(ctx.spec.categories)
    for table in tables:
        assert table.column_widths is None and table.font_size >= 8, (table.columns, table.font_size)
    assert tables[0].landscape and not any(t.landscape for t in tables[1:])
    assert all(any("\n（" in c for c in t.columns) for t in tables)
    notes = [o.plain() for o in [*ranking.objects, *city["annex_indicators"]] if isinstance(o, display.TableNote)]
    for node in [*ctx.spec.categories, *(n for n in ctx.spec.nodes() if n.metrics)]:
        if node.short != node.name:
            assert any(f"{node.short}指{node.name}" in note for note in notes), node.code
    assert "#page(flipped: true)" in ranking.typst() and ranking.typst().count("<gw-attachment>") == 1
