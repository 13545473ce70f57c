"""Rendering an executed notebook: escaped HTML, A4 PDF (GB/T 9704 page) with open fonts, marks, wide tables,
公文 parts, headings kept with what follows, same bytes."""

from __future__ import annotations

import io
import itertools
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from pypdf import PdfReader

from scoring.errors import CreditCountyError, SpecError
from scoring.render import display as d
from scoring.render import labels as render_labels
from scoring.render import notebook as render

HOSTILE = ["<script>alert(1)</script>", '=HYPERLINK("x")', "#set page(width: 1cm)", "*bold*", "$x$", "@ref", "\\"]
A4 = (595.28, 841.89)
MM = 72 / 25.4
#: GB/T 9704 margins (pt): top 37 mm, bottom 35 mm, left 28 mm, right 26 mm.
TOP, BOTTOM, LEFT, RIGHT = 37 * MM, 35 * MM, 28 * MM, 26 * MM
OPEN_FONTS = ("Noto", "UKai")  # Noto CJK (OFL), AR PL UKai (Arphic Public Licence)
TITLE, SUBTITLE = '临沂市"信用县"创建监测通报', "2019年12月 · 兰山区"


def wide_frame(rows: int = 30) -> pd.DataFrame:
    return pd.DataFrame([[f"{(i * 7 + j * 13) % 100 + 0.25:.2f}" for j in range(19)] for i in range(rows)],
                        columns=[f"信用指标{j:02d}" for j in range(19)]).assign(县区=["沂南县"] * rows)


def toy_notebook() -> nbformat.NotebookNode:
    """What an executed report looks like: display objects, plus the other kinds of output."""
    fig, ax = plt.subplots(figsize=(7.5, 3))
    ax.bar(["兰山区", "罗庄区"], [85, 80])
    ax.set_title("分类得分")
    objects = [
        d.Heading("总体情况"), d.Paragraph("本月全市**平均得分** 85.3 分。" + " ".join(HOSTILE)),
        d.Table(pd.DataFrame({"县区": ["兰山区", *HOSTILE], "得分": range(8)}), caption="排名 " + HOSTILE[4]),
        d.Figure(fig, caption="图 " + HOSTILE[5]), d.Heading("二十列", 2), d.Table(wide_frame(), caption="宽表"),
        d.KeyValues([("审核人", HOSTILE[1])]),
    ]
    outputs = [new_output("display_data", data=o._repr_mimebundle_()) for o in objects]
    outputs += [
        new_output("stream", name="stderr", text="UserWarning: LOG LINE MUST NOT SHOW\n"),
        new_output("stream", name="stdout", text="PRINTED LINE MUST NOT SHOW\n"),
        new_output("display_data", data={"text/markdown": "### 补充说明\n\n正文 <b>标签</b> **重点**",
                                         "text/plain": "<IPython.core.display.Markdown object>"}),
        new_output("execute_result", data={"text/plain": "纯文本结果 42"}, execution_count=4),
        new_output("display_data", data={"image/png": d.Figure(plt.figure(figsize=(2, 1))).b64,
                                         "text/plain": "<Figure>"}),
    ]
    error = new_output("error", ename="ValueError", evalue="数据缺失 <lanshan>",
                       traceback=["\x1b[0;31mValueError\x1b[0m Traceback", "ValueError: 数据缺失 <lanshan>"])
    nb = new_notebook(cells=[new_markdown_cell("# 开发说明（不进报告）"), new_code_cell("...", outputs=outputs),
                             new_code_cell("raise ValueError", outputs=[error])])
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    return nb


def pdf_pages(data: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]


@pytest.fixture(scope="module")
def notebook() -> nbformat.NotebookNode:
    return toy_notebook()


@pytest.fixture(scope="module")
def built(notebook, tmp_path_factory):
    folder = tmp_path_factory.mktemp("render")
    html = render.render_html(notebook, folder / "r.html", title=TITLE, subtitle=SUBTITLE, synthetic=True)
    pdf = render.render_pdf(notebook, folder / "r.pdf", title=TITLE, subtitle=SUBTITLE, synthetic=True,
                            footer="临沂市信用办")
    return folder, html.read_text(encoding="utf-8"), pdf.read_bytes()


