"""SHA-256 digests: the one hashing helper for inputs, params, stage files and figures."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_named(parts: Iterable[tuple[str, bytes]]) -> str:
    """Hex SHA-256 over (name, bytes) pairs in the order given, each as name NUL bytes NUL:
    a digest of a set of files that changes when any name or content changes."""
    digest = hashlib.sha256()
    for name, data in parts:
        digest.update(name.encode("utf-8") + b"\0" + data + b"\0")
    return digest.hexdigest()
