"""The HTML reports in a real headless browser (Debian's chromium + chromium-driver, via selenium).

At 400 px (a phone, with its viewport meta applied) and at 1280 px the demo bulletin and a unit
report must not scroll sideways, every table header cell stays on one line, wide tables scroll
inside their own box, pictures fit, text is large enough, and the Chinese text is drawn with a
CJK font (the browser's own report of the fonts it used, not a guess). Screenshots of each page
are saved in the test's tmp folder for a person to look at.

`make test` installs the browser when it is missing (the `test-tools` target); without it these
tests FAIL, they never skip.
"""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

import pytest

from scoring.render import fonts
from tests.conftest import DEMO_MONTH

pytestmark = pytest.mark.slow

WIDTHS = (400, 1280)
CJK_FAMILIES = ("Noto Sans CJK", "Noto Serif CJK", "AR PL UKai", "Source Han", "WenQuanYi")
UNIT = "lanshan"


def _browser_or_fail():
    """A headless Chromium driven by chromedriver; pytest.fail (never skip) when it cannot start."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:  # pragma: no cover - the test extras install selenium
        pytest.fail(f"selenium is not installed ({exc}): pip install -e '.[test]'")
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not binary or not driver_path:
        pytest.fail("no headless browser: `make test-tools` installs Debian's chromium and chromium-driver "
                    f"(found chromium={binary}, chromedriver={driver_path})")
    options = Options()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--hide-scrollbars",
                "--force-device-scale-factor=1", "--window-size=1280,900"):
        options.add_argument(arg)
    # The open fonts via fontconfig (mplfonts' Noto, the optional system faces; never SimHei), so
    # Chinese renders even where no CJK font is installed system-wide.
    env = {**os.environ, "FONTCONFIG_FILE": str(fonts.fontconfig_file())}
    try:
        return webdriver.Chrome(service=Service(executable_path=driver_path, env=env), options=options)
    except Exception as exc:
        pytest.fail(f"headless chromium did not start: {type(exc).__name__}: {exc}")


@pytest.fixture(scope="module")
def pages(built_month, two_years) -> dict[str, Path]:
    """The bulletin and a unit report of December 2019, and of December 2020 (the second year: with
    the same month last year — a sentence, a section, a column more)."""
    stage, later = built_month.root / "outputs" / DEMO_MONTH, two_years.output_month("2020-12")
    found = {"bulletin": stage / "bulletin.html", "unit": stage / "units" / f"{UNIT}.html",
             "bulletin-2020": later / "bulletin.html", "unit-2020": later / "units" / f"{UNIT}.html"}
    for path in found.values():
        assert path.is_file(), path
    return found


def show(driver, path: Path, width: int) -> None:
    """Open `path` at `width` CSS pixels: a phone (viewport meta applied) below 800 px, a desktop above."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 800})
    driver.get(path.as_uri())
    driver.execute_script("return document.fonts.ready.then(() => true)")


