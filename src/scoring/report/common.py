"""Pieces every report shares: number formats, the header notes, the 附注 line, the 公文 date,
the plain rank-band sentences, creation progress."""

from __future__ import annotations

import datetime as dt
import json
import math

import pandas as pd

from scoring import engine
from scoring.hashing import sha256_bytes
from scoring.render import display
from scoring.report.context import MonthContext
from scoring.report.narrative import number
from scoring.report.text import ReportText

SHORT_HASH = 8  # characters of a hash shown in the 附注 line


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


def rank_label(value: float) -> str:
    """A rank statistic as printed: 7 for a whole rank, 7.95 for a quantile between two ranks."""
    return number(value, 2).rstrip("0").rstrip(".") if not _missing(value) else number(value, 0)


def share_text(text: ReportText, share: float) -> str:
    """A share of draws in words: 37%, 不足1% (above 0 but printing as 0%), 超过99% (below 1 but
    printing as 100%). 0 and 1 have sentences of their own (robustness_sentences)."""
    labels = text["bulletin"]["robustness"]
    shown = percent(share)
    if share > 0 and shown == percent(0.0):
        return labels["share_below"]
    if share < 1 and shown == percent(1.0):
        return labels["share_above"]
    return shown


def value_text(ctx: MonthContext, metric: str, value: float) -> str:
    """A metric's raw value as printed: a percentage (display decimals) for the units listed in
    bulletin.formats.percent_units, 是/否 for yes_no_units, else the number (whole when whole)."""
    if _missing(value):
        return "—"
    unit = ctx.spec.metric(metric).unit
    formats = ctx.text["bulletin"]["formats"]
    if unit in formats.get("percent_units", []):
        return f"{value * 100:.{ctx.decimals}f}%"
    if unit in formats.get("yes_no_units", []):
        return ctx.text["values"]["yes" if value else "no"]
    return rank_label(value) if float(value).is_integer() else number(value, ctx.decimals)


def value_with_unit(ctx: MonthContext, metric: str, value: float) -> str:
    """`value_text` followed by the metric's unit (params/index.yaml), except for percentages and 是/否."""
    shown = value_text(ctx, metric, value)
    unit = ctx.spec.metric(metric).unit
    formats = ctx.text["bulletin"]["formats"]
    plain = _missing(value) or unit in formats.get("percent_units", []) + formats.get("yes_no_units", [])
    return shown if plain else f"{shown}{unit}"


def weak_line(ctx: MonthContext) -> str:
    """The score rate under which an indicator is listed as weak (stage table city), as printed."""
    return percent(float(ctx.table("city")["weak_line"].iloc[0]))


def header(ctx: MonthContext) -> list:
    """The 示例数据 banner when the data is synthetic, and the 试算 note for a trial. Title and
    subtitle are the renderer's title block (batch.Job.title / subtitle)."""
    out: list = [display.Banner(ctx.text.fill("synthetic"))] if ctx.synthetic else []
    if ctx.trial:
        files = [ctx.trial[k]["file"] for k in ("index_file", "weights_file") if k in ctx.trial]
        files += [f"{k}={v}" for k, v in ctx.trial.get("sensitivity", {}).items()]
        out.append(display.Note(ctx.text.fill("alternative", file=" + ".join(files)), kind="warning"))
    return out


def run_id(ctx: MonthContext) -> str:
    """A short name of this set of stage tables: the hash of stage.json's table record (file,
    rows, SHA-256 of every table), so two builds with the same tables share it."""
    record = json.dumps(ctx.stage.meta["tables"], sort_keys=True, ensure_ascii=False).encode("utf-8")
    return sha256_bytes(record)[:SHORT_HASH]


def annotation(ctx: MonthContext, extra: list[tuple[str, str]] | None = None) -> str:
    """The one 附注 line: data month, run id, short hash of the processed data the month depends
    on (every month up to it); the full record stays in stage.json and provenance.json."""
    texts = ctx.text["bulletin"]["annexes"]
    data = str(ctx.stage.meta["provenance"].get("history_sha256") or "")[:SHORT_HASH]
    line = ctx.text.fill("bulletin.annexes.annotation", month_label=ctx.text.month_label(ctx.month), run=run_id(ctx),
                         data=data, synthetic=texts["synthetic"] if ctx.synthetic else "")
    for key, value in extra or []:
        line += f"（{key} {value}）"
    return line


def provenance_section(ctx: MonthContext, extra: list[tuple[str, str]] | None = None) -> list:
    """Where the numbers come from, in one line (`annotation`); `extra`: (label, value) pairs added to it."""
    return [display.Annotation(annotation(ctx, extra))]


def issue_date(ctx: MonthContext) -> dt.date:
    """The bulletin's 成文日期: bulletin.office.issue_dates[month], else day issue_day of the
    month after the data month — never the clock."""
    office = ctx.text["bulletin"]["office"]
    given = office.get("issue_dates", {}).get(ctx.month)
    if given is not None:
        return given if isinstance(given, dt.date) else dt.date.fromisoformat(str(given))
    year, month = map(int, ctx.month.split("-"))
    return dt.date(year + month // 12, month % 12 + 1, int(office.get("issue_day", 10)))


def date_text(text: ReportText, date: dt.date) -> str:
    """2020年1月10日: the year in full, no leading zeros (GB/T 9704)."""
    return text.fill("bulletin.office.date", year=date.year, month=date.month, day=date.day)


def numbered(text: ReportText, level: int, n: int, title: str) -> str:
    """一、title (level 1) or （一）title (level 2): the 公文's section numbers, n from 1."""
    numerals = text["bulletin"]["headings"]["numerals"]
    return text.fill(f"bulletin.headings.level{level}", n=numerals[n - 1], title=title)


def varied_text(ctx: MonthContext) -> str:
    """What the sensitivity analysis varies, in words (the weight range from stage.json)."""
    settings = ctx.stage.meta.get("sensitivity") or {}
    return ctx.text.fill("bulletin.robustness.varied", range=percent(settings.get("weight_range", float("nan"))))


def robustness_sentences(ctx: MonthContext, unit: str, name: str | None = None) -> list[str]:
    """The unit's rank band and 达标 share (stage table sensitivity), one plain sentence each."""
    row = ctx.table("sensitivity").set_index("unit").loc[unit]
    name = name or ctx.unit_name(unit)
    low, high, varied = rank_label(row["rank_p05"]), rank_label(row["rank_p95"]), varied_text(ctx)
    key = "stable" if low == high else "band"
    out = [ctx.text.fill(f"bulletin.robustness.{key}", varied=varied, name=name, low=low, high=high)]
    p = float(row["pass_probability"])
    key = "pass_always" if p >= 1 else "pass_never" if p <= 0 else "pass_share"
    out.append(ctx.text.fill(f"bulletin.robustness.{key}", name=name, share=share_text(ctx.text, p)))
    return out


def progress_section(ctx: MonthContext, unit: str | None = None, title: str | None = None, level: int = 2) -> list:
    """Creation progress (全面创建阶段 only, stage table `progress`): points still needed, months
    left, and a straight-line projection to the acceptance month — stated as a projection."""
    from scoring.analysis.acceptance_rules import load_rules

    table = ctx.table("progress")
    if not len(table):
        return []
    rules = load_rules(ctx.project.params / "review.yaml", ctx.spec)
    p, d = ctx.text["review"]["progress"], ctx.decimals
    first, acceptance = rules.creation_months[0], rules.acceptance_month
    out = [display.Heading(title or p["title"], level=level)]
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
