"""Recorded weight sets: every set scored as the engine scores the weights file with the same numbers
(replayed one by one through `alternative_weights` + `engine.score`, and all at once through the
month model: the same totals to 1e-9), the same statistics as the Monte Carlo, every problem of a
bad file listed, and `credit-county sensitivity` writing its own folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from scoring import engine, tables
from scoring.analysis import sensitivity
from scoring.errors import DataError
from scoring.index.weights import alternative_weights
from scoring.pipeline.score import load_spec, read_metrics
from scoring.pipeline.sensitivity import sensitivity_run, summary_lines

from .conftest import DEMO_MONTH

ROOT = Path(__file__).resolve().parents[1]

SETS = """set,c1,c2,c3,c1.i5,c1.i6,c3.i2.m1,c5.i1.m1,c6.i1
published,,,,,,,,
equal,25,25,25,,,,,
more c1,95,,,30,,,,
inside c1,,,,26,42,,,
metric weights,,,,,,1,9.5,
everything,80,20,12.5,10,30,2.5,1,3
"""


@pytest.fixture(scope="module")
def month(demo_project):
    spec, units = load_spec(demo_project)
    metrics = read_metrics(demo_project, DEMO_MONTH, (spec, units))
    return spec, units, metrics, sensitivity.month_values(metrics, DEMO_MONTH)


@pytest.fixture()
def sets_file(tmp_path) -> Path:
    path = tmp_path / "sets.csv"
    path.write_text(SETS, encoding="utf-8")
    return path


def engine_summary(spec, units, metrics, weights: dict[str, float], path: Path) -> pd.DataFrame:
    """The engine on the index a weights file with `weights` makes (the published index when empty)."""
    if weights:
        path.write_text(yaml.safe_dump({"weights": weights}), encoding="utf-8")
        spec = alternative_weights(spec, path)
    return engine.summarise(spec, units, engine.score(spec, units, metrics)).set_index("unit").reindex(units.codes)


def test_sets_replayed_through_weights_files_and_in_one_batch_give_the_same_totals(month, sets_file, tmp_path):
    spec, units, metrics, values = month
    sets = sensitivity.read_weight_sets(sets_file, spec)
    assert list(sets.index) == ["published", "equal", "more c1", "inside c1", "metric weights", "everything"]
    batch = sensitivity.set_totals(spec, units, values, sets)
    settings = sensitivity.load_settings(ROOT / "params" / "sensitivity.yaml")
    result = sensitivity.weight_set_analysis(spec, units, values, sets, settings)
    table = result.sets.set_index(["set", "unit"])
    for i, (name, row) in enumerate(sets.iterrows()):
        weights = {code: float(v) for code, v in row.items() if not np.isnan(v)}
        one = engine_summary(spec, units, metrics, weights, tmp_path / f"w{i}.yaml")
        assert np.abs(batch[i] - one["total"].to_numpy()).max() < 1e-9, name
        mine = table.loc[name].reindex(units.codes)
        assert np.abs(mine["total"].to_numpy() - one["total"].to_numpy()).max() < 1e-9, name
        assert mine["rank"].tolist() == one["rank"].tolist(), name  # the printed rounding, as the engine
        assert mine["pass"].tolist() == one["pass"].tolist(), name
        assert mine["total_rounded"].tolist() == one["total_rounded"].tolist(), name
    published = engine_summary(spec, units, metrics, {}, tmp_path / "none.yaml")
    assert np.abs(batch[0] - published["total"].to_numpy()).max() < 1e-9
    assert np.abs(batch[1:] - published["total"].to_numpy()).max(axis=1).min() > 0.01  # every set moved them


def test_set_statistics_are_the_monte_carlos(month, sets_file):
    spec, units, _metrics, values = month
    sets = sensitivity.read_weight_sets(sets_file, spec)
    settings = sensitivity.load_settings(ROOT / "params" / "sensitivity.yaml")
    result = sensitivity.weight_set_analysis(spec, units, values, sets, settings)
    ranks = result.sets.pivot(index="set", columns="unit", values="rank").loc[sets.index, units.codes].to_numpy()
    summary = result.summary.set_index("unit").loc[units.codes]
    np.testing.assert_array_equal(summary["median_rank"], np.quantile(ranks, 0.5, axis=0, method="linear"))
    np.testing.assert_array_equal(summary["rank_p05"], np.quantile(ranks, 0.05, axis=0, method="linear"))
    np.testing.assert_array_equal(summary["rank_p95"], np.quantile(ranks, 0.95, axis=0, method="linear"))
    passed = result.sets.pivot(index="set", columns="unit", values="pass").loc[:, units.codes]
    np.testing.assert_array_equal(summary["pass_probability"], passed.mean(axis=0).to_numpy())
    fam = result.families.iloc[0]
    assert fam["family"] == sensitivity.SETS_FAMILY and fam["draws"] == len(sets)
    assert fam["label"] == settings.labels["families"]["weight_sets"]
    assert list(result.tables()) == ["sensitivity", "sensitivity_by_family", "sensitivity_scenarios",
                                     "sensitivity_sets"]


def test_a_bad_sets_file_lists_every_problem(month, tmp_path):
    spec = month[0]
    path = tmp_path / "bad.csv"
    path.write_text("set,c1,linyi-2019,zz,c1\n"
                    "a,95,1,1,1\n"
                    "a,x,,,\n"
                    "b,-1,,,\n"
                    "c,1,2\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        sensitivity.read_weight_sets(path, spec)
    got = [p.removeprefix(f"{path}: ") for p in err.value.problems]
    assert got == [
        "column 3 'linyi-2019': the index itself; its total (150) cannot change",
        "column 4 'zz': neither a node nor a metric of the index",
        "column 5 'c1': given more than once",
        "row 3, column 'set': 'a' names another set too",
        "row 3, column 'c1': 'x' — must be a number > 0",
        "row 4, column 'c1': '-1' — must be a number > 0",
        "row 5: 3 cells, the header has 5",
    ]
    path.write_text("c1,c2\n", encoding="utf-8")
    with pytest.raises(DataError, match="at least one weight set"):
        sensitivity.read_weight_sets(path, spec)
    path.write_text("c1,c2\n90,10\n", encoding="utf-8")  # no set column: the sets are numbered
    assert list(sensitivity.read_weight_sets(path, spec).index) == ["1"]


def test_the_sensitivity_command_writes_its_own_folder(demo_project, sets_file, tmp_path):
    published = demo_project.output_month(DEMO_MONTH)
    before = sorted(published.rglob("*")) if published.exists() else []
    stage = sensitivity_run(demo_project, DEMO_MONTH, weight_sets=sets_file, out=tmp_path / "sets")
    folder = tables.StageFolder(stage.parent)
    assert set(folder.meta["tables"]) == {"sensitivity", "sensitivity_by_family", "sensitivity_scenarios",
                                          "sensitivity_sets"}
    assert folder.meta["trial"]["weight_sets"]["file"] == str(sets_file)
    assert folder.table("sensitivity_sets")["set"].nunique() == 6
    assert "weight_sets: 6 sets" in summary_lines(stage)[0]

    settings = yaml.safe_load((ROOT / "params" / "sensitivity.yaml").read_text(encoding="utf-8"))
    settings["sobol"].update(n=64, bootstrap={"resamples": 0, "confidence": 0.9})
    own = tmp_path / "my-sensitivity.yaml"
    own.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    stage = sensitivity_run(demo_project, DEMO_MONTH, settings_file=own, draws=300, seed=5, out=tmp_path / "mc")
    folder = tables.StageFolder(stage.parent)
    assert {"sensitivity", "sensitivity_reading", "sensitivity_inputs", "sensitivity_remove_category"} <= set(
        folder.meta["tables"])
    record = json.loads(stage.read_text(encoding="utf-8"))
    assert record["sensitivity_settings"]["draws"] == 300 and record["sensitivity_settings"]["seed"] == 5
    assert record["sensitivity_settings"]["sobol"]["n"] == 64
    assert (folder.table("sensitivity_scenarios")["draws"] == 300).all()
    again = sensitivity_run(demo_project, DEMO_MONTH, settings_file=own, draws=300, seed=5, out=tmp_path / "mc2")
    for name in folder.meta["tables"]:  # a peer re-running the command gets the same tables
        assert folder.meta["tables"][name]["sha256"] == tables.StageFolder(again.parent).meta["tables"][name]["sha256"]
    assert (sorted(published.rglob("*")) if published.exists() else []) == before
