"""The engine against the readable reference model (``livecalc_lab.model.reference``).

Same numbers, two implementations: the C kernel (grouped unit projections, exact
sums) and the numpy model (one function per actuarial quantity). They must agree
on every policy to 1e-9 relative with an absolute floor of 1e-6, and on the
premium per policy exactly, for the bundled portfolios, for random portfolios and
for modified bases.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livecalc_lab.assumptions import demo_assumptions
from livecalc_lab.engine import _abi
from livecalc_lab.model import reference

RTOL = 1e-9  # relative agreement of every PV and cashflow
ATOL = 1e-6  # absolute floor, currency units (PVs near 0 after cancellation in pv_net_cf)

MORTALITY_LOADING = 1.3
LAPSE_TABLE = np.array([0.15, 0.12, 0.08, 0.05, 0.03])  # annual, by policy year; later years use the last
FLAT_RATE = 0.03
PROPERTY = settings(deadline=None, max_examples=60)
BASIS_S = demo_assumptions().basis("basic_term_s")
BASIS_SE = demo_assumptions().basis("basic_term_se")


def assert_agree(engine, basis, frame: pl.DataFrame, *, cashflows: bool = False) -> None:
    out = engine.value_term(basis, frame, cashflows=cashflows)
    ref = reference.value(frame, basis)
    assert ref["policy_id"].to_list() == frame["policy_id"].to_list()
    assert out.premium_pp.tobytes() == ref["premium_pp"].to_numpy().tobytes(), "premium_pp"
    for k, name in enumerate(_abi.PV_NAMES):
        np.testing.assert_allclose(out.pv[k], ref[name].to_numpy(), rtol=RTOL, atol=ATOL, err_msg=name)
    if cashflows:
        cf = reference.cashflows(frame, basis)
        assert out.cashflows.shape == (_abi.N_CF, cf.height)
        for k, name in enumerate(_abi.CF_NAMES):
            np.testing.assert_allclose(out.cashflows[k], cf[name].to_numpy(), rtol=RTOL, atol=ATOL, err_msg=name)
        if cf.height:  # (every policy matured before t = 0: nothing to discount)
            np.testing.assert_allclose(engine.discount_factors(basis, cf.height), cf["disc_factor"].to_numpy(),
                                       rtol=RTOL, atol=0)


# ---- bundled portfolios --------------------------------------------------------------

def test_bundled_portfolio_agrees(engine, portfolio):
    assert_agree(engine, portfolio.basis, portfolio.frame)


def test_bundled_cashflows_agree(engine, portfolio):
    assert_agree(engine, portfolio.basis, portfolio.frame[:500], cashflows=True)


# ---- modified bases ------------------------------------------------------------------

def heavier_mortality(b):
    return replace(b, mort_qx=np.minimum(b.mort_qx * MORTALITY_LOADING, 1.0))


def lapse_table(b):
    return replace(b, lapse_ann=LAPSE_TABLE.copy())


def flat_curve(b):
    return replace(b, disc_zero_ann=np.full_like(b.disc_zero_ann, FLAT_RATE))


def all_three(b):
    return flat_curve(lapse_table(heavier_mortality(b)))


MODIFIED = {"mortality x1.3": heavier_mortality, "lapse table": lapse_table, "flat curve": flat_curve,
            "all three": all_three}


@pytest.mark.parametrize("modify", MODIFIED.values(), ids=MODIFIED.keys())
def test_modified_basis_agrees(engine, portfolio, modify):
    basis = modify(portfolio.basis)
    out = engine.value_term(basis, portfolio.frame)
    assert not np.array_equal(out.pv, engine.value_term(portfolio.basis, portfolio.frame).pv)  # it did change
    assert_agree(engine, basis, portfolio.frame)
    assert_agree(engine, basis, portfolio.frame[:200], cashflows=True)


# ---- random portfolios -----------------------------------------------------------------

MAX_AGE, MAX_TERM = 70, 40  # 70 + 40 = 110 stays inside the demo mortality table (ages 18..120)

counts = st.one_of(st.just(0.0), st.integers(0, 1_000).map(float), st.floats(0.0, 1_000.0))
sums_assured = st.one_of(st.just(0.0), st.integers(0, 5_000_000).map(float), st.floats(0.0, 5e6))


@st.composite
def portfolios_of(draw, *, in_force: bool, table: bool) -> pl.DataFrame:
    n = draw(st.integers(1, 25))
    row = st.tuples(
        st.integers(18, MAX_AGE),
        st.integers(1, MAX_TERM),
        st.integers(-60, 500) if in_force else st.just(0),
        counts,
        sums_assured,
        st.floats(0.0, 0.01),
    )
    rows = draw(st.lists(row, min_size=n, max_size=n))
    ages, terms, durs, cnts, sas, rates = map(list, zip(*rows))
    cols = {"policy_id": list(range(1, n + 1)), "age_at_entry": ages, "policy_term": terms, "duration_mth": durs,
            "policy_count": cnts, "sum_assured": sas}
    schema = {"policy_id": pl.Int64, "age_at_entry": pl.Int32, "policy_term": pl.Int32, "duration_mth": pl.Int32,
              "policy_count": pl.Float64, "sum_assured": pl.Float64}
    if table:
        cols["premium_rate"], schema["premium_rate"] = rates, pl.Float64
    return pl.DataFrame(cols, schema=schema)


@PROPERTY
@given(frame=portfolios_of(in_force=False, table=False))
def test_random_new_business_agrees(engine, frame):
    assert_agree(engine, BASIS_S, frame, cashflows=True)


@PROPERTY
@given(frame=portfolios_of(in_force=True, table=True))
def test_random_in_force_table_premium_agrees(engine, frame):
    assert_agree(engine, BASIS_SE, frame, cashflows=True)


@PROPERTY
@given(frame=portfolios_of(in_force=True, table=False))
def test_random_in_force_equivalence_premium_agrees(engine, frame):
    """In-force policies on an equivalence-premium basis: the premium is priced from issue."""
    assert_agree(engine, replace(BASIS_S, in_force=True), frame)


def test_in_force_equivalence_premium_cashflows_agree(engine):
    """Cashflows of a policy already in force on an equivalence-premium basis.

    Its premium is priced over the whole term from issue, but its cashflows run only
    from t = 0 to maturity (12 x 1 - 1 + 1 = 12 months here)."""
    frame = pl.DataFrame({"policy_id": [1, 2], "age_at_entry": [18, 40], "policy_term": [1, 10],
                          "duration_mth": [1, 30], "policy_count": [1.0, 2.5], "sum_assured": [1e5, 2e5]},
                         schema_overrides={"age_at_entry": pl.Int32, "policy_term": pl.Int32, "duration_mth": pl.Int32})
    assert_agree(engine, replace(BASIS_S, in_force=True), frame, cashflows=True)


@PROPERTY
@given(frame=portfolios_of(in_force=True, table=True), modify=st.sampled_from(list(MODIFIED.values())))
def test_random_portfolio_on_modified_basis_agrees(engine, frame, modify):
    assert_agree(engine, modify(BASIS_SE), frame)
