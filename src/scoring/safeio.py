"""Writing files so that nothing is half-written and nothing earlier is lost.

- `atomic_write_*`: write to a temporary file in the same folder, then rename over.
- `staged_dir`: build a whole folder under a temporary name, then swap it into place;
  on any error the temporary folder is removed and the old folder stays as it was.
- `neutralise_cell`: a text cell beginning with = + - @ (or tab / CR) is prefixed with
  an apostrophe so that Excel or LibreOffice shows it as text, not a formula.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; published files are for readers too
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def neutralise_cell(value: object) -> object:
    """Prefix text that a spreadsheet would read as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def restore_cell(value: object) -> object:
    """Undo `neutralise_cell` when reading a CSV this package wrote: the data as it came in."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells (and column names) cannot run as formulas."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise_cell)
    out.columns = [neutralise_cell(c) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, float_format: str = "%.6f") -> Path:
    """Atomic, formula-safe, deterministic UTF-8 CSV (no index, '\\n' line ends)."""
    text = neutralise_frame(frame).to_csv(index=False, float_format=float_format, lineterminator="\n")
    return atomic_write_text(path, text)


@contextlib.contextmanager
def staged_dir(final: str | Path) -> Iterator[Path]:
    """Yield an empty temporary folder beside `final`; on success swap it into place.

    The previous `final` is kept until the new one is in place, then removed, so a reader
    sees either the old folder or the new one, never a half-built one.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{final.name}.building.", dir=final.parent))
    stage.chmod(0o755)  # mkdtemp makes 0700; the published folder is for readers too
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    old = None
    if final.exists():
        old = final.parent / f".{final.name}.old.{os.getpid()}"
        os.replace(final, old)
    os.replace(stage, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
