"""The month's data for the departments: one Excel workbook (outputs/YYYY-MM/通报数据.xlsx).

Sheets, in order (names, headers and labels from params/report.yaml `workbook:`):
ranking (rank, unit, tier, category points, total as printed, change, the change against the
same month last year when it was scored, rank change, tier rank, 达标, points to the pass
line), categories, indicators (points, max, lost = points to gain,
score rate, city median score rate), sub-items (raw value with its unit of measure, city median,
points, max, lost, flags), points to gain (every indicator with points lost, most first, with
its problems), list movements, and 说明 (data month, 示例数据 or not, 试算, the index and the
pass line with its source, the run id of the 附注 line (`common.run_id`), what each sheet holds).

Like every report it reads only the stage tables (`ctx.table`) and the index they were scored
with: it selects, orders and labels rows, it computes no number. Names, never codes (units,
tiers, categories, indicators, sub-items by their Chinese names; 是/否; movements and flags by
their labels). Numbers stay numbers at full precision; Excel number formats show them with the
index's display decimals. Writing (formula-safe text, fitted widths, same bytes for the same
tables: dated the data month's last day) is `scoring.render.xlsx`; `export_csv` writes the same sheets
as CSV for Excel (UTF-8 with BOM).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd

from scoring import engine
from scoring.errors import SpecError
from scoring.render.reproducible import fixed_time, period_date
from scoring.render.xlsx import INTEGER, DataSheet, write_excel_csv, xlsx_bytes
from scoring.render.xlsx import SheetColumn as Col
from scoring.report.common import run_id
from scoring.report.context import MonthContext
from scoring.safeio import atomic_write_bytes


def _num(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _int(value: Any) -> int | None:
    return None if _num(value) is None else int(value)  # a rank; None when there was no month before


def _date(value: str) -> dt.date | str | None:
    """An ISO date as a date; other text as it is (None when empty)."""
    return dt.date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value or "") else value or None


class _Labels:
    """The `workbook` section of params/report.yaml, each text asked for by its key (SpecError
    naming the key when it is missing)."""

    def __init__(self, ctx: MonthContext) -> None:
        if not isinstance(ctx.text.data.get("workbook"), dict):
            raise SpecError(f"{ctx.text.source}: the section workbook is missing (the Excel workbook's sheet "
                            "names, headers and labels)")
        self.ctx, self.data = ctx, ctx.text["workbook"]
        self.points = "0" if ctx.decimals <= 0 else "0." + "0" * ctx.decimals
        fmt = self.data["formats"]
        self.percent, self.date = fmt["percent"], fmt["date"]
        self.signed = ctx.text.fill("workbook.formats.signed", number=self.points)
        self.signed_percent = ctx.text.fill("workbook.formats.signed", number=self.percent)

    def __call__(self, group: str, key: str, **values: Any) -> str:
        return self.ctx.text.fill(f"workbook.{group}.{key}", **values)

    def col(self, key: str) -> str:
        return self("columns", key)

    def yes_no(self, values: pd.Series) -> list[str]:
        return [self("values", "yes" if v else "no") for v in values]

    def points_format(self, values: list[float | None]) -> str:
        """0 when every value is a whole number (full marks 85, 10 …), else the points format."""
        return INTEGER if all(v is None or float(v).is_integer() for v in values) else self.points


def _order(ctx: MonthContext) -> dict[str, int]:
    """unit → its place in the sheets: by rank, ties in the order of the stage table."""
    ranked = ctx.table("changes").sort_values("rank", kind="stable")
    return {u: i for i, u in enumerate(ranked["unit"])}


def _by_unit(frame: pd.DataFrame, order: dict[str, int], codes: list[str] | None = None) -> pd.DataFrame:
    """Rows ordered by the units' rank, then (with `codes`) by the index order of `code`."""
    keys = frame.assign(_u=frame["unit"].map(order))
    by = ["_u"]
    if codes is not None:
        keys = keys.assign(_c=keys["code"].map({c: i for i, c in enumerate(codes)}))
        by.append("_c")
    return keys.sort_values(by, kind="stable").drop(columns=by).reset_index(drop=True)


