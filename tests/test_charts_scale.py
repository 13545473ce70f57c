"""Charts stay legible whatever the number of units (issue 13): beyond ROWS_MAX units the heat map
names the first and last units by rank with a marked gap, the distribution becomes a histogram."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoring.report import charts
from scoring.report.text import load_report_text
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def labels() -> dict[str, str]:
    return load_report_text(ROOT / "params" / "report.yaml")["charts"]


def _units(n: int, seed: int = 7) -> tuple[pd.DataFrame, list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    fractions = pd.DataFrame(rng.uniform(0, 1, (n, 6)), columns=[f"c{i}" for i in range(1, 7)])
    return fractions, [f"县区{i:04d}" for i in range(n)], rng.uniform(40, 150, n)


def _label_sizes(fig) -> list[float]:
    return [t.get_fontsize() for ax in fig.axes for t in ax.texts + ax.get_yticklabels() + ax.get_xticklabels()]


@pytest.mark.parametrize("n", [16, 136, 2844])
def test_heatmap_names_at_most_rows_max_units_by_rank_with_the_gap_marked(labels, n):
    fractions, names, totals = _units(n)
    ranks = pd.Series(-totals).rank(method="first").astype(int).tolist()
    fig = charts.heatmap(fractions, names, [f"类别{i}" for i in range(6)], labels, ranks=ranks)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert fig.get_size_inches()[1] <= charts.MAX_HEIGHT_IN and min(_label_sizes(fig)) >= charts.MIN_PT
    if n <= charts.ROWS_MAX:
        assert len(ticks) == n
    else:
        keep = charts.ROWS_MAX // 2
        assert len(ticks) == 2 * keep + 1
        assert ticks[0].startswith("1 ") and ticks[-1].startswith(f"{n} ")  # best at the top, worst at the bottom
        assert ticks[keep] == labels["heatmap_gap"].format(n=n - 2 * keep)
    charts.plt.close(fig)


@pytest.mark.parametrize("n", [136, 2844])
def test_distribution_of_many_units_is_a_histogram_counting_every_unit(labels, n):
    _, names, totals = _units(n)
    fig = charts.distribution(pd.Series(totals), names, 120.0, labels)
    ax = fig.axes[0]
    counts = [int(t.get_text()) for t in ax.texts]
    assert sum(counts) == n  # every unit in exactly one bar, the counts printed
    assert not [t for t in ax.get_yticklabels() if t.get_text().startswith("县区")]  # no row per unit
    assert {round(p.get_width(), 6) for p in ax.patches} == {charts.HISTOGRAM_BIN}
    edges = sorted(p.get_x() for p in ax.patches)
    assert any(abs(e - 120.0) < 1e-9 for e in edges)  # a bar starts at the pass line: 达标 bars are not mixed
    charts.plt.close(fig)


def test_a_city_of_sixteen_keeps_one_row_per_unit(labels):
    _, names, totals = _units(16)
    fig = charts.distribution(pd.Series(totals), names, 120.0, labels)
    assert len(fig.axes[0].get_yticklabels()) == 16
    charts.plt.close(fig)