def screenshot(driver, target: Path) -> Path:
    """The whole page (not only the viewport) as a PNG."""
    size = driver.execute_script("return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size[0], "height": min(size[1], 16000), "scale": 1}})
    target.write_bytes(base64.b64decode(shot["data"]))
    return target


MEASURE = """
const view = window.innerWidth;
const doc = document.documentElement;
const lines = el => {
  const range = document.createRange(); range.selectNodeContents(el);
  const tops = new Set();
  for (const r of range.getClientRects()) { if (r.width > 0 && r.height > 0) tops.add(Math.round(r.top)); }
  return tops.size;
};
const overflowing = [];
for (const el of document.querySelectorAll('main *')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || el.closest('.table-wrap')) continue;
  if (r.right > view + 1 || r.left < -1) overflowing.push(el.tagName + '.' + el.className + ' ' + Math.round(r.right));
}
const wraps = [...document.querySelectorAll('.table-wrap')].map(w => ({
  overflow: getComputedStyle(w).overflowX, right: w.getBoundingClientRect().right,
  scrolls: w.scrollWidth > w.clientWidth + 1}));
const tables = [...document.querySelectorAll('table.data')].map(t => !!t.closest('.table-wrap'));
const headers = [...document.querySelectorAll('table.data th')].filter(th => th.textContent.trim())
  .map(th => ({text: th.textContent.trim(), lines: lines(th), breaks: th.querySelectorAll('br').length}));
const images = [...document.querySelectorAll('main img')].map(i => ({
  width: i.getBoundingClientRect().width, box: i.parentElement.getBoundingClientRect().width,
  loaded: i.naturalWidth > 0}));
const sizes = [...document.querySelectorAll('main p, main td, main th, main li')]
  .filter(e => e.textContent.trim()).map(e => parseFloat(getComputedStyle(e).fontSize));
const paras = [...document.querySelectorAll('main > .output p, main p')].filter(p => p.textContent.trim().length > 40)
  .map(p => p.getBoundingClientRect().width / parseFloat(getComputedStyle(p).fontSize));
return {view, scrollWidth: doc.scrollWidth, bodyScrollWidth: document.body.scrollWidth, overflowing, wraps, tables,
        headers, images, minFont: Math.min(...sizes), measures: paras};
"""


def cjk_fonts(driver, selector: str) -> dict[str, int]:
    """The fonts the browser drew the text of the first element matching `selector` with (its own
    text nodes): family → glyph count, from the CDP CSS domain."""
    root = driver.execute_cdp_cmd("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    node = driver.execute_cdp_cmd("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    assert node, f"no element {selector!r}"
    result = driver.execute_cdp_cmd("CSS.getPlatformFontsForNode", {"nodeId": node})
    return {font["familyName"]: int(font["glyphCount"]) for font in result.get("fonts", [])}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", ["bulletin", "unit", "bulletin-2020", "unit-2020"])
def test_page_fits_the_screen_and_tables_scroll_in_their_box(browser, pages, page, width, tmp_path):
    show(browser, pages[page], width)
    shot = screenshot(browser, tmp_path / f"{page}-{width}.png")
    m = browser.execute_script(MEASURE)
    where = f"{page} at {width} px (screenshot {shot})"
    assert m["view"] == width, where
    assert m["scrollWidth"] <= width and m["bodyScrollWidth"] <= width, (where, m["scrollWidth"])
    assert not m["overflowing"], (where, m["overflowing"][:5])
    assert m["tables"] and all(m["tables"]), f"{where}: every data table sits in a .table-wrap"
    for wrap in m["wraps"]:
        assert wrap["overflow"] in ("auto", "scroll") and wrap["right"] <= width + 1, (where, wrap)
    # one line per deliberate line (a <br>: 附件 headers give the points under the name), never wrapped
    wrapped = [h["text"] for h in m["headers"] if h["lines"] != 1 + h["breaks"]]
    assert m["headers"] and not wrapped, f"{where}: header cells wrapped: {wrapped}"
    for image in m["images"]:
        assert image["loaded"] and image["width"] <= image["box"] + 1 and image["width"] <= width, (where, image)
    assert m["minFont"] >= 12, f"{where}: text at {m['minFont']} px"
    if width >= 1280:
        assert m["measures"] and max(m["measures"]) <= 52, f"{where}: lines of {max(m['measures']):.0f} characters"
    if width <= 400:
        assert any(w["scrolls"] for w in m["wraps"]), f"{where}: no table needed its own scroll box?"


@pytest.mark.parametrize("page", ["bulletin", "unit"])
def test_chinese_is_drawn_with_a_cjk_font(browser, pages, page):
    show(browser, pages[page], 400)
    for selector in ("h1, .gw-title, .gw-organ", "table.data td", "p"):
        used = cjk_fonts(browser, selector)
        cjk = {name: n for name, n in used.items() if name.startswith(CJK_FAMILIES)}
        assert cjk and sum(cjk.values()) >= 0.9 * sum(used.values()), (page, selector, used)