def test_html_is_escaped_and_self_contained(built):
    _, page, _ = built
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert "http://" not in page and "https://" not in page and "@import" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;标签&lt;/b&gt;" in page  # raw HTML inside a Markdown output is text
    assert page.count("data:image/png;base64,") == 2
    assert TITLE in page and SUBTITLE in page and '<html lang="zh-CN">' in page
    assert "Noto Sans CJK SC" in page


def test_html_hides_code_streams_and_markdown_cells_and_shows_errors(built):
    _, page, _ = built
    assert "MUST NOT SHOW" not in page and "开发说明" not in page and "raise ValueError" not in page
    assert 'class="error-box"' in page and "ValueError: 数据缺失 &lt;lanshan&gt;" in page
    assert "\x1b" not in page
    assert "纯文本结果 42" in page


def test_html_marks_synthetic_data(notebook, built):
    labels = render_labels.load_labels()
    _, page, _ = built
    assert labels["synthetic_header"] in page and 'class="watermark"' in page
    plain = render.html_document(notebook, title=TITLE)
    assert labels["synthetic_header"] not in plain and 'class="watermark"' not in plain


def test_pdf_is_a4_and_hostile_text_is_literal(built):
    _, _, pdf = built
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    for page in reader.pages:
        assert sorted((round(float(page.mediabox.width), 1), round(float(page.mediabox.height), 1))) == \
            sorted((round(A4[0], 1), round(A4[1], 1)))
    text = "".join(pdf_pages(pdf))
    flat = text.replace("\n", "")
    for hostile in HOSTILE:
        assert hostile in flat, hostile


def test_pdf_has_chinese_text_and_embeds_only_open_fonts(built):
    _, _, pdf = built
    text = "".join(pdf_pages(pdf))
    assert TITLE in text and SUBTITLE in text and "总体情况" in text  # exactly as written: no inserted spaces
    reader = PdfReader(io.BytesIO(pdf))
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            names.add(str(font["/BaseFont"]))
            for child in font.get("/DescendantFonts", []):
                names.add(str(child.get_object()["/BaseFont"]))
    assert names and all(any(f in n for f in OPEN_FONTS) for n in names), names
    assert not any("SimHei" in n for n in names)


def test_pdf_marks_every_page_when_synthetic_and_numbers_pages(notebook, built):
    labels = render_labels.load_labels()
    _, _, pdf = built
    pages = pdf_pages(pdf)
    for i, text in enumerate(pages, start=1):
        assert labels["synthetic_header"] in text
        assert text.count(labels["watermark"]) >= 2  # header line and diagonal mark
        assert f"— {i} —" in text  # GB/T 9704 page numbers
        assert "临沂市信用办" in text
    plain = pdf_pages(render.pdf_bytes(notebook, title=TITLE, subtitle=SUBTITLE))
    assert not any(labels["watermark"] in text for text in plain)


def test_pdf_shows_errors_but_not_streams_or_markdown_cells(built):
    _, _, pdf = built
    text = "".join(pdf_pages(pdf))
    assert "MUST NOT SHOW" not in text and "开发说明" not in text
    assert render_labels.load_labels()["error_title"] in text and "ValueError: 数据缺失 <lanshan>" in text
    assert "补充说明" in text and "<b>标签</b>" in text and "纯文本结果 42" in text


def text_runs(pdf: bytes) -> list[tuple[int, float, str, float, float]]:
    """(page, y, text, x, font size) of every horizontal text run."""
    runs = []
    for number, page in enumerate(PdfReader(io.BytesIO(pdf)).pages):
        def visit(text, cm, tm, font, size, number=number):
            if text.strip() and abs(cm[1]) < 1e-6:  # skip the rotated watermark
                runs.append((number, round(cm[5] + tm[5], 1), text.strip(), cm[4] + tm[4], size))
        page.extract_text(visitor_text=visit)
    return runs


def assert_table_fits(pdf: bytes, cell_texts: set[str]) -> None:
    """Every cell is one run (not wrapped), inside the margins, and does not overlap the next cell."""
    runs = text_runs(pdf)
    cells = [r for r in runs if r[2] in cell_texts]
    assert cell_texts <= {r[2] for r in cells}, cell_texts - {r[2] for r in cells}
    lines: dict[tuple[int, float], list[tuple[float, str, float]]] = {}
    for page, y, text, x, size in cells:
        lines.setdefault((page, y), []).append((x, text, size))
    for line in lines.values():
        line.sort()
        for x, text, size in line:
            assert x >= LEFT - 2 and x + d.text_width_em(text) * size <= A4[0] - RIGHT + 2, (text, x)
        for (x1, t1, s1), (x2, _, _) in itertools.pairwise(line):
            assert x1 + d.text_width_em(t1) * s1 <= x2 + 1.0, (t1, x1, x2)


