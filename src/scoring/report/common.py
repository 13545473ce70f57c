"""Pieces every report shares: number formats, the header notes, provenance, creation progress."""

from __future__ import annotations

import math

import pandas as pd

from scoring import engine
from scoring.render import display
from scoring.report.context import MonthContext
from scoring.report.narrative import number
from scoring.report.text import ReportText


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def arrow(text: ReportText, change: float) -> str:
    """A rank change as ▲n / ▼n / —, or the 'new' mark when there was no previous month."""
    values = text["values"]
    if _missing(change):
        return values["new"]
    if change > 0:
        return f"{values['up']}{int(change)}"
    if change < 0:
        return f"{values['down']}{int(-change)}"
    return values["same"]


def signed(value: float, decimals: int) -> str:
    """+1.25 / −0.50 / 0.00 (rounded as printed), '—' when missing."""
    if _missing(value):
        return "—"
    shown = engine.rounded(float(value), decimals)
    return f"+{shown:.{decimals}f}" if shown > 0 else f"{shown:.{decimals}f}".replace("-", "−")


def percent(value: float) -> str:
    return "—" if _missing(value) else f"{value:.0%}"


def pass_text(text: ReportText, passed: bool) -> str:
    return text["values"]["pass_yes"] if passed else text["values"]["pass_no"]


def header(ctx: MonthContext) -> list:
    """The 示例数据 banner when the data is synthetic, and the 试算 note for a trial. Title and
    subtitle are the renderer's title block (batch.Job.title / subtitle)."""
    out: list = [display.Banner(ctx.text.fill("synthetic"))] if ctx.synthetic else []
    if ctx.trial:
        files = [ctx.trial[k]["file"] for k in ("index_file", "weights_file") if k in ctx.trial]
        files += [f"{k}={v}" for k, v in ctx.trial.get("sensitivity", {}).items()]
        out.append(display.Note(ctx.text.fill("alternative", file=" + ".join(files)), kind="warning"))
    return out


def provenance_section(ctx: MonthContext, extra: list[tuple[str, str]] | None = None) -> list:
    """Where the numbers come from, as the stage recorded it (stage.json)."""
    rec = ctx.stage.meta["provenance"]
    cols, labels = ctx.text["columns"], ctx.text["provenance"]
    pairs = [(labels["input"].format(file=i["file"]),
              labels["input_value"].format(sha=str(i["sha256"])[:16], rows=i["rows"])) for i in rec["inputs"]]
    pairs += [
        (labels["metrics"], f"sha256 {str(rec['metrics_sha256'])[:16]}"),
        (labels["params"], f"sha256 {rec['params_sha256'][:16]}"),
        (labels["index"], f"{ctx.spec.version} · sha256 {ctx.stage.meta['index']['sha256'][:16]}"),
        (labels["software"], f"credit-county {rec['package_version']} · Python {rec['python']}"),
        *(extra or []),
    ]
    return [display.Heading(ctx.text["sections"]["provenance"], level=2),
            display.KeyValues(pairs, caption=f"{cols['key']} / {cols['value']}")]


def progress_section(ctx: MonthContext, unit: str | None = None) -> list:
    """Creation progress (全面创建阶段 only, stage table `progress`): points still needed, months
    left, and a straight-line projection to the acceptance month — stated as a projection."""
    from scoring.analysis.acceptance_rules import load_rules

    table = ctx.table("progress")
    if not len(table):
        return []
    rules = load_rules(ctx.project.params / "review.yaml", ctx.spec)
    p, d = ctx.text["review"]["progress"], ctx.decimals
    first, acceptance = rules.creation_months[0], rules.acceptance_month
    out = [display.Heading(p["title"], level=2)]
    if unit is not None:
        row = table.set_index("unit").loc[unit]
        key = "unit_sentence_passing" if row["needed"] <= 0 else "unit_sentence"
        out.append(display.Paragraph(p[key].format(
            first=first, acceptance=acceptance, projected=number(row["projected"], d),
            verdict=p["reachable"] if row["on_track"] else p["unreachable"],
            pass_line=number(ctx.spec.pass_line, 0),
            needed=number(row["needed"], d), months_left=int(row["months_left"]))))
        return out
    cols = ctx.text["columns"]
    ranks = ctx.table("changes")[["unit", "name", "rank"]]
    ordered = table.merge(ranks, on="unit").sort_values(["rank", "unit"])
    frame = pd.DataFrame({
        cols["unit"]: ordered["name"], cols["total"]: [number(v, d) for v in ordered["total"]],
        p["needed"]: [number(v, d) for v in ordered["needed"]], p["months_left"]: ordered["months_left"],
        p["slope"]: [signed(v, d) for v in ordered["slope"]],
        p["projected"]: [number(v, d) for v in ordered["projected"]],
        p["on_track"]: [p["reachable"] if v else p["unreachable"] for v in ordered["on_track"]],
    })
    out += [display.Paragraph(p["intro"].format(first=first, acceptance=acceptance)), display.Table(frame)]
    return out
