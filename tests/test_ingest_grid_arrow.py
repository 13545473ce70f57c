"""Arrow's reading of the usual CSV file (`grid.bytes_grid`: split, then each distinct cell decoded) =
decoding the whole file (`readers.detect_encoding`), then the string operations (`grid.text_grid`)
= the csv module with the reader's stripping, cell for cell and encoding for encoding; it is the
path the usual file takes, and it leaves every other file to the old paths."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.ingest import columns, grid
from scoring.ingest.readers import _text_rows, detect_encoding, read_csv_bytes

# cells of department files: Chinese text, digits, dates, and every kind of space str.strip removes
_CHARS = st.sampled_from(["临", "沂", "县", "a", "1", "-", " ", "\u3000", "\t", "\x0b", "\x1c", "\u2028", "\xa0",
                          "", "é"])
_CELL = st.lists(_CHARS, max_size=5).map("".join)
_ENCODINGS = ("utf-8", "gbk", "gb18030")
Lists = tuple[list[str | None], list[int], list[list[str | None]]]


def _plain(text: str) -> Lists:
    header, body = _text_rows(csv.reader(io.StringIO(text, newline="")))
    numbers, columns = grid.rows_to_columns(body)
    return header, numbers, [list(c) for c in columns]


def _as_lists(found: grid.Grid) -> Lists:
    header, numbers, columns = found
    return header, numbers, [list(c) for c in columns]


def _decoded_grid(data: bytes, encodings: tuple[str, ...] = _ENCODINGS) -> tuple[Lists | None, str]:
    text, encoding = detect_encoding(data, encodings)
    found = grid.text_grid(text)
    return (None if found is None else _as_lists(found)), encoding


def _taken(text: str) -> bool:
    """The layout `bytes_grid` reads: lines ending in \\n or \\r\\n, none empty, a data row, one width."""
    lines = text.replace("\r\n", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()
    return (len(lines) > 1 and "" not in lines and "\r" not in text.replace("\r\n", "")
            and len({line.count(",") for line in lines[1:]}) == 1)


@st.composite
def _files(draw: st.DrawFn) -> str:
    width = draw(st.integers(1, 4))
    rows = draw(st.lists(st.lists(_CELL, min_size=width, max_size=width), min_size=1, max_size=12))
    header = draw(st.lists(_CELL.filter(bool), min_size=1, max_size=5))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    text = end.join([",".join(header), *(",".join(r) for r in rows)])
    return text + draw(st.sampled_from(["", end]))


@settings(max_examples=300, deadline=None)
@given(_files(), st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030"]),
       st.sampled_from(["", "\U00020000", "€", "\udcff"]))
def test_bytes_grid_equals_decoding_the_whole_file(text: str, encoding: str, extra: str) -> None:
    """Split before decoding = decoded, then split: the same cells and the same encoding detected
    (with a character only GB18030 has, €, or a byte no encoding reads); taken for every usual file."""
    text = text.replace("a", extra, 1) if extra != "\udcff" else text
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return
    if extra == "\udcff":
        data = data.replace(b"a", b"\xff", 1)
    found = grid.bytes_grid(data, _ENCODINGS)
    try:
        expected = _decoded_grid(data)
    except UnicodeDecodeError:
        assert found is None  # no encoding fits: the reader's own decoding tells where
        return
    assert (found is not None) == _taken(text)
    if found is not None:
        assert (_as_lists(found[0]), found[1]) == expected
        assert all(c.dtype == object for c in found[0][2])
        for column in found[0][2]:  # each column's remembered factorisation is pandas.factorize's of its cells
            codes, uniques = pd.factorize(column)
            known = columns.known_facts(column)
            assert known is not None and known.codes.tolist() == codes.tolist()
            assert list(known.uniques) == list(uniques)


@st.composite
def _ragged_files(draw: st.DrawFn) -> str:
    """Files whose lines end in any mix of line ends, empty lines, carriage returns alone or in cells."""
    width = draw(st.integers(1, 3))
    cell = st.lists(st.sampled_from(["临", "a", "1", " ", "\r"]), max_size=3).map("".join)
    lines = draw(st.lists(st.lists(cell, min_size=width, max_size=width).map(",".join), min_size=2, max_size=8))
    ends = st.sampled_from(["\n", "\r\n", "\r", "\n\n", "\r\r\n", "\n\r\n", "\r\n\r\n"])
    text = "".join(line + draw(ends) for line in lines)
    return text[:-1] if draw(st.booleans()) and text.endswith("\n") else text


@settings(max_examples=400, deadline=None)
@given(_ragged_files(), st.sampled_from(["utf-8", "gbk"]))
def test_only_files_of_usual_lines_are_split_by_arrow(text: str, encoding: str) -> None:
    """Empty lines and carriage returns alone are told by counting the body's bytes: such a file is
    left to the old paths, and every other is read as decoding it whole reads it."""
    found = grid.bytes_grid(text.encode(encoding), _ENCODINGS)
    assert (found is not None) == (_taken(text) and bool(text.split("\n", 1)[0].removesuffix("\r")))
    if found is not None:
        assert (_as_lists(found[0]), found[1]) == _decoded_grid(text.encode(encoding))


def test_distinct_cells_are_decoded_at_once_as_one_by_one() -> None:
    cells = pa.array([c.encode("gbk") for c in ["临沂", "", "a", "兰山区 ", "", "1"]], pa.binary())
    assert grid._decoded_cells(cells, "gbk") == ["临沂", "", "a", "兰山区 ", "", "1"]
    assert grid._decoded_cells(cells.slice(2, 3), "gbk") == ["a", "兰山区 ", ""]
    with pytest.raises(UnicodeDecodeError):  # a lead byte ending a cell is no character, the next cell apart
        grid._decoded_cells(pa.array([b"\xc1", b"\xd9"], pa.binary()), "gbk")


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_a_department_file_is_split_before_it_is_decoded(encoding: str) -> None:
    text = ("统一社会信用代码,主体名称,所属县区\r\n"
            "91371302MA3C,临沂\u3000宏瑞商贸有限公司 ,兰山区\r\n91371302MB4D,沂水,\r\n")
    found = grid.bytes_grid(text.encode(encoding), _ENCODINGS)
    assert found is not None
    assert (_as_lists(found[0]), found[1]) == _decoded_grid(text.encode(encoding))
    assert found[1] == {"gb18030": "gbk"}.get(encoding, encoding)  # GB18030 without its own characters is GBK


@pytest.mark.parametrize("text", [
    "a,b\n1,2\n3,4",  # no end at the last line
    "a,b\n,\n1,\n",  # a row of empty cells only: left out, the rows keep their numbers
    "a,b,c\n1,2\n",  # the header wider than the rows
])
def test_usual_layouts_are_read_by_arrow(text: str) -> None:
    found = grid.bytes_grid(text.encode("utf-8"), _ENCODINGS)
    assert found is not None and _as_lists(found[0]) == _plain(text)


@pytest.mark.parametrize("text", [
    "a,b\r\n1,2\r3,4\r\n",  # a carriage return alone
    "a,b\n1,2\n\n3,4\n",  # an empty line
    "a,b\r\n1,2\r\n\r\n3,4\r\n",  # an empty line (Windows line ends)
    "a,b\n1,2\n\n",  # an empty last line
    "a\rb,c\n1,2\n",  # a carriage return alone in the header
    "a,b\n1,2\r\r\n3,4\n",  # a carriage return before a Windows line end
    "a\n1\n\n2\n",  # an empty line in a file of one column
    "\na,b\n1,2\n",  # an empty first line
    "a,b\n1,2\n3\n",  # a row of another width
    "a,b\n",  # no data row
    "a,b",  # one line
    "a,b\n\ufeffx,1\n",  # a byte-order mark starting row 2 (Arrow would drop it)
    'a,b\n"1",2\n',  # a quote
])
def test_other_files_are_left_to_the_old_paths(text: str) -> None:
    assert grid.bytes_grid(text.encode("utf-8"), _ENCODINGS) is None
    header, numbers, columns, _encoding = read_csv_bytes(text.encode("utf-8"), _ENCODINGS)
    assert (header, numbers, [list(c) for c in columns]) == _plain(text)


@pytest.mark.parametrize(("encodings", "data"), [
    (("utf-7",), "a,b\nx+-y,1\n".encode("utf-7")),  # '+-' is '+' in UTF-7
    (("hz",), "a,b\n测,1\n".encode("hz")),  # '~{…~}' shifts into GB2312 in HZ
    (("utf-8-sig", "gbk"), "a,b\n\ufeffx,1\n".encode("utf-8-sig")),
])
def test_encodings_whose_ascii_bytes_mean_more_are_decoded_whole(encodings: tuple[str, ...], data: bytes) -> None:
    assert grid.bytes_grid(data, encodings) is None
    header, numbers, columns, encoding = read_csv_bytes(data, encodings)
    text, expected_encoding = detect_encoding(data, encodings)
    assert (header, numbers, [list(c) for c in columns], encoding) == (*_plain(text), expected_encoding)


def test_a_line_beyond_the_csv_field_limit_is_left_to_the_csv_module() -> None:
    data = f"a,b\n{'x' * (csv.field_size_limit() + 1)},1\n".encode()
    assert grid.bytes_grid(data, _ENCODINGS) is None
    with pytest.raises(csv.Error):  # the csv module tells that a cell is too long
        read_csv_bytes(data, _ENCODINGS)


def test_repeated_cells_share_one_string() -> None:
    text = "unit,n\n" + "".join(f"兰山区,{i % 3}\n" for i in range(50))
    (_header, _numbers, columns), _encoding = grid.bytes_grid(text.encode("gbk"), _ENCODINGS)
    assert len({id(v) for v in columns[0]}) == 1
    assert np.array_equal(columns[1], np.array([str(i % 3) for i in range(50)], dtype=object))


def test_the_spaces_are_those_str_strip_removes() -> None:
    assert grid._SPACES.to_pylist() == [chr(c) for c in range(0x110000) if chr(c).isspace()]


def test_every_space_str_strip_removes_is_stripped() -> None:
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    texts = [t for c in spaces for t in (f"{c}x", f"x{c}", c, f"{c}{c}", f"x{c}x", f"{c}临沂{c}")] + ["x", "", "临沂"]
    assert grid._stripped(texts)[0].tolist() == [t.strip() or None for t in texts]
