"""Arrow's reading of the usual CSV file (`grid._arrow_grid`) = the string operations (`grid._split_grid`)
= the csv module with the reader's stripping, cell for cell; and it is the path the usual file takes."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.ingest import grid
from scoring.ingest.readers import _text_rows, detect_encoding

# cells of department files: Chinese text, digits, dates, and every kind of space str.strip removes
_CHARS = st.sampled_from(["临", "沂", "县", "a", "1", "-", " ", "\u3000", "\t", "\x0b", "\x1c", "\u2028", "\xa0",
                          "", "é"])
_CELL = st.lists(_CHARS, max_size=5).map("".join)


def _plain(text: str) -> tuple[list[str | None], list[int], list[list[str | None]]]:
    header, body = _text_rows(csv.reader(io.StringIO(text, newline="")))
    numbers, columns = grid.rows_to_columns(body)
    return header, numbers, [list(c) for c in columns]


def _as_lists(found: grid.Grid) -> tuple[list[str | None], list[int], list[list[str | None]]]:
    header, numbers, columns = found
    return header, numbers, [list(c) for c in columns]


@st.composite
def _files(draw: st.DrawFn) -> str:
    width = draw(st.integers(1, 4))
    rows = draw(st.lists(st.lists(_CELL, min_size=width, max_size=width), min_size=1, max_size=12))
    header = draw(st.lists(_CELL.filter(bool), min_size=1, max_size=5))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    text = end.join([",".join(header), *(",".join(r) for r in rows)])
    return text + draw(st.sampled_from(["", end]))


@settings(max_examples=300, deadline=None)
@given(_files())
def test_arrow_grid_equals_the_string_operations_and_the_csv_module(text: str) -> None:
    fast = grid._arrow_grid(text)
    split = grid._split_grid(text)
    if fast is None:  # declined: an empty line or a row of another width
        return
    assert split is not None
    assert _as_lists(fast) == _as_lists(split) == _plain(text)
    assert all(c.dtype == object for c in fast[2])


@pytest.mark.parametrize("text", [
    "统一社会信用代码,主体名称,备注\r\n91371302MA3C,临沂\u3000公司 , 示例数据\r\n91371302MB4D, 沂水县, \r\n",
    "a,b\n1,2\n3,4",  # no end at the last line
    "a,b\n,\n1,\n",  # a row of empty cells only: left out, the rows keep their numbers
    "a,b,c\n1,2\n",  # the header wider than the rows
])
def test_the_usual_file_is_read_by_arrow(text: str) -> None:
    fast = grid._arrow_grid(text)
    assert fast is not None
    assert _as_lists(fast) == _plain(text)
    assert grid.text_grid(text) is not None and _as_lists(grid.text_grid(text)) == _plain(text)


@pytest.mark.parametrize("text", [
    "a,b\r\n1,2\r3,4\r\n",  # a carriage return alone
    "a,b\n1,2\n\n3,4\n",  # an empty line
    "\na,b\n1,2\n",  # an empty first line
    "a,b\n1,2\n3\n",  # a row of another width
    "a,b\n",  # no data row
])
def test_other_files_are_left_to_the_string_operations(text: str) -> None:
    assert grid._arrow_grid(text) is None
    split, found = grid._split_grid(text), grid.text_grid(text)
    assert (found is None) == (split is None)  # None: the csv module reads it
    if found is not None:
        assert _as_lists(found) == _as_lists(split) == _plain(text)


def test_a_line_beyond_the_csv_field_limit_is_left_to_the_csv_module() -> None:
    long = "x" * (csv.field_size_limit() + 1)
    assert grid._arrow_grid(f"a,b\n{long},1\n") is None


def test_repeated_cells_share_one_string() -> None:
    text = "unit,n\n" + "".join(f"兰山区,{i % 3}\n" for i in range(50))
    _header, _numbers, columns = grid._arrow_grid(text)
    assert len({id(v) for v in columns[0]}) == 1
    assert np.array_equal(columns[1], np.array([str(i % 3) for i in range(50)], dtype=object))


_ENCODINGS = ("utf-8", "gbk", "gb18030")


def _decoded_grid(data: bytes) -> tuple[tuple[list[str | None], list[int], list[list[str | None]]] | None, str]:
    text, encoding = detect_encoding(data, _ENCODINGS)
    found = grid.text_grid(text)
    return (None if found is None else _as_lists(found)), encoding


@settings(max_examples=300, deadline=None)
@given(_files(), st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030"]),
       st.sampled_from(["", "\U00020000", "€", "\udcff"]))
def test_bytes_grid_equals_decoding_the_whole_file(text: str, encoding: str, extra: str) -> None:
    """Split before decoding = decoded, then split: the same cells and the same encoding detected
    (a character only GB18030 has, €, a byte no encoding reads)."""
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
    if found is not None:
        assert (_as_lists(found[0]), found[1]) == expected


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_a_department_file_is_split_before_it_is_decoded(encoding: str) -> None:
    text = ("统一社会信用代码,主体名称,所属县区\r\n"
            "91371302MA3C,临沂\u3000宏瑞商贸有限公司 ,兰山区\r\n91371302MB4D,沂水,\r\n")
    found = grid.bytes_grid(text.encode(encoding), _ENCODINGS)
    assert found is not None
    assert (_as_lists(found[0]), found[1]) == _decoded_grid(text.encode(encoding))
    assert found[1] == {"gb18030": "gbk"}.get(encoding, encoding)  # GB18030 without its own characters is GBK


def test_every_space_str_strip_removes_is_stripped() -> None:
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    texts = [t for c in spaces for t in (f"{c}x", f"x{c}", c, f"{c}{c}", f"x{c}x", f"{c}临沂{c}")] + ["x", "", "临沂"]
    assert grid._stripped(texts).tolist() == [t.strip() or None for t in texts]
