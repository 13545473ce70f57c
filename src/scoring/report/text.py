"""The report texts: params/report.yaml as a typed model (titles, sections, columns, values,
charts, narrative, suggestions, and the review and sensitivity texts).

`ReportFile` validates the file (pydantic, `scoring.config.Strict`): the required sections are
present, every text is a string and every template is well formed — braces in pairs, each
placeholder a name such as {month_label} (rules `template_braces`, `template_placeholder`).
`ReportText` is what the reports read: `text["section"]` (the mapping as in the file),
`.fill(key, **values)`, `.join(items)`, `.month_label("2019-12")`.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from scoring.config import Strict, read_yaml, validate
from scoring.errors import SpecError

REPORT_TEXT_SOURCE = "params/report.yaml"


def placeholders(template: str) -> list[str]:
    """The placeholder names of a str.format template, in order ("{a}{b:.2f}" → ["a", "b"]);
    ValueError when its braces do not pair up."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


def _template(text: str) -> str:
    try:
        names = placeholders(text)
    except ValueError as exc:
        raise PydanticCustomError("template_braces", "braces do not pair up ({error}); double a brace "
                                  "meant literally", {"error": str(exc)}) from None
    bad = [n for n in names if not n.isidentifier()]
    if bad:
        raise PydanticCustomError("template_placeholder", "placeholders must be names, not {names}",
                                  {"names": ", ".join(repr(n) for n in bad)})
    return text


Template = Annotated[str, AfterValidator(_template)]
Texts = dict[str, Template]  # key → text or template
Groups = dict[str, Texts]  # group → texts (the review and sensitivity sections)


class _Open(Strict):
    """A section with a few keys the code needs and any other texts."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Template] = Field(init=False)


class Titles(_Open):
    month_label: Template  # {year} {month}


class Values(_Open):
    problem_kinds: Texts


class Narrative(_Open):
    list_separator: str


class ReportFile(Strict):
    """params/report.yaml: the first seven sections are required; unknown sections are refused."""

    titles: Titles
    sections: Texts
    columns: Texts
    values: Values
    charts: Texts
    narrative: Narrative
    suggestions: Texts  # category code → suggestion
    captions: Texts = Field(default_factory=dict)
    provenance: Texts = Field(default_factory=dict)
    review: Groups = Field(default_factory=dict)
    sensitivity: Groups = Field(default_factory=dict)


REQUIRED_SECTIONS = tuple(name for name, f in ReportFile.model_fields.items() if f.is_required())


@dataclass(frozen=True)
class ReportText:
    """The validated params/report.yaml; `text["section"]` is the section's mapping as in the file."""

    data: dict[str, Any]
    source: str = REPORT_TEXT_SOURCE

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def template(self, key: str) -> str:
        """The text at `key`: a narrative key ("pass_yes") or a dotted path ("review.reasons.veto")."""
        path = key.split(".") if "." in key else ["narrative", key]
        node: Any = self.data
        for part in path:
            if not isinstance(node, dict) or part not in node:
                raise SpecError(f"{self.source}: {'.'.join(path)} is missing (the code asks for it)")
            node = node[part]
        if not isinstance(node, str):
            raise SpecError(f"{self.source}: {'.'.join(path)} is a section, not a text")
        return node

    def fill(self, key: str, **values: Any) -> str:
        """The template at `key` (see `template`) with its placeholders filled from `values`;
        SpecError naming every placeholder the code does not supply (extra values are ignored)."""
        template = self.template(key)
        where = key if "." in key else f"narrative.{key}"
        missing = [name for name in dict.fromkeys(placeholders(template)) if name not in values]
        if missing:
            supplied = ", ".join(sorted(values)) or "nothing"
            raise SpecError(f"{self.source}: {where} uses {', '.join(repr(n) for n in missing)} which the code "
                            f"does not supply (it supplies {supplied})")
        return template.format(**values)

    def join(self, items: list[str]) -> str:
        """`items` joined with narrative.list_separator (、)."""
        return self.data["narrative"]["list_separator"].join(items)

    def month_label(self, month: str) -> str:
        """"2019-12" → titles.month_label filled ("2019年12月")."""
        year, mon = month.split("-")
        return self.fill("titles.month_label", year=year, month=int(mon))


def load_report_text(path: str | Path) -> ReportText:
    """Read and validate params/report.yaml; SpecError listing every problem (file: key.path: rule)."""
    data, _sha = read_yaml(path)
    validate(ReportFile, data, str(path), "report texts")
    return ReportText(data, source=str(path))
