"""Filters: the grammar accepts exactly columns/literals/comparisons/booleans; SQL gets parameters only."""

from __future__ import annotations

import sqlite3

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import livecalc_lab as lc
from livecalc_lab.data.filter import parse_filter

SCHEMA = {"age": pl.Int64, "sa": pl.Float64, "region": pl.String, "smoker": pl.Boolean}
NUMS = st.one_of(st.integers(-100, 100), st.floats(-100, 100, allow_nan=False).map(lambda x: round(x, 2)))
TEXTS = st.sampled_from(["UK", "IE", "o'neill", "a\"b", "", "DROP TABLE x;--"])


def lit(v) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    return repr(v)


def predicate():
    num_col = st.sampled_from(["age", "sa"])
    op = st.sampled_from(["=", "<>", "!=", "<", "<=", ">", ">="])
    return st.one_of(
        st.tuples(num_col, op, NUMS).map(lambda t: f"{t[0]} {t[1]} {lit(t[2])}"),
        st.tuples(op, TEXTS).map(lambda t: f"region {t[0]} {lit(t[1])}"),
        st.tuples(NUMS, op, num_col).map(lambda t: f"{lit(t[0])} {t[1]} {t[2]}"),
        st.tuples(num_col, st.lists(NUMS, min_size=1, max_size=3), st.booleans()).map(
            lambda t: f"{t[0]} {'NOT IN' if t[2] else 'IN'} ({', '.join(map(lit, t[1]))})"),
        st.tuples(num_col, NUMS, NUMS, st.booleans()).map(
            lambda t: f"{t[0]} {'NOT BETWEEN' if t[3] else 'BETWEEN'} {lit(t[1])} AND {lit(t[2])}"),
        st.tuples(st.sampled_from(["age", "region", '"sa"']), st.booleans()).map(
            lambda t: f"{t[0]} IS {'NOT ' if t[1] else ''}NULL"),
        st.booleans().map(lambda b: f"smoker = {lit(b)}"),
    )


expressions = st.recursive(
    predicate(),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["AND", "OR", "and", "or"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda e: f"NOT ({e})"),
    ),
    max_leaves=6,
)

FRAME = pl.DataFrame({
    "age": [20, 40, None, 65, -5, 40],
    "sa": [1000.5, 0.0, 55.25, None, -99.99, 100.0],
    "region": ["UK", "IE", "o'neill", None, "", "a\"b"],
    "smoker": [True, False, None, True, False, True],
})


def sqlite_rows(text: str) -> list[int]:
    f = parse_filter(text)
    where, params = f.to_sql(lambda i: "?")
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (rid INTEGER, age INTEGER, sa REAL, region TEXT, smoker BOOLEAN)")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [(i, *r) for i, r in enumerate(FRAME.rows())])
    got = [r[0] for r in conn.execute(f"SELECT rid FROM t WHERE {where} ORDER BY rid", params)]
    conn.close()
    return got


@settings(max_examples=150, deadline=None)
@given(expressions)
def test_valid_expressions_parse_check_and_agree_between_polars_and_sql(text):
    f = parse_filter(text)
    f.check(SCHEMA)
    mask = FRAME.with_row_index("rid").filter(f.to_polars(SCHEMA).fill_null(False))["rid"].to_list()
    assert mask == sqlite_rows(text)
    sql, params = f.to_sql(lambda i: "?")
    assert sql.count("?") == len(params)
    for v in params:  # values never reach the SQL text
        if isinstance(v, str) and v:
            assert v not in sql


FORBIDDEN = st.sampled_from([
    "age + 1 > 2", "lower(region) = 'uk'", "age IN (SELECT 1)", "t.age = 1", "*", "age", "region LIKE 'U%'",
    "age = 1; DROP TABLE t", "EXISTS (SELECT 1)", "CAST(age AS TEXT) = '1'", "age = (SELECT max(age) FROM t)",
    "region = 'UK' UNION SELECT 1", "age BETWEEN sa AND 3", "age IN (sa)", "-age > 1", "age = ?", "age = $1",
])


@settings(max_examples=60, deadline=None)
@given(FORBIDDEN, expressions, st.sampled_from(["AND", "OR"]))
def test_anything_else_is_rejected(bad, good, joiner):
    for text in (bad, f"{good} {joiner} {bad}", f"NOT ({bad})"):
        with pytest.raises(lc.DataError):
            parse_filter(text).check(SCHEMA)


@given(st.text(max_size=30))
def test_arbitrary_text_either_parses_to_the_grammar_or_raises_data_error(text):
    try:
        f = parse_filter(text)
    except lc.DataError:
        return
    f.to_sql(lambda i: "?")  # whatever parsed compiles


def test_schema_checks():
    with pytest.raises(lc.DataError, match="unknown column 'UK'"):
        parse_filter('region = "UK"').check(SCHEMA)
    with pytest.raises(lc.DataError, match=r"cannot compare 'age' \(number\) with 'x' \(text\)"):
        parse_filter("age = 'x'").check(SCHEMA)
    parse_filter("d >= '2020-01-31'").check({"d": pl.Date})
    with pytest.raises(lc.DataError, match="not an ISO date"):
        parse_filter("d >= '31/01/2020'").check({"d": pl.Date})


def test_sql_is_parameters_and_quoted_names():
    sql, params = parse_filter("region = 'UK'' OR 1=1 --' AND \"we\"\"ird\" >= 40").to_sql(lambda i: f"${i}")
    assert sql == '("region" = $1 AND "we""ird" >= $2)'
    assert params == ["UK' OR 1=1 --", 40]


@settings(max_examples=100, deadline=None)
@given(expressions, st.lists(st.tuples(st.integers(-100, 100), st.floats(-100, 100, allow_nan=False)), min_size=1, max_size=8))
def test_statistics_never_prune_a_matching_row_group(text, rows):
    f = parse_filter(text)
    frame = pl.DataFrame({"age": [r[0] for r in rows], "sa": [r[1] for r in rows],
                          "region": ["UK"] * len(rows), "smoker": [True] * len(rows)})
    stats = {c: (frame[c].min(), frame[c].max(), 0) for c in ("age", "sa", "region")}
    if frame.filter(f.to_polars(SCHEMA).fill_null(False)).height:
        assert f.may_match(stats)
