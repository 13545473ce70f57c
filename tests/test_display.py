"""Display objects: every text from data is escaped in HTML and inert in typst; tables and figures."""

from __future__ import annotations

import base64
import html
import io
import json
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest
import typst
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from scoring.render import display as d
from scoring.render.fonts import typst_font_paths

HOSTILE = ["<script>alert(1)</script>", '=HYPERLINK("x")', "#set page(width: 1cm)", "*bold*", "$x$", "@ref", "\\",
           "[a]_<b>", '"quoted" #"str"', "a\nb", "}{)(", "// not a comment", "/* nor this */"]


@pytest.fixture(scope="module")
def empty_typ(tmp_path_factory):
    path = tmp_path_factory.mktemp("typst") / "empty.typ"
    path.write_text("", encoding="utf-8")
    return str(path)


def typst_value(source: str, expression: str) -> object:
    return json.loads(typst.eval(source, expression, format="json"))


def all_objects(text: str) -> list[d.DisplayObject]:
    fig = plt.figure(figsize=(2, 1))
    return [
        d.Heading(text), d.Paragraph(text), d.Bullets([text, "**" + text + "**"]), d.Note(text, "warning"),
        d.Banner(text), d.KeyValues([(text, text)], caption=text), d.ErrorBox(text, text, text), d.Markdown(text),
        d.OrganHeader(text), d.DocNumber(text), d.DocTitle(text, subtitle=text), d.Recipients(text),
        d.Signature(text, text), d.AttachmentHeading(text, text, page_break=False),
        d.AttachmentList(text, [text, text]), d.Annotation(text),
        d.Table(pd.DataFrame({text: [text, 1.5]}), caption=text), d.Figure(fig, caption=text),
    ]


@pytest.mark.parametrize("text", HOSTILE)
def test_html_escapes_every_text(text):
    for obj in all_objects(text):
        out = obj._repr_mimebundle_()["text/html"]
        assert "<script>" not in out and "<b>" not in out, type(obj).__name__
        if "<" in text or "&" in text:
            assert html.escape(text.split("\n")[0], quote=False).replace("*", "") in out.replace("*", ""), obj


@pytest.mark.parametrize("text", HOSTILE)
def test_typst_fragments_compile_and_keep_text_literal(text, tmp_path):
    """Each fragment compiles on its own page setup; the text comes out verbatim (no markup ran)."""
    body = "".join(obj._repr_mimebundle_()[d.TYPST_MIME] for obj in all_objects(text)[:-1])  # no picture file
    (tmp_path / "main.typ").write_text('#set text(font: "Noto Sans CJK SC")\n' + body, encoding="utf-8")
    pdf = typst.compile(str(tmp_path / "main.typ"), root=str(tmp_path),
                        font_paths=[str(p) for p in typst_font_paths()], ignore_system_fonts=True)
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[0]
    assert round(float(page.mediabox.width)) == 595  # `#set page(width: 1cm)` did not run
    text_layer = "".join(p.extract_text() for p in reader.pages).replace("\n", "")
    assert text.replace("\n", "") in text_layer


@given(texts=st.lists(st.text(max_size=40), min_size=1, max_size=12))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_typst_str_round_trips_any_text(empty_typ, texts):
    """Several texts in one typst array (one evaluation, about 0.1 s, for up to 12 texts)."""
    # lone surrogates come back as U+FFFD
    expected = ["".join("\ufffd" if 0xD800 <= ord(c) < 0xE000 else c for c in text) for text in texts]
    assert typst_value(empty_typ, "(" + ", ".join(d.typst_str(text) for text in texts) + ",)") == expected


def test_bold_segments():
    assert d.bold_segments("a **b** c") == [("a ", False), ("b", True), (" c", False)]
    assert d.bold_segments("x ** y") == [("x ** y", False)]
    assert d.bold_segments("") == [("", False)]
    html_out = d.Paragraph("均分**85.3**分 <i>").html()
    assert html_out == "<p>均分<strong>85.3</strong>分 &lt;i&gt;</p>"
    assert "#strong(\"85.3\")" in d.Paragraph("均分**85.3**分").typst()


