"""Validation of raw tables with pandera, and typed tables from the valid ones.

Each source of the contract becomes two pandera `DataFrameSchema`s built for the month
(or, for an annual source of a year folder, for the year: `YearWindow`):
  table schema  one file's (or sheet's) table: the columns present (strict), required cells,
                every cell's type and range (element-wise checks on the text as typed),
                and the source's row rules (checks across the columns of a row);
  pool schema   all tables of the source together: unique keys, one row per unit, set rules.
Both run with `lazy=True`, so every failure is collected; `SchemaErrors.failure_cases`
becomes one line per problem: "file: row R, column 'C' (表头): value V — rule".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from scoring.errors import SpecError
from scoring.index.spec import IndexSpec, Units
from scoring.ingest import cells
from scoring.ingest.contract import MONTH_WINDOWS, YEAR_WINDOWS, ColumnSpec, SourceSpec, header_keys
from scoring.ingest.derive import month_bounds
from scoring.ingest.readers import RawTable

Describe = Callable[[Any, dict[str, Any]], str]  # (value, row as dict) → the rule as told to the user


@dataclass(frozen=True)
class MonthWindow:
    """The calendar of the month being ingested."""

    month: str
    start: dt.date
    end: dt.date
    next_end: dt.date  # last day of the following month

    @classmethod
    def of(cls, month: str) -> MonthWindow:
        start, end = month_bounds(month)
        _next_start, next_end = month_bounds((end + dt.timedelta(days=1)).strftime("%Y-%m"))
        return cls(month, start, end, next_end)


@dataclass(frozen=True)
class YearWindow:
    """The calendar of a year folder (data/raw/YYYY/): the year and the January after it."""

    year: int
    start: dt.date  # 1 January
    end: dt.date  # 31 December
    january_end: dt.date  # 31 January of the following year

    @classmethod
    def of(cls, year: int) -> YearWindow:
        year = int(year)
        return cls(year, dt.date(year, 1, 1), dt.date(year, 12, 31), dt.date(year + 1, 1, 31))


@dataclass
class Rule:
    """What a check means to a user; `column` is the column its message names (None: the table)."""

    column: str | None
    describe: Describe


@dataclass
class Table:
    """A raw table with canonical column names, ready for validation."""

    raw: RawTable
    frame: pd.DataFrame  # object columns of text (None = empty), index 0..n−1
    rows: list[int]  # row number in the file of each index position
    headers: dict[str, str]  # column name in the frame → the header as written in the file


@dataclass
class Problem:
    """One line of a refusal; `where`, `row` and `order` (column position) sort the lines."""

    where: str
    row: int  # 0: about the whole file or folder
    order: int
    text: str


def show(value: Any) -> str:
    """A cell value as a message shows it."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "(empty)"
    return repr(value)


@dataclass
class Context:
    """What the checks need to know (the month or year, the units, the index) and the rules they registered."""

    window: MonthWindow | YearWindow
    units: Units
    spec: IndexSpec
    rules: dict[str, Rule] = field(default_factory=dict)
    _reviewed: dict[str, str] | None = field(default=None, repr=False)

    def unit_code(self, text: Any) -> str | None:
        """The unit code for a unit's Chinese name or code; None when unknown."""
        if text is None:
            return None
        t = cells.normalise(text)
        by_name = {cells.normalise(u.name): u.code for u in self.units.units}
        return by_name.get(t) or (t if t in self.units.codes else None)

    def review_metrics(self) -> dict[str, str]:
        """Header-like key (code, short or name) → code, for the metrics scored by reviewers."""
        if self._reviewed is None:
            self._reviewed = {}
            for m in self.spec.metrics():
                if m.source == "review":
                    for text in (m.code, m.short, m.name):
                        for key in header_keys(text):
                            self._reviewed.setdefault(key, m.code)
        return self._reviewed

    def metric_code(self, text: Any) -> str | None:
        """The code of a reviewed metric named by its code, short or full name; None when unknown."""
        if text is None:
            return None
        reviewed = self.review_metrics()
        return next((reviewed[k] for k in header_keys(text) if k in reviewed), None)

    def register(self, rule: Rule) -> str:
        """Keep `rule`; its id is the pandera check's `error` text, by which failures are found again."""
        rid = f"rule-{len(self.rules) + 1:03d}"
        self.rules[rid] = rule
        return rid

    def check(self, func: Callable[..., Any], column: str | None, describe: Describe | str,
              element_wise: bool = False) -> pa.Check:
        text = describe
        rule = Rule(column, describe if callable(describe) else (lambda _v, _r: text))
        return pa.Check(func, element_wise=element_wise, error=self.register(rule), ignore_na=True)


