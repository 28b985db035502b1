"""Mergeable moments: the Chan-Golub-LeVeque update with a two-float mean.

Tolerances. A merge is exact in real arithmetic; in floating point each level of
merging adds about one rounding of ``|delta| <= spread`` to the mean and of
``delta**2 * n`` to ``M2``. The tests allow, for a sample of ``n`` values with
``spread = max - min`` merged from ``parts`` pieces:

- mean: ``MEAN_ULPS`` units in the last place of the mean plus
  ``EPS_FACTOR * eps * parts * spread``;
- M2: ``EPS_FACTOR * eps * parts * (M2 + n * spread**2)``.

These bounds are independent of a common offset of the values (1e9 + small
deviations keeps ~15 digits of its variance); a plain float mean would need
``eps * |mean|`` in place of ``eps * spread``.
"""

from __future__ import annotations

import itertools
import json
import math
import sys
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livecalc_lab.stats import Moments, StatsError, merge_moments, summarise

EPS = sys.float_info.epsilon
EPS_FACTOR = 16
MEAN_ULPS = 2
TINY = [1e9 + d for d in (0.1, 0.2, 0.3, 0.4)]

offsets = st.sampled_from([0.0, 1e6, -1e9, 1e9, 3.5e11])
deviations = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False)
wide = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False)


@st.composite
def samples(draw, min_size=0, max_size=40):
    if draw(st.booleans()):
        offset = draw(offsets)
        small = draw(st.lists(deviations, min_size=min_size, max_size=max_size))
        return [offset + d for d in small]
    return draw(st.lists(wide, min_size=min_size, max_size=max_size))


@st.composite
def split(draw, values):
    """Cut ``values`` into contiguous pieces, empty and one-element pieces included."""
    cuts = sorted(draw(st.lists(st.integers(0, len(values)), max_size=6)))
    bounds = [0, *cuts, len(values)]
    return [values[a:b] for a, b in itertools.pairwise(bounds)]


def assert_close(got: Moments, want: Moments, parts: int) -> None:
    assert got.count == want.count
    if want.count == 0:
        assert got == Moments()
        return
    assert (got.min, got.max) == (want.min, want.max)
    spread = want.max - want.min
    mean_tol = MEAN_ULPS * math.ulp(want.mean) + EPS_FACTOR * EPS * parts * spread
    assert abs(got.mean - want.mean) <= mean_tol
    m2_tol = EPS_FACTOR * EPS * parts * (want.m2 + want.count * spread**2)
    assert abs(got.m2 - want.m2) <= m2_tol


def bits(m: Moments) -> str:
    return json.dumps(m.to_dict())  # repr of every float


def exact_variance(values: list[float]) -> Fraction:
    xs = [Fraction(v) for v in values]
    mean = sum(xs, Fraction(0)) / len(xs)
    return sum(((x - mean) ** 2 for x in xs), Fraction(0)) / (len(xs) - 1)


class TestTinyVarianceOnALargeOffset:
    """1e9 + {0.1, 0.2, 0.3, 0.4}: sample variance 1/60 (of the decimals)."""

    def trees(self, parts):
        a, b, c, d = parts
        yield a.merge(b).merge(c).merge(d)
        yield a.merge(b).merge(c.merge(d))
        yield a.merge(b.merge(c.merge(d)))
        yield a.merge(b.merge(c)).merge(d)

    def test_from_one_element_parts_in_any_order_and_grouping(self):
        exact = float(exact_variance(TINY))  # of the float values, 1/60 to 4.8e-7
        for order in itertools.permutations(TINY):
            for merged in self.trees([Moments.from_values([v]) for v in order]):
                assert merged.count == 4
                assert merged.variance() == pytest.approx(1 / 60, rel=1e-6)
                assert merged.variance() == pytest.approx(exact, rel=1e-12)
                assert merged.std() == pytest.approx(math.sqrt(exact), rel=1e-12)

    def test_from_values_and_summary_agree(self):
        assert Moments.from_values(TINY).variance() == pytest.approx(1 / 60, rel=1e-6)
        assert Moments.from_values(TINY).std() == summarise(TINY).std


