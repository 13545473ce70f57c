"""Executed notebook → self-contained HTML (nbconvert, code hidden) and A4 PDF (typst).

Both are built from the same outputs, normalised first by `report_outputs`:
- code cells' outputs only (inputs, prompts, Markdown and raw cells are not shown);
- streams (prints, warnings, logs) are dropped;
- an error output becomes a red error box (display.ErrorBox): a failed notebook renders, showing it;
- display objects (scoring.display) keep their bundle: HTML from 'text/html', PDF from 'text/x-typst';
- other outputs: image/png or image/jpeg → picture; text/markdown → display.Markdown (a small
  subset, everything escaped); text/plain → preformatted text (text/html is kept for the HTML only).

The HTML embeds its CSS (templates/report.css) and pictures (base64); it links nothing.
The PDF: templates/report.typ (GB/T 9704 page, faces and sizes, title block or 公文 letterhead,
page numbers, watermark) includes body.typ,
the outputs' typst fragments; titles and labels reach typst as `sys.inputs` strings, never as
markup. typst runs in-process with the open fonts only (scoring.render.fonts), its clock fixed
(`pdf_time`, scoring.render.reproducible). Same input → same bytes.
Fixed UI labels come from params/labels.yaml (`render:`), see `load_labels`.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import os
import re
import tempfile
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import nbformat

from scoring.errors import CreditCountyError
from scoring.render import display, fonts, reproducible
from scoring.render.document import (
    decode_image,
    error_box,
    notebook_document,
    output_text,
    png_size_in,
    shown_outputs,
)
from scoring.render.labels import load_labels
from scoring.safeio import atomic_write_bytes

log = logging.getLogger(__name__)

HTML_PRIORITY = ["text/html", "image/png", "image/jpeg", "text/plain"]
#: GB/T 9704 page numbers, as in the Word file (label `docx_page_number`, this when it is missing).
GBT_PAGE_NUMBER = "— {page} —"
IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg"}

NotebookLike = nbformat.NotebookNode | str | os.PathLike


# ----------------------------------------------------------------------------- outputs


def read_notebook(notebook: NotebookLike) -> nbformat.NotebookNode:
    if isinstance(notebook, nbformat.NotebookNode):
        return notebook
    return nbformat.read(os.fspath(notebook), as_version=4)


def _png_width_cm(raw: bytes) -> float | None:
    """A PNG's width at matplotlib's inline default (100 dpi), from its header; None if not a PNG."""
    size = png_size_in(raw)
    return None if size is None else size[0] * 2.54


def _bundle(data: Mapping[str, Any]) -> dict[str, str] | None:
    """One display output as a bundle with a typst fragment; None when nothing is shown."""
    data = {k: output_text(v) for k, v in data.items()}
    if display.TYPST_MIME in data:
        return data
    for mime, ext in IMAGE_TYPES.items():
        if mime in data and (raw := decode_image(data[mime])) is not None:
            fragment = display.image_typst(display.figure_name(raw, ext), _png_width_cm(raw))
            return {"text/plain": data.get("text/plain", ""), mime: base64.b64encode(raw).decode("ascii"),
                    display.TYPST_MIME: fragment}
    if "text/markdown" in data:
        return display.Markdown(data["text/markdown"]).mimebundle()
    if "text/plain" in data:
        plain = data["text/plain"]
        fragment = f"#block(width: 100%, text(size: 8pt, raw({display.typst_str(plain)}, block: true)))\n"
        out = {"text/plain": plain, display.TYPST_MIME: fragment}
        if "text/html" in data:
            out["text/html"] = data["text/html"]
        return out
    return None


def report_outputs(notebook: NotebookLike, labels: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    """The bundles a report shows, in order (see the module's docstring for the rules)."""
    nb = read_notebook(notebook)
    labels = labels or load_labels()
    out: list[dict[str, str]] = []
    for output in shown_outputs(nb):
        if output.get("output_type") == "error":
            out.append(error_box(output, labels).mimebundle())
        elif (bundle := _bundle(output.get("data", {}))) is not None:
            out.append(bundle)
    return out


def _images(bundles: list[dict[str, str]]) -> dict[str, bytes]:
    """File name → bytes of every picture the typst fragments may reference."""
    files = {}
    for bundle in bundles:
        for mime, ext in IMAGE_TYPES.items():
            if mime in bundle and (raw := decode_image(bundle[mime])) is not None:
                files[display.figure_name(raw, ext)] = raw
    return files


# ----------------------------------------------------------------------------- HTML


def _template(name: str) -> str:
    return resources.files("scoring.render").joinpath("templates", name).read_text(encoding="utf-8")


@cache
def _html_exporter() -> Any:
    from nbconvert import HTMLExporter

    folder = Path(str(resources.files("scoring.render").joinpath("templates")))
    exporter = HTMLExporter(extra_template_paths=[str(folder)], template_file="report.html.j2",
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            exclude_markdown=True, exclude_raw=True, exclude_unknown=True, anchor_link_text="")
    exporter.display_data_priority = HTML_PRIORITY
    return exporter


def _own_title(notebook: NotebookLike, labels: Mapping[str, str]) -> str:
    """The title a document shows itself (a 公文's DocTitle), for the page's <title> when it has no title block."""
    titles = notebook_document(read_notebook(notebook), labels).of_type("title")
    return str(titles[0].get("text", "")) if titles else ""


def html_document(notebook: NotebookLike, *, title: str, subtitle: str = "", synthetic: bool = False,
                  labels: Mapping[str, str] | None = None) -> str:
    """The HTML page as text (see render_html)."""
    labels = labels or load_labels()
    bundles = report_outputs(notebook, labels)
    outputs = [nbformat.v4.new_output("display_data", data={k: v for k, v in b.items() if k in HTML_PRIORITY})
               for b in bundles]
    page = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("", outputs=outputs)])
    page.cells[0]["id"] = "report"
    report = {"title": title, "subtitle": subtitle, "synthetic": synthetic, "css": _template("report.css"),
              "doc_title": " · ".join(x for x in (title, subtitle) if x) or _own_title(notebook, labels),
              "synthetic_header": labels["synthetic_header"], "watermark": labels["watermark"]}
    body, _ = _html_exporter().from_notebook_node(page, resources={"report": report})
    return body


