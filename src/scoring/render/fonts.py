"""Simplified Chinese fonts for charts, PDFs and browsers: open-licensed fonts only.

Always there (pip): the Noto CJK SC regular faces shipped by `mplfonts` (SIL Open Font
Licence). When the project's set-up has installed them (`make fonts`: Debian packages
`fonts-noto-cjk` and `fonts-arphic-ukai`), two more kinds of face are used for the GB/T 9704
typography of the PDFs: the **bold** Noto Sans/Serif CJK (OFL) for titles and bold text, and
**AR PL UKai** (Arphic Public Licence), a 楷体, for second-level headings. Without them the
PDF still builds: bold is drawn with a thin outline and 楷体 falls back to the serif.
No open 仿宋 or 小标宋 is available here; the serif (Noto Serif CJK SC, 宋体-like) stands in
for 仿宋 (body) and its bold for 小标宋 (titles); the sans (黑体-like) for 黑体.

`mplfonts/fonts/` also holds SimHei.ttf, a proprietary font: it is never registered with
matplotlib, never shown to typst (typst gets a folder of links to the chosen files only) and
rejected in the fontconfig file made for browsers (`fontconfig_file`).
"""

from __future__ import annotations

import atexit
import contextlib
import html
import os
import shutil
import tempfile
from functools import cache
from pathlib import Path

#: Family names (as typst and matplotlib see them) of the faces used.
SANS = "Noto Sans CJK SC"
SERIF = "Noto Serif CJK SC"
MONO = "Noto Sans Mono CJK SC"
KAI = "AR PL UKai"

_NOTO_FILES = ("NotoSansCJKsc-Regular.otf", "NotoSerifCJKsc-Regular.otf", "NotoSansMonoCJKsc-Regular.otf")
#: Optional faces: file name → (role, Debian package that installs it).
SYSTEM_FONTS: dict[str, tuple[str, str]] = {
    "NotoSansCJK-Bold.ttc": ("sans_bold", "fonts-noto-cjk"),
    "NotoSerifCJK-Bold.ttc": ("serif_bold", "fonts-noto-cjk"),
    "ukai.ttc": ("kai", "fonts-arphic-ukai"),
}
#: Where Debian (and a user's own font folders) keep them; searched in this order.
SYSTEM_FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/arphic", "/usr/share/fonts",
                    "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
_setup_done = False


def font_dir() -> Path:
    """The `mplfonts/fonts` folder (it also holds SimHei.ttf: do not point tools at it)."""
    import mplfonts

    return Path(mplfonts.__file__).resolve().parent / "fonts"


def cjk_font_files() -> list[Path]:
    """The open Noto CJK SC regular font files from mplfonts (sans, serif, mono), those present."""
    folder = font_dir()
    files = [folder / name for name in _NOTO_FILES if (folder / name).is_file()]
    if not files:
        from scoring.errors import CreditCountyError

        raise CreditCountyError(f"no Noto CJK font in {folder}: reinstall the `mplfonts` package")
    return files


@cache
def system_font_files() -> dict[str, Path]:
    """Role ('sans_bold', 'serif_bold', 'kai') → the optional font file found on this machine."""
    found: dict[str, Path] = {}
    for name, (role, _) in SYSTEM_FONTS.items():
        for folder in (Path(f).expanduser() for f in SYSTEM_FONT_DIRS):
            hits = [folder / name] if (folder / name).is_file() else sorted(folder.rglob(name))
            if hits and hits[0].is_file():
                found[role] = hits[0]
                break
    return found


def faces() -> dict[str, str]:
    """The typst text settings of each role, as strings for `sys.inputs`.

    font_title (小标宋 stand-in), font_hei (黑体), font_kai (楷体), font_body (仿宋 stand-in),
    font_table (tables and small print), and fake_bold 'true' when no bold face is installed
    (bold is then drawn with an outline).
    """
    system = system_font_files()
    bold = "sans_bold" in system and "serif_bold" in system
    return {"font_title": SERIF, "font_hei": SANS, "font_kai": KAI if "kai" in system else SERIF,
            "font_body": SERIF, "font_table": SANS, "font_mono": MONO, "fake_bold": "false" if bold else "true"}


