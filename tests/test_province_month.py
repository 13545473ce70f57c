"""A whole 136-unit month through `credit-county bulletin`: the score stage, then all 138 reports
(city bulletin, sensitivity, 136 unit reports) on the local Dask cluster with warm kernels, the
index page and the archive site — the session fixture `province_month` (tests.scale_helpers: a copy
of the shared province, built once; tests/test_bulletin_scale.py reads its city bulletin)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

CLI = str(Path(sys.executable).parent / "credit-county")


@pytest.mark.slow
def test_every_report_of_a_136_unit_month_is_built_and_linked(province_month):
    project, month, done = province_month
    assert done.returncode == 0, done.stderr[-2000:]
    units = [u["code"] for u in yaml.safe_load((project.params / "units.yaml").read_text(encoding="utf-8"))["units"]]
    assert len(units) == 136
    folder = project.output_month(month)
    assert f"{month}: reused 0 of 138 reports" in done.stdout
    for stem in ["bulletin", "sensitivity", *(f"units/{u}" for u in units)]:
        for suffix in ("html", "pdf", "docx"):
            path = folder / f"{stem}.{suffix}"
            assert path.is_file() and path.stat().st_size > 1000, path
    links = set(re.findall(r'href="([^"]+)"', (folder / "index.html").read_text(encoding="utf-8")))
    assert {f"units/{u}.pdf" for u in units} <= links
    keys = json.loads((folder / "reports.json").read_text(encoding="utf-8"))  # what a re-run compares with
    assert keys["month"] == month and sorted(keys["reports"]) == sorted(["bulletin", "sensitivity", *units])
    site = project.outputs / "site"
    assert len(list(site.glob("unit-*.html"))) == 136 and (site / "index.html").is_file()


@pytest.mark.slow
def test_a_rerun_of_the_unchanged_province_month_reuses_every_report(province_month):
    project, month, _ = province_month
    again = subprocess.run([CLI, "--root", str(project.root), "bulletin", "--month", month, "--quiet"],
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"{month}: reused 138 of 138 reports (unchanged inputs); executed 0" in again.stdout
    assert "site: 140 files, unchanged, nothing rewritten" in again.stdout
