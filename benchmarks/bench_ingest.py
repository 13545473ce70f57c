"""`credit-county ingest` of a large department file against reading the same file with pandas, in one run.

    python benchmarks/bench_ingest.py [--mb 50] [--seed 7] [--month 2019-12] [--xlsx-rows 0] [--keep]

Builds a scratch project in a temporary folder (this repository's params/, the synthetic demo data
of scoring.demo; untimed) and adds to the month a records file (名单记录-大.csv, UTF-8) of about
`--mb` MB: the demo's own records of the month, repeated and varied (a new 统一社会信用代码 for
each copy, the entity's name numbered, the violations shifted; seeded), so every row is valid and
distinct. Then times, each in a child process of its own:

- ingest, valid: `credit-county --root R ingest --month M` — read, every check of the contract, the
  derivations, data/processed/M written (the demo's workbook of the month is read too: ~1 s);
- ingest, repeated row: the same file with one row repeated (row 1001 = row 2): refused, exit 2,
  one line for each of the two rows;
- plain: `pandas.read_csv(file, dtype=str, keep_default_na=False)` of the same file, no validation;
- with `--xlsx-rows N`: the same for a workbook holding the first N records (openpyxl reads it,
  as pandas.read_excel does; the plain side is `pandas.read_excel(file, dtype=str)`).

Prints wall and CPU seconds, peak memory (the child's maximum resident set size, os.wait4) and
the ratio ingest / plain, and whether a 50 MB file meets the target (≤ 30 s). The machine may be
shared: the load average before and after is printed, and CPU time is the computation's own.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

from scoring.demo import write_demo
from scoring.ingest.cells import make_code
from scoring.project import Project

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).with_name("credit-county")
TARGET_SECONDS = 30.0
BIG_FILE = "名单记录-大.csv"
HEADERS = ["统一社会信用代码", "主体名称", "所属县区", "名单类型", "领域", "列入日期", "退出日期", "违法记录次数（次）",
           "备注"]


@dataclasses.dataclass
class Run:
    wall: float
    cpu: float
    peak_mib: float
    status: int
    stderr: str


def run_child(command: list[str]) -> Run:
    """Run `command`; its wall time, CPU time (user + system) and peak resident memory."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert child.stderr is not None
    err = child.stderr.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return Run(time.perf_counter() - start, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
               child.returncode, err.decode("utf-8", "replace"))


def demo_records(project: Project, month: str) -> list[list[str]]:
    """The demo's records of `month` (its workbook's 名单记录 sheet), as text rows without the header."""
    workbook = next(project.raw_month(month).glob("*.xlsx"))
    sheet = openpyxl.load_workbook(workbook, read_only=True, data_only=True)["名单记录"]
    rows = []
    for values in list(sheet.iter_rows(values_only=True))[1:]:
        cells = ["" if v is None else v.date().isoformat() if hasattr(v, "date") else str(v) for v in values]
        rows.append((cells + [""] * len(HEADERS))[:len(HEADERS)])
    return rows


def write_big_records(path: Path, base: list[list[str]], megabytes: float, seed: int, repeat: bool = False) -> int:
    """Copies of the demo's records, varied, until the file has `megabytes` MB; returns its rows."""
    rng = random.Random(seed)
    n = 0
    first: list[str] | None = None
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        while fh.tell() < megabytes * 1e6:
            for row in base:
                code = make_code(f"92{371300 + n % 97:06d}{n:09d}")  # '92…': no clash with the demo's '91…'
                violations = str((int(row[7] or 0) + rng.randrange(3)) % 10)
                out = [code, f"{row[1]}（{n}）", *row[2:7], violations, row[8]]
                writer.writerow(out)
                first = first or out
                n += 1
                if repeat and n == 999 and first is not None:
                    writer.writerow(first)  # row 1001 repeats row 2
    return n + (1 if repeat else 0)


