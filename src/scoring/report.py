"""What the notebooks show, section by section, as display objects (scoring.display).

A notebook loads a `MonthContext` once, builds a `UnitReport` or `CityReport`, and shows
one section per cell. All numbers come from the engine's tables (history, analysis);
all Chinese text from `params/report.yaml` and the index.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from scoring import analysis, charts, display, history, narrative, provenance
from scoring.narrative import ReportText, number
from scoring.paths import Project, check_month, previous_month


@dataclass
class MonthContext:
    """One month scored with its history, the report texts and the data's provenance."""

    project: Project
    scored: history.Scored
    text: ReportText
    changes: pd.DataFrame
    synthetic: bool
    sensitivity: pd.DataFrame | None = None
    extras: dict = field(default_factory=dict)

    @property
    def month(self) -> str:
        return self.scored.month

    @property
    def decimals(self) -> int:
        return self.scored.spec.display_decimals

    def unit_name(self, code: str) -> str:
        return self.scored.units.by_code()[code].name


def find_project(root: str | Path | None) -> Project:
    """`root`, else $CREDIT_COUNTY_ROOT, else the current folder or its parent (a notebook
    opened from notebooks/ runs there)."""
    if root is not None or os.environ.get("CREDIT_COUNTY_ROOT"):
        return Project.find(root)
    here = Path.cwd()
    return Project.find(here.parent if not (here / "params" / "index.yaml").is_file() else here)


def load_month(root: str | Path | None, month: str, index_file: str | None = None,
               sensitivity_file: str | Path | None = None) -> MonthContext:
    """Score `month` (and the months before it) for the project at `root`.

    `index_file`: an alternative index (other weights or methods) instead of params/index.yaml.
    `sensitivity_file`: a sensitivity.csv to show rank bands from (the bulletin passes the one
    it has just computed); by default outputs/YYYY-MM/sensitivity.csv when it exists.
    """
    project = find_project(root)
    scored = history.score_history(project, check_month(month), index_file)
    text = narrative.load_report_text(project.params / "report.yaml")
    sens_path = Path(sensitivity_file) if sensitivity_file else project.output_month(month) / "sensitivity.csv"
    sens = pd.read_csv(sens_path) if sens_path.is_file() else None
    return MonthContext(project, scored, text, history.changes(scored.summary, month),
                        provenance.is_synthetic(project, month), sens)


# ----------------------------------------------------------------------------- helpers


def _arrow(text: ReportText, change: float) -> str:
    values = text["values"]
    if change is None or (isinstance(change, float) and math.isnan(change)):
        return values["new"]
    if change > 0:
        return f"{values['up']}{int(change)}"
    if change < 0:
        return f"{values['down']}{int(-change)}"
    return values["same"]


def _signed(value: float, decimals: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    rounded = round(value, decimals)
    return f"+{rounded:.{decimals}f}" if rounded > 0 else f"{rounded:.{decimals}f}".replace("-", "−")


def _percent(value: float) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.0%}"


def common_header(ctx: MonthContext, title: str, subtitle: str) -> list:
    out = [display.Heading(title, level=1), display.Paragraph(subtitle)]
    if ctx.synthetic:
        out.insert(0, display.Banner(ctx.text.fill("synthetic")))
    return out


def provenance_section(ctx: MonthContext) -> list:
    rec = provenance.record(ctx.project, ctx.month)
    cols, labels = ctx.text["columns"], ctx.text["provenance"]
    pairs = [(labels["input"].format(file=i["file"]),
              labels["input_value"].format(sha=str(i["sha256"])[:16], rows=i["rows"])) for i in rec["inputs"]]
    pairs += [
        (labels["metrics"], f"sha256 {str(rec['metrics_sha256'])[:16]}"),
        (labels["params"], f"sha256 {rec['params_sha256'][:16]}"),
        (labels["index"], f"{ctx.scored.spec.version} · sha256 {ctx.scored.spec.sha256[:16]}"),
        (labels["software"], f"credit-county {rec['package_version']} · Python {rec['python']}"),
        (labels["run_time"], rec["run_time"]),
    ]
    return [display.Heading(ctx.text["sections"]["provenance"], level=2),
            display.KeyValues(pairs, caption=f"{cols['key']} / {cols['value']}")]