def render_html(notebook: NotebookLike, out: str | os.PathLike, *, title: str, subtitle: str = "",
                synthetic: bool = False, labels: Mapping[str, str] | None = None) -> Path:
    """Write the executed `notebook` (node or .ipynb path) as one self-contained HTML page, atomically.

    Title block from `title`/`subtitle` (none when both are empty); `synthetic` adds a header line
    and a faint watermark. The page reflows down to 400 px wide: wide tables scroll inside their
    own box, pictures shrink.
    """
    text = html_document(notebook, title=title, subtitle=subtitle, synthetic=synthetic, labels=labels)
    return atomic_write_bytes(out, text.encode("utf-8"))


# ----------------------------------------------------------------------------- PDF


def typst_body(bundles: list[dict[str, str]]) -> str:
    """The typst markup of the report body: the outputs' fragments, one block apart."""
    return "\n".join(b[display.TYPST_MIME] for b in bundles if b.get(display.TYPST_MIME))


def pdf_time(notebook: NotebookLike, date: dt.date | None = None) -> int:
    """typst's "today" for the PDF, in seconds since 1970 (UTC): $SOURCE_DATE_EPOCH when set, else
    `date`, else the end of the period the notebook's papermill parameters name — never the clock."""
    parameters = read_notebook(notebook).metadata.get("papermill", {}).get("parameters") or {}
    return reproducible.epoch_seconds(reproducible.fixed_time(date or reproducible.period_date(parameters)))


@cache
def _typst_compiler() -> Any:
    """One typst compiler a process, its fonts (fonts.typst_font_paths, no system fonts) loaded once."""
    import typst

    return typst.Compiler(font_paths=[str(p) for p in fonts.typst_font_paths()], ignore_system_fonts=True)


