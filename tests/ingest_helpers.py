"""Shared helpers of the ingestion, template and demo tests: a small project in a temporary
folder and a small, valid raw month whose rows a test can change before writing them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from scoring.index.spec import load_index, load_units
from scoring.ingest.contract import load_contract
from scoring.project import Project

ROOT = Path(__file__).resolve().parents[1]
MONTH = "2019-07"

LEGAL = {"lanshan": 20000, "hedong": 10000}


def make_project(tmp_path: Path) -> Project:
    """A project whose params are copies of the real ones, with empty data folders."""
    shutil.copytree(ROOT / "params", tmp_path / "params")
    (tmp_path / "data" / "raw").mkdir(parents=True)
    (tmp_path / "data" / "processed").mkdir(parents=True)
    return Project(tmp_path)


def code(n: int, region: str = "371302") -> str:
    """A valid 统一社会信用代码 numbered n."""
    from scoring.ingest.cells import make_code

    return make_code(f"91{region}{n:09d}")


@dataclass
class Month:
    """The rows of a small valid month, keyed by the template's Chinese headers."""

    register: list[dict] = field(default_factory=list)
    indicators: list[dict] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)
    reviews: list[dict] = field(default_factory=list)


def sheet_value(kind: str) -> object:
    return {"ratio": 0.9, "count": 5, "flag": "是", "number": 5}[kind]


def valid_month(project: Project) -> Month:
    """16 units in the register and the indicator sheet, five hand-checked list records, reviews."""
    spec = load_index(project.index_file)
    units = load_units(project.units_file)
    contract = load_contract(project.params / "sources.yaml", spec)
    indicators = contract.source("indicators")
    month = Month()
    for u in units.units:
        legal = LEGAL.get(u.code, 5000)
        month.register.append({"县区": u.name, "法人企业数（户）": legal, "市场主体数（户）": legal * 6,
                               "常住人口（人）": legal * 50})
        row = {"县区": u.name}
        for col in indicators.columns:
            if col.metric is not None:
                row[col.header] = sheet_value(col.type)
        month.indicators.append(row)
    month.records = [
        _record(code(1), "临沂甲公司", "兰山区", "黑名单", "2018-05-10", "", 3),
        _record(code(2), "临沂乙公司", "兰山区", "重点关注名单", "2019-07-12", "", 1),
        _record(code(3), "临沂丙公司", "兰山区", "黑名单", "2019-01-05", "2019-07-20", 4),
        _record(code(4), "临沂丁公司", "兰山区", "红名单", "2019-07-01", "", 0),
        _record(code(5, "371312"), "临沂戊公司", "河东区", "黑名单", "2017-03-01", "", 2),
    ]
    for u in units.units:
        for m in spec.metrics():
            if m.source == "review":
                month.reviews.append({"县区": u.name, "指标": m.code, "评分（分）": m.points / 2,
                                      "评审人": "评审组", "评审日期": "2019-07-31"})
    return month


def _record(credit: str, entity: str, unit: str, list_type: str, entry: str, leave: str, violations: int) -> dict:
    return {"统一社会信用代码": credit, "主体名称": entity, "所属县区": unit, "名单类型": list_type, "领域": "税务",
            "列入日期": entry, "退出日期": leave, "违法记录次数（次）": violations}


def csv_bytes(rows: list[dict], encoding: str = "utf-8", headers: list[str] | None = None) -> bytes:
    headers = headers or list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(headers)
    for r in rows:
        writer.writerow(["" if r.get(h) is None else r.get(h) for h in headers])
    return buf.getvalue().encode(encoding)


def write_month(project: Project, month: Month, name: str = MONTH, encoding: str = "utf-8",
                xlsx: tuple[str, ...] = ()) -> Path:
    """Write the month's four sources as CSV files (or, for the sources named in `xlsx`, workbooks)."""
    folder = project.raw_month(name)
    folder.mkdir(parents=True, exist_ok=True)
    files = {"register": ("单位基础数据", "单位基础数据", month.register),
             "indicators": ("指标填报", "指标填报", month.indicators),
             "records": ("名单记录", "名单记录", month.records),
             "reviews": ("评审打分", "评审打分", month.reviews)}
    headers = {"records": ["统一社会信用代码", "主体名称", "所属县区", "名单类型", "领域", "列入日期", "退出日期",
                           "违法记录次数（次）"]}
    for key, (stem, sheet, rows) in files.items():
        if key in xlsx:
            write_xlsx(folder / f"{stem}.xlsx", {sheet: rows}, headers.get(key))
        else:
            (folder / f"{stem}.csv").write_bytes(csv_bytes(rows, encoding, headers.get(key)))
    return folder


def write_xlsx(path: Path, sheets: dict[str, list[dict]], headers: list[str] | None = None) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        cols = headers or list(dict.fromkeys(k for r in rows for k in r))
        ws.append(cols)
        for r in rows:
            ws.append([None if r.get(h) in (None, "") else r.get(h) for h in cols])
    wb.save(path)
    return path


def real_month_folder(project: Project, month: str = "2019-05") -> Path:
    """data/raw/M holding one real (unmarked) register file: data the demo must never touch."""
    real = project.raw_month(month)
    real.mkdir()
    (real / "单位基础数据.csv").write_text("县区\n", encoding="utf-8")
    return real


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative name → bytes), to compare two runs."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


WORKBOOK_WORDS = ["兰山区", "罗庄区", "河东区", " 沂南县", "郯城县 ", "", "  ", "a b", "12", "3.5", "2019-07-01",
                  "\u3000费县", "x\ty", "a&b<c>\"d'", "临沭县\u3000"]


def random_workbook(seed: int, write_only: bool, rows: int = 40, width: int = 8) -> bytes:
    """A seeded workbook of 1–3 sheets of up to `rows` × `width` cells of every kind a sheet holds
    (empty, text with spaces and XML characters, whole and decimal numbers, extreme floats, −0.0,
    dates, date-times, booleans), for comparing a reader with openpyxl's full one."""
    rng = random.Random(seed)
    wb = openpyxl.Workbook(write_only=write_only)
    if not write_only:
        wb.remove(wb.active)
    for s in range(rng.randint(1, 3)):
        ws = wb.create_sheet(f"表{s}")
        for _ in range(rng.randint(0, rows)):
            row = []
            for _ in range(rng.randint(0, width)):
                kind = rng.random()
                row.append(None if kind < 0.2 else rng.choice(WORKBOOK_WORDS) if kind < 0.45
                           else rng.randint(-5, 10**6) if kind < 0.6
                           else round(rng.uniform(-1e3, 1e3), rng.randint(0, 6)) if kind < 0.7
                           else rng.choice([0.1, 1e-7, 1e22, 2.5e-300, -0.0, 3.0]) if kind < 0.75
                           else dt.date(2019, rng.randint(1, 12), rng.randint(1, 28)) if kind < 0.85
                           else dt.datetime(2019, 5, 1, rng.randint(0, 23), 30) if kind < 0.9 else rng.random() < 0.5)
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
