"""Session fixtures: one demo project with the December 2019 bulletin (and the 2019 review) built once.

Building it (demo data, 12 months ingested, 18 notebooks run and rendered) takes about
40 s on two cores, so every end-to-end test shares it and none of them modifies it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scoring.project import Project
from tests.scale_helpers import province  # noqa: F401  (session fixture: the 136-unit month)

ROOT = Path(__file__).resolve().parents[1]
DEMO_MONTH = "2019-12"


def copy_project(target: Path) -> Project:
    """A project at `target` with the repository's params and notebooks and empty data folders."""
    shutil.copytree(ROOT / "params", target / "params")
    shutil.copytree(ROOT / "notebooks", target / "notebooks")
    for folder in ("data/raw", "data/processed", "outputs"):
        (target / folder).mkdir(parents=True, exist_ok=True)
    return Project(target)


@pytest.fixture(scope="session")
def demo_project(tmp_path_factory) -> Project:
    """A project with the demo data for 2019, every month ingested (no bulletin yet)."""
    from scoring.demo import write_demo
    from scoring.pipeline.bulletin import ensure_processed

    project = copy_project(tmp_path_factory.mktemp("demo"))
    write_demo(project)
    ensure_processed(project, DEMO_MONTH)
    return project


@pytest.fixture(scope="session")
def built_month(demo_project):
    """The demo project with outputs/2019-12 built by the bulletin command."""
    from scoring.cli import main

    assert main(["--root", str(demo_project.root), "bulletin", "--month", DEMO_MONTH, "--quiet"]) == 0
    return demo_project


@pytest.fixture(scope="session")
def built_year(built_month):
    """The demo project with outputs/2019 (the annual acceptance) built by the review command too."""
    from scoring.cli import main

    assert main(["--root", str(built_month.root), "review", "--year", "2019", "--quiet"]) == 0
    return built_month


@pytest.fixture()
def params_project(tmp_path) -> Path:
    """A scratch project with the index and the labels (its params/labels.yaml gives the Chinese rules)."""
    (tmp_path / "params").mkdir()
    for name in ("index.yaml", "labels.yaml"):
        shutil.copy(ROOT / "params" / name, tmp_path / "params" / name)
    return tmp_path
