"""The month context saved once by the bulletin is used only while it matches the files."""

from __future__ import annotations

import pandas as pd

from scoring.report import sections as report

from .conftest import DEMO_MONTH


def test_saved_context_gives_the_same_tables(demo_project, tmp_path):
    fresh = report.load_month(demo_project.root, DEMO_MONTH)
    path = report.save_context(fresh, tmp_path / "context.pickle")
    reused = report.load_month(demo_project.root, DEMO_MONTH, context_file=path)
    pd.testing.assert_frame_equal(reused.scored.summary, fresh.scored.summary)
    pd.testing.assert_frame_equal(reused.changes, fresh.changes)
    assert reused.synthetic is fresh.synthetic


def test_stale_context_is_ignored(demo_project, tmp_path):
    fresh = report.load_month(demo_project.root, DEMO_MONTH)
    path = report.save_context(fresh, tmp_path / "context.pickle")
    # A context saved for another month's key must not be used for this one.
    other = report.load_month(demo_project.root, "2019-11", context_file=path)
    assert other.month == "2019-11"
    assert set(other.scored.summary["month"]) == {f"2019-{m:02d}" for m in range(1, 12)}
    # Alternative weights change the key too.
    weights = tmp_path / "weights.yaml"
    weights.write_text("c1: 95\n", encoding="utf-8")
    shifted = report.load_month(demo_project.root, DEMO_MONTH, weights_file=str(weights), context_file=path)
    assert shifted.scored.spec.node("c1").points > fresh.scored.spec.node("c1").points


def test_a_report_on_alternative_weights_says_so(demo_project, tmp_path):
    weights = tmp_path / "weights.yaml"
    weights.write_text("c1: 95\n", encoding="utf-8")
    ctx = report.load_month(demo_project.root, DEMO_MONTH, weights_file=str(weights))
    header = "".join(obj.html() for obj in report.CityReport(ctx).header())
    assert "试算" in header and "weights.yaml" in header
    plain = report.load_month(demo_project.root, DEMO_MONTH)
    assert "试算" not in "".join(obj.html() for obj in report.CityReport(plain).header())
    assert ctx.sensitivity is None  # published bands belong to the published index, never shown here


def test_a_context_file_others_could_have_written_is_not_unpickled(demo_project, tmp_path):
    import os
    import pickle

    planted = tmp_path / "shared"
    planted.mkdir()
    planted.chmod(0o777)
    marker = tmp_path / "unpickled"

    class Planted:
        def __reduce__(self):
            return (open, (str(marker), "w"))  # runs on unpickling

    path = planted / "context.pickle"
    path.write_bytes(pickle.dumps(Planted()))
    ctx = report.load_month(demo_project.root, DEMO_MONTH, context_file=path)  # ignored, scored afresh
    assert ctx.scored.month == DEMO_MONTH
    assert os.stat(planted).st_mode & 0o022
    assert not marker.exists()


def test_context_key_follows_the_contents_of_the_weights_file(demo_project, tmp_path):
    weights = tmp_path / "weights.yaml"
    weights.write_text("c1: 95\n", encoding="utf-8")
    first = report.load_month(demo_project.root, DEMO_MONTH, weights_file=str(weights))
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    path = report.save_context(first, private / "context.pickle", weights_file=str(weights))
    weights.write_text("c1: 60\n", encoding="utf-8")
    again = report.load_month(demo_project.root, DEMO_MONTH, weights_file=str(weights), context_file=path)
    assert again.scored.spec.node("c1").points < first.scored.spec.node("c1").points
    assert again.extras["alternative"]
