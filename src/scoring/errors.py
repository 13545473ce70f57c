"""Exceptions with messages a user can act on.

Each carries `problems`: one line per problem, naming the file, row, column, value
and rule where those exist. The command line prints them and exits non-zero.
"""

from __future__ import annotations


class CreditCountyError(Exception):
    """Base class: something the user must fix; never a bug in this package."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems) if problems else [message]


class SpecError(CreditCountyError):
    """The index, the units or another params file is wrong."""


class DataError(CreditCountyError):
    """Input data breaks the data contract (docs/data.md)."""


class ScoringError(CreditCountyError):
    """A value cannot be scored by its metric's method (e.g. a manual score above the points)."""


class BatchError(CreditCountyError):
    """One or more notebooks failed; the others were completed."""