def test_bundle_has_the_four_mime_types_and_honours_include_exclude():
    obj = d.Paragraph("正文")
    assert set(obj._repr_mimebundle_()) == {"text/plain", "text/html", d.TYPST_MIME, d.BLOCK_MIME}
    assert set(obj._repr_mimebundle_(include=["text/html"])) == {"text/html"}
    assert d.TYPST_MIME not in obj._repr_mimebundle_(exclude=[d.TYPST_MIME])
    from IPython.core.formatters import DisplayFormatter

    data, _ = DisplayFormatter().format(obj)
    assert data[d.TYPST_MIME].startswith("#par[")
    assert data[d.BLOCK_MIME] == {"type": "paragraph", "runs": [{"text": "正文"}]}  # JSON, not a string


@pytest.mark.parametrize("text", HOSTILE)
def test_every_block_is_json_with_a_type_and_keeps_the_text_verbatim(text):
    for obj in all_objects(text):
        block = obj._repr_mimebundle_()[d.BLOCK_MIME]
        assert isinstance(block.get("type"), str), type(obj).__name__
        assert json.loads(json.dumps(block, ensure_ascii=False)) == block
        if not isinstance(obj, d.Figure | d.Markdown):  # Markdown interprets its text
            assert text.replace("**", "") in block_strings(block), type(obj).__name__


def block_strings(value: object) -> list[str]:
    """Every text of a block: strings, and runs joined."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(r, dict) and "text" in r for r in value):
        return ["".join(r["text"] for r in value)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in block_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in block_strings(v)]
    return []


def test_blocks_describe_the_content():
    frame = pd.DataFrame({"县区": ["兰山区", "罗庄区"], "得分": [85.126, 70.0]})
    table = d.Table(frame, caption="表", formats={"得分": "{:.1f}"}, highlight=[1], landscape=True).block()
    assert table == {"type": "table", "caption": "表", "columns": ["县区", "得分"], "rows": [["兰山区", "85.1"],
                     ["罗庄区", "70.0"]], "align": ["left", "right"], "highlight": [1], "landscape": True}
    assert d.Heading("一、总体情况", level=3).block() == {"type": "heading", "level": 3, "text": "一、总体情况"}
    assert d.Paragraph("均分**85.3**分").block()["runs"] == [{"text": "均分"}, {"text": "85.3", "bold": True},
                                                          {"text": "分"}]
    assert d.Bullets(["a", "**b**"]).block()["items"] == [[{"text": "a"}], [{"text": "b", "bold": True}]]
    assert d.Markdown("## 标题\n\n正文").block() == {"type": "group", "blocks": [
        {"type": "heading", "level": 2, "text": "标题"}, {"type": "paragraph", "runs": [{"text": "正文"}]}]}
    fig = plt.figure(figsize=(3, 1))
    figure = d.Figure(fig, caption="图")
    assert figure.block() == {"type": "figure", "name": figure.name, "caption": "图", "width_in": 3.0, "height_in": 1.0}
    assert d.Signature("某办公室", "2020年1月5日").block() == {"type": "signature", "organ": "某办公室",
                                                            "date": "2020年1月5日"}
    assert d.AttachmentList("附件：", ["排名表", "指标表"]).items == ["1.排名表", "2.指标表"]
    assert d.AttachmentList("附件：", ["排名表"]).items == ["排名表"]  # one attachment is not numbered
    assert d.DocNumber("临信用办〔2019〕6号").block() == {"type": "doc_number", "text": "临信用办〔2019〕6号",
                                                          "rule": True}


def test_the_organ_line_is_red_text_and_fills_one_line(tmp_path):
    """The 公文 parts reach typst as labelled data; the project's template lays them out (red, one line)."""
    import nbformat

    from scoring.render.notebook import pdf_bytes

    organ = d.OrganHeader("临沂市社会信用体系建设工作领导小组办公室文件")
    assert d.OFFICIAL_RED in organ.html() and "<img" not in organ.html()
    assert organ.typst().endswith("<gw-organ>\n") and "#metadata(" in organ.typst()
    outputs = [nbformat.v4.new_output("display_data", data=obj.mimebundle())
               for obj in (organ, d.DocNumber("临信用办〔2019〕6号"))]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("", outputs=outputs)])
    pdf = pdf_bytes(nb, title="", subtitle="")
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert text.splitlines()[:2] == ["临沂市社会信用体系建设工作领导小组办公室文件", "临信用办〔2019〕6号"]  # one line


