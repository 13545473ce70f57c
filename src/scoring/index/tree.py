"""The index as nested dicts, for `credit-county index --json` and readers outside Python."""

from __future__ import annotations

from typing import Any

from scoring.index.spec import IndexSpec, Node


def index_tree(spec: IndexSpec) -> dict[str, Any]:
    """The index as nested dicts (code, name, level, points, children / metrics)."""

    def node_dict(node: Node) -> dict[str, Any]:
        out: dict[str, Any] = {"code": node.code, "name": node.name, "level": node.level,
                               "points": node.points}
        if node.children:
            out["children"] = [node_dict(c) for c in node.children]
        if node.metrics:
            out["children"] = [
                {"code": m.code, "name": m.name, "short": m.short, "level": spec.levels[-1],
                 "points": m.points, "unit": m.unit, "direction": m.direction, "method": m.method,
                 "params": m.params, "weight": m.weight, "source": m.source}
                for m in node.metrics
            ]
        return out

    tree = node_dict(spec.root)
    tree.update(version=spec.version, document=spec.document, pass_line=spec.pass_line,
                sha256=spec.sha256)
    return tree