def _ranking(ctx: MonthContext, lab: _Labels, order: dict[str, int]) -> list[Col]:
    ch = _by_unit(ctx.table("changes"), order)
    scores = ctx.table("scores").set_index("unit")
    cats = [Col(ctx.spec.label(c.code), [_num(v) for v in scores.loc[ch["unit"], c.code]], lab.points)
            for c in ctx.spec.categories]
    year = []  # 同比, when the same month last year was scored (stage table year_on_year)
    if ctx.stage.has("year_on_year") and len(ctx.table("year_on_year")):
        last_year = ctx.table("year_on_year").set_index("unit")["delta_total"]
        year = [Col(lab.col("year_change"), [_num(v) for v in last_year.reindex(ch["unit"])], lab.signed)]
    return [
        Col(lab.col("rank"), [_int(v) for v in ch["rank"]], INTEGER),
        Col(lab.col("unit"), [ctx.unit_name(u) for u in ch["unit"]]),
        Col(lab.col("tier"), [ctx.units.tiers[t] for t in ch["tier"]]),
        *cats,
        Col(lab.col("total"), [_num(v) for v in ch["total_rounded"]], lab.points),
        Col(lab.col("change"), [_num(v) for v in ch["delta_total"]], lab.signed),
        *year,
        Col(lab.col("rank_change"), [_int(v) for v in ch["rank_change"]], lab.data["formats"]["rank_change"]),
        Col(lab.col("tier_rank"), [_int(v) for v in ch["tier_rank"]], INTEGER),
        Col(lab.col("pass"), lab.yes_no(ch["pass"])),
        Col(lab.col("gap"), [_num(v) for v in ch["gap"]], lab.points),
    ]


def _categories(ctx: MonthContext, lab: _Labels, order: dict[str, int]) -> list[Col]:
    t = _by_unit(ctx.table("categories"), order, [c.code for c in ctx.spec.categories])
    maxima = [_num(v) for v in t["max_points"]]
    return [
        Col(lab.col("unit"), [ctx.unit_name(u) for u in t["unit"]]),
        Col(lab.col("category"), [ctx.spec.label(c) for c in t["code"]]),
        Col(lab.col("points"), [_num(v) for v in t["points"]], lab.points),
        Col(lab.col("max_points"), maxima, lab.points_format(maxima)),
        Col(lab.col("fraction"), [_num(v) for v in t["fraction"]], lab.percent),
        Col(lab.col("city_median"), [_num(v) for v in t["city_median"]], lab.points),
        Col(lab.col("city_max"), [_num(v) for v in t["city_max"]], lab.points),
    ]


def _indicator_columns(ctx: MonthContext, lab: _Labels, t: pd.DataFrame) -> list[Col]:
    maxima = [_num(v) for v in t["max_points"]]
    return [
        Col(lab.col("unit"), [ctx.unit_name(u) for u in t["unit"]]),
        Col(lab.col("category"), [ctx.spec.label(p) for p in t["parent"]]),
        Col(lab.col("indicator"), [ctx.spec.label(c) for c in t["code"]]),
        Col(lab.col("points"), [_num(v) for v in t["points"]], lab.points),
        Col(lab.col("max_points"), maxima, lab.points_format(maxima)),
        Col(lab.col("lost"), [_num(v) for v in t["lost"]], lab.points),
        Col(lab.col("fraction"), [_num(v) for v in t["fraction"]], lab.percent),
        Col(lab.col("city_median_fraction"), [_num(v) for v in t["city_median_fraction"]], lab.percent),
    ]


def _indicators(ctx: MonthContext, lab: _Labels, order: dict[str, int]) -> list[Col]:
    codes = [n.code for n in ctx.spec.nodes()]
    t = _by_unit(ctx.table("indicators"), order, codes)
    return [*_indicator_columns(ctx, lab, t),
            Col(lab.col("relative"), [_num(v) for v in t["relative"]], lab.signed_percent)]


def _flags(lab: _Labels, flags: str) -> str:
    return lab.data["values"]["separator"].join(lab("flags", f) for f in re.split(r"[,;|\s]+", flags) if f)


