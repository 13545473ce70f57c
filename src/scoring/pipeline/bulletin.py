"""The monthly job: ingest if needed, the score stage, every notebook on its tables, render, publish.

Reproducible: the same inputs, params and package version give the same bytes in every file
of the month but provenance.json, which alone records when the build ran and how long each
notebook took (scoring.provenance.RUN_FIELDS); run.json (who succeeded, failed, was carried
over) holds no time.

outputs/YYYY-MM/ is replaced only as a whole: the month is built in a temporary folder
beside it and swapped in when every notebook succeeded. When any notebook fails, the
build is kept as outputs/YYYY-MM.failed/ for inspection (each failed notebook with its
error), the published month is left as it was, and BatchError lists the failures.

Incremental: a report whose inputs (stage tables, params, notebook, software, parameters) hash
as in the published month is copied from it instead of run (scoring.pipeline.reuse; the keys are
in the month's reports.json, how many were reused in provenance.json); `force` runs them all.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from scoring import provenance
from scoring.analysis.acceptance_rules import load_rules
from scoring.errors import BatchError, CreditCountyError
from scoring.pipeline import batch, reuse
from scoring.pipeline.review import read_register, register_file, review_stage
from scoring.pipeline.score import load_spec, score_stage
from scoring.project import Project, check_month
from scoring.report.text import load_report_text
from scoring.safeio import atomic_write_text, staged_dir, write_csv
from scoring.state import read_state_json
from scoring.tables import StageFolder

CITY_NOTEBOOK = "city_bulletin.ipynb"
UNIT_NOTEBOOK = "county_report.ipynb"
SENSITIVITY_NOTEBOOK = "sensitivity.ipynb"
REVIEW_NOTEBOOK = "annual_review.ipynb"


@dataclass
class BulletinResult:
    month: str
    folder: Path
    succeeded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    #: Reports copied from the published month, inputs unchanged (scoring.pipeline.reuse); also in `succeeded`.
    reused: list[str] = field(default_factory=list)
    #: The shared inputs that changed since the published month ('stage_sha256', 'params_sha256', 'software').
    changed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """'reused R of N reports (unchanged inputs); executed E' for this build's N jobs, and
        what changed since the published month when known."""
        total = len(self.succeeded) + len(self.failed)
        why = {"stage_sha256": "stage tables", "params_sha256": "params", "software": "software"}
        changed = f" ({', '.join(why.get(c, c) for c in self.changed)} changed)" if self.changed else ""
        return (f"reused {len(self.reused)} of {total} reports (unchanged inputs); "
                f"executed {total - len(self.reused)}{changed}")


def latest_month(project: Project) -> str:
    """The newest month with raw data (or, failing that, processed data)."""
    months = project.raw_months() or project.processed_months()
    if not months:
        raise CreditCountyError(f"no data: {project.raw} has no YYYY-MM folder (run `credit-county demo-data`)")
    return months[-1]


def ensure_processed(project: Project, month: str, workers: int = 2, scheduler: str | None = None) -> list[str]:
    """Ingest every raw month up to `month` whose processed data is missing or stale.

    Stale = the manifest's input hashes differ from the raw files now. Several stale months are
    ingested in parallel, each a Dask task (scoring.pipeline.ingesting). Returns the months ingested.
    """
    from scoring.pipeline.ingesting import ingest_months, stale_months

    done = stale_months(project, month)
    ingest_months(project, done, workers=workers, scheduler=scheduler)
    if not project.metrics_file(month).is_file():
        raise CreditCountyError(f"no data for {month}: neither {project.raw_month(month)} "
                                f"nor {project.metrics_file(month)} exists")
    return done


def _jobs(project: Project, month: str, stage: Path, units: list[str], names: dict[str, str],
          synthetic: bool, titles: dict[str, str], month_label: str, extra_parameters: dict) -> list[batch.Job]:
    common = {"root": str(project.root), "month": month, **extra_parameters}
    jobs = [batch.Job(name="bulletin", notebook=project.notebooks / CITY_NOTEBOOK, parameters=common,
                      executed=stage / "notebooks" / "bulletin.ipynb", html=stage / "bulletin.html",
                      pdf=stage / "bulletin.pdf", docx=stage / "bulletin.docx",
                      title="", subtitle="",  # a 公文 shows its own organ line, 文号 and title (report.city)
                      synthetic=synthetic, cwd=project.notebooks)]
    if (project.notebooks / SENSITIVITY_NOTEBOOK).is_file():
        jobs.append(batch.Job(name="sensitivity", notebook=project.notebooks / SENSITIVITY_NOTEBOOK,
                              parameters=common, executed=stage / "notebooks" / "sensitivity.ipynb",
                              html=stage / "sensitivity.html", pdf=stage / "sensitivity.pdf",
                              docx=stage / "sensitivity.docx", title=titles["sensitivity"], subtitle=month_label,
                              synthetic=synthetic, cwd=project.notebooks))
    for unit in units:
        jobs.append(batch.Job(name=unit, notebook=project.notebooks / UNIT_NOTEBOOK,
                              parameters={**common, "unit": unit},
                              executed=stage / "notebooks" / "units" / f"{unit}.ipynb",
                              html=stage / "units" / f"{unit}.html", pdf=stage / "units" / f"{unit}.pdf",
                              docx=stage / "units" / f"{unit}.docx",
                              title=titles["unit"], subtitle=f"{month_label} · {names[unit]}",
                              synthetic=synthetic, cwd=project.notebooks))
    return jobs


#: The formats of every report, in the index page's order: (file suffix, link text).
REPORT_FORMATS = (("html", "HTML"), ("pdf", "PDF"), ("docx", "Word"))


def report_links(label: str, stem: str) -> tuple[str, list[tuple[str, str]]]:
    """One index row: the report's label and (link text, file) for each of REPORT_FORMATS."""
    return label, [(text, f"{stem}.{suffix}") for suffix, text in REPORT_FORMATS]


