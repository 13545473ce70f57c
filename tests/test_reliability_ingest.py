"""Input hygiene beyond the cell rules: links in data/raw, invisible characters, bounded messages,
numbers beyond what a metric holds, and a large file read correctly.

Each refusal names file, row, column, value and rule, exits 2 from the command line, writes
nothing to data/processed and never echoes a linked file or a long cell.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from scoring.errors import DataError
from scoring.ingest import cells, ingest_month
from scoring.ingest.messages import MAX_LINE_CHARS, MAX_LINES, MAX_VALUE_CHARS
from scoring.ingest.types import COLUMN_TYPES, NUMBER_LIMIT
from tests.ingest_helpers import LEGAL, MONTH, code, csv_bytes, make_project, valid_month, write_month

RAW = f"data/raw/{MONTH}"
SECRET = "SECRET-LINE-OF-THE-LINKED-FILE"
CLI = Path(sys.executable).with_name("credit-county")
OUTPUT_BOUND = 100_000  # bytes a refusal may print, whatever the input (MAX_LINES lines of MAX_LINE_CHARS)


def fails(project, month=MONTH) -> list[str]:
    with pytest.raises(DataError) as info:
        ingest_month(project, month)
    assert not [p for p in project.processed.iterdir() if p.name != ".gitkeep"], "something was written"
    return info.value.problems


def cli(project) -> subprocess.CompletedProcess:
    """`credit-county ingest` as a user runs it (bytes of stdout and stderr)."""
    command = [str(CLI)] if CLI.exists() else [sys.executable, "-m", "scoring"]
    return subprocess.run([*command, "--root", str(project.root), "ingest", "--month", MONTH], capture_output=True,
                          timeout=120, check=False)


def secret_records(folder: Path) -> Path:
    """A records file outside the project whose rows would fail validation (and so be quoted) if read."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [{"统一社会信用代码": SECRET, "主体名称": SECRET, "所属县区": SECRET, "名单类型": SECRET, "领域": SECRET,
             "列入日期": SECRET, "退出日期": "", "违法记录次数（次）": SECRET}]
    path = folder / "名单记录.csv"
    path.write_bytes(csv_bytes(rows))
    return path


# --------------------------------------------------------------------------- symbolic links


def test_a_linked_file_outside_the_project_is_refused_and_never_echoed(tmp_path):
    project = make_project(tmp_path / "project")
    write_month(project, valid_month(project))
    target = secret_records(tmp_path / "elsewhere")
    link = project.raw_month(MONTH) / "名单记录-外部.csv"
    link.symlink_to(target)
    problems = fails(project)
    line = next(p for p in problems if "名单记录-外部.csv" in p)
    assert "symbolic link" in line and "outside the project" in line and str(target) in line
    assert not any(SECRET in p for p in problems)
    run = cli(project)
    assert run.returncode == 2 and SECRET.encode() not in run.stdout + run.stderr
    assert b"Traceback" not in run.stderr


@pytest.mark.parametrize("linked", ["month", "raw"])
def test_a_linked_folder_outside_the_project_is_refused(tmp_path, linked):
    project = make_project(tmp_path / "project")
    outside = tmp_path / "elsewhere"
    write_month(make_project(outside), valid_month(project))  # a whole valid month, outside
    secret_records(outside / RAW)
    if linked == "month":
        project.raw_month(MONTH).symlink_to(outside / RAW, target_is_directory=True)
    else:
        project.raw.rmdir()
        project.raw.symlink_to(outside / "data" / "raw", target_is_directory=True)
    problems = fails(project)
    assert len(problems) == 1 and "symbolic link" in problems[0] and "outside the project" in problems[0]
    assert problems[0].startswith(RAW) and SECRET not in problems[0]
    if linked == "raw":
        assert "through the symbolic link data/raw" in problems[0]
    run = cli(project)
    assert run.returncode == 2 and SECRET.encode() not in run.stdout + run.stderr


def test_links_inside_the_project_are_read(tmp_path):
    project = make_project(tmp_path)
    month = valid_month(project)
    staging = project.root / "data" / "staging" / MONTH
    write_month(project, month)
    staging.parent.mkdir(parents=True)
    project.raw_month(MONTH).rename(staging)
    project.raw_month(MONTH).symlink_to(Path("..") / "staging" / MONTH, target_is_directory=True)  # a folder link
    shared = project.root / "data" / "shared"
    shared.mkdir()
    (staging / "名单记录.csv").rename(shared / "名单记录.csv")
    (staging / "名单记录.csv").symlink_to(shared / "名单记录.csv")  # and a file link
    out = ingest_month(project, MONTH)
    assert len(pd.read_csv(out / "list_entries.csv")) == len(month.records)


