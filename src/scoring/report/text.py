"""The report texts: params/report.yaml as a typed model (titles, sections, columns, values,
charts, narrative, suggestions, the review and sensitivity texts, and the workbook's).

`ReportFile` validates the file (pydantic, `scoring.config.Strict`): the required sections are
present, every text is a string and every template is well formed — braces in pairs, each
placeholder a name such as {month_label} (rules `template_braces`, `template_placeholder`).
`ReportText` is what the reports read: `text["section"]` (the mapping as in the file),
`.fill(key, **values)`, `.join(items)`, `.month_label("2019-12")`.
"""

from __future__ import annotations

import datetime as dt
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


_SheetName = Annotated[str, Field(pattern=r"^[^\[\]:*?/\\']{1,31}$")]  # what Excel accepts as a sheet name


class _Sheets(Strict):
    """The workbook's sheets (scoring.report.workbook), one key each."""

    ranking: _SheetName
    categories: _SheetName
    indicators: _SheetName
    subitems: _SheetName
    gains: _SheetName
    movements: _SheetName
    notes: _SheetName


class _Descriptions(Strict):
    ranking: Template
    categories: Template
    indicators: Template
    subitems: Template
    gains: Template
    movements: Template
    notes: Template


class _Formats(Strict):
    """Excel number formats; `signed` has {number}, the points format at the display decimals."""

    percent: str
    signed: Template
    rank_change: str
    yes_no: str
    date: str


class WorkbookText(Strict):
    """The `workbook` section: the month's Excel workbook for the departments."""

    file: Template
    title: Template  # {month_label}
    sheets: _Sheets
    descriptions: _Descriptions
    columns: Texts
    values: Texts
    movements: Texts  # movement code of the stage table → its label
    flags: Texts  # flag of the stage table points → its label
    problems: Texts  # kind of the stage table problems → its label
    notes: Texts
    formats: _Formats  # which raw values are percentages or 是/否: bulletin.formats, as in the reports


_MonthKey = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]  # a data month, YYYY-MM


class Office(Strict):
    """`bulletin.office`: the issuing organ, each month's 文号 and 成文日期, the 主送 list (公文 parts)."""

    organ: str
    organ_line: Template  # {organ}
    guidance: str  # the programme's document, as the bulletin cites it
    numbers: dict[_MonthKey, str] = Field(default_factory=dict)  # data month → 文号
    number_placeholder: str
    issue_dates: dict[_MonthKey, Annotated[dt.date, Field(strict=False)]] = Field(default_factory=dict)
    issue_day: Annotated[int, Field(ge=1, le=28)] = 10  # day of the month after the data month
    addressees: str
    copy_to: str = ""
    printer: str = ""
    title: Template  # {organ} {month_label}
    addressee_line: Template  # {addressees}
    date: Template  # {year} {month} {day}
    imprint: Template  # {printer} {date}
    copy_line: Template  # {copy_to}


class _ValueFormats(Strict):
    """How raw values print: percentages for these metric units, 是/否 for these."""

    percent_units: list[str] = Field(default_factory=list)
    yes_no_units: list[str] = Field(default_factory=list)


class _Limits(Strict):
    """How many items a list of the bulletin names."""

    weakest: Annotated[int, Field(ge=1)] = 3  # weakest indicators city-wide (总体情况)
    ranks: Annotated[int, Field(ge=1)] = 3  # units at the top and at the bottom (排名情况)
    issues: Annotated[int, Field(ge=1)] = 5  # weak-indicator groups (存在问题)
    near_line: Annotated[int, Field(ge=1)] = 3  # units nearest the pass line (下一步工作)
    names: Annotated[int, Field(ge=1)] = 10  # units or cases a sentence names before "等N个县区" (bulletin.lists)


class BulletinText(Strict):
    """The `bulletin` section: the office, the value formats, list lengths and the section texts
    (groups of templates)."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Texts] = Field(init=False)
    office: Office
    formats: _ValueFormats = Field(default_factory=_ValueFormats)
    limits: _Limits = Field(default_factory=_Limits)


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
    workbook: WorkbookText | None = None
    bulletin: BulletinText | None = None


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