def test_twenty_column_table_stays_within_the_text_width(built):
    _, _, pdf = built
    frame = wide_frame()
    assert_table_fits(pdf, {"沂南县", *frame.iloc[-1, :-1]})


@pytest.mark.parametrize("header", ["信用指标{j:02d}", "{j}", "一个很长很长的中文列名称第{j}列"])
def test_twenty_columns_fit_whatever_the_headers(header):
    frame = pd.DataFrame([[f"{(i * 7 + j * 13) % 101}%" for j in range(19)] + ["兰陵县"] for i in range(3)],
                         columns=[header.format(j=j) for j in range(20)])
    table = d.Table(frame)
    nb = new_notebook(cells=[new_code_cell("", outputs=[new_output("display_data", data=table.mimebundle())])])
    pdf = render.pdf_bytes(nb, title="宽表")
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert_table_fits(pdf, {"兰陵县", *frame.iloc[-1, :-1]})


def test_table_headers_stay_on_one_line():
    """The ranking table's headers (as in params/report.yaml) each print as one run: the table shrinks
    its font (not below display.TABLE_MIN_FONT_PT) rather than wrap a header."""
    headers = ["排名", "县区", "类别", "总分", "较上月", "名次变化", "类内排名", "达标", "排名区间(5%–95%)", "达标概率"]
    rows = [[i, "临港经济技术开发区", "功能区", f"{150 - i:.2f}", "+12.16", "▲2", 3, "未达标", "12–13", "100%"]
            for i in range(1, 17)]
    table = d.Table(pd.DataFrame(rows, columns=headers))
    nb = new_notebook(cells=[new_code_cell("", outputs=[new_output("display_data", data=table.mimebundle())])])
    runs = {r[2] for r in text_runs(render.pdf_bytes(nb, title="表头"))}
    assert set(headers) <= runs, set(headers) - runs
    assert table.font_size >= d.TABLE_MIN_FONT_PT


def test_same_input_gives_the_same_bytes(notebook, built, tmp_path):
    _, page, pdf = built
    again_html = render.render_html(notebook, tmp_path / "x.html", title=TITLE, subtitle=SUBTITLE, synthetic=True)
    again_pdf = render.render_pdf(notebook, tmp_path / "x.pdf", title=TITLE, subtitle=SUBTITLE, synthetic=True,
                                  footer="临沂市信用办")
    assert again_html.read_text(encoding="utf-8") == page
    assert again_pdf.read_bytes() == pdf
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.html", "x.pdf"]  # no temporary files left


def test_renders_from_an_ipynb_path(notebook, tmp_path):
    path = tmp_path / "executed.ipynb"
    nbformat.write(notebook, path)
    out = render.render_pdf(path, tmp_path / "from-path.pdf", title="标题")
    assert "总体情况" in "".join(pdf_pages(out.read_bytes()))


def test_landscape_table_gets_its_own_landscape_page(tmp_path):
    nb = new_notebook(cells=[new_code_cell("", outputs=[
        new_output("display_data", data=d.Paragraph("前文").mimebundle()),
        new_output("display_data", data=d.Table(wide_frame(5), landscape=True).mimebundle())])])
    reader = PdfReader(io.BytesIO(render.pdf_bytes(nb, title="横表")))
    sizes = [(float(p.mediabox.width) > float(p.mediabox.height)) for p in reader.pages]
    assert sizes[0] is False and True in sizes


def test_a_broken_typst_fragment_is_a_clear_error():
    nb = new_notebook(cells=[new_code_cell("", outputs=[
        new_output("display_data", data={d.TYPST_MIME: "#(1 + \"a\")", "text/plain": "x"})])])
    with pytest.raises(CreditCountyError, match="typst could not build"):
        render.pdf_bytes(nb, title="坏")


