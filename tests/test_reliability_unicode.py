"""Bidirectional controls in data cannot reorder a report's text (issue 12, item 5, the reports' half).

A name carrying U+202E (right-to-left override) — a unit name from params/units.yaml, an entity name
from the list records — reaches HTML, typst and Word isolated, its controls removed: the text after
it reads as written. Checked in the markup, then in the rendered documents: the HTML laid out by
headless Chromium (each character's position on the line), the PDF by typst (pdftotext gives the
glyphs in visual order), the Word file's XML. Each check is shown to see the damage on the raw text.
"""

from __future__ import annotations

import html
import itertools
import re
import shutil
import subprocess
import zipfile
from io import BytesIO

import nbformat
import pandas as pd
import pytest
import typst

from scoring.render import display as d
from scoring.render import fonts
from scoring.render.display.markup import (
    BIDI_CONTROLS,
    FSI,
    PDI,
    html_escape,
    html_text,
    isolate_bidi,
    strip_bidi,
    text_runs,
    typst_content,
    typst_str,
)
from scoring.render.docx import docx_bytes
from scoring.render.notebook import html_document, pdf_bytes

RLO = "\u202e"
NAME = f"临沂ABC{RLO}DEF商贸有限公司"  # the override would show "DEF商贸有限公司" and all after it backwards
TAIL = "本月退出名单，共 12 家"
SENTENCE = f"{NAME}{TAIL}"


@pytest.mark.parametrize("control", sorted(BIDI_CONTROLS))
def test_every_control_is_removed_and_the_text_isolated(control):
    out = isolate_bidi(f"甲{control}乙 3 家")
    assert out == f"{FSI}甲乙 3 家{PDI}"
    assert not set(out[1:-1]) & BIDI_CONTROLS


def test_text_without_controls_is_unchanged():
    """Every existing report keeps its bytes: nothing is added where there is no control."""
    for text in ("兰山区 131.25 分", "شركة 3", "a<b>&c", ""):
        assert isolate_bidi(text) == text and html_escape(text) == html.escape(text)
        assert typst_str(text) == typst_str(text) and text_runs(text) == [{"text": text}]


def test_the_markup_isolates_the_name_in_html_typst_and_word_runs():
    assert html_text(SENTENCE) == f"<bdi>{strip_bidi(SENTENCE)}</bdi>"
    assert html_text(f"**{NAME}**{TAIL}") == f"<strong><bdi>{strip_bidi(NAME)}</bdi></strong>{TAIL}"
    assert typst_str(SENTENCE) == f'"{FSI}{strip_bidi(SENTENCE)}{PDI}"'
    assert typst_content(f"**{NAME}**{TAIL}") == f'[#strong("{FSI}{strip_bidi(NAME)}{PDI}")#"{TAIL}"]'
    assert text_runs(f"**{NAME}**{TAIL}") == [{"text": f"{FSI}{strip_bidi(NAME)}{PDI}", "bold": True}, {"text": TAIL}]
    for out in (html_text(SENTENCE), typst_str(SENTENCE), str(text_runs(SENTENCE))):
        assert RLO not in out


# ----------------------------------------------------------------------------- the rendered documents


def notebook() -> nbformat.NotebookNode:
    """An executed notebook as the batch renders it: a paragraph, a list and a table with the name."""
    objects = [d.Paragraph(SENTENCE), d.Bullets([SENTENCE]),
               d.Table(pd.DataFrame({"企业": [NAME], "县区": ["兰山区"]}), caption="名单变动")]
    outputs = [nbformat.v4.new_output("display_data", data=o.mimebundle()) for o in objects]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("", outputs=outputs)])
    nb.cells[0]["id"] = "c"
    return nb


def pdf_text(pdf: bytes) -> str:
    """The PDF's text as poppler reads it: the glyphs in the order they stand on the line."""
    result = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return result.stdout.decode("utf-8")


