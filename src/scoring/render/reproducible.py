"""Same inputs → same bytes: what varies between runs (clock times, durations, random ids,
temporary and absolute paths) is kept out of the files a build writes.

- `fixed_time`: the one time a file's metadata may carry (a Word or Excel file's created/modified
  dates, zip members, typst's "today"): $SOURCE_DATE_EPOCH when set, else midnight of a date
  from the data (`period_date`: the end of the report's month or year) — never the clock.
- `normalise_zip`: a zip (.docx, .xlsx) rewritten with every member dated `fixed_time`, the same
  order, compression and attributes.
- `normalise_notebook`: applied to every executed notebook right after papermill writes it
  (scoring.pipeline.batch): no start/end times or durations (papermill's, nbclient's), cell ids
  from the cells' positions, and the paths papermill records (input, output, path parameters,
  the injected parameters cell) relative to the executed notebook's own folder — so the
  build's temporary folder and the project's location leave no trace. Such a notebook re-runs
  from its own folder.

The run's time and durations are recorded once, in the month's provenance.json (scoring.provenance).
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scoring.errors import CreditCountyError
from scoring.project import is_project
from scoring.safeio import atomic_write_text

SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"
#: The date a document carries when none is given and the parameters name no period.
FALLBACK_DATE = dt.date(2000, 1, 1)
#: papermill's and nbclient's run-dependent keys: in the notebook's and each cell's metadata.
TIMING_KEYS = ("start_time", "end_time", "duration")
CELL_RUN_METADATA = ("execution", "ExecuteTime")
INJECTED_TAG = "injected-parameters"
#: The id of papermill's injected parameters cell; the others are cell-00, cell-01 … in order.
INJECTED_ID = "injected-parameters"
ZIP_YEARS = (1980, 2107)  #: the years a zip member's date can hold


def period_date(parameters: Mapping[str, Any]) -> dt.date:
    """The date of a report's period from its notebook parameters: the last day of `month`
    ('YYYY-MM'), else 31 December of `year`, else FALLBACK_DATE (never the clock)."""
    month = str(parameters.get("month") or "")
    try:
        if month:
            year, number = (int(x) for x in month.split("-")[:2])
            return dt.date(year, number, calendar.monthrange(year, number)[1])
        if parameters.get("year") is not None:
            return dt.date(int(parameters["year"]), 12, 31)
    except ValueError:
        pass
    return FALLBACK_DATE


def fixed_time(date: dt.date | None = None) -> dt.datetime:
    """The time written into file metadata (naive, UTC): $SOURCE_DATE_EPOCH (whole seconds since
    1970-01-01 UTC) when set, else midnight of `date` (default FALLBACK_DATE). CreditCountyError
    when SOURCE_DATE_EPOCH is set but not a whole number."""
    raw = os.environ.get(SOURCE_DATE_EPOCH, "").strip()
    if raw:
        if not raw.isdigit():
            raise CreditCountyError(f"{SOURCE_DATE_EPOCH}={raw!r}: must be a whole number of seconds since "
                                    "1970-01-01 UTC (or unset: the report's period end is used)")
        return dt.datetime.fromtimestamp(int(raw), dt.UTC).replace(tzinfo=None)
    return dt.datetime.combine(date or FALLBACK_DATE, dt.time())


def epoch_seconds(when: dt.datetime) -> int:
    """`when` (naive = UTC) as seconds since 1970-01-01 UTC."""
    return int((when if when.tzinfo else when.replace(tzinfo=dt.UTC)).timestamp())


def normalise_zip(data: bytes, when: dt.datetime) -> bytes:
    """The zip `data` rewritten member by member, in the same order, each dated `when` (clamped to
    what a zip can hold), deflated at level 6, with no attributes of the system that wrote it."""
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    if when.year < ZIP_YEARS[0]:
        stamp = (ZIP_YEARS[0], 1, 1, 0, 0, 0)
    elif when.year > ZIP_YEARS[1]:
        stamp = (ZIP_YEARS[1], 12, 31, 23, 59, 58)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=stamp)
            member.compress_type, member.create_system, member.external_attr = zipfile.ZIP_DEFLATED, 0, 0
            dst.writestr(member, src.read(info.filename), compresslevel=6)
    return out.getvalue()


# ----------------------------------------------------------------------------- notebooks


def _base(folder: Path) -> Path:
    """The project holding `folder` (the nearest folder above with params/index.yaml), else `folder`."""
    return next((f for f in (folder, *folder.parents) if is_project(f)), folder)


def _relative(value: Any, folder: Path, base: Path) -> Any:
    """An absolute path inside `base` as a path relative to `folder` (POSIX); anything else as it is."""
    if not isinstance(value, str) or not value or not os.path.isabs(value):
        return value
    path = Path(value).resolve()
    if not path.is_relative_to(base):
        return value
    return Path(os.path.relpath(path, folder)).as_posix()


def _parameters_source(nb: Any, parameters: Mapping[str, Any]) -> str:
    """The injected cell's source as papermill writes it for `parameters`."""
    from papermill.engines import papermill_engines
    from papermill.translators import translate_parameters

    return translate_parameters(papermill_engines.nb_kernel_name(None, nb, None),
                                papermill_engines.nb_language(None, nb, None), parameters, "Parameters")


def normalised(nb: Any, folder: str | Path) -> Any:
    """The executed notebook `nb` (a NotebookNode, changed in place and returned) without
    run-dependent metadata; `folder`: where it is written (paths become relative to it)."""
    folder = Path(folder).resolve()
    base = _base(folder)
    record = nb.metadata.get("papermill")
    changed = False
    if isinstance(record, dict):
        for key in TIMING_KEYS:
            record.pop(key, None)
        for key in ("input_path", "output_path", "cwd"):
            if key in record:
                record[key] = _relative(record[key], folder, base)
        if isinstance(record.get("parameters"), dict):
            parameters = {k: _relative(v, folder, base) for k, v in record["parameters"].items()}
            changed = parameters != record["parameters"]
            record["parameters"] = parameters
    ids = (nb.get("nbformat", 4), nb.get("nbformat_minor", 0)) >= (4, 5)  # ids exist from nbformat 4.5
    position = 0
    for cell in nb.cells:
        metadata = cell.setdefault("metadata", {})
        for key in CELL_RUN_METADATA:
            metadata.pop(key, None)
        if isinstance(metadata.get("papermill"), dict):
            for key in TIMING_KEYS:
                metadata["papermill"].pop(key, None)
        injected = INJECTED_TAG in metadata.get("tags", [])
        if injected and changed:
            cell["source"] = _parameters_source(nb, record["parameters"])
        if ids:
            cell["id"] = INJECTED_ID if injected else f"cell-{position:02d}"
        position += not injected
    return nb


def normalise_notebook(path: str | Path, written_as: str | Path | None = None) -> None:
    """Rewrite an executed notebook without run-dependent metadata (in place, atomically; see `normalised`).

    `written_as`: where the notebook will be published when it was executed elsewhere (a worker's
    scratch folder): its recorded output path and relative paths are those of `written_as`."""
    import nbformat

    path = Path(path)
    final = Path(written_as) if written_as else path
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    record = nb.metadata.get("papermill")
    if written_as and isinstance(record, dict) and "output_path" in record:
        record["output_path"] = str(final.resolve())
    text = nbformat.writes(normalised(nb, final.parent))
    atomic_write_text(path, text if text.endswith("\n") else text + "\n")
