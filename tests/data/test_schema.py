"""Strict parsing: the bad-file corpus, number formats, dates to ages, ids, and reporting every problem."""

from __future__ import annotations

import datetime as dt
import tomllib

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

import livecalc_lab as lc
from livecalc_lab.data.problems import ProblemLog
from livecalc_lab.data.schema import ReadOptions, derive_age_at_entry, id_kind_of, normalise

from bad_corpus import BAD

CORPUS = tomllib.loads((BAD / "expected.toml").read_text(encoding="utf-8"))


def test_every_bad_file_has_an_expected_message():
    named = {spec.get("file", f"{name}.csv") for name, spec in CORPUS.items()}
    on_disk = {p.name for p in BAD.iterdir() if p.name != "expected.toml"}
    assert named == on_disk


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_bad_file_gives_its_message(name: str):
    spec = CORPUS[name]
    path = BAD / spec.get("file", f"{name}.csv")
    with pytest.raises(lc.DataError) as err:
        if spec.get("stage", "read") == "run":
            lc.run(path)
        else:
            lc.read_policies(path, **spec.get("options", {}))
    assert str(err.value) == spec["message"].format(path=path)


def raw(**cols: list[str]) -> pl.DataFrame:
    base = {"policy_id": ["1", "2"], "age_at_entry": ["40", "41"], "policy_term": ["10", "20"],
            "policy_count": ["1", "2"], "sum_assured": ["1000", "2000"]}
    base.update(cols)
    return pl.DataFrame(base)


@pytest.mark.parametrize(
    ("opts", "text", "value"),
    [
        ({}, "1234.5", 1234.5),
        ({}, " 1e3 ", 1000.0),
        ({"decimal": ","}, "1234,5", 1234.5),
        ({"thousands": ","}, "1,234,567.25", 1234567.25),
        ({"thousands": ".", "decimal": ","}, "1.234.567", 1234567.0),
        ({"thousands": ".", "decimal": ","}, "1.234,5", 1234.5),
        ({"thousands": " "}, "12 345", 12345.0),
        ({"thousands": "'"}, "12'345", 12345.0),
    ],
)
def test_number_formats(opts, text, value):
    out = normalise(raw(sum_assured=[text, "1"]), "f.csv", options=ReadOptions(**opts))
    assert out.frame["sum_assured"][0] == value


@pytest.mark.parametrize(
    ("opts", "text", "hint"),
    [
        ({"thousands": ","}, "1,23,456", "thousands separator ',' in the wrong place"),
        ({"decimal": ","}, "1234.5", "a '.' in a ','-decimal file"),
        ({}, "1.234.567", "'.' looks like a thousands separator"),
        ({}, "12a", None),
    ],
)
def test_malformed_numbers_say_why(opts, text, hint):
    with pytest.raises(lc.DataError) as err:
        normalise(raw(sum_assured=[text, "1"]), "f.csv", options=ReadOptions(**opts))
    msg = str(err.value)
    assert msg.startswith(f"f.csv row 1 column 'sum_assured': {text!r} is not a number")
    if hint:
        assert hint in msg


def test_integer_columns_take_whole_numbers_only():
    with pytest.raises(lc.DataError, match="'10.0' is not an integer"):
        normalise(raw(policy_term=["10.0", "20"]), "f.csv")
    typed = raw().with_columns(pl.Series("policy_term", [10.0, 20.5]))
    with pytest.raises(lc.DataError, match="row 2 column 'policy_term': 20.5 is not an integer"):
        normalise(typed, "t.parquet")


def test_policy_count_is_a_float_and_ids_are_int64_when_all_integers():
    out = normalise(raw(policy_count=["1", "2"]), "f.csv")
    assert out.frame.schema["policy_count"] == pl.Float64
    assert out.frame.schema["policy_id"] == pl.Int64
    assert normalise(raw(policy_id=["A1", "2"]), "f.csv").frame.schema["policy_id"] == pl.String
    assert id_kind_of(pl.Series([" 7 ", "-3", None])) == "int"
    assert id_kind_of(pl.Series(["7", "3.0"])) == "str"
    assert id_kind_of(pl.Series(["99999999999999999999"])) == "str"  # does not fit int64


def test_validate_style_collection_reports_every_problem():
    log = ProblemLog(limit=10)
    out = normalise(raw(sum_assured=["x", "-1"], age_at_entry=["", "41"]), "f.csv", log=log)
    assert [p.message for p in log.problems] == [
        "f.csv row 1 column 'age_at_entry': value is empty",
        "f.csv row 1 column 'sum_assured': 'x' is not a number",
        "f.csv row 2 column 'sum_assured': -1.0 is negative",
    ]
    assert out.frame.height == 0


