"""scoring.memory: every command allocates Arrow's buffers with malloc and has NumPy advise no huge
pages, unless the user sets either; the processed month is the same whatever the settings."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest

from scoring import memory
from scoring.cli import main
from scoring.ingest.process import month_files, read_raw_month
from tests.conftest import DEMO_MONTH, ROOT

SETTINGS_OF_A_FRESH_PROCESS = "import json; from scoring import memory; print(json.dumps(memory.configure()))"


def _fresh_process(**env_settings: str) -> dict:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "src"), **env_settings}
    done = subprocess.run([sys.executable, "-c", SETTINGS_OF_A_FRESH_PROCESS], env=env, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout)


def _toggle():
    return (getattr(np, "_core", None) or np.core).multiarray._set_madvise_hugepage


def test_malloc_and_no_huge_pages_when_the_user_sets_nothing():
    assert _fresh_process() == {"arrow_pool": "system", "numpy_hugepages": False}
    assert _fresh_process(**{memory.POOL_ENV: "  "})["arrow_pool"] == "system"


@pytest.mark.skipif(not hasattr(pa, "mimalloc_memory_pool"), reason="this pyarrow has no mimalloc")
def test_a_pool_the_user_names_is_kept():
    assert _fresh_process(**{memory.POOL_ENV: "mimalloc"})["arrow_pool"] == "mimalloc"


def test_huge_pages_the_user_asks_for_are_kept():
    assert _fresh_process(**{memory.HUGEPAGE_ENV: "1"})["numpy_hugepages"] is True


@pytest.fixture()
def library_defaults():
    """mimalloc as Arrow's pool (when this pyarrow has it) and NumPy's huge-page advice on, as the
    libraries start; both restored after the test."""
    pool, advised = pa.default_memory_pool(), _toggle()(True)
    try:
        pa.set_memory_pool(pa.mimalloc_memory_pool())
    except (AttributeError, NotImplementedError):
        pytest.skip("this pyarrow has no mimalloc")
    yield
    pa.set_memory_pool(pool)
    _toggle()(advised)


def test_every_command_makes_the_settings(demo_project, library_defaults, monkeypatch, capsys):
    monkeypatch.delenv(memory.POOL_ENV, raising=False)
    monkeypatch.delenv(memory.HUGEPAGE_ENV, raising=False)
    assert pa.default_memory_pool().backend_name == "mimalloc"
    assert main(["--root", str(demo_project.root), "index"]) == 0
    assert pa.default_memory_pool().backend_name == "system"
    assert _toggle()(False) is False  # (the advice was off: the toggle returns what it replaces)


def test_the_processed_month_is_the_same_whatever_the_settings(demo_project, library_defaults):
    with_defaults = month_files(read_raw_month(demo_project, DEMO_MONTH))
    memory.configure()
    with_settings = month_files(read_raw_month(demo_project, DEMO_MONTH))
    assert with_defaults == with_settings
    assert len(with_settings["list_entries.csv"]) > 1000  # a month of list records, not an empty file
