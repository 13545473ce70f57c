"""The vectorised sheet reader (`sheetxml.sheet_texts`) equals the lxml one (`sheets._parse`, then the
readers' cell texts) on every layout it accepts, accepts the usual ones, and leaves the others to lxml
(no timing here: benchmarks/bench_scale.py)."""

from __future__ import annotations

import io

import numpy as np
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils.datetime import WINDOWS_EPOCH

from scoring.ingest import celltexts, sheets
from scoring.ingest.grid import rows_to_columns, value_rows
from scoring.ingest.readers import _table, sheet_records
from scoring.ingest.sheetxml import sheet_texts
from tests.ingest_helpers import random_workbook

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
SHARED = ["兰山区", " 罗庄区 ", "", "a&b", "  "]
DATES, DURATIONS = {1, 2}, {2}  # style 1: a date, style 2: a duration


def _xml(rows: str, root: str = f"<worksheet {NS}>") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{root}<dimension ref="A1"/>'
            f"<sheetData>{rows}</sheetData><pageMargins left=\"0.7\"/></worksheet>").encode()


def _lxml(xml: bytes) -> tuple | None:
    rows = sheets._parse(io.BytesIO(xml), SHARED, WINDOWS_EPOCH, DATES, DURATIONS)
    if rows is None:
        return None
    header, body = value_rows(rows)
    return (header, *rows_to_columns(body))


def _same(a: tuple, b: tuple) -> bool:
    return (a[0] == b[0] and a[1] == b[1] and len(a[2]) == len(b[2])
            and all(list(x) == list(y) for x, y in zip(a[2], b[2], strict=True)))


