"""Exact summaries: nearest-rank percentiles, CTE with a fractional boundary, mean and std."""

from __future__ import annotations

import json
import math
import struct
import sys
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction

import numpy as np
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from livecalc_lab.errors import LivecalcError
from livecalc_lab.stats import (
    CTE_LEVELS,
    PERCENTILES,
    StatsError,
    Summary,
    cte,
    cte_key,
    percentile,
    percentile_key,
    summarise,
)

ONE_TO_TEN = [float(i) for i in range(1, 11)]
STD_RTOL = 8 * sys.float_info.epsilon  # two-pass std vs the exact rational std: a few roundings

# Values of the size of portfolio PVs; hypothesis also shrinks to small integers and ties.
finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
samples = st.lists(finite, min_size=1, max_size=60)
decimal_levels = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("100"), places=3)
cte_levels = st.decimals(min_value=Decimal("0"), max_value=Decimal("99.999"), places=3)


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def exact_rank(p: Decimal, n: int) -> int:
    """ceil(p n / 100) by decimal arithmetic, independent of the integer formula in the code."""
    return int((p * n / 100).to_integral_value(rounding=ROUND_CEILING))


def exact_cte(values: list[float], alpha: Decimal) -> float:
    """CTE by rational arithmetic over all the values, rounded once."""
    xs = sorted(Fraction(v) for v in values)
    k = Fraction(len(xs)) * (100 - Fraction(alpha)) / 100
    total, left = Fraction(0), k
    for x in xs:
        w = min(Fraction(1), left)
        if w <= 0:
            break
        total += w * x
        left -= w
    return float(total / k)


class TestLevelsAndKeys:
    def test_default_levels(self):
        assert [str(p) for p in PERCENTILES] == [
            "1", "5", "10", "25", "50", "75", "90", "95", "99", "99.5",
        ]  # fmt: skip
        assert [str(a) for a in CTE_LEVELS] == ["70", "90", "95", "98", "99"]
        assert all(isinstance(p, Decimal) for p in PERCENTILES + CTE_LEVELS)

    @pytest.mark.parametrize(
        ("level", "key"),
        [("99.5", "p99_5"), ("1", "p1"), (95, "p95"), (99.5, "p99_5"), ("1.0", "p1"),
         (Decimal("100"), "p100"), ("0.25", "p0_25"), (Fraction(199, 2), "p99_5")],
        ids=repr,
    )  # fmt: skip
    def test_percentile_key(self, level, key):
        assert percentile_key(level) == key

    def test_cte_key(self):
        assert [cte_key(a) for a in CTE_LEVELS] == ["cte70", "cte90", "cte95", "cte98", "cte99"]
        assert cte_key("99.5") == "cte99_5"

    def test_json_keys_of_the_default_summary(self):
        d = summarise(ONE_TO_TEN).to_dict()
        assert list(d) == ["n", "mean", "std", "min", "max", "percentiles", "cte"]
        assert list(d["percentiles"]) == [
            "p1", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "p99", "p99_5",
        ]  # fmt: skip
        assert list(d["cte"]) == ["cte70", "cte90", "cte95", "cte98", "cte99"]


