"""The engine's exact accumulator (``lc_exact``): exact sums, any order, any merge, correctly rounded.

The oracle is pure Python: every finite double is an integer multiple of 2^-1074,
so the exact sum is the Python int ``sum(x * 2**1074)`` and ``N / 2**1074`` (int
true division) is the correctly rounded double. ``math.fsum`` is checked too where
it does not raise (it raises on intermediate overflow, e.g. 1e308 + 1e308 - ...).
"""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from livecalc_lab.engine import _abi

UNIT = 1 << 1074  # 2^-1074 (the smallest subnormal) is the accumulator's unit
LIMB_BASE = 1 << 32
DBL_MAX = 1.7976931348623157e308
MIN_SUBNORMAL = 5e-324
MIN_NORMAL = 2.2250738585072014e-308
MAX_SUBNORMAL = MIN_NORMAL - MIN_SUBNORMAL
HALF_ULP_DBL_MAX = 2.0**970  # DBL_MAX + this is a tie between DBL_MAX and 2^1024 (-> inf)

SPECIAL_NAN, SPECIAL_POS_INF, SPECIAL_NEG_INF = 1, 2, 4  # lc_exact.special bits (livecalc.h)

PROPERTY = settings(deadline=None, max_examples=300)


# ---- the pure-Python oracle ----------------------------------------------------------

def exact_units(xs) -> int:
    """The exact sum of finite doubles ``xs`` in units of 2^-1074, as a Python int."""
    total = 0
    for x in xs:
        num, den = float(x).as_integer_ratio()  # den is a power of two <= 2^1074
        total += num * (UNIT // den)
    return total


def round_units(n: int) -> float:
    """The double nearest n x 2^-1074 (ties to even); +-inf past the largest double."""
    try:
        return n / UNIT  # int / int is correctly rounded in CPython
    except OverflowError:
        return math.inf if n > 0 else -math.inf


def limbs_value(acc: np.void | np.ndarray) -> int:
    """Independent reading of an accumulator: sum(limb[i] << 32 i) as a Python int."""
    return sum(int(limb) << (32 * i) for i, limb in enumerate(np.asarray(acc)["limb"].reshape(-1)))


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def assert_same_double(got: float, want: float) -> None:
    """Bit-for-bit equality (so 0.0 != -0.0 and NaN == NaN)."""
    assert bits(got) == bits(want), f"{got!r} ({bits(got).hex()}) != {want!r} ({bits(want).hex()})"


# ---- helpers over the engine ------------------------------------------------------------

def acc_of(engine, xs) -> np.ndarray:
    """Accumulator of ``xs`` as a shape (1,) EXACT_DTYPE array."""
    return np.asarray(engine.exact_add(np.asarray(xs, dtype=np.float64))).reshape(1)


def rounded(engine, acc: np.ndarray) -> float:
    return float(engine.exact_round(acc)[0])


# ---- strategies -------------------------------------------------------------------------

EDGES = [DBL_MAX, -DBL_MAX, 1e308, -1e308, MIN_SUBNORMAL, -MIN_SUBNORMAL, MIN_NORMAL, -MIN_NORMAL,
         MAX_SUBNORMAL, 1e-300, -1e-300, 2.0**53, 1.0, -1.0, 0.1, 0.0, -0.0, HALF_ULP_DBL_MAX]

addend = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),  # anything finite, huge to subnormal
    st.sampled_from(EDGES),
    st.floats(min_value=-(2.0**-1000), max_value=2.0**-1000),  # tiny normals and subnormals
    st.floats(min_value=-1e6, max_value=1e6),  # the money range
    st.integers(min_value=-(2**60), max_value=2**60).map(float),
)


@st.composite
def addends(draw, min_size: int = 0, max_size: int = 40) -> list[float]:
    """Finite doubles, often with heavy cancellation (some addends negated and shuffled in)."""
    xs = draw(st.lists(addend, min_size=min_size, max_size=max_size))
    if xs and draw(st.booleans()):
        k = draw(st.integers(min_value=1, max_value=len(xs)))
        xs = draw(st.permutations(xs + [-x for x in xs[:k]]))
    return xs


CANCELLATION = [1e308, 1e308, -1e308, -1e308, 1e-300]


# ---- rounding -----------------------------------------------------------------------------

@PROPERTY
@given(xs=addends())
@example(xs=CANCELLATION)
@example(xs=[DBL_MAX, DBL_MAX, -DBL_MAX])
@example(xs=[DBL_MAX, DBL_MAX])
@example(xs=[DBL_MAX, HALF_ULP_DBL_MAX])
@example(xs=[1.0, 2.0**-53, MIN_SUBNORMAL])
@example(xs=[2.0**-1020, 3 * MIN_SUBNORMAL])
def test_round_is_correctly_rounded_exact_sum(engine, xs):
    acc = acc_of(engine, xs)
    got = rounded(engine, acc)
    assert_same_double(got, round_units(exact_units(xs)))
    try:
        fs = math.fsum(xs)
    except OverflowError:  # fsum gives up on intermediate overflow; the oracle above still judged
        return
    # The accumulator has no signed zero: an exact zero rounds to +0.0, fsum's zero may carry a sign.
    assert_same_double(got, fs if fs != 0.0 else 0.0)


