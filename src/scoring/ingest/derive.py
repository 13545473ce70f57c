"""Metric values from list records, and counts divided by the unit register.

The derivations behind 综合失信状况量化测评, per unit u and month M (list types counted:
the contract's `records.counted`, i.e. 黑名单 and 重点关注名单; 红名单 is not counted):

  listed at the end of M:  entry_date ≤ last day of M and (exit_date empty or > last day of M)
  S_u  entities listed at the end of M           A_u  entries with entry_date in M
  X_u  exits with exit_date in M                 V_u  Σ violations of the entities in S_u
  L_u  legal-person enterprises (unit register)

  listed_share_of_city              S_u / Σ_v S_v                 (0 for every unit when Σ S = 0)
  listed_per_legal_person           S_u / L_u
  listed_added_per_legal_person     A_u / L_u
  listed_exit_share                 X_u / (S_u + X_u)             (1 when S_u + X_u = 0: nothing left to clear)
  violations_per_10k_legal_persons  V_u / L_u × 10 000

A metric of the index names its derivation in `derive`; `DERIVATIONS` is the registry.
`entries_order` is the order of the rows of list_entries.csv (unit, list type, entry date, code).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring.ingest.columns import distinct_values, has_empty

MOVEMENTS = ("entered", "exited", "listed")


@dataclass(frozen=True)
class ListFacts:
    """Per-unit counts from one month's list records (Series indexed by unit code)."""

    listed: pd.Series  # S: listed at the end of the month
    added: pd.Series  # A: entered during the month
    exited: pd.Series  # X: left during the month
    violations: pd.Series  # V: violations of the entities listed at the end of the month
    legal_persons: pd.Series  # L: from the unit register


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """First and last day of YYYY-MM."""
    year, mon = map(int, month.split("-"))
    start = dt.date(year, mon, 1)
    nxt = dt.date(year + mon // 12, mon % 12 + 1, 1)
    return start, nxt - dt.timedelta(days=1)


def _test(dates: pd.Series, pred: Callable[[dt.date], bool], empty: bool) -> pd.Series:
    """`pred` of each date (`empty` where there is none), once per distinct date."""
    return pd.Series(distinct_values(dates, lambda d: bool(pred(d)), empty, bool), index=dates.index)


def _in(dates: pd.Series, start: dt.date, end: dt.date) -> pd.Series:
    return _test(dates, lambda d: start <= d <= end, False)


def movements(entries: pd.DataFrame, month: str) -> pd.Series:
    """'exited' when the exit date is in the month, else 'entered' when the entry date is,
    else 'listed' (listed before the month and still listed)."""
    start, end = month_bounds(month)
    exited, entered = _in(entries["exit_date"], start, end), _in(entries["entry_date"], start, end)
    which = np.where(exited.to_numpy(), 0, np.where(entered.to_numpy(), 1, 2))
    told = np.array(["exited", "entered", "listed"], dtype=object)[which]
    return pd.Series(told, index=entries.index, dtype=object, copy=False)


def list_facts(entries: pd.DataFrame, register: pd.DataFrame, units: list[str], month: str,
               counted: tuple[str, ...]) -> ListFacts:
    """Count S, A, X, V per unit from typed records (unit codes, dates) and the register: each row's
    tests once per distinct cell (`distinct_values`), the rows of counted types summed per unit
    (whole numbers: exact in any order)."""
    start, end = month_bounds(month)
    at = {code: i for i, code in enumerate(units)}
    unit = distinct_values(entries["unit"], lambda u: at.get(u, -1), -1, np.int64)
    rows = distinct_values(entries["list_type"], lambda t: t in counted, False, bool) & (unit >= 0)
    entry, exit_ = entries["entry_date"], entries["exit_date"]
    at_end = (distinct_values(entry, lambda d: d <= end, False, bool)
              & distinct_values(exit_, lambda d: d > end, True, bool))

    def per_unit(mask: np.ndarray, weights: np.ndarray | None = None) -> pd.Series:
        keep = mask & rows
        sums = np.bincount(unit[keep], None if weights is None else weights[keep], minlength=len(units))
        return pd.Series(sums.astype(float), index=pd.Index(units))

    violations = np.nan_to_num(entries["violations"].to_numpy(dtype=float, na_value=np.nan))  # groupby: NaN skipped
    return ListFacts(
        listed=per_unit(at_end),
        added=per_unit(distinct_values(entry, lambda d: start <= d <= end, False, bool)),
        exited=per_unit(distinct_values(exit_, lambda d: start <= d <= end, False, bool)),
        violations=per_unit(at_end, violations),
        legal_persons=register["legal_persons"].astype(float).reindex(units),
    )


Derivation = Callable[[ListFacts], pd.Series]
DERIVATIONS: dict[str, Derivation] = {}


def derivation(name: str) -> Callable[[Derivation], Derivation]:
    def add(func: Derivation) -> Derivation:
        DERIVATIONS[name] = func
        return func

    return add


@derivation("listed_share_of_city")
def listed_share_of_city(f: ListFacts) -> pd.Series:
    """S_u / Σ S (ratio); 0 for all when no unit has a listed entity."""
    total = f.listed.sum()
    return f.listed / total if total > 0 else f.listed * 0.0


@derivation("listed_per_legal_person")
def listed_per_legal_person(f: ListFacts) -> pd.Series:
    """S_u / L_u (ratio)."""
    return f.listed / f.legal_persons


@derivation("listed_added_per_legal_person")
def listed_added_per_legal_person(f: ListFacts) -> pd.Series:
    """A_u / L_u (ratio)."""
    return f.added / f.legal_persons


@derivation("listed_exit_share")
def listed_exit_share(f: ListFacts) -> pd.Series:
    """X_u / (S_u + X_u) (ratio); 1 when nothing was listed (nothing left to clear)."""
    base = f.listed + f.exited
    return (f.exited / base.where(base > 0)).fillna(1.0)


@derivation("violations_per_10k_legal_persons")
def violations_per_10k_legal_persons(f: ListFacts) -> pd.Series:
    """V_u / L_u × 10 000 (violation records per 10 000 legal-person enterprises)."""
    return f.violations / f.legal_persons * 10000.0


def per_register(counts: pd.Series, register: pd.DataFrame, per: dict) -> pd.Series:
    """count / register[per.register] × per.scale, per unit (counts and register indexed by unit)."""
    base = register[per["register"]].astype(float).reindex(counts.index)
    return counts.astype(float) / base * float(per["scale"])


def entries_order(unit_at: pd.Series, type_at: pd.Series, entry: pd.Series, code: pd.Series,
                   days: np.ndarray) -> np.ndarray:
    """The positions of the rows sorted by unit (params order), list type (contract order), entry
    date (ISO text) and credit code: `sort_values([...], kind="stable")`'s order. `days` are the entry
    dates' ordinals (0 where the text is ""): ISO dates sort as their ordinals. One stable sort of the
    integer key (unit, type, day), then the rows of equal keys (few) by a stable `numpy.lexsort`
    of their codes as fixed-width numpy strings (compared by code point, as Python compares them;
    a valid code has no NUL a fixed width would drop)."""
    keys = [unit_at, type_at, entry, code]
    if any(has_empty(k) if k.dtype == object else k.isna().any() for k in keys):  # not after validation:
        # pandas' own NaN placement then
        frame = pd.DataFrame({"_u": unit_at, "_t": type_at, "entry_date": entry, "credit_code": code})
        return frame.reset_index(drop=True).sort_values(["_u", "_t", "entry_date", "credit_code"],
                                                        kind="stable").index.to_numpy()
    if not len(code):
        return np.arange(0)
    u, t = unit_at.to_numpy(dtype=np.int64), type_at.to_numpy(dtype=np.int64)
    day = np.asarray(days).astype(np.int64)
    key = (u * (int(t.max()) + 1) + t) * (int(day.max()) + 1) + day  # < 2^63: units × types × 3.7M days
    order = np.argsort(key, kind="stable")
    ranked = key[order]
    equal = ranked[1:] == ranked[:-1]  # row i and row i + 1 (in key order) share the key
    same = np.zeros(len(order), dtype=bool)
    same[1:] |= equal
    same[:-1] |= equal
    if same.any():  # rows sharing unit, type and day: by credit code, their order kept among equal codes
        tied = np.flatnonzero(same)
        rows = order[tied]
        codes = code.to_numpy(dtype=object)[rows].astype(str)
        order[tied] = rows[np.lexsort((codes, ranked[tied]))]
    return order