class TestPercentile:
    def test_worked_example(self):
        assert percentile(ONE_TO_TEN, "95") == 10.0  # rank ceil(9.5) = 10
        assert percentile(ONE_TO_TEN, "50") == 5.0  # rank 5: type 1 does not average
        assert percentile(ONE_TO_TEN, "10") == 1.0
        assert percentile(ONE_TO_TEN, "10.001") == 2.0
        assert percentile(ONE_TO_TEN, "100") == 10.0
        assert percentile(ONE_TO_TEN, "0.001") == 1.0

    def test_exact_level_keeps_the_rank(self):
        values = np.arange(1.0, 101.0)
        assert percentile(values, "7") == 7.0
        assert percentile(values, Decimal("0.07") * 100) == 7.0
        # The floating-point level 0.07 * 100 = 7.000000000000001 is read as written,
        # which is why levels are passed as text.
        assert 0.07 * 100 != 7
        assert percentile(values, 0.07 * 100) == 8.0

    @pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 99, 100, 199, 200, 1000, 1001, 10_000])
    def test_rank_of_every_default_level(self, n):
        values = np.arange(1.0, n + 1.0)[::-1].copy()  # value == rank once sorted
        for p in PERCENTILES:
            assert percentile(values, p) == exact_rank(p, n), (p, n)

    @given(n=st.integers(1, 5000), p=decimal_levels)
    def test_rank_formula(self, n, p):
        values = np.arange(1.0, n + 1.0)
        assert percentile(values, p) == exact_rank(p, n)

    @given(values=samples, p=decimal_levels)
    def test_matches_numpy_inverted_cdf(self, values, p):
        n = len(values)
        if (Fraction(p) * n / 100).denominator == 1:
            return  # numpy's floating-point p/100*n may land either side of an integer
        expected = np.percentile(np.asarray(values), float(p), method="inverted_cdf")
        assert percentile(values, p) == expected + 0.0

    @pytest.mark.parametrize("p", ["0", 0, "-1", "100.0001", "nan", "inf", "abc", True, None, [95]])
    def test_bad_level(self, p):
        with pytest.raises(StatsError):
            percentile(ONE_TO_TEN, p)

    @pytest.mark.parametrize(
        "values",
        [[], [1.0, math.nan], [math.inf], [[1.0, 2.0]], ["x"]],
        ids=["empty", "nan", "inf", "2-D", "text"],
    )
    def test_bad_values(self, values):
        with pytest.raises(StatsError) as info:
            percentile(values, "50")
        assert isinstance(info.value, LivecalcError) and isinstance(info.value, ValueError)

    def test_message_quotes_the_offending_value(self):
        with pytest.raises(StatsError, match=r"values\[1\] = nan is not finite"):
            summarise([1.0, math.nan])
        with pytest.raises(StatsError, match=r"percentile '0' is outside \(0, 100\]"):
            percentile([1.0], "0")


class TestCTE:
    def test_worked_example(self):
        assert cte(ONE_TO_TEN, "90") == 1.0  # k = 1
        assert cte(ONE_TO_TEN, "95") == 1.0  # k = 0.5
        assert cte(ONE_TO_TEN, "75") == 1.8  # k = 2.5: (1 + 2 + 0.5 * 3) / 2.5
        assert cte(ONE_TO_TEN, "70") == 2.0  # k = 3: (1 + 2 + 3) / 3
        assert cte(ONE_TO_TEN, "0") == 5.5  # the mean

    def test_order_of_input_does_not_matter(self):
        assert cte(ONE_TO_TEN[::-1], "75") == 1.8

    def test_fractional_weight_is_continuous_in_alpha(self):
        values = np.arange(1.0, 11.0)
        # k from 1 (alpha 90) to 2 (alpha 80): CTE = (1 + (k - 1) * 2) / k
        for alpha, k in [("90", 1), ("87.5", Fraction(5, 4)), ("85", Fraction(3, 2)), ("80", 2)]:
            assert cte(values, alpha) == float((1 + (k - 1) * 2) / k)

    @settings(max_examples=200)
    @given(values=samples, alpha=cte_levels)
    @example(values=[1.0, 2.0, 3.0], alpha=Decimal("0"))
    @example(values=[1e12, -1e12, 1.0], alpha=Decimal("50"))
    @example(  # a tie broken only by a tiny value: a 106-bit sum rounds it the wrong way
        values=[199023255554.6765, 999999999999.1428, 999999999999.1428, 1.6613465896534146e-28],
        alpha=Decimal("0"),
    )
    def test_equals_the_exact_rational_rounded_once(self, values, alpha):
        assert bits(cte(values, alpha)) == bits(exact_cte(values, alpha) + 0.0)

    @given(values=samples)
    def test_cte_is_at_most_the_mean_and_at_least_the_minimum(self, values):
        s = summarise(values)
        for key, value in s.cte.items():
            assert s.min <= value <= s.mean + 1e-9 * (abs(s.mean) + s.max - s.min), key

    @pytest.mark.parametrize("alpha", ["100", "-0.5", "101", "nan"])
    def test_bad_level(self, alpha):
        with pytest.raises(StatsError):
            cte(ONE_TO_TEN, alpha)