# --------------------------------------------------------------------------- cell checks


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def cell_checks(col: ColumnSpec, source: SourceSpec, ctx: Context) -> list[pa.Check]:
    """Element-wise checks on the text of one column's cells (empty cells are not checked here)."""
    name = col.name

    def each(pred: Callable[[Any], bool], describe: Describe | str) -> pa.Check:
        return ctx.check(lambda v: v is None or bool(pred(v)), name, describe, element_wise=True)

    checks: list[pa.Check] = []
    kind = col.type
    if kind == "unit":
        names = "、".join(u.name for u in ctx.units.units)
        checks.append(each(lambda v: ctx.unit_code(v) is not None,
                           f"not a unit of params/units.yaml; use one of: {names} (or its code)"))
    elif kind == "credit_code":
        what = col.label  # the contract's name of the code (统一社会信用代码)
        checks += [
            each(cells.code_length_ok, lambda v, _r: f"has {len(cells.normalise_code(v) or '')} characters; "
                                                     f"a {what} has {cells.CODE_LENGTH}"),
            each(cells.code_alphabet_ok, lambda v, _r: f"contains {', '.join(cells.forbidden_characters(v))}, "
                                                       f"not used in a {what} (only 0–9 and A–H J–N P–R T U "
                                                       "W–Y; never I O Z S V)"),
            each(cells.code_region_ok, "characters 3–8 (the administrative division code) must be digits"),
            each(cells.code_check_ok, lambda v, _r: f"wrong check character: by GB 32100-2015 the 18th character "
                                                    f"of {(cells.normalise_code(v) or '')[:17]} is "
                                                    f"{cells.check_character((cells.normalise_code(v) or '')[:17])!r}"
                                                    f", not {(cells.normalise_code(v) or ' ')[-1]!r}"),
        ]
    elif kind == "choice":
        allowed = set(col.values)
        checks.append(each(lambda v: cells.normalise(v) in allowed, f"must be one of: {'、'.join(col.values)}"))
    elif kind == "date":
        checks += _date_checks(col, ctx, each)
    elif kind in ("count", "number", "ratio"):
        checks += _number_checks(col, each)
    elif kind == "flag":
        allowed = {cells.normalise(k) for k in source.flag_values}
        meaning = ", ".join(f"{k} = {'yes' if v else 'no'}" for k, v in source.flag_values.items() if not k.isdigit())
        checks.append(each(lambda v: cells.normalise(v) in allowed,
                           f"must be {' / '.join(source.flag_values)}" + (f" ({meaning})" if meaning else "")))
    elif kind == "metric":
        codes = ", ".join(f"{code} ({ctx.spec.label(code)})" for code in dict.fromkeys(ctx.review_metrics().values()))
        checks.append(each(lambda v: ctx.metric_code(v) is not None,
                           f"not an item scored by reviewers; use one of: {codes}"))
    return checks


def _number_checks(col: ColumnSpec, each: Callable[..., pa.Check]) -> list[pa.Check]:
    kind = col.type
    parse = {"count": cells.parse_whole, "number": cells.parse_number, "ratio": cells.parse_ratio}[kind]
    low, high = col.min, col.max
    if kind == "count" and low is None:
        low = 0
    if kind == "ratio":
        low, high = (0.0 if low is None else low), (1.0 if high is None else high)
    what = {"count": "a whole number", "number": "a number", "ratio": "a number (0.985) or a percentage (98.5%)"}
    checks = [each(lambda v: parse(v) is not None, f"not {what[kind]}")]
    if kind == "ratio":
        checks.append(each(lambda v: parse(v) is None or low <= parse(v) <= high,
                           f"outside [{_fmt(low)}, {_fmt(high)}]: a ratio is a decimal between 0 and 1 "
                           "(98.5% → 0.985)"))
        return checks
    if low is not None:
        def below(v: Any, _row: dict[str, Any]) -> str:
            value = parse(v)
            return ("negative: a count cannot be below 0" if kind == "count" and value is not None and value < 0
                    else f"below the minimum {_fmt(low)}")

        checks.append(each(lambda v: parse(v) is None or parse(v) >= low, below))
    if high is not None:
        checks.append(each(lambda v: parse(v) is None or parse(v) <= high, f"above the maximum {_fmt(high)}"))
    return checks