def _subitems(ctx: MonthContext, lab: _Labels, order: dict[str, int]) -> list[Col]:
    spec = ctx.spec
    metrics = {m.code: m for m in spec.metrics()}
    t = _by_unit(ctx.table("metric_detail"), order, list(metrics))
    ancestors, categories = spec.ancestors(), {c.code for c in spec.categories}
    category = [next((a for a in [c, *ancestors[c]] if a in categories), c) for c in t["code"]]
    units = ctx.text.data.get("bulletin", {}).get("formats", {})  # how raw values print, as in the reports
    percent_units, yes_no_units = set(units.get("percent_units", [])), set(units.get("yes_no_units", []))
    measure = [metrics[c].unit for c in t["code"]]
    median_format = [lab.percent if u in percent_units else lab.points for u in measure]
    raw_format = [lab.data["formats"]["yes_no"] if u in yes_no_units else lab.percent if u in percent_units
                  else lab.points for u in measure]  # 1 / 0 as 是 / 否; a median of them as a number
    maxima = [_num(v) for v in t["max_points"]]
    return [
        Col(lab.col("unit"), [ctx.unit_name(u) for u in t["unit"]]),
        Col(lab.col("category"), [spec.label(c) for c in category]),
        Col(lab.col("indicator"), [spec.label(p) for p in t["parent"]]),
        Col(lab.col("subitem"), [metrics[c].short for c in t["code"]]),
        Col(lab.col("subitem_text"), [metrics[c].name for c in t["code"]]),
        Col(lab.col("raw_value"), [_num(v) for v in t["raw_value"]], raw_format),
        Col(lab.col("city_median"), [_num(v) for v in t["city_median"]], median_format),
        Col(lab.col("measure"), measure),
        Col(lab.col("points"), [_num(v) for v in t["points"]], lab.points),
        Col(lab.col("max_points"), maxima, lab.points_format(maxima)),
        Col(lab.col("lost"), [_num(v) for v in t["lost"]], lab.points),
        Col(lab.col("flags"), [_flags(lab, f) for f in t["flags"]]),
    ]


def _problem_texts(ctx: MonthContext, lab: _Labels) -> dict[tuple[str, str], str]:
    """(unit, indicator) → its problems this month (a sub-item's problem named with the sub-item)."""
    ancestors, indicators = ctx.spec.ancestors(), set(ctx.table("indicators")["code"])
    found: dict[tuple[str, str], list[str]] = {}
    for row in ctx.table("problems").itertuples():
        label = lab("problems", row.kind)
        where = next((a for a in [row.code, *ancestors.get(row.code, [])] if a in indicators), row.code)
        if where != row.code:
            label = lab("values", "problem_item", kind=label, item=ctx.spec.label(row.code))
        found.setdefault((row.unit, where), []).append(label)
    return {k: lab.data["values"]["separator"].join(v) for k, v in found.items()}


def _gains(ctx: MonthContext, lab: _Labels, order: dict[str, int]) -> list[Col]:
    codes = [n.code for n in ctx.spec.nodes()]
    t = _by_unit(ctx.table("indicators"), order, codes)
    t = t[[engine.rounded(float(v), ctx.decimals) > 0 for v in t["lost"]]]
    t = t.sort_values("lost", ascending=False, kind="stable").reset_index(drop=True)
    problems = _problem_texts(ctx, lab)
    return [Col(lab.col("order"), list(range(1, len(t) + 1)), INTEGER),
            *_indicator_columns(ctx, lab, t),
            Col(lab.col("problems"), [problems.get((u, c), "") for u, c in zip(t["unit"], t["code"], strict=True)])]


def _movements(ctx: MonthContext, lab: _Labels, order: dict[str, int]) -> list[Col]:
    t = _by_unit(ctx.table("movements"), order)
    text = {c: lab.col(c) for c in ("entity", "credit_code", "list_type", "domain")}
    return [
        Col(lab.col("unit"), [ctx.unit_name(u) for u in t["unit"]]),
        Col(lab.col("movement"), [lab("movements", m) for m in t["movement"]]),
        *[Col(header, list(t[c])) for c, header in text.items()],
        *[Col(lab.col(c), [_date(v) for v in t[c]], lab.date) for c in ("entry_date", "exit_date")],
    ]


