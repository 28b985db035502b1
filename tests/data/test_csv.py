"""The CSV reader: header sniffing, BOM, encodings, quotes, blank lines, and the cached metadata pass."""

from __future__ import annotations

import io

import pytest

import livecalc_lab as lc
from livecalc_lab.data import _csv
from livecalc_lab.data.schema import ReadOptions

HEADER = "policy_id,age_at_entry,policy_term,policy_count,sum_assured,notes\n"


def rows(n: int, start: int = 1) -> str:
    return "".join(f"{i},{30 + i % 20},10,1,{1000 * i},n{i}\n" for i in range(start, start + n))


def test_bom_is_recognised(tmp_path):
    p = tmp_path / "bom.csv"
    p.write_bytes(b"\xef\xbb\xbf" + (HEADER + rows(3)).encode())
    ds = lc.open_dataset(p)
    assert ds.metadata.rows == 3
    assert list(ds.columns)[0] == "policy_id"
    assert ds.read().frame["policy_id"].to_list() == [1, 2, 3]


def test_cp1252_with_the_option(tmp_path):
    p = tmp_path / "win.csv"
    p.write_bytes((HEADER + "1,40,10,1,1000,Zürich – café\n").encode("cp1252"))
    with pytest.raises(lc.DataError, match="not valid UTF-8"):
        lc.open_dataset(p).metadata
    ds = lc.open_dataset(p, encoding="cp1252")
    assert ds.sample(5, seed=1)["notes"].to_list() == ["Zürich – café"]
    with pytest.raises(lc.DataError, match="byte-order mark"):
        p.write_bytes(b"\xef\xbb\xbf" + (HEADER + rows(1)).encode())
        lc.open_dataset(p, encoding="cp1252").metadata


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_delimiter_is_guessed_or_given(tmp_path, delimiter):
    p = tmp_path / "d.csv"
    p.write_text((HEADER + rows(4)).replace(",", delimiter))
    assert lc.open_dataset(p).read().frame.height == 4
    assert lc.open_dataset(p, delimiter=delimiter).read().frame.height == 4


def test_quoted_newlines_and_crlf(tmp_path):
    p = tmp_path / "q.csv"
    body = HEADER + '1,40,10,1,1000,"two\nlines, and a comma"\r\n2,41,10,1,2000,"say ""hi"""\r\n3,42,10,1,3000,x\r\n'
    p.write_bytes(body.encode())
    ds = lc.open_dataset(p)
    assert ds.metadata.rows == 3
    got = ds.sample(3, seed=0).sort("policy_id")["notes"].to_list()
    assert got == ["two\nlines, and a comma", 'say "hi"', "x"]


def test_trailing_blank_lines_are_not_rows_but_inner_ones_are(tmp_path):
    p = tmp_path / "b.csv"
    p.write_text(HEADER + rows(2) + "\n\n\n")
    assert lc.open_dataset(p).metadata.rows == 2
    p.write_text(HEADER + rows(2) + "\n" + rows(1, 3))
    with pytest.raises(lc.DataError, match="row 3 column 'policy_id': value is empty"):
        lc.open_dataset(p).read()


def test_header_only_and_no_final_newline(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text(HEADER)
    ds = lc.open_dataset(p)
    assert ds.metadata.rows == 0 and ds.read().frame.height == 0 and ds.sample(10).height == 0
    p.write_text(HEADER + rows(2).rstrip("\n"))
    assert lc.open_dataset(p).read().frame["sum_assured"].to_list() == [1000.0, 2000.0]


def test_scan_units_split_on_record_boundaries():
    text = (HEADER + rows(500)).encode()
    layout = _csv.sniff(io.BytesIO(text), len(text), ReadOptions(), "m.csv")
    scan = _csv.scan(io.BytesIO(text), len(text), layout, ReadOptions(), "m.csv")
    assert scan.rows == 500 and len(scan.units) > 5
    for offset, before in scan.units:
        assert text[offset - 1 : offset] == b"\n"
        assert text[layout.data_start : offset].count(b"\n") == before


def test_metadata_pass_is_cached_by_content_version(tmp_path, monkeypatch):
    p = tmp_path / "c.csv"
    p.write_text(HEADER + rows(50))
    first = lc.open_dataset(p).metadata
    calls = []
    monkeypatch.setattr(_csv, "scan", lambda *a, **k: calls.append(1) or (_ for _ in ()).throw(AssertionError))
    from livecalc_lab.data import _cache

    _cache._MEMO.clear()  # the disk cache alone must answer
    again = lc.open_dataset(p).metadata
    assert (again.rows, again.version) == (first.rows, first.version) and not calls
    p.write_text(HEADER + rows(51))  # new content: the scan runs again
    with pytest.raises(AssertionError):
        lc.open_dataset(p).metadata