# ----------------------------------------------------------------------------- unit report


@dataclass
class UnitReport:
    ctx: MonthContext
    unit: str

    def __post_init__(self) -> None:
        if self.unit not in self.ctx.scored.units.codes:
            from scoring.errors import CreditCountyError

            raise CreditCountyError(f"unit {self.unit!r} is not in params/units.yaml "
                                    f"(known: {', '.join(self.ctx.scored.units.codes)})")
        self.row = self.ctx.changes.set_index("unit").loc[self.unit]
        self.indicators = analysis.indicator_table(self.ctx.scored, self.unit)
        self.strengths, self.weaknesses = analysis.strengths_and_weaknesses(self.ctx.scored, self.unit)
        self.problems = analysis.problems(self.ctx.scored, self.unit)
        self.movements = self._movements()

    @property
    def name(self) -> str:
        return self.ctx.unit_name(self.unit)

    def _movements(self) -> pd.DataFrame | None:
        path = self.ctx.project.processed_month(self.ctx.month) / "list_entries.csv"
        if not path.is_file():
            return None
        entries = pd.read_csv(path, dtype=str, keep_default_na=False)
        mine = entries[(entries["unit"] == self.unit) & entries["movement"].isin(["entered", "exited"])]
        return mine.sort_values(["movement", "entry_date", "credit_code"]).reset_index(drop=True)

    def header(self) -> list:
        t = self.ctx.text
        return common_header(self.ctx, t["titles"]["unit"], f"{t.month_label(self.ctx.month)} · {self.name}")

    def narrative(self) -> list:
        paragraphs = narrative.unit_paragraphs(
            self.ctx.scored, self.ctx.text, self.unit, self.row.rename({"unit": self.unit}).copy(),
            self.strengths, self.weaknesses, self.indicators, self.problems, self.movements)
        if self.ctx.sensitivity is not None:
            paragraphs.append(self._sensitivity_sentence())
        return [display.Heading(self.ctx.text["sections"]["summary"], level=2),
                *[display.Paragraph(p) for p in paragraphs]]

    def _sensitivity_sentence(self) -> str:
        sens = self.ctx.sensitivity.set_index("unit").loc[self.unit]
        return self.ctx.text.fill("unit_sensitivity", p05=int(sens["rank_p05"]), p95=int(sens["rank_p95"]),
                                  median=number(sens["median_rank"], 0),
                                  probability=_percent(sens["pass_probability"]))

    def key_figures(self) -> list:
        t, d, r = self.ctx.text, self.ctx.decimals, self.row
        cols = t["columns"]
        frame = pd.DataFrame([{
            cols["total"]: number(r["total"], d),
            cols["change"]: _signed(r["delta_total"], d),
            cols["rank"]: int(r["rank"]),
            cols["rank_change"]: _arrow(t, r["rank_change"]),
            cols["tier_rank"]: f"{int(r['tier_rank'])}（{self.ctx.scored.units.tiers[r['tier']]}）",
            cols["pass"]: t["values"]["pass_yes"] if r["pass"] else t["values"]["pass_no"],
        }])
        return [display.Table(frame)]

    def categories(self) -> list:
        t, d = self.ctx.text, self.ctx.decimals
        spec = self.ctx.scored.spec
        profile = analysis.category_profile(self.ctx.scored, self.unit)
        names = [spec.label(c) for c in profile["code"]]
        cols = t["columns"]
        table = pd.DataFrame({
            cols["category"]: names,
            cols["points"]: [number(v, d) for v in profile["points"]],
            cols["max_points"]: [number(v, 0) for v in profile["max_points"]],
            cols["fraction"]: [_percent(v) for v in profile["fraction"]],
            cols["city_median"]: [number(v, d) for v in profile["city_median"]],
        })
        fig = charts.category_bars(profile, names, t["charts"])
        return [display.Heading(t["sections"]["categories"], level=2), display.Figure(fig), display.Table(table)]

    def strengths_weaknesses(self) -> list:
        t = self.ctx.text
        return [display.Heading(t["sections"]["strengths"], level=2),
                display.Table(self._indicator_rows(self.strengths), caption=t["captions"]["strengths"]),
                display.Table(self._indicator_rows(self.weaknesses), caption=t["captions"]["weaknesses"])]

    def _indicator_rows(self, frame: pd.DataFrame, with_lost: bool = False) -> pd.DataFrame:
        t, d, spec = self.ctx.text, self.ctx.decimals, self.ctx.scored.spec
        cols = t["columns"]
        out = pd.DataFrame({
            cols["indicator"]: [spec.label(c) for c in frame["code"]],
            cols["category"]: [spec.label(p) for p in frame["parent"]],
            cols["points"]: [number(v, d) for v in frame["points"]],
            cols["max_points"]: [number(v, 0) for v in frame["max_points"]],
        })
        if with_lost:
            out[cols["lost"]] = [number(v, d) for v in frame["lost"]]
        out[cols["fraction"]] = [_percent(v) for v in frame["fraction"]]
        out[cols["city_median_fraction"]] = [_percent(v) for v in frame["city_median_fraction"]]
        return out

    def trend(self) -> list:
        t = self.ctx.text
        tr = history.trend(self.ctx.scored.summary, self.unit)
        labels = [t["titles"]["month_short"].format(month=int(m.split("-")[1])) for m in tr["month"]]
        fig = charts.trend_chart(tr, self.ctx.scored.spec.pass_line, labels, t["charts"])
        cols, d = t["columns"], self.ctx.decimals
        table = pd.DataFrame({
            cols["month"]: [t.month_label(m) for m in tr["month"]],
            cols["total"]: [number(v, d) for v in tr["total"]],
            cols["rank"]: tr["rank"].astype(int),
            cols["tier_rank"]: tr["tier_rank"].astype(int),
            cols["pass"]: [t["values"]["pass_yes"] if p else t["values"]["pass_no"] for p in tr["pass"]],
        })
        return [display.Heading(t["sections"]["trend"], level=2), display.Figure(fig), display.Table(table)]

    def indicator_table(self) -> list:
        t = self.ctx.text
        return [display.Heading(t["sections"]["indicators"], level=2),
                display.Table(self._indicator_rows(self.indicators, with_lost=True))]

    def problem_list(self) -> list:
        t, spec = self.ctx.text, self.ctx.scored.spec
        cols = t["columns"]
        heading = display.Heading(t["sections"]["problems"], level=2)
        if not len(self.problems):
            return [heading, display.Paragraph(t.fill("no_problems"))]
        ancestors = spec.ancestors()
        kinds = t["values"]["problem_kinds"]
        category = [next(a for a in [c, *ancestors[c]] if a in {x.code for x in spec.categories})
                    for c in self.problems["code"]]
        frame = pd.DataFrame({
            cols["kind"]: [kinds[k] for k in self.problems["kind"]],
            cols["indicator"]: [spec.label(c) for c in self.problems["code"]],
            cols["lost"]: [number(v, self.ctx.decimals) for v in self.problems["lost"]],
            cols["suggestion"]: [t["suggestions"].get(c, "") for c in category],
        })
        return [heading, display.Table(frame)]

    def movement_list(self) -> list:
        t = self.ctx.text
        cols = t["columns"]
        heading = display.Heading(t["sections"]["movements"], level=2)
        if self.movements is None or not len(self.movements):
            return [heading, display.Paragraph(t.fill("movements_none"))]
        m = self.movements
        frame = pd.DataFrame({
            cols["movement"]: [t["values"][v] for v in m["movement"]],
            cols["entity"]: m["entity"], cols["credit_code"]: m["credit_code"],
            cols["list_type"]: m["list_type"], cols["domain"]: m["domain"],
            cols["entry_date"]: m["entry_date"], cols["exit_date"]: m["exit_date"],
        })
        return [heading, display.Table(frame)]

    def provenance(self) -> list:
        return provenance_section(self.ctx)


