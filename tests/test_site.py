"""The archive site (scoring.site → outputs/site/): built from the stage files of the demo project
(the shared `built_year` fixture: December 2019's bulletin and the 2019 review), every page there,
every link resolving, the numbers those of the stage tables, a re-run writing nothing, bad folders
left out with a note, a second (fake) year giving the year comparison, and the pages in a real
headless browser (400 px without sideways scrolling, Chinese drawn with a CJK font).

The shared project is never modified: each test works on a clone whose outputs are hard links.
"""

from __future__ import annotations

import os
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from scoring.errors import SpecError
from scoring.project import Project
from scoring.site import build_site
from scoring.site.settings import load_site_text
from scoring.tables import StageFolder
from tests.conftest import DEMO_MONTH, ROOT

UNIT = "lanshan"


def clone(source: Project, target: Path) -> Project:
    """A copy of `source` (params, the titles register, outputs as hard links) at `target`."""
    shutil.copytree(source.params, target / "params")
    (target / "data").mkdir()
    if (source.root / "data" / "titles.csv").is_file():
        shutil.copy2(source.root / "data" / "titles.csv", target / "data" / "titles.csv")
    shutil.copytree(source.outputs, target / "outputs", copy_function=os.link,
                    ignore=shutil.ignore_patterns("site", ".*"))
    return Project(target)


@pytest.fixture()
def project(built_year, tmp_path) -> Project:
    return clone(built_year, tmp_path / "p")


