"""The reference model against lifelib BasicTerm_S and BasicTerm_SE.

Golden values: ``tests/data/reference_*.csv``, lifelib 0.17.2 outputs (MIT licence,
``tests/data/LICENSE-lifelib.txt``); see ``shared/data/lifelib-basicterm/README.md``.
"""

from __future__ import annotations

import dataclasses
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from livecalc_lab.assumptions import ProductBasis, demo_assumptions
from livecalc_lab.model import reference

ABS_PER_POINT = 1e-6  # per model point PVs vs lifelib (SPEC.md: 1e-6 absolute)
REL_TOTAL = 1e-9  # totals over all points vs lifelib (float summation order differs)
REL_CF = 1e-9  # monthly cashflows of one point vs lifelib
ABS_CF = 1e-9

DATA = Path(__file__).resolve().parent.parent / "data"
POLICIES = resources.files("livecalc_lab") / "demo" / "policies"

PV_COLUMNS = ["pv_premiums", "pv_claims", "pv_expenses", "pv_commissions", "pv_net_cf"]
CF_COLUMNS = [
    "pols_if", "pols_death", "pols_lapse", "pols_maturity", "premiums",
    "claims", "expenses", "commissions", "net_cf", "disc_factor",
]  # fmt: skip

# lifelib's published totals of pv_net_cf over the 10,000 points.
TOTAL_PV_NET_CF = {"S": 14489630.534601543, "SE": 215146132.0684811}

PRODUCTS = {"S": "basic_term_s", "SE": "basic_term_se"}


def _read_reference(name: str) -> pl.DataFrame:
    """A lifelib output file: ids and t as Int64, everything else Float64 (parsed exactly)."""
    raw = pl.read_csv(DATA / name, infer_schema=False)
    ints = [c for c in ("point_id", "t") if c in raw.columns]
    return raw.select(pl.col(ints).cast(pl.Int64), pl.exclude(ints).cast(pl.Float64))


def _policies(model: str, basis: ProductBasis) -> pl.DataFrame:
    """The bundled lifelib model points in the frame ``reference.value`` takes."""
    if model == "S":
        raw = pl.read_csv(POLICIES / "model_point_table.csv")
        raw = raw.rename({"point_id": "policy_id"}).with_columns(duration_mth=pl.lit(0))
    else:
        raw = pl.read_csv(POLICIES / "model_point_table_with_duration.csv")
    policies = raw.select(
        pl.col("policy_id").cast(pl.Int64),
        pl.col("age_at_entry", "policy_term", "duration_mth").cast(pl.Int32),
        pl.col("policy_count", "sum_assured").cast(pl.Float64),
    )
    if basis.premium_basis == "table":
        rates = basis.premium_table.with_columns(pl.col("age_at_entry", "policy_term").cast(pl.Int32))
        policies = policies.join(rates, on=["age_at_entry", "policy_term"], how="left", maintain_order="left")
        assert policies["premium_rate"].null_count() == 0
    return policies