# ----------------------------------------------------------------------------- city bulletin


@dataclass
class CityReport:
    ctx: MonthContext

    def __post_init__(self) -> None:
        self.up, self.down = analysis.movers(self.ctx.changes)
        self.indicator_moves = analysis.indicator_moves(self.ctx.scored, self.ctx.month,
                                                        previous_month(self.ctx.month))

    def header(self) -> list:
        t = self.ctx.text
        return common_header(self.ctx, t["titles"]["city"], t.month_label(self.ctx.month))

    def narrative(self) -> list:
        paragraphs = narrative.city_paragraphs(self.ctx.scored, self.ctx.text, self.ctx.changes,
                                               self.up, self.down, self.indicator_moves)
        return [display.Heading(self.ctx.text["sections"]["summary"], level=2),
                *[display.Paragraph(p) for p in paragraphs]]

    def ranking(self) -> list:
        t, d = self.ctx.text, self.ctx.decimals
        cols = t["columns"]
        c = self.ctx.changes.sort_values(["rank", "unit"])
        frame = pd.DataFrame({
            cols["rank"]: c["rank"].astype(int),
            cols["unit"]: c["name"],
            cols["tier"]: [self.ctx.scored.units.tiers[x] for x in c["tier"]],
            cols["total"]: [number(v, d) for v in c["total"]],
            cols["change"]: [_signed(v, d) for v in c["delta_total"]],
            cols["rank_change"]: [_arrow(t, v) for v in c["rank_change"]],
            cols["tier_rank"]: c["tier_rank"].astype(int),
            cols["pass"]: [t["values"]["pass_yes"] if p else t["values"]["pass_no"] for p in c["pass"]],
        })
        out = [display.Heading(t["sections"]["ranking"], level=2)]
        if self.ctx.sensitivity is not None:
            sens = self.ctx.sensitivity.set_index("unit").reindex(c["unit"])
            frame[cols["rank_band"]] = [f"{int(a)}–{int(b)}" for a, b in zip(sens["rank_p05"], sens["rank_p95"],
                                                                            strict=True)]
            frame[cols["pass_probability"]] = [_percent(v) for v in sens["pass_probability"]]
            out += [display.Table(frame), display.Note(t.fill("rank_band_note"))]
        else:
            out.append(display.Table(frame))
        return out

    def heatmap(self) -> list:
        t, spec = self.ctx.text, self.ctx.scored.spec
        fractions = analysis.category_heatmap(self.ctx.scored)
        names = [self.ctx.unit_name(u) for u in fractions.index]
        fig = charts.heatmap(fractions, names, [spec.label(c) for c in fractions.columns], t["charts"])
        return [display.Heading(t["sections"]["heatmap"], level=2), display.Figure(fig)]

    def distribution(self) -> list:
        t = self.ctx.text
        c = self.ctx.changes
        fig = charts.distribution(c["total"], list(c["name"]), self.ctx.scored.spec.pass_line, t["charts"])
        return [display.Heading(t["sections"]["distribution"], level=2), display.Figure(fig)]

    def leaders_and_movers(self) -> list:
        t, d = self.ctx.text, self.ctx.decimals
        cols = t["columns"]

        def table(frame: pd.DataFrame) -> pd.DataFrame:
            return pd.DataFrame({cols["unit"]: frame["name"], cols["total"]: [number(v, d) for v in frame["total"]],
                                 cols["change"]: [_signed(v, d) for v in frame["delta_total"]],
                                 cols["rank_change"]: [_arrow(t, v) for v in frame["rank_change"]]})

        out = [display.Heading(t["sections"]["moves"], level=2)]
        if len(self.up):
            out.append(display.Table(table(self.up), caption=t["captions"]["movers_up"]))
        if len(self.down):
            out.append(display.Table(table(self.down), caption=t["captions"]["movers_down"]))
        if not len(self.up) and not len(self.down):
            out.append(display.Paragraph(t.fill("movers_none")))
        return out

    def method(self) -> list:
        return [display.Heading(self.ctx.text["sections"]["method"], level=2),
                display.Paragraph(narrative.method_note(self.ctx.scored, self.ctx.text))]

    def provenance(self) -> list:
        return provenance_section(self.ctx)
