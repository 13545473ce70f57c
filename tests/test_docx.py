"""The Word rendering: read back with python-docx, it holds the same texts and numbers as the HTML of
the same executed notebook, in Word's own structures (heading styles, tables, pictures, fields)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import docx
import nbformat
import pytest
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.table import Table as WordTable
from docx.text.paragraph import Paragraph as WordParagraph
from nbformat.v4 import new_code_cell, new_notebook, new_output

from scoring.pipeline import batch
from scoring.render import display as d
from scoring.render import docx as render_docx
from scoring.render.docx_style import DOCX_FONTS, DOCX_SIZES_PT, MARGINS_MM
from scoring.render.labels import load_labels

RIGHT, LEFT = WD_ALIGN_PARAGRAPH.RIGHT, WD_ALIGN_PARAGRAPH.LEFT
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
DATE = dt.date(2019, 12, 31)
TITLE, SUBTITLE = "临沂市“信用县”创建工作月度通报", "2019年12月"

SETUP = """\
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display
from scoring.render import display as d
"""
HEAD = """\
display(d.OrganHeader("临沂市社会信用体系建设工作领导小组办公室文件"), d.DocNumber("临信用办〔2019〕12号"),
        d.DocTitle("关于2019年12月“信用县”创建监测情况的通报"), d.Recipients("各县区人民政府，市直有关部门："))
"""
BODY = """\
display(d.Heading("一、总体情况"),
        d.Paragraph("全市平均得分**118.42**分，达标**7**个，比上月减少1个。\\n郯城县跌破达标线。"),
        d.Heading("（一）达标情况", level=3), d.Bullets(["郯城县：121.76 → **116.89**", "费县 <零容忍> & 罗庄区"]),
        d.Note("达标线120分为本项目设定。", "warning"), d.Banner("示例数据（合成，非真实统计）"))
frame = pd.DataFrame({"县区": ["兰山区", "郯城县", "费县"], "总分": [131.254, 116.891, 98.5], "排名": [1, 9, 16],
                      "达标": ["是", "否", "否"]})
display(d.Table(frame, caption="表1 得分排名", formats={"总分": "{:.2f}"}, highlight=[1]))
fig, ax = plt.subplots(figsize=(5, 2.5))
ax.bar(["兰山区", "郯城县", "费县"], [131.25, 116.89, 98.5])
display(d.Figure(fig, caption="图1 各县区得分"))
display(d.KeyValues({"数据月份": "2019-12", "运行编号": "run-1"}, caption="附注"),
        d.Markdown("## 二、排名情况\\n\\n名次稳定。"))
wide = pd.DataFrame([[f"{(i * j) % 97}.5" for j in range(18)] for i in range(4)],
                    columns=[f"指标{j:02d}" for j in range(18)])
display(d.AttachmentList("附件：", ["得分排名表", "指标得分表"]),
        d.Signature("临沂市社会信用体系建设工作领导小组办公室", "2020年1月6日"),
        d.Annotation("数据月份2019-12 · 运行 run-1 · 3f2a9c1d"),
        d.AttachmentHeading("附件2", "指标得分表"), d.Table(wide, landscape=True))
