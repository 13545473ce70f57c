"""Matplotlib figures for the reports, with the CJK fonts set up once (scoring.render.fonts).

Each function takes plain tables and the chart labels from `params/report.yaml`
(`ReportText["charts"]`) and returns a Figure; the caller shows it (display.Figure).

Print rules: every figure is at most `WIDTH_IN` wide (the 156 mm text width of the GB/T 9704
page), so it prints at its own size and no text on it is smaller than `MIN_PT` (8 pt); heights
grow with the number of units (none is assumed). Colours survive black-and-white printing: one
blue hue plus greys, a single-hue sequential colour map, filled against hollow markers, hatching,
dashed lines, and every value that matters printed as a number.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from scoring.render import fonts

PALETTE = {"mine": "#1f4e8c", "median": "#8c96a0", "full": "#e3e7eb", "pass": "#202020", "good": "#1f4e8c",
           "light": "#c9d6e8", "last_year": "#7f9fcc"}
#: Widest figure (inches): the text width of the A4 page with GB/T 9704 margins (156 mm).
WIDTH_IN = 156 / 25.4
#: Smallest text on a figure (points, at its printed size); tick labels and values use it.
MIN_PT = 8.0
TITLE_PT = 10.5
LABEL_PT = 9.0
#: Tallest figure (inches): it must fit on one page with its heading (the text height is 225 mm).
MAX_HEIGHT_IN = 8.2
#: The heat map's colour map: one hue, light (0%) to dark (100%); reads in grey as well.
HEATMAP_CMAP = "Blues"
#: The most units a chart names row by row (8 pt labels within MAX_HEIGHT_IN). Beyond it the heat map
#: shows the first and last ROWS_MAX // 2 by rank and the distribution becomes a histogram.
ROWS_MAX = 28
#: Width (points of the total) of a histogram bar.
HISTOGRAM_BIN = 5.0


def _figure(height: float, width: float = WIDTH_IN) -> tuple[Figure, plt.Axes]:
    fonts.setup_matplotlib()
    fig, ax = plt.subplots(figsize=(min(width, WIDTH_IN), height), dpi=110, layout="constrained")
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=LABEL_PT)
    return fig, ax


def _rows_height(rows: int, per_row: float, extra: float) -> float:
    """A figure's height (inches) for `rows` rows of `per_row` inches plus `extra`, at most MAX_HEIGHT_IN."""
    return min(per_row * rows + extra, MAX_HEIGHT_IN)


