"""docs/data.md stays true to the contract: every column and every sheet metric is documented."""

from __future__ import annotations

from pathlib import Path

from scoring.ingest import load_params
from scoring.ingest.derive import DERIVATIONS
from scoring.project import Project

ROOT = Path(__file__).resolve().parents[1]


def test_data_md_lists_every_column_header_and_derivation():
    _spec, _units, contract = load_params(Project(ROOT))
    text = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    for source in [*contract.sources.values(), *contract.annual.values()]:
        assert f"({source.key})" in text or f"(`{source.key}`)" in text, source.key
        for col in source.columns:
            row = next((r for r in rows if r.startswith(f"| `{col.name}` | {col.header} |")), None)
            assert row is not None, f"{source.key}.{col.name} ({col.header}) missing from docs/data.md"
            if col.metric is not None:
                assert f"| {col.type} |" in row, (col.name, col.type)
    for name in DERIVATIONS:
        assert f"`{name}`" in text, name
