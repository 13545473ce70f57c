"""Deterministic synthetic raw data (示例数据) for the 16 units and every month of a year.

`write_demo` writes data/raw/YYYY-MM/ for January–December, exactly as departments would
send it, in every format the ingestion reads:
  示例数据.txt                  the mark: this month is synthetic (`synthetic: true`)
  单位基础数据.csv              UTF-8 (with a byte-order mark in even months)
  指标填报.xlsx                 the indicator sheet, plus a 说明 sheet carrying the mark
  名单记录-市发展改革委.csv     GBK, as Chinese Excel saves it
  名单记录-市市场监管局.csv     GB18030 in even months (a name outside GBK), UTF-8 with BOM in odd months
  评审打分.csv                  UTF-8
December instead holds one filled template workbook (信用县数据填报-YYYY-12.xlsx).
The year folder data/raw/YYYY/ holds the acceptance reviewers' scores (the annual source
`annual_reviews`, read by `scoring.ingest.reviews.read_reviews`):
  示例数据.txt                  the mark, as in a month folder
  reviews.csv                   UTF-8 with BOM: on-site and off-site scores 60–98, higher for units
                                doing well in December; reviewers 张三（示例）…, dates 9 Dec … 17 Jan
Every row's 备注 says 示例数据. Magnitudes and cases come from params/demo.yaml; numpy's
default_rng(seed) draws everything in a fixed order, so the same seed gives the same bytes.
The file names, the notes sheet and the list types are those of params/demo.yaml (`files`,
`notes_sheet`, `lists.types`), checked against the contract; yes/no words are the contract's.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import openpyxl

from scoring.config import read_yaml
from scoring.errors import CreditCountyError, SpecError
from scoring.index.spec import IndexSpec, Metric, Unit, Units
from scoring.ingest.cells import CODE_ALPHABET, make_code
from scoring.ingest.contract import (
    ANNUAL_REVIEW_SOURCE,
    INDICATOR_SOURCE,
    RECORDS_SOURCE,
    REGISTER_SOURCE,
    REVIEW_SOURCE,
    ColumnSpec,
    Contract,
    SourceSpec,
)
from scoring.ingest.derive import month_bounds
from scoring.ingest.process import load_params
from scoring.ingest.template import build_template, workbook_bytes
from scoring.project import MONTH_PATTERN, Project
from scoring.safeio import staged_dir

DEFAULT_SEED = 20190601
SETTINGS_FILE = "demo.yaml"
YEAR_PATTERN = re.compile(r"^\d{4}$")  # data/raw/YYYY/: a year's annual inputs (the reviewers' scores)
REVIEWS_FILE = "reviews.csv"


@dataclass
class Entity:
    """One listing of one entity (a row of the records files while it is listed)."""

    code: str
    name: str
    unit: str
    list_type: str
    domain: str
    department: str
    entry: dt.date
    exit: dt.date | None
    violations: int
    keep: bool = False  # never exits (the entity whose name needs GB18030)


@dataclass
class UnitPlan:
    unit: Unit
    population: int
    legal0: float
    market_ratio: float
    growth: float
    quality: list[float]  # one per month, January first

    def legal(self, m: int) -> int:
        """Legal-person enterprises at the end of month m (growing by `growth` a month)."""
        return round(self.legal0 * (1 + self.growth) ** m)

    def market(self, m: int) -> int:
        """Market entities at the end of month m."""
        return round(self.legal(m) * self.market_ratio)


def raw_years(project: Project) -> list[str]:
    """Year folders of data/raw (YYYY: annual inputs such as the reviewers' scores), oldest first."""
    if not project.raw.is_dir():
        return []
    return sorted(p.name for p in project.raw.iterdir() if p.is_dir() and YEAR_PATTERN.match(p.name))


def write_demo(project: Project, year: int = 2019, seed: int = DEFAULT_SEED, force: bool = False) -> list[str]:
    """Write the demo months of `year` and its year folder (reviews.csv) into data/raw/;
    return the months written.

    Refuses when data/raw already holds a month folder or a year folder: real data is never
    overwritten. With `force`, folders that are themselves demo data (they hold the mark
    file) are replaced; a folder without the mark is still refused.
    """
    spec, units, contract = load_params(project)
    existing = project.raw_months() + raw_years(project)
    if existing and not force:
        raise CreditCountyError(f"{project.raw} already holds {', '.join(existing)}: the demo data "
                                f"({contract.mark}) is written only into an empty data/raw, so that real data is "
                                "never overwritten")
    real = [m for m in existing if not (project.raw / m / contract.marker_file).is_file()]
    if real:
        raise CreditCountyError(f"{project.raw}: {', '.join(real)} hold(s) real data (no {contract.marker_file}); "
                                "the demo data is not written next to real data")
    folders = generate(spec, units, contract, load_settings(project), year, seed)
    for folder, files in folders.items():
        with staged_dir(project.raw / folder) as stage:
            stage.chmod(0o755)  # a temporary folder is private; the month folder is not
            for name, data in files.items():
                (stage / name).write_bytes(data)
    return [f for f in folders if MONTH_PATTERN.match(f)]


def load_settings(project: Project) -> dict[str, Any]:
    data, _sha = read_yaml(project.params / SETTINGS_FILE)
    return data


@dataclass(frozen=True)
class Names:
    """The words the demo writes that the contract must recognise, from params/demo.yaml
    (`lists.types`, `files`, `notes_sheet`) and params/sources.yaml (yes / no); checked
    against the contract, so that what the demo writes is what the ingestion reads."""

    black: str
    watch: str
    red: str
    yes: str
    no: str
    files: dict[str, str]  # source key → file name; records: a template with {department}
    notes_sheet: str

    @classmethod
    def of(cls, contract: Contract, settings: dict[str, Any]) -> Names:
        where = f"params/{SETTINGS_FILE}"
        problems: list[str] = []
        records = contract.source(RECORDS_SOURCE)
        types = dict((settings.get("lists") or {}).get("types") or {})
        for role, counted in (("black", True), ("watch", True), ("red", False)):
            value = types.get(role)
            if value not in records.column("list_type").values or (value in records.counted) != counted:
                problems.append(f"{where}: lists.types.{role} = {value!r} must be a list type of params/sources.yaml "
                                f"records.list_type ({'、'.join(records.column('list_type').values)}) that is "
                                f"{'' if counted else 'not '}in records.counted ({'、'.join(records.counted)})")
        flags = contract.source(INDICATOR_SOURCE).flag_values
        words = {v: next((k for k, n in flags.items() if n == v and not k.isdigit()), None) for v in (1, 0)}
        if words[1] is None or words[0] is None:
            problems.append(f"params/sources.yaml: indicators.flag_values needs a word worth 1 and one worth 0 "
                            f"(has {flags})")
        files = {str(k): str(v) for k, v in (settings.get("files") or {}).items()}
        departments = list(settings.get("departments") or {})
        for key in (REGISTER_SOURCE, INDICATOR_SOURCE, RECORDS_SOURCE, REVIEW_SOURCE):
            name = files.get(key)
            names = [name.format(department=d) for d in departments] if key == RECORDS_SOURCE and name else [name]
            for n in names:
                stem, dot, ext = (n or "").rpartition(".")
                found = contract.source_for_file(stem) if dot else None
                if found is None or found.key != key or f".{ext.lower()}" not in contract.data_extensions:
                    problems.append(f"{where}: files.{key} = {name!r} must be a file name that params/sources.yaml "
                                    f"reads as {key} ({' or '.join(contract.source(key).files)}, with one of "
                                    f"{', '.join(contract.data_extensions)})")
        notes_sheet = str(settings.get("notes_sheet") or "")
        if not contract.is_notes_sheet(notes_sheet):
            problems.append(f"{where}: notes_sheet = {notes_sheet!r} must be one of params/sources.yaml's "
                            f"files.notes_sheets ({'、'.join(contract.notes_sheets)})")
        if problems:
            raise SpecError(f"{where} does not fit the data contract:\n  " + "\n  ".join(problems),
                            problems=problems)
        return cls(black=str(types["black"]), watch=str(types["watch"]), red=str(types["red"]),
                   yes=str(words[1]), no=str(words[0]), files=files, notes_sheet=notes_sheet)


# --------------------------------------------------------------------------- generation


class Generator:
    """Draws a year of synthetic data; every random draw happens in a fixed order."""

    def __init__(self, spec: IndexSpec, units: Units, contract: Contract, settings: dict[str, Any], year: int,
                 seed: int) -> None:
        self.spec, self.units, self.contract, self.s = spec, units, contract, settings
        self.year, self.seed = year, seed
        self.names = Names.of(contract, settings)
        self.rng = np.random.default_rng(seed)
        self.codes: set[str] = set()
        self.plans = self._plans()
        self.entities: list[Entity] = []

    # ---- units
    def _uniform(self, pair: list[float]) -> float:
        return float(self.rng.uniform(pair[0], pair[1]))

    def _plans(self) -> list[UnitPlan]:
        s, rng = self.s, self.rng
        n = len(self.units.units)
        order = rng.permutation(n)
        k_up, k_down = int(s["trends"]["improving"]), int(s["trends"]["slipping"])
        trend = np.zeros(n)
        trend[order[:k_up]], trend[order[k_up:k_up + k_down]] = 1.0, -1.0
        plans = []
        density = s["legal_persons_per_1000_people"]
        for i, u in enumerate(self.units.units):
            people = (u.population_2010 or 50.0) * 10000 * (1 + self._uniform(s["population_growth_since_2010"]))
            legal0 = people * self._uniform(density.get(u.tier, density["county"])) / 1000
            q0 = self._uniform(s["quality"])
            path = [float(np.clip(q0 + trend[i] * s["trend_per_month"] * m + rng.normal(0, s["quality_noise"]),
                                  0.02, 0.98)) for m in range(12)]
            plans.append(UnitPlan(u, round(people), legal0, self._uniform(s["market_entities_per_legal_person"]),
                                  self._uniform(s["legal_persons_monthly_growth"]), path))
        return plans

    # ---- entities
    def _code(self, unit: str) -> str:
        division = str(self.s["division_codes"].get(unit, self.s["default_division_code"]))
        while True:
            body = "".join(CODE_ALPHABET[i] for i in self.rng.integers(0, len(CODE_ALPHABET), 8))
            code = make_code(f"91{division}{body}{self.rng.integers(0, 10)}")
            if code not in self.codes:
                self.codes.add(code)
                return code

    def _name(self, rare: bool = False) -> str:
        n = self.s["names"]
        words = [n["words"][i] for i in self.rng.integers(0, len(n["words"]), 2)]
        if rare:
            words[0] = n["rare"]
        trade = n["trades"][self.rng.integers(0, len(n["trades"]))]
        suffix = n["suffixes"][self.rng.integers(0, len(n["suffixes"]))]
        return f"{n['prefix']}{''.join(words)}{trade}{suffix}"

    def _day(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=int(self.rng.integers(0, (end - start).days + 1)))

    def _entity(self, unit: str, list_type: str, entry: dt.date, red: bool = False, rare: bool = False,
                department: str | None = None) -> Entity:
        departments = list(self.s["departments"])
        if department is None:
            pool = [d for d in departments if (self.s["departments"][d]["red_domains"] if red else True)]
            department = pool[int(self.rng.integers(0, len(pool)))]
        domains = self.s["departments"][department]["red_domains" if red else "domains"]
        domain = domains[int(self.rng.integers(0, len(domains)))]
        violations = 0 if red else 1 + int(self.rng.poisson(self.s["lists"]["violations_mean"]))
        return Entity(self._code(unit), self._name(rare), unit, list_type, domain, department, entry, None,
                      violations, keep=rare)

    def simulate_lists(self) -> None:
        """The initial stock on 1 January, then each month's exits and entries."""
        li = self.s["lists"]
        before = dt.date(self.year - 1, 12, 31)
        first = min(dt.date.fromisoformat(str(li["first_listed"])), dt.date(self.year - 3, 1, 1))
        for k, p in enumerate(self.plans):
            per_1000 = p.legal0 / 1000
            stock = int(self.rng.poisson(self._uniform(li["stock_per_1000"]) * per_1000 * (1.5 - p.quality[0])))
            for _ in range(stock):
                self.entities.append(self._entity(p.unit.code, self._list_type(), self._day(first, before)))
            for _ in range(int(self.rng.poisson(self._uniform(li["red_per_1000"]) * per_1000))):
                self.entities.append(self._entity(p.unit.code, self.names.red, self._day(first, before),
                                                  red=True))
            if k == 0:  # one long-listed entity whose name is outside GBK (its file is GB18030)
                self.entities.append(self._entity(p.unit.code, self.names.black, self._day(first, before), rare=True,
                                                  department=list(self.s["departments"])[-1]))
        base_entries = [self._uniform(li["entries_per_1000_per_month"]) for _ in self.plans]
        base_exit = [self._uniform(li["exit_probability_per_month"]) for _ in self.plans]
        for m in range(1, 13):
            start, end = month_bounds(f"{self.year}-{m:02d}")
            for e in self.entities:
                if e.exit is None and e.entry < start and not e.keep:
                    p = self.plans[self.units.codes.index(e.unit)]
                    chance = ((0.2 if e.list_type == self.names.red else 1.0)
                              * base_exit[self.units.codes.index(e.unit)])
                    if self.rng.random() < chance * (0.5 + p.quality[m - 1]):
                        e.exit = self._day(start, end)
            for k, p in enumerate(self.plans):
                per_1000 = p.legal(m) / 1000
                for _ in range(int(self.rng.poisson(base_entries[k] * per_1000 * (1.5 - p.quality[m - 1])))):
                    e = self._entity(p.unit.code, self._list_type(), self._day(start, end))
                    if self.rng.random() < li["same_month_exit_probability"]:
                        e.exit = self._day(e.entry, end)
                    self.entities.append(e)
                for _ in range(int(self.rng.poisson(li["red_entries_per_1000_per_month"] * per_1000))):
                    self.entities.append(self._entity(p.unit.code, self.names.red, self._day(start, end),
                                                      red=True))

    def _list_type(self) -> str:
        return self.names.watch if self.rng.random() < self.s["lists"]["watch_share"] else self.names.black

    def records_of(self, month: str) -> list[Entity]:
        """The entities listed at any time during the month, as that month's file reports them."""
        start, end = month_bounds(month)
        rows = [e for e in self.entities if e.entry <= end and (e.exit is None or e.exit >= start)]
        order = {c: i for i, c in enumerate(self.units.codes)}
        return sorted(rows, key=lambda e: (order[e.unit], e.entry, e.code))

    # ---- indicator sheet and reviews
    def sheet_values(self, m: int) -> dict[str, dict[str, Any]]:
        """unit code → metric code → the value typed in the sheet (None: left empty)."""
        source = self.contract.source(INDICATOR_SOURCE)
        out: dict[str, dict[str, Any]] = {}
        for p in self.plans:
            q = p.quality[m - 1]
            row: dict[str, Any] = {}
            for col in source.columns:
                if col.metric is not None:
                    row[col.name] = self._value(col, col.metric, q, p, m)
            out[p.unit.code] = row
        return out

    def _value(self, col: ColumnSpec, metric: Metric, q: float, p: UnitPlan, m: int) -> Any:
        setting = self.s["metrics"].get(metric.code, {})
        z = float(np.clip(q + self.rng.normal(0, self.s["metric_noise"]), 0, 1))
        if col.type == "flag":
            threshold = setting.get("threshold", 0.4) if isinstance(setting, dict) else 0.4
            return self.names.yes if z > threshold else self.names.no
        if metric.method == "zero_tolerance":
            return 0
        if metric.method == "deduction":
            events = setting.get("events", 1.0) if isinstance(setting, dict) else 1.0
            return int(self.rng.poisson(events * (1 - q)))
        if isinstance(setting, dict) and "values" in setting:
            values = setting["values"]
            return values[min(len(values) - 1, int(z * len(values)))]
        if metric.method == "bands":
            top = float(metric.params["bands"][0][0])
            values = [top - 0.05, top - 0.02, top - 0.01, top]
            return values[min(len(values) - 1, int(z * len(values)))]
        worst, best = setting if isinstance(setting, list) else ([0.3, 1.0] if col.type == "ratio" else [0, 10])
        v = worst + (best - worst) * z
        if metric.per:
            register = {"legal_persons": p.legal(m), "market_entities": p.market(m),
                        "population": p.population}[metric.per["register"]]
            return round(v * register / float(metric.per["scale"]))
        if col.type == "ratio":
            return round(float(np.clip(v, 0, 1)), 4)
        if col.type == "count":
            top = col.max if col.max is not None else np.inf
            return int(np.clip(round(v), 0, top))
        return round(v, 1)

    def annual_reviews(self) -> list[dict[str, Any]]:
        """Each unit's acceptance scores (data/raw/YYYY/reviews.csv): on-site and off-site, on
        100 points, higher for units doing well in December; synthetic reviewers and dates."""
        a = self.s["annual_reviews"]
        low, high = (float(v) for v in a["scores"])
        year_end = dt.date(self.year, 12, 31)
        first, last = (year_end + dt.timedelta(days=int(d)) for d in a["days_from_year_end"])

        def score(q: float) -> float:
            drawn = low + (high - low) * q + self.rng.normal(0, float(a["noise"]))
            return float(np.clip(round(drawn * 2) / 2, low, high))

        def pick(names: list[str]) -> str:
            return str(names[int(self.rng.integers(0, len(names)))])

        rows = []
        for p in self.plans:
            q = p.quality[-1]
            onsite, offsite = score(q), score(q)
            rows.append({"unit": p.unit.name, "onsite": onsite, "offsite": offsite,
                         "onsite_reviewer": pick(a["onsite_reviewers"]),
                         "offsite_reviewer": pick(a["offsite_reviewers"]),
                         "review_date": self._day(first, last), "note": self.contract.mark})
        return rows

    def review_scores(self, m: int) -> list[tuple[str, Metric, float]]:
        out = []
        for p in self.plans:
            for metric in self.spec.metrics():
                if metric.source == "review":
                    z = float(np.clip(p.quality[m - 1] + self.rng.normal(0, 0.1), 0, 1))
                    out.append((p.unit.code, metric, min(metric.points, round(metric.points * z * 2) / 2)))
        return out


def generate(spec: IndexSpec, units: Units, contract: Contract, settings: dict[str, Any], year: int,
             seed: int) -> dict[str, dict[str, bytes]]:
    """The demo files of `year`: folder of data/raw → file name → bytes. The folders are the
    twelve months (YYYY-MM) and the year (YYYY: the acceptance reviewers' scores)."""
    g = Generator(spec, units, contract, settings, year, seed)
    g.simulate_lists()
    sheets = {m: g.sheet_values(m) for m in range(1, 13)}
    reviews = {m: g.review_scores(m) for m in range(1, 13)}
    _apply_cases(g, sheets, reviews)
    out: dict[str, dict[str, bytes]] = {}
    for m in range(1, 13):
        month = f"{year}-{m:02d}"
        out[month] = _month_files(g, month, m, sheets[m], reviews[m])
    out[str(year)] = _year_files(g)  # drawn last: the months' bytes do not depend on it
    return out


def _apply_cases(g: Generator, sheets: dict[int, dict[str, dict[str, Any]]],
                 reviews: dict[int, list[tuple[str, Metric, float]]]) -> None:
    """Zero-tolerance cases in weak units, a few empty cells, a few missing reviewer scores."""
    cases = g.s["cases"]
    weak = [p.unit.code for p in sorted(g.plans, key=lambda p: np.mean(p.quality))][: len(g.plans) // 2]
    for metric in g.spec.metrics():
        if metric.method == "zero_tolerance" and metric.source == "sheet":
            chosen = g.rng.choice(len(weak), size=len(cases["zero_tolerance"]), replace=False)
            for (first, last), k in zip(cases["zero_tolerance"], chosen, strict=True):
                for m in range(int(first), int(last) + 1):
                    sheets[m][weak[int(k)]][metric.code] = 1
    sheet_metrics = [c.name for c in g.contract.source(INDICATOR_SOURCE).columns if c.metric is not None]
    for _ in range(int(cases["missing_cells"])):
        m, u, c = (int(g.rng.integers(1, 13)), g.units.codes[int(g.rng.integers(0, len(g.units.codes)))],
                   sheet_metrics[int(g.rng.integers(0, len(sheet_metrics)))])
        if any(values[c] is not None for v, values in sheets[m].items() if v != u):
            sheets[m][u][c] = None  # never the last reported cell: an all-empty column is refused
    for _ in range(int(cases["missing_reviews"])):
        m = int(g.rng.integers(1, 13))
        reviews[m].pop(int(g.rng.integers(0, len(reviews[m]))))


# --------------------------------------------------------------------------- files


def _csv(headers: list[str], rows: list[list[Any]], encoding: str) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([["" if v is None else v for v in r] for r in rows])
    return buf.getvalue().encode(encoding)


def _rows(source: SourceSpec, records: list[dict[str, Any]]) -> list[list[Any]]:
    return [[r.get(c.name) for c in source.columns] for r in records]


def _marker(g: Generator, month: str, period: str = "month") -> bytes:
    return (f"{g.contract.mark} (synthetic demo data)\nsynthetic: true\ngenerator: credit-county demo-data\n"
            f"seed: {g.seed}\n{period}: {month}\n{g.s['note']}\n").encode()


def _year_files(g: Generator) -> dict[str, bytes]:
    """data/raw/YYYY/: the mark and the reviewers' scores (UTF-8 with BOM, as Excel's "CSV UTF-8")."""
    source = g.contract.annual_source(ANNUAL_REVIEW_SOURCE)

    def text(value: Any) -> Any:
        return f"{value:g}" if isinstance(value, float) else _text(value)

    rows = [[text(v) for v in r] for r in _rows(source, g.annual_reviews())]
    return {g.contract.marker_file: _marker(g, str(g.year), "year"),
            REVIEWS_FILE: _csv([c.header for c in source.columns], rows, "utf-8-sig")}


def _month_tables(g: Generator, month: str, m: int, sheet: dict[str, dict[str, Any]],
                  reviews: list[tuple[str, Metric, float]]) -> dict[str, list[dict[str, Any]]]:
    """Each source's rows as dicts keyed by column name (dates as dates, 备注 = the mark)."""
    mark = g.contract.mark
    names = {u.code: u.name for u in g.units.units}
    _start, end = month_bounds(month)
    register = [{"unit": p.unit.name, "legal_persons": p.legal(m),
                 "market_entities": p.market(m), "population": p.population,
                 "note": mark} for p in g.plans]
    indicators = [{"unit": names[u], **values, "note": mark} for u, values in sheet.items()]
    records = [{"credit_code": e.code, "entity": e.name, "unit": names[e.unit], "list_type": e.list_type,
                "domain": e.domain, "entry_date": e.entry, "exit_date": e.exit if e.exit and e.exit <= end else None,
                "violations": e.violations, "note": mark, "_department": e.department}
               for e in g.records_of(month)]
    scored = []
    for unit, metric, score in reviews:
        late = g.rng.random() < 0.3
        day = end + dt.timedelta(days=int(g.rng.integers(1, 6))) if late else end
        scored.append({"unit": names[unit], "metric": metric.code, "score": score,
                       "reviewer": g.s["reviewers"][int(g.rng.integers(0, len(g.s["reviewers"])))],
                       "date": day, "note": mark})
    return {REGISTER_SOURCE: register, INDICATOR_SOURCE: indicators, RECORDS_SOURCE: records, REVIEW_SOURCE: scored}


def _text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _month_files(g: Generator, month: str, m: int, sheet: dict[str, dict[str, Any]],
                 reviews: list[tuple[str, Metric, float]]) -> dict[str, bytes]:
    tables = _month_tables(g, month, m, sheet, reviews)
    c = g.contract
    files = {c.marker_file: _marker(g, month)}
    if m == 12:
        files[str(c.template.get("file", "template-{month}.xlsx")).format(month=month)] = _filled_template(
            g, month, tables)
        return files
    src = {k: c.source(k) for k in tables}

    def headers(key: str) -> list[str]:
        return [col.header for col in src[key].columns]

    def text_rows(key: str, rows: list[dict[str, Any]]) -> list[list[Any]]:
        return [[_text(v) for v in r] for r in _rows(src[key], rows)]

    names = g.names.files
    files[names[REGISTER_SOURCE]] = _csv(headers(REGISTER_SOURCE), text_rows(REGISTER_SOURCE, tables[REGISTER_SOURCE]),
                                         "utf-8-sig" if m % 2 == 0 else "utf-8")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = src[INDICATOR_SOURCE].sheets[0]
    ws.append(headers(INDICATOR_SOURCE))
    for row in _rows(src[INDICATOR_SOURCE], tables[INDICATOR_SOURCE]):
        ws.append(row)
    wb.create_sheet(g.names.notes_sheet).append([g.s["note"]])
    files[names[INDICATOR_SOURCE]] = workbook_bytes(wb)
    departments = list(g.s["departments"])
    for k, department in enumerate(departments):
        rows = [r for r in tables[RECORDS_SOURCE] if r["_department"] == department]
        encoding = "gbk" if k == 0 else ("gb18030" if m % 2 == 0 else "utf-8-sig")
        files[names[RECORDS_SOURCE].format(department=department)] = _csv(
            headers(RECORDS_SOURCE), text_rows(RECORDS_SOURCE, rows), encoding)
    files[names[REVIEW_SOURCE]] = _csv(headers(REVIEW_SOURCE), text_rows(REVIEW_SOURCE, tables[REVIEW_SOURCE]),
                                       "utf-8")
    return files


def _filled_template(g: Generator, month: str, tables: dict[str, list[dict[str, Any]]]) -> bytes:
    """The month's template with every sheet filled in, as a department would return it."""
    wb = build_template(g.spec, g.units, g.contract, month)
    for key, rows in tables.items():
        source = g.contract.source(key)
        ws = wb[source.sheets[0]]
        columns = {col.name: i for i, col in enumerate(source.columns, start=1)}
        if key == REVIEW_SOURCE:  # pre-filled unit × item rows: fill the score, reviewer and date
            where = {(ws.cell(r, columns["unit"]).value, ws.cell(r, columns["metric"]).value): r
                     for r in range(2, ws.max_row + 1)}
            shorts = {m.code: m.short for m in g.spec.metrics()}
            for row in rows:
                r = where[(row["unit"], shorts[row["metric"]])]
                for name in ("score", "reviewer", "date", "note"):
                    ws.cell(r, columns[name]).value = row[name]
            continue
        for r, row in enumerate(rows, start=2):
            for name, i in columns.items():
                ws.cell(r, i).value = row.get(name)
    wb.create_sheet(g.names.notes_sheet).append([g.s["note"]])
    return workbook_bytes(wb)
