"""Reports read the stage tables of their month and nothing else; trials run the score stage
into their own folder; a damaged stage table is refused."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from scoring import engine, report, tables
from scoring.errors import CreditCountyError, DataError
from scoring.pipeline.score import load_spec, read_metrics_history, score_stage

from .conftest import DEMO_MONTH, copy_project

REPORTS = {
    report.UnitReport: ["header", "key_figures", "narrative", "categories", "strengths_weaknesses", "trend",
                        "indicator_table", "metric_table", "problem_list", "progress", "movement_list", "provenance"],
    report.CityReport: ["header", "masthead", "title", "addressees", "overview", "ranking", "problems", "next_steps",
                        "annex_list", "signature", "provenance", "annex_ranking", "distribution", "annex_indicators",
                        "heatmap", "annex_robustness", "imprint"],
    report.SensitivityReport: ["header", "narrative", "intervals", "sobol_chart", "scenarios", "remove_one_table",
                               "provenance"],
}


def html_of(sections: list) -> str:
    return "".join(obj.html() for obj in sections)


@pytest.fixture(scope="module")
def stage_only(demo_project, tmp_path_factory):
    """A project that holds the params and one month's stage folder — and no data at all."""
    project = copy_project(tmp_path_factory.mktemp("stage-only"))
    folder = project.outputs / DEMO_MONTH
    score_stage(demo_project, DEMO_MONTH, folder)
    return project, folder


def test_every_report_builds_from_the_stage_folder_alone(stage_only):
    project, folder = stage_only
    assert not any(project.processed.iterdir()) and not any(project.raw.iterdir())
    ctx = report.load(DEMO_MONTH, folder, project.root)
    for cls, sections in REPORTS.items():
        built = cls(ctx, "lanshan") if cls is report.UnitReport else cls(ctx)
        for name in sections:
            assert isinstance(getattr(built, name)(), list), name


def test_stage_tables_hold_the_engine_numbers_at_full_precision(demo_project, stage_only):
    """An independent re-computation (engine on data/processed) equals the files bit for bit."""
    _project, folder = stage_only
    params = load_spec(demo_project)
    points = engine.score(*params, read_metrics_history(demo_project, DEMO_MONTH, params))
    mine = points[points["month"] == DEMO_MONTH].reset_index(drop=True)
    written = tables.StageFolder(folder).table("points")
    for col in ("raw_value", "fraction", "points", "max_points"):
        assert np.array_equal(written[col].to_numpy(), mine[col].to_numpy(), equal_nan=True), col
    summary = engine.summarise(*params, points)
    history = tables.StageFolder(folder).table("history")
    assert np.array_equal(history["total"].to_numpy(), summary["total"].to_numpy())
    assert history["total_rounded"].tolist() == [float(f"{x:.2f}") for x in summary["total"]]


def test_a_changed_or_missing_stage_table_is_refused(stage_only, tmp_path):
    _project, folder = stage_only
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    path = copy / "scores.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("lanshan", "lanshan ", 1), encoding="utf-8")
    with pytest.raises(DataError, match="changed since the score stage wrote it"):
        tables.StageFolder(copy).table("scores")
    (copy / "stage.json").unlink()
    with pytest.raises(DataError, match=r"stage\.json is missing"):
        tables.StageFolder(copy)


def test_a_stage_of_another_month_is_refused(stage_only):
    project, folder = stage_only
    with pytest.raises(CreditCountyError, match="for 2019-12, not 2019-11"):
        report.load("2019-11", folder, project.root)


def test_a_trial_runs_the_score_stage_into_its_own_folder_and_says_so(demo_project, tmp_path):
    project = copy_project(tmp_path / "t")
    shutil.copytree(demo_project.raw, project.raw, dirs_exist_ok=True)
    shutil.copytree(demo_project.processed, project.processed, dirs_exist_ok=True)
    weights = tmp_path / "w.yaml"
    weights.write_text("c1.i6: 42\n", encoding="utf-8")
    trial = report.load(DEMO_MONTH, root=project.root, weights_file=str(weights), draws=64)
    assert trial.stage.folder.parent == project.outputs / "trials"
    assert not project.output_month(DEMO_MONTH).exists()  # the published month is not touched
    assert "试算" in html_of(report.CityReport(trial).header())
    assert trial.stage.meta["sensitivity"]["draws"] == 64
    assert trial.spec.node("c1.i6").points == pytest.approx(42 * 85 / (85 - 21 + 42))
    again = report.load(DEMO_MONTH, root=project.root, weights_file=str(weights), draws=64)
    assert again.stage.folder == trial.stage.folder  # current: reused, not recomputed
    score_stage(project, DEMO_MONTH, project.output_month(DEMO_MONTH))
    plain = report.load(DEMO_MONTH, root=project.root)
    assert "试算" not in html_of(report.CityReport(plain).header())
    moved = trial.table("scores").set_index("unit")["total"] - plain.table("scores").set_index("unit")["total"]
    assert moved.abs().max() > 0.01
    with pytest.raises(CreditCountyError, match="not both"):
        report.load(DEMO_MONTH, project.output_month(DEMO_MONTH), project.root, weights_file=str(weights))


def test_round_trip_of_floats_and_text_through_a_stage_table(tmp_path):
    values = np.random.default_rng(7).random(5000) * 150
    frame = pd.DataFrame({"unit": ["=1+1"] + ["u"] * 4999, "side": "strength", "position": 1,
                          "code": ["-x"] * 5000})
    categories = pd.DataFrame({"unit": "u", "code": "c1", "points": values, "max_points": 85.0,
                               "fraction": values / 150, "city_median": np.nan, "city_max": values[::-1]})
    tables.write_tables(tmp_path, {"strengths": frame, "categories": categories}, {})
    back = tables.StageFolder(tmp_path)
    assert back.table("strengths")["unit"].iloc[0] == "=1+1" and back.table("strengths")["code"].iloc[0] == "-x"
    assert "'=1+1" in (tmp_path / "strengths.csv").read_text(encoding="utf-8")  # inert in a spreadsheet
    read = back.table("categories")
    for col in ("points", "fraction", "city_max"):
        assert np.array_equal(read[col].to_numpy(), categories[col].to_numpy()), col  # bit for bit
    assert read["city_median"].isna().all()
    record = json.loads((tmp_path / "stage.json").read_text(encoding="utf-8"))
    assert set(record["tables"]) == {"strengths", "categories"}
