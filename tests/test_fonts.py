"""CJK fonts: only the open Noto fonts reach matplotlib and typst; Chinese labels draw without boxes."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

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


def test_typst_sees_the_open_families_and_never_simhei():
    paths = [str(p) for p in fonts.typst_font_paths()]
    found = typst.Fonts(include_system_fonts=False, include_embedded_fonts=False, font_paths=paths).families()
    assert fonts.SANS in found and fonts.SERIF in found
    assert all(name.startswith(("Noto", "AR PL UKai")) for name in found), found
    assert not any("simhei" in name.lower() for name in found)
    assert fonts.typst_font_paths() == fonts.typst_font_paths()  # one folder per process


def test_faces_name_fonts_typst_has():
    """Every face the template is given exists (or is the serif stand-in), and bold is real when installed."""
    paths = [str(p) for p in fonts.typst_font_paths()]
    found = set(typst.Fonts(include_system_fonts=False, include_embedded_fonts=False, font_paths=paths).families())
    faces = fonts.faces()
    for role in ("font_title", "font_hei", "font_kai", "font_body", "font_table", "font_mono"):
        assert faces[role] in found, (role, faces[role])
    system = fonts.system_font_files()
    assert set(system) <= {"sans_bold", "serif_bold", "kai"}
    assert faces["fake_bold"] == ("false" if {"sans_bold", "serif_bold"} <= set(system) else "true")
    assert faces["font_kai"] == (fonts.KAI if "kai" in system else fonts.SERIF)


def test_the_project_set_up_installs_the_optional_faces():
    """`make fonts` (a dependency of `make bulletin` and `make test`) installs them: on a machine set up
    by the project they are there, so the PDFs get real bold and 楷体."""
    system = fonts.system_font_files()
    assert {"sans_bold", "serif_bold", "kai"} <= set(system), (
        f"missing {sorted({'sans_bold', 'serif_bold', 'kai'} - set(system))}: run `make fonts` "
        f"(Debian packages {sorted({pkg for _, pkg in fonts.SYSTEM_FONTS.values()})})")


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


def test_a_system_face_of_the_family_never_draws_the_charts(monkeypatch):
    """matplotlib >= 3.11 lists the SC face of Debian's Noto collection under the family name of the
    pip font: setup drops such a face, so a chart is the same with or without `make fonts`."""
    manager = font_manager.fontManager
    other_file = str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")
    impostor = font_manager.FontEntry(fname=other_file, name=fonts.SANS)
    monkeypatch.setattr(manager, "ttflist", [impostor, *manager.ttflist])
    monkeypatch.setattr(fonts, "_setup_done", False)
    manager._findfont_cached.cache_clear()
    fonts.setup_matplotlib()
    assert impostor not in manager.ttflist
    resolved = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]), fallback_to_default=False)
    assert str(resolved).endswith("NotoSansCJKsc-Regular.otf")
    manager._findfont_cached.cache_clear()


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