def test_labels_come_from_the_project_file_with_defaults_only_when_it_is_missing(tmp_path, monkeypatch):
    monkeypatch.delenv("CREDIT_COUNTY_ROOT", raising=False)
    assert render_labels.load_labels(tmp_path / "missing.yaml") == render_labels.DEFAULT_LABELS
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "index.yaml").write_text("{}\n", encoding="utf-8")
    assert render_labels.load_labels(start=tmp_path / "notebooks") == render_labels.DEFAULT_LABELS  # no labels.yaml yet
    labels = tmp_path / "params" / "labels.yaml"
    labels.write_text("other: 1\n", encoding="utf-8")
    with pytest.raises(SpecError) as err:
        render_labels.load_labels(start=tmp_path)
    assert len(err.value.problems) == len(render_labels.DEFAULT_LABELS)
    labels.write_text("render:\n  page_number: 第{page}页\n  watermark: 样例\n", encoding="utf-8")
    with pytest.raises(SpecError, match="missing or wrong") as err:
        render_labels.load_labels(start=tmp_path)
    assert any("{total}" in p for p in err.value.problems) and any("error_title" in p for p in err.value.problems)
    monkeypatch.chdir(tmp_path)
    labels.write_text("render:\n" + "".join(f"  {k}: 'X{v}'\n" for k, v in render_labels.DEFAULT_LABELS.items()),
                      encoding="utf-8")
    assert render_labels.load_labels()["watermark"] == "X示例数据"


def test_the_projects_labels_file_has_every_render_label():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    assert set(render_labels.load_labels(root / "params" / "labels.yaml")) >= set(render_labels.DEFAULT_LABELS)


# ----------------------------------------------------------------------------- GB/T 9704 page


def body_runs(pdf: bytes) -> list[tuple[int, float, str, float, float]]:
    """The text runs between the top and bottom margins (not the header line or the page number)."""
    return [r for r in text_runs(pdf) if BOTTOM - 1 <= r[1] <= A4[1] - TOP + 1]


def test_pdf_page_follows_gbt9704_margins_and_page_numbers(built):
    _, _, pdf = built
    runs = text_runs(pdf)
    body = body_runs(pdf)
    assert body
    for page, _, text, x, _ in body:
        assert x >= LEFT - 1, (page, text, x)
    numbers = [r for r in runs if re.fullmatch(r"— \d+ —", r[2])]
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    assert [int(r[2].split()[1]) for r in numbers] == list(range(1, pages + 1))
    for page, y, text, x, size in numbers:
        assert size == 14.0 and BOTTOM - 7 * MM - size <= y <= BOTTOM - 7 * MM, (text, y)  # 4号, 7 mm below
        right = x + d.text_width_em(text) * size
        if (page + 1) % 2:  # odd pages: at the right, one character in
            assert A4[0] - RIGHT - 2 * size <= right <= A4[0] - RIGHT, (text, right)
        else:
            assert LEFT <= x <= LEFT + 2 * size, (text, x)


def test_body_text_is_3hao_and_the_title_2hao(built):
    _, _, pdf = built
    sizes = {text: size for _, _, text, _, size in text_runs(pdf)}
    assert sizes[TITLE] == 22.0 and sizes["总体情况"] == 16.0
    assert any(size == 16.0 and "平均得分" in text for text, size in sizes.items())


def _filled_notebook(sections: int = 40) -> nbformat.NotebookNode:
    """Sections of growing length, each heading followed by a table: many headings fall near a page end."""
    objects = []
    for i in range(sections):
        objects += [d.Heading(f"第{i}节标题"), d.Paragraph("监测数据显示本月情况平稳。" * (1 + (i * 5) % 17)),
                    d.Table(pd.DataFrame({"县区": [f"县区{i}-{k}" for k in range(3 + i % 5)],
                                          "得分": range(3 + i % 5)}))]
    outputs = [new_output("display_data", data=o.mimebundle()) for o in objects]
    return new_notebook(cells=[new_code_cell("", outputs=outputs)])