def test_limit_counts_the_rest():
    log = ProblemLog(limit=2)
    normalise(raw(policy_id=["1", "2", "3", "4"], age_at_entry=["a"] * 4, policy_term=["1"] * 4,
                  policy_count=["1"] * 4, sum_assured=["1"] * 4), "f.csv", log=log)
    assert len(log.problems) == 2 and log.n_more == 2


@pytest.mark.parametrize(
    ("dob", "issue", "last", "nearest"),
    [
        ("1980-03-01", "2020-02-29", 39, 40),
        ("1980-03-01", "2020-03-01", 40, 40),
        ("1980-03-15", "2020-09-14", 40, 40),
        ("1980-03-15", "2020-09-15", 40, 41),
        ("1980-02-29", "2021-02-28", 40, 41),
        ("1980-02-29", "2021-03-01", 41, 41),
    ],
)
def test_ages_from_dates(dob, issue, last, nearest):
    d, i = pl.Series([dob]).str.to_date(), pl.Series([issue]).str.to_date()
    assert int(derive_age_at_entry(d, i, "last")[0]) == last
    assert int(derive_age_at_entry(d, i, "nearest")[0]) == nearest


def test_dates_become_age_at_entry_and_duration_with_a_valuation_date():
    frame = pl.DataFrame({
        "policy_id": ["1", "2", "3"],
        "date_of_birth": ["01/03/1980", "15/06/1990", "31/12/1985"],
        "issue_date": ["29/02/2020", "01/01/2026", "15/03/2026"],
        "policy_term": ["10", "20", "15"], "policy_count": ["1", "1", "1"], "sum_assured": ["1", "2", "3"],
    })
    opts = ReadOptions(valuation_date=dt.date(2026, 1, 1), date_format="%d/%m/%Y")
    out = normalise(frame, "d.csv", options=opts)
    assert out.frame["age_at_entry"].to_list() == [39, 35, 40]
    assert out.frame["duration_mth"].to_list() == [70, 0, -3]
    assert out.has_duration
    with pytest.raises(lc.DataError, match="missing required column 'age_at_entry'"):
        normalise(frame, "d.csv")  # no valuation date: nothing is derived


def test_typed_dates_and_date_errors():
    frame = pl.DataFrame({
        "policy_id": [1, 2], "date_of_birth": [dt.date(1980, 1, 1), dt.date(1990, 1, 1)],
        "issue_date": [dt.date(2020, 1, 1), dt.date(2020, 6, 1)],
        "policy_term": [10, 10], "policy_count": [1.0, 1.0], "sum_assured": [1.0, 1.0],
    })
    out = normalise(frame, "t.parquet", options=ReadOptions(valuation_date="2026-01-01"))
    assert out.frame["age_at_entry"].to_list() == [40, 30]
    assert out.frame["duration_mth"].to_list() == [72, 67]
    bad = frame.with_columns(pl.Series("issue_date", [dt.date(1970, 1, 1), dt.date(2020, 1, 1)]))
    with pytest.raises(lc.DataError, match="row 1 column 'age_at_entry': -10 is outside .*derived from date_of_birth"):
        normalise(bad, "t.parquet", options=ReadOptions(valuation_date="2026-01-01"))
    with pytest.raises(lc.DataError, match="looks like '%d/%m/%Y'"):
        normalise(frame.with_columns(pl.Series("date_of_birth", ["25/12/1980", "1990-01-01"])), "t.csv",
                  options=ReadOptions(valuation_date="2026-01-01"))


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        ({"decimal": ";"}, "decimal must be"),
        ({"thousands": ",", "decimal": ","}, "both ','"),
        ({"delimiter": ",", "decimal": ","}, "delimiter ',' is also"),
        ({"encoding": "latin-9"}, "encoding must be"),
        ({"age_basis": "next"}, "age_basis must be"),
        ({"valuation_date": "1/1/2026"}, "valuation_date must be an ISO date"),
        ({"colour": "red"}, "unknown read option"),
    ],
)
def test_bad_options(opts, message):
    with pytest.raises(lc.DataError, match=message):
        ReadOptions.from_mapping(opts)


@given(st.lists(st.integers(-2**63, 2**63 - 1), min_size=1, max_size=30, unique=True))
def test_integer_ids_survive_text(ids):
    n = len(ids)
    frame = pl.DataFrame({"policy_id": [f" {i} " for i in ids], "age_at_entry": ["30"] * n, "policy_term": ["10"] * n,
                          "policy_count": ["1"] * n, "sum_assured": ["1"] * n})
    out = normalise(frame, "f.csv")
    assert out.frame["policy_id"].to_list() == ids
    assert np.array_equal(out.rows, np.arange(1, n + 1))