@pytest.fixture(scope="module", params=["S", "SE"])
def model(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def basis(model: str) -> ProductBasis:
    return demo_assumptions().basis(PRODUCTS[model])


@pytest.fixture(scope="module")
def policies(model: str, basis: ProductBasis) -> pl.DataFrame:
    return _policies(model, basis)


@pytest.fixture(scope="module")
def values(policies: pl.DataFrame, basis: ProductBasis) -> pl.DataFrame:
    return reference.value(policies, basis)


# --- present values -------------------------------------------------------------------


def test_value_columns_and_order(values: pl.DataFrame, policies: pl.DataFrame) -> None:
    assert values.columns == ["policy_id", "premium_pp", *PV_COLUMNS]
    assert all(values[c].dtype == pl.Float64 for c in values.columns[1:])
    assert values["policy_id"].equals(policies["policy_id"])


@pytest.mark.parametrize("column", PV_COLUMNS)
def test_pv_per_point_matches_lifelib(model: str, values: pl.DataFrame, column: str) -> None:
    expected = _read_reference(f"reference_BasicTerm_{model}.csv")
    assert expected["point_id"].to_list() == values["policy_id"].to_list()
    np.testing.assert_allclose(values[column].to_numpy(), expected[column].to_numpy(), rtol=0, atol=ABS_PER_POINT)


def test_pv_net_cf_total_matches_lifelib(model: str, values: pl.DataFrame) -> None:
    assert values["pv_net_cf"].sum() == pytest.approx(TOTAL_PV_NET_CF[model], rel=REL_TOTAL, abs=0)


def test_pv_net_cf_is_the_sum_of_its_parts(values: pl.DataFrame) -> None:
    parts = values["pv_premiums"] - values["pv_claims"] - values["pv_expenses"] - values["pv_commissions"]
    assert (values["pv_net_cf"] - parts).abs().max() == 0.0


def test_se_points_with_nothing_to_value_are_exactly_zero() -> None:
    basis = demo_assumptions().basis(PRODUCTS["SE"])
    policies = _policies("SE", basis)
    values = reference.value(policies, basis)
    zero = values.select(pl.all_horizontal(pl.col(PV_COLUMNS) == 0.0)).to_series()
    # SPEC.md section 4: 45 points have no policies and 31 mature at t = 0.
    expected = (policies["policy_count"] == 0) | (policies["duration_mth"] == 12 * policies["policy_term"])
    assert zero.sum() == 76
    assert zero.equals(expected.alias(zero.name))


# --- monthly cashflows ----------------------------------------------------------------


@pytest.mark.parametrize("point", [1, 2, 3])
def test_cashflows_of_one_point_match_lifelib(
    model: str, basis: ProductBasis, policies: pl.DataFrame, point: int
) -> None:
    expected = _read_reference(f"reference_cf_BasicTerm_{model}_points1-3.csv").filter(pl.col("point_id") == point)
    got = reference.cashflows(policies.filter(pl.col("policy_id") == point), basis)

    columns = {c: c for c in CF_COLUMNS}
    if model == "SE":
        # lifelib SE's `pols_if` column is the count before maturities (BEF_MAT);
        # ours is before decrements (BEF_DECR), which lifelib writes as `pols_if_bef_decr`.
        columns["pols_if"] = "pols_if_bef_decr"
        columns["pols_new_biz"] = "pols_new_biz"
    assert got["t"].dtype == pl.Int32
    assert got["t"].to_list() == expected["t"].to_list()
    for ours, theirs in columns.items():
        np.testing.assert_allclose(
            got[ours].to_numpy(), expected[theirs].to_numpy(), rtol=REL_CF, atol=ABS_CF, err_msg=f"column {ours!r}"
        )


def test_cashflows_discount_to_the_total_pv(policies: pl.DataFrame, basis: ProductBasis, values: pl.DataFrame) -> None:
    cf = reference.cashflows(policies, basis)
    assert cf.columns == [
        "t", "pols_if", "pols_death", "pols_lapse", "pols_maturity", "pols_new_biz",
        "premiums", "claims", "expenses", "commissions", "net_cf", "disc_factor",
    ]  # fmt: skip
    total = (cf["net_cf"] * cf["disc_factor"]).sum()
    assert total == pytest.approx(values["pv_net_cf"].sum(), rel=REL_TOTAL, abs=0)


# --- invariants -----------------------------------------------------------------------


def test_value_does_not_depend_on_row_order() -> None:
    basis = demo_assumptions().basis(PRODUCTS["S"])
    policies = _policies("S", basis)
    shuffled = policies.sample(fraction=1.0, shuffle=True, seed=20260101)
    assert not shuffled["policy_id"].equals(policies["policy_id"])
    in_order = reference.value(policies, basis)
    from_shuffled = reference.value(shuffled, basis)
    assert from_shuffled["policy_id"].equals(shuffled["policy_id"])
    assert_frame_equal(from_shuffled.sort("policy_id"), in_order, check_exact=True)


def test_heavier_mortality_raises_claims() -> None:
    basis = demo_assumptions().basis(PRODUCTS["S"])
    heavier = dataclasses.replace(basis, mort_qx=np.minimum(basis.mort_qx * 1.1, 1.0))
    policies = _policies("S", basis).head(500)
    base, heavy = reference.value(policies, basis), reference.value(policies, heavier)
    assert (heavy["pv_claims"] > base["pv_claims"]).all()
    assert (heavy["premium_pp"] >= base["premium_pp"]).all()  # equivalence premium follows the claims
    base_cf, heavy_cf = reference.cashflows(policies, basis), reference.cashflows(policies, heavier)
    assert heavy_cf["claims"].sum() > base_cf["claims"].sum()