def index_page(title: str, month_label: str, links: list[tuple[str, list[tuple[str, str]]]],
               synthetic_note: str | None, failed: dict[str, str],
               downloads: list[tuple[str, str]] | None = None) -> str:
    """outputs/YYYY-MM/index.html: a plain page linking every report as 'HTML · PDF · Word' (all text
    escaped) and the month's `downloads` (label, file: the Excel workbook).

    `links`: per report, (label, [(link text, relative file), …]) as report_links gives."""
    rows = "\n".join(
        f'<tr><td>{html.escape(label)}</td><td class="formats">'
        + " · ".join(f'<a href="{html.escape(quote(href))}">{html.escape(text)}</a>' for text, href in files)
        + "</td></tr>" for label, files in links)
    banner = f'<p class="synthetic">{html.escape(synthetic_note)}</p>' if synthetic_note else ""
    fails = "".join(f"<li>{html.escape(k)}: {html.escape(v)}</li>" for k, v in failed.items())
    fails = f'<ul class="failed">{fails}</ul>' if fails else ""
    files = "".join(f'<li><a href="{html.escape(quote(f))}">{html.escape(label)}</a></li>'
                    for label, f in downloads or [])
    files = f'<ul class="downloads">{files}</ul>' if files else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
max-width:50rem;margin:2rem auto;padding:0 1rem}}table{{border-collapse:collapse;width:100%}}
td{{border-bottom:1px solid #ddd;padding:.35rem .5rem}}.synthetic{{background:#fff3cd;padding:.5rem}}
.failed{{color:#b00}}</style></head>
<body><h1>{html.escape(title)}</h1><p>{html.escape(month_label)}</p>{banner}{fails}
<table>{rows}</table>{files}</body></html>
"""


def build(project: Project, month: str | None = None, *, workers: int = 2, progress: bool = True,
          units: list[str] | None = None, kernel_name: str | None = None, force: bool = False,
          scheduler: str | None = None) -> BulletinResult:
    """Build outputs/YYYY-MM for `month` (default: the latest month with data): the score stage's
    tables first, then every notebook reading them, then the index page; published as a whole.

    A report whose inputs hash as in the published month is copied from it, not run
    (scoring.pipeline.reuse; reports.json records the keys); `force`: run every report.
    `scheduler`: a Dask scheduler's address for the notebooks (default: a local cluster of
    `workers` processes; scoring.pipeline.cluster)."""
    month = check_month(month) if month else latest_month(project)
    _spec, all_units = load_spec(project)  # every params file is checked before anything runs
    text = load_report_text(project.params / "report.yaml")
    wanted = units or all_units.codes
    unknown = [u for u in wanted if u not in all_units.codes]
    if unknown:
        raise CreditCountyError(f"unknown unit codes {unknown}; known: {', '.join(all_units.codes)}")

    ensure_processed(project, month, workers, scheduler)
    final = project.output_month(month)
    if set(wanted) != set(all_units.codes) and final.exists():
        _check_carry_over_is_current(project, month, final)
    month_label = text.month_label(month)
    names = {u.code: u.name for u in all_units.units}
    failed_dir = final.parent / f"{month}.failed"
    result = BulletinResult(month=month, folder=final)
    started, clock = dt.datetime.now(dt.UTC), time.perf_counter()
    with staged_dir(final) as stage:
        score_stage(project, month, stage)
        synthetic = bool(StageFolder(stage).meta["synthetic"])
        jobs = _jobs(project, month, stage, wanted, names, synthetic, text["titles"], month_label,
                     {"tables": str(stage)})
        planned = reuse.plan(project, jobs, stage, final, force=force)  # before anything else is written
        outcome = batch.run_batch(planned.run, workers=workers, progress=progress, kernel_name=kernel_name,
                                  scheduler=scheduler)
        result.reused, result.changed = planned.reused, planned.changed
        result.succeeded = [j.name for j in jobs if j.name in planned.reused or j.name in outcome.succeeded]
        result.failed = {j.name: outcome.failed[j.name] for j in jobs if j.name in outcome.failed}
        workbook = _write_workbook(project, month, stage)
        carried = _carry_over_units(final, stage, [u for u in all_units.codes if u not in wanted])
        links = [report_links(text["titles"]["city"], "bulletin")]
        if any(j.name == "sensitivity" for j in jobs):
            links.append(report_links(text["titles"]["sensitivity"], "sensitivity"))
        links += [report_links(names[u], f"units/{u}") for u in all_units.codes if u in wanted or u in carried]
        atomic_write_text(stage / "index.html", index_page(
            text["titles"]["index_page"].format(month_label=month_label), month_label, links,
            text.fill("synthetic") if synthetic else None, result.failed,
            downloads=[(text.fill("workbook.values.index_link"), workbook.name)]))
        atomic_write_text(stage / "run.json", json.dumps(
            {"month": month, "succeeded": result.succeeded, "failed": result.failed,
             "carried_over_from_earlier_build": carried},
            ensure_ascii=False, indent=2) + "\n")
        reuse.write_reports(stage, month, planned, jobs, result.succeeded,
                            {u: e for u, e in reuse.read_published(final).items() if u in carried})
        record = provenance.run_record(  # the build's only times
            project, month, now=started, seconds=time.perf_counter() - clock, notebooks=outcome.durations)
        provenance.write_record(stage / "provenance.json", {**record, "reports_reused": len(result.reused)})
        if result.failed:
            _keep_failed(stage, failed_dir, result)
    if failed_dir.exists():
        shutil.rmtree(failed_dir)
    return result


def _write_workbook(project: Project, month: str, stage: Path) -> Path:
    """The month's Excel workbook for the departments (scoring.report.workbook), from the build's
    stage tables, into the build folder."""
    from scoring.report import load
    from scoring.report.workbook import write_workbook

    return write_workbook(load(month, tables=stage, root=project.root))


def _check_carry_over_is_current(project: Project, month: str, published: Path) -> None:
    """With --units, the other units' published reports are carried over; refuse when they were
    built from other params or data (they would disagree with the new scores and bulletin)."""
    path = published / "provenance.json"
    before = read_state_json(path, "the published month's run record", "run the bulletin for all units (omit --units)",
                             {"params_sha256": str, "history_sha256": str}) if path.exists() else {}
    now = provenance.data_record(project, month)
    if any(before.get(k) != now[k] for k in ("params_sha256", "history_sha256")):
        raise CreditCountyError(f"{published} was built from other params or data than now: the other "
                                "units' reports would disagree with this build — run the bulletin for all "
                                "units (omit --units)")


def _carry_over_units(published: Path, stage: Path, units: list[str]) -> list[str]:
    """With --units, the other units' reports of the published month are kept (copied into the
    new build) rather than dropped; run.json lists them. Returns the units carried over."""
    carried = []
    for unit in units:
        files = [*(Path("units") / f"{unit}.{suffix}" for suffix, _ in REPORT_FORMATS),
                 Path("notebooks") / "units" / f"{unit}.ipynb"]
        if all((published / f).is_file() for f in files):
            for f in files:
                (stage / f).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(published / f, stage / f)
            carried.append(unit)
    return carried


def _keep_failed(stage: Path, failed_dir: Path, result: BulletinResult) -> None:
    """Copy the whole failed build to `failed_dir` for inspection and raise BatchError;
    the published folder stays as it was (the caller's staged_dir discards the stage)."""
    with staged_dir(failed_dir) as failed_stage:
        shutil.copytree(stage, failed_stage, dirs_exist_ok=True)
    result.folder = failed_dir
    lines = [f"{name}: {reason}" for name, reason in result.failed.items()]
    lines.append(f"nothing was published; the build with the failed notebooks is in {failed_dir}")
    raise BatchError(f"{len(result.failed)} notebook(s) failed", problems=lines)


def build_review(project: Project, year: int, *, progress: bool = True,
                 kernel_name: str | None = None, scheduler: str | None = None) -> BulletinResult:
    """The year's acceptance: outputs/YYYY/ (the review stage's tables, review.html, review.pdf,
    the executed notebook), then the titles register data/titles.csv — only when all succeeded."""
    spec, _units = load_spec(project)
    rules = load_rules(project.params / "review.yaml", spec)
    text = load_report_text(project.params / "report.yaml")
    ensure_processed(project, f"{year}-{rules.acceptance_month:02d}", scheduler=scheduler)
    register = register_file(project)
    later = sorted({int(y) for y in read_register(register)["year"] if int(y) > year})
    if later:
        raise CreditCountyError(f"{register} already holds decisions for {later}, which "
                                f"depend on {year}'s: re-run {year} only after removing those years' rows, "
                                "then re-run them in order")
    final = project.outputs / str(year)
    failed_dir = final.parent / f"{year}.failed"
    result = BulletinResult(month=str(year), folder=final)
    with staged_dir(final) as stage:
        outcome, _ = review_stage(project, year, stage)  # checks the reviewers' file before anything runs
        job = batch.Job(name="review", notebook=project.notebooks / REVIEW_NOTEBOOK,
                        parameters={"root": str(project.root), "year": year, "tables": str(stage)},
                        executed=stage / "notebooks" / "review.ipynb", html=stage / "review.html",
                        pdf=stage / "review.pdf", docx=stage / "review.docx", title=text["titles"]["review"],
                        subtitle=text["titles"]["year_label"].format(year=year),
                        synthetic=bool(StageFolder(stage).meta["synthetic"]), cwd=project.notebooks)
        outcome_batch = batch.run_batch([job], workers=1, progress=progress, kernel_name=kernel_name,
                                        scheduler=scheduler)
        result.succeeded, result.failed = list(outcome_batch.succeeded), dict(outcome_batch.failed)
        if result.failed:
            _keep_failed(stage, failed_dir, result)
    write_csv(outcome.register, register)
    if failed_dir.exists():
        shutil.rmtree(failed_dir)
    return result