def _wrap(text: str, width: int) -> str:
    """Break a CJK label into lines of at most `width` characters, of even length (CJK labels have
    no spaces to break at)."""
    lines = max(1, -(-len(text) // width))
    per = -(-len(text) // lines)
    return "\n".join(text[i:i + per] for i in range(0, len(text), per)) or text


def category_bars(profile: pd.DataFrame, names: list[str], labels: dict[str, str]) -> Figure:
    """Horizontal bars per category: full marks (light background), the unit (dark), the city
    median (grey, hatched); the unit's points are printed at the end of each row.
    `profile`: analysis.category_profile (points, max_points, city_median)."""
    fig, ax = _figure(_rows_height(len(profile), 0.5, 1.3))
    y = np.arange(len(profile))[::-1]
    ax.barh(y, profile["max_points"], color=PALETTE["full"], height=0.8, label=labels["categories_full"])
    ax.barh(y + 0.17, profile["points"], color=PALETTE["mine"], height=0.34, label=labels["categories_mine"])
    ax.barh(y - 0.17, profile["city_median"], color="white", edgecolor=PALETTE["median"], hatch="////",
            height=0.34, linewidth=0.6, label=labels["categories_median"])
    for yi, pts, full in zip(y, profile["points"], profile["max_points"], strict=True):
        ax.text(full, yi, f" {pts:.1f}/{full:g}", va="center", fontsize=MIN_PT)
    ax.set_yticks(y, [_wrap(n, 9) for n in names], fontsize=LABEL_PT)
    ax.set_xlabel(labels["points_unit"], fontsize=LABEL_PT)
    ax.set_xlim(0, profile["max_points"].max() * 1.22)
    ax.set_title(labels["categories_title"], fontsize=TITLE_PT)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, fontsize=MIN_PT, frameon=False)
    return fig


def trend_chart(trend: pd.DataFrame, pass_line: float, month_labels: list[str], labels: dict[str, str],
                n_units: int | None = None, last_year: Sequence[float] | None = None) -> Figure:
    """Total per month (left axis, solid line with values printed, dashed pass line) and rank
    (right axis, dotted with squares, 1 at the top). `n_units`: the rank axis' length (default:
    the worst rank in `trend`, at least 16 is not assumed). `last_year`: the totals of the same
    months a year before (NaN where not scored), a thin grey line without values."""
    fig, ax = _figure(3.3)
    x = np.arange(len(trend))
    before = np.asarray(last_year if last_year is not None else [], dtype=float)
    ax.plot(x, trend["total"], marker="o", color=PALETTE["mine"], label=labels["trend_total"])
    if np.isfinite(before).any():  # under this year's line (zorder), after it in the legend
        ax.plot(x, before, marker="^", markersize=4, color=PALETTE["last_year"], linewidth=1, linestyle="-.",
                zorder=1.5, label=labels["trend_last_year"])
    for xi, v in zip(x, trend["total"], strict=True):
        ax.annotate(f"{v:.1f}", (xi, v), textcoords="offset points", xytext=(0, 5), ha="center",
                    fontsize=MIN_PT, color=PALETTE["mine"])
    ax.axhline(pass_line, color=PALETTE["pass"], linestyle="--", linewidth=1, label=labels["trend_pass_line"])
    ax.set_ylabel(labels["trend_total"], fontsize=LABEL_PT)
    ax.set_xticks(x, month_labels, fontsize=MIN_PT)
    shown = [*trend["total"], *before[np.isfinite(before)], pass_line]
    low, high = min(shown), max(shown)
    ax.set_ylim(low - 6, high + 8)
    ax2 = ax.twinx()
    ax2.plot(x, trend["rank"], marker="s", markerfacecolor="white", color=PALETTE["median"], linestyle=":",
             label=labels["trend_rank"])
    ax2.set_ylabel(labels["trend_rank"], fontsize=LABEL_PT)
    worst = int(max(n_units or 0, trend["rank"].max()))
    ax2.set_ylim(worst + 0.5, 0.5)
    ax2.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True, nbins=6))
    ax2.tick_params(labelsize=LABEL_PT)
    ax2.spines[["top"]].set_visible(False)
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=MIN_PT, frameon=False,
              ncol=len(handles))
    ax.set_title(labels["trend_title"], fontsize=TITLE_PT)
    return fig


def heatmap(fractions: pd.DataFrame, unit_names: list[str], category_names: list[str],
            labels: dict[str, str], ranks: Sequence[int] | None = None) -> Figure:
    """Units × categories, shade = fraction of the category's points (light 0% → dark 100%, one
    hue), the percentage printed in each cell. Rows top to bottom in the order given, or by
    `ranks` (1 at the top, the rank printed before the name) when given."""
    data = fractions.to_numpy(dtype=float)
    names = list(unit_names)
    if ranks is not None:
        order = np.argsort(np.asarray(ranks, dtype=float), kind="stable")
        data = data[order]
        names = [f"{int(ranks[i])} {unit_names[i]}" for i in order]
    if len(names) > ROWS_MAX:  # the first and the last units, a marked gap between them
        keep = ROWS_MAX // 2
        gap = np.full((1, data.shape[1]), np.nan)
        data = np.vstack([data[:keep], gap, data[-keep:]])
        names = [*names[:keep], labels["heatmap_gap"].format(n=len(names) - 2 * keep), *names[-keep:]]
    fig, ax = _figure(_rows_height(len(names), 0.27, 1.5))
    image = ax.imshow(data, cmap=HEATMAP_CMAP, vmin=0, vmax=1, aspect="auto")
    ax.xaxis.tick_top()
    ax.set_xticks(range(len(category_names)), [_wrap(c, 6) for c in category_names], fontsize=MIN_PT)
    ax.set_yticks(range(len(names)), names, fontsize=MIN_PT)
    ax.tick_params(length=0)
    cmap = matplotlib.colormaps[HEATMAP_CMAP]
    for (i, j), value in np.ndenumerate(data):
        if not np.isnan(value):
            shade = np.dot(cmap(value)[:3], [0.299, 0.587, 0.114])
            ax.text(j, i, f"{value:.0%}", ha="center", va="center", fontsize=MIN_PT,
                    color="white" if shade < 0.5 else "black")
    bar = fig.colorbar(image, ax=ax, shrink=0.6, aspect=30, pad=0.02,
                       format=matplotlib.ticker.PercentFormatter(1.0))
    bar.ax.tick_params(labelsize=MIN_PT)
    ax.set_title(labels["heatmap_title"], fontsize=TITLE_PT)
    ax.spines[:].set_visible(False)
    return fig


