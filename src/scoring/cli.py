"""The `credit-county` command: one verb per step of the pipeline.

    credit-county demo-data               write the synthetic 示例数据 (2019 and 2020) into data/raw/
    credit-county template --month M      an Excel workbook for departments to fill in
    credit-county template --year Y --reviews   the acceptance reviewers' workbook
    credit-county ingest --month M        data/raw/M → data/processed/M (validated)
    credit-county score --month M         data/processed → outputs/M stage tables (every report reads those)
    credit-county bulletin --month M      every report of the month, HTML and PDF, in outputs/M
    credit-county workbook --month M      the month's data for the departments (通报数据.xlsx) from outputs/M
    credit-county sensitivity --month M   the weighting analysis for other settings or recorded weight sets
    credit-county review --year YYYY      annual acceptance → outputs/YYYY, data/titles.csv
    credit-county site                    the archive site outputs/site/ (months, units, reviews, years)
    credit-county index [--json]          the index tree with points

Errors the user can fix print one line per problem to stderr and exit with status 2;
notebooks that failed (the others completed) exit with status 1. A write that fails for
want of space or permission (ENOSPC, EDQUOT, EACCES, EPERM, EROFS) is one sentence naming
the folder and what to do, status 2; nothing half-written is left (scoring.safeio).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from scoring import __version__, memory
from scoring.errors import (
    BatchError,
    CreditCountyError,
    batch_write_failure,
    os_error_line,
)
from scoring.pipeline.cluster import SCHEDULER_ENV
from scoring.project import Project

Command = Callable[[argparse.Namespace, Project], int]
COMMANDS: dict[str, Command] = {}
READ_ONLY = {"index"}  # verbs that write nothing (no run record, no sweep)


def command(name: str) -> Callable[[Command], Command]:
    def register(func: Command) -> Command:
        COMMANDS[name] = func
        return func

    return register


@command("index")
def _index(args: argparse.Namespace, project: Project) -> int:
    from scoring.index.tree import index_tree
    from scoring.pipeline.score import load_spec

    spec, _units = load_spec(project)
    tree = index_tree(spec)
    if args.json:
        print(json.dumps(tree, ensure_ascii=False, indent=2))
    else:
        def show(node: dict, depth: int) -> None:
            print(f"{'  ' * depth}{node['code']:<10} {node['points']:>7.2f}  {node['name']}")
            for child in node.get("children", []):
                show(child, depth + 1)

        show(tree, 0)
    return 0


@command("score")
def _score(args: argparse.Namespace, project: Project) -> int:
    from scoring.pipeline.score import Trial, score_month, trial_stage

    trial = Trial.of(args.index_file, args.weights_file)
    path = trial_stage(project, args.month, trial) / "stage.json" if trial else score_month(project, args.month)
    print(f"wrote the stage tables of {args.month}: {path.parent}" + (" (试算: a trial)" if trial else ""))
    return 0


@command("ingest")
def _ingest(args: argparse.Namespace, project: Project) -> int:
    if args.month:
        from scoring.ingest import ingest_month

        print(f"wrote {ingest_month(project, args.month)}")
        return 0
    from scoring.pipeline.ingesting import ingest_months, stale_months

    stale = stale_months(project)
    for path in ingest_months(project, stale, workers=args.workers, scheduler=args.scheduler):
        print(f"wrote {path}")
    print(f"{len(project.raw_months()) - len(stale)} month(s) already up to date, {len(stale)} ingested")
    return 0


@command("template")
def _template(args: argparse.Namespace, project: Project) -> int:
    if args.reviews:
        from scoring.ingest.review_template import write_review_template

        if args.year is None:
            raise CreditCountyError("template --reviews needs --year YYYY (the acceptance year)")
        print(f"wrote {write_review_template(project, args.year, args.output)}")
        return 0
    from scoring.ingest.template import write_template

    if args.month is None:
        raise CreditCountyError("template needs --month YYYY-MM (or --year YYYY --reviews)")
    print(f"wrote {write_template(project, args.month, args.output)}")
    return 0


def _publish_site(project: Project) -> None:
    """Rebuild outputs/site after a publish; a failure is one warning line (the month is published)."""
    from scoring.site import build_site

    try:
        result = build_site(project)
    except CreditCountyError as exc:
        print(f"warning: the archive site was not rebuilt: {exc}", file=sys.stderr)
        return
    for line in result.notes():
        print(line, file=sys.stderr)
    print(result.summary())


@command("site")
def _site(args: argparse.Namespace, project: Project) -> int:
    from scoring.site import build_site

    result = build_site(project)
    for line in result.notes():
        print(line, file=sys.stderr)
    print(result.summary())
    return 0


@command("demo-data")
def _demo(args: argparse.Namespace, project: Project) -> int:
    from scoring.demo import write_demo

    months = write_demo(project, years=[args.year] if args.year else None, seed=args.seed, force=args.force)
    print(f"wrote 示例数据 for {len(months)} months into {project.raw}: {months[0]} … {months[-1]}")
    return 0


@command("bulletin")
def _bulletin(args: argparse.Namespace, project: Project) -> int:
    from scoring.demo import write_demo
    from scoring.pipeline.bulletin import build, latest_month

    if args.month is None and not project.raw_months() and not project.processed_months():
        print(f"{project.raw} is empty: writing the synthetic demo data (示例数据) first")
        write_demo(project)
    month = args.month or latest_month(project)
    result = build(project, month, workers=args.workers, progress=not args.quiet,
                   units=args.units.split(",") if args.units else None, force=args.force, scheduler=args.scheduler)
    print(f"{month}: {result.summary()}")
    print(f"{month}: {len(result.succeeded)} reports in {result.folder} — open {result.folder / 'index.html'}")
    _publish_site(project)
    return 0


@command("workbook")
def _workbook(args: argparse.Namespace, project: Project) -> int:
    from scoring.report import load
    from scoring.report.workbook import export_csv, write_workbook

    ctx = load(args.month, tables=args.tables, root=project.root)
    path = write_workbook(ctx, path=args.output)
    print(f"wrote {path}")
    if args.csv:
        files = export_csv(ctx, path.with_suffix(""))
        print(f"wrote {len(files)} CSV files for Excel (UTF-8 with BOM) into {path.with_suffix('')}")
    return 0


@command("review")
def _review(args: argparse.Namespace, project: Project) -> int:
    from scoring.pipeline.bulletin import build_review

    result = build_review(project, args.year, progress=not args.quiet, scheduler=args.scheduler)
    print(f"{args.year}: acceptance report in {result.folder}; titles register {project.root / 'data' / 'titles.csv'}")
    _publish_site(project)
    return 0


@command("sensitivity")
def _sensitivity(args: argparse.Namespace, project: Project) -> int:
    from scoring.pipeline.sensitivity import sensitivity_run, summary_lines

    stage = sensitivity_run(project, args.month, settings_file=args.settings, weight_sets=args.weight_sets,
                            draws=args.draws, seed=args.seed, out=args.out)
    print("\n".join(summary_lines(stage)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="credit-county", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--root", help="project folder (default: $CREDIT_COUNTY_ROOT or the current folder)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="print the index tree with points")
    p.add_argument("--json", action="store_true", help="as JSON")

    p = sub.add_parser("score", help="the month's stage tables (scores, analyses, sensitivity) → outputs/YYYY-MM")
    p.add_argument("--month", required=True, help="YYYY-MM")
    p.add_argument("--weights-file", help="a trial with other weights → outputs/trials/ (params untouched)")
    p.add_argument("--index-file", help="a trial with another index → outputs/trials/")

    p = sub.add_parser("ingest", help="validate data/raw/YYYY-MM and write data/processed/YYYY-MM")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--month", help="YYYY-MM")
    when.add_argument("--all", action="store_true",
                      help="every raw month whose processed data is missing or stale, the months in parallel on Dask")
    p.add_argument("--workers", type=int, default=2, help="with --all: local Dask worker processes (default 2)")
    p.add_argument("--scheduler", help="with --all: a Dask scheduler (tcp://host:8786) "
                                       f"(default: ${SCHEDULER_ENV}, else a local cluster of --workers)")

    p = sub.add_parser("template", help="write the Excel workbook departments (--month) or the acceptance "
                                        "reviewers (--year --reviews) fill in")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--month", help="YYYY-MM: the departments' monthly workbook")
    when.add_argument("--year", help="YYYY: with --reviews, the acceptance reviewers' workbook")
    p.add_argument("--reviews", action="store_true",
                   help="the on-site and off-site reviewers' workbook of --year (outputs/templates/YYYY/reviews.xlsx)")
    p.add_argument("--output", help="where to write it (default: outputs/templates/)")

    p = sub.add_parser("demo-data", help="write the deterministic synthetic dataset (示例数据) into data/raw/")
    p.add_argument("--year", type=int, help="only this year (default: the years of params/demo.yaml, 2019 and 2020)")
    p.add_argument("--seed", type=int, default=20190601)
    p.add_argument("--force", action="store_true", help="rewrite months that are themselves demo data")

    p = sub.add_parser("bulletin", help="build the month's bulletin and unit reports (HTML and PDF)")
    month = p.add_mutually_exclusive_group()
    month.add_argument("--month", help="YYYY-MM")
    month.add_argument("--latest", action="store_true", help="the latest month with data (the default)")
    p.add_argument("--workers", type=int, default=2, help="local Dask worker processes (default 2)")
    p.add_argument("--scheduler", help="a Dask scheduler (tcp://host:8786) to run the notebooks on "
                                       f"(default: ${SCHEDULER_ENV}, else a local cluster of --workers)")
    p.add_argument("--units", help="comma-separated unit codes (default: all)")
    p.add_argument("--force", action="store_true",
                   help="run every report, even those whose inputs are unchanged since the published month")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("workbook", help="the month's data for the departments as an Excel workbook (通报数据.xlsx)")
    p.add_argument("--month", required=True, help="YYYY-MM")
    p.add_argument("--tables", help="the stage folder to read (default: outputs/YYYY-MM)")
    p.add_argument("--output", help="where to write it (default: the stage folder)")
    p.add_argument("--csv", action="store_true", help="also every sheet as CSV for Excel, in a folder beside it")

    p = sub.add_parser("sensitivity", help="a researcher's sensitivity analysis of a month → outputs/trials/ "
                                           "(params untouched)")
    p.add_argument("--month", required=True, help="YYYY-MM")
    p.add_argument("--settings", help="a sensitivity settings file (default: params/sensitivity.yaml)")
    p.add_argument("--weight-sets", help="CSV of recorded weight sets: one row per set, columns = node codes")
    p.add_argument("--draws", type=int, help="draws per scenario family (default: the settings')")
    p.add_argument("--seed", type=int, help="random seed (default: the settings')")
    p.add_argument("--out", help="folder for the tables (default: outputs/trials/YYYY-MM-sensitivity-<key>/)")

    p = sub.add_parser("review", help="the year's acceptance (总结验收) and titles register")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--scheduler", help="a Dask scheduler (tcp://host:8786) to run the notebook on")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    sub.add_parser("site", help="the archive site outputs/site/ from the published months and reviews "
                                "(also written after bulletin and review)")
    return parser


def written_folder(args: argparse.Namespace, project: Project) -> Path | None:
    """The folder a command writes (named when a write fails without naming a path)."""
    month = getattr(args, "month", None)
    if args.command in ("score", "bulletin") and month:
        return project.outputs / ("trials" if getattr(args, "weights_file", None) or getattr(args, "index_file", None)
                                  else month)
    folders = {"ingest": project.processed / str(month) if month else project.processed,
               "review": project.outputs / str(getattr(args, "year", "")),
               "demo-data": project.raw, "template": project.outputs / "templates", "bulletin": project.outputs,
               "sensitivity": project.outputs / "trials",
               "workbook": Path(args.tables) if getattr(args, "tables", None) else project.outputs / str(month)}
    chosen = getattr(args, "output", None) or getattr(args, "out", None)
    if chosen:
        return Path(chosen) if args.command == "sensitivity" else Path(chosen).parent
    return folders.get(args.command)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    project = None
    memory.configure()
    try:
        project = Project.find(args.root)
        from scoring.pipeline.runs import recorded  # a writing verb ends and removes what killed runs left

        with recorded(project, writes=args.command not in READ_ONLY):
            return COMMANDS[args.command](args, project)
    except CreditCountyError as exc:
        sentence = (batch_write_failure(exc.problems, written_folder(args, project))
                    if isinstance(exc, BatchError) and project else None)
        for line in [sentence] if sentence else exc.problems:  # one line each (a YAML error spans several)
            print("error: " + re.sub(r"\s*\n\s*", " ", str(line).strip()), file=sys.stderr)
        return 1 if isinstance(exc, BatchError) and not sentence else 2
    except BrokenPipeError:  # e.g. `credit-county index | head`
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 — silence the flush at exit
        return 0
    except OSError as exc:  # shutil.Error (a failed copy of a folder) is one too
        print(f"error: {os_error_line(exc, written_folder(args, project) if project else None)}", file=sys.stderr)
        return 2