def test_the_pdf_shows_the_text_after_the_name_as_written():
    text = pdf_text(pdf_bytes(notebook(), title="通报"))
    assert text.count(strip_bidi(SENTENCE)) == 2  # the paragraph and the list item, in reading order
    assert strip_bidi(NAME) in text  # the table cell
    # the check sees the damage: the same text with its override, straight into typst, comes out reversed
    raw = typst.compile(f'#set text(font: "Noto Sans CJK SC")\n#"{SENTENCE}"\n'.encode(),
                        font_paths=[str(p) for p in fonts.typst_font_paths()], ignore_system_fonts=True)
    assert TAIL not in pdf_text(raw) and "单名出退" in pdf_text(raw)


def test_the_word_runs_hold_the_name_isolated_without_its_override():
    with zipfile.ZipFile(BytesIO(docx_bytes(notebook(), title="通报"))) as docx:
        xml = docx.read("word/document.xml").decode("utf-8")
    texts = re.findall(r"<w:t[^>]*>([^<]*)</w:t>", xml)
    assert texts.count(f"{FSI}{strip_bidi(SENTENCE)}{PDI}") == 2  # the paragraph and the list item
    assert not [t for t in texts if TAIL in t and RLO in t]


def test_no_override_reaches_the_html_or_word_of_any_display_object():
    """The table's cells too (the HTML of scoring.render.display.table, the Word of render.docx_tables)."""
    with zipfile.ZipFile(BytesIO(docx_bytes(notebook(), title="通报"))) as docx:
        xml = docx.read("word/document.xml").decode("utf-8")
    assert RLO not in html_document(notebook(), title="通报") and RLO not in xml


# Each character of the text after the name: its left edge on the line (CSS px), in the text's order.
POSITIONS = """
const out = [];
const walker = document.createTreeWalker(arguments[0], NodeFilter.SHOW_TEXT);
let node;
while ((node = walker.nextNode())) {
  for (let i = 0; i < node.length; i++) {
    const range = document.createRange(); range.setStart(node, i); range.setEnd(node, i + 1);
    out.push([node.data[i], range.getBoundingClientRect().left]);
  }
}
return out;
"""


def tail_reads_left_to_right(driver, element) -> bool:
    chars = [(c, x) for c, x in driver.execute_script(POSITIONS, element) if c not in BIDI_CONTROLS]
    text = "".join(c for c, _ in chars)
    start = text.index(TAIL[:4])
    xs = [x for _, x in chars[start:start + len(TAIL)]]
    return all(a < b for a, b in itertools.pairwise(xs))


@pytest.mark.slow
def test_chromium_lays_out_the_text_after_the_name_as_written(tmp_path):
    from tests.test_browser import _browser_or_fail

    if not shutil.which("chromium") and not shutil.which("chromium-browser"):
        pytest.fail("no chromium: `make test-tools` installs it")
    page = tmp_path / "report.html"
    page.write_text(html_document(notebook(), title="通报"), encoding="utf-8")
    control = tmp_path / "raw.html"
    control.write_text(f'<!DOCTYPE html><html lang="zh-CN"><meta charset="utf-8"><p>{html.escape(SENTENCE)}</p>',
                       encoding="utf-8")
    from selenium.webdriver.common.by import By

    driver = _browser_or_fail()
    try:
        driver.get(page.as_uri())
        paragraphs = [p for p in driver.find_elements(By.CSS_SELECTOR, "main p, main li") if TAIL in p.text]
        assert len(paragraphs) == 2
        assert all(tail_reads_left_to_right(driver, p) for p in paragraphs)
        assert driver.find_elements(By.CSS_SELECTOR, "main p bdi")
        driver.get(control.as_uri())  # the check sees the damage: the raw override reverses the tail
        assert not tail_reads_left_to_right(driver, driver.find_element(By.CSS_SELECTOR, "p"))
    finally:
        driver.quit()