def _date_checks(col: ColumnSpec, ctx: Context, each: Callable[..., pa.Check]) -> list[pa.Check]:
    w = ctx.window
    wanted = YearWindow if col.window in YEAR_WINDOWS else MonthWindow if col.window in MONTH_WINDOWS else None
    if wanted is not None and not isinstance(w, wanted):
        raise SpecError(f"params/sources.yaml: column {col.name!r}: window {col.window!r} is for a "
                        f"{'year' if wanted is YearWindow else 'month'} folder, not {w!r}")
    checks = [each(lambda v: cells.parse_date(v) is not None, "not a date: write YYYY-MM-DD, e.g. 2019-07-15")]

    def within(low: dt.date | None, high: dt.date | None) -> Callable[[Any], bool]:
        def ok(v: Any) -> bool:
            d = cells.parse_date(v)
            return d is None or ((low is None or d >= low) and (high is None or d <= high))

        return ok

    if col.earliest is not None:
        checks.append(each(within(col.earliest, None), f"before {col.earliest.isoformat()}: check the year"))
    if isinstance(w, YearWindow):
        if col.window == "in_year_or_next_january":
            checks.append(each(within(w.start, w.january_end), f"outside {w.start.isoformat()} … "
                                                               f"{w.january_end.isoformat()} (the year {w.year} or "
                                                               f"January {w.year + 1}): scores of another year "
                                                               "belong in that year's folder"))
    elif col.window == "until_month_end":
        checks.append(each(within(None, w.end), f"after the month's last day {w.end.isoformat()}: "
                                                f"an entry after {w.month} belongs to a later month's file"))
    elif col.window == "in_month":
        checks.append(each(within(w.start, w.end), f"outside {w.month} ({w.start.isoformat()} … {w.end.isoformat()}) "
                                                   f": only exits in {w.month} are reported; an entity still listed "
                                                   "at the month's end has this cell empty, one that left earlier is "
                                                   "not in this month's file"))
    elif col.window == "in_month_or_next":
        checks.append(each(within(w.start, w.next_end), f"outside {w.start.isoformat()} … {w.next_end.isoformat()} "
                                                        f"(the month {w.month} or the month after)"))
    return checks


# --------------------------------------------------------------------------- row and set rules


def _parsed(frame: pd.DataFrame, column: str, parse: Callable[[Any], Any]) -> pd.Series:
    if column not in frame.columns:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return frame[column].map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else parse(v))


def _row_rule(name: str, ctx: Context) -> pa.Check:
    """A named check across the columns of one row (listed as `row_rules` in the contract)."""
    if name == "exit_not_before_entry":
        def test(frame: pd.DataFrame) -> pd.Series:
            entry, leave = _parsed(frame, "entry_date", cells.parse_date), _parsed(frame, "exit_date", cells.parse_date)
            return pd.Series([a is None or b is None or b >= a for a, b in zip(entry, leave, strict=True)],
                             index=frame.index)

        return ctx.check(test, "exit_date", lambda _v, row: f"before the entry date {row.get('entry_date')!s} of "
                                                            "the same row: an exit cannot precede its entry")
    if name == "market_entities_not_below_legal_persons":
        def test(frame: pd.DataFrame) -> pd.Series:
            legal, market = (_parsed(frame, "legal_persons", cells.parse_whole),
                             _parsed(frame, "market_entities", cells.parse_whole))
            return pd.Series([a is None or b is None or b >= a for a, b in zip(legal, market, strict=True)],
                             index=frame.index)

        return ctx.check(test, "market_entities", lambda _v, row: f"below the legal-person enterprises "
                                                                  f"({row.get('legal_persons')}) of the same row: "
                                                                  "market entities include them")
    if name == "score_within_points":
        def points(text: Any) -> float | None:
            code = ctx.metric_code(text)
            return ctx.spec.metric(code).points if code else None

        def test(frame: pd.DataFrame) -> pd.Series:
            score, top = _parsed(frame, "score", cells.parse_number), _parsed(frame, "metric", points)
            return pd.Series([s is None or p is None or s <= p + 1e-9 for s, p in zip(score, top, strict=True)],
                             index=frame.index)

        def describe(_v: Any, row: dict[str, Any]) -> str:
            code = ctx.metric_code(row.get("metric")) or ""
            return (f"above the {ctx.spec.metric(code).points:g} points of {code} ({ctx.spec.label(code)}): "
                    "a reviewer's score lies between 0 and the item's points")

        return ctx.check(test, "score", describe)
    raise SpecError(f"params/sources.yaml: unknown row rule {name!r} (known: exit_not_before_entry, "
                    "market_entities_not_below_legal_persons, score_within_points)")


