"""Reading model points strictly, and checking them against a product.

Groups: the bad-file corpus (``tests/data/bad``), reading (CSV, Parquet, frames, ids),
no row dropped, fractional counts, and product checks on active months only.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import livecalc_lab as lc
from livecalc_lab.model.policies import demo_policies_path

from bad_corpus import BAD, CASES, expected_fragments

REL_PV = 1e-12  # per-policy PVs that should agree up to a few rounding steps

# One bundled-format model point that every product can value.
GOOD_ROW = {"policy_id": 1, "age_at_entry": 40, "policy_term": 10, "policy_count": 1.0, "sum_assured": 500_000.0}


# --------------------------------------------------------------------------------------
# The bad-file corpus
# --------------------------------------------------------------------------------------




def test_corpus_has_the_product_level_cases():
    """Every file of the corpus has an expectation (tests/data/test_schema.py checks that);
    the ones valued through lc.run here include each bad-input case of the engine issue."""
    files = {c["file"] for c in CASES}
    assert {"missing_column.csv", "text_sum_assured.csv", "negative_sum_assured.csv", "age_below_table.csv",
            "term_past_table.csv"} <= files
    assert len(CASES) >= 12


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_bad_file_raises_through_run(case):
    error = getattr(lc, case["error"])
    with pytest.raises(error) as info:
        lc.run(BAD / case["file"])
    for frag in expected_fragments(case):
        assert frag in str(info.value)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c["stage"] == "read"], ids=[c["file"] for c in CASES if c["stage"] == "read"]
)
def test_bad_file_raises_through_read_policies(case):
    with pytest.raises(getattr(lc, case["error"])) as info:
        lc.read_policies(BAD / case["file"])
    for frag in expected_fragments(case):
        assert frag in str(info.value)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c["stage"] == "check"], ids=[c["file"] for c in CASES if c["stage"] == "check"]
)
def test_product_defect_is_readable_data(case):
    """A 'check' file is well formed: only valuing it against the product fails."""
    pols = lc.read_policies(BAD / case["file"])
    assert len(pols) == pl.read_csv(BAD / case["file"]).height


def test_missing_file_names_it(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(lc.DataError, match=re.escape(str(missing))):
        lc.read_policies(missing)


@pytest.mark.parametrize("name", ["binary.csv", "text.parquet"])
def test_unreadable_file_is_a_data_error(tmp_path, name):
    """A Parquet file named .csv, or text named .parquet: a DataError naming the file, no crash."""
    path = tmp_path / name
    if name.endswith(".csv"):
        pl.DataFrame([GOOD_ROW]).write_parquet(path)
    else:
        path.write_text("policy_id,age_at_entry\n1,40\n")
    with pytest.raises(lc.DataError, match=re.escape(str(path))):
        lc.read_policies(path)


def test_errors_share_the_root():
    with pytest.raises(lc.LivecalcError):
        lc.read_policies(BAD / "text_sum_assured.csv")


# --------------------------------------------------------------------------------------
# Non-finite and duplicate values in typed sources (Parquet, DataFrame)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("column", ["sum_assured", "policy_count"])
def test_nonfinite_float_in_typed_frame_is_refused(value, column):
    df = pl.DataFrame([GOOD_ROW, GOOD_ROW | {"policy_id": 2, column: value}])
    with pytest.raises(lc.DataError, match=rf"<DataFrame> row 2 column '{column}': .*(nan|inf)"):
        lc.run(df)


def test_nonfinite_float_in_parquet_is_refused(tmp_path):
    path = tmp_path / "p.parquet"
    pl.DataFrame([GOOD_ROW, GOOD_ROW | {"policy_id": 2, "sum_assured": float("nan")}]).write_parquet(path)
    with pytest.raises(lc.DataError, match=rf"{re.escape(str(path))} row 2 column 'sum_assured': nan"):
        lc.read_policies(path)


def test_duplicate_message_pairs_the_right_rows():
    """With ids 7, 3, 3, 7 the first repeat is row 3 (id 3), first used in row 2."""
    df = pl.DataFrame([GOOD_ROW | {"policy_id": i} for i in (7, 3, 3, 7)])
    with pytest.raises(lc.DataError, match=r"row 3 column 'policy_id': 3 duplicates row 2$"):
        lc.read_policies(df)


def test_null_in_typed_frame_is_refused():
    df = pl.DataFrame([GOOD_ROW, GOOD_ROW | {"policy_id": 2, "age_at_entry": None}])
    with pytest.raises(lc.DataError, match=r"row 2 column 'age_at_entry': value is empty"):
        lc.read_policies(df)


def test_fractional_integer_in_typed_frame_is_refused():
    df = pl.DataFrame([GOOD_ROW, GOOD_ROW | {"policy_id": 2, "policy_term": 10.5}])
    with pytest.raises(lc.DataError, match=r"row 2 column 'policy_term': 10.5 is not an integer"):
        lc.read_policies(df)


# --------------------------------------------------------------------------------------
# Reading: formats, aliases, ids
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("product", ["basic_term_s", "basic_term_se"])
def test_csv_and_parquet_give_identical_frames(tmp_path, product):
    csv = demo_policies_path(product)
    pq = tmp_path / "points.parquet"
    pl.read_csv(csv).write_parquet(pq)
    from_csv, from_pq = lc.read_policies(csv), lc.read_policies(pq)
    assert_frame_equal(from_csv.frame, from_pq.frame)
    assert from_csv.has_duration == from_pq.has_duration == (product == "basic_term_se")
    assert from_pq.source == str(pq)


def test_canonical_schema():
    f = lc.read_policies(demo_policies_path("basic_term_se")).frame
    assert f.schema == pl.Schema(
        {
            "policy_id": pl.Int64,
            "age_at_entry": pl.Int32,
            "policy_term": pl.Int32,
            "duration_mth": pl.Int32,
            "policy_count": pl.Float64,
            "sum_assured": pl.Float64,
            "sex": pl.String,  # a category column: kept when present (mortality tables may have a sex dimension)
        }
    )


def test_point_id_is_an_alias_of_policy_id(tmp_path):
    src = demo_policies_path("basic_term_s")
    assert pl.read_csv(src, n_rows=0).columns[0] == "point_id"  # the lifelib spelling
    renamed = tmp_path / "renamed.csv"
    pl.read_csv(src).rename({"point_id": "policy_id"}).write_csv(renamed)
    assert_frame_equal(lc.read_policies(src).frame, lc.read_policies(renamed).frame)


def test_policy_id_wins_over_point_id():
    df = pl.DataFrame([GOOD_ROW | {"point_id": 99}])
    assert lc.read_policies(df).frame["policy_id"].to_list() == [1]


def test_missing_duration_means_new_business():
    f = lc.read_policies(pl.DataFrame([GOOD_ROW])).frame
    assert f["duration_mth"].to_list() == [0]


def test_integer_ids_are_int64(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text(
        "policy_id,age_at_entry,policy_term,policy_count,sum_assured\n10,40,10,1,1000\n2,41,10,1,1000\n"
    )
    ids = lc.read_policies(path).frame["policy_id"]
    assert ids.dtype == pl.Int64
    assert ids.to_list() == [10, 2]
    small = pl.DataFrame([GOOD_ROW]).with_columns(pl.col("policy_id").cast(pl.Int16))
    assert lc.read_policies(small).frame["policy_id"].dtype == pl.Int64


def test_mixed_ids_are_strings(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text(
        "policy_id,age_at_entry,policy_term,policy_count,sum_assured\nA-1,40,10,1,1000\n2,41,10,1,1000\n"
    )
    ids = lc.read_policies(path).frame["policy_id"]
    assert ids.dtype == pl.String
    assert ids.to_list() == ["A-1", "2"]
    result = lc.run(path)
    assert result.per_policy["policy_id"].to_list() == ["A-1", "2"]


def test_extra_columns_are_dropped_and_header_spaces_ignored(tmp_path):
    path = tmp_path / "spaced.csv"
    path.write_text(
        "policy_id, age_at_entry ,policy_term,policy_count,sum_assured,region, sex \n1,40,10,1,1000,UK,M\n"
    )
    f = lc.read_policies(path).frame
    assert f.columns == ["policy_id", "age_at_entry", "policy_term", "duration_mth", "policy_count", "sum_assured",
                         "sex"]
    assert f["sex"].to_list() == ["M"]


# --------------------------------------------------------------------------------------
# Counts: fractional, nothing dropped
# --------------------------------------------------------------------------------------


def test_fractional_policy_count_scales_pv_linearly():
    df = pl.DataFrame([GOOD_ROW, GOOD_ROW | {"policy_id": 2, "policy_count": 2.5}])
    result = lc.run(df)
    assert result.n_policies == 3.5
    one, two_and_half = result.per_policy.select(pl.exclude("policy_id")).rows()
    assert one[0] == two_and_half[0]  # premium_pp is per policy
    for pv1, pv25 in zip(one[1:], two_and_half[1:]):
        assert pv25 == pytest.approx(2.5 * pv1, rel=REL_PV)


@pytest.mark.parametrize("product", ["basic_term_s", "basic_term_se"])
def test_rows_valued_equal_rows_read(product):
    path = demo_policies_path(product)
    rows = pl.read_csv(path).height
    result = lc.run(path, product=product)
    assert rows == 10_000
    assert result.n_model_points == rows == result.per_policy.height
    assert result.n_policies == pytest.approx(pl.read_csv(path)["policy_count"].sum(), rel=0)


def test_zero_count_and_matured_points_are_valued_not_dropped():
    """A zero count and an in-force point past its term are kept, with PV 0."""
    df = pl.DataFrame(
        [
            GOOD_ROW | {"duration_mth": 5},
            GOOD_ROW | {"policy_id": 2, "policy_count": 0.0, "duration_mth": 5},
            GOOD_ROW | {"policy_id": 3, "duration_mth": 12 * 10 + 7},  # matured 7 months ago
        ]
    )
    result = lc.run(df, product="basic_term_se")
    assert result.n_model_points == 3
    assert result.per_policy["policy_id"].to_list() == [1, 2, 3]
    for pid in (2, 3):
        row = result.per_policy.filter(pl.col("policy_id") == pid)
        assert row["pv_premiums"].item() == 0.0
        assert row["pv_claims"].item() == 0.0


# --------------------------------------------------------------------------------------
# Product checks look only at active months
# --------------------------------------------------------------------------------------


def test_future_new_business_is_not_below_the_table():
    """Issued in 3 years at 20: its nominal age now (17) is below the table (18+), but it is not active yet."""
    assert lc.demo_assumptions().basis("basic_term_se").mort_min_age == 18
    df = pl.DataFrame([GOOD_ROW | {"age_at_entry": 20, "duration_mth": -36}])
    result = lc.run(df, product="basic_term_se")
    assert result.n_model_points == 1
    assert result.totals["pv_claims"] > 0


def test_future_new_business_below_the_table_at_issue_is_refused():
    df = pl.DataFrame([GOOD_ROW | {"age_at_entry": 17, "duration_mth": -36}])
    with pytest.raises(lc.DataError, match=r"row 1 column 'age_at_entry': 17 .*first age 18"):
        lc.run(df, product="basic_term_se")


def test_in_force_point_issued_below_the_table_is_valued(tmp_path):
    """Entered at 20, three years ago, with a table starting at 22: the months at 20 and 21 are past."""
    folder = tmp_path / "assumptions"
    shutil.copytree(Path(lc.demo_assumptions().path), folder)
    mort = folder / "mort_table.csv"
    mort.chmod(0o644)
    lines = mort.read_text().splitlines(keepends=True)
    assert [ln.split(",")[0] for ln in lines[1:5]] == ["18", "19", "20", "21"]
    mort.write_text(lines[0] + "".join(lines[5:]))
    aset = lc.load_assumptions(folder)
    assert aset.basis("basic_term_se").mort_min_age == 22
    df = pl.DataFrame([GOOD_ROW | {"age_at_entry": 20, "duration_mth": 36}])
    assert lc.run(df, aset, product="basic_term_se").n_model_points == 1
    with pytest.raises(lc.DataError, match=r"row 1 column 'age_at_entry': 20 gives attained age 21, below"):
        lc.run(df.with_columns(duration_mth=pl.lit(12)), aset, product="basic_term_se")


def test_term_ending_at_the_last_age_is_valued():
    """110 + 10 = 120, the table's last age: allowed; 111 + 10 is not."""
    ok = pl.DataFrame([GOOD_ROW | {"age_at_entry": 110}])
    assert lc.run(ok).n_model_points == 1
    with pytest.raises(lc.DataError, match=r"row 1 column 'policy_term': 10 .*last age 120"):
        lc.run(ok.with_columns(age_at_entry=pl.lit(111)))


def test_new_business_product_refuses_nonzero_duration():
    df = pl.DataFrame([GOOD_ROW | {"duration_mth": 0}, GOOD_ROW | {"policy_id": 2, "duration_mth": -12}])
    with pytest.raises(lc.DataError) as info:
        lc.run(df, product="basic_term_s")
    msg = str(info.value)
    assert "row 2 column 'duration_mth': -12 is not 0" in msg
    assert "'basic_term_s'" in msg and "basic_term_se" in msg  # says why and what to use instead
    assert lc.run(df, product="basic_term_se").n_model_points == 2


def test_unknown_product_is_an_assumption_error():
    with pytest.raises(lc.AssumptionError, match=r"unknown product 'basic_term_x'.*basic_term_s, basic_term_se"):
        lc.run(pl.DataFrame([GOOD_ROW]), product="basic_term_x")