@PROPERTY
@given(xs=addends())
@example(xs=CANCELLATION)
def test_limbs_hold_the_exact_sum_and_python_rounds_them_alike(engine, xs):
    acc = acc_of(engine, xs)
    n = limbs_value(acc)
    assert n == exact_units(xs)
    assert_same_double(rounded(engine, acc), round_units(n))


@PROPERTY
@given(xs=addends())
def test_accumulator_is_normalised(engine, xs):
    acc = acc_of(engine, xs)
    limbs = acc["limb"][0]
    assert np.all((limbs[:-1] >= 0) & (limbs[:-1] < LIMB_BASE))
    assert acc["special"][0] == 0
    # The top limb carries the sign: negative exactly when the sum is.
    assert (limbs[-1] < 0) == (exact_units(xs) < 0)


# Golden cases around the rounding boundaries, values written out (units of 2^-1074 where tiny).
GOLDEN = {
    "empty": ([], 0.0),
    "1e9 + 0.1 + 0.2 + 0.3 + 0.4": ([1e9, 0.1, 0.2, 0.3, 0.4], math.fsum([1e9, 0.1, 0.2, 0.3, 0.4])),
    "tie rounds to even (down)": ([1.0, 2.0**-53], 1.0),
    "sticky bit breaks the tie": ([1.0, 2.0**-53, MIN_SUBNORMAL], 1.0 + 2.0**-52),
    "tie rounds to even (up)": ([1.0 + 2.0**-52, 2.0**-53], 1.0 + 2.0**-51),
    "tiny normal, below half": ([2.0**-1020, MIN_SUBNORMAL], 2.0**-1020),
    "tiny normal, tie to even": ([2.0**-1020, 2 * MIN_SUBNORMAL], 2.0**-1020),
    "tiny normal, above half": ([2.0**-1020, 3 * MIN_SUBNORMAL], 2.0**-1020 + 4 * MIN_SUBNORMAL),
    "subnormals add exactly": ([MIN_SUBNORMAL] * 3, 3 * MIN_SUBNORMAL),
    "subnormal to normal": ([MAX_SUBNORMAL, MIN_SUBNORMAL], MIN_NORMAL),
    "cancellation to 1e-300": (CANCELLATION, 1e-300),
    "exact overflow": ([DBL_MAX, DBL_MAX], math.inf),
    "negative exact overflow": ([-DBL_MAX, -DBL_MAX], -math.inf),
    "overflow then back": ([DBL_MAX, DBL_MAX, -DBL_MAX], DBL_MAX),
    "DBL_MAX + half ulp ties to inf": ([DBL_MAX, HALF_ULP_DBL_MAX], math.inf),
    "DBL_MAX + quarter ulp stays": ([DBL_MAX, HALF_ULP_DBL_MAX / 2], DBL_MAX),
    "x - x is +0.0": ([0.1, -0.1], 0.0),
    "negative zeros sum to +0.0": ([-0.0, -0.0], 0.0),
}


@pytest.mark.parametrize(("xs", "want"), GOLDEN.values(), ids=GOLDEN.keys())
def test_golden_sums(engine, xs, want):
    assert_same_double(rounded(engine, acc_of(engine, xs)), want)


def test_empty_sum_is_all_zero_limbs(engine):
    acc = acc_of(engine, [])
    assert acc.tobytes() == np.zeros(1, _abi.EXACT_DTYPE).tobytes()
    assert_same_double(rounded(engine, acc), 0.0)


def test_a_million_addends_of_every_scale(engine):
    rng = np.random.default_rng(20240601)
    x = rng.standard_normal(1_000_000) * 10.0 ** rng.integers(-300, 300, 1_000_000)
    x = np.concatenate([x, -x[: 400_000]])
    rng.shuffle(x)
    acc = acc_of(engine, x)
    assert limbs_value(acc) == exact_units(x.tolist())
    assert_same_double(rounded(engine, acc), math.fsum(x.tolist()))


# ---- order independence and merging -------------------------------------------------------

