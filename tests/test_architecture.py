"""The package's structure as rules: no import cycles, one job per module, one place per rule.

These read the source (ast), so a change that breaks the layering fails here with the
module it happened in, not somewhere downstream.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "scoring"
MAX_LINES = 400
#: Public names deliberately used as the same verb in several modules (called as module.name).
SHARED_VERBS = {"main", "load"}


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports_at_load(path: Path, name: str) -> set[str]:
    """The scoring modules `path` imports when it is loaded (module level, not inside functions
    and not under TYPE_CHECKING)."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for sub in ast.walk(node) if isinstance(node, ast.Import | ast.ImportFrom) else []:
            if isinstance(sub, ast.Import):
                found |= {a.name for a in sub.names if a.name.startswith("scoring")}
            elif isinstance(sub, ast.ImportFrom):
                base = sub.module or ""
                if sub.level:
                    base = ".".join([*package.split(".")[: len(package.split(".")) - sub.level + 1], base])
                if base.startswith("scoring"):
                    found.add(base)
                    found |= {f"{base}.{a.name}" for a in sub.names}
    return found


def test_no_import_cycles():
    mods = modules()
    graph = {name: {m for m in imports_at_load(path, name) if m in mods and m != name} for name, path in mods.items()}
    # a package's __init__ re-exporting its own modules is not a cycle of theirs
    for name in graph:
        graph[name] = {m for m in graph[name] if not (name.startswith(m + ".") and mods[m].name == "__init__.py")}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" → ".join([*trail[trail.index(nxt):], nxt]) if nxt in trail else f"{node} → {nxt}")
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_no_module_is_longer_than_a_reader_can_hold():
    long = {str(p.relative_to(SRC)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_public_names_do_not_collide_across_modules():
    defined = defaultdict(list)
    for name, path in modules().items():
        if path.name == "__init__.py":
            continue  # a package's __init__ re-exports its modules' verbs
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            names = [node.name] if isinstance(node, ast.FunctionDef | ast.ClassDef) else \
                [t.id for t in node.targets if isinstance(t, ast.Name)] if isinstance(node, ast.Assign) else []
            for n in names:
                if not n.startswith("_") and n not in SHARED_VERBS and name not in defined[n]:
                    defined[n].append(name)
    assert {n: where for n, where in defined.items() if len(where) > 1} == {}


def test_nothing_is_pickled_and_one_function_finds_the_project():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import pickle|from pickle|import dill)", text, re.M), path
        if path.name != "project.py":
            assert '"index.yaml").is_file()' not in text, f"{path}: use scoring.project.find_root"


def test_method_and_column_type_rules_live_in_their_catalogues():
    """A new scoring method or column type is one catalogue entry: no name tests elsewhere."""
    pattern = re.compile(r"""\b(method|method_name|kind|type)\s*(==|!=|in)\s*\(?["']""")
    offenders = [f"{p.relative_to(SRC)}:{i}: {line.strip()}"
                 for p in PACKAGE.rglob("*.py") if p.name not in ("methods.py", "types.py")
                 for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert offenders == []
