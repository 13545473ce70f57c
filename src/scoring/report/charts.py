"""Matplotlib figures for the reports, with the CJK fonts set up once (scoring.fonts).

Each function takes plain tables and the chart labels from `params/report.yaml`
(`ReportText["charts"]`) and returns a Figure; the caller shows it (display.Figure).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from scoring.render import fonts

PALETTE = {"mine": "#1f5fa8", "median": "#9aa5b1", "full": "#e6e9ed", "pass": "#c0392b", "good": "#2e8b57"}


def _figure(width: float = 7.5, height: float = 3.6) -> tuple[Figure, plt.Axes]:
    fonts.setup_matplotlib()
    fig, ax = plt.subplots(figsize=(width, height), dpi=110, layout="constrained")
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def category_bars(profile: pd.DataFrame, names: list[str], labels: dict[str, str]) -> Figure:
    """Horizontal bars per category: full marks (background), the unit, the city median.
    `profile`: analysis.category_profile (points, max_points, city_median)."""
    fig, ax = _figure(7.5, 0.45 * len(profile) + 1.2)
    y = np.arange(len(profile))[::-1]
    ax.barh(y, profile["max_points"], color=PALETTE["full"], height=0.8, label=labels["categories_full"])
    ax.barh(y + 0.17, profile["points"], color=PALETTE["mine"], height=0.34, label=labels["categories_mine"])
    ax.barh(y - 0.17, profile["city_median"], color=PALETTE["median"], height=0.34, label=labels["categories_median"])
    for yi, pts, full in zip(y, profile["points"], profile["max_points"], strict=True):
        ax.text(full, yi, f" {pts:.1f}/{full:g}", va="center", fontsize=8)
    ax.set_yticks(y, names)
    ax.set_xlabel(labels["points_unit"])
    ax.set_xlim(0, profile["max_points"].max() * 1.18)
    ax.set_title(labels["categories_title"], fontsize=11)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    return fig


def trend_chart(trend: pd.DataFrame, pass_line: float, month_labels: list[str], labels: dict[str, str]) -> Figure:
    """Total per month (left axis, with the pass line) and rank (right axis, 1 at the top)."""
    fig, ax = _figure(7.5, 3.2)
    x = np.arange(len(trend))
    ax.plot(x, trend["total"], marker="o", color=PALETTE["mine"], label=labels["trend_total"])
    ax.axhline(pass_line, color=PALETTE["pass"], linestyle="--", linewidth=1, label=labels["trend_pass_line"])
    ax.set_ylabel(labels["trend_total"])
    ax.set_xticks(x, month_labels, fontsize=8)
    low = min(trend["total"].min(), pass_line)
    high = max(trend["total"].max(), pass_line)
    ax.set_ylim(low - 5, high + 5)
    ax2 = ax.twinx()
    ax2.plot(x, trend["rank"], marker="s", color=PALETTE["median"], linestyle=":", label=labels["trend_rank"])
    ax2.set_ylabel(labels["trend_rank"])
    ax2.invert_yaxis()
    ax2.set_ylim(16.5, 0.5)
    ax2.spines[["top"]].set_visible(False)
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=8, frameon=False, ncol=3)
    ax.set_title(labels["trend_title"], fontsize=11)
    return fig


def heatmap(fractions: pd.DataFrame, unit_names: list[str], category_names: list[str],
            labels: dict[str, str]) -> Figure:
    """Units × categories, colour = fraction of the category's points, value printed in each cell."""
    fig, ax = _figure(7.5, 0.32 * len(fractions) + 1.4)
    data = fractions.to_numpy(dtype=float)
    image = ax.imshow(data, cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(category_names)), category_names, fontsize=8, rotation=20, ha="right")
    ax.set_yticks(range(len(unit_names)), unit_names, fontsize=8)
    for (i, j), value in np.ndenumerate(data):
        if not np.isnan(value):
            ax.text(j, i, f"{value:.0%}", ha="center", va="center", fontsize=7)
    fig.colorbar(image, ax=ax, shrink=0.8, format=matplotlib.ticker.PercentFormatter(1.0))
    ax.set_title(labels["heatmap_title"], fontsize=11)
    ax.spines[:].set_visible(False)
    return fig


def distribution(totals: pd.Series, names: list[str], pass_line: float, labels: dict[str, str]) -> Figure:
    """Each unit's total as a labelled dot on one axis, with the pass line."""
    fig, ax = _figure(7.5, 2.6)
    order = np.argsort(totals.to_numpy())
    values = totals.to_numpy()[order]
    offsets = np.tile([0.25, -0.25, 0.5, -0.5], len(values) // 4 + 1)[: len(values)]
    ax.scatter(values, offsets, color=PALETTE["mine"], zorder=3)
    for v, o, i in zip(values, offsets, order, strict=True):
        ax.annotate(names[i], (v, o), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7)
    ax.axvline(pass_line, color=PALETTE["pass"], linestyle="--", linewidth=1)
    ax.set_yticks([])
    ax.set_ylim(-1, 1)
    ax.set_xlabel(labels["distribution_x"])
    ax.set_title(labels["distribution_title"], fontsize=11)
    ax.spines[["left"]].set_visible(False)
    return fig


def rank_intervals(summary: pd.DataFrame, names: list[str], labels: dict[str, str]) -> Figure:
    """Per unit (ordered by nominal rank): the 5–95% rank band, the median rank and the nominal rank."""
    fig, ax = _figure(7.5, 0.33 * len(summary) + 1.3)
    order = summary.reset_index(drop=True).sort_values(["nominal_rank", "unit"]).index
    y = np.arange(len(order))[::-1]
    s = summary.reset_index(drop=True).loc[order]
    ax.hlines(y, s["rank_p05"], s["rank_p95"], color=PALETTE["median"], linewidth=6, label=labels["band"])
    ax.scatter(s["median_rank"], y, color=PALETTE["mine"], zorder=3, label=labels["median"])
    ax.scatter(s["nominal_rank"], y, marker="x", color=PALETTE["pass"], zorder=4, label=labels["nominal"])
    ax.set_yticks(y, [names[i] for i in order], fontsize=8)
    ax.set_xlim(0.5, len(summary) + 0.5)
    ax.set_xticks(range(1, len(summary) + 1))
    ax.set_xlabel(labels["rank_axis"])
    ax.set_title(labels["intervals_title"], fontsize=11)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, fontsize=8, frameon=False)
    return fig


def sobol_bars(indices: pd.DataFrame, factor_names: list[str], labels: dict[str, str]) -> Figure:
    """Mean first-order (S1) and total-effect (ST) index per factor, over the units whose rank varies."""
    fig, ax = _figure(7.5, 3.0)
    x = np.arange(len(indices))
    ax.bar(x - 0.2, indices["S1"], width=0.4, color=PALETTE["median"], label=labels["s1"])
    ax.bar(x + 0.2, indices["ST"], width=0.4, color=PALETTE["mine"], label=labels["st"])
    ax.set_xticks(x, factor_names, fontsize=8, rotation=15, ha="right")
    ax.set_ylim(0, max(1.0, float(np.nanmax(indices[["S1", "ST"]].to_numpy(dtype=float), initial=0)) * 1.1))
    ax.set_title(labels["sobol_title"], fontsize=11)
    ax.legend(fontsize=8, frameon=False)
    return fig
