"""The report texts: params/report.yaml (titles, sections, columns, values, charts, narrative)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scoring.config import read_yaml
from scoring.errors import SpecError


@dataclass(frozen=True)
class ReportText:
    """The parsed `params/report.yaml`: titles, sections, columns, values, charts, narrative."""

    data: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def fill(self, key: str, **values: Any) -> str:
        """The narrative template `key` with its placeholders filled."""
        template = self.data["narrative"][key]
        try:
            return template.format(**values)
        except KeyError as exc:
            raise SpecError(f"params/report.yaml: narrative.{key} uses {exc} which the code does not supply") from exc

    def join(self, items: list[str]) -> str:
        return self.data["narrative"]["list_separator"].join(items)

    def month_label(self, month: str) -> str:
        year, mon = month.split("-")
        return self.data["titles"]["month_label"].format(year=year, month=int(mon))


REQUIRED_SECTIONS = ("titles", "sections", "columns", "values", "charts", "narrative", "suggestions")


def load_report_text(path: str | Path) -> ReportText:
    path = Path(path)
    data, _sha = read_yaml(path)
    missing = [k for k in REQUIRED_SECTIONS if k not in data]
    if missing:
        raise SpecError(f"{path}: missing sections {missing}")
    return ReportText(data)
