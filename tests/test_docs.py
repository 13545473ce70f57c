"""The documents stay true to the params: every metric's method and parameters are in the methodology."""

from __future__ import annotations

from pathlib import Path

from scoring.index.spec import load_index

ROOT = Path(__file__).resolve().parents[1]


def test_methodology_lists_every_metric_with_its_method_and_parameters():
    spec = load_index(ROOT / "params" / "index.yaml")
    text = (ROOT / "docs" / "methodology.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip().strip("`"): line for line in text.splitlines() if line.startswith("| `c")}
    for m in spec.metrics():
        assert m.code in rows, f"{m.code} missing from docs/methodology.md"
        row = rows[m.code]
        assert f"`{m.method}`" in row, (m.code, m.method)
        for key, value in m.params.items():
            assert f"{key}={value}" in row, (m.code, key, value)
        assert f"{m.points:.3f}" in row, (m.code, m.points)
        per = f"按 {m.per['register']} ×{m.per['scale']:g} 折算" if m.per else None
        assert (per in row) if per else ("；按 " not in row), (m.code, m.per)
    assert len(rows) == len(spec.metrics())


def test_methodology_names_every_method_of_the_catalogue():
    from scoring.index.methods import CATALOGUE

    text = (ROOT / "docs" / "methodology.md").read_text(encoding="utf-8")
    for name in CATALOGUE:
        assert f"| `{name}` |" in text, name
