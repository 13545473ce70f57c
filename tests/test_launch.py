"""The `credit-county` command's start (scoring.launch): allocator settings, then the command."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

from scoring import launch

TUNABLE = "glibc.malloc.hugetlb=1"


def test_missing_settings_are_added():
    found = launch.allocator_environment({"PATH": "/bin"}, glibc=True)
    assert found == {"PATH": "/bin", "GLIBC_TUNABLES": TUNABLE, "MIMALLOC_PURGE_DELAY": "-1"}


def test_the_users_own_values_are_kept_and_other_tunables_too():
    found = launch.allocator_environment({"MIMALLOC_PURGE_DELAY": "50", "GLIBC_TUNABLES": "glibc.malloc.arena_max=2"},
                                         glibc=True)
    assert found == {"MIMALLOC_PURGE_DELAY": "50", "GLIBC_TUNABLES": f"glibc.malloc.arena_max=2:{TUNABLE}"}
    assert launch.allocator_environment({"MIMALLOC_PURGE_DELAY": "50", "GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"},
                                        glibc=True) is None  # nothing to add: no restart


def test_no_glibc_tunable_without_glibc_and_nothing_when_plain_is_asked():
    assert launch.allocator_environment({}, glibc=False) == {"MIMALLOC_PURGE_DELAY": "-1"}
    assert launch.allocator_environment({launch.PLAIN_ENV: "1"}, glibc=True) is None
    assert launch.allocator_environment({launch.PLAIN_ENV: "0"}, glibc=True) is not None


def test_the_console_script_starts_through_launch():
    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "credit-county"]
    assert script.value == "scoring.launch:main"


SHOW_START_ENVIRONMENT = ("from scoring import launch; launch.restart_with_allocator_settings(); "
                          "import sys; sys.stdout.buffer.write(open('/proc/self/environ', 'rb').read())")


@pytest.mark.skipif(not sys.platform.startswith("linux") or not launch._glibc(), reason="Linux with glibc")
@pytest.mark.parametrize("plain", [False, True])
def test_the_process_is_restarted_with_the_settings(plain):
    """/proc/self/environ is the environment the running image started with: the settings are in it
    only if the process re-executed itself (os.environ alone would not change it)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("GLIBC_TUNABLES", "MIMALLOC_PURGE_DELAY")}
    if plain:
        environment[launch.PLAIN_ENV] = "1"
    result = subprocess.run([sys.executable, "-c", SHOW_START_ENVIRONMENT], env=environment, capture_output=True,
                            timeout=60, check=True)
    started_with = set(result.stdout.split(b"\0"))
    assert (b"GLIBC_TUNABLES=" + TUNABLE.encode() in started_with) is not plain
    assert (b"MIMALLOC_PURGE_DELAY=-1" in started_with) is not plain
