"""Figures: a matplotlib figure as PNG (base64 in HTML) and a named picture for the typst PDF
(`fig-<sha256[:16]>.png`, written beside the typst source by scoring.render)."""

from __future__ import annotations

import base64
import html
import io
from typing import Any

from scoring.hashing import sha256_bytes
from scoring.render.display.markup import DisplayObject, html_escape, strip_bidi, typst_str

FIGURE_DPI = 150
#: Width of the text on an A4 page with 2 cm margins (portrait, landscape), in points.
TEXT_WIDTH_PT = {"portrait": 156 / 25.4 * 72, "landscape": (297 - 28 - 26) / 25.4 * 72}  # A4, GB/T 9704 margins


# ----------------------------------------------------------------------------- figure


def figure_name(data: bytes, ext: str = "png") -> str:
    """The file name a picture has beside the typst source: fig-<first 16 hex of its sha256>.<ext>."""
    return f"fig-{sha256_bytes(data)[:16]}.{ext}"


def figure_png(fig: Any, dpi: int = FIGURE_DPI) -> bytes:
    """A matplotlib figure as PNG bytes; no 'Software' metadata, so the same figure gives the same bytes."""
    from scoring.render import fonts

    fonts.setup_matplotlib()  # fonts are resolved when drawing: a figure made before setup still gets them
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None}, facecolor="white")
    return buf.getvalue()


class Figure(DisplayObject):
    """A matplotlib figure as a PNG at `dpi` (default 150), with an optional caption.

    The figure is rendered once and closed (so Jupyter's inline backend does not show it twice).
    Shown at its own size (inches), never wider than the text.
    """

    def __init__(self, figure: Any, caption: str | None = None, dpi: int = FIGURE_DPI, close: bool = True) -> None:
        self.png = figure_png(figure, dpi)
        width_in, height_in = figure.get_size_inches()
        self.width_in, self.height_in = float(width_in), float(height_in)
        self.caption = caption
        self.name = figure_name(self.png)
        if close:
            import matplotlib.pyplot as plt

            plt.close(figure)

    @property
    def b64(self) -> str:
        return base64.b64encode(self.png).decode("ascii")

    def plain(self) -> str:
        return f"[figure {self.width_in:.1f}×{self.height_in:.1f} in{': ' + self.caption if self.caption else ''}]"

    def html(self) -> str:
        alt = html.escape(strip_bidi(self.caption or ""), quote=True)
        caption = f"<figcaption>{html_escape(self.caption)}</figcaption>" if self.caption else ""
        return (f'<figure><img src="data:image/png;base64,{self.b64}" alt="{alt}" '
                f'style="width:{round(self.width_in * 96)}px"/>{caption}</figure>')

    def typst(self) -> str:
        return image_typst(self.name, self.width_in * 2.54, self.caption)

    def block(self) -> dict[str, Any]:
        """The picture is the bundle's 'image/png'; `name` is its file name (figure_name)."""
        return {"type": "figure", "name": self.name, "caption": self.caption,
                "width_in": round(self.width_in, 4), "height_in": round(self.height_in, 4)}

    def extra(self) -> dict[str, str]:
        return {"image/png": self.b64}


def image_typst(name: str, width_cm: float | None, caption: str | None = None) -> str:
    """Typst for the picture file `name` (beside the source), at most `width_cm` and the text width."""
    limit = f"calc.min(size.width, {width_cm:.2f}cm)" if width_cm else "size.width"
    cap = f", caption: {typst_str(caption)}" if caption else ""
    return (f"#figure(layout(size => image({typst_str(name)}, width: {limit})), "
            f"numbering: none, supplement: none{cap})\n")

