"""The city bulletin of a 136-unit province, end to end: ingest → score (tests.scale_helpers.province,
shared with tests/test_scale.py) → `credit-county bulletin` (tests.scale_helpers.province_month: the
city bulletin as published, HTML, PDF, Word). Checked: the ranking annex breaks across pages with its
header row repeated (PDF text and Word's w:tblHeader), every unit is named in it, 一、总体情况 names
the tiers with the numbers of the stage table city_tiers, and the body's lists name a bounded number
of units."""

from __future__ import annotations

import shutil
import subprocess

import docx
import pandas as pd
import pytest

from scoring.ingest.process import load_params
from scoring.render.display.table import TABLE_WHOLE_ROWS, Table
from scoring.report.narrative import named
from scoring.report.text import load_report_text
from tests.scale_helpers import PROVINCE_UNITS, ROOT

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
HEADER_CELLS = ("排名", "县区", "类内排名", "达标")  # the ranking annex's header (params/report.yaml columns)


@pytest.fixture(scope="module")
def bulletin(province_month):
    """The province's city bulletin (bulletin.html, .pdf, .docx) as `credit-county bulletin` published it."""
    project, month, done = province_month
    assert done.returncode == 0, done.stderr[-2000:]
    return project.output_month(month)


@pytest.fixture(scope="module")
def units(province):
    return load_params(province.project)[1]


@pytest.fixture(scope="module")
def pages(bulletin) -> list[str]:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", "-layout", str(bulletin / "bulletin.pdf"), "-"], capture_output=True,
                          check=True).stdout.decode("utf-8")
    return text.split("\f")


def _ranking_pages(pages: list[str]) -> list[str]:
    """The pages of 附件1 (the ranking) up to its notes: from the page headed 附件1 to the one before 附件2."""
    start = next(i for i, p in enumerate(pages) if p.lstrip().startswith("附件1") or "\n附件1" in p)
    end = next(i for i, p in enumerate(pages) if i > start and "附件2" in p)
    return pages[start:end]


def test_ranking_breaks_with_its_header_repeated_in_the_pdf(pages, units):
    ranking = [p for p in _ranking_pages(pages) if any(u.name in p for u in units.units)]
    assert len(ranking) >= PROVINCE_UNITS // (2 * TABLE_WHOLE_ROWS), len(ranking)  # landscape: ~25 rows a page
    for page in ranking:
        assert all(cell in page for cell in HEADER_CELLS), page[:400]
    text = "".join(ranking)
    missing = [u.name for u in units.units if u.name not in text]
    assert not missing, missing


def test_word_ranking_repeats_its_header_row(bulletin, units):
    document = docx.Document(str(bulletin / "bulletin.docx"))
    ranking = document.tables[0]
    assert len(ranking.rows) == PROVINCE_UNITS + 1
    first = ranking.rows[0]._tr
    assert first.trPr is not None and first.trPr.find(f"{W}tblHeader") is not None
    assert all(r._tr.trPr is None or r._tr.trPr.find(f"{W}tblHeader") is None for r in ranking.rows[1:])
    assert {r.cells[1].text for r in ranking.rows[1:]} == {u.name for u in units.units}
    assert [c.text for c in ranking.rows[0].cells][:2] == list(HEADER_CELLS[:2])


def test_overview_names_the_tiers_from_the_stage_table(bulletin, province, units):
    tiers = pd.read_csv(province.project.output_month(province.month) / "city_tiers.csv")
    city = pd.read_csv(province.project.output_month(province.month) / "city.csv").iloc[0]
    assert tiers["tier"].tolist() == list(units.tiers) and int(tiers["n_units"].sum()) == PROVINCE_UNITS
    assert int(tiers["n_pass"].sum()) == int(city["n_pass"])
    opening = load_report_text(ROOT / "params" / "report.yaml")["bulletin"]["overview"]["tiers"].split("{")[0]
    paragraphs = [p.text for p in docx.Document(str(bulletin / "bulletin.docx")).paragraphs]
    sentence = next(p for p in paragraphs if p.startswith(opening))
    for r in tiers.itertuples():
        assert f"{units.tiers[r.tier]}{r.n_units}个，平均得分{r.mean_total:.2f}分" in sentence
        assert f"{r.n_pass}个达标" in sentence
    assert paragraphs.index(sentence) < next(i for i, p in enumerate(paragraphs) if p.startswith("二、"))


def test_body_lists_are_bounded(bulletin, units):
    """No paragraph before the 附件 names more than a few lists' worth of units (bulletin.limits.names)."""
    text = load_report_text(ROOT / "params" / "report.yaml")
    limit = int(text["bulletin"]["limits"]["names"])
    paragraphs = [p.text for p in docx.Document(str(bulletin / "bulletin.docx")).paragraphs]
    body = paragraphs[: next(i for i, p in enumerate(paragraphs) if p.startswith("附件："))]
    names = [u.name for u in units.units]
    counts = [sum(name in p for name in names) for p in body]
    assert max(counts) <= 3 * limit, max(counts)
    assert any("等" in p and "个县区" in p for p in body)
    html = (bulletin / "bulletin.html").read_text(encoding="utf-8")
    assert all(name in html for name in names)


def test_named_lists_stay_bounded_at_the_nation():
    text = load_report_text(ROOT / "params" / "report.yaml")
    items = [f"示例县{k:04d}" for k in range(2844)]
    out = named(text, items, 10)
    assert out.endswith("等2844个县区") and out.count("示例县") == 10
    assert named(text, items[:3], 10) == "示例县0000、示例县0001、示例县0002"


def test_a_ranking_of_the_nation_breaks_with_its_header_repeated():
    frame = pd.DataFrame({"排名": range(1, 2845), "县区": [f"示例县{k:04d}" for k in range(2844)]})
    typst = Table(frame).typst_block()
    assert "breakable: true" in typst and "table.header(repeat: true," in typst
    assert "breakable: false" in Table(frame.head(TABLE_WHOLE_ROWS)).typst_block()
