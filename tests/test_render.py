"""Rendering an executed notebook: escaped HTML, A4 PDF with Noto fonts, marks, wide tables, same bytes."""

from __future__ import annotations

import io
import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import nbformat
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
MARGIN = 2 / 2.54 * 72
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


def test_pdf_has_chinese_text_and_embeds_only_noto_fonts(built):
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
    assert names and all("Noto" in n for n in names), names
    assert not any("SimHei" in n for n in names)


def test_pdf_marks_every_page_when_synthetic_and_numbers_pages(notebook, built):
    labels = render_labels.load_labels()
    _, _, pdf = built
    pages = pdf_pages(pdf)
    for i, text in enumerate(pages, start=1):
        assert labels["synthetic_header"] in text
        assert text.count(labels["watermark"]) >= 2  # header line and diagonal mark
        assert labels["page_number"].format(page=i, total=len(pages)) in text
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
            assert x >= MARGIN - 2 and x + d.text_width_em(text) * size <= A4[0] - MARGIN + 2, (text, x)
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
