"""Small inline SVG charts for the site: bars (a count per month) and a line (a unit's total per month).

No script, no picture files: the SVG is part of the page, its text in the page's fonts. The values
drawn and printed are the ones given (from the stage tables, formatted by the caller); only the
positions are computed here. One slot per month, SLOT units wide for up to a year and narrower (down
to MIN_SLOT, month labels then on every other month) for two, so that at a phone's width (about 370 px
of text) the chart is drawn at full size; a longer run scrolls inside its box, which opens on the
latest months (the box is laid out right to left, the chart inside it left to right).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from scoring.render.display.markup import html_escape
from scoring.site.layout import attr

SLOT, MIN_SLOT = 26, 14  # viewBox units per month
LABEL_UNITS = 24  # viewBox units a month label needs
LEFT, RIGHT, TOP, BOTTOM = 30, 10, 18, 34
CHART_HEIGHT = 170
FIT_UNITS = 360  # viewBox units the slots aim at (a phone's text width)
SCROLL_AT = 400  # a wider viewBox keeps its size (1 unit = 1 px) and scrolls in its box


def slot_width(months: int) -> float:
    """viewBox units per month: SLOT for up to a year, then narrower down to MIN_SLOT."""
    return max(MIN_SLOT, min(SLOT, (FIT_UNITS - LEFT - RIGHT) / max(months, 1)))


def _frame(width: float, label: str, body: str) -> str:
    style = f' style="min-width:{width:.0f}px"' if width > SCROLL_AT else ""
    scrolls = " scrolls" if width > SCROLL_AT else ""
    return (f'<div class="table-wrap chart{scrolls}"><svg xmlns="http://www.w3.org/2000/svg" role="img" '
            f'viewBox="0 0 {width:.0f} {CHART_HEIGHT}" width="{width:.0f}" height="{CHART_HEIGHT}" '
            f'aria-label="{attr(label)}"{style}><title>{html_escape(label)}</title>{body}</svg></div>')


def _x_axis(ticks: Sequence[str], groups: Sequence[str], slot: float) -> str:
    """Month labels under the slots (every `step`-th where they would touch), and a group label (the
    year) under the first month of each group."""
    base = CHART_HEIGHT - BOTTOM
    out = [f'<line class="axis" x1="{LEFT}" y1="{base}" x2="{LEFT + slot * len(ticks):.1f}" y2="{base}"/>']
    step = math.ceil(LABEL_UNITS / slot)
    for i, tick in enumerate(ticks):
        x = LEFT + slot * (i + 0.5)
        if i % step == 0:
            out.append(f'<text class="tick" x="{x:.1f}" y="{base + 13}" text-anchor="middle">'
                       f'{html_escape(tick)}</text>')
        if groups[i] and (i == 0 or groups[i] != groups[i - 1]):
            out.append(f'<text class="group" x="{LEFT + slot * i:.1f}" y="{base + 28}">{html_escape(groups[i])}</text>')
    return "".join(out)


def _scale(low: float, high: float) -> tuple[float, float]:
    span = high - low or 1.0
    return low, (CHART_HEIGHT - TOP - BOTTOM) / span


def bar_chart(label: str, ticks: Sequence[str], groups: Sequence[str], values: Sequence[int],
              value_labels: Sequence[str], top: float) -> str:
    """One bar per month (`ticks`), its value printed above it (`value_labels`); the axis from 0 to `top`."""
    slot = slot_width(len(ticks))
    width = LEFT + slot * len(ticks) + RIGHT
    low, unit = _scale(0.0, max(top, *values, 1))
    base = CHART_HEIGHT - BOTTOM
    out = [f'<text class="tick" x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end">{html_escape(f"{top:g}")}</text>',
           f'<text class="tick" x="{LEFT - 4}" y="{base}" text-anchor="end">0</text>',
           f'<line class="grid" x1="{LEFT}" y1="{TOP}" x2="{width - RIGHT}" y2="{TOP}"/>']
    for i, (value, text) in enumerate(zip(values, value_labels, strict=True)):
        h = (value - low) * unit
        x, bar = LEFT + slot * (i + 0.15), slot * 0.7
        out.append(f'<rect class="bar" x="{x:.1f}" y="{base - h:.1f}" width="{bar:.1f}" height="{h:.1f}"/>')
        out.append(f'<text class="value" x="{x + bar / 2:.1f}" y="{base - h - 3:.1f}" '
                   f'text-anchor="middle">{html_escape(text)}</text>')
    return _frame(width, label, "".join(out) + _x_axis(ticks, groups, slot))


def line_chart(label: str, ticks: Sequence[str], groups: Sequence[str], values: Sequence[float | None],
               value_labels: Sequence[str], line: float | None = None, line_label: str = "") -> str:
    """A unit's values per month as a line with dots (a missing month breaks the line), the first and
    last values printed; `line`: a dashed reference line (the pass line), `line_label` its legend under
    the chart."""
    slot = slot_width(len(ticks))
    width = LEFT + slot * len(ticks) + RIGHT
    known = [v for v in values if v is not None]
    pool = [*known, *([line] if line is not None else [])] or [0.0]
    low, high = math.floor(min(pool) / 10) * 10, math.ceil(max(pool) / 10) * 10
    low, unit = _scale(low, high if high > low else low + 10)
    base = CHART_HEIGHT - BOTTOM

    def y(v: float) -> float:
        return base - (v - low) * unit

    out = [f'<text class="tick" x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end">{high:g}</text>',
           f'<text class="tick" x="{LEFT - 4}" y="{base}" text-anchor="end">{low:g}</text>',
           f'<line class="grid" x1="{LEFT}" y1="{TOP}" x2="{width - RIGHT}" y2="{TOP}"/>']
    if line is not None:
        out.append(f'<line class="passline" x1="{LEFT}" y1="{y(line):.1f}" x2="{width - RIGHT}" y2="{y(line):.1f}"/>')
    runs: list[list[str]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            runs.append([])
            continue
        point = f"{LEFT + slot * (i + 0.5):.1f},{y(v):.1f}"
        runs[-1].append(point)
        out.append(f'<circle class="dot" cx="{LEFT + slot * (i + 0.5):.1f}" cy="{y(v):.1f}" r="2.5"/>')
    out += [f'<polyline class="line" points="{" ".join(run)}"/>' for run in runs if len(run) > 1]
    shown = [i for i, v in enumerate(values) if v is not None]
    for i in sorted({shown[0], shown[-1]}) if shown else []:
        v = values[i]
        assert v is not None
        out.append(f'<text class="value" x="{LEFT + slot * (i + 0.5):.1f}" y="{y(v) - 6:.1f}" '
                   f'text-anchor="middle">{html_escape(value_labels[i])}</text>')
    legend = ('<p class="chart-legend"><svg viewBox="0 0 24 8" width="24" height="8" aria-hidden="true">'
              f'<line class="passline" x1="0" y1="4" x2="24" y2="4"/></svg> {html_escape(line_label)}</p>'
              if line is not None and line_label else "")
    return _frame(width, label, "".join(out) + _x_axis(ticks, groups, slot)) + legend
