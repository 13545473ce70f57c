"""The `credit-county` command: one verb per step of the pipeline.

    credit-county index [--json]          the index tree with points
    credit-county score --month YYYY-MM   data/processed/M/metrics.csv → outputs/M/scores.csv

Errors the user can fix print one line per problem to stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from scoring import __version__
from scoring.errors import CreditCountyError
from scoring.paths import Project

Command = Callable[[argparse.Namespace, Project], int]
COMMANDS: dict[str, Command] = {}


def command(name: str) -> Callable[[Command], Command]:
    def register(func: Command) -> Command:
        COMMANDS[name] = func
        return func

    return register


@command("index")
def _index(args: argparse.Namespace, project: Project) -> int:
    from scoring.pipeline import index_tree, load_spec

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
    from scoring.pipeline import score_month

    path = score_month(project, args.month)
    print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="credit-county", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--root", help="project folder (default: $CREDIT_COUNTY_ROOT or the current folder)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="print the index tree with points")
    p.add_argument("--json", action="store_true", help="as JSON")

    p = sub.add_parser("score", help="score one month's processed metrics")
    p.add_argument("--month", required=True, help="YYYY-MM")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        project = Project.find(args.root)
        return COMMANDS[args.command](args, project)
    except CreditCountyError as exc:
        for line in exc.problems:
            print(f"error: {line}", file=sys.stderr)
        return 2
