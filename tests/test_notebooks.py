"""nbval over the notebooks: a fresh run on the demo data must reproduce the stored outputs
(run times, hashes, versions, images and figure names sanitised by tests/nbval_sanitize.cfg, in
text outputs and, through the plugin tests/nbval_json.py, in the JSON blocks too).

When a change is meant to move the numbers, refresh the stored outputs with
`tools/refresh_notebook_outputs.py` and review the notebook diff.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("notebook", sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb")))
def test_notebook_reproduces_its_stored_outputs(built_year, notebook):
    env = {**os.environ, "CREDIT_COUNTY_ROOT": str(built_year.root)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", f"notebooks/{notebook}", "-p", "no:cacheprovider",
         "-p", "tests.nbval_json", "-q", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg",
         "--nbval-cell-timeout", "300", "-o", "addopts=", "-o", "testpaths=notebooks"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_committed_notebooks_are_what_the_generator_writes():
    """tools/make_notebooks.py is the single source of the notebooks' cells."""
    result = subprocess.run([sys.executable, "tools/make_notebooks.py", "--check"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
