"""TVOG (certainty-equivalent minus stochastic mean) and the mean guarantee cost."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livecalc_lab.stats import StatsError, guarantee_cost, summarise, tvog

finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False)


def test_tvog_worked_example():
    # CE PV 1,000; stochastic PVs average 980: options cost 20 of value.
    assert tvog(1_000.0, [950.0, 1_010.0, 960.0, 1_000.0]) == 20.0


def test_guarantee_cost_worked_example():
    assert guarantee_cost([0.0, 0.0, 30.0, 10.0]) == 10.0


@given(pv_ce=finite, per_scenario=st.lists(finite, min_size=1, max_size=50))
def test_tvog_uses_the_summary_mean(pv_ce, per_scenario):
    assert tvog(pv_ce, per_scenario) == pv_ce - summarise(per_scenario).mean


@given(per_scenario=st.lists(st.floats(0, 1e9), min_size=1, max_size=50))
def test_guarantee_cost_is_the_summary_mean(per_scenario):
    assert guarantee_cost(per_scenario) == summarise(per_scenario).mean


@pytest.mark.parametrize("pv_ce", [math.nan, math.inf])
def test_non_finite_ce(pv_ce):
    with pytest.raises(StatsError, match="pv_ce"):
        tvog(pv_ce, [1.0])


@pytest.mark.parametrize("per_scenario", [[], [1.0, math.nan]])
def test_bad_per_scenario(per_scenario):
    with pytest.raises(StatsError, match="per_scenario"):
        tvog(0.0, per_scenario)
    with pytest.raises(StatsError, match="per_scenario"):
        guarantee_cost(per_scenario)
