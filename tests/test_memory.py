"""scoring.memory: every command allocates Arrow's buffers with malloc, has NumPy advise no huge pages
and malloc keep freed memory for reuse, unless the user sets otherwise; the processed month is the
same whatever the settings."""

from __future__ import annotations

import json
import platform
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
GLIBC = platform.libc_ver()[0] == "glibc"
#: Page faults of a second 8 MiB block after the first was freed, in a fresh process (`{settings}`: what
#: it calls first). glibc by itself unmaps the first block, then serves the second from fresh heap pages.
FAULTS_OF_A_SECOND_BLOCK = """
import resource
from scoring import memory
{settings}
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
block = b"x" * (8 << 20); del block
before = faults(); block = b"x" * (8 << 20)
print(faults() - before)
"""


def _fresh_process(code: str = SETTINGS_OF_A_FRESH_PROCESS, **env_settings: str) -> str:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "src"), **env_settings}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _settings(**env_settings: str) -> dict:
    return json.loads(_fresh_process(**env_settings))


def _toggle():
    return (getattr(np, "_core", None) or np.core).multiarray._set_madvise_hugepage


def test_the_settings_when_the_user_sets_nothing():
    assert _settings() == {"arrow_pool": "system", "numpy_hugepages": False, "malloc_keeps_freed": GLIBC}
    assert _settings(**{memory.POOL_ENV: "  "})["arrow_pool"] == "system"


@pytest.mark.skipif(not hasattr(pa, "mimalloc_memory_pool"), reason="this pyarrow has no mimalloc")
def test_a_pool_the_user_names_is_kept():
    assert _settings(**{memory.POOL_ENV: "mimalloc"})["arrow_pool"] == "mimalloc"


def test_huge_pages_the_user_asks_for_are_kept():
    assert _settings(**{memory.HUGEPAGE_ENV: "1"})["numpy_hugepages"] is True


def test_malloc_thresholds_the_user_sets_are_kept():
    assert _settings(**{memory.TUNABLES_ENV: "glibc.malloc.trim_threshold=65536"})["malloc_keeps_freed"] is False
    assert _settings(**{memory.MALLOC_ENV: "glibc"})["malloc_keeps_freed"] is False


@pytest.mark.skipif(not GLIBC, reason="malloc's thresholds are glibc's")
def test_freed_memory_serves_the_next_block_without_page_faults():
    assert int(_fresh_process(FAULTS_OF_A_SECOND_BLOCK.format(settings="pass"))) >= 1000  # 2,048 pages: faulted
    assert int(_fresh_process(FAULTS_OF_A_SECOND_BLOCK.format(settings="memory.keep_freed_memory()"))) < 100


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
