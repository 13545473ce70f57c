"""Drawing a synthetic year: units, list entities, indicator sheets, reviewer scores, cases.

numpy's default_rng(seed) draws everything in a fixed order, so the same seed and settings
give the same values. Each unit has a quality in [0, 1] per month (a trend moves it); the
values follow it. A later year continues the year before (`Generator.next_year`): the same
units, their December quality and size, the entities still listed on 31 December; its own
draws come from default_rng([seed, year]), so adding a year never changes the earlier ones.
A sheet metric's value is drawn by the generator params/demo.yaml names for the metric's
method (`scoring.demo.values`), and written as its column type writes it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from scoring.demo.settings import DemoSettings, MetricSetting
from scoring.demo.values import GENERATORS, Draw
from scoring.index.spec import IndexSpec, Metric, Unit, Units
from scoring.ingest.cells import CODE_ALPHABET, make_code
from scoring.ingest.contract import INDICATOR_SOURCE, ColumnSpec, Contract
from scoring.ingest.derive import month_bounds
from scoring.ingest.types import column_type

NO_SETTING = MetricSetting()


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

    def register(self, column: str, m: int) -> int:
        """The unit register's figure `column` at the end of month m."""
        return {"legal_persons": self.legal, "market_entities": self.market,
                "population": lambda _m: self.population}[column](m)


