"""Metrics derived from list records and counts divided by the register, against hand-computed values."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from scoring.ingest import cells, ingest_month
from scoring.ingest.derive import DERIVATIONS, list_facts, movements, per_register
from tests.ingest_helpers import MONTH, make_project, valid_month, write_month

D = dt.date
UNITS = ["lanshan", "hedong", "mengshan"]
COUNTED = ("黑名单", "重点关注名单")
REGISTER = pd.DataFrame({"legal_persons": [20000, 10000, 4000], "market_entities": [120000, 60000, 24000],
                         "population": [1_000_000, 500_000, 200_000]}, index=UNITS)


def records(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["unit", "list_type", "entry_date", "exit_date", "violations"])


# Month 2019-07. lanshan: A listed since 2018 (3 violations), B entered 07-12 (1), C left 07-20 (4),
# R on the red list (not counted); hedong: D listed since 2017 (2); mengshan: nothing.
TINY = records(
    ("lanshan", "黑名单", D(2018, 5, 10), None, 3),
    ("lanshan", "重点关注名单", D(2019, 7, 12), None, 1),
    ("lanshan", "黑名单", D(2019, 1, 5), D(2019, 7, 20), 4),
    ("lanshan", "红名单", D(2019, 7, 1), None, 9),
    ("hedong", "黑名单", D(2017, 3, 1), None, 2),
)


def derive(frame: pd.DataFrame, name: str) -> pd.Series:
    return DERIVATIONS[name](list_facts(frame, REGISTER, UNITS, MONTH, COUNTED))


def test_facts_count_listed_added_exited_and_violations_by_hand():
    f = list_facts(TINY, REGISTER, UNITS, MONTH, COUNTED)
    assert f.listed.tolist() == [2, 1, 0]  # S: A and B; D; —   (C left, R not counted)
    assert f.added.tolist() == [1, 0, 0]  # A: B
    assert f.exited.tolist() == [1, 0, 0]  # X: C
    assert f.violations.tolist() == [4, 2, 0]  # V: 3 + 1; 2


@pytest.mark.parametrize(("name", "expected"), [
    ("listed_share_of_city", [2 / 3, 1 / 3, 0.0]),
    ("listed_per_legal_person", [2 / 20000, 1 / 10000, 0.0]),
    ("listed_added_per_legal_person", [1 / 20000, 0.0, 0.0]),
    ("listed_exit_share", [1 / 3, 0.0, 1.0]),  # mengshan 0 / 0 → 1: nothing left to clear
    ("violations_per_10k_legal_persons", [4 / 20000 * 10000, 2.0, 0.0]),
])
def test_each_derivation_by_hand(name, expected):
    assert derive(TINY, name).tolist() == pytest.approx(expected)


def test_share_of_city_is_zero_for_all_when_nobody_is_listed():
    only_red = records(("lanshan", "红名单", D(2019, 7, 1), None, 0))
    assert derive(only_red, "listed_share_of_city").tolist() == [0.0, 0.0, 0.0]
    assert derive(only_red, "listed_exit_share").tolist() == [1.0, 1.0, 1.0]


def test_entered_and_left_in_the_same_month_counts_as_added_and_exited_not_listed():
    frame = records(("hedong", "黑名单", D(2019, 7, 3), D(2019, 7, 30), 5))
    f = list_facts(frame, REGISTER, UNITS, MONTH, COUNTED)
    assert (f.listed["hedong"], f.added["hedong"], f.exited["hedong"], f.violations["hedong"]) == (0, 1, 1, 0)
    assert derive(frame, "listed_exit_share")["hedong"] == 1.0


def test_an_exit_on_the_last_day_is_an_exit_of_this_month():
    frame = records(("hedong", "黑名单", D(2018, 1, 1), D(2019, 7, 31), 1))
    assert list_facts(frame, REGISTER, UNITS, MONTH, COUNTED).listed["hedong"] == 0
    assert movements(frame, MONTH).tolist() == ["exited"]


def test_movements():
    assert movements(TINY, MONTH).tolist() == ["listed", "entered", "exited", "entered", "listed"]


def test_per_register_divides_by_the_named_register_column_and_scales():
    counts = pd.Series([5.0, 3.0, float("nan")], index=UNITS)
    out = per_register(counts, REGISTER, {"register": "population", "scale": 100000})
    assert out.tolist()[:2] == pytest.approx([0.5, 0.6])
    assert pd.isna(out["mengshan"])  # not reported stays not reported


def test_ingested_month_carries_the_hand_computed_values(tmp_path):
    # The same five records as TINY (ingest_helpers.valid_month), through files: lanshan has
    # 20 000 legal-person enterprises and hedong 10 000; the sheet reports 5 for every count.
    project = make_project(tmp_path)
    write_month(project, valid_month(project))
    out = ingest_month(project, MONTH)
    metrics = pd.read_csv(out / "metrics.csv").set_index(["unit", "metric"])["value"]
    assert metrics[("lanshan", "c1.i2.m1")] == pytest.approx(2 / 3)
    assert metrics[("hedong", "c1.i2.m1")] == pytest.approx(1 / 3)
    assert metrics[("lanshan", "c1.i2.m2")] == pytest.approx(1e-4)
    assert metrics[("lanshan", "c1.i2.m3")] == pytest.approx(5e-5)
    assert metrics[("lanshan", "c1.i2.m4")] == pytest.approx(1 / 3)
    assert metrics[("tancheng", "c1.i2.m4")] == 1.0
    assert metrics[("lanshan", "c1.i2.m5")] == pytest.approx(2.0)
    assert metrics[("lanshan", "c1.i1.m1")] == pytest.approx(5 / 20000 * 10000)  # per legal persons
    assert metrics[("lanshan", "c3.i1.m1")] == pytest.approx(5 / 1_000_000 * 100000)  # per population
    assert metrics[("lanshan", "c2.i2.m2")] == pytest.approx(5 / 120000 * 10000)  # per market entities
    assert metrics[("lanshan", "c1.i5.m6")] == 1.0  # 是
    assert metrics[("lanshan", "c1.i6.m6")] == pytest.approx(1.5)  # a reviewer's score, in points
    assert len(metrics) == 16 * 58
    entries = pd.read_csv(out / "list_entries.csv", dtype=str, keep_default_na=False)
    assert entries["movement"].tolist() == ["listed", "exited", "entered", "entered", "listed"]
    assert entries["unit"].tolist() == ["lanshan"] * 4 + ["hedong"]
    assert entries["counted"].tolist() == ["1", "1", "1", "0", "1"]  # 红名单 is kept, not counted


# --------------------------------------------------------------------------- 统一社会信用代码


def test_check_character_of_the_standards_example():
    assert cells.check_character("91350100M000100Y4") == "3"
    assert cells.is_valid_code("91350100M000100Y43")


@pytest.mark.parametrize("bad", [
    "91350100M000100Y44",  # wrong check character
    "91350100M000100Y4",  # 17 characters
    "91350100M000100Y431",  # 19 characters
    "91350100M0001O0Y43",  # O is not used
    "91350100I000100Y43",  # I
    "91350100Z000100Y43",  # Z
    "91350100S000100Y43",  # S
    "91350100V000100Y43",  # V
    "91AB0100M000100Y43",  # region code not digits
])
def test_invalid_codes_are_refused(bad):
    assert not cells.is_valid_code(bad)


def test_code_normalisation_accepts_spaces_lower_case_and_full_width():
    assert cells.is_valid_code(" 91350100m000100y43 ")
    assert cells.is_valid_code("９１３５０１００Ｍ０００１００Ｙ４３")


def test_make_code_round_trips():
    code = cells.make_code("91371302MA3C4XY0P")
    assert len(code) == 18 and cells.is_valid_code(code)


@pytest.mark.parametrize(("text", "value"), [
    ("0.985", 0.985), ("98.5%", 0.985), ("１", 1.0), ("1,234", 1234.0), ("-3", -3.0), ("abc", None), ("nan", None),
])
def test_ratio_and_number_parsing(text, value):
    assert cells.parse_ratio(text) == (pytest.approx(value) if value is not None else None)


@pytest.mark.parametrize("text", ["2019-07-15", "2019/7/15", "2019.07.15", "2019年7月15日", "20190715",
                                  "2019-07-15 00:00:00"])
def test_date_formats(text):
    assert cells.parse_date(text) == D(2019, 7, 15)


def test_impossible_dates_are_not_dates():
    assert cells.parse_date("2019-02-30") is None
    assert cells.parse_date("15/07/2019") is None


def test_a_month_without_list_entries(tmp_path):
    project = make_project(tmp_path)
    month = valid_month(project)
    month.records = []  # the records file holds its header only
    write_month(project, month)
    out = ingest_month(project, MONTH)
    metrics = pd.read_csv(out / "metrics.csv").set_index(["unit", "metric"])["value"]
    assert metrics.xs("c1.i2.m1", level="metric").eq(0.0).all()
    assert metrics.xs("c1.i2.m4", level="metric").eq(1.0).all()
    assert (out / "list_entries.csv").read_text(encoding="utf-8").count("\n") == 1
