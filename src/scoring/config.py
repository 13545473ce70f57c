"""Reading params files: YAML → typed models (pydantic v2), every problem listed.

`read_yaml` reads any params file (a mapping, with the SHA-256 of its bytes); a large one (the
units of a province or the nation) is parsed once per content and then read from the parse cache
(`parse_cache_folder`: marshal files named by the SHA-256, as Python caches bytecode).
`validate(Model, data, source)` builds a model and, when the data is wrong, raises SpecError
with one line per problem: "file: key.path: rule (Chinese) — value". The Chinese wording of
each rule comes from params/labels.yaml (`validation:`, keyed by pydantic's error type);
pydantic's English message is used for a type the file does not name.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
from functools import cache
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from scoring.errors import SpecError
from scoring.hashing import sha256_bytes

YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 7× faster
LABELS_FILE = Path("params") / "labels.yaml"
CACHE_ENV = "CREDIT_COUNTY_CACHE"  # the parse cache's folder (default: $XDG_CACHE_HOME/credit-county)
CACHED_BYTES = 64_000  # params files of this size or more go through the parse cache (2,844 units: 220 kB,
#                        0.13 s of YAML, 1 ms of marshal; 16 units: 1.5 kB, a millisecond of YAML)
CACHE_KEPT = 32  # parsed files kept in the cache: the oldest beyond them are removed when one is added
Model = TypeVar("Model", bound=BaseModel)


class Strict(BaseModel):
    """Base of every params model: unknown keys are refused, values are not coerced
    ("12" is not a number), and models are frozen once read."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "must not be blank")
    return value


def _code(value: str) -> str:
    if not value or not value.isascii() or any(c.isspace() for c in value):
        raise PydanticCustomError("code_format", "a code must be non-empty ASCII text without spaces")
    return value


# Field types every params model shares (rule texts: params/labels.yaml `validation:`).
Text = Annotated[str, AfterValidator(_not_blank)]  # non-blank text
Code = Annotated[str, AfterValidator(_code)]  # a node, metric, family … code: ASCII, no spaces
Positive = Annotated[float, Field(gt=0)]
Share = Annotated[float, Field(ge=0, le=1)]
MonthNumber = Annotated[int, Field(ge=1, le=12)]


def read_yaml(path: str | Path) -> tuple[dict[str, Any], str]:
    """A params file as a mapping, with the SHA-256 of its bytes; SpecError when it cannot be
    read, is not YAML, or is not a mapping. Every params loader reads through this."""
    path = Path(path)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"{path}: cannot read ({exc.strerror})") from exc
    digest = sha256_bytes(text)
    try:
        data = _parsed(text, digest)
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise SpecError(f"{path}: expected a mapping at the top level")
    return data, digest


def parse_cache_folder() -> Path:
    """Where parsed params files are kept: $CREDIT_COUNTY_CACHE (a folder only you write), else
    $XDG_CACHE_HOME/credit-county, else ~/.cache/credit-county; one subfolder per Python, PyYAML and
    loader (what makes the data)."""
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "credit-county"
    base = Path(os.environ.get(CACHE_ENV) or home)
    python = f"py{sys.version_info[0]}{sys.version_info[1]}-marshal{marshal.version}"
    return base / f"yaml-{python}-pyyaml{yaml.__version__}-{YAML_LOADER.__name__}"


def _parsed(text: bytes, digest: str) -> Any:
    """`yaml.load(text)`; for a file of `CACHED_BYTES` or more, the data the same bytes gave before,
    kept in the parse cache under their SHA-256 `digest` (a cache file that cannot be read or is not
    a mapping is parsed again and replaced; a folder that cannot be written is no cache)."""
    if len(text) < CACHED_BYTES:
        return yaml.load(text, Loader=YAML_LOADER)
    try:
        kept = parse_cache_folder() / f"{digest}.marshal"
    except (RuntimeError, KeyError):  # (no home folder to find the cache in: no cache)
        return yaml.load(text, Loader=YAML_LOADER)
    try:
        data = marshal.loads(kept.read_bytes())
        if isinstance(data, dict):
            return data
    except (OSError, ValueError, EOFError, TypeError):
        pass
    data = yaml.load(text, Loader=YAML_LOADER)
    from scoring.safeio import atomic_write_bytes  # (pandas: imported only when a cache file is written)

    with contextlib.suppress(OSError, ValueError):  # (ValueError: a value marshal does not hold, e.g. a date)
        atomic_write_bytes(kept, marshal.dumps(data))  # whole or not at all: another process may read it
        _prune(kept.parent)
    return data


def _prune(folder: Path) -> None:
    """Remove the cache files beyond the `CACHE_KEPT` most recently written."""
    files = sorted(folder.glob("*.marshal"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in files[CACHE_KEPT:]:
        old.unlink(missing_ok=True)


@cache
def _rule_texts(root: str) -> dict[str, str]:
    path = Path(root) / LABELS_FILE
    try:
        data = yaml.load(path.read_bytes(), Loader=YAML_LOADER) if path.is_file() else {}
    except (OSError, yaml.YAMLError):
        return {}
    texts = data.get("validation") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in texts.items()} if isinstance(texts, dict) else {}


def _project_root(source: str) -> str:
    """The project folder of a params file (found upwards from the file), else the current folder."""
    from scoring.project import find_root

    root = find_root(start=Path(source).parent) if source and not source.startswith("<") else None
    return str(root or Path.cwd())


def key_path(loc: tuple[int | str, ...]) -> str:
    """pydantic's error location as a key path: ('children', 0, 'points') → children[0].points."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).startswith(("function-", "tagged-union")):
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def problems_of(error: ValidationError, source: str) -> list[str]:
    """One line per problem of a ValidationError: 'file: key.path: rule — value'."""
    texts = _rule_texts(_project_root(source))
    lines = []
    for err in error.errors(include_url=False):
        ctx = {k: v for k, v in (err.get("ctx") or {}).items()}
        template = texts.get(err["type"])
        try:
            rule = template.format(**ctx) if template else err["msg"]
        except (KeyError, IndexError):
            rule = err["msg"]
        if err["type"] == "value_error" and template:
            rule = template.format(error=str(ctx.get("error", err["msg"])).removeprefix("Value error, "))
        given = "" if err["type"] in ("missing", "value_error") else f" — {err.get('input')!r}"
        lines.append(f"{source}: {key_path(tuple(err['loc']))}: {rule}{given}")
    return lines


def validate(model: type[Model], data: Any, source: str, what: str = "params file",
             context: dict[str, Any] | None = None) -> Model:
    """`data` as a `model`; SpecError listing every problem (file, key path, rule) when it is wrong.
    `context`: what the model's validators check against (e.g. the index for the data contract)."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        problems = problems_of(exc, source)
        raise SpecError(f"{source}: {what} is not valid:\n  " + "\n  ".join(problems), problems=problems) from exc


def load(model: type[Model], path: str | Path, what: str = "params file") -> tuple[Model, str]:
    """Read a params file and validate it as `model`; returns (model, SHA-256 of the file)."""
    data, digest = read_yaml(path)
    return validate(model, data, str(path), what), digest
