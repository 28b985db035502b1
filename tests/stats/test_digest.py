"""t-digests: accuracy against exact percentiles, and a merge that ignores arrival order."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livecalc_lab.stats import Digest, StatsError, merge_digests, percentile

RANK_ERROR = 1e-3  # |empirical CDF at the estimate - q|, 100k values, 1,000 centroids
LEVELS = (0.01, 0.05, 0.5, 0.95, 0.99, 0.995)


def rank_error(sorted_values: np.ndarray, estimate: float, q: float) -> float:
    """How far the estimate's rank is from ``q``: the closer side of the ties at the estimate."""
    n = sorted_values.size
    below = np.searchsorted(sorted_values, estimate, side="left") / n
    at_or_below = np.searchsorted(sorted_values, estimate, side="right") / n
    if below <= q <= at_or_below:
        return 0.0
    return min(abs(below - q), abs(at_or_below - q))


@pytest.fixture(scope="module")
def normal_values() -> np.ndarray:
    return np.random.default_rng(20261129).normal(1e6, 2.5e5, size=100_000)


@pytest.fixture(scope="module")
def chunk_digests(normal_values) -> dict[int, Digest]:
    """101 uneven chunks of the sample, with an empty and a one-element chunk among them."""
    bounds = [0, 0, 1, *range(1_000, 100_000, 1_000), 100_000]
    pieces = itertools.pairwise(bounds)
    return {i: Digest.from_values(normal_values[a:b]) for i, (a, b) in enumerate(pieces)}


def state(d: Digest) -> str:
    return json.dumps(d.to_dict(), allow_nan=False)


class TestAccuracy:
    def test_single_digest(self, normal_values):
        d = Digest.from_values(normal_values)
        exact = np.sort(normal_values)
        assert d.count == 100_000
        assert (d.min, d.max) == (exact[0], exact[-1])
        for q in LEVELS:
            assert rank_error(exact, d.quantile(q), q) < RANK_ERROR, q

    def test_merged_digest(self, normal_values, chunk_digests):
        d = merge_digests(chunk_digests)
        exact = np.sort(normal_values)
        assert d.count == 100_000
        for q in LEVELS:
            assert rank_error(exact, d.quantile(q), q) < RANK_ERROR, q
        p99 = d.percentile("99")
        assert rank_error(exact, p99, 0.99) < RANK_ERROR
        assert abs(p99 - percentile(normal_values, "99")) < 0.01 * 2.5e5  # within 1% of a std

    def test_percentile_is_quantile_over_100(self, chunk_digests):
        d = merge_digests(chunk_digests)
        assert d.percentile("99.5") == d.quantile(0.995)


class TestCanonicalMergeOrder:
    @settings(max_examples=25, deadline=None)
    @given(data=st.data())
    def test_arrival_order_does_not_change_a_bit(self, data, chunk_digests):
        arrival = data.draw(st.permutations(list(chunk_digests)), label="arrival")
        shuffled = {k: chunk_digests[k] for k in arrival}
        a, b = merge_digests(chunk_digests), merge_digests(shuffled)
        assert state(a) == state(b)
        assert a.percentile("99") == b.percentile("99")
        assert [a.quantile(q) for q in LEVELS] == [b.quantile(q) for q in LEVELS]

    @given(data=st.data(), values=st.lists(st.floats(-1e9, 1e9, allow_nan=False), max_size=60))
    def test_small_samples_in_any_arrival_order(self, data, values):
        cuts = sorted(data.draw(st.lists(st.integers(0, len(values)), max_size=6), label="cuts"))
        bounds = [0, *cuts, len(values)]
        pieces = itertools.pairwise(bounds)
        parts = {f"chunk-{i:02d}": Digest.from_values(values[a:b]) for i, (a, b) in enumerate(pieces)}
        arrival = data.draw(st.permutations(list(parts)), label="arrival")
        merged = merge_digests(parts)
        assert state(merge_digests({k: parts[k] for k in arrival})) == state(merged)
        assert merged.count == len(values)
        if values:
            assert (merged.min, merged.max) == (min(values) + 0.0, max(values) + 0.0)

    def test_empty_and_one_element_chunks(self):
        parts = {0: Digest(), 1: Digest.from_values([4.25]), 2: Digest.from_values([])}
        d = merge_digests(parts)
        assert d.count == 1
        assert [d.quantile(q) for q in (0.0, 0.01, 0.5, 0.99, 1.0)] == [4.25] * 5
        assert merge_digests({0: Digest(), 1: Digest()}).count == 0
        assert merge_digests({}).count == 0

    def test_max_centroids_of_the_result(self, chunk_digests):
        assert merge_digests(chunk_digests).max_centroids == 1000
        small = merge_digests(chunk_digests, max_centroids=100)
        assert small.max_centroids == 100 and small.count == 100_000

    def test_unsortable_ids_and_wrong_values(self):
        with pytest.raises(StatsError, match="mutually sortable"):
            merge_digests({0: Digest(), "1": Digest()})
        with pytest.raises(StatsError, match="expected a Digest"):
            merge_digests({0: [1.0]})  # type: ignore[dict-item]


class TestEmptyAndSerialisation:
    def test_empty(self):
        d = Digest()
        assert d.count == 0 and math.isnan(d.min) and math.isnan(d.max)
        with pytest.raises(StatsError, match="empty"):
            d.quantile(0.5)

    def test_json_round_trip(self, chunk_digests):
        for d in (Digest(), Digest.from_values([1.5]), chunk_digests[50]):
            back = Digest.from_dict(json.loads(state(d)))
            assert back == d and state(back) == state(d)

    def test_bad_dict(self):
        with pytest.raises(StatsError, match="not a t-digest dict"):
            Digest.from_dict({"centroids": "nope"})

    @pytest.mark.parametrize("q", [-0.1, 1.5, math.nan])
    def test_bad_quantile(self, q):
        with pytest.raises(StatsError):
            Digest.from_values([1.0]).quantile(q)

    @pytest.mark.parametrize("max_centroids", [0, -5, 2.5, True])
    def test_bad_max_centroids(self, max_centroids):
        with pytest.raises(StatsError):
            Digest(max_centroids)

    def test_bad_values(self):
        with pytest.raises(StatsError, match="not finite"):
            Digest.from_values([1.0, math.nan])
