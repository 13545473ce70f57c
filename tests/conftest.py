"""Session fixtures: one demo project with the December 2019 bulletin (and the 2019 review) built once,
and a copy of it with the demo's second year (the December 2020 bulletin and the 2020 review).

Building the first (demo data, 12 months ingested, 18 notebooks run and rendered) takes about
40 s on two cores, the second about as long again, so every end-to-end test shares them and none
of them modifies them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from scoring.config import CACHE_ENV
from scoring.project import Project
from tests.scale_helpers import province, province_month  # noqa: F401  (session fixtures: the 136-unit month)

# property tests draw the same examples on every run (CI included): a failure is reproducible, not luck
hypothesis_settings.register_profile("reproducible", derandomize=True)
hypothesis_settings.load_profile("reproducible")

ROOT = Path(__file__).resolve().parents[1]
DEMO_MONTH = "2019-12"


@pytest.fixture(scope="session", autouse=True)
def parse_cache(tmp_path_factory):
    """The params parse cache (scoring.config) of every test, and of the commands they start, in a
    folder of the session: never the user's."""
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(tmp_path_factory.mktemp("parse-cache"))
    yield Path(os.environ[CACHE_ENV])
    if before is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = before


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
    write_demo(project, years=[2019])
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


@pytest.fixture(scope="session")
def two_years(built_year, tmp_path_factory) -> Project:
    """A copy of the built 2019 project with the demo's second year: 2020 written (continuing 2019),
    ingested by the bulletin of December 2020, and the 2020 review (re-evaluating the 2019 titles)."""
    from scoring.cli import main
    from scoring.demo import write_demo

    root = tmp_path_factory.mktemp("two-years") / "project"
    shutil.copytree(built_year.root, root, ignore=shutil.ignore_patterns(".runs"))
    project = Project(root)
    write_demo(project, years=[2020])
    assert main(["--root", str(root), "bulletin", "--month", "2020-12", "--quiet"]) == 0
    assert main(["--root", str(root), "review", "--year", "2020", "--quiet"]) == 0
    return project


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (tests/test_browser.py), its DOM and CSS domains on, for one test module."""
    from tests.test_browser import _browser_or_fail

    driver = _browser_or_fail()
    driver.execute_cdp_cmd("DOM.enable", {})
    driver.execute_cdp_cmd("CSS.enable", {})
    yield driver
    driver.quit()


@pytest.fixture()
def params_project(tmp_path) -> Path:
    """A scratch project with the index and the labels (its params/labels.yaml gives the Chinese rules)."""
    (tmp_path / "params").mkdir()
    for name in ("index.yaml", "labels.yaml"):
        shutil.copy(ROOT / "params" / name, tmp_path / "params" / name)
    return tmp_path