class TestEdgeCases:
    def test_empty(self):
        e = Moments.from_values([])
        assert e == Moments() and e.count == 0
        assert math.isnan(e.variance()) and math.isnan(e.std()) and math.isnan(e.variance(ddof=0))
        assert e.merge(e) == e

    def test_empty_is_the_identity(self):
        m = Moments.from_values([1.0, 5.0, 2.0])
        assert m.merge(Moments()) is m and Moments().merge(m) is m

    def test_one_element(self):
        one = Moments.from_values([7.0])
        assert (one.count, one.mean, one.m2, one.min, one.max) == (1, 7.0, 0.0, 7.0, 7.0)
        assert math.isnan(one.variance()) and one.variance(ddof=0) == 0.0
        two = one.merge(Moments.from_values([9.0]))
        assert (two.count, two.mean, two.m2, two.variance(), two.min, two.max) == (
            2, 8.0, 2.0, 2.0, 7.0, 9.0,
        )  # fmt: skip

    def test_population_and_sample_variance(self):
        m = Moments.from_values([1.0, 2.0, 3.0, 4.0])
        assert m.variance(ddof=0) == 1.25 and m.variance() == 5 / 3
        assert m.std(ddof=0) == math.sqrt(1.25)

    @pytest.mark.parametrize(
        "kwargs",
        [{"count": -1}, {"count": 1.5}, {"count": 0, "mean": 1.0},
         {"count": 2, "mean": math.nan}, {"count": 2, "m2": -1.0, "min": 0.0, "max": 1.0},
         {"count": 2, "min": 0.0, "max": math.inf}],
        ids=repr,
    )  # fmt: skip
    def test_invalid_fields(self, kwargs):
        with pytest.raises(StatsError):
            Moments(**kwargs)

    def test_bad_values(self):
        with pytest.raises(StatsError, match="not finite"):
            Moments.from_values([1.0, math.inf])
        with pytest.raises(StatsError, match="cannot merge"):
            Moments().merge([1.0])  # type: ignore[arg-type]


class TestSerialisation:
    @given(values=samples())
    def test_json_round_trip_is_exact(self, values):
        m = Moments.from_values(values)
        text = json.dumps(m.to_dict(), allow_nan=False)
        back = Moments.from_dict(json.loads(text))
        assert bits(back) == bits(m)

    def test_missing_key(self):
        d = Moments.from_values([1.0]).to_dict()
        del d["mean_lo"]
        with pytest.raises(StatsError, match="mean_lo"):
            Moments.from_dict(d)

    def test_missing_min(self):
        d = Moments.from_values([1.0]).to_dict() | {"min": None}
        with pytest.raises(StatsError, match="min or max"):
            Moments.from_dict(d)


class TestMergeProperties:
    @given(values=samples(min_size=1))
    def test_from_values_matches_the_summary_bit_for_bit(self, values):
        m, s = Moments.from_values(values), summarise(values)
        assert m.mean == s.mean
        assert m.std() == s.std or (math.isnan(m.std()) and math.isnan(s.std))
        assert (m.min, m.max) == (s.min, s.max)

    @settings(max_examples=200)
    @given(data=st.data(), values=samples())
    def test_any_merge_tree_equals_the_single_pass(self, data, values):
        pieces = data.draw(split(values), label="pieces")
        parts = [Moments.from_values(p) for p in pieces]
        n_parts = len(parts)
        while len(parts) > 1:  # merge two arbitrary parts until one is left
            pair = st.lists(st.integers(0, len(parts) - 1), min_size=2, max_size=2, unique=True)
            i, j = data.draw(pair)
            merged = parts[i].merge(parts[j])
            parts = [p for k, p in enumerate(parts) if k not in (i, j)] + [merged]
        assert_close(parts[0], Moments.from_values(values), n_parts)

    @given(a=samples(), b=samples(), c=samples())
    def test_associative_within_tolerance(self, a, b, c):
        ma, mb, mc = (Moments.from_values(v) for v in (a, b, c))
        assert_close(ma.merge(mb).merge(mc), ma.merge(mb.merge(mc)), 3)

    @given(a=samples(), b=samples())
    def test_commutative_bit_for_bit(self, a, b):
        ma, mb = Moments.from_values(a), Moments.from_values(b)
        assert bits(ma.merge(mb)) == bits(mb.merge(ma))

    @given(data=st.data(), values=samples())
    def test_merge_in_order_ignores_arrival_order(self, data, values):
        pieces = data.draw(split(values), label="pieces")
        parts = {f"chunk-{i:03d}": Moments.from_values(p) for i, p in enumerate(pieces)}
        arrival = data.draw(st.permutations(list(parts)), label="arrival")
        shuffled = {k: parts[k] for k in arrival}
        assert bits(merge_moments(shuffled)) == bits(merge_moments(parts))
        assert_close(merge_moments(parts), Moments.from_values(values), len(parts))

    def test_merge_in_order_of_nothing_is_empty(self):
        assert merge_moments({}) == Moments()

    def test_unsortable_chunk_ids(self):
        with pytest.raises(StatsError, match="mutually sortable"):
            merge_moments({1: Moments(), "b": Moments()})

    def test_large_chunked_sample(self):
        rng = np.random.default_rng(20261129)
        values = 1e9 + rng.normal(0.0, 0.05, size=100_000)
        parts = {i: Moments.from_values(c) for i, c in enumerate(np.array_split(values, 97))}
        merged, whole = merge_moments(parts), Moments.from_values(values)
        assert merged.count == whole.count
        assert merged.variance() == pytest.approx(whole.variance(), rel=1e-12)
        assert merged.mean == pytest.approx(whole.mean, rel=0, abs=2 * math.ulp(whole.mean))