class TestSummarise:
    def test_worked_example(self):
        s = summarise(ONE_TO_TEN)
        assert (s.n, s.mean, s.min, s.max) == (10, 5.5, 1.0, 10.0)
        assert s.std == math.sqrt(82.5 / 9)  # sample std: divisor n - 1
        assert dict(s.percentiles) == {
            "p1": 1.0, "p5": 1.0, "p10": 1.0, "p25": 3.0, "p50": 5.0,
            "p75": 8.0, "p90": 9.0, "p95": 10.0, "p99": 10.0, "p99_5": 10.0,
        }  # fmt: skip
        assert dict(s.cte) == {"cte70": 2.0, "cte90": 1.0, "cte95": 1.0, "cte98": 1.0, "cte99": 1.0}

    def test_one_value(self):
        s = summarise([42.0])
        assert s.n == 1 and s.mean == 42.0 and math.isnan(s.std)
        assert set(s.percentiles.values()) == {42.0} and set(s.cte.values()) == {42.0}
        assert s.to_dict()["std"] is None
        assert s.to_frame().filter(pl.col("statistic") == "std")["value"].is_null().all()

    def test_custom_levels(self):
        s = summarise(ONE_TO_TEN, percentiles=["12.5", 100], cte_levels=["75"])
        assert dict(s.percentiles) == {"p12_5": 2.0, "p100": 10.0}
        assert dict(s.cte) == {"cte75": 1.8}

    def test_to_dict_is_strict_json(self):
        d = summarise(np.linspace(-1e6, 3e6, 1001)).to_dict()
        assert json.loads(json.dumps(d, allow_nan=False)) == d

    def test_to_frame(self):
        frame = summarise(ONE_TO_TEN).to_frame()
        assert frame.schema == pl.Schema({"statistic": pl.String, "value": pl.Float64})
        assert frame.height == 5 + len(PERCENTILES) + len(CTE_LEVELS)
        table = dict(frame.iter_rows())
        assert table["n"] == 10.0 and table["p95"] == 10.0 and table["cte70"] == 2.0

    def test_summary_is_read_only(self):
        s = summarise(ONE_TO_TEN)
        with pytest.raises(TypeError):
            s.percentiles["p95"] = 0.0  # type: ignore[index]
        with pytest.raises(AttributeError):
            s.mean = 0.0  # type: ignore[misc]
        assert s == summarise(ONE_TO_TEN[::-1])
        assert isinstance(s, Summary)

    def test_accepts_polars_and_integers(self):
        assert summarise(pl.Series(ONE_TO_TEN)) == summarise(range(1, 11))

    def test_negative_zero_is_read_as_zero(self):
        a, b = summarise([-0.0, 0.0, 1.0]), summarise([0.0, -0.0, 1.0])
        assert bits(a.min) == bits(b.min) == bits(0.0)
        assert bits(a.percentiles["p50"]) == bits(b.percentiles["p50"]) == bits(0.0)

    @settings(max_examples=200)
    @given(data=st.data(), values=samples)
    @example(data=None, values=[-0.0, 0.0, 5e-324, -5e-324])
    def test_permutation_invariant_bit_for_bit(self, data, values):
        if data is None:
            permuted = values[::-1]
        else:
            permuted = data.draw(st.permutations(values), label="permuted")
        a, b = summarise(values).to_dict(), summarise(permuted).to_dict()
        assert json.dumps(a) == json.dumps(b)  # repr of every float: same bits

    @given(values=samples)
    def test_mean_and_std_against_exact_arithmetic(self, values):
        s = summarise(values)
        exact = [Fraction(v) for v in values]
        exact_sum = sum(exact, Fraction(0))
        assert s.mean == float(exact_sum) / len(values)  # fsum is the exact sum rounded once
        if len(values) > 1:
            m = exact_sum / len(values)
            var = sum(((x - m) ** 2 for x in exact), Fraction(0)) / (len(values) - 1)
            want = math.sqrt(float(var))
            spread = max(values) - min(values)
            assert s.std == pytest.approx(want, rel=STD_RTOL, abs=1e-300 * spread)

    def test_tiny_variance_on_a_large_offset(self):
        s = summarise([1e9 + d for d in (0.1, 0.2, 0.3, 0.4)])
        assert s.std**2 == pytest.approx(1 / 60, rel=1e-6)
