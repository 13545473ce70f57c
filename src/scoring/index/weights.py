"""Alternative weights: a researcher's weights file applied to the index without editing params/."""

from __future__ import annotations

import copy
import hashlib
import math
from pathlib import Path

from scoring.config import read_yaml
from scoring.errors import SpecError
from scoring.index import methods
from scoring.index.spec import IndexSpec, parse_index

WEIGHTS_FILE_KEYS = {"weights", "description", "note"}


def alternative_weights(spec: IndexSpec, path: str | Path, *, strict: bool = False) -> IndexSpec:
    """A copy of `spec` with the points and weights of a researcher's weights file.

    The file maps codes to numbers (either at the top level or under a `weights:` key, with
    an optional `description:`): a node code (category, indicator …) → its new points, a
    metric code → its new weight inside its indicator. The total stays the index total.

    Reconciliation (strict=False, the default): points are relative among siblings. From
    the root down, the children of every node are rescaled in proportion so that they add
    up to their parent's points — so `c1: 95` alone makes c1 95/160 of 150 and shrinks the
    other categories in proportion; `c1.i5: 30` alone moves points inside c1 only.
    strict=True: no rescaling; a file whose points do not add up is refused.
    Fractions do not move: every metric whose method has a `scale_param` (manual's and
    deduction's `out_of`) gets it pinned to its published points unless the index sets it.
    The result is checked again by `spec.parse_index`; every problem is listed.
    """
    path = Path(path)
    data, weights_sha = read_yaml(path)
    if isinstance(data, dict) and isinstance(data.get("weights"), dict):
        extra = sorted(set(data) - WEIGHTS_FILE_KEYS)
        if extra:
            raise SpecError(f"{path}: unknown keys {extra}; allowed beside 'weights': description, note")
        data = data["weights"]
    if not isinstance(data, dict) or not data:
        raise SpecError(f"{path}: expected a mapping of node or metric codes to numbers")

    nodes = {n.code for n in spec.nodes()}
    metric_codes = {m.code for m in spec.metrics()}
    problems = []
    new: dict[str, float] = {}
    for code, value in data.items():
        if code == spec.root.code:
            problems.append(f"{path}: {code!r} is the index itself; its total ({spec.total:g}) cannot change")
        elif code not in nodes and code not in metric_codes:
            problems.append(f"{path}: {code!r} is neither a node nor a metric of the index")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
            problems.append(f"{path}: {code!r}: {value!r} must be a number > 0")
        else:
            new[str(code)] = float(value)
    if problems:
        raise SpecError(f"{path}: weights file is not valid:\n  " + "\n  ".join(problems), problems=problems)

    raw = copy.deepcopy(spec.raw)
    official = {m.code: m.points for m in spec.metrics()}

    def apply(entry: dict) -> None:
        for child in entry.get("children") or []:
            if child.get("code") in new:
                child["points"] = new[child["code"]]
            apply(child)
        for metric in entry.get("metrics") or []:
            if metric.get("code") in new:
                metric["weight"] = new[metric["code"]]
            method = methods.CATALOGUE.get(metric.get("method"))
            if method is not None and method.scale_param is not None:
                # The method's scale stays the published points (a reviewer's 满分, a deduction's base),
                # so the metric's fraction does not depend on the weights.
                params = dict(metric.get("params") or {})
                params.setdefault(method.scale_param, official[metric["code"]])
                metric["params"] = params

    def fit(entry: dict, points: float) -> None:
        children = entry.get("children") or []
        given = sum(float(c["points"]) for c in children)
        for child in children:
            if not strict and given > 0:
                child["points"] = float(child["points"]) * points / given
            fit(child, float(child["points"]))

    apply(raw)
    fit(raw, float(raw["total"]))
    digest = hashlib.sha256(f"{spec.sha256}\n{weights_sha}".encode()).hexdigest()
    return parse_index(raw, source=f"{spec.path or '<index>'} with weights from {path}", sha256=digest)
