"""Load and check the index tree (`params/index.yaml`) and the units (`params/units.yaml`).

The files are described by pydantic models (`index.schema`: `IndexFile`, `UnitsFile`), validated
through `scoring.config.validate`: a wrong file lists every problem as "file: key.path: rule —
value", the rule in Chinese from params/labels.yaml. The rest of the code uses the frozen
dataclasses built from the validated models: `IndexSpec` (with `Node`, `Metric`) and `Units` (`Unit`).
The loader is generic: any tree in the same format (any depth, any totals) loads. Nothing about
Linyi is written here; a metric's method and parameters are checked by its catalogue entry
(`index.methods`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scoring.config import read_yaml, validate
from scoring.index.methods import DIRECTIONS
from scoring.index.schema import SOURCES, TOLERANCE, UNIT_CODE, IndexFile, NodeFile, UnitsFile

__all__ = ["DIRECTIONS", "SOURCES", "TOLERANCE", "UNIT_CODE", "IndexSpec", "Metric", "Node", "Unit", "Units",
           "load_index", "load_units", "parse_index"]


@dataclass(frozen=True)
class Metric:
    """A leaf of the index: one raw value per unit and month becomes points."""

    code: str
    name: str
    short: str
    unit: str
    direction: str
    method: str
    params: dict[str, Any]
    weight: float
    source: str
    points: float  # this metric's share of its parent's points
    parent: str
    rationale: str = ""
    derive: str | None = None
    per: dict[str, Any] | None = None


@dataclass(frozen=True)
class Node:
    """An inner node of the index (the root, a category, an indicator …)."""

    code: str
    name: str
    points: float
    level: str
    children: tuple[Node, ...] = ()
    metrics: tuple[Metric, ...] = ()
    short: str = ""  # the label where a table has no room for the name (the name when not given)

    def walk(self) -> Iterator[Node]:
        """This node and every node below it, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class IndexSpec:
    """The whole index: tree, levels, pass line and a hash of the source text."""

    root: Node
    levels: tuple[str, ...]
    pass_line: float
    pass_line_reason: str
    display_decimals: int
    version: str
    document: str
    sha256: str
    path: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def total(self) -> float:
        return self.root.points

    @property
    def categories(self) -> tuple[Node, ...]:
        """The root's children: the columns of the per-unit summary."""
        return self.root.children

    def nodes(self) -> list[Node]:
        return list(self.root.walk())

    def metrics(self) -> list[Metric]:
        return [m for node in self.root.walk() for m in node.metrics]

    def metric(self, code: str) -> Metric:
        for m in self.metrics():
            if m.code == code:
                return m
        raise KeyError(code)

    def node(self, code: str) -> Node:
        for n in self.root.walk():
            if n.code == code:
                return n
        raise KeyError(code)

    def label(self, code: str) -> str:
        """Chinese name of any node or metric (the short label for metrics)."""
        for n in self.root.walk():
            if n.code == code:
                return n.name
            for m in n.metrics:
                if m.code == code:
                    return m.short
        raise KeyError(code)

    def ancestors(self) -> dict[str, list[str]]:
        """Map every node and metric code to the codes above it, nearest first."""
        out: dict[str, list[str]] = {}

        def visit(node: Node, above: list[str]) -> None:
            out[node.code] = above
            for m in node.metrics:
                out[m.code] = [node.code, *above]
            for child in node.children:
                visit(child, [node.code, *above])

        visit(self.root, [])
        return out


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    tier: str
    population_2010: float | None = None


@dataclass(frozen=True)
class Units:
    units: tuple[Unit, ...]
    tiers: dict[str, str]  # tier code -> Chinese label
    sha256: str

    @property
    def codes(self) -> list[str]:
        return [u.code for u in self.units]

    def by_code(self) -> dict[str, Unit]:
        return {u.code: u for u in self.units}

    def by_name(self) -> dict[str, Unit]:
        return {u.name: u for u in self.units}

    def frame(self):
        import pandas as pd

        return pd.DataFrame(
            {
                "unit": [u.code for u in self.units],
                "name": [u.name for u in self.units],
                "tier": [u.tier for u in self.units],
                "tier_name": [self.tiers[u.tier] for u in self.units],
            }
        )


# --------------------------------------------------------------------------- loading


def _node(entry: IndexFile | NodeFile, points: float, depth: int, levels: tuple[str, ...]) -> Node:
    """The dataclass of a validated node: a metric gets points × weight / Σ weights of its node."""
    entries = entry.metrics or []
    total_weight = sum(m.weight for m in entries)
    metrics_ = tuple(
        Metric(code=m.code, name=m.name, short=m.short or m.name, unit=m.unit, direction=m.direction,
               method=m.method, params=dict(m.params or {}), weight=m.weight, source=m.source,
               points=points * (m.weight / total_weight), parent=entry.code, rationale=m.rationale,
               derive=m.derive, per=m.per.model_dump(by_alias=True) if m.per else None)
        for m in entries
    )
    children = tuple(_node(c, c.points, depth + 1, levels) for c in entry.children or [])
    level = levels[depth] if depth < len(levels) else f"level{depth}"
    return Node(code=entry.code, name=entry.name, points=points, level=level, children=children, metrics=metrics_,
                short=getattr(entry, "short", None) or entry.name)


def load_index(path: str | Path) -> IndexSpec:
    """Read an index file and refuse it, listing every problem, if it is wrong."""
    path = Path(path)
    data, digest = read_yaml(path)
    return parse_index(data, source=str(path), sha256=digest)


def parse_index(data: dict[str, Any], source: str = "<index>", sha256: str = "") -> IndexSpec:
    """Build an :class:`IndexSpec` from a parsed mapping; SpecError listing every problem
    ("source: key.path: rule — value") when it does not describe a valid index."""
    model = validate(IndexFile, data, source, "index")
    levels = tuple(model.levels)
    return IndexSpec(
        root=_node(model, float(model.total), 0, levels),
        levels=levels,
        pass_line=float(model.pass_line.points),
        pass_line_reason=model.pass_line.reason,
        display_decimals=model.display_decimals,
        version=model.version,
        document=model.document,
        sha256=sha256,
        path=source,
        raw=data,
    )


def load_units(path: str | Path) -> Units:
    """Read the units file; SpecError listing every problem (duplicate codes or names, unknown tiers …)."""
    path = Path(path)
    data, digest = read_yaml(path)
    model = validate(UnitsFile, data, str(path), "units")
    units = tuple(Unit(code=u.code, name=u.name, tier=u.tier, population_2010=u.population_2010) for u in model.units)
    return Units(units=units, tiers=dict(model.tiers), sha256=digest)