def test_a_dangling_link_is_named(tmp_path):
    project = make_project(tmp_path)
    write_month(project, valid_month(project))
    (project.raw_month(MONTH) / "评审打分-2.csv").symlink_to(project.root / "gone.csv")
    line = next(p for p in fails(project) if "评审打分-2.csv" in p)
    assert "symbolic link" in line and "does not exist" in line


# --------------------------------------------------------------------------- invisible characters


def test_invisible_characters_are_every_control_format_and_separator_character():
    expected = {c for c in range(0x110000) if unicodedata.category(chr(c)) in ("Cf", "Zl", "Zp")
                or (unicodedata.category(chr(c)) == "Cc" and chr(c) not in "\t\n\r")}
    assert {c for c in range(0x110000) if cells.INVISIBLE.match(chr(c))} == expected


@pytest.mark.parametrize("char", ["\u200b", "\u200d", "\ufeff", "\u202e", "\u202a", "\u2066", "\u2069", "\u200e",
                                  "\u200f", "\u00ad", "\x07", "\x1b", "\u2028"])
def test_an_invisible_character_in_a_name_is_refused_by_its_code_point(tmp_path, char):
    project = make_project(tmp_path)
    month = valid_month(project)
    month.records[1]["主体名称"] = f"临沂{char}乙公司"
    month.register[3]["县区"] = month.register[3]["县区"][:1] + char + month.register[3]["县区"][1:]
    write_month(project, month)
    problems = fails(project)
    name = f"U+{ord(char):04X}"
    entity = [p for p in problems if "名单记录.csv: row 3, column 'entity' (主体名称)" in p]
    assert len(entity) == 1 and name in entity[0] and "invisible character" in entity[0]
    unit = [p for p in problems if "单位基础数据.csv: row 5, column 'unit'" in p]
    assert len(unit) == 1 and name in unit[0], unit  # told once: not also "not a unit"
    assert not any(cells.INVISIBLE.search(p) for p in problems), "a message carries the character itself"


def test_a_header_with_an_invisible_character_is_named(tmp_path):
    project = make_project(tmp_path)
    month = valid_month(project)
    month.reviews = [{("评审人\u200b" if k == "评审人" else k): v for k, v in r.items()} for r in month.reviews]
    write_month(project, month)
    line = next(p for p in fails(project) if "评审打分.csv: row 1: column '评审人\\u200b'" in p)
    assert "U+200B (ZERO WIDTH SPACE)" in line and "\\u200b" in line


# --------------------------------------------------------------------------- bounded messages


def many_records(n: int, change) -> list[dict]:
    rows = []
    for i in range(n):
        row = {"统一社会信用代码": code(1000 + i), "主体名称": f"临沂{i}号公司", "所属县区": "兰山区",
               "名单类型": "黑名单", "领域": "税务", "列入日期": "2019-01-05", "退出日期": "",
               "违法记录次数（次）": i % 7}
        change(i, row)
        rows.append(row)
    return rows


def test_one_mistake_in_2000_rows_is_told_for_three_rows_then_counted(tmp_path):
    project = make_project(tmp_path)
    month = valid_month(project)
    month.records = many_records(2000, lambda _i, r: r.update({"所属县区": "兰山"}))
    write_month(project, month)
    problems = fails(project)
    unit = [p for p in problems if "column 'unit' (所属县区)" in p]
    assert [p.split(": ")[1].split(",")[0] for p in unit[:3]] == ["row 2", "row 3", "row 4"]
    assert unit[3] == (f"{RAW}/名单记录.csv: column 'unit' (所属县区): … and 1,997 more rows with the same problem "
                       "(rows 5 to 2001)")
    assert len(unit) == 4


def test_a_row_repeated_2000_times_names_a_few_of_the_others(tmp_path):
    project = make_project(tmp_path)
    month = valid_month(project)
    month.records = many_records(2000, lambda _i, r: r.update({"统一社会信用代码": code(7)}))
    write_month(project, month)
    problems = fails(project)
    duplicates = [p for p in problems if "column 'credit_code'" in p]
    assert len(duplicates) == 4 and all("duplicate row" in p and p.endswith("and 1,996 more rows") for p in
                                        duplicates[:3])
    assert "… and 1,997 more rows with the same problem" in duplicates[3]
    assert sum(len(p) for p in problems) < 5_000