class Page(HTMLParser):
    """The links, tables (rows of cell texts), SVG value labels and scripts of one page."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.links: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.values: list[str] = []
        self.scripts = 0
        self._cell: list[str] | None = None
        self._value: list[str] | None = None
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        self.links += [found[k] for k in ("href", "src") if k in found]
        if tag == "script":
            self.scripts += 1
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "text" and "value" in (found.get("class") or "").split():
            self._value = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "text" and self._value is not None:
            self.values.append("".join(self._value))
            self._value = None

    def handle_data(self, data):
        for part in (self._cell, self._value):
            if part is not None:
                part.append(data)


def site_files(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def check_links(folder: Path) -> int:
    """Every href/src of every page is relative and names an existing file; no page has a script."""
    count = 0
    for page in sorted(folder.glob("*.html")):
        parsed = Page(page)
        assert parsed.scripts == 0, page
        for href in parsed.links:
            parts = urlsplit(href)
            assert not parts.scheme and not parts.netloc and not href.startswith("/"), (page.name, href)
            target = (page.parent / unquote(parts.path)).resolve()
            assert target.is_file(), f"{page.name}: {href} → {target} does not exist"
            count += 1
    return count


def test_every_page_is_there_and_every_link_resolves(project):
    result = build_site(project)
    folder = project.outputs / "site"
    units = StageFolder(project.output_month(DEMO_MONTH)).table("scores")["unit"]
    expected = {"index.html", "browse.html", "style.css", f"month-{DEMO_MONTH}.html", "review-2019.html",
                *(f"unit-{u}.html" for u in units)}
    assert set(result.files) == expected == {p.name for p in folder.iterdir()}
    assert result.written == sorted(expected) and not result.skipped
    assert check_links(folder) > 100
    month = Page(folder / f"month-{DEMO_MONTH}.html").links
    for target in (f"../{DEMO_MONTH}/bulletin.pdf", f"../{DEMO_MONTH}/units/{UNIT}.docx", f"../{DEMO_MONTH}/index.html",
                   f"unit-{UNIT}.html", "review-2019.html"):
        assert target in month, target
    assert "../2019/review.pdf" in Page(folder / "review-2019.html").links
    for name in expected - {"style.css"}:
        text = (folder / name).read_text(encoding="utf-8")
        assert str(project.root) not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")


def test_unit_and_month_pages_show_the_numbers_of_the_stage_tables(project):
    build_site(project)
    folder, stage = project.outputs / "site", StageFolder(project.output_month(DEMO_MONTH))
    history = stage.table("history")
    mine = history[history["unit"] == UNIT].sort_values("month", ascending=False)
    categories = [c for c in history.columns if c.startswith("c") and c[1:].isdigit()]
    table = Page(folder / f"unit-{UNIT}.html").tables[0]
    assert len(table) == 1 + len(mine) == 13
    label = load_site_text(project.params / "site.yaml")
    for row, r in zip(table[1:], mine.to_dict("records"), strict=True):
        assert row[0] == label.month_text(r["month"])
        assert row[1] == str(r["rank"]) and row[2] == f"{r['total_rounded']:.2f}"
        assert row[3] == (label.values.pass_ if r["pass"] else label.values.fail)
        assert row[4:] == [f"{r[c]:.2f}" for c in categories]
    scores = stage.table("scores").sort_values("rank")
    ranking = Page(folder / f"month-{DEMO_MONTH}.html").tables[0]
    assert [row[2] for row in ranking[1:]] == [f"{v:.2f}" for v in scores["total_rounded"]]
    assert [row[0] for row in ranking[1:]] == [str(v) for v in scores["rank"]]
    # the 达标 chart's last bar is the month's published count (city.n_pass)
    n_pass = int(stage.table("city")["n_pass"].iloc[0])
    bars = Page(folder / "index.html").values
    assert len(bars) == 12 and bars[-1] == str(n_pass)
    assert bars == [str(int(v)) for v in history.groupby("month")["pass"].sum()]


def test_a_rerun_over_unchanged_files_writes_nothing_and_a_change_rewrites_only_its_pages(project):
    build_site(project)
    folder = project.outputs / "site"
    before = site_files(folder)
    again = build_site(project)
    assert not again.changed and again.written == [] and again.removed == []
    assert site_files(folder) == before  # bytes and mtimes
    assert "unchanged" in again.summary()
    # a text used on the review page only: that page alone is rewritten, the others keep their mtimes
    params = project.params / "site.yaml"
    edited = params.read_text(encoding="utf-8").replace("本年度各月通报", "本年度各月的通报")
    params.write_text(edited, encoding="utf-8")
    changed = build_site(project)
    assert changed.written == ["review-2019.html"] and changed.removed == []
    after = site_files(folder)
    assert {n for n in after if after[n] != before[n]} == {"review-2019.html"}


def test_bad_month_and_year_folders_are_left_out_with_a_note(project):
    out = project.outputs
    (out / "2019-11").mkdir()  # no stage.json
    (out / "2019-10").mkdir()
    (out / "2019-10" / "stage.json").write_text("{not json", encoding="utf-8")
    shutil.copytree(out / DEMO_MONTH, out / "2019-09", ignore=shutil.ignore_patterns("*.pdf", "*.docx", "notebooks"))
    scores = out / "2019-09" / "scores.csv"
    scores.write_text(scores.read_text(encoding="utf-8").replace("lanshan", "lanshan "), encoding="utf-8")
    (out / "2019-08").write_text("a file, not a month folder", encoding="utf-8")
    (out / "2018").mkdir()  # a year folder without its review
    (out / "2019-12.failed").mkdir()  # not a month's name: not looked at
    result = build_site(project)
    notes = "\n".join(result.notes())
    for name in ("2019-11", "2019-10", "2019-09", "2018"):
        assert f"outputs/{name}: left out of the site — " in notes, (name, notes)
    assert "stage.json is missing" in notes and "not valid JSON" in notes and "SHA-256" in notes
    assert "2019-08" not in notes and ".failed" not in notes
    assert f"month-{DEMO_MONTH}.html" in result.files and "month-2019-11.html" not in result.files
    browse = (out / "site" / "browse.html").read_text(encoding="utf-8")
    assert "outputs/2019-11" in browse and "outputs/2018" in browse
    check_links(out / "site")


def test_a_damaged_titles_register_is_left_out_with_a_note(project):
    (project.root / "data" / "titles.csv").write_text("unit,year\nlanshan,twenty\n", encoding="utf-8")
    result = build_site(project)
    assert any(n.startswith("data/titles.csv: left out of the site — ") for n in result.notes())
    assert f"unit-{UNIT}.html" in result.files


def test_the_second_year_gives_the_year_comparison(two_years, tmp_path):
    """The demo's two years (tests/conftest.py two_years): the comparison page holds the 达标 counts of
    every month of both years and each unit's December totals and ranks, as the stage tables say."""
    project = clone(two_years, tmp_path / "p")
    result = build_site(project)
    folder = project.outputs / "site"
    assert "compare-2020.html" in result.files and "month-2020-12.html" in result.files and not result.skipped
    check_links(folder)
    assert "compare-2020.html" in Page(folder / "index.html").links
    counts, units = Page(folder / "compare-2020.html").tables
    history = StageFolder(project.output_month("2020-12")).table("history")
    passed = history.groupby("month")["pass"].sum()
    assert len(counts) == 13
    for m, row in enumerate(counts[1:], start=1):
        assert row[1:3] == [str(passed[f"2019-{m:02d}"]), str(passed[f"2020-{m:02d}"])]
    by_name = {row[0]: row for row in units[1:]}
    for year, column in (("2019", 1), ("2020", 2)):
        december = StageFolder(project.output_month(f"{year}-12")).table("scores")
        for r in december.itertuples(index=False):
            assert by_name[r.name][column] == f"{r.total_rounded:.2f}"
            assert by_name[r.name][column + 2] == str(r.rank)
    # the unit page runs over both years; both Decembers have their reports
    assert len(Page(folder / f"unit-{UNIT}.html").tables[0]) == 1 + 24
    assert "../2020-12/units/" + UNIT + ".pdf" in Page(folder / "month-2020-12.html").links
    assert "review-2020.html" in result.files