display(d.Heading("三、存在问题"), d.Paragraph("名单管理不到位。"))
"""
FAIL = 'raise ValueError("数据缺失 <tancheng>")'


def make_notebook(path: Path, fail: bool) -> Path:
    cells = [new_code_cell(SETUP), new_code_cell(HEAD), new_code_cell(BODY)] + ([new_code_cell(FAIL)] if fail else [])
    nb = new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """One notebook (its last cell fails) executed and rendered by the batch: HTML, PDF and Word."""
    folder = tmp_path_factory.mktemp("docx")
    job = batch.Job(name="report", notebook=make_notebook(folder / "report.ipynb", fail=True), parameters={},
                    executed=folder / "executed.ipynb", html=folder / "report.html", pdf=folder / "report.pdf",
                    docx=folder / "report.docx", title=TITLE, subtitle=SUBTITLE, synthetic=True, date=DATE,
                    cwd=folder)
    _name, reason, _ = batch.run_job(job)
    return job, reason


# ----------------------------------------------------------------------------- reading back


class _HtmlTexts(HTMLParser):
    """The text of every paragraph-like element inside <main>, in order (<br> as a line break)."""

    LEAVES = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "th", "td", "caption", "figcaption", "pre"})
    BOXES = frozenset({"note", "banner"})  # <div class="note …">: one paragraph

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.main = False
        self.open: list[str] = []  # the tag being captured, nested tags of it
        self.buffer: list[str] = []

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "main":
            self.main = True
        elif self.main and not self.open and (tag in self.LEAVES or (tag == "div" and self.BOXES & set(classes))):
            self.open, self.buffer = [tag], []
        elif self.open and tag == "br":
            self.buffer.append("\n")
        elif self.open and tag not in ("br", "img", "hr"):
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag == "main":
            self.main = False
        elif self.open and tag == self.open[-1]:
            self.open.pop()
            if not self.open and (text := "".join(self.buffer)):
                self.texts.append(text)

    def handle_data(self, data):
        if self.open:
            self.buffer.append(data)


def html_texts(path: Path) -> list[str]:
    parser = _HtmlTexts()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.texts


def docx_items(path: Path) -> list[tuple[str, str]]:
    """(kind, text) of the body in order: ('p:<style>', paragraph text) for every paragraph and
    ('cell', text) for every table cell (row by row) that is not empty, as html_texts does."""
    doc = docx.Document(str(path))
    out = []
    for child in doc.element.body.iterchildren():
        if child.tag == qn("w:p"):
            par = WordParagraph(child, doc._body)
            if par.text:
                out.append((f"p:{par.style.name}", par.text))
        elif child.tag == qn("w:tbl"):
            out += [("cell", cell.text) for row in WordTable(child, doc._body).rows for cell in row.cells if cell.text]
    return out


def assert_same_text(html_path: Path, docx_path: Path) -> list[tuple[str, str]]:
    items = docx_items(docx_path)
    assert [t for _, t in items] == html_texts(html_path)
    return items


# ----------------------------------------------------------------------------- the tests


def test_a_failing_notebook_still_gets_its_word_file_with_the_error(rendered):
    job, reason = rendered
    assert reason.startswith("ValueError: 数据缺失 <tancheng>")
    assert job.html.is_file() and job.pdf.is_file() and job.docx.is_file()
    texts = [t for _, t in docx_items(job.docx)]
    assert load_labels()["error_title"] in texts and "ValueError: 数据缺失 <tancheng>" in texts


def test_every_paragraph_and_table_cell_says_what_the_html_says(rendered):
    job, _ = rendered
    items = assert_same_text(job.html, job.docx)
    texts = [t for _, t in items]
    for expected in ("全市平均得分118.42分，达标7个，比上月减少1个。\n郯城县跌破达标线。", "116.89",
                     "费县 <零容忍> & 罗庄区", "附件：1.得分排名表\n2.指标得分表", "2020年1月6日",
                     "临信用办〔2019〕12号"):
        assert any(expected in t for t in texts), expected


def test_headings_are_word_heading_styles_in_order(rendered):
    job, _ = rendered
    doc = docx.Document(str(job.docx))
    headings = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [("Heading 2", "一、总体情况"), ("Heading 3", "（一）达标情况"), ("Heading 2", "二、排名情况"),
                        ("Heading 2", "指标得分表"), ("Heading 2", "三、存在问题")]
    titles = [p.text for p in doc.paragraphs if p.style.name == "Title"]
    assert titles == [TITLE, "关于2019年12月“信用县”创建监测情况的通报"]
    outline = doc.styles["Heading 2"].element.pPr.find(qn("w:outlineLvl"))
    assert outline is not None and outline.get(qn("w:val")) == "1"  # listed in Word's navigation pane


def test_official_parts_in_order_and_the_organ_line_is_red_text(rendered):
    job, _ = rendered
    styles = [s for s, _ in docx_items(job.docx)]
    order = ["p:CC Organ", "p:CC Doc Number", "p:Title", "p:CC Recipients", "p:Heading 2", "p:CC Attachment List",
             "p:CC Signature", "p:CC Annotation", "p:CC Attachment Label"]
    at = 0
    for style in order:  # each part after the one before it
        at = styles.index(style, at) + 1
    doc = docx.Document(str(job.docx))
    organ = next(p for p in doc.paragraphs if p.style.name == "CC Organ")
    assert str(organ.style.font.color.rgb) == "C00000" and "w:drawing" not in organ._p.xml  # text, not a picture
    assert organ.text == "临沂市社会信用体系建设工作领导小组办公室文件"
    number = next(p for p in doc.paragraphs if p.style.name == "CC Doc Number")
    assert number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom")).get(qn("w:color")) == "C00000"  # the red rule
    date, organ_line = (next(p for p in doc.paragraphs if p.text == t)
                        for t in ("2020年1月6日", "临沂市社会信用体系建设工作领导小组办公室"))
    assert date.style.paragraph_format.alignment == organ_line.style.paragraph_format.alignment == RIGHT
    label = next(p for p in doc.paragraphs if p.style.name == "CC Attachment Label")
    assert label.text == "附件2"


def test_fonts_are_set_for_east_asian_text_and_the_page_is_gbt9704_a4(rendered):
    job, _ = rendered
    doc = docx.Document(str(job.docx))

    def east_asia(style: str) -> str:
        return doc.styles[style].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))

    assert east_asia("Normal") == DOCX_FONTS["body"] == "Noto Serif CJK SC"
    assert east_asia("Heading 2") == DOCX_FONTS["heading"] == "Noto Sans CJK SC"
    assert east_asia("Title") == DOCX_FONTS["title"]
    assert doc.styles["Title"].font.size.pt == DOCX_SIZES_PT["title"] > doc.styles["Normal"].font.size.pt
    styles_xml = doc.styles.element.xml
    used = [doc.styles[n].element.xml for n in ("Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3")]
    assert not any("Theme=" in x or 'w:cstheme' in x for x in used)  # theme fonts would override the names
    assert 'w:eastAsia="zh-CN"' in styles_xml  # the language of the text
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert [round(getattr(section, f"{side}_margin").mm) for side in ("top", "bottom", "left", "right")] == \
        [MARGINS_MM[side] for side in ("top", "bottom", "left", "right")]


def test_tables_are_word_tables_with_a_repeated_one_line_header(rendered):
    job, _ = rendered
    doc = docx.Document(str(job.docx))
    ranking = doc.tables[0]
    assert [c.text for c in ranking.rows[0].cells] == ["县区", "总分", "排名", "达标"]
    assert [c.text for c in ranking.rows[2].cells] == ["郯城县", "116.89", "9", "否"]
    header = ranking.rows[0]._tr
    assert header.trPr.find(qn("w:tblHeader")) is not None
    assert all(tc.tcPr.find(qn("w:noWrap")) is not None for tc in header.findall(qn("w:tc")))
    assert ranking.rows[2].cells[0]._tc.tcPr.find(qn("w:shd")).get(qn("w:fill")) == "FFF3CD"  # highlighted row
    assert ranking.rows[1].cells[1].paragraphs[0].alignment == RIGHT  # numbers right-aligned
    wide = doc.tables[-1]
    assert len(wide.columns) == 18
    landscape = [s for s in doc.sections if s.orientation == WD_ORIENT.LANDSCAPE]
    assert len(landscape) == 1 and landscape[0].page_width > landscape[0].page_height
    assert len(doc.sections) == 3  # portrait, landscape (attachment 2 with its heading), portrait


def test_figures_are_the_pngs_at_most_the_text_width(rendered):
    job, _ = rendered
    doc = docx.Document(str(job.docx))
    assert len(doc.inline_shapes) == 1
    shape = doc.inline_shapes[0]
    assert abs(shape.width.inches - 5.0) < 0.01
    executed = nbformat.read(job.executed, as_version=4)
    pngs = [o.data["image/png"] for c in executed.cells for o in c.get("outputs", [])
            if "image/png" in o.get("data", {})]
    blob = doc.part.related_parts[shape._inline.xpath(".//a:blip/@r:embed")[0]].blob
    assert blob == base64.b64decode(pngs[0])
    caption = [p.text for p in doc.paragraphs if p.style.name == "CC Figure Caption"]
    assert caption == ["图1 各县区得分"]


def test_header_mark_when_synthetic_and_page_numbers_in_the_footer(rendered, tmp_path):
    job, _ = rendered
    doc = docx.Document(str(job.docx))
    mark = load_labels()["synthetic_header"]
    section = doc.sections[0]
    assert mark in section.header.paragraphs[0].text and mark in section.even_page_header.paragraphs[0].text
    footer = section.footer._element.xml
    assert "PAGE" in footer and "— " in footer and " —" in footer
    assert section.footer.paragraphs[0].alignment == RIGHT and section.even_page_footer.paragraphs[0].alignment == LEFT
    plain = render_docx.docx_bytes(job.executed, title=TITLE, synthetic=False)
    plain_doc = docx.Document(io.BytesIO(plain))
    assert mark not in plain_doc.sections[0].header.paragraphs[0].text


def test_same_input_same_bytes_and_fixed_properties(rendered):
    job, _ = rendered
    again = render_docx.docx_bytes(job.executed, title=TITLE, subtitle=SUBTITLE, synthetic=True, date=DATE)
    assert again == job.docx.read_bytes()
    props = docx.Document(str(job.docx)).core_properties
    assert props.created == props.modified == dt.datetime(2019, 12, 31, tzinfo=dt.UTC)
    assert props.author == "" and props.revision == 1 and props.title == f"{TITLE} · {SUBTITLE}"
    with zipfile.ZipFile(job.docx) as z:
        assert {i.date_time for i in z.infolist()} == {(2019, 12, 31, 0, 0, 0)}
        assert "docProps/thumbnail.jpeg" not in z.namelist()
        assert b"python-docx" not in z.read("docProps/core.xml")


def test_period_date_comes_from_the_parameters_never_the_clock():
    assert render_docx.period_date({"month": "2019-12"}) == dt.date(2019, 12, 31)
    assert render_docx.period_date({"month": "2020-02"}) == dt.date(2020, 2, 29)
    assert render_docx.period_date({"year": 2019}) == dt.date(2019, 12, 31)
    assert render_docx.period_date({}) == render_docx.FALLBACK_DATE


def test_text_that_xml_cannot_hold_is_replaced_not_fatal():
    nb = new_notebook(cells=[new_code_cell("", outputs=[
        new_output("display_data", data=d.Paragraph("控制字符\x07与\x1b之后").mimebundle())])])
    out = docx.Document(io.BytesIO(render_docx.docx_bytes(nb, title="x")))
    assert [p.text for p in out.paragraphs if p.style.name == "Normal"] == ["控制字符\ufffd与\ufffd之后"]


# ----------------------------------------------------------------------------- the demo month


@pytest.mark.slow
def test_the_demo_reports_have_word_files_with_the_htmls_content(built_year):
    """Every report of the demo month and the annual review: a .docx beside the .html and .pdf,
    linked from the index, with the same paragraphs and table cells as the HTML."""
    out = built_year.output_month("2019-12")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.count(">Word</a>") == index.count(">HTML</a>") == index.count(">PDF</a>") >= 18
    assert re.search(r'href="bulletin\.html">HTML</a> · <a href="bulletin\.pdf">PDF</a> · '
                     r'<a href="bulletin\.docx">Word</a>', index)
    reports = ["bulletin", "sensitivity", *(f"units/{p.stem}" for p in sorted((out / "units").glob("*.html")))]
    assert len(reports) == 18
    for stem in reports:
        assert (out / f"{stem}.docx").is_file(), stem
    for stem in ["bulletin", "sensitivity", "units/tancheng", "../2019/review"]:
        items = assert_same_text(out / f"{stem}.html", out / f"{stem}.docx")
        assert any(kind.startswith("p:Heading") for kind, _ in items) and any(k == "cell" for k, _ in items)
        doc = docx.Document(str(out / f"{stem}.docx"))
        assert load_labels()["synthetic_header"] in doc.sections[0].header.paragraphs[0].text
