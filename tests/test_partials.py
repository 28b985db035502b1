"""Chunked valuation: partial results merge exactly into what lc.run gives in one pass."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import livecalc_lab as lc
from livecalc_lab.model.policies import demo_policies_path, read_policies
from livecalc_lab.model.savings_policies import read_savings_policies
from livecalc_lab.partials import finish, id_checksum, merge, value_chunk

ASET = lc.demo_assumptions()
SPEC = lc.hull_white(n=24, seed=13)
TERM = {p: read_policies(demo_policies_path(p)) for p in ("basic_term_s", "basic_term_se")}
SAVINGS = read_savings_policies("tests/data/lifelib-savings/model_points_bench10k.csv")


def _chunks(pols, cuts):
    edges = [0, *sorted(set(cuts)), pols.frame.height]
    return [dataclasses.replace(pols, frame=pols.frame[a:b]) for a, b in zip(edges, edges[1:]) if b > a]


def _same(a, b):
    assert a.totals == b.totals
    assert a.per_scenario.equals(b.per_scenario)
    assert a.pv_net_cf_ce == b.pv_net_cf_ce and a.tvog == b.tvog
    assert a.statistics == b.statistics


@pytest.mark.parametrize("product", sorted(TERM))
@settings(max_examples=5, deadline=None)
@given(cuts=st.lists(st.integers(1, 9_999), max_size=6), order=st.randoms(use_true_random=False))
def test_term_chunks_merge_to_the_one_pass_result(product, cuts, order):
    pols = TERM[product]
    parts = [value_chunk(c, ASET, product) for c in _chunks(pols, cuts)]
    order.shuffle(parts)
    merged = merge(parts)
    assert merged.n_model_points == pols.frame.height
    assert merged.id_checksum == id_checksum(pols.frame["policy_id"])
    _same(finish(merged, ASET, SPEC), lc.run(product=product, scenarios=SPEC))


def test_term_deterministic_total_equals_run():
    parts = [value_chunk(c, ASET, "basic_term_se") for c in _chunks(TERM["basic_term_se"], [17, 4000, 4001])]
    res = finish(merge(parts), ASET)
    ref = lc.run(product="basic_term_se")
    assert res.totals == ref.totals and res.n_policies == ref.n_policies


@settings(max_examples=3, deadline=None)
@given(cuts=st.lists(st.integers(1, 299), max_size=4))
def test_savings_chunks_merge_to_the_one_pass_result(cuts):
    pols = dataclasses.replace(SAVINGS, frame=SAVINGS.frame[:300])
    parts = [value_chunk(c, ASET, "savings_ex4", SPEC) for c in _chunks(pols, cuts)]
    res = finish(merge(parts[::-1]), ASET, SPEC)
    ref = lc.run(pols, product="savings_ex4", scenarios=SPEC)
    _same(res, ref)
    assert res.guarantee_cost == ref.guarantee_cost


@pytest.mark.parametrize("product", ["basic_term_s", "savings_ex4"])
def test_an_empty_chunk_changes_nothing_and_alone_values_to_zero(product):
    pols = TERM[product] if product in TERM else dataclasses.replace(SAVINGS, frame=SAVINGS.frame[:200])
    empty = dataclasses.replace(pols, frame=pols.frame[:0])
    chunks = [empty, *_chunks(pols, [pols.frame.height // 2]), empty]
    spec = None if product in TERM else SPEC  # term chunks are valued without scenarios (as jobs do)
    parts = [value_chunk(c, ASET, product, spec) for c in chunks]
    with_empty = finish(merge(parts), ASET, SPEC)
    _same(with_empty, finish(merge(parts[1:-1]), ASET, SPEC))
    _same(with_empty, lc.run(pols, product=product, scenarios=SPEC))
    alone = finish(merge(parts[:1]), ASET, SPEC)
    _same(alone, lc.run(empty, product=product, scenarios=SPEC))
    assert set(alone.totals.values()) == {0.0} and alone.tvog == 0.0 and alone.statistics.std == 0.0
    assert alone.per_scenario.height == SPEC.n


def test_checksum_detects_a_doubled_or_missing_chunk():
    chunks = _chunks(TERM["basic_term_s"], [3000, 6000])
    parts = [value_chunk(c, ASET, "basic_term_s") for c in chunks]
    whole = id_checksum(TERM["basic_term_s"].frame["policy_id"])
    assert merge(parts).id_checksum == whole
    assert merge(parts + parts[:1]).id_checksum != whole
    assert merge(parts[1:]).id_checksum != whole


def test_mixed_partials_are_refused():
    a = value_chunk(_chunks(TERM["basic_term_s"], [10])[0], ASET, "basic_term_s")
    b = value_chunk(_chunks(TERM["basic_term_se"], [10])[0], ASET, "basic_term_se")
    with pytest.raises(lc.LivecalcError):
        merge([a, b])
    assert np.array_equal(merge([a]).totals, a.totals)