def pdf_bytes(notebook: NotebookLike, *, title: str, subtitle: str = "", synthetic: bool = False, footer: str = "",
              labels: Mapping[str, str] | None = None, date: dt.date | None = None) -> bytes:
    """The PDF (see render_pdf) as bytes; raises CreditCountyError when typst fails."""
    labels = labels or load_labels()
    notebook = read_notebook(notebook)
    bundles = report_outputs(notebook, labels)
    inputs = {"title": title, "subtitle": subtitle, "footer": footer, "synthetic": "true" if synthetic else "false",
              "doc_title": " · ".join(x for x in (title, subtitle) if x) or _own_title(notebook, labels),
              "watermark": labels["watermark"], "synthetic_header": labels["synthetic_header"],
              "page_number": labels.get("docx_page_number") or GBT_PAGE_NUMBER, **fonts.faces()}
    with tempfile.TemporaryDirectory(prefix="credit-county-typst-") as tmp:
        folder = Path(tmp)
        (folder / "main.typ").write_text(_template("report.typ"), encoding="utf-8")
        (folder / "body.typ").write_text(typst_body(bundles), encoding="utf-8")
        for name, raw in _images(bundles).items():
            (folder / name).write_bytes(raw)
        try:
            pdf, warnings = _typst_compiler().compile_with_warnings(
                str(folder / "main.typ"), root=str(folder), sys_inputs=inputs, timestamp=pdf_time(notebook, date))
        except Exception as exc:  # typst.TypstError: a broken fragment
            where = re.search(r"┌─ (\S+)", getattr(exc, "diagnostic", "") or "")
            at = f" (at {where.group(1)})" if where else ""
            raise CreditCountyError(f"typst could not build the PDF of {title!r}: {exc}{at}") from exc
    for warning in warnings or []:
        log.warning("typst: %s", warning)
    return pdf


def render_pdf(notebook: NotebookLike, out: str | os.PathLike, *, title: str, subtitle: str = "",
               synthetic: bool = False, footer: str = "", labels: Mapping[str, str] | None = None,
               date: dt.date | None = None) -> Path:
    """Write the executed `notebook` as an A4 PDF (GB/T 9704 page and faces, templates/report.typ), atomically.

    Title block from `title`/`subtitle` (none when both are empty: a 公文 shows its own organ line,
    number and title, display.OrganHeader …); page numbers "— N —" (odd pages right, even left),
    `footer` text opposite them; `synthetic` adds the header line and a diagonal watermark on every page.
    `date`: typst's "today" (`pdf_time`); the template writes no date into the PDF's metadata, and
    its /ID is a hash of the content: the same notebook gives the same bytes.
    """
    data = pdf_bytes(notebook, title=title, subtitle=subtitle, synthetic=synthetic, footer=footer, labels=labels,
                     date=date)
    return atomic_write_bytes(out, data)


# ----------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    """`python -m scoring.render.notebook pdf EXECUTED.ipynb OUT.pdf --title ...`: one notebook → one PDF.

    The one-shot converter an analyst calls per notebook (typst's PyPI package has no command line
    of its own); the batch renders in-process instead. Labels: `--labels FILE`, else the project's
    (found from $CREDIT_COUNTY_ROOT or upwards from the current folder), else the defaults.
    Exit status 0 on success, 1 with a message on stderr when the notebook or typst fails.
    """
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m scoring.render.notebook",
                                     description="Render an executed notebook as a report.")
    sub = parser.add_subparsers(dest="command", required=True)
    pdf = sub.add_parser("pdf", help="A4 PDF through typst (as the batch renders it)")
    pdf.add_argument("notebook", help="executed .ipynb")
    pdf.add_argument("out", help="PDF to write (atomically)")
    pdf.add_argument("--title", required=True)
    pdf.add_argument("--subtitle", default="")
    pdf.add_argument("--footer", default="")
    pdf.add_argument("--synthetic", action="store_true", help="示例数据 header line and watermark")
    pdf.add_argument("--labels", help="labels file (default: the project's params/labels.yaml)")
    args = parser.parse_args(argv)
    try:
        labels = load_labels(args.labels)
        render_pdf(args.notebook, args.out, title=args.title, subtitle=args.subtitle, synthetic=args.synthetic,
                   footer=args.footer, labels=labels)
    except CreditCountyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        for problem in exc.problems if exc.problems != [str(exc)] else []:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:  # unreadable notebook, not JSON, cannot write
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
