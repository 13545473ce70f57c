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

from scoring import provenance
from scoring.analysis import history
from scoring.analysis import profiles as analysis
from scoring.project import Project, check_month, previous_month
from scoring.render import display
from scoring.report import charts, narrative
from scoring.report.narrative import number
from scoring.report.text import ReportText, load_report_text


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


def _context_key(project: Project, month: str, index_file: str | None, weights_file: str | None) -> dict:
    """What a saved context depends on: the project, month, the contents of the index and weights
    files, every params file and every processed month up to `month` (hashes)."""
    files = [provenance.file_hash(f) for f in (index_file, weights_file)]
    return {"root": str(project.root), "month": month, "files": files,
            "params": provenance.params_hash(project), "metrics": provenance.history_hash(project, month)}


def _private_file(path: Path) -> bool:
    """True when `path` and its folder belong to this user and nobody else can write them:
    a context file is unpickled, so it must not be one somebody else could have planted."""
    if not hasattr(os, "getuid"):
        return False
    for p in (path, path.parent):
        info = p.stat()
        if info.st_uid != os.getuid() or info.st_mode & 0o022:
            return False
    return True


def save_context(ctx: MonthContext, path: str | Path, index_file: str | None = None,
                 weights_file: str | None = None) -> Path:
    """Save the scored history of `ctx` so that the month's notebooks need not score it again
    (the bulletin computes it once; `load_month(context_file=…)` uses it when still valid)."""
    import pickle

    from scoring.safeio import atomic_write_bytes

    payload = {"key": _context_key(ctx.project, ctx.month, index_file, weights_file),
               "scored": ctx.scored, "changes": ctx.changes, "synthetic": ctx.synthetic, "extras": ctx.extras}
    return atomic_write_bytes(path, pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))


def load_month(root: str | Path | None, month: str, index_file: str | None = None,
               sensitivity_file: str | Path | None = None, weights_file: str | None = None,
               context_file: str | Path | None = None) -> MonthContext:
    """Score `month` (and the months before it) for the project at `root`.

    `index_file`: an alternative index (other weights or methods) instead of params/index.yaml;
    `weights_file`: alternative weights applied to it without editing params/ (docs/sensitivity.md).
    `sensitivity_file`: a sensitivity.csv to show rank bands from (the bulletin passes the one
    it has just computed); by default outputs/YYYY-MM/sensitivity.csv when it exists.
    `context_file`: a context saved by `save_context` in the same run (the bulletin's speed-up);
    it is used only when it is private to this user and its key still matches the files, else the
    month is scored afresh. A `sensitivity_file` that no longer exists falls back to the published one;
    no bands are shown for an alternative index or weights.
    """
    import pickle

    project = find_project(root)
    check_month(month)
    text = load_report_text(project.params / "report.yaml")
    published_bands = project.output_month(month) / "sensitivity.csv"
    sens_path = Path(sensitivity_file) if sensitivity_file else published_bands
    if not sens_path.is_file():  # e.g. the build folder named in an executed notebook, since published
        sens_path = published_bands
    if index_file or weights_file:
        sens_path = Path("/nonexistent")  # published bands belong to params/index.yaml, not to this index
    sens = pd.read_csv(sens_path) if sens_path.is_file() else None
    if context_file and Path(context_file).is_file() and _private_file(Path(context_file)):
        saved = pickle.loads(Path(context_file).read_bytes())
        if saved.get("key") == _context_key(project, month, index_file, weights_file):
            return MonthContext(project, saved["scored"], text, saved["changes"], saved["synthetic"], sens,
                                extras=saved.get("extras", {}))
    scored = history.score_history(project, month, index_file, weights_file)
    alternative = " + ".join(str(f) for f in (index_file, weights_file) if f)
    return MonthContext(project, scored, text, history.changes(scored.summary, month, scored.spec.display_decimals),
                        provenance.is_synthetic(project, month), sens, extras={"alternative": alternative})


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
    """The 示例数据 banner when the data is synthetic. Title and subtitle are the renderer's
    title block (batch.Job.title / subtitle); in Jupyter they show as a plain heading."""
    out: list = [display.Banner(ctx.text.fill("synthetic"))] if ctx.synthetic else []
    if ctx.extras.get("alternative"):
        out.append(display.Note(ctx.text.fill("alternative", file=ctx.extras["alternative"]), kind="warning"))
    return out