def test_no_heading_ends_a_page_and_tables_repeat_their_header():
    pdf = render.pdf_bytes(_filled_notebook(), title="版式")
    body = body_runs(pdf)
    pages = sorted({r[0] for r in body})
    assert len(pages) >= 6
    for page in pages:
        lines = sorted((r for r in body if r[0] == page), key=lambda r: (-r[1], r[3]))
        assert not re.fullmatch(r"第\d+节标题", lines[-1][2]), (page, lines[-1])  # a heading never stands last
        assert len({r[1] for r in lines}) > 1, page  # no page holds a single line
    long = render.pdf_bytes(new_notebook(cells=[new_code_cell("", outputs=[new_output(
        "display_data", data=d.Table(pd.DataFrame({"县区": [f"县区{k}" for k in range(120)], "得分": range(120)}),
                                     caption="长表").mimebundle())])]), title="长表")
    runs = body_runs(long)
    assert len({r[0] for r in runs}) >= 2
    for page in {r[0] for r in runs}:
        assert "县区" in {r[2] for r in runs if r[0] == page}, page  # the header row on every page


def _gw(part: str, **fields: object) -> dict[str, str]:
    def value(v: object) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, list):
            return "(" + "".join(f"{d.typst_str(x)}, " for x in v) + ")"
        return d.typst_str(v)

    body = ", ".join(f"{k}: {value(v)}" for k, v in fields.items())
    return {d.TYPST_MIME: f"#metadata(({body},)) <gw-{part}>\n", "text/plain": part}


GW_PARTS = [_gw("organ", text="临沂市社会信用体系建设领导小组办公室"),
            _gw("number", text="临信用办〔2019〕12号", rule=True),
            _gw("title", text="关于2019年12月全市创建监测情况的通报", subtitle=""),
            _gw("recipients", text="各县区社会信用体系建设领导小组办公室："),
            d.Heading("一、总体情况").mimebundle(), d.Paragraph("全市平均得分112.40分。" * 60).mimebundle(),
            _gw("attachment-list", label="附件：", items=["1.各县区排名", "2.各县区指标得分"]),
            _gw("signature", organ="临沂市社会信用体系建设领导小组办公室", date="2019年12月31日"),
            _gw("annotation", text="（数据月份2019-12）"),
            _gw("attachment", label="附件1", title="各县区排名", page_break=True),
            d.Table(pd.DataFrame({"县区": ["兰山区"], "得分": [1]})).mimebundle()]


@pytest.mark.parametrize("filler", [0, 12, 17, 22])
def test_gongwen_parts_are_laid_out_in_order_and_the_signature_never_stands_alone(filler):
    parts = list(GW_PARTS)
    parts[5] = d.Paragraph("全市平均得分112.40分。" * (40 + filler)).mimebundle()
    if filler == 22:  # without 附注 the signature still stays with the body, and 附件1 still opens a page
        no_note = [p for p in parts if p.get("text/plain") != "annotation"]
        nb = new_notebook(cells=[new_code_cell("", outputs=[new_output("display_data", data=b) for b in no_note])])
        runs = body_runs(render.pdf_bytes(nb, title=""))
        sign = next(r for r in runs if "2019年12月31日" in r[2])
        assert any(r[0] == sign[0] and "平均得分" in r[2] for r in runs)
        assert next(r for r in runs if r[2] == "附件1")[0] == sign[0] + 1
    nb = new_notebook(cells=[new_code_cell("", outputs=[new_output("display_data", data=b) for b in parts])])
    pdf = render.pdf_bytes(nb, title="")
    runs = body_runs(pdf)
    order = [next(i for i, r in enumerate(runs) if key in r[2]) for key in
             ("临沂市社会信用体系建设领导小组办公室", "临信用办", "关于2019年12月", "各县区社会", "一、总体情况",
              "附件：", "2019年12月31日", "数据月份", "附件1")]
    assert order == sorted(order)
    organ = runs[order[0]]
    assert organ[0] == 0 and organ[4] > 22 and organ[1] > A4[1] - TOP - 60  # red organ line at the top, large
    assert next(r for r in runs if r[2].startswith("关于"))[4] == 22.0
    sign_page = runs[order[6]][0]
    assert any(r[0] == sign_page and "平均得分" in r[2] for r in runs)  # the 落款 shares its page with the body
    attachment = runs[order[8]]
    assert attachment[0] > sign_page and attachment[3] < LEFT + 2  # 附件1 opens a new page, flush left
    assert "— " not in pdf_pages(pdf)[0].split("临沂市")[0]  # no title block from the job


