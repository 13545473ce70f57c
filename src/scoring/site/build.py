"""outputs/site/: the archive site, built from the stage files of outputs/ and published as a whole.

`build_site(project)` reads what outputs/ holds (scoring.site.collect), renders every page in memory
(`render_site`: the same bytes for the same files and params — no clock time, no absolute path), and
compares them with the published site:
- every file the same, none more or fewer: nothing is written (not a byte, not an mtime);
- else the site is built beside it (safeio.staged_dir) and swapped in whole — a reader sees the old
  site or the new one — the unchanged files copied with their times (shutil.copy2), so only the pages
  whose bytes changed get a new mtime.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from scoring.project import Project
from scoring.safeio import atomic_write_bytes, staged_dir
from scoring.site import layout as lay
from scoring.site.collect import SiteData, collect_site
from scoring.site.pages import browse_html, home_html, month_html
from scoring.site.series import compare_years
from scoring.site.settings import SITE_TEXT_FILE, SiteText, load_site_text
from scoring.site.style import site_css
from scoring.site.units import unit_html
from scoring.site.years import compare_html, review_html

SITE_FOLDER = "site"


@dataclass
class SiteResult:
    """What `build_site` did. `files`: every file of the site (names inside it); `written`: those new or
    changed in this run; `removed`: files of the earlier site no longer made; `skipped`: (path relative
    to the project, why) of each folder or file left out."""

    folder: Path
    files: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed)

    def notes(self) -> list[str]:
        """One line per folder or file left out: 'outputs/2019-11: left out of the site — why'."""
        return [f"{path}: left out of the site — {why}" for path, why in self.skipped]

    def summary(self) -> str:
        """'site: N files, W written, R removed — open …/index.html' (or 'unchanged')."""
        what = (f"{len(self.written)} written, {len(self.removed)} removed" if self.changed
                else "unchanged, nothing rewritten")
        return f"site: {len(self.files)} files, {what} — open {self.folder / lay.HOME_PAGE}"


def render_site(data: SiteData, text: SiteText) -> dict[str, bytes]:
    """Every file of the site: name inside outputs/site/ → bytes."""
    pages = {lay.STYLE_FILE: site_css(), lay.HOME_PAGE: home_html(data, text), lay.BROWSE_PAGE: browse_html(data, text)}
    for i, folder in enumerate(data.months):
        pages[lay.month_page(folder.month)] = month_html(data, text, i)
    for code, name in data.units():
        pages[lay.unit_page(code)] = unit_html(data, text, code, name)
    for year in data.years:
        pages[lay.review_page(year.year)] = review_html(data, text, year)
    for year in compare_years(data):
        pages[lay.compare_page(year)] = compare_html(data, text, year)
    return {name: page.encode("utf-8") for name, page in pages.items()}


def _published(folder: Path) -> dict[str, bytes]:
    """The files of the published site (hidden names, e.g. a writer's temporary file, left out)."""
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)}


def build_site(project: Project) -> SiteResult:
    """Write outputs/site/ from the stage files of outputs/ and params/site.yaml; re-running over
    unchanged files writes nothing. Folders that cannot be read are left out (`SiteResult.skipped`)."""
    text = load_site_text(project.params / SITE_TEXT_FILE)
    data = collect_site(project)
    files = render_site(data, text)
    final = project.outputs / SITE_FOLDER
    before = _published(final)
    result = SiteResult(folder=final, files=sorted(files), skipped=list(data.skipped))
    result.written = sorted(name for name, content in files.items() if before.get(name) != content)
    result.removed = sorted(name for name in before if name not in files)
    if not result.changed and final.is_dir():
        return result
    with staged_dir(final) as stage:
        for name, content in files.items():
            if name in before and name not in result.written:
                shutil.copy2(final / name, stage / name)  # unchanged: its bytes and its mtime
            else:
                atomic_write_bytes(stage / name, content)
    return result
