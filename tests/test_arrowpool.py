"""scoring.arrowpool: the CLI allocates Arrow's buffers with malloc unless the user names a pool, and
the processed month is the same whichever pool made it."""

from __future__ import annotations

import subprocess
import sys

import pyarrow as pa
import pytest

from scoring import arrowpool
from scoring.cli import main
from scoring.ingest.process import month_files, read_raw_month
from tests.conftest import DEMO_MONTH, ROOT

POOL_OF_A_FRESH_PROCESS = "from scoring import arrowpool; print(arrowpool.use_system_pool())"


def _fresh_process_pool(env_pool: str | None) -> str:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "src")}
    if env_pool is not None:
        env[arrowpool.POOL_ENV] = env_pool
    done = subprocess.run([sys.executable, "-c", POOL_OF_A_FRESH_PROCESS], env=env, capture_output=True, text=True,
                          check=True)
    return done.stdout.strip()


def test_malloc_is_taken_when_no_pool_is_named():
    assert _fresh_process_pool(None) == "system"
    assert _fresh_process_pool("  ") == "system"


@pytest.mark.skipif(not hasattr(pa, "mimalloc_memory_pool"), reason="this pyarrow has no mimalloc")
def test_a_pool_the_user_names_is_kept():
    assert _fresh_process_pool("mimalloc") == "mimalloc"


@pytest.fixture()
def mimalloc_then_restored():
    before = pa.default_memory_pool()
    try:
        pa.set_memory_pool(pa.mimalloc_memory_pool())
    except (AttributeError, NotImplementedError):
        pytest.skip("this pyarrow has no mimalloc")
    yield
    pa.set_memory_pool(before)


def test_every_command_takes_malloc(demo_project, mimalloc_then_restored, monkeypatch, capsys):
    monkeypatch.delenv(arrowpool.POOL_ENV, raising=False)
    assert pa.default_memory_pool().backend_name == "mimalloc"
    assert main(["--root", str(demo_project.root), "index"]) == 0
    assert pa.default_memory_pool().backend_name == "system"


def test_the_processed_month_is_the_same_with_either_pool(demo_project, mimalloc_then_restored):
    with_mimalloc = month_files(read_raw_month(demo_project, DEMO_MONTH))
    pa.set_memory_pool(pa.system_memory_pool())
    with_malloc = month_files(read_raw_month(demo_project, DEMO_MONTH))
    assert with_mimalloc == with_malloc
    assert len(with_malloc["list_entries.csv"]) > 1000  # a month of list records, not an empty file