@PROPERTY
@given(data=st.data())
def test_any_order_any_split_any_merge_order_gives_identical_limbs(engine, data):
    xs = data.draw(addends(min_size=1), label="xs")
    whole = acc_of(engine, xs)
    shuffled = data.draw(st.permutations(xs), label="permutation")
    assert acc_of(engine, shuffled).tobytes() == whole.tobytes()

    k = data.draw(st.integers(min_value=1, max_value=6), label="parts")
    cuts = sorted(data.draw(st.lists(st.integers(0, len(shuffled)), min_size=k - 1, max_size=k - 1), label="cuts"))
    parts = [acc_of(engine, p) for p in np.split(np.asarray(shuffled, dtype=np.float64), cuts)]  # may be empty
    order = data.draw(st.permutations(range(k)), label="merge order")
    merged = engine.exact_merge([parts[i] for i in order])
    assert merged.dtype == _abi.EXACT_DTYPE and merged.shape == (1,)
    assert np.array_equal(merged, whole)
    assert merged.tobytes() == whole.tobytes()

    # Any merge tree: repeatedly merge two random accumulators until one is left.
    pool = list(parts)
    while len(pool) > 1:
        i = data.draw(st.integers(0, len(pool) - 1), label="left")
        a = pool.pop(i)
        j = data.draw(st.integers(0, len(pool) - 1), label="right")
        b = pool.pop(j)
        pool.append(engine.exact_merge([a, b]))
    assert pool[0].tobytes() == whole.tobytes()


@PROPERTY
@given(columns=st.lists(addends(max_size=12), min_size=1, max_size=5), data=st.data())
def test_merge_is_elementwise_on_arrays_of_accumulators(engine, columns, data):
    """exact_merge merges arrays of accumulators (as TermValuation.totals_exact) element by element."""
    split = [data.draw(st.integers(0, len(c)), label="split") for c in columns]
    left = np.concatenate([acc_of(engine, c[:s]) for c, s in zip(columns, split)])
    right = np.concatenate([acc_of(engine, c[s:]) for c, s in zip(columns, split)])
    whole = np.concatenate([acc_of(engine, c) for c in columns])
    merged = engine.exact_merge([left, right])
    assert merged.tobytes() == whole.tobytes()
    got = engine.exact_round(merged)
    for g, c in zip(got, columns):
        assert_same_double(float(g), round_units(exact_units(c)))


def test_merge_of_one_part_is_a_copy(engine):
    acc = acc_of(engine, [1.5, 2.5])
    out = engine.exact_merge([acc])
    assert out.tobytes() == acc.tobytes()
    assert out is not acc


def test_merge_needs_a_part(engine):
    with pytest.raises(ValueError, match="at least one part"):
        engine.exact_merge([])


# ---- NaN and infinities -----------------------------------------------------------------

nan, inf = math.nan, math.inf
SPECIALS = {
    "nan": ([nan], nan, SPECIAL_NAN),
    "nan among finite": ([1.0, nan, 2.0], nan, SPECIAL_NAN),
    "negative nan": ([-nan], nan, SPECIAL_NAN),
    "+inf": ([inf], inf, SPECIAL_POS_INF),
    "-inf": ([-inf], -inf, SPECIAL_NEG_INF),
    "+inf beats finite": ([-DBL_MAX, inf, -1e308], inf, SPECIAL_POS_INF),
    "-inf beats finite": ([DBL_MAX, -inf, DBL_MAX], -inf, SPECIAL_NEG_INF),
    "+inf and -inf": ([inf, 1.0, -inf], nan, SPECIAL_POS_INF | SPECIAL_NEG_INF),
    "nan and inf": ([inf, nan], nan, SPECIAL_NAN | SPECIAL_POS_INF),
}


def _same_special(got: float, want: float) -> bool:
    return math.isnan(got) if math.isnan(want) else got == want


@pytest.mark.parametrize(("xs", "want", "flags"), SPECIALS.values(), ids=SPECIALS.keys())
def test_special_values(engine, xs, want, flags):
    acc = acc_of(engine, xs)
    assert int(acc["special"][0]) == flags
    assert _same_special(rounded(engine, acc), want)
    # Finite addends are still summed exactly beside the special flags.
    assert limbs_value(acc) == exact_units([x for x in xs if math.isfinite(x)])


@pytest.mark.parametrize(
    ("left", "right", "want"),
    [([1.0, inf], [2.0], inf), ([inf], [-inf], nan), ([nan], [1.0], nan), ([1.0], [-inf, 3.0], -inf)],
    ids=["inf+finite", "inf+-inf", "nan+finite", "finite+-inf"],
)
def test_specials_survive_merging(engine, left, right, want):
    for parts in ([left, right], [right, left]):
        merged = engine.exact_merge([acc_of(engine, p) for p in parts])
        assert _same_special(rounded(engine, merged), want)


@PROPERTY
@given(xs=addends(max_size=20), special=st.sampled_from([nan, inf, -inf]), pos=st.integers(0, 20))
def test_a_special_anywhere_decides_the_sum(engine, xs, special, pos):
    ys = list(xs)
    ys.insert(min(pos, len(ys)), special)
    got = rounded(engine, acc_of(engine, ys))
    assert _same_special(got, special)
