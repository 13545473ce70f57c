"""Correctness at scale (no timing: benchmarks/bench_scale.py times it): a 136-unit province through
the real CLI, the Excel template at 2,844 units, the tallied Monte Carlo against the kept draws."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from scoring.analysis import sensitivity
from scoring.analysis.sensitivity import model as sensitivity_model
from scoring.analysis.sensitivity.statistics import Tally
from scoring.index.spec import Unit, Units, load_index
from scoring.ingest.process import load_params
from scoring.ingest.template import build_template, workbook_bytes
from scoring.project import Project
from tests.scale_helpers import MONTHS, bench_scale
from tests.test_sensitivity import synthetic_month

ROOT = Path(__file__).resolve().parents[1]




def test_province_month_through_the_cli(province):
    """136 units (the 16 of Linyi and 120 synthetic, 3 tiers): demo-data → ingest → score with the
    CLI (tests.scale_helpers.province, shared with tests/test_bulletin_scale.py); the sensitivity
    analysis is cut to 1,000 draws and 64 × 50 Sobol rows in that copy only."""
    project = province.project
    _spec, units, _contract = load_params(project)
    assert len(units.units) == 136 and set(units.tiers) == {u.tier for u in units.units}
    metrics = pd.read_csv(project.metrics_file(MONTHS[-1]), dtype={"unit": str})
    assert set(metrics["unit"]) == set(units.codes)
    out = project.output_month(MONTHS[-1])
    assert (out / "stage.json").is_file()
    scores = pd.read_csv(out / "scores.csv", dtype={"unit": str})
    assert sorted(scores["unit"]) == sorted(units.codes) and set(scores["month"]) == {MONTHS[-1]}
    assert scores["rank"].min() == 1 and scores["rank"].max() <= 136
    tier_last, tier_size = scores.groupby("tier")["tier_rank"].max(), scores["tier"].value_counts()
    assert all(1 <= tier_last[t] <= tier_size[t] for t in tier_size.index)
    summary = pd.read_csv(out / "sensitivity.csv", dtype={"unit": str})
    assert sorted(summary["unit"]) == sorted(units.codes)
    assert summary["nominal_rank"].tolist() == scores.set_index("unit").loc[summary["unit"], "rank"].tolist()
    assert "wrote the stage tables" in province.output

def test_template_for_the_nation(tmp_path):
    """2,844 units: the unit drop-downs refer to a hidden column holding every unit's name."""
    bench_scale().make_project(tmp_path, 2844, seed=3)
    spec, units, contract = load_params(Project(tmp_path))
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes(build_template(spec, units, contract, "2019-12"))))
    names = [u.name for u in units.units]
    lists = [(ws, dv) for ws in wb.worksheets for dv in ws.data_validations.dataValidation if dv.type == "list"]
    unit_lists = [dv for _ws, dv in lists if "!" in dv.formula1]
    assert len(unit_lists) == len(contract.sources)  # every sheet's unit column
    for dv in unit_lists:
        sheet, cells = dv.formula1.split("!")
        first, last = cells.replace("$", "").split(":")
        ws = wb[sheet.strip("'")]
        assert ws.column_dimensions[first.rstrip("0123456789")].hidden
        assert [c.value for row in ws[f"{first}:{last}"] for c in row] == names
    assert wb["单位基础数据"].max_row == 1 + 2844


def test_inline_list_while_it_fits(tmp_path):
    """16 units: the drop-down stays an inline list (the template is as before)."""
    bench_scale().make_project(tmp_path, 16, seed=3)
    spec, units, contract = load_params(Project(tmp_path))
    wb = build_template(spec, units, contract, "2019-12")
    formulas = [dv.formula1 for ws in wb.worksheets for dv in ws.data_validations.dataValidation
                if dv.type == "list"]
    assert all("!" not in f for f in formulas) and any("兰山区" in f for f in formulas)


@pytest.mark.parametrize("draws", [1, 2, 7, 101])
def test_tally_quantiles_are_numpys(draws):
    rng = np.random.default_rng(draws)
    ranks = rng.integers(1, 31, size=(draws, 30)).astype(np.int32)
    tally = Tally.empty(30)
    for start in range(0, draws, 3):
        block = ranks[start:start + 3]
        tally.add(block, block > 15, np.arange(1, 31))
    ps = [0.05, 0.5, 0.95]
    for got, p in zip(tally.quantiles(ps), ps, strict=True):
        np.testing.assert_array_equal(got, np.quantile(ranks, p, axis=0, method="linear"))
    np.testing.assert_array_equal(tally.passed / tally.draws, (ranks > 15).mean(axis=0))


def test_tallied_monte_carlo_equals_the_kept_draws(monkeypatch):
    """40 units, 700 draws a family: in blocks of 64 draws without keeping them (keep_draws=False)
    and in one block keeping every draw give the same tables, exactly."""
    spec = load_index(ROOT / "params" / "index.yaml")
    units = Units(units=tuple(Unit(f"u{i:02d}", f"单位{i}", "county") for i in range(40)),
                  tiers={"county": "县"}, sha256="")
    values = synthetic_month(spec, units, seed=11)
    settings = sensitivity.load_settings(ROOT / "params" / "sensitivity.yaml")
    settings = dataclasses.replace(settings, draws=700)
    whole = sensitivity.monte_carlo(spec, units, values, settings, keep_draws=True)
    monkeypatch.setattr(sensitivity_model, "CHUNK", 64)
    assert sensitivity_model.build_model(spec, units, values, settings).chunk == 64
    tallied = sensitivity.monte_carlo(spec, units, values, settings, keep_draws=False)
    assert tallied.ranks is None and tallied.totals is None and whole.ranks.shape == (4 * 700, 40)
    for name in ("summary", "by_family", "families", "reading", "inputs", "scenarios", "nominal"):
        pd.testing.assert_frame_equal(getattr(tallied, name), getattr(whole, name), check_exact=True, obj=name)
