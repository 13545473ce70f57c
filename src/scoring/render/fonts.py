"""Simplified Chinese fonts for charts and PDFs: the open Noto CJK fonts shipped by `mplfonts`.

No CJK font is installed system-wide on a fresh machine, so matplotlib and typst would draw
empty boxes. `mplfonts/fonts/` also holds SimHei.ttf, a proprietary font: it is never
registered with matplotlib and never shown to typst (typst gets a folder holding links to
the Noto files only).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
from functools import cache
from pathlib import Path

#: Family names, in order of preference, of the fonts in `cjk_font_files()`.
SANS = "Noto Sans CJK SC"
SERIF = "Noto Serif CJK SC"
MONO = "Noto Sans Mono CJK SC"

_NOTO_FILES = ("NotoSansCJKsc-Regular.otf", "NotoSerifCJKsc-Regular.otf", "NotoSansMonoCJKsc-Regular.otf")
_setup_done = False


def font_dir() -> Path:
    """The `mplfonts/fonts` folder (it also holds SimHei.ttf: do not point tools at it)."""
    import mplfonts

    return Path(mplfonts.__file__).resolve().parent / "fonts"


def cjk_font_files() -> list[Path]:
    """The open Noto CJK SC font files (sans, serif, mono), those that are present."""
    folder = font_dir()
    files = [folder / name for name in _NOTO_FILES if (folder / name).is_file()]
    if not files:
        from scoring.errors import CreditCountyError

        raise CreditCountyError(f"no Noto CJK font in {folder}: reinstall the `mplfonts` package")
    return files


def setup_matplotlib() -> None:
    """Register the Noto fonts with matplotlib and make them the default sans-serif.

    Idempotent. Sets `font.family` sans-serif, `font.sans-serif` = Noto Sans CJK SC first (DejaVu
    Sans after it for any symbol Noto lacks) and `axes.unicode_minus` = False (Noto has no U+2212).
    """
    global _setup_done
    import matplotlib as mpl
    from matplotlib import font_manager

    if not _setup_done:
        known = {f.fname for f in font_manager.fontManager.ttflist}
        for path in cjk_font_files():
            if str(path) not in known:
                font_manager.fontManager.addfont(str(path))
        _setup_done = True
    mpl.rcParams["font.family"] = ["sans-serif"]
    mpl.rcParams["font.sans-serif"] = [SANS, "DejaVu Sans"]
    mpl.rcParams["font.serif"] = [SERIF, "DejaVu Serif"]
    mpl.rcParams["font.monospace"] = [MONO, "DejaVu Sans Mono"]
    mpl.rcParams["axes.unicode_minus"] = False


@cache
def typst_font_paths() -> list[Path]:
    """Folders for typst's `font_paths`: one temporary folder with links to the Noto files only.

    typst searches whole folders, and the mplfonts folder also holds SimHei; typst could pick it
    as a fallback. The folder lives as long as the process (removed at exit).
    """
    folder = Path(tempfile.mkdtemp(prefix="credit-county-fonts-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    for path in cjk_font_files():
        target = folder / path.name
        try:
            os.symlink(path, target)
        except OSError:  # no symlinks (some file systems): copy
            with contextlib.suppress(FileExistsError):
                shutil.copyfile(path, target)
    return [folder]
