"""Load and check the index tree (`params/index.yaml`) and the units (`params/units.yaml`).

The loader is generic: any tree in the same format (any depth, any totals) loads,
and every refusal names the entry at fault. Nothing about Linyi is written here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scoring.config import read_yaml
from scoring.errors import SpecError
from scoring.index import methods

DIRECTIONS = ("higher", "lower")
UNIT_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
SOURCES = ("sheet", "records", "review")
TOLERANCE = 1e-9


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


def load_index(path: str | Path) -> IndexSpec:
    """Read an index file and refuse it, listing every problem, if it is wrong."""
    path = Path(path)
    data, digest = read_yaml(path)
    return parse_index(data, source=str(path), sha256=digest)


def parse_index(data: dict[str, Any], source: str = "<index>", sha256: str = "") -> IndexSpec:
    """Build an :class:`IndexSpec` from a parsed mapping; raise SpecError listing all problems."""
    problems: list[str] = []
    seen: set[str] = set()
    levels_raw = data.get("levels")
    if not isinstance(levels_raw, list) or not all(isinstance(x, str) and x for x in levels_raw):
        problems.append(f"{source}: 'levels' must list the level names from the root down, got {levels_raw!r}")
        levels_raw = []
    levels = tuple(levels_raw)

    def where(code: str, fld: str) -> str:
        return f"{source}: entry {code!r}, field {fld!r}"

    def number(entry: dict, fld: str, code: str, positive: bool = True) -> float:
        value = entry.get(fld)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            problems.append(f"{where(code, fld)}: {value!r} is not a number")
            return math.nan
        if positive and value <= 0:
            problems.append(f"{where(code, fld)}: {value!r} must be > 0")
        return float(value)

    def claim(code: Any, context: str) -> str:
        if not isinstance(code, str) or not code or not code.isascii() or " " in code:
            problems.append(f"{source}: {context}: code {code!r} must be a non-empty ASCII string")
            return str(code)
        if code in seen:
            problems.append(f"{source}: duplicate code {code!r}")
        seen.add(code)
        return code

    def build_metrics(entries: list, parent: dict, parent_code: str) -> tuple[Metric, ...]:
        weights = []
        raw = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                problems.append(f"{source}: metric #{i + 1} under {parent_code!r} is not a mapping")
                continue
            code = claim(entry.get("code"), f"metric #{i + 1} under {parent_code!r}")
            for fld in ("name", "unit", "rationale"):
                if not isinstance(entry.get(fld), str) or not entry.get(fld).strip():
                    problems.append(f"{where(code, fld)}: missing or empty")
            direction = entry.get("direction")
            if direction not in DIRECTIONS:
                problems.append(f"{where(code, 'direction')}: {direction!r} is not one of {DIRECTIONS}")
            source_kind = entry.get("source", "sheet")
            if source_kind not in SOURCES:
                problems.append(f"{where(code, 'source')}: {source_kind!r} is not one of {SOURCES}")
            if source_kind == "records" and not entry.get("derive"):
                problems.append(f"{where(code, 'derive')}: a records metric must name its derivation")
            per = entry.get("per")
            if per is not None and (
                not isinstance(per, dict)
                or not isinstance(per.get("register"), str)
                or isinstance(per.get("scale"), bool)
                or not isinstance(per.get("scale"), int | float)
                or per.get("scale") <= 0
            ):
                problems.append(f"{where(code, 'per')}: needs register (text) and scale (> 0), got {per!r}")
            weights.append(number(entry, "weight", code))
            raw.append((code, entry, direction, source_kind))
        total_weight = sum(w for w in weights if math.isfinite(w) and w > 0)
        parent_points = parent.get("points")
        out = []
        for (code, entry, direction, source_kind), weight in zip(raw, weights, strict=True):
            share = weight / total_weight if total_weight and math.isfinite(weight) else math.nan
            points = float(parent_points) * share if isinstance(parent_points, int | float) else math.nan
            method_name = entry.get("method")
            params = entry.get("params") or {}
            if not isinstance(params, dict):
                problems.append(f"{where(code, 'params')}: must be a mapping, got {params!r}")
                params = {}
            problems.extend(
                f"{where(code, 'method')}: {msg}"
                for msg in methods.check_params(method_name, params, direction=direction)
            )
            if method_name == "manual" and source_kind != "review":
                problems.append(f"{where(code, 'source')}: a manual metric must come from review")
            out.append(
                Metric(
                    code=code,
                    name=str(entry.get("name", "")),
                    short=str(entry.get("short") or entry.get("name", "")),
                    unit=str(entry.get("unit", "")),
                    direction=str(direction),
                    method=str(method_name),
                    params=dict(params),
                    weight=weight,
                    source=str(source_kind),
                    points=points,
                    parent=parent_code,
                    rationale=str(entry.get("rationale", "")),
                    derive=entry.get("derive"),
                    per=entry.get("per"),
                )
            )
        return tuple(out)

    def build_node(entry: Any, depth: int, context: str) -> Node:
        if not isinstance(entry, dict):
            problems.append(f"{source}: {context} is not a mapping")
            return Node(code="?", name="", points=math.nan, level="?")
        code = claim(entry.get("code"), context)
        points = number(entry, "points" if depth else "total", code)
        if not isinstance(entry.get("name"), str) or not entry["name"].strip():
            problems.append(f"{where(code, 'name')}: missing or empty")
        level = levels[depth] if depth < len(levels) else f"level{depth}"
        children_raw = entry.get("children")
        metrics_raw = entry.get("metrics")
        if bool(children_raw) == bool(metrics_raw):
            problems.append(f"{source}: entry {code!r} needs either children or metrics (exactly one)")
        children = tuple(
            build_node(c, depth + 1, f"child #{i + 1} of {code!r}")
            for i, c in enumerate(children_raw or [])
        )
        node_for_points = {"points": points}
        metrics_ = build_metrics(list(metrics_raw or []), node_for_points, code)
        if children:
            child_sum = sum(c.points for c in children)
            if math.isfinite(points) and abs(child_sum - points) > TOLERANCE:
                parts = " + ".join(f"{c.code}={c.points:g}" for c in children)
                problems.append(
                    f"{source}: entry {code!r}: points {points:g} ≠ sum of its children {child_sum:g} ({parts})"
                )
        return Node(code=code, name=str(entry.get("name", "")), points=points, level=level,
                    children=children, metrics=metrics_)

    root = build_node({**data, "points": data.get("total")}, 0, "the root")
    if levels:
        def leaf_depths(node: Node, depth: int) -> list[tuple[str, int]]:
            own = [(node.code, depth)] if node.metrics else []
            return own + [d for child in node.children for d in leaf_depths(child, depth + 1)]

        for code, depth in leaf_depths(root, 0):
            if depth + 2 != len(levels):
                problems.append(f"{source}: entry {code!r} holds metrics at depth {depth + 1}, but 'levels' "
                                f"{list(levels)} names {len(levels)} levels (metrics must be the last)")

    pass_line = data.get("pass_line") or {}
    pass_points = pass_line.get("points") if isinstance(pass_line, dict) else None
    if isinstance(pass_points, bool) or not isinstance(pass_points, int | float):
        problems.append(f"{source}: pass_line.points must be a number, got {pass_points!r}")
        pass_points = math.nan
    elif math.isfinite(root.points) and not 0 <= pass_points <= root.points:
        problems.append(f"{source}: pass_line.points {pass_points!r} is outside [0, {root.points:g}]")
    reason = pass_line.get("reason", "") if isinstance(pass_line, dict) else ""
    if not reason:
        problems.append(f"{source}: pass_line.reason must say why the line is where it is")
    decimals = data.get("display_decimals", 2)
    if not isinstance(decimals, int) or isinstance(decimals, bool) or not 0 <= decimals <= 6:
        problems.append(f"{source}: display_decimals must be an integer 0–6, got {decimals!r}")
        decimals = 2

    if problems:
        raise SpecError("index is not valid:\n  " + "\n  ".join(problems), problems=problems)
    return IndexSpec(
        root=root,
        levels=levels,
        pass_line=float(pass_points),
        pass_line_reason=str(reason),
        display_decimals=decimals,
        version=str(data.get("version", "")),
        document=str(data.get("document", "")),
        sha256=sha256,
        path=source,
        raw=data,
    )


def load_units(path: str | Path) -> Units:
    """Read the units file; refuse duplicate codes or names and unknown tiers."""
    path = Path(path)
    data, digest = read_yaml(path)
    problems: list[str] = []
    tiers = data.get("tiers") or {}
    if not isinstance(tiers, dict) or not tiers:
        problems.append(f"{path}: 'tiers' must map tier codes to their Chinese labels")
        tiers = {}
    units: list[Unit] = []
    codes: set[str] = set()
    names: set[str] = set()
    for i, entry in enumerate(data.get("units") or [], start=1):
        if not isinstance(entry, dict):
            problems.append(f"{path}: unit #{i} is not a mapping")
            continue
        code, name, tier = entry.get("code"), entry.get("name"), entry.get("tier")
        if not isinstance(code, str) or not UNIT_CODE.match(code):
            problems.append(f"{path}: unit #{i}: code {code!r} must be lower-case letters, digits, - or _ "
                            "(it names the unit's report files)")
        elif code in codes:
            problems.append(f"{path}: unit #{i}: duplicate code {code!r}")
        if not isinstance(name, str) or not name:
            problems.append(f"{path}: unit #{i}: name missing")
        elif name in names:
            problems.append(f"{path}: unit #{i}: duplicate name {name!r}")
        if tier not in tiers:
            problems.append(f"{path}: unit #{i} ({code}): tier {tier!r} is not one of {list(tiers)}")
        codes.add(str(code))
        names.add(str(name))
        units.append(Unit(code=str(code), name=str(name), tier=str(tier),
                          population_2010=entry.get("population_2010")))
    if not units:
        problems.append(f"{path}: no units")
    if problems:
        raise SpecError("units are not valid:\n  " + "\n  ".join(problems), problems=problems)
    return Units(units=tuple(units), tiers={str(k): str(v) for k, v in tiers.items()}, sha256=digest)