def test_the_site_texts_are_validated(tmp_path):
    bad = tmp_path / "site.yaml"
    bad.write_text((ROOT / "params" / "site.yaml").read_text(encoding="utf-8")
                   .replace('"{month_label}监测通报"', '"{month label}监测通报"'), encoding="utf-8")
    with pytest.raises(SpecError, match=r"month\.title"):
        load_site_text(bad)


def test_a_file_where_the_site_goes_is_refused(project):
    from scoring.errors import CreditCountyError

    (project.outputs / "site").write_text("mine", encoding="utf-8")
    with pytest.raises(CreditCountyError, match="not moved or deleted"):
        build_site(project)
    assert (project.outputs / "site").read_text(encoding="utf-8") == "mine"


# ----------------------------------------------------------------------------- in a real browser


@pytest.fixture(scope="module")
def browsed_site(two_years, tmp_path_factory) -> Path:
    """The demo site of both years (so the comparison page is there too)."""
    project = clone(two_years, tmp_path_factory.mktemp("site") / "p")
    build_site(project)
    return project.outputs / "site"


BROWSED = ("index.html", f"month-{DEMO_MONTH}.html", f"unit-{UNIT}.html", "review-2020.html", "compare-2020.html",
           "browse.html")

SITE_MEASURE = """
const view = window.innerWidth, doc = document.documentElement;
const overflowing = [];
for (const el of document.querySelectorAll('body *')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || el.closest('.table-wrap') || el.classList.contains('watermark')) continue;
  if (r.right > view + 1 || r.left < -1) overflowing.push(el.tagName + '.' + el.className + ' ' + Math.round(r.right));
}
const wraps = [...document.querySelectorAll('.table-wrap')].map(w => ({
  overflow: getComputedStyle(w).overflowX, right: w.getBoundingClientRect().right}));
const tables = [...document.querySelectorAll('table')].map(t => !!t.closest('.table-wrap'));
const sizes = [...document.querySelectorAll('main p, main td, main th, main li, main a')]
  .filter(e => e.textContent.trim()).map(e => parseFloat(getComputedStyle(e).fontSize));
const svgText = [...document.querySelectorAll('svg text')].map(t => t.getBoundingClientRect().height);
return {view, scrollWidth: doc.scrollWidth, bodyScrollWidth: document.body.scrollWidth, overflowing, wraps, tables,
        minFont: Math.min(...sizes), svgText: svgText.length ? Math.min(...svgText) : null};
"""


@pytest.mark.slow
@pytest.mark.parametrize("width", (400, 1280))
@pytest.mark.parametrize("page", BROWSED)
def test_site_page_fits_the_screen_in_a_browser(browser, browsed_site, page, width, tmp_path):
    from tests.test_browser import screenshot, show

    show(browser, browsed_site / page, width)
    shot = screenshot(browser, tmp_path / f"{page}-{width}.png")
    m = browser.execute_script(SITE_MEASURE)
    where = f"{page} at {width} px (screenshot {shot})"
    assert m["view"] == width, where
    assert m["scrollWidth"] <= width and m["bodyScrollWidth"] <= width, (where, m["scrollWidth"])
    assert not m["overflowing"], (where, m["overflowing"][:5])
    assert all(m["tables"]), f"{where}: every table sits in a .table-wrap"
    for wrap in m["wraps"]:
        assert wrap["overflow"] in ("auto", "scroll") and wrap["right"] <= width + 1, (where, wrap)
    assert m["minFont"] >= 12, f"{where}: text at {m['minFont']} px"
    if m["svgText"] is not None:
        assert m["svgText"] >= 9, f"{where}: chart labels {m['svgText']:.1f} px high"
    # the stylesheet was loaded (a local file): the navigation is laid out as a flex row
    assert browser.execute_script("return getComputedStyle(document.querySelector('nav.site')).display") == "flex"


@pytest.mark.slow
@pytest.mark.parametrize("page", ("index.html", f"unit-{UNIT}.html", "review-2019.html"))
def test_site_chinese_is_drawn_with_a_cjk_font(browser, browsed_site, page):
    from tests.test_browser import CJK_FAMILIES, cjk_fonts, show

    show(browser, browsed_site / page, 400)
    for selector in ("h1", "h2", "nav.site a", "li, td"):
        used = cjk_fonts(browser, selector)
        cjk = {name: n for name, n in used.items() if name.startswith(CJK_FAMILIES)}
        assert cjk and sum(cjk.values()) >= 0.9 * sum(used.values()), (page, selector, used)