@pytest.mark.parametrize("filler", range(0, 60, 6))
def test_a_reports_annotation_is_printed_at_the_foot_of_its_last_page(filler):
    """附注 of a report (no organ line): never a page of its own, on the last page under the text."""
    parts = [d.Heading("总体情况").mimebundle(), d.Paragraph("本月情况平稳。" * (300 + filler)).mimebundle(),
             _gw("annotation", text="附注：数据月份2019-12，运行编号abc123。")]
    nb = new_notebook(cells=[new_code_cell("", outputs=[new_output("display_data", data=b) for b in parts])])
    pdf = render.pdf_bytes(nb, title="报告")
    pages = pdf_pages(pdf)
    assert "运行编号abc123" in pages[-1] and all("运行编号" not in p for p in pages[:-1])
    note = next(r for r in text_runs(pdf) if r[2].startswith("附注"))
    assert note[1] < BOTTOM  # below the text area, in the foot of the page
    assert body_runs(pdf)[-1][0] == len(pages) - 1  # the last page has body text


def test_pdf_builds_with_the_pip_fonts_only(notebook, monkeypatch):
    """Without the optional system faces: regular Noto only, bold drawn as an outline."""
    from scoring.render import fonts

    monkeypatch.setattr(fonts, "faces", lambda: {"font_title": fonts.SERIF, "font_hei": fonts.SANS,
                                                 "font_kai": fonts.SERIF, "font_body": fonts.SERIF,
                                                 "font_table": fonts.SANS, "font_mono": fonts.MONO,
                                                 "fake_bold": "true"})
    text = "".join(pdf_pages(render.pdf_bytes(notebook, title=TITLE, subtitle=SUBTITLE)))
    assert TITLE in text and "总体情况" in text


def test_fontconfig_file_adds_the_open_fonts_and_rejects_simhei():
    from scoring.render import fonts

    conf = fonts.fontconfig_file().read_text(encoding="utf-8")
    assert "<dir>" in conf and "SimHei" in conf and "<rejectfont>" in conf
    folder = fonts.typst_font_paths()[0]
    assert str(folder) in conf and not any("simhei" in p.name.lower() for p in folder.iterdir())


# ----------------------------------------------------------------------------- charts


CHART_LABELS = {k: f"标签{k}" for k in (
    "categories_title", "categories_mine", "categories_median", "categories_full", "trend_title", "trend_total",
    "trend_rank", "trend_pass_line", "heatmap_title", "distribution_title", "distribution_x", "distribution_pass",
    "distribution_fail", "points_unit", "band", "median", "nominal", "rank_axis", "intervals_title", "s1", "st",
    "sobol_title", "heatmap_gap", "distribution_y")}


def _charts(n: int) -> dict[str, object]:
    from scoring.report import charts

    names = [f"县区{i}号" for i in range(n)]
    rng = np.random.default_rng(n)
    fractions = pd.DataFrame(rng.uniform(0, 1, (n, 6)), columns=[f"c{j}" for j in range(6)])
    ranks = list(rng.permutation(n) + 1)
    totals = pd.Series(rng.uniform(60, 150, n))
    profile = pd.DataFrame({"points": [50.0, 10, 5, 8, 15, 4], "max_points": [85.0, 15, 10, 10, 22, 8],
                            "city_median": [45.0, 12, 6, 7, 14, 5]})
    trend = pd.DataFrame({"total": rng.uniform(90, 130, 12), "rank": rng.integers(1, n + 1, 12)})
    summary = pd.DataFrame({"unit": names, "nominal_rank": range(1, n + 1), "median_rank": range(1, n + 1),
                            "rank_p05": [max(1, i - 1) for i in range(1, n + 1)],
                            "rank_p95": [min(n, i + 1) for i in range(1, n + 1)]})
    sobol = pd.DataFrame({"S1": [0.1, 0.2, 0.05], "ST": [0.3, 0.5, 0.1]})
    return {"heatmap": charts.heatmap(fractions, names, [f"类别名称很长第{j}类" for j in range(6)], CHART_LABELS,
                                      ranks=ranks),
            "distribution": charts.distribution(totals, names, 120, CHART_LABELS),
            "category_bars": charts.category_bars(profile, [f"类别{j}" for j in range(6)], CHART_LABELS),
            "trend_chart": charts.trend_chart(trend, 120, [f"{m}月" for m in range(1, 13)], CHART_LABELS, n_units=n),
            "rank_intervals": charts.rank_intervals(summary, names, CHART_LABELS),
            "sobol_bars": charts.sobol_bars(sobol, ["甲", "乙", "丙"], CHART_LABELS)}


