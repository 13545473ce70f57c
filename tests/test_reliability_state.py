"""The project's own state, damaged, and writes that fail: a clear error naming the file, exit 2,
no traceback, nothing changed or left behind.

Every file the program wrote and reads back — the titles register, a processed month
(metrics.csv, list_entries.csv, manifest.json), a stage folder (stage.json, a stage table,
index.yaml) and a build's provenance.json — goes through a damage matrix (not UTF-8, empty, cut
short, malformed, wrong columns or keys, wrong kinds of value, missing) with the real command that
reads it. Then out-of-space and permission errors while writing (monkeypatched: we run as root).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scoring import provenance
from scoring.cli import main
from scoring.errors import StateError, batch_write_failure, os_error_line, published_path
from scoring.pipeline.review import read_register
from scoring.pipeline.score import score_month
from scoring.project import Project
from tests.conftest import DEMO_MONTH

YEAR = "2019"
EARLY = "2019-01"
REGISTER = ("unit,year,status,valid_until,combined,reason\n"
            "lanshan,2018,awarded,2020-12-31,131.5,达到标准\n"
            "luozhuang,2018,awarded,2020-12-31,128.25,达到标准\n")


@pytest.fixture(scope="module")
def base(demo_project, tmp_path_factory) -> Iterator[Path]:
    """The demo project (every month ingested) with the stage tables of December, a titles register
    of 2018 and a build's provenance.json: the state every case damages one file of."""
    root = tmp_path_factory.mktemp("state") / "base"
    for folder in ("params", "notebooks", "data"):
        shutil.copytree(demo_project.root / folder, root / folder)
    (root / "outputs").mkdir()
    settings = root / "params" / "sensitivity.yaml"  # fewer draws: a damaged record is read after them
    settings.write_text(settings.read_text(encoding="utf-8").replace("\ndraws: 10000\n", "\ndraws: 200\n"),
                        encoding="utf-8")
    project = Project(root)
    score_month(project, DEMO_MONTH)
    score_month(project, EARLY)  # one month of history: a quick score stage
    (root / "data" / "titles.csv").write_text(REGISTER, encoding="utf-8")
    provenance.write_record(project.output_month(DEMO_MONTH) / "provenance.json",
                            provenance.run_record(project, DEMO_MONTH))
    before = tree(root)
    yield root
    assert tree(root) == before, "a case changed the base project through a hard link"


@pytest.fixture()
def project(base, tmp_path) -> Path:
    """A copy of the base, its files hard links (fast): every write of the program replaces a file
    whole (a new inode) and the cases damage a file through `rewrite`, so the base is never changed."""
    root = tmp_path / "p"
    shutil.copytree(base, root, copy_function=os.link)
    return root


def rewrite(path: Path, data: bytes) -> None:
    """Replace the file (not its hard-linked bytes) with `data`."""
    path.unlink()
    path.write_bytes(data)