def distribution(totals: pd.Series, names: list[str], pass_line: float, labels: dict[str, str]) -> Figure:
    """Each unit's total as a dot on its own row (highest at the top), the total printed beside
    it, the pass line dashed; units at or above the line filled, those below hollow."""
    values = totals.to_numpy(dtype=float)
    if len(values) > ROWS_MAX:
        return histogram(values, pass_line, labels)
    order = np.argsort(-values, kind="stable")
    fig, ax = _figure(_rows_height(len(values), 0.24, 1.2))
    y = np.arange(len(order))[::-1]
    v = values[order]
    above = v >= pass_line
    ax.hlines(y, min(v.min(), pass_line) - 5, v, color=PALETTE["full"], linewidth=1, zorder=1)
    ax.scatter(v[above], y[above], color=PALETTE["mine"], zorder=3, s=28, label=labels["distribution_pass"])
    ax.scatter(v[~above], y[~above], facecolor="white", edgecolor=PALETTE["mine"], zorder=3, s=28,
               label=labels["distribution_fail"])
    for vi, yi in zip(v, y, strict=True):
        ax.annotate(f"{vi:.2f}", (vi, yi), textcoords="offset points", xytext=(6, 0), va="center",
                    fontsize=MIN_PT, bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.4}, zorder=4)
    ax.axvline(pass_line, color=PALETTE["pass"], linestyle="--", linewidth=1, label=labels["trend_pass_line"])
    ax.set_yticks(y, [names[i] for i in order], fontsize=MIN_PT)
    ax.set_ylim(-0.7, len(order) - 0.3)
    ax.set_xlim(min(v.min(), pass_line) - 5, max(v.max(), pass_line) + 12)
    ax.set_xlabel(labels["distribution_x"], fontsize=LABEL_PT)
    ax.set_title(labels["distribution_title"], fontsize=TITLE_PT)
    ax.legend(loc="lower right", fontsize=MIN_PT, frameon=True, framealpha=1, edgecolor="white")
    ax.spines[["left"]].set_visible(False)
    ax.tick_params(axis="y", length=0)
    return fig


