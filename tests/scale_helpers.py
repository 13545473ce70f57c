"""The 136-unit province month shared by the scale tests (tests/test_scale.py, tests/test_bulletin_scale.py,
tests/test_province_month.py).

Built once per session through the real CLI: benchmarks/bench_scale.py's synthetic project (the 16
units of Linyi and 120 synthetic ones in 3 tiers, seed 3), demo-data, ingest of three months, score of
the last; the sensitivity analysis is cut to 1,000 draws and 64 × 50 Sobol rows in this copy only.
`province_month` is a copy of it with the whole month built by `credit-county bulletin` (138 reports).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from scoring.project import Project

ROOT = Path(__file__).resolve().parents[1]
PROVINCE_UNITS = 136
MONTHS = ("2019-10", "2019-11", "2019-12")  # 3 of the 12 months: the set-up stays well under a minute


def bench_scale():  # the benchmark's project builder: one source for the synthetic units
    spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "benchmarks" / "bench_scale.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_scale", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return sys.modules["bench_scale"]


@dataclass(frozen=True)
class Province:
    """The built province: its project, the month scored and what the CLI printed."""

    project: Project
    month: str
    output: str


def build_province(root: Path, units: int = PROVINCE_UNITS) -> Province:
    """demo-data → ingest (MONTHS) → score (the last) with the CLI in a fresh project at `root`."""
    from scoring.cli import main

    bench_scale().make_project(root, units, seed=3)
    path = root / "params" / "sensitivity.yaml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    settings["draws"] = 1000
    settings["sobol"].update(n=64, bootstrap={"resamples": 50, "confidence": 0.95})
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    args = ["--root", str(root)]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main([*args, "demo-data", "--year", "2019"]) == 0
        for month in MONTHS:
            assert main([*args, "ingest", "--month", month]) == 0
        assert main([*args, "score", "--month", MONTHS[-1]]) == 0
    return Province(Project(root), MONTHS[-1], printed.getvalue())


@pytest.fixture(scope="session")
def province(tmp_path_factory) -> Province:
    """The 136-unit month, built once (tests read it and do not modify it)."""
    return build_province(tmp_path_factory.mktemp("province"))


@pytest.fixture(scope="session")
def province_month(province, tmp_path_factory) -> tuple[Project, str, subprocess.CompletedProcess]:
    """A copy of the province with its month built by `credit-county bulletin` (all 138 reports, the index
    and the site), so the other scale tests keep reading the month as `score` left it: (project, month,
    what the command returned)."""
    root = tmp_path_factory.mktemp("province-month") / "p"
    shutil.copytree(province.project.root, root, symlinks=True)
    cli = str(Path(sys.executable).parent / "credit-county")
    done = subprocess.run([cli, "--root", str(root), "bulletin", "--month", province.month, "--quiet"],
                          capture_output=True, text=True, timeout=900)
    return Project(root), province.month, done