class Generator:
    """Draws a year of synthetic data; every random draw happens in a fixed order."""

    def __init__(self, spec: IndexSpec, units: Units, contract: Contract, settings: DemoSettings, year: int,
                 seed: int, before: Generator | None = None) -> None:
        self.spec, self.units, self.contract, self.s = spec, units, contract, settings
        self.year, self.seed = year, seed
        self.rng = np.random.default_rng(seed if before is None else [seed, year])
        self.codes: set[str] = set() if before is None else set(before.codes)
        self.plans = self._plans() if before is None else self._continued(before.plans)
        # the entities still listed at the end of the year before, as copies (`before` is not changed)
        self.entities: list[Entity] = [] if before is None else [
            dataclasses.replace(e) for e in before.entities if e.exit is None]
        self.continues = before is not None

    def next_year(self) -> Generator:
        """The year after this one, continuing it (call after `simulate_lists`)."""
        return Generator(self.spec, self.units, self.contract, self.s, self.year + 1, self.seed, before=self)

    # ---- units
    def _uniform(self, pair: tuple[float, float]) -> float:
        return float(self.rng.uniform(pair[0], pair[1]))

    def _trends(self) -> np.ndarray:
        """+1 for the units that improve over the year, −1 for those that slip, 0 for the rest."""
        order = self.rng.permutation(len(self.units.units))
        k_up, k_down = self.s.trends.improving, self.s.trends.slipping
        trend = np.zeros(len(order))
        trend[order[:k_up]], trend[order[k_up:k_up + k_down]] = 1.0, -1.0
        return trend

    def _path(self, start: float, trend: float) -> list[float]:
        """A year of monthly quality: start + trend × trend_per_month × (month − 1) + noise, in [0.02, 0.98]."""
        s = self.s
        return [float(np.clip(start + trend * s.trend_per_month * m + self.rng.normal(0, s.quality_noise), 0.02, 0.98))
                for m in range(12)]

    def _plans(self) -> list[UnitPlan]:
        s = self.s
        trend = self._trends()
        plans = []
        density = s.legal_persons_per_1000_people
        for i, u in enumerate(self.units.units):
            people = (u.population_2010 or 50.0) * 10000 * (1 + self._uniform(s.population_growth_since_2010))
            legal0 = people * self._uniform(density.get(u.tier, density["county"])) / 1000
            path = self._path(self._uniform(s.quality), trend[i])
            plans.append(UnitPlan(u, round(people), legal0, self._uniform(s.market_entities_per_legal_person),
                                  self._uniform(s.legal_persons_monthly_growth), path))
        return plans

    def _continued(self, before: list[UnitPlan]) -> list[UnitPlan]:
        """The units of the year before, a year on: sized as at its December, January's quality
        starting from December's, new trends."""
        trend = self._trends()
        return [dataclasses.replace(p, legal0=p.legal0 * (1 + p.growth) ** 12, quality=self._path(p.quality[-1], t))
                for p, t in zip(before, trend, strict=True)]

    # ---- entities
    def _code(self, unit: str) -> str:
        division = self.s.division_codes.get(unit, self.s.default_division_code)
        while True:
            body = "".join(CODE_ALPHABET[i] for i in self.rng.integers(0, len(CODE_ALPHABET), 8))
            code = make_code(f"91{division}{body}{self.rng.integers(0, 10)}")
            if code not in self.codes:
                self.codes.add(code)
                return code

    def _name(self, rare: bool = False) -> str:
        n = self.s.names
        words = [n.words[i] for i in self.rng.integers(0, len(n.words), 2)]
        if rare:
            words[0] = n.rare
        trade = n.trades[self.rng.integers(0, len(n.trades))]
        suffix = n.suffixes[self.rng.integers(0, len(n.suffixes))]
        return f"{n.prefix}{''.join(words)}{trade}{suffix}"

    def _day(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=int(self.rng.integers(0, (end - start).days + 1)))

    def _entity(self, unit: str, list_type: str, entry: dt.date, red: bool = False, rare: bool = False,
                department: str | None = None) -> Entity:
        departments = self.s.departments
        if department is None:
            pool = [d for d in departments if (departments[d].red_domains if red else True)]
            department = pool[int(self.rng.integers(0, len(pool)))]
        domains = departments[department].red_domains if red else departments[department].domains
        domain = domains[int(self.rng.integers(0, len(domains)))]
        violations = 0 if red else 1 + int(self.rng.poisson(self.s.lists.violations_mean))
        return Entity(self._code(unit), self._name(rare), unit, list_type, domain, department, entry, None,
                      violations, keep=rare)

    def simulate_lists(self) -> None:
        """The initial stock on 1 January (a continued year: the entities carried over), then each
        month's exits and entries."""
        li, types = self.s.lists, self.s.lists.types
        before = dt.date(self.year - 1, 12, 31)
        first = min(li.first_listed, dt.date(self.year - 3, 1, 1))
        for k, p in enumerate([] if self.continues else self.plans):
            per_1000 = p.legal0 / 1000
            stock = int(self.rng.poisson(self._uniform(li.stock_per_1000) * per_1000 * (1.5 - p.quality[0])))
            for _ in range(stock):
                self.entities.append(self._entity(p.unit.code, self._list_type(), self._day(first, before)))
            for _ in range(int(self.rng.poisson(self._uniform(li.red_per_1000) * per_1000))):
                self.entities.append(self._entity(p.unit.code, types.red, self._day(first, before), red=True))
            if k == 0:  # one long-listed entity whose name is outside GBK (its file is GB18030)
                self.entities.append(self._entity(p.unit.code, types.black, self._day(first, before), rare=True,
                                                  department=list(self.s.departments)[-1]))
        base_entries = [self._uniform(li.entries_per_1000_per_month) for _ in self.plans]
        base_exit = [self._uniform(li.exit_probability_per_month) for _ in self.plans]
        position = {p.unit.code: k for k, p in enumerate(self.plans)}  # one look-up per entity, not a scan
        for m in range(1, 13):
            start, end = month_bounds(f"{self.year}-{m:02d}")
            for e in self.entities:
                if e.exit is None and e.entry < start and not e.keep:
                    k = position[e.unit]
                    p = self.plans[k]
                    chance = (0.2 if e.list_type == types.red else 1.0) * base_exit[k]
                    if self.rng.random() < chance * (0.5 + p.quality[m - 1]):
                        e.exit = self._day(start, end)
            for k, p in enumerate(self.plans):
                per_1000 = p.legal(m) / 1000
                for _ in range(int(self.rng.poisson(base_entries[k] * per_1000 * (1.5 - p.quality[m - 1])))):
                    e = self._entity(p.unit.code, self._list_type(), self._day(start, end))
                    if self.rng.random() < li.same_month_exit_probability:
                        e.exit = self._day(e.entry, end)
                    self.entities.append(e)
                for _ in range(int(self.rng.poisson(li.red_entries_per_1000_per_month * per_1000))):
                    self.entities.append(self._entity(p.unit.code, types.red, self._day(start, end), red=True))

    def _list_type(self) -> str:
        types = self.s.lists.types
        return types.watch if self.rng.random() < self.s.lists.watch_share else types.black

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
        """One cell: the generator named for the metric's method draws it, the column's type writes it."""
        z = float(np.clip(q + self.rng.normal(0, self.s.metric_noise), 0, 1))
        draw = Draw(self.rng, col, metric, self.s.metrics.get(metric.code, NO_SETTING), q, z,
                    lambda column: p.register(column, m))
        value = GENERATORS[self.s.value_generators.of(metric.method)].draw(draw)
        return column_type(col).demo_cell(value, col, self.contract.source(INDICATOR_SOURCE))

    def annual_reviews(self) -> list[dict[str, Any]]:
        """Each unit's acceptance scores (data/raw/YYYY/reviews.csv): on-site and off-site, on
        100 points, higher for units doing well in December; synthetic reviewers and dates."""
        a = self.s.annual_reviews
        low, high = a.scores
        year_end = dt.date(self.year, 12, 31)
        first, last = (year_end + dt.timedelta(days=d) for d in a.days_from_year_end)

        def score(q: float) -> float:
            drawn = low + (high - low) * q + self.rng.normal(0, a.noise)
            return float(np.clip(round(drawn * 2) / 2, low, high))

        def pick(names: tuple[str, ...]) -> str:
            return names[int(self.rng.integers(0, len(names)))]

        rows = []
        for p in self.plans:
            q = p.quality[-1]
            onsite, offsite = score(q), score(q)
            rows.append({"unit": p.unit.name, "onsite": onsite, "offsite": offsite,
                         "onsite_reviewer": pick(a.onsite_reviewers), "offsite_reviewer": pick(a.offsite_reviewers),
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


def apply_cases(g: Generator, sheets: dict[int, dict[str, dict[str, Any]]],
                reviews: dict[int, list[tuple[str, Metric, float]]]) -> None:
    """Open cases in weak units (`cases.open_cases`), a few empty cells, a few missing reviewer scores."""
    cases = g.s.cases
    spans = cases.open_cases.months
    weak = [p.unit.code for p in sorted(g.plans, key=lambda p: np.mean(p.quality))][: len(g.plans) // 2]
    for metric in g.spec.metrics():
        if metric.source == "sheet" and metric.method in cases.open_cases.methods:
            chosen = g.rng.choice(len(weak), size=len(spans), replace=False)
            for (first, last), k in zip(spans, chosen, strict=True):
                for m in range(first, last + 1):
                    sheets[m][weak[int(k)]][metric.code] = 1
    sheet_metrics = [c.name for c in g.contract.source(INDICATOR_SOURCE).columns if c.metric is not None]
    for _ in range(cases.missing_cells):
        m, u, c = (int(g.rng.integers(1, 13)), g.units.codes[int(g.rng.integers(0, len(g.units.codes)))],
                   sheet_metrics[int(g.rng.integers(0, len(sheet_metrics)))])
        if any(values[c] is not None for v, values in sheets[m].items() if v != u):
            sheets[m][u][c] = None  # never the last reported cell: an all-empty column is refused
    for _ in range(cases.missing_reviews):
        m = int(g.rng.integers(1, 13))
        reviews[m].pop(int(g.rng.integers(0, len(reviews[m]))))