USUAL = {
    "numbers": '<row r="1"><c r="A1" t="inlineStr"><is><t>县区</t></is></c><c r="B1" t="s"><v>0</v></c></row>'
               '<row r="2"><c r="A2" t="n"><v>12</v></c><c r="B2"><v>0.10</v></c><c r="C2"><v>1E3</v></c>'
               '<c r="D2"><v>-0.0</v></c><c r="E2"><v>007</v></c><c r="F2"><v>1.5e-7</v></c></row>',
    "shared and blank": '<row r="1" spans="1:3"><c r="A1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>'
                        '<row r="3"><c r="B3" t="s"><v>4</v></c></row><row r="4"><c r="B4" s="0" t="s"><v>3</v></c>'
                        '<c r="D4" t="s"><v>2</v></c></row>',
    "dates and durations": '<row r="1"><c r="A1" s="1"><v>43466</v></c><c r="B1" s="1"><v>43466.75</v></c>'
                           '<c r="C1" s="2"><v>1.5</v></c><c r="D1" s="1"><v>0.25</v></c>'
                           '<c r="E1" s="1"><v>99999999</v></c></row>',
    "types": '<row r="1"><c r="A1" t="b"><v>1</v></c><c r="B1" t="b"><v>0</v></c><c r="C1" t="e"><v>#N/A</v></c>'
             '<c r="D1" t="str"><v> x &amp; y </v></c><c r="E1" t="d"><v>2019-07-15T00:00:00</v></c>'
             '<c r="F1" t="d"><v>2019-07-15T08:30:00</v></c></row>',
    "entities and spaces": '<row r="1"><c r="A1" t="inlineStr"><is><t xml:space="preserve">  a &lt;b&gt; '
                           '&#x4E2D;&#25991; </t></is></c>'
                           '<c r="B1" t="inlineStr"><is><t>&quot;&apos;&amp;amp;</t></is></c>'
                           '<c r="C1" t="inlineStr"><is><t></t></is></c><c r="D1" t="inlineStr"><is><t>\t</t></is></c>'
                           "</row>",
    "absent values": '<row r="1"><c r="A1" s="3"/><c r="B1"><v></v></c><c r="C1" t="s"></c>'
                     '<c r="D1" t="inlineStr"><v>5</v></c><c r="E1" t="n"><is><t>x</t></is></c><c r="F1"><v>2</v></c>'
                     '</row><row r="2"><c r="A2" s="3"/></row><row r="3"><c r="C3"><v>1</v></c><c r="G3"/></row>',
    "rows without numbers": '<row><c r="A1"><v>1</v></c></row><row spans="1:2"><c r="B2"><v>2</v></c></row>'
                            '<row r="5"/><row r="7" ht="15" customHeight="1"><c r="A7"><v>3</v></c></row>',
    "no header": '<row r="2"><c r="B2"><v>1</v></c></row><row r="3"><c r="A3" t="s"><v>4</v></c></row>',
    "cells out of order": '<row r="1"><c r="C1"><v>3</v></c><c r="A1"><v>1</v></c></row>',
    "whitespace between": '\n  <row r="1">\n    <c r="A1"><v>1</v></c>\n  </row>\n',
    "text between, '>' in it": '<row r="1"> a>b <c r="A1" s="3"/>x>y<c r="B1"><v>1</v></c> > </row>z>',
    "empty": "",
    "tails of every width": "".join(  # the slices compared as words (24 … 192 bytes) and longer ones as bytes
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{"&#20848;x" * n * n}</t></is></c>'
        f'<c r="B{n}" t="inlineStr"><is><t>{"&#20848;x" * n * n}</t></is></c><c r="C{n}"><v>{n % 3}</v></c>'
        f'<c r="D{n}" s="3" t="n"><v>{n % 2}.5</v></c></row>' for n in range(1, 8)),
    "wide and far down": '<row r="123456"><c r="XFD123456"><v>1</v></c><c r="AB123456" t="s"><v>1</v></c></row>',
    "an ampersand in inline strings": '<row r="1"><c r="A1" t="inlineStr"><is><t>a&amp;b</t></is></c>'
                                      '<c r="B1" t="inlineStr"><is><t>a&amp;b </t></is></c></row>',
}
UNUSUAL = {
    "a formula": '<row r="1"><c r="A1"><f>1+1</f><v>2</v></c></row>',
    "rich text": '<row r="1"><c r="A1" t="inlineStr"><is><r><t>a</t></r><r><rPr><b/></rPr><t>b</t></r></is></c></row>',
    "a comment": '<row r="1"><!-- x --><c r="A1"><v>1</v></c></row>',
    "no reference": '<row r="1"><c><v>1</v></c><c><v>2</v></c></row>',
    "another attribute": '<row r="1"><c r="A1" cm="1"><v>1</v></c></row>',
    "attributes reordered": '<row r="1"><c t="n" r="A1"><v>1</v></c></row>',
    "a cell of another row": '<row r="1"><c r="A2"><v>1</v></c></row>',
    "a cell given twice": '<row r="1"><c r="A1"><v>1</v></c><c r="A1"><v>2</v></c></row>',
    "rows out of order": '<row r="2"><c r="A2"><v>1</v></c></row><row r="1"><c r="A1"><v>2</v></c></row>',
    "a carriage return": '<row r="1"><c r="A1" t="inlineStr"><is><t>a\r\nb</t></is></c></row>',
    "an unknown type": '<row r="1"><c r="A1" t="zz"><v>1</v></c></row>',
    "not a number": '<row r="1"><c r="A1"><v>abc</v></c></row>',
    "a phonetic run": '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t><rPh sb="0" eb="1"><t>x</t></rPh></is></c></row>',
    "a single-quoted row": "<row r='1'><c r=\"A1\"><v>1</v></c></row>",
    "a reference to '&'": '<row r="1"><c r="A1" t="inlineStr"><is><t>&#38;</t></is></c></row>',
    "an unknown entity": '<row r="1"><c r="A1" t="inlineStr"><is><t>&nbsp;</t></is></c></row>',
    "a bare '&'": '<row r="1"><c r="A1" t="str"><v>a & b</v></c></row>',
    "a cell tag not ended": '<row r="1"><c r="A1" <v>1</v></c></row>',
    "a cell not closed": '<row r="1"><c r="A1"><v>1</v></row>',
    "a cell after the rows": '<row r="1"></row><c r="A1"><v>1</v></c>',
    "an empty row's cells": '<row r="1"/><c r="A1"><v>1</v></c></row>',
    "a row end without its start": '</row><row r="1"></row>',
    "a row inside a row": '<row r="1"><row r="2"></row></row>',
    "a leading zero in a reference": '<row r="1"><c r="A01"><v>1</v></c></row>',
    "four letters": '<row r="1"><c r="AAAA1"><v>1</v></c></row>',
    "a row tag with a '<'": '<row r="1" <c r="A1"><v>1</v></c></row>',
    "a row numbered 0": '<row r="0"><c r="A0"><v>1</v></c></row>',
    "another element": '<row r="1"><c r="A1"><v>1</v></c><x/></row>',
    "a second sheet data": '<row r="1"></row></sheetData><sheetData><row r="2"></row>',
}