@pytest.mark.parametrize("case", ["same mistake", "distinct values", "every cell of 50 columns", "repeated row"])
def test_what_the_command_prints_is_bounded(tmp_path, case):
    project = make_project(tmp_path)
    month = valid_month(project)
    if case == "same mistake":
        month.records = many_records(2000, lambda _i, r: r.update({"领域": "税务\u202e", "所属县区": "火星"}))
    elif case == "distinct values":
        month.records = many_records(2000, lambda i, r: r.update({"所属县区": f"火星{i}" * 50,
                                                                  "违法记录次数（次）": f"{i}.5"}))
    elif case == "every cell of 50 columns":
        month.indicators = [{k: "x" * 300 for k in month.indicators[0]} for _ in range(2000)]
    else:
        month.records = [dict(month.records[0]) for _ in range(2000)]
    write_month(project, month)
    run = cli(project)
    printed = run.stdout + run.stderr
    lines = run.stderr.decode("utf-8").splitlines()
    assert run.returncode == 2 and b"Traceback" not in printed
    assert len(printed) <= OUTPUT_BOUND, f"{len(printed):,} bytes"
    assert len(lines) <= MAX_LINES and all(len(line) <= MAX_LINE_CHARS + len("error: ") for line in lines)
    assert any("more row" in line or "not shown" in line for line in lines)
    assert not project.processed_month(MONTH).exists()


def test_a_long_cell_is_shown_as_a_short_excerpt(tmp_path):
    project = make_project(tmp_path)
    month = valid_month(project)
    month.records[0]["统一社会信用代码"] = "Q" * 10_000
    write_month(project, month)
    line = next(p for p in fails(project) if "column 'credit_code'" in p and "row 2," in p)
    assert "Q" * MAX_VALUE_CHARS + "…" in line and "Q" * (MAX_VALUE_CHARS + 1) not in line
    assert "has 10000 characters" in line


def test_a_cell_longer_than_the_csv_limit_is_a_clear_error(tmp_path):
    project = make_project(tmp_path)
    write_month(project, valid_month(project))
    (project.raw_month(MONTH) / "评审打分-2.csv").write_text('县区,指标\n兰山区,"' + "长" * 200_000 + "\n",
                                                            encoding="utf-8")
    line = next(p for p in fails(project) if "评审打分-2.csv" in p)
    assert "unreadable as CSV" in line and "never closed" in line and len(line) < 400


def test_a_file_beyond_the_contracts_size_limit_is_refused_unread(tmp_path):
    project = make_project(tmp_path)
    contract = project.params / "sources.yaml"
    text = contract.read_text(encoding="utf-8")
    assert "max_megabytes: {.csv: 100, .xlsx: 10}" in text
    contract.write_text(text.replace("max_megabytes: {.csv: 100, .xlsx: 10}", "max_megabytes: {.csv: 1}"),
                        encoding="utf-8")
    month = valid_month(project)
    month.records = many_records(12_000, lambda _i, r: r.update({"主体名称": SECRET}))
    write_month(project, month)
    problems = fails(project)
    assert len(problems) == 1 and "名单记录.csv: 1.1 MB, larger than the 1 MB a .csv file may have" in problems[0]
    assert SECRET not in problems[0]


# --------------------------------------------------------------------------- numbers beyond what a metric holds


def test_the_limit_of_counts_and_numbers_is_the_registrys():
    assert COLUMN_TYPES["count"].limit == COLUMN_TYPES["number"].limit == NUMBER_LIMIT
    assert NUMBER_LIMIT < 2**53 < 2**63  # exact as a float and as a 64-bit integer


@pytest.mark.parametrize(("column", "value", "rule"), [
    ("法人企业数（户）", "99999999999999999999999", "beyond 1,000,000,000,000,000 (10^15)"),
    ("常住人口（人）", "1e400", "too large: beyond the largest figure accepted"),
    ("市场主体数（户）", "9" * 500, "too large"),
])
def test_a_huge_register_count_is_a_clear_error(tmp_path, column, value, rule):
    project = make_project(tmp_path)
    month = valid_month(project)
    month.register[2][column] = value
    write_month(project, month)
    problems = fails(project)
    line = next(p for p in problems if "单位基础数据.csv: row 4" in p and rule in p)
    assert f"value '{value[:MAX_VALUE_CHARS]}" in line
    run = cli(project)
    assert run.returncode == 2 and b"Traceback" not in run.stderr and b"OverflowError" not in run.stderr