def _key(frame: pd.DataFrame, columns: tuple[str, ...], ctx: Context, source: SourceSpec) -> pd.Series:
    """Each row's key over `columns`, as compared (units as codes, codes upper case); None if incomplete."""
    def norm(col: str, v: Any) -> Any:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        kind = source.column(col).type
        if kind == "unit":
            return ctx.unit_code(v) or cells.normalise(v)
        if kind == "credit_code":
            return cells.normalise_code(v)
        if kind == "date":
            return cells.parse_date(v) or cells.normalise(v)
        if kind == "metric":
            return ctx.metric_code(v) or cells.normalise(v)
        return cells.normalise(v)

    keys = []
    for _, row in frame.iterrows():
        parts = tuple(norm(c, row.get(c)) for c in columns)
        keys.append(None if any(p is None for p in parts) else parts)
    return pd.Series(keys, index=frame.index, dtype=object)


def pool_schema(source: SourceSpec, ctx: Context, describe_row: Callable[[int], str]) -> pa.DataFrameSchema:
    """Checks across all the rows of a source: unique keys, every unit once, set rules.

    `describe_row(i)` names pooled row i for messages ('row 7 of data/raw/…/x.csv').
    """
    checks: list[pa.Check] = []
    if source.unique:
        cols = source.unique

        def unique(frame: pd.DataFrame) -> pd.Series:
            key = _key(frame, cols, ctx, source)
            return ~(key.notna() & key.duplicated(keep=False))

        def describe_dup(_v: Any, row: dict[str, Any]) -> str:
            others = [describe_row(i) for i in row["_same"]]
            labels = ", ".join(source.column(c).label for c in cols)
            return f"duplicate row: the same {labels} as {', '.join(others)}"

        checks.append(ctx.check(unique, cols[0], describe_dup))
    if source.per_unit:
        def all_units(frame: pd.DataFrame) -> bool:
            present = {ctx.unit_code(v) for v in frame.get("unit", pd.Series(dtype=object))}
            return set(ctx.units.codes) <= present

        blanks_ok = any(c.required and c.empty_ok for c in source.columns)

        def describe_missing(_v: Any, row: dict[str, Any]) -> str:
            missing = [u for u in ctx.units.units if u.code not in row["_units"]]
            return (f"no row for {'、'.join(u.name for u in missing)}: {source.title} needs one row for each of the "
                    f"{len(ctx.units.units)} units"
                    + (" (leave its cells empty if a figure is not reported)" if blanks_ok else ""))

        checks.append(ctx.check(all_units, None, describe_missing))
    for name in source.set_rules:
        if name != "one_unit_per_credit_code":
            raise SpecError(f"params/sources.yaml: unknown set rule {name!r} (known: one_unit_per_credit_code)")

        def one_unit(frame: pd.DataFrame) -> pd.Series:
            code, unit = _key(frame, ("credit_code",), ctx, source), _key(frame, ("unit",), ctx, source)
            pairs = pd.DataFrame({"code": code, "unit": unit}).dropna()
            spread = pairs.groupby("code")["unit"].nunique()
            bad = set(spread[spread > 1].index)
            return pd.Series([c not in bad for c in code], index=frame.index)

        def describe_units(_v: Any, row: dict[str, Any]) -> str:
            return (f"the same {source.column('credit_code').label} appears under "
                    f"{' and '.join(sorted(row['_code_units']))}: an entity belongs to one unit")

        checks.append(ctx.check(one_unit, "credit_code", describe_units))
    return pa.DataFrameSchema(checks=checks)


def table_schema(source: SourceSpec, ctx: Context) -> pa.DataFrameSchema:
    """Columns present (unknown ones refused), required cells, each cell's type and range, row rules."""
    columns = {
        col.name: pa.Column(None, checks=cell_checks(col, source, ctx), nullable=col.empty_ok,
                            required=col.required)
        for col in source.columns
    }
    row_checks = [_row_rule(name, ctx) for name in source.row_rules]
    return pa.DataFrameSchema(columns, checks=row_checks, strict=True)


# --------------------------------------------------------------------------- frames from raw tables