@pytest.mark.parametrize("name", sorted(USUAL))
def test_usual_layouts_read_as_lxml_reads_them(name: str) -> None:
    xml = _xml(USUAL[name])
    fast, plain = sheet_texts(xml, SHARED, WINDOWS_EPOCH, DATES, DURATIONS), _lxml(xml)
    assert fast is not None, name  # the fast path is taken
    assert plain is not None and _same(fast, plain), (fast, plain)


@pytest.mark.parametrize("name", sorted(UNUSUAL))
def test_other_layouts_are_left_to_lxml(name: str) -> None:
    assert sheet_texts(_xml(UNUSUAL[name]), SHARED, WINDOWS_EPOCH, DATES, DURATIONS) is None


@pytest.mark.parametrize("root", ["<worksheet>", '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/'
                                  'spreadsheetml/2006/main">',
                                  '<worksheet xmlns="http://purl.oclc.org/ooxml/spreadsheetml/main">'])
def test_other_namespaces_are_left_to_lxml(root: str) -> None:
    xml = _xml('<row r="1"><c r="A1"><v>1</v></c></row>', root)
    assert sheet_texts(xml, SHARED, WINDOWS_EPOCH, DATES, DURATIONS) is None


def test_other_encodings_are_left_to_lxml() -> None:
    xml = _xml('<row r="1"><c r="A1"><v>1</v></c></row>').replace(b"UTF-8", b"GB2312")
    assert sheet_texts(xml, SHARED, WINDOWS_EPOCH, DATES, DURATIONS) is None
    assert sheet_texts(_xml('<row r="1"><c r="A1" t="str"><v>\x01</v></c></row>'), SHARED, WINDOWS_EPOCH, DATES,
                       DURATIONS) is None  # not an XML character


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("write_only", [False, True])
def test_workbooks_read_as_openpyxl_reads_them(seed: int, write_only: bool) -> None:
    data = random_workbook(seed, write_only)
    fast = sheets.sheet_tables(data)
    assert fast is not None
    wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    plain = [(ws.title, _table(sheet_records(ws))) for ws in wb.worksheets]
    assert [t for t, _ in fast] == [t for t, _ in plain]
    for (_t, a), (_u, b) in zip(fast, plain, strict=True):
        trim = lambda r: r[: max([i + 1 for i, v in enumerate(r) if v is not None] or [0])]  # noqa: E731
        assert trim(a[0]) == trim(b[0]) and a[1] == b[1]
        width = max(len(a[2]), len(b[2]))
        pad = lambda cols, n, w=width: [list(c) for c in cols] + [[None] * n] * (w - len(cols))  # noqa: E731
        assert pad(a[2], len(a[1])) == pad(b[2], len(b[1]))
    ro = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    for ws in ro.worksheets:  # every sheet of these workbooks took the fast path
        with ro._archive.open(ws._worksheet_path) as xml:
            assert sheet_texts(xml.read(), ws._shared_strings, ro.epoch, ro._date_formats,
                               ro._timedelta_formats) is not None


def test_a_sheet_the_fast_path_declines_is_read_by_lxml() -> None:
    rich = _xml(UNUSUAL["rich text"])
    assert sheet_texts(rich, SHARED, WINDOWS_EPOCH, DATES, DURATIONS) is None
    header, numbers, columns = _lxml(rich)
    assert header == ["ab"] and numbers == [] and columns == []
    assert isinstance(np.asarray(columns, dtype=object), np.ndarray)


def test_a_hash_collision_compares_the_cells_as_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    xml = _xml(USUAL["tails of every width"])
    plain = sheet_texts(xml, SHARED, WINDOWS_EPOCH, DATES, DURATIONS)
    monkeypatch.setattr(celltexts, "_MIX", np.uint64(0))  # every slice hashes alike
    assert plain is not None and _same(sheet_texts(xml, SHARED, WINDOWS_EPOCH, DATES, DURATIONS), plain)