def provenance_section(ctx: MonthContext, extra: list[tuple[str, str]] | None = None) -> list:
    rec = provenance.record(ctx.project, ctx.month)
    cols, labels = ctx.text["columns"], ctx.text["provenance"]
    pairs = [(labels["input"].format(file=i["file"]),
              labels["input_value"].format(sha=str(i["sha256"])[:16], rows=i["rows"])) for i in rec["inputs"]]
    pairs += [
        (labels["metrics"], f"sha256 {str(rec['metrics_sha256'])[:16]}"),
        (labels["params"], f"sha256 {rec['params_sha256'][:16]}"),
        (labels["index"], f"{ctx.scored.spec.version} · sha256 {ctx.scored.spec.sha256[:16]}"),
        (labels["software"], f"credit-county {rec['package_version']} · Python {rec['python']}"),
        *(extra or []),
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
        from scoring.safeio import restore_cell

        entries = pd.read_csv(path, dtype=str, keep_default_na=False).map(restore_cell)
        mine = entries[(entries["unit"] == self.unit) & entries["movement"].isin(["entered", "exited"])
                       & (entries["counted"] == "1")]  # 红名单 rows are not list movements
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
            cols["tier_rank"]: t.fill("item_tier_rank", rank=int(r["tier_rank"]),
                                      tier=self.ctx.scored.units.tiers[r["tier"]]),
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
        out = [display.Heading(t["sections"]["strengths"], level=2)]
        for frame, key in ((self.strengths, "strengths"), (self.weaknesses, "weaknesses")):
            out.append(display.Table(self._indicator_rows(frame), caption=t["captions"][key]) if len(frame)
                       else display.Paragraph(t.fill(f"no_{key}")))
        return out

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

    def progress(self) -> list:
        return progress_section(self.ctx, self.unit)

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

    def progress(self) -> list:
        return progress_section(self.ctx)

    def method(self) -> list:
        return [display.Heading(self.ctx.text["sections"]["method"], level=2),
                display.Paragraph(narrative.method_note(self.ctx.scored, self.ctx.text))]

    def provenance(self) -> list:
        return provenance_section(self.ctx)


# ----------------------------------------------------------------------------- sensitivity report


@dataclass
class SensitivityReport:
    """Monte Carlo, Sobol and remove-one for the month, with `draws`, `weight_range` and `seed`
    overriding params/sensitivity.yaml when given."""

    ctx: MonthContext
    draws: int | None = None
    weight_range: float | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        import dataclasses

        from scoring.analysis import sensitivity

        settings = sensitivity.load_settings(self.ctx.project.params / "sensitivity.yaml")
        changes = {k: v for k, v in (("draws", self.draws), ("weight_range", self.weight_range),
                                     ("seed", self.seed)) if v is not None}
        self.settings = dataclasses.replace(settings, **changes)
        scored = self.ctx.scored
        values = self.ctx.extras.get("values")
        if values is None:
            from scoring.pipeline.score import read_metrics

            values = sensitivity.month_values(read_metrics(self.ctx.project, self.ctx.month), self.ctx.month)
        self.mc = sensitivity.monte_carlo(scored.spec, scored.units, values, self.settings)
        self.sobol = sensitivity.sobol(scored.spec, scored.units, values, self.settings)
        self.remove_one = sensitivity.remove_one(scored.spec, scored.units, values)

    def _name(self, unit: str) -> str:
        return self.ctx.unit_name(unit)

    def header(self) -> list:
        t = self.ctx.text
        return common_header(self.ctx, t["titles"]["sensitivity"], t.month_label(self.ctx.month))

    def _fill(self, key: str, **values) -> str:
        return self.ctx.text["sensitivity"]["narrative"][key].format(**values)

    def narrative(self) -> list:
        t, s = self.ctx.text, self.mc.summary
        join = t.join
        spec = self.ctx.scored.spec
        out = [self._fill("intro", draws=self.settings.draws, range=_percent(self.settings.weight_range),
                          full=number(spec.total, 0))]
        robust = s[s["rank_p05"] == s["rank_p95"]]
        out.append(self._fill("robust_ranks", items=join([self._name(u) for u in robust["unit"]])) if len(robust)
                   else self._fill("no_robust_ranks"))
        width = (s["rank_p95"] - s["rank_p05"])
        widest = s.assign(width=width).sort_values(["width", "nominal_rank"], ascending=[False, True]).head(3)
        widest = widest[widest["width"] > 0]
        if len(widest):
            out[-1] += self._fill("wide_bands", items=join([
                self._fill("item_band", name=self._name(r.unit), low=int(r.rank_p05), high=int(r.rank_p95))
                for r in widest.itertuples()]))
        p = s["pass_probability"]
        uncertain = s[(p > 0.05) & (p < 0.95)]
        sentence = self._fill("pass_robust", n=int(len(s) - len(uncertain)))
        sentence += (self._fill("pass_uncertain", items=join([
            self._fill("item_probability", name=self._name(r.unit), probability=_percent(r.pass_probability))
            for r in uncertain.itertuples()])) if len(uncertain) else self._fill("pass_all_robust"))
        out.append(sentence)
        fams = self.mc.families
        out.append(self._fill("families", items=join([
            self._fill("family_item", label=r.label, value=number(r.spearman, 3)) for r in fams.itertuples()])))
        mean_sobol = self._mean_sobol()
        if len(mean_sobol) and mean_sobol["ST"].notna().any():
            top = mean_sobol.sort_values("ST", ascending=False).iloc[0]
            out.append(self._fill("sobol", factor=spec.label(top["factor"]), st=number(top["ST"], 2)))
        ro = self.remove_one.assign(size=self.remove_one["shift"].abs())
        if ro["size"].max() > 0:
            r = ro.sort_values(["size", "unit"], ascending=[False, True]).iloc[0]
            out.append(self._fill("remove_one", indicator=spec.label(r["dropped"]), unit=self._name(r["unit"]),
                                  shift=f"{int(r['shift']):+d}".replace("-", "−")))
        return [display.Heading(t["sections"]["summary"], level=2), *[display.Paragraph(x) for x in out]]

    def _mean_sobol(self) -> pd.DataFrame:
        varying = self.sobol[self.sobol["variance"] > 0]
        return varying.groupby("factor", sort=False)[["S1", "ST"]].mean().reset_index()

    def intervals(self) -> list:
        t = self.ctx.text
        s = self.mc.summary.reset_index(drop=True)
        fig = charts.rank_intervals(s, [self._name(u) for u in s["unit"]], t["sensitivity"]["charts"])
        labels = self.settings.labels["columns"]
        ordered = s.sort_values(["nominal_rank", "unit"])
        frame = pd.DataFrame({
            labels["unit"]: [self._name(u) for u in ordered["unit"]],
            labels["nominal_rank"]: ordered["nominal_rank"].astype(int),
            labels["median_rank"]: [number(v, 1) for v in ordered["median_rank"]],
            labels["rank_band"]: [f"{int(a)}–{int(b)}" for a, b in zip(ordered["rank_p05"], ordered["rank_p95"],
                                                                       strict=True)],
            labels["pass_probability"]: [_percent(v) for v in ordered["pass_probability"]],
        })
        return [display.Heading(t["sections"]["sensitivity"], level=2), display.Figure(fig), display.Table(frame)]

    def sobol_chart(self) -> list:
        t, spec = self.ctx.text, self.ctx.scored.spec
        mean = self._mean_sobol()
        if not len(mean):
            return []
        fig = charts.sobol_bars(mean, [spec.label(f) for f in mean["factor"]], t["sensitivity"]["charts"])
        labels = self.settings.labels["columns"]
        frame = pd.DataFrame({labels["factor"]: [spec.label(f) for f in mean["factor"]],
                              labels["S1"]: [number(v, 3) for v in mean["S1"]],
                              labels["ST"]: [number(v, 3) for v in mean["ST"]]})
        return [display.Heading(self.ctx.text["sections"]["sobol"], level=2), display.Figure(fig),
                display.Table(frame)]

    def scenarios(self) -> list:
        labels = self.settings.labels["columns"]
        f = self.mc.families
        frame = pd.DataFrame({labels["family"]: f["label"], labels["draws"]: f["draws"],
                              labels["spearman"]: [number(v, 3) for v in f["spearman"]],
                              labels["mean_abs_shift"]: [number(v, 2) for v in f["mean_abs_shift"]],
                              labels["share_moved_gt2"]: [_percent(v) for v in f["share_moved_gt2"]]})
        return [display.Heading(self.ctx.text["sections"]["scenarios"], level=2), display.Table(frame)]

    def remove_one_table(self) -> list:
        spec, labels = self.ctx.scored.spec, self.settings.labels["columns"]
        cols = self.ctx.text["sensitivity"]["columns"]
        ro = self.remove_one.assign(size=self.remove_one["shift"].abs())
        top = ro[ro["size"] > 0].sort_values(["size", "unit"], ascending=[False, True])
        top = top.groupby("dropped", sort=False).head(1).sort_values(["size", "dropped"], ascending=[False, True])
        if not len(top):
            return [display.Heading(self.ctx.text["sections"]["remove_one"], level=2),
                    display.Paragraph(self._fill("remove_one_none"))]
        frame = pd.DataFrame({labels["dropped"]: [spec.label(c) for c in top["dropped"]],
                              cols["max_shift"]: top["size"].astype(int),
                              cols["unit_most_moved"]: [self._name(u) for u in top["unit"]],
                              labels["shift"]: [f"{int(v):+d}".replace("-", "−") for v in top["shift"]]})
        return [display.Heading(self.ctx.text["sections"]["remove_one"], level=2), display.Table(frame)]

    def provenance(self) -> list:
        return provenance_section(self.ctx)


# ----------------------------------------------------------------------------- creation progress


def _progress(ctx: MonthContext) -> pd.DataFrame:
    from scoring.analysis import acceptance as review

    rules = review.load_rules(ctx.project.params / "review.yaml", ctx.scored.spec)
    table = review.creation_progress(ctx.scored, rules, ctx.scored.spec.pass_line)
    return table.assign(first=rules.creation_months[0], acceptance=rules.acceptance_month)


def progress_section(ctx: MonthContext, unit: str | None = None) -> list:
    """Creation progress (全面创建阶段 only): points still needed, months left, and a straight-line
    projection of the trend to the acceptance month — stated as a projection, not a forecast."""
    table = _progress(ctx)
    if not len(table):
        return []
    p, d = ctx.text["review"]["progress"], ctx.decimals
    first, acceptance = int(table["first"].iloc[0]), int(table["acceptance"].iloc[0])
    out = [display.Heading(p["title"], level=2)]
    if unit is not None:
        row = table.set_index("unit").loc[unit]
        key = "unit_sentence_passing" if row["needed"] <= 0 else "unit_sentence"
        out.append(display.Paragraph(p[key].format(
            first=first, acceptance=acceptance, projected=number(row["projected"], d),
            verdict=p["reachable"] if row["on_track"] else p["unreachable"],
            pass_line=number(ctx.scored.spec.pass_line, 0),
            needed=number(row["needed"], d), months_left=int(row["months_left"]))))
        return out
    cols = ctx.text["columns"]
    ordered = table.merge(ctx.changes[["unit", "name", "rank"]], on="unit").sort_values(["rank", "unit"])
    frame = pd.DataFrame({
        cols["unit"]: ordered["name"], cols["total"]: [number(v, d) for v in ordered["total"]],
        p["needed"]: [number(v, d) for v in ordered["needed"]], p["months_left"]: ordered["months_left"],
        p["slope"]: [_signed(v, d) for v in ordered["slope"]],
        p["projected"]: [number(v, d) for v in ordered["projected"]],
        p["on_track"]: [p["reachable"] if v else p["unreachable"] for v in ordered["on_track"]],
    })
    out += [display.Paragraph(p["intro"].format(first=first, acceptance=acceptance)), display.Table(frame)]
    return out


# ----------------------------------------------------------------------------- annual review


@dataclass
class ReviewReport:
    """The acceptance report of a year (总结验收): components, combined score, pass or fail with
    the reason, the list for the 通报表彰, and the titles register after this year's decisions."""

    project: Project
    outcome: object  # review.ReviewOutcome
    text: ReportText
    synthetic: bool

    @classmethod
    def load(cls, root: str | Path | None, year: int) -> ReviewReport:
        from scoring.analysis import acceptance as review

        project = find_project(root)
        outcome = review.evaluate(project, int(year))
        text = load_report_text(project.params / "report.yaml")
        month = f"{year}-{outcome.rules.acceptance_month:02d}"
        return cls(project, outcome, text, provenance.is_synthetic(project, month))

    def _name(self, unit: str) -> str:
        return self.outcome.scored.units.by_code()[unit].name

    def header(self) -> list:
        return [display.Banner(self.text.fill("synthetic"))] if self.synthetic else []

    def _platform_label(self) -> str:
        r, figures = self.outcome.rules, self.text["review"]["figures"]
        if r.platform_figure == "december":
            return figures["december"].format(year=self.outcome.year, month=r.acceptance_month)
        return figures["creation_mean"].format(year=self.outcome.year, first=r.creation_months[0],
                                               last=r.creation_months[-1])

    def narrative(self) -> list:
        o, t = self.outcome, self.text["review"]["narrative"]
        w, table = o.rules.weights, o.table
        passed = table[table["passed"]]
        paragraphs = [t["summary"].format(
            year=o.year, platform_label=self._platform_label(), w_platform=_percent(w["platform"]),
            w_onsite=_percent(w["onsite"]), w_offsite=_percent(w["offsite"]), pass_line=f"{o.rules.pass_line:g}",
            n_units=len(table), n_passed=len(passed))]
        paragraphs.append(t["passed_list"].format(items=self.text.join([self._name(u) for u in passed["unit"]]))
                          if len(passed) else t["none_passed"])
        vetoed = table[table["reason"].str.startswith(self.text["review"]["reasons"]["veto"].split("{")[0])]
        if len(vetoed):
            paragraphs.append(t["vetoed"].format(items=self.text.join([self._name(u) for u in vetoed["unit"]])))
        decided = o.register[o.register["year"] == o.year]
        if len(decided):
            status = self.text["review"]["status"]
            paragraphs.append(t["register"].format(items=self.text.join(
                [self.text.fill("item_status", name=self._name(r.unit), status=status[r.status])
                 for r in decided.itertuples()])))
        return [display.Heading(self.text["sections"]["summary"], level=2),
                *[display.Paragraph(p) for p in paragraphs]]

    def results(self) -> list:
        o, d = self.outcome, self.outcome.scored.spec.display_decimals
        cols, rc = self.text["columns"], self.text["review"]["columns"]
        v = self.text["values"]
        t = o.table
        frame = pd.DataFrame({
            cols["rank"]: t["rank"].astype(int), cols["unit"]: [self._name(u) for u in t["unit"]],
            rc["platform"]: [number(x, d) for x in t["platform"]],
            rc["onsite"]: [number(x, d) for x in t["onsite"]], rc["offsite"]: [number(x, d) for x in t["offsite"]],
            rc["combined"]: [number(x, d) for x in t["combined"]],
            rc["passed"]: [v["pass_yes"] if p else v["pass_no"] for p in t["passed"]],
            rc["reason"]: t["reason"],
        })
        return [display.Heading(rc["combined"], level=2), display.Table(frame)]

    def reviewers(self) -> list:
        rc, cols = self.text["review"]["columns"], self.text["columns"]
        r = self.outcome.reviews
        frame = pd.DataFrame({cols["unit"]: [self._name(u) for u in r["unit"]],
                              rc["onsite"] + rc["reviewer"]: r["onsite_reviewer"],
                              rc["offsite"] + rc["reviewer"]: r["offsite_reviewer"],
                              rc["review_date"]: r["review_date"]})
        return [display.Heading(rc["reviewer"], level=2), display.Table(frame)]

    def register(self) -> list:
        rc, cols = self.text["review"]["columns"], self.text["columns"]
        status = self.text["review"]["status"]
        reg = self.outcome.register
        if not len(reg):
            return []
        frame = pd.DataFrame({rc["year"]: reg["year"].astype(int), cols["unit"]: [self._name(u) for u in reg["unit"]],
                              rc["status"]: [status[s] for s in reg["status"]], rc["valid_until"]: reg["valid_until"]})
        return [display.Heading(rc["status"], level=2), display.Table(frame)]

    def provenance(self) -> list:
        """The acceptance month's provenance plus the reviewers' file and the review rules."""
        import hashlib

        from scoring.analysis import acceptance as review

        path = review.reviews_file(self.project, self.outcome.year)
        labels = self.text["provenance"]
        extra = [(labels["input"].format(file=f"{self.outcome.year}/{path.name}"),
                  f"sha256 {hashlib.sha256(path.read_bytes()).hexdigest()[:16]}"),
                 ("params/review.yaml", f"sha256 {self.outcome.rules.sha256[:16]}")]
        ctx = MonthContext(self.project, self.outcome.scored, self.text, pd.DataFrame(), self.synthetic)
        return provenance_section(ctx, extra)