def tree(root: Path) -> dict[str, str]:
    """Every file and folder under `root` (hidden ones too) → SHA-256 of its bytes ('folder' for a folder)."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "folder"
            for p in sorted(root.rglob("*"))}


# ----------------------------------------------------------------------------- the damages


def not_utf8(data: bytes) -> bytes:
    """The file as a Windows program would save it (GB18030), or with a GBK character inserted."""
    text = data.decode("utf-8")
    if not text.isascii():
        return text.encode("gb18030")
    cut = data.index(b"\n") + 1
    return data[:cut] + "县".encode("gbk") + data[cut:]


def truncated(data: bytes) -> bytes:
    """Cut short: in the middle of a line (for a CSV, after the first field of a row)."""
    if data.lstrip().startswith(b"{"):
        return data[: len(data) // 2]
    lines = data.split(b"\n")
    middle = len(lines) // 2
    return b"\n".join(lines[:middle]) + b"\n" + lines[middle].split(b",")[0] + b","


def malformed(data: bytes) -> bytes:
    if data.lstrip().startswith(b"{"):
        return data.replace(b'": ', b'" = ', 1)
    return data + b'x,"a quote never closed\n'


def renamed_column(column: str) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        header, rest = data.split(b"\n", 1)
        names = header.split(b",")
        names[names.index(column.encode())] = "县区".encode()
        return b",".join(names) + b"\n" + rest
    return change


def cell(column: str, value: str) -> Callable[[bytes], bytes]:
    """The value of `column` in the first data row replaced."""
    def change(data: bytes) -> bytes:
        lines = data.decode("utf-8").split("\n")
        names = lines[0].split(",")
        fields = lines[1].split(",")
        fields[names.index(column)] = value
        lines[1] = ",".join(fields)
        return "\n".join(lines).encode("utf-8")
    return change


def key(path: str, value: object) -> Callable[[bytes], bytes]:
    """A JSON object with the key at `path` (dotted) set to `value`."""
    def change(data: bytes) -> bytes:
        record = json.loads(data)
        *parents, last = path.split(".")
        node = record
        for part in parents:
            node = node[part]
        node[last] = value
        return json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8")
    return change


def empty(data: bytes) -> bytes:
    return b""


MISSING = None
REVIEW = ["review", "--year", YEAR, "--quiet"]
SCORE = ["score", "--month", DEMO_MONTH]
SCORE_EARLY = ["score", "--month", EARLY]
WORKBOOK = ["workbook", "--month", DEMO_MONTH]
CARRY_OVER = ["bulletin", "--month", DEMO_MONTH, "--units", "lanshan", "--quiet"]
REGISTER_FILE = "data/titles.csv"
PROCESSED = f"data/processed/{EARLY}"
STAGE = f"outputs/{DEMO_MONTH}"
#: Readers in modules of other parts (pipeline.score, pipeline.bulletin) that must call scoring.state.

CASES = [
    # the titles register (the issue: not UTF-8 or empty ended `review` in a traceback)
    *[(REGISTER_FILE, name, damage, REVIEW) for name, damage in [
        ("not UTF-8", not_utf8), ("empty", empty), ("cut short", truncated), ("malformed", malformed),
        ("wrong column", renamed_column("status")), ("year not a year", cell("year", "二〇一八")),
        ("combined not a number", cell("combined", "九十")), ("unknown status", cell("status", "Awarded")),
        ("date not a date", cell("valid_until", "2020/12/31"))]],
    # a processed month: the record read by every stage, the metrics and list records
    *[(f"{PROCESSED}/manifest.json", name, damage, SCORE_EARLY) for name, damage in [
        ("not UTF-8", not_utf8), ("cut short", truncated), ("not an object", lambda data: b"[]"),
        ("synthetic not yes/no", key("synthetic", "yes")), ("inputs not objects", key("inputs", ["metrics.csv"]))]],
    (f"{PROCESSED}/metrics.csv", "value not a number", cell("value", "abc"), SCORE_EARLY),
    (f"{PROCESSED}/metrics.csv", "wrong column", renamed_column("value"), SCORE_EARLY),
    *[pytest.param(f"{PROCESSED}/{file}", name, damage, SCORE_EARLY)
      for file in ("metrics.csv", "list_entries.csv") for name, damage in [("not UTF-8", not_utf8), ("empty", empty)]],
    # a stage folder, read by the workbook (as by every report)
    *[(f"{STAGE}/stage.json", name, damage, WORKBOOK) for name, damage in [
        ("missing", MISSING), ("not UTF-8", not_utf8), ("empty", empty), ("cut short", truncated),
        ("malformed", malformed), ("not an object", lambda data: b"[1, 2]"), ("tables a list", key("tables", [])),
        ("hash not a hash", key("tables.scores.sha256", 42)), ("entry not an object", key("tables.points", "x")),
        ("month not text", key("month", 201912)), ("trial a number", key("trial", 3))]],
    *[(f"{STAGE}/scores.csv", name, damage, WORKBOOK) for name, damage in [
        ("missing", MISSING), ("not UTF-8", not_utf8), ("empty", empty), ("cut short", truncated),
        ("malformed", malformed), ("wrong column", renamed_column("rank")), ("rank not a number", cell("rank", "一"))]],
    *[(f"{STAGE}/index.yaml", name, damage, WORKBOOK) for name, damage in [
        ("missing", MISSING), ("changed", lambda data: data + b"# changed\n"), ("empty", empty)]],
    # a published build's record, read when reports are carried over (bulletin --units)
    *[pytest.param(f"{STAGE}/provenance.json", name, damage, CARRY_OVER) for name, damage in [
        ("malformed", malformed), ("not an object", lambda d: b"[]")]],
]


def damage_file(path: Path, damage: Callable[[bytes], bytes] | None) -> None:
    if damage is MISSING:
        path.unlink()
    else:
        rewrite(path, damage(path.read_bytes()))


def refused(project: Path, argv: list[str], capsys) -> str:
    """Run the command in-process: exit 2, one short paragraph on stderr, nothing changed."""
    before = tree(project)
    code = main(["--root", str(project), *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert tree(project) == before, "a file was changed, written or left behind"
    lines = err.strip().splitlines()
    assert lines and all(line.startswith("error: ") for line in lines), err
    assert len(lines) <= 8 and len(err) < 3000, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(("relative", "name", "damage", "argv"), CASES,
                         ids=[f"{c.values[0] if hasattr(c, 'values') else c[0]}: "
                              f"{c.values[1] if hasattr(c, 'values') else c[1]}" for c in CASES])
def test_damaged_state_is_refused_naming_the_file(project, capsys, relative, name, damage, argv):
    damage_file(project / relative, damage)
    err = refused(project, argv, capsys)
    assert relative in err.splitlines()[0], err


def rehash(project: Path, table: str) -> None:
    """stage.json made to agree with a changed table (damage the hash cannot catch)."""
    stage = project / STAGE / "stage.json"
    record = json.loads(stage.read_text(encoding="utf-8"))
    record["tables"][table]["sha256"] = hashlib.sha256((project / STAGE / f"{table}.csv").read_bytes()).hexdigest()
    rewrite(stage, json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8"))


@pytest.mark.parametrize(("name", "damage", "says"), [
    ("not UTF-8", not_utf8, "is not UTF-8 text"),
    ("empty", empty, "is empty"),
    ("cut short", truncated, "is damaged or cut short"),
    ("malformed", malformed, "is damaged or cut short"),
    ("wrong column", renamed_column("rank"), "missing column(s) rank"),
    ("wrong kind", cell("rank", "一"), "row 2, column 'rank': value '一' — must be a whole number"),
    ("wrong kind", cell("total", "many"), "row 2, column 'total': value 'many' — must be a number"),
    ("wrong kind", cell("pass", "yes"), "row 2, column 'pass': value 'yes' — must be True or False"),
])
def test_a_stage_table_damaged_behind_its_hash_is_refused_by_its_columns_and_kinds(project, capsys, name, damage,
                                                                                   says):
    damage_file(project / STAGE / "scores.csv", damage)
    rehash(project, "scores")
    err = refused(project, WORKBOOK, capsys)
    assert f"{STAGE}/scores.csv" in err and says in err and "credit-county score --month 2019-12" in err


def test_an_index_damaged_behind_its_hash_is_refused_naming_it(project, capsys):
    rewrite(project / STAGE / "index.yaml", b"levels: [category\n")
    stage = project / STAGE / "stage.json"
    record = json.loads(stage.read_text(encoding="utf-8"))
    record["index_sha256"] = hashlib.sha256(b"levels: [category\n").hexdigest()
    rewrite(stage, json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8"))
    err = refused(project, WORKBOOK, capsys)
    assert f"{STAGE}/index.yaml: not valid YAML" in err


def test_a_changed_stage_table_says_what_to_run(project, capsys):
    damage_file(project / STAGE / "scores.csv", cell("total", "1"))
    err = refused(project, WORKBOOK, capsys)
    assert "changed since the score stage wrote it" in err and "re-run `credit-county score --month 2019-12`" in err


def test_the_issue_case_gives_no_traceback_from_the_real_command(project):
    """A subprocess, as a user runs it: the register not UTF-8 → one error line, exit 2."""
    damage_file(project / REGISTER_FILE, not_utf8)
    before = tree(project)
    result = subprocess.run([sys.executable, "-m", "scoring", "--root", str(project), *REVIEW],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.startswith(f"error: {project / REGISTER_FILE}: ")
    assert len(result.stderr.splitlines()) == 1
    assert tree(project) == before


# ----------------------------------------------------------------------------- the register's rules


def test_the_register_reads_back_what_the_review_writes_with_a_bom_and_crlf(tmp_path):
    path = tmp_path / "titles.csv"
    path.write_bytes(b"\xef\xbb\xbf" + REGISTER.replace("\n", "\r\n").encode("utf-8"))
    frame = read_register(path)
    assert frame["year"].tolist() == [2018, 2018] and frame["combined"].tolist() == [131.5, 128.25]
    path.write_text(REGISTER.splitlines()[0] + "\n", encoding="utf-8")  # a header only: no decisions yet
    assert len(read_register(path)) == 0
    assert len(read_register(tmp_path / "absent.csv")) == 0


def test_the_register_refuses_a_decision_twice_and_bounds_its_message(tmp_path):
    path = tmp_path / "titles.csv"
    path.write_text(REGISTER + "lanshan,2018,retained,2021-12-31,120,x\n", encoding="utf-8")
    with pytest.raises(StateError) as info:
        read_register(path)
    assert any("row 4, column 'year': value '2018' — unit 'lanshan' already has a decision for 2018 in row 2" in p
               for p in info.value.problems)
    path.write_text(REGISTER.splitlines()[0] + "\n" + "lanshan,2018,awarded,2020-12-31,x,y\n" * 2000,
                    encoding="utf-8")
    with pytest.raises(StateError) as info:
        read_register(path)
    assert len(info.value.problems) <= 5 and "and 1997 more value(s)" in "\n".join(info.value.problems)


# ----------------------------------------------------------------------------- writes that fail


class _Full:
    """A file whose every write fails: the device is full (or the quota used up)."""

    def __init__(self, fh, code: int) -> None:
        self.fh, self.code = fh, code

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.fh.close()

    def write(self, data) -> int:
        raise OSError(self.code, os.strerror(self.code))


def disk_fills_after(monkeypatch, files: int, code: int = errno.ENOSPC) -> None:
    """The low-level write of scoring.safeio (every published file goes through it) fails after `files` files."""
    real = os.fdopen
    count = {"n": 0}

    def fdopen(fd, mode="r", *args, **kwargs):
        fh = real(fd, mode, *args, **kwargs)
        if "w" not in mode:
            return fh
        count["n"] += 1
        return _Full(fh, code) if count["n"] > files else fh

    monkeypatch.setattr(os, "fdopen", fdopen)


@pytest.mark.parametrize(("argv", "files", "folder"), [
    (SCORE_EARLY, 5, f"outputs/{EARLY}"),  # five tables written, then the disk is full
    (WORKBOOK, 0, STAGE),
    (["ingest", "--month", "2019-11"], 2, "data/processed/2019-11"),
    (["bulletin", "--month", EARLY, "--quiet"], 3, f"outputs/{EARLY}"),  # the score stage of the build
])
def test_no_space_left_is_one_sentence_naming_the_folder_and_nothing_is_left(project, capsys, monkeypatch, argv,
                                                                             files, folder):
    before = tree(project)
    disk_fills_after(monkeypatch, files)
    code = main(["--root", str(project), *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert err == (f"error: cannot write {project / folder}: no space left on the device — "
                   "free some space and run again\n")
    assert tree(project) == before  # no partial outputs, no hidden temporary file or folder


def test_a_quota_is_named_as_such(project, capsys, monkeypatch):
    disk_fills_after(monkeypatch, 0, errno.EDQUOT)
    assert main(["--root", str(project), *WORKBOOK]) == 2
    assert "the disk quota is used up — free some space" in capsys.readouterr().err


@pytest.mark.parametrize(("code", "argv", "folder", "says"), [
    (errno.EACCES, SCORE_EARLY, f"outputs/{EARLY}", "permission denied — make it writable for this user"),
    (errno.EPERM, WORKBOOK, STAGE, "operation not permitted — make it writable for this user"),
    (errno.EROFS, WORKBOOK, STAGE, "the file system is read-only — use a copy of the project on a writable disk"),
])
def test_no_permission_names_the_folder_not_the_temporary_name(project, capsys, monkeypatch, code, argv, folder,
                                                               says):
    before = tree(project)

    def replace(src, dst):  # renaming the temporary file (or folder's files) into place is refused
        raise OSError(code, os.strerror(code), os.fspath(src), None, os.fspath(dst))

    monkeypatch.setattr(os, "replace", replace)
    assert main(["--root", str(project), *argv]) == 2
    err = capsys.readouterr().err
    assert err == f"error: cannot write {project / folder}: {says}" + err.split(says, 1)[1]
    assert len(err.splitlines()) == 1 and ".tmp" not in err and "scratch" not in err
    assert tree(project) == before


def test_a_failed_copy_of_a_folder_is_one_sentence(tmp_path):
    """shutil.copytree (a failed build kept for inspection) lists every file pair; the user sees one line."""
    build = tmp_path / "outputs" / ".2019-12.building.4242-1.abc"
    pairs = [(str(build / f"units/u{i}.html"), str(tmp_path / f"outputs/2019-12.failed/units/u{i}.html"),
              f"[Errno 28] No space left on device: '{build}/units/u{i}.html'") for i in range(200)]
    line = os_error_line(shutil.Error(pairs), None)
    assert line == (f"cannot write {tmp_path / 'outputs/2019-12.failed/units'}: no space left on the device — "
                    "free some space and run again")
    assert os_error_line(shutil.Error([(pairs[0][0], pairs[0][1], "[Errno 5] Input/output error")] * 3), None) \
        .endswith("cannot copy: [Errno 5] Input/output error (and 2 more file(s))")


def test_notebooks_failing_for_want_of_space_are_one_sentence_too(tmp_path):
    lines = [f"u{i}: OSError: [Errno 28] No space left on device: '/tmp/credit-county-typst-x/main.typ'"
             for i in range(16)] + ["nothing was published; the build with the failed notebooks is in …"]
    assert batch_write_failure(lines, tmp_path / "outputs" / "2019-12") == (
        f"cannot write {tmp_path / 'outputs' / '2019-12'}: no space left on the device — free some space and run again")
    assert batch_write_failure(["u1: PermissionError: [Errno 13] Permission denied: 'x'"], tmp_path) is None  # a read
    assert batch_write_failure(["u1: KeyError: 'c1'"], tmp_path) is None


def test_temporary_names_map_to_the_folder_they_are_written_for(tmp_path):
    assert published_path(tmp_path / ".2019-12.building.4242-918.k3j2h1g0/units/lanshan.html") == tmp_path / "2019-12"
    assert published_path(tmp_path / "2019-12" / ".stage.json.4242-918.x8y7z6w5.tmp") == tmp_path / "2019-12"
    assert published_path(tmp_path / "data" / "titles.csv") == tmp_path / "data"


def test_a_real_read_only_folder(project, capsys):
    """Without root: a folder the user may not write. As root (the test machine) chmod does not bind."""
    outputs = project / STAGE
    outputs.chmod(0o555)
    try:
        if os.access(outputs, os.W_OK):
            pytest.skip("running as root: a read-only folder is writable (the monkeypatched cases cover it)")
        assert main(["--root", str(project), *WORKBOOK]) == 2
        assert capsys.readouterr().err.startswith(f"error: cannot write {outputs}: permission denied")
    finally:
        outputs.chmod(0o755)