def histogram(values: np.ndarray, pass_line: float, labels: dict[str, str]) -> Figure:
    """The totals of many units as bars of HISTOGRAM_BIN points (bins aligned on the pass line), the
    count printed on each bar; bars at or above the line filled, those below hatched; the line dashed."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)] if np.isnan(values).any() else values
    lowest, highest = min(values.min(initial=pass_line), pass_line), max(values.max(initial=pass_line), pass_line)
    low = pass_line - HISTOGRAM_BIN * np.ceil((pass_line - lowest) / HISTOGRAM_BIN)
    high = highest + HISTOGRAM_BIN
    edges = np.arange(low, high + HISTOGRAM_BIN / 2, HISTOGRAM_BIN)
    counts, edges = np.histogram(values, bins=edges)
    fig, ax = _figure(3.6)
    for left, count in zip(edges[:-1], counts, strict=True):
        above = left >= pass_line
        ax.bar(left, count, width=HISTOGRAM_BIN, align="edge", edgecolor=PALETTE["mine"], linewidth=0.8,
               color=PALETTE["mine"] if above else "white", hatch=None if above else "///")
        if count:
            ax.annotate(f"{count:d}", (left + HISTOGRAM_BIN / 2, count), textcoords="offset points", xytext=(0, 2),
                        ha="center", va="bottom", fontsize=MIN_PT)
    ax.axvline(pass_line, color=PALETTE["pass"], linestyle="--", linewidth=1)
    handles = [Patch(facecolor=PALETTE["mine"], edgecolor=PALETTE["mine"],
                                        label=labels["distribution_pass"]),
               Patch(facecolor="white", edgecolor=PALETTE["mine"], hatch="///",
                                        label=labels["distribution_fail"]),
               Line2D([], [], color=PALETTE["pass"], linestyle="--", label=labels["trend_pass_line"])]
    ax.legend(handles=handles, loc="upper left", fontsize=MIN_PT, frameon=False)
    ax.set_xlabel(labels["distribution_x"], fontsize=LABEL_PT)
    ax.set_ylabel(labels["distribution_y"], fontsize=LABEL_PT)
    ax.set_ylim(0, max(counts.max(initial=0), 1) * 1.15)
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_title(labels["distribution_title"], fontsize=TITLE_PT)
    return fig


def rank_intervals(summary: pd.DataFrame, names: list[str], labels: dict[str, str]) -> Figure:
    """Per unit (ordered by nominal rank): the 5–95% rank band (grey bar), the median rank (dot)
    and the nominal rank (cross)."""
    fig, ax = _figure(_rows_height(len(summary), 0.27, 1.4))
    order = summary.reset_index(drop=True).sort_values(["nominal_rank", "unit"]).index
    y = np.arange(len(order))[::-1]
    s = summary.reset_index(drop=True).loc[order]
    ax.hlines(y, s["rank_p05"] - 0.3, s["rank_p95"] + 0.3, color=PALETTE["light"], linewidth=7,
              label=labels["band"])
    ax.scatter(s["median_rank"], y, color=PALETTE["mine"], zorder=3, s=22, label=labels["median"])
    ax.scatter(s["nominal_rank"], y, marker="x", color=PALETTE["pass"], zorder=4, s=28, label=labels["nominal"])
    ax.set_yticks(y, [names[i] for i in order], fontsize=MIN_PT)
    ax.set_xlim(0.5, len(summary) + 0.5)
    ax.set_xticks(range(1, len(summary) + 1))
    ax.tick_params(axis="x", labelsize=MIN_PT)
    ax.grid(axis="x", color=PALETTE["full"], linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_xlabel(labels["rank_axis"], fontsize=LABEL_PT)
    ax.set_title(labels["intervals_title"], fontsize=TITLE_PT)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, fontsize=MIN_PT, frameon=False)
    return fig


def sobol_bars(indices: pd.DataFrame, factor_names: list[str], labels: dict[str, str]) -> Figure:
    """Mean first-order (S1, grey hatched) and total-effect (ST, dark) index per factor, values
    printed, over the units whose rank varies."""
    fig, ax = _figure(3.2)
    x = np.arange(len(indices))
    s1 = ax.bar(x - 0.2, indices["S1"], width=0.4, color="white", edgecolor=PALETTE["median"], hatch="////",
                linewidth=0.6, label=labels["s1"])
    st = ax.bar(x + 0.2, indices["ST"], width=0.4, color=PALETTE["mine"], label=labels["st"])
    for bars in (s1, st):
        ax.bar_label(bars, fmt="%.2f", fontsize=MIN_PT, padding=1)
    ax.set_xticks(x, [_wrap(n, 6) for n in factor_names], fontsize=MIN_PT)
    top = float(np.nanmax(indices[["S1", "ST"]].to_numpy(dtype=float), initial=0))
    ax.set_ylim(0, max(1.0, top * 1.15))
    ax.set_title(labels["sobol_title"], fontsize=TITLE_PT)
    ax.legend(fontsize=MIN_PT, frameon=False)
    return fig