def test_table_formats_alignment_and_highlight():
    frame = pd.DataFrame({"县区": ["兰山区", "罗庄区", "河东区"], "得分": [85.126, None, 70.0], "排名": [1, 3, 2],
                          "变化": ["+1.2", "−0.5", "—"], "占比": [0.5, 0.25, 1.0]})
    table = d.Table(frame, formats={"得分": "{:.1f}", "占比": ".0%", "排名": lambda v: f"第{v}名"},
                    highlight=lambda row: row["县区"] == "罗庄区")
    assert table.rows[0] == ["兰山区", "85.1", "第1名", "+1.2", "50%"]
    assert table.rows[1][1] == "—"  # missing value
    assert table.align == ["left", "right", "right", "right", "right"]
    assert table.highlight == {1}
    assert 'class="hl"' in table.html() and "if y in (2,)" in table.typst()
    assert d.Table(frame, highlight=[0, 2]).highlight == {0, 2}
    assert d.Table(frame, align={"县区": "center"}).align[0] == "center"
    with pytest.raises(ValueError):
        d.Table(frame, align={"县区": "middle"})
    assert "0.50" in d.Table(frame).rows[0][4]  # default float format


def test_table_font_shrinks_to_fit_wide_tables():
    narrow = d.Table(pd.DataFrame({"县区": ["兰山区"], "得分": ["85.1"]}))
    assert narrow.font_size == d.TABLE_FONT_PT and narrow.column_widths is None  # typst sizes it
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wide = d.Table(pd.DataFrame([[f"{(i * j) % 101}%" for j in range(20)] for i in range(5)],
                                    columns=[f"指标{j:02d}" for j in range(20)]))
    assert d.TABLE_MIN_FONT_PT <= wide.font_size < d.TABLE_FONT_PT
    assert f"set text(size: {wide.font_size}pt)" in wide.typst()
    assert 'class="table-wrap wide"' in wide.html()
    text = d.Table(pd.DataFrame({"指标": ["信用制度"] * 2, "建议": ["对照国家和省市文件完善信用制度" * 5] * 2}))
    assert text.font_size == d.TABLE_FONT_PT and text.column_widths[1].endswith("fr")  # long text wraps
    landscape = d.Table(wide_frame := pd.DataFrame({"a": ["x" * 40] * 2, "b": ["y" * 40] * 2}), landscape=True)
    assert landscape.typst().startswith("#page(flipped: true)")
    assert landscape.font_size >= d.Table(wide_frame).font_size


def test_a_table_too_wide_even_at_6pt_warns_and_shares_the_width():
    frame = pd.DataFrame([[f"{j * 1000.5:.2f}" for j in range(30)]], columns=[f"c{j}" for j in range(30)])
    with pytest.warns(UserWarning, match="too wide"):
        table = d.Table(frame)
    assert table.font_size == d.TABLE_MIN_FONT_PT and all(w.endswith("fr") for w in table.column_widths)


def test_figure_png_is_deterministic_and_named_by_its_hash():
    def make():
        fig, ax = plt.subplots(figsize=(4, 2))
        ax.plot([1, 3, 2])
        ax.set_title("得分走势")
        return fig

    a, b = d.Figure(make(), caption="图注"), d.Figure(make(), caption="图注")
    assert a.png == b.png and a.png.startswith(b"\x89PNG")
    assert b"Software" not in a.png
    bundle = a._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == a.png
    assert d.figure_name(a.png) in bundle[d.TYPST_MIME]
    assert bundle["text/html"].count("data:image/png;base64,") == 1
    assert not plt.get_fignums()  # closed


def test_markdown_subset_escapes_everything():
    md = d.Markdown("## 标题 <i>\n\n正文 **粗** [link](http://x) <script>\n\n- 一\n- 二")
    kinds = [type(b).__name__ for b in md.blocks]
    assert kinds == ["Heading", "Paragraph", "Bullets"]
    out = md.html()
    assert "<script>" not in out and "&lt;script&gt;" in out and "<strong>粗</strong>" in out


def test_heading_level_and_note_kind_are_checked():
    with pytest.raises(ValueError):
        d.Heading("x", level=7)
    with pytest.raises(ValueError):
        d.Note("x", kind="danger")
    assert d.Callout is d.Note


def test_banner_default_text_comes_from_labels():
    from scoring.render.notebook import load_labels

    assert d.Banner().text == load_labels()["synthetic_header"]