def setup_matplotlib() -> None:
    """Register the Noto fonts with matplotlib and make them the default sans-serif.

    Idempotent. Sets `font.family` sans-serif, `font.sans-serif` = Noto Sans CJK SC first (DejaVu
    Sans after it for any symbol Noto lacks) and `axes.unicode_minus` = False (Noto has no U+2212).
    The charts are drawn with these files on every machine: a system face of the same family
    (matplotlib ≥ 3.11 reads the SC face of Debian's `NotoSansCJK-*.ttc`, another build of the
    family: the charts' layout moved by a few pixels) is dropped from matplotlib's font list, so
    that installing the optional fonts (`make fonts`) does not change a chart.
    """
    global _setup_done
    import matplotlib as mpl
    from matplotlib import font_manager

    if not _setup_done:
        manager = font_manager.fontManager
        ours = [str(path) for path in cjk_font_files()]
        known = {f.fname for f in manager.ttflist}
        for path in ours:
            if path not in known:
                manager.addfont(path)
        manager.ttflist = [f for f in manager.ttflist if f.name not in (SANS, SERIF, MONO) or f.fname in ours]
        manager._findfont_cached.cache_clear()  # findfont memoises its answers (addfont clears it too)
        _setup_done = True
    mpl.rcParams["font.family"] = ["sans-serif"]
    mpl.rcParams["font.sans-serif"] = [SANS, "DejaVu Sans"]
    mpl.rcParams["font.serif"] = [SERIF, "DejaVu Serif"]
    mpl.rcParams["font.monospace"] = [MONO, "DejaVu Sans Mono"]
    mpl.rcParams["axes.unicode_minus"] = False


def _link_all(files: list[Path], prefix: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    for path in files:
        target = folder / path.name
        try:
            os.symlink(path, target)
        except OSError:  # no symlinks (some file systems): copy
            with contextlib.suppress(FileExistsError):
                shutil.copyfile(path, target)
    return folder


@cache
def typst_font_paths() -> list[Path]:
    """Folders for typst's `font_paths`: one temporary folder with links to the chosen files only.

    The Noto regular faces from mplfonts and the optional system faces (`system_font_files`).
    typst searches whole folders, and the mplfonts folder also holds SimHei; typst could pick it
    as a fallback. The folder lives as long as the process (removed at exit).
    """
    return [_link_all([*cjk_font_files(), *system_font_files().values()], "credit-county-fonts-")]


@cache
def fontconfig_file() -> Path:
    """A fontconfig file for browsers and other fontconfig programs (set FONTCONFIG_FILE to it).

    It includes the system's own configuration when there is one, adds a folder of links to
    the Noto fonts (and the optional faces), and rejects SimHei, so that Chinese renders with
    the open fonts even where no CJK font is installed system-wide. Lives as long as the process.
    """
    fonts = typst_font_paths()[0]
    cache_dir = Path(tempfile.mkdtemp(prefix="credit-county-fontcache-"))
    atexit.register(shutil.rmtree, cache_dir, ignore_errors=True)
    system = Path("/etc/fonts/fonts.conf")
    include = f'  <include ignore_missing="yes">{html.escape(str(system))}</include>\n' if system.is_file() else ""
    text = ('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n'
            f"{include}  <dir>{html.escape(str(fonts))}</dir>\n  <cachedir>{html.escape(str(cache_dir))}</cachedir>\n"
            "  <selectfont><rejectfont><glob>*/SimHei.ttf</glob><glob>*/simhei.ttf</glob></rejectfont></selectfont>\n"
            "</fontconfig>\n")
    path = cache_dir / "fonts.conf"
    path.write_text(text, encoding="utf-8")
    return path