def _column_letter(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def to_table(raw: RawTable, problems: list[Problem]) -> Table:
    """The raw table with canonical column names (unknown headers kept as written), blank
    pre-filled rows of `skip_blank` sources left out, all cells as text or None."""
    source = raw.source
    aliases = source.aliases()
    width = max([len(raw.headers), *(len(cells_) for _, cells_ in raw.rows)])
    names: list[str | None] = []
    headers: dict[str, str] = {}
    for i in range(width):
        header = raw.headers[i] if i < len(raw.headers) else None
        has_data = any(i < len(c) and c[i] is not None for _, c in raw.rows)
        if header is None:
            names.append(f"(column {_column_letter(i)}, no header)" if has_data else None)
            continue
        name = next((aliases[k] for k in header_keys(header) if k in aliases), header)
        if name in headers:
            problems.append(Problem(raw.where, 1, i, f"{raw.where}: row 1, columns {headers[name]!r} and "
                                                     f"{header!r} both mean {name!r} — keep one"))
            names.append(None)
            continue
        headers[name] = header
        names.append(name)
    kept = [(i, n) for i, n in enumerate(names) if n is not None]
    data = {n: [c[i] if i < len(c) else None for _, c in raw.rows] for i, n in kept}
    frame = pd.DataFrame(data, columns=[n for _, n in kept], dtype=object)
    rows = [r for r, _ in raw.rows]
    if source.skip_blank and len(frame):
        present = [c for c in source.skip_blank if c in frame.columns]
        if present:
            keep = frame[present].notna().any(axis=1).to_numpy()
            frame = frame[keep]
            rows = [r for r, k in zip(rows, keep, strict=True) if k]
    frame = frame.reset_index(drop=True)
    return Table(raw=raw, frame=frame, rows=rows, headers=headers)


# --------------------------------------------------------------------------- running and reporting


def _column_desc(source: SourceSpec, name: str, headers: dict[str, str]) -> str:
    written = headers.get(name)
    try:
        label = source.column(name).header
    except KeyError:
        return f"column {name!r}"
    return f"column {name!r} ({written or label})"


def _failures(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame | None:
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as exc:
        return exc.failure_cases
    return None


def validate_table(table: Table, ctx: Context) -> list[Problem]:
    """Every problem of one table, one line each."""
    source, where = table.raw.source, table.raw.where
    fc = _failures(table_schema(source, ctx), table.frame)
    if fc is None:
        return []
    order = {name: i for i, name in enumerate(source.names)}
    out: list[Problem] = []
    seen: set[tuple[str, Any]] = set()
    for case in fc.itertuples(index=False):
        check, column, value, index = str(case.check), case.column, case.failure_case, case.index
        if check == "column_in_dataframe":
            col = source.column(str(value))
            why = ("every metric with source: sheet needs its column (empty cells mean not reported)"
                   if col.metric is not None else f"{source.title} needs it")
            out.append(Problem(where, 1, order.get(col.name, 0),
                               f"{where}: row 1: column {col.name!r} ({col.header}) is missing — {why}"))
            continue
        if check == "column_in_schema":
            header = table.headers.get(str(value), str(value))
            foreign = next((source.foreign[k] for k in header_keys(header) if k in source.foreign), None)
            expected = ("、".join(c.header for c in source.columns) if len(source.columns) <= 12
                        else "see the template's notes sheet or docs/data.md")
            why = foreign or f"not a column of {source.title}; expected: {expected}"
            out.append(Problem(where, 1, len(order), f"{where}: row 1: column {header!r}: {why}"))
            continue
        if index is None or (isinstance(index, float) and np.isnan(index)):
            out.append(Problem(where, 0, 0, f"{where}: {check}"))
            continue
        i = int(index)
        rule = ctx.rules.get(check)
        col = (rule.column if rule else None) or column
        if rule is not None and rule.column is not None and (check, i) in seen:
            continue
        seen.add((check, i))
        row = table.frame.iloc[i].to_dict()
        shown = row.get(col) if rule is not None and rule.column is not None and col in row else value
        text = rule.describe(shown, row) if rule else ("a value is required" if check == "not_nullable" else check)
        out.append(Problem(where, table.rows[i], order.get(col, len(order)),
                           f"{where}: row {table.rows[i]}, {_column_desc(source, col, table.headers)}: "
                           f"value {show(shown)} — {text}"))
    return out


def validate_pool(source: SourceSpec, tables: list[Table], ctx: Context) -> list[Problem]:
    """Problems across all tables of a source (duplicates, missing units, one unit per entity)."""
    if not tables:
        return []
    frames, locations = [], []
    for t in tables:
        frames.append(t.frame.reindex(columns=[c for c in source.names if c in t.frame.columns]))
        locations += [(t, r) for r in t.rows]
    pool = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    pool = pool.astype(object).where(pool.notna(), None)

    def describe_row(i: int) -> str:
        t, r = locations[i]
        return f"row {r} of {t.raw.where}"

    fc = _failures(pool_schema(source, ctx, describe_row), pool)
    if fc is None:
        return []
    unique_key = _key(pool, source.unique, ctx, source) if source.unique else None
    codes = _key(pool, ("credit_code",), ctx, source) if "credit_code" in pool.columns else None
    units = _key(pool, ("unit",), ctx, source) if "unit" in pool.columns else None
    order = {name: i for i, name in enumerate(source.names)}
    out: list[Problem] = []
    seen: set[tuple[str, Any]] = set()
    for case in fc.itertuples(index=False):
        check, index = str(case.check), case.index
        rule = ctx.rules.get(check)
        if rule is None:
            continue
        if index is None or (isinstance(index, float) and np.isnan(index)):
            present = {ctx.unit_code(v) for v in pool.get("unit", [])}
            where = " + ".join(dict.fromkeys(t.raw.where for t in tables))
            out.append(Problem(where, 0, 0, f"{where}: {rule.describe(None, {'_units': present})}"))
            continue
        i = int(index)
        if (check, i) in seen:
            continue
        seen.add((check, i))
        t, r = locations[i]
        row = pool.iloc[i].to_dict()
        if unique_key is not None:
            row["_same"] = [j for j, k in enumerate(unique_key) if j != i and k is not None and k == unique_key.iloc[i]]
        if codes is not None and units is not None:
            row["_code_units"] = _units_of_code(ctx, codes, units, i)
        col = rule.column
        out.append(Problem(t.raw.where, r, order.get(col, 0),
                           f"{t.raw.where}: row {r}, {_column_desc(source, col, t.headers)}: "
                           f"value {show(row.get(col))} — {rule.describe(row.get(col), row)}"))
    return out


def _units_of_code(ctx: Context, codes: pd.Series, units: pd.Series, i: int) -> set[str]:
    names = {u.code: u.name for u in ctx.units.units}
    return {names.get(u[0], str(u[0])) for u, c in zip(units, codes, strict=True)
            if c is not None and u is not None and c == codes.iloc[i]}


def sorted_lines(problems: list[Problem]) -> list[str]:
    """File-level problems first in the order found, then by file, row and column; no repeats."""
    first = [p for p in problems if p.row == 0]
    rest = sorted((p for p in problems if p.row != 0), key=lambda p: (p.where, p.row, p.order, p.text))
    return list(dict.fromkeys(p.text for p in [*first, *rest]))


# --------------------------------------------------------------------------- typed values


def typed_frame(source: SourceSpec, tables: list[Table], ctx: Context) -> pd.DataFrame:
    """All rows of a valid source with typed columns: unit codes, dates, ints, floats (NaN = empty)."""
    frames = [t.frame.reindex(columns=source.names) for t in tables]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=source.names)
    frame = frame.astype(object).where(frame.notna(), None)
    out = pd.DataFrame(index=frame.index)
    for col in source.columns:
        values = frame[col.name] if col.name in frame.columns else pd.Series([None] * len(frame), dtype=object)
        out[col.name] = _convert(col, source, values, ctx)
    return out


def _convert(col: ColumnSpec, source: SourceSpec, values: pd.Series, ctx: Context) -> pd.Series:
    def each(func: Callable[[Any], Any]) -> pd.Series:
        return pd.Series([None if v is None else func(v) for v in values], index=values.index, dtype=object)

    kind = col.type
    if kind == "unit":
        return each(ctx.unit_code)
    if kind == "credit_code":
        return each(cells.normalise_code)
    if kind == "choice":
        return each(cells.normalise)
    if kind == "date":
        return each(cells.parse_date)
    if kind == "metric":
        return each(ctx.metric_code)
    if kind == "count" and col.metric is None:
        return pd.array([cells.parse_whole(v) if v is not None else None for v in values], dtype="Int64")
    if kind in ("count", "number"):
        parse = cells.parse_number
    elif kind == "ratio":
        parse = cells.parse_ratio
    elif kind == "flag":
        flags = {cells.normalise(k): float(v) for k, v in source.flag_values.items()}

        def parse(v: Any) -> float | None:
            return flags.get(cells.normalise(v))
    else:
        return each(lambda v: str(v).strip())
    return pd.Series([np.nan if v is None else parse(v) for v in values], index=values.index, dtype=float)