def _notes(ctx: MonthContext, lab: _Labels, sheets: list[DataSheet]) -> list[Col]:
    spec = ctx.spec
    rows = [(lab("notes", "month"), ctx.text.month_label(ctx.month)),
            (lab("notes", "data"), lab("notes", "synthetic" if ctx.synthetic else "real"))]
    if ctx.trial:
        files = [ctx.trial[k]["file"] for k in ("index_file", "weights_file") if k in ctx.trial]
        files += [f"{k}={v}" for k, v in ctx.trial.get("sensitivity", {}).items()]
        rows.append((lab("notes", "trial"), ctx.text.fill("alternative", file=" + ".join(files))))
    rows += [
        (lab("notes", "index"), lab("notes", "index_value", name=spec.root.name, document=spec.document,
                                    version=spec.version, full=f"{spec.total:g}")),
        (lab("notes", "pass_line"), lab("notes", "pass_line_value", points=f"{spec.pass_line:g}",
                                        reason=spec.pass_line_reason)),
        (lab("notes", "numbers"), lab("notes", "numbers_value", decimals=ctx.decimals)),
        (lab("notes", "source"), lab("notes", "source_value", run=run_id(ctx))),
        *[(lab("notes", "sheet", name=s.name), lab("descriptions", s.key)) for s in sheets],
    ]
    return [Col(lab.col("key"), [k for k, _ in rows]), Col(lab.col("value"), [v for _, v in rows])]


_BUILDERS = {"ranking": _ranking, "categories": _categories, "indicators": _indicators,
             "subitems": _subitems, "gains": _gains, "movements": _movements}


def workbook_sheets(ctx: MonthContext) -> list[DataSheet]:
    """The workbook's sheets in order, the notes (说明) last; SpecError when a label is missing."""
    lab = _Labels(ctx)
    order = _order(ctx)
    names = lab.data["sheets"]
    if len({n.casefold() for n in names.values()}) < len(names):
        raise SpecError(f"{ctx.text.source}: workbook.sheets: two sheets have the same name ({names})")
    sheets = [DataSheet(key, names[key], build(ctx, lab, order)) for key, build in _BUILDERS.items()]
    listed = [*sheets, DataSheet("notes", names["notes"], [], table=False)]
    return [*sheets, DataSheet("notes", names["notes"], _notes(ctx, lab, listed), table=False)]


def workbook_bytes_of(ctx: MonthContext) -> bytes:
    """The month's workbook as .xlsx bytes (the same bytes for the same tables and params): dated the
    month's last day, or $SOURCE_DATE_EPOCH when set (scoring.render.reproducible.fixed_time)."""
    lab = _Labels(ctx)
    return xlsx_bytes(workbook_sheets(ctx), fixed_time(period_date({"month": ctx.month})), decimals=ctx.decimals,
                      title=ctx.text.fill("workbook.title", month_label=ctx.text.month_label(ctx.month)),
                      mark=lab("values", "synthetic_mark") if ctx.synthetic else None,
                      footer=lab("values", "page_footer"))


def workbook_name(ctx: MonthContext) -> str:
    """The workbook's file name (params workbook.file; {month} may be used)."""
    return ctx.text.fill("workbook.file", month=ctx.month)


def write_workbook(ctx: MonthContext, folder: str | Path | None = None, path: str | Path | None = None) -> Path:
    """Write the workbook into `folder` (default: the stage folder, outputs/YYYY-MM) or to `path`."""
    target = Path(path) if path else Path(folder or ctx.stage.folder) / workbook_name(ctx)
    return atomic_write_bytes(target, workbook_bytes_of(ctx))


def export_csv(ctx: MonthContext, folder: str | Path) -> list[Path]:
    """Every sheet of the workbook as `<sheet name>.csv` for Excel in `folder`."""
    lab = _Labels(ctx)
    yes, no = lab("values", "yes"), lab("values", "no")
    return [write_excel_csv(s.frame(), Path(folder) / f"{s.name}.csv", yes, no) for s in workbook_sheets(ctx)]