TEXT_PIECES = ["a", " ", "区", "&#20848;", "&#x4E2D;", "&amp;", "&lt;", "&quot;", "\t", "x" * 40]
VALUES = st.one_of(  # what a cell element holds after its reference
    st.sampled_from(["/>", "></c>", "><v></v></c>", ' t="s"><v>0</v></c>', ' t="s"><v>4</v></c>', ' t="b"><v>1</v></c>',
                     ' t="e"><v>#N/A</v></c>', ' t="str"><v> a &amp; b </v></c>', ' s="1"><v>43466.5</v></c>',
                     ' s="2" t="n"><v>1.25</v></c>', ' t="d"><v>2019-07-15T08:30:00</v></c>', ' t="inlineStr"></c>']),
    st.builds(lambda s, v: f'{s}><v>{v}</v></c>', st.sampled_from(["", ' s="0"', ' s="3"', ' t="n"', ' s="3" t="n"']),
              st.one_of(st.integers(-10**12, 10**12).map(str),
                        st.floats(allow_nan=False, allow_infinity=False).map(repr),
                        st.sampled_from(["007", "-0", "1E3", "1.5e-7", "0.87300000000000011"]))),
    st.builds(lambda s, p, t: f'{s} t="inlineStr"><is><t{p}>{t}</t></is></c>', st.sampled_from(["", ' s="3"']),
              st.sampled_from(["", ' xml:space="preserve"']),
              st.lists(st.sampled_from(TEXT_PIECES), max_size=12).map("".join)))


@st.composite
def _sheets(draw: st.DrawFn) -> str:
    rows, number = [], 0
    for _ in range(draw(st.integers(0, 6))):
        number += draw(st.integers(1, 3))
        columns = sorted(draw(st.sets(st.integers(1, 800), max_size=5)))
        cells = "".join(f'<c r="{_letters(c)}{number}"{draw(VALUES)}' for c in columns)
        tag = draw(st.sampled_from([f'<row r="{number}">', f'<row r="{number}" spans="1:5" ht="15">']))
        rows.append(f"{tag}{cells}</row>" if cells or draw(st.booleans()) else f'<row r="{number}"/>')
    return "".join(rows)


def _letters(column: int) -> str:
    out = ""
    while column:
        column, rest = divmod(column - 1, 26)
        out = chr(65 + rest) + out
    return out


@settings(max_examples=150, deadline=None)
@given(_sheets())
def test_generated_sheets_read_as_lxml_reads_them(rows: str) -> None:
    xml = _xml(rows)
    fast, plain = sheet_texts(xml, SHARED, WINDOWS_EPOCH, DATES, DURATIONS), _lxml(xml)
    assert fast is not None and plain is not None and _same(fast, plain), (fast, plain)


@settings(max_examples=150, deadline=None)
@given(_sheets(), st.integers(0, 10**6), st.sampled_from(list('<>/"&;= rcv#x\n')), st.booleans())
def test_damaged_sheets_are_read_as_lxml_reads_them_or_left_to_it(rows: str, where: int, char: str,
                                                                   insert: bool) -> None:
    k = where % (len(rows) + 1)
    xml = _xml(rows[:k] + char + rows[k:] if insert else rows[:k] + rows[k + 1:])
    fast = sheet_texts(xml, SHARED, WINDOWS_EPOCH, DATES, DURATIONS)
    try:
        plain = _lxml(xml)
    except Exception:  # not well-formed: lxml refuses what the fast reader may read
        return
    assert fast is None or (plain is not None and _same(fast, plain)), (fast, plain)


def test_a_workbook_with_a_formula_is_not_read_as_plain_sheets() -> None:
    """The readers skip their scan for formulas when every sheet has the usual layout: a formula
    (cached value or not) is never one, so its workbook goes to the readers that check formulas."""
    from scoring.ingest.sheets import plain_sheet_tables

    def workbook(formula: bool) -> bytes:
        wb = openpyxl.Workbook()
        wb.active.append(["unit", "n"])
        wb.active.append(["兰山区", "=1+1" if formula else 2])
        wb.create_sheet("说明").append(["notes"])
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()

    plain = plain_sheet_tables(workbook(False))
    assert plain is not None and [title for title, _table in plain] == ["Sheet", "说明"]
    assert plain_sheet_tables(workbook(True)) is None