@pytest.mark.parametrize("n", [5, 16, 30])
def test_charts_print_at_their_size_with_labels_of_8pt_or_more(n):
    from scoring.render.display.figure import TEXT_WIDTH_PT

    for name, fig in _charts(n).items():
        width_in, height_in = fig.get_size_inches()
        assert width_in * 72 <= min(TEXT_WIDTH_PT["portrait"], 156 / 25.4 * 72) + 0.5, name  # not shrunk on paper
        assert height_in <= 225 / 25.4 - 0.5, name  # fits on one page with its heading
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a missing glyph would warn
            fig.canvas.draw()
        small = [(t.get_text(), t.get_fontsize()) for t in fig.findobj(matplotlib.text.Text)
                 if t.get_text().strip() and t.get_visible() and t.get_fontsize() < 8]
        assert not small, (name, small[:5])
        plt.close(fig)


def test_heatmap_is_ordered_by_rank_and_its_shades_read_in_grey():
    from scoring.report import charts

    fractions = pd.DataFrame({"a": [0.2, 0.9, 0.5], "b": [0.1, 0.8, 0.4]})
    fig = charts.heatmap(fractions, ["乙县", "甲县", "丙县"], ["类一", "类二"], CHART_LABELS, ranks=[3, 1, 2])
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["1 甲县", "2 丙县", "3 乙县"]
    cells = [t.get_text() for t in fig.axes[0].texts]
    assert cells[:2] == ["90%", "80%"]  # the values are printed, top row = rank 1
    plt.close(fig)
    cmap = matplotlib.colormaps[charts.HEATMAP_CMAP]
    grey = [float(np.dot(cmap(v)[:3], [0.299, 0.587, 0.114])) for v in np.linspace(0, 1, 11)]
    assert all(a > b for a, b in itertools.pairwise(grey))  # one direction in black and white: no red–green
    assert grey[0] - grey[-1] > 0.6


# ----------------------------------------------------------------------------- the built reports


def page_items(pdf: bytes) -> list[list[tuple[float, str, str]]]:
    """Per page, what lies between the margins, bottom first: (y, kind, text) with kind 'heading'
    (16 pt in a heading face: 黑体/楷体 stand-ins), 'text' or 'image' (y: its lower edge)."""
    pages = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        items: list[tuple[float, str, str]] = []

        def text(t, cm, tm, font, size, items=items):
            y = cm[5] + tm[5]
            if t.strip() and abs(cm[1]) < 1e-6 and BOTTOM - 1 <= y <= A4[1] - TOP + 1:
                name = str(font.get("/BaseFont", "")) if font else ""
                face = "heading" if size == 16.0 and ("SansCJK" in name or "UKai" in name) else "text"
                items.append((round(y, 1), face, t.strip()))

        def image(op, args, cm, tm, items=items):
            if op == b"Do":
                items.append((round(cm[5], 1), "image", ""))

        page.extract_text(visitor_text=text, visitor_operand_before=image)
        pages.append(sorted(items))
    return pages


@pytest.mark.slow
def test_built_pdfs_have_no_lone_heading_or_near_empty_page(built_month):
    """Every PDF of the demo month: A4; no page ends with a heading; no page holds (almost) nothing,
    such as a last line or a 附注 of its own."""
    from tests.conftest import DEMO_MONTH

    stage = built_month.root / "outputs" / DEMO_MONTH
    reports = sorted(stage.glob("*.pdf")) + sorted((stage / "units").glob("*.pdf"))
    assert len(reports) >= 3
    problems = []
    for path in reports:
        pdf = path.read_bytes()
        for page in PdfReader(io.BytesIO(pdf)).pages:
            assert sorted((round(float(page.mediabox.width)), round(float(page.mediabox.height)))) == [595, 842]
        for number, items in enumerate(page_items(pdf), start=1):
            lines = {y for y, kind, _ in items if kind != "image"}
            images = sum(kind == "image" for _, kind, _ in items)
            if len(lines) + 4 * images < 4:  # a chart is content enough for a page (附件1 的得分分布)
                problems.append(f"{path.name} page {number} holds only {[t for _, _, t in items]}")
            elif items[0][1] == "heading":
                problems.append(f"{path.name} page {number} ends with the heading {items[0][2]!r}")
    assert not problems, problems