def test_a_huge_count_in_the_records_and_the_indicator_sheet(tmp_path):
    project = make_project(tmp_path)
    month = valid_month(project)
    month.records[0]["违法记录次数（次）"] = "99999999999999999999999"
    month.indicators[1]["政府失信被执行人（件）"] = "1e30"
    month.register[0]["法人企业数（户）"] = NUMBER_LIMIT  # the limit itself is accepted
    month.register[0]["市场主体数（户）"] = NUMBER_LIMIT
    write_month(project, month)
    problems = fails(project)
    assert len(problems) == 2, problems
    assert "名单记录.csv: row 2, column 'violations'" in problems[0] and "beyond 1,000,000,000,000,000" in problems[0]
    assert "指标填报.csv: row 3, column 'c1.i4.m1'" in problems[1] and "beyond" in problems[1]


# --------------------------------------------------------------------------- a large file, read correctly


def large_records(n: int, seed: int = 12) -> list[dict]:
    """`n` records of the 16 units: listed, entered or exited in July 2019, red lists, violations."""
    rng = random.Random(seed)
    from scoring.index.spec import load_units

    names = [u.name for u in load_units(Path(__file__).resolve().parents[1] / "params" / "units.yaml").units]
    rows = []
    for i in range(n):
        entry = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(1673))  # up to 2019-07-31
        leave = dt.date(2019, 7, rng.randint(1, 31)) if rng.random() < 0.2 else None
        if leave is not None and leave < entry:
            leave = None
        rows.append({"统一社会信用代码": code(10_000 + i, f"3713{i % 97:02d}"), "主体名称": f"临沂{i}号商贸有限公司",
                     "所属县区": names[i % 16], "名单类型": rng.choice(["黑名单", "重点关注名单", "红名单"]),
                     "领域": rng.choice(["税务", "环保", "金融"]), "列入日期": entry.isoformat(),
                     "退出日期": leave.isoformat() if leave else "", "违法记录次数（次）": rng.randrange(10)})
    return rows


def test_a_5_mb_records_file_gives_the_counts_a_plain_loop_gives(tmp_path):
    project = make_project(tmp_path)
    month = valid_month(project)
    month.records = large_records(50_000)
    folder = write_month(project, month)
    assert (folder / "名单记录.csv").stat().st_size > 5_000_000
    out = ingest_month(project, MONTH)
    units = {u: i for i, u in enumerate(pd.read_csv(out / "register.csv")["unit"])}
    names = dict(zip([r["县区"] for r in month.register], units, strict=True))
    listed, added, exited, violations = ({u: 0 for u in units} for _ in range(4))
    end = "2019-07-31"
    for r in month.records:  # the derivations of scoring.ingest.derive, one row at a time
        if r["名单类型"] == "红名单":
            continue
        u = names[r["所属县区"]]
        if r["列入日期"] <= end and not r["退出日期"]:
            listed[u] += 1
            violations[u] += r["违法记录次数（次）"]
        added[u] += r["列入日期"] >= "2019-07-01"
        exited[u] += bool(r["退出日期"])
    legal = {names[r["县区"]]: r["法人企业数（户）"] for r in month.register}
    metrics = pd.read_csv(out / "metrics.csv").set_index(["metric", "unit"])["value"]
    for u in units:
        assert metrics["c1.i2.m1", u] == pytest.approx(listed[u] / sum(listed.values()))
        assert metrics["c1.i2.m2", u] == pytest.approx(listed[u] / legal[u])
        assert metrics["c1.i2.m3", u] == pytest.approx(added[u] / legal[u])
        assert metrics["c1.i2.m4", u] == pytest.approx(exited[u] / (listed[u] + exited[u]))
        assert metrics["c1.i2.m5", u] == pytest.approx(violations[u] / legal[u] * 10_000)
    entries = pd.read_csv(out / "list_entries.csv", dtype=str, keep_default_na=False)
    assert len(entries) == len(month.records) and set(entries["credit_code"]) == {
        r["统一社会信用代码"] for r in month.records}
    assert LEGAL["lanshan"] == legal["lanshan"]


def test_a_5_mb_records_file_with_one_repeated_row_names_just_that_row(tmp_path):
    project = make_project(tmp_path)
    month = valid_month(project)
    month.records = large_records(50_000)
    month.records.insert(30_000, dict(month.records[17]))
    write_month(project, month)
    problems = fails(project)
    assert len(problems) == 2 and all("duplicate row" in p for p in problems)
    assert problems[0].startswith(f"{RAW}/名单记录.csv: row 19,") and problems[0].endswith("as row 30002 of "
                                                                                       f"{RAW}/名单记录.csv")


def test_nothing_is_written_and_raw_data_is_untouched_by_a_refusal(tmp_path):
    project = make_project(tmp_path)
    month = valid_month(project)
    month.records[0]["主体名称"] = "临沂\u202e甲公司"
    folder = write_month(project, month)
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}
    fails(project)
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()} == before
    assert os.listdir(project.processed) == []