def write_xlsx(csv_path: Path, xlsx_path: Path, rows: int) -> None:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("名单记录")
    with csv_path.open(encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.reader(fh)):
            if i > rows:
                break
            ws.append(row)
    wb.save(xlsx_path)


def ingest(project: Project, month: str) -> Run:
    command = [str(CLI)] if CLI.exists() else [sys.executable, "-m", "scoring"]
    return run_child([*command, "--root", str(project.root), "ingest", "--month", month])


def plain(path: Path) -> Run:
    reader = ("pandas.read_excel(sys.argv[1], dtype=str)" if path.suffix == ".xlsx"
              else "pandas.read_csv(sys.argv[1], dtype=str, keep_default_na=False)")
    return run_child([sys.executable, "-c", f"import sys, pandas; {reader}", str(path)])


def show(label: str, run: Run) -> None:
    print(f"  {label:<26} {run.wall:7.1f} s wall  {run.cpu:7.1f} s CPU  {run.peak_mib:7,.0f} MiB peak  "
          f"exit {run.status}")


def compare(label: str, mine: Run, theirs: Run) -> None:
    print(f"  ratio {label:<20} {mine.wall / theirs.wall:5.1f}× wall  {mine.cpu / theirs.cpu:5.1f}× CPU  "
          f"{mine.peak_mib / theirs.peak_mib:5.1f}× memory")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50.0, help="size of the records file (MB)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--month", default="2019-12")
    parser.add_argument("--xlsx-rows", type=int, default=0, help="also time a workbook of this many records")
    parser.add_argument("--keep", action="store_true", help="keep the scratch project (its path is printed)")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        project = Project(tmp)
        shutil.copytree(ROOT / "params", project.params)
        write_demo(project)
        base = demo_records(project, args.month)
        folder = project.raw_month(args.month)
        big = folder / BIG_FILE
        rows = write_big_records(big, base, args.mb, args.seed)
        size = big.stat().st_size / 1e6
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        print(f"{BIG_FILE}: {size:.1f} MB, {rows:,} records (the demo's {len(base):,} of {args.month}, repeated "
              "and varied) + the demo's workbook of the month")
        valid, read = ingest(project, args.month), plain(big)
        show("ingest, valid", valid)
        write_big_records(big, base, args.mb, args.seed, repeat=True)
        repeated = ingest(project, args.month)
        show("ingest, one repeated row", repeated)
        show("plain pandas.read_csv", read)
        compare("valid / plain", valid, read)
        compare("repeated / plain", repeated, read)
        ok = valid.status == 0 and repeated.status == 2 and repeated.stderr.count("duplicate row") == 2
        print(f"  check: valid file written (exit 0), repeated row refused with its two rows (exit 2): {ok}")
        if not ok:
            print(valid.stderr[-2000:], repeated.stderr[-2000:], sep="\n")
        if args.mb >= 50:
            slowest = max(valid.wall, repeated.wall)
            verdict = "met" if slowest <= TARGET_SECONDS else "NOT met"
            print(f"  target ≤ {TARGET_SECONDS:.0f} s for a 50 MB file: {verdict}"
                  f" (slowest {slowest:.1f} s wall, {max(valid.cpu, repeated.cpu):.1f} s CPU)")
        if args.xlsx_rows:
            big.unlink()
            book = folder / "名单记录-大.xlsx"
            write_big_records(tmp / BIG_FILE, base, args.mb, args.seed)
            write_xlsx(tmp / BIG_FILE, book, args.xlsx_rows)
            print(f"名单记录-大.xlsx: {book.stat().st_size / 1e6:.1f} MB, {args.xlsx_rows:,} records")
            mine, theirs = ingest(project, args.month), plain(book)
            show("ingest, workbook", mine)
            show("plain pandas.read_excel", theirs)
            compare("workbook / plain", mine, theirs)
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        return 0 if ok else 1
    finally:
        if args.keep:
            print(f"scratch project: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
