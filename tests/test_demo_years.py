"""The demo's second year (issue 14, part 5): one simulation over params/demo.yaml `years`, the later
year continuing the earlier (same units, their size and quality a year on, the entities still listed),
each year's bytes the same whichever years are written, and the folders written beside the first
year's without touching them."""

from __future__ import annotations

import pandas as pd
import pytest

from scoring.demo import DEFAULT_SEED, load_demo_settings, write_demo
from scoring.demo.files import generate
from scoring.demo.generator import Generator
from scoring.errors import CreditCountyError
from scoring.ingest import load_params
from tests.ingest_helpers import make_project, real_month_folder, tree_bytes


@pytest.fixture(scope="module")
def params(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("years"))
    spec, units, contract = load_params(project)
    return project, spec, units, contract, load_demo_settings(project, spec, contract)


@pytest.fixture(scope="module")
def both(params):
    _project, spec, units, contract, settings = params
    return generate(spec, units, contract, settings, [2019, 2020], DEFAULT_SEED)


def test_the_demo_has_two_years_by_default(params):
    assert params[-1].years == (2019, 2020)


def test_each_year_is_the_same_bytes_alone_or_with_the_other(params, both):
    _project, spec, units, contract, settings = params
    assert sorted(both) == sorted([*(f"{y}-{m:02d}" for y in (2019, 2020) for m in range(1, 13)), "2019", "2020"])
    for year in (2019, 2020):
        alone = generate(spec, units, contract, settings, [year], DEFAULT_SEED)
        assert sorted(alone) == sorted(f for f in both if f.startswith(str(year)))
        assert all(alone[f] == both[f] for f in alone), year
    assert both["2019-12"] != both["2020-12"] and both["2019"] != both["2020"]


def test_the_second_year_continues_the_first(params):
    _project, spec, units, contract, settings = params
    first = Generator(spec, units, contract, settings, 2019, DEFAULT_SEED)
    first.simulate_lists()
    listed = {e.code for e in first.entities if e.exit is None}
    before = [(e.code, e.exit) for e in first.entities]
    second = first.next_year()
    second.simulate_lists()
    assert [(e.code, e.exit) for e in first.entities] == before  # the first year is not changed
    for p, q in zip(first.plans, second.plans, strict=True):
        assert q.unit == p.unit and q.population == p.population and q.growth == p.growth
        assert q.legal(0) == p.legal(12)  # the size a year on, growing at the same rate
        # January starts from December's quality: at most one month's trend and a few noise deviations away
        assert abs(q.quality[0] - p.quality[-1]) <= 5 * settings.quality_noise
    carried = [e for e in second.entities if e.entry.year < 2020]
    assert {e.code for e in carried} == listed  # the stock of 1 January 2020 is what was listed on 31 December
    january = {e.code for e in second.records_of("2020-01")}
    assert listed <= january
    codes = [e.code for e in first.entities] + [e.code for e in second.entities if e.entry.year == 2020]
    assert len(codes) == len(set(codes))  # a new entity never takes an earlier one's credit code
    assert any(e.exit is not None for e in carried) and any(e.entry.year == 2020 for e in second.entities)


def test_the_units_grow_and_move_between_the_years(both):
    import io

    def read(folder: str, name: str) -> pd.DataFrame:
        return pd.read_csv(io.BytesIO(both[folder][name]), encoding="utf-8-sig").set_index("县区")

    legal = "法人企业数（户）"
    june = {y: read(f"{y}-06", "单位基础数据.csv") for y in (2019, 2020)}
    assert (june[2020][legal] > june[2019][legal]).all()  # a year's growth, never a fresh draw
    assert (june[2020][legal] < june[2019][legal] * 1.2).all()
    reviews = {y: read(str(y), "reviews.csv")["现场调研得分"] for y in (2019, 2020)}
    assert (reviews[2019] != reviews[2020]).sum() > len(reviews[2019]) // 2  # each year reviewed anew


def test_a_later_year_is_written_beside_the_first_without_touching_it(tmp_path):
    project = make_project(tmp_path)
    assert write_demo(project, years=[2019])[-1] == "2019-12"
    before = tree_bytes(project.raw)
    assert write_demo(project, years=[2020]) == [f"2020-{m:02d}" for m in range(1, 13)]
    after = tree_bytes(project.raw)
    assert {k: v for k, v in after.items() if k.startswith("2019")} == before
    with pytest.raises(CreditCountyError, match="already holds 2020, 2020-01"):
        write_demo(project, years=[2020])
    with pytest.raises(CreditCountyError, match="already holds 2019, 2019-01"):
        write_demo(project)  # both years by default: 2019 and 2020 are there


def test_a_later_year_is_not_written_beside_real_data(tmp_path):
    project = make_project(tmp_path)
    real_month_folder(project)
    with pytest.raises(CreditCountyError, match="real data"):
        write_demo(project, years=[2020])
    assert project.raw_months() == ["2019-05"]


def test_the_bulletin_of_an_empty_project_writes_both_years_and_builds_the_last_month(tmp_path, monkeypatch,
                                                                                     capsys):
    """`make bulletin` on a fresh clone: data/raw empty → the demo's two years, then December 2020."""
    import scoring.pipeline.bulletin as bulletin
    from scoring.cli import main

    asked = []

    def build(project, month, **_options):
        asked.append(month)
        raise CreditCountyError("stopped here by the test")

    monkeypatch.setattr(bulletin, "build", build)
    project = make_project(tmp_path)
    assert main(["--root", str(project.root), "bulletin", "--quiet"]) == 2
    assert asked == ["2020-12"]
    assert project.raw_months() == [f"{y}-{m:02d}" for y in (2019, 2020) for m in range(1, 13)]
    assert "writing the synthetic demo data" in capsys.readouterr().out
