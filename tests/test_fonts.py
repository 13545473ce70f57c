"""CJK fonts: only the open Noto fonts reach matplotlib and typst; Chinese labels draw without boxes."""

from __future__ import annotations

import io
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
import typst
from matplotlib import font_manager

from scoring.render import fonts


def test_font_files_are_noto_only():
    files = fonts.cjk_font_files()
    assert files and all(f.is_file() and f.name.startswith("Noto") for f in files)
    assert (fonts.font_dir() / "NotoSansCJKsc-Regular.otf") in files
    assert not any("simhei" in f.name.lower() for f in files)


def test_typst_sees_the_noto_families_and_never_simhei():
    paths = [str(p) for p in fonts.typst_font_paths()]
    found = typst.Fonts(include_system_fonts=False, include_embedded_fonts=False, font_paths=paths).families()
    assert fonts.SANS in found and fonts.SERIF in found
    assert all(name.startswith("Noto") for name in found), found
    assert fonts.typst_font_paths() == fonts.typst_font_paths()  # one folder per process


def test_setup_matplotlib_is_idempotent_and_sets_rcparams():
    fonts.setup_matplotlib()
    count = len(font_manager.fontManager.ttflist)
    fonts.setup_matplotlib()
    assert len(font_manager.fontManager.ttflist) == count
    assert matplotlib.rcParams["font.sans-serif"][0] == fonts.SANS
    assert matplotlib.rcParams["axes.unicode_minus"] is False
    assert not any(f.fname.lower().endswith("simhei.ttf") for f in font_manager.fontManager.ttflist)
    resolved = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]), fallback_to_default=False)
    assert resolved.endswith("NotoSansCJKsc-Regular.otf")


def test_chinese_labels_draw_without_missing_glyphs():
    fonts.setup_matplotlib()
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(["兰山区", "罗庄区", "沂南县"], [-1.5, 85.2, 90.0])
    ax.set_title("临沂市“信用县”创建监测：分类得分（示例）")
    ax.set_xlabel("县区")
    ax.set_ylabel("得分 −1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" would raise
        fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)


def test_without_setup_the_same_labels_would_be_boxes():
    """The check above is meaningful: DejaVu alone lacks the glyphs and matplotlib warns."""
    with matplotlib.rc_context({"font.sans-serif": ["DejaVu Sans"]}):
        fig, ax = plt.subplots(figsize=(2, 2))
        ax.set_title("兰山区")
        with pytest.warns(UserWarning, match="[Gg]lyph"):
            fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)
