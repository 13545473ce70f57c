"""Re-run the notebooks in place on the demo data so their stored outputs are current.

The stored outputs are what `tests/test_notebooks.py` (nbval) compares a fresh run with,
after sanitising run times, hashes, versions and images (tests/nbval_sanitize.cfg). Run
this after changing the methodology, the params or the report code, then review the diff:

    .venv/bin/python tools/refresh_notebook_outputs.py
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
MONTH = "2019-12"


def main() -> int:
    from scoring.demo import write_demo
    from scoring.pipeline.bulletin import build, build_review
    from scoring.project import Project

    with tempfile.TemporaryDirectory() as tmp:
        project_root = Path(tmp) / "demo"
        shutil.copytree(ROOT / "params", project_root / "params")
        shutil.copytree(ROOT / "notebooks", project_root / "notebooks")
        (project_root / "data" / "raw").mkdir(parents=True)
        project = Project(project_root)
        write_demo(project)
        build(project, MONTH, progress=False)
        build_review(project, int(MONTH[:4]), progress=False)
        os.environ["CREDIT_COUNTY_ROOT"] = str(project_root)
        for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False,
                           resources={"metadata": {"path": str(path.parent)}}).execute()
            nbformat.write(nb, path)
            print(f"refreshed {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
