"""Reading savings model points strictly (``livecalc_lab.model.savings_policies``)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import livecalc_lab as lc
from livecalc_lab.model.savings_policies import SAVINGS_POLICY_COLUMNS, read_savings_policies

DATA = Path(__file__).resolve().parent.parent / "data" / "lifelib-savings"


def test_reads_lifelib_model_points():
    pols = read_savings_policies(DATA / "model_points_bench10k.csv")
    f = pols.frame
    assert f.columns == list(SAVINGS_POLICY_COLUMNS) and len(pols) == 10_000
    assert f.schema["policy_id"] == pl.Int64 and f.schema["spec_id"] == pl.String  # point_id is an alias
    assert f.schema["age_at_entry"] == pl.Int32 and f.schema["premium_pp"] == pl.Float64
    assert f["policy_count"][0] == 263.8  # fractional counts are kept
    assert pols.has_duration


def test_optional_columns_default_to_zero():
    f = pl.DataFrame(
        {"policy_id": ["a"], "spec_id": ["A"], "age_at_entry": [70], "policy_term": [10],
         "policy_count": [1.0], "sum_assured": [1.0], "premium_pp": [1.0]}
    )  # fmt: skip
    out = read_savings_policies(f).frame
    assert out["duration_mth"].to_list() == [0] and out["av_pp_init"].to_list() == [0.0]
    assert out["policy_id"].to_list() == ["a"]


def _write(tmp_path: Path, row: int, column: str, text: str) -> Path:
    src = (DATA / "ex4_model_points_default.csv").read_text(encoding="utf-8").splitlines()
    col = src[0].split(",").index(column)
    cells = src[row].split(",")
    cells[col] = text
    src[row] = ",".join(cells)
    path = tmp_path / "points.csv"
    path.write_text("\n".join(src) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("column", "row", "text", "message"),
    [
        ("av_pp_init", 3, "-5.5", r"points.csv row 3 column 'av_pp_init': -5.5 is negative"),
        ("premium_pp", 2, "12a", r"points.csv row 2 column 'premium_pp': '12a' is not a number"),
        ("spec_id", 4, " ", r"points.csv row 4 column 'spec_id': value is empty"),
        ("policy_count", 1, "-1", r"points.csv row 1 column 'policy_count': -1.0 is negative"),
        ("point_id", 5, "4", r"points.csv row 5 column 'policy_id': 4 duplicates row 4"),
    ],
)
def test_bad_values_name_file_row_column_value(tmp_path, column, row, text, message):
    with pytest.raises(lc.DataError, match=message):
        read_savings_policies(_write(tmp_path, row, column, text))


def test_missing_spec_column(tmp_path):
    f = pl.read_csv(DATA / "ex4_model_points_default.csv").drop("spec_id")
    with pytest.raises(lc.DataError, match=r"<DataFrame>: missing required column 'spec_id'"):
        read_savings_policies(f)


def test_docstring_examples():
    import doctest

    import livecalc_lab.model.savings_policies as module

    result = doctest.testmod(module, verbose=False)
    assert result.attempted > 0 and result.failed == 0
