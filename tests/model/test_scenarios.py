"""Scenario specs, generated scenario sets, and scenario files (long and wide, CSV and Parquet).

The statistical validation of the generator (martingale, variances, reproducibility,
normals) is in ``test_esg_validation.py``.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import math
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from livecalc_lab.errors import AssumptionError, DataError
from livecalc_lab.model import scenarios as sc
from livecalc_lab.model.scenarios import ScenarioSet, ScenarioSpec

DATA = Path(__file__).resolve().parents[1] / "data" / "scenarios"
LIFELIB_SLICE = DATA / "lifelib_returns_20x242.csv.gz"
LIFELIB_FULL = Path(__file__).resolve().parents[3] / "shared" / "data" / "lifelib-savings" / \
    "scen_monthly_returns_1000x242.csv.gz"
N_MONTHS = 120


def bits(a: np.ndarray | None) -> bytes | None:
    """Exact bytes of an array (distinguishes -0.0 from 0.0, unlike ``array_equal``)."""
    return None if a is None else np.ascontiguousarray(a, dtype="<f8").tobytes()


def assert_same(a: ScenarioSet, b: ScenarioSet, *, ce: bool = True) -> None:
    assert np.array_equal(a.ids, b.ids) and a.n_months == b.n_months
    assert a.variables == b.variables
    for v in sc.VARIABLES:
        assert bits(getattr(a, v)) == bits(getattr(b, v)), v
    if ce:
        assert (a.ce is None) == (b.ce is None)
        if a.ce is not None:
            assert_same(a.ce, b.ce, ce=False)


@pytest.fixture(scope="module")
def zcb(engine, basis) -> np.ndarray:
    return engine.discount_factors(basis, N_MONTHS + 1)


@pytest.fixture(scope="module")
def small(engine, basis) -> ScenarioSet:
    return sc.generate_for_basis(sc.hull_white(n=30, seed=11), basis, N_MONTHS, engine=engine)


# --------------------------------------------------------------------------------------
# ScenarioSpec
# --------------------------------------------------------------------------------------


def test_defaults_are_realistic_and_documented():
    spec = sc.hull_white()
    assert (spec.generator, spec.a, spec.sigma, spec.fund_sigma, spec.fund_excess) == \
        ("hull_white", 0.05, 0.01, 0.15, 0.0)
    assert (spec.n, spec.seed) == (1000, 1)
    assert spec == ScenarioSpec()
    for word in ("a = 0.05", "sigma = 0.01", "fund_sigma = 0.15", "risk neutral"):
        assert word in ScenarioSpec.__doc__


def test_spec_json_round_trip_and_canonical_text():
    spec = sc.hull_white(n=10_000, seed=2**64 - 1, a=0.1, sigma=0.02, fund_sigma=0.2, fund_excess=0.03)
    assert ScenarioSpec.from_json(spec.to_json()) == spec
    assert ScenarioSpec.from_dict(spec.to_dict()) == spec
    # The canonical text is frozen: a change of it changes every recorded version.
    assert ScenarioSpec().to_json() == (
        '{"a":0.05,"format":"livecalc-scenario-spec/1","fund_excess":0.0,"fund_sigma":0.15,'
        '"generator":"hull_white","n":1000,"seed":1,"sigma":0.01}'
    )
    assert ScenarioSpec().version == "sha256:" + hashlib.sha256(ScenarioSpec().to_json().encode()).hexdigest()


def test_spec_version_ignores_spelling_but_not_content():
    base = ScenarioSpec(a=0.05, sigma=0.01, n=100, seed=5)
    text = '{ "seed": 5, "n": 100, "sigma": 1e-2, "a": 5E-2, "fund_sigma": 0.15, "fund_excess": -0.0 }'
    assert ScenarioSpec.from_json(text).version == base.version
    assert ScenarioSpec(a=1, n=100, seed=5).version == ScenarioSpec(a=1.0, n=100, seed=5).version
    assert ScenarioSpec(n=100, seed=6).version != ScenarioSpec(n=100, seed=5).version
    assert ScenarioSpec(n=101, seed=5).version != base.version
    # Seeds are integers in the canonical text: neighbours above 2**53 keep their own versions.
    assert ScenarioSpec(seed=2**63).version != ScenarioSpec(seed=2**63 + 1).version


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"sigma": -0.01}, "scenario spec sigma: -0.01 is negative"),
        ({"sigma": math.nan}, "scenario spec sigma: nan is not a finite number"),
        ({"sigma": math.inf}, "scenario spec sigma: inf is not a finite number"),
        ({"fund_sigma": -0.2}, "scenario spec fund_sigma: -0.2 is negative"),
        ({"fund_sigma": math.nan}, "scenario spec fund_sigma: nan is not a finite number"),
        ({"fund_excess": math.nan}, "scenario spec fund_excess: nan is not a finite number"),
        ({"a": 0.0}, "scenario spec a: 0.0 is not a mean reversion"),
        ({"a": -0.1}, "scenario spec a: -0.1 is not a mean reversion"),
        ({"a": 1e-6}, "scenario spec a: 1e-06 is not a mean reversion >= 0.0001"),
        ({"a": math.nan}, "scenario spec a: nan is not a finite number"),
        ({"a": "0.05"}, "scenario spec a: '0.05' is not a number"),
        ({"n": 0}, "scenario spec n: 0 is not a scenario count"),
        ({"n": -5}, "scenario spec n: -5 is not a scenario count"),
        ({"n": 2**32}, "scenario spec n: 4294967296 is not a scenario count"),
        ({"n": 10.0}, "scenario spec n: 10.0 is not an integer"),
        ({"n": True}, "scenario spec n: True is not an integer"),
        ({"seed": -1}, "scenario spec seed: -1 is outside 0 <= seed < 2**64"),
        ({"seed": 2**64}, "scenario spec seed: 18446744073709551616 is outside"),
        ({"seed": 1.5}, "scenario spec seed: 1.5 is not an integer"),
        ({"generator": "black_scholes"}, "scenario spec generator: 'black_scholes' is not known"),
    ],
    ids=lambda x: x if isinstance(x, str) and len(x) < 40 else None,
)
def test_spec_rejects_bad_parameters(kwargs, fragment):
    with pytest.raises(AssumptionError, match=re.escape(fragment)):
        ScenarioSpec(**kwargs)


def test_spec_from_json_rejects_unknown_fields_and_bad_json():
    with pytest.raises(AssumptionError, match=r"unknown field\(s\) volatility"):
        ScenarioSpec.from_json('{"volatility": 0.01}')
    with pytest.raises(AssumptionError, match="invalid JSON at line 1"):
        ScenarioSpec.from_json("{a: 1}")
    with pytest.raises(AssumptionError, match="format: 'other/2'"):
        ScenarioSpec.from_json('{"format": "other/2"}')


def test_numpy_scalars_are_accepted_and_normalised():
    spec = ScenarioSpec(a=np.float64(0.05), n=np.int64(10), seed=np.uint64(3))
    assert spec == ScenarioSpec(n=10, seed=3)
    assert type(spec.n) is int and type(spec.a) is float and type(spec.seed) is int


# --------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------


def test_generated_set_shapes_dtypes_and_provenance(small, zcb):
    s = small
    assert s.n == len(s) == 30 and s.n_months == N_MONTHS
    assert s.ids.dtype == np.int64 and np.array_equal(s.ids, np.arange(1, 31))
    assert s.disc_factor.shape == (30, N_MONTHS + 1) and s.disc_factor.dtype == np.float64
    assert s.short_rate.shape == s.fund_return.shape == (30, N_MONTHS)
    assert np.all(s.disc_factor[:, 0] == 1.0)
    assert s.spec == sc.hull_white(n=30, seed=11) and s.version == s.spec.version and s.source == "hull_white"
    assert not s.disc_factor.flags.writeable and not s.ids.flags.writeable
    assert np.array_equal(s.ce.ids, [0]) and s.ce.n_months == N_MONTHS
    assert np.array_equal(s.ce.disc_factor[0], zcb)
    assert "n=30" in repr(s)
    one = s.scenario(7)
    assert set(one) == set(sc.VARIABLES) and np.array_equal(one["disc_factor"], s.disc_factor[6])
    assert np.array_equal(s.scenario(0)["disc_factor"], zcb)
    with pytest.raises(KeyError, match="no scenario 31"):
        s.scenario(31)


def test_generate_equals_generate_for_basis(small, engine, zcb):
    again = sc.generate(sc.hull_white(n=30, seed=11), zcb, N_MONTHS, engine=engine)
    assert_same(again, small)


@pytest.mark.parametrize("batch_size", [1, 7, 29, 30, 1000])
def test_batching_does_not_change_any_scenario(small, engine, zcb, batch_size):
    s = sc.generate(small.spec, zcb, N_MONTHS, engine=engine, batch_size=batch_size)
    assert_same(s, small)


def test_variables_can_be_left_out(small, engine, zcb):
    s = sc.generate(small.spec, zcb, N_MONTHS, engine=engine, short_rate=False, fund_return=False)
    assert s.short_rate is None and s.fund_return is None and s.variables == ("disc_factor",)
    assert bits(s.disc_factor) == bits(small.disc_factor)


class _RecordingEngine:
    """Stands in for the engine: records each call's size and returns zeros."""

    def __init__(self):
        self.calls: list[tuple[int, int]] = []
        self.ce_calls = 0

    def hull_white(self, *, zcb, first_id, n_scenarios, short_rate=True, fund_return=True, **_):
        T = zcb.size - 1
        if first_id == 0:
            self.ce_calls += 1
        else:
            self.calls.append((first_id, n_scenarios))
        out = {"disc_factor": np.ones((n_scenarios, T + 1))}
        if short_rate:
            out["short_rate"] = np.zeros((n_scenarios, T))
        if fund_return:
            out["fund_return"] = np.zeros((n_scenarios, T))
        return out


def test_default_batches_bound_engine_output(monkeypatch):
    assert sc.MAX_BATCH_BYTES == 64 * 2**20  # the documented bound per engine call
    monkeypatch.setattr(sc, "MAX_BATCH_BYTES", 2**20)  # same logic, smaller numbers
    eng = _RecordingEngine()
    T = 120
    zcb = np.exp(-0.03 * np.arange(T + 1) / 12)
    s = sc.generate(sc.hull_white(n=1000, seed=1), zcb, T, engine=eng)
    per_scenario = 8 * ((T + 1) + 2 * T)
    sizes = [k for _, k in eng.calls]
    assert sizes == [2**20 // per_scenario] * 2 + [1000 - 2 * (2**20 // per_scenario)]
    assert all(k * per_scenario <= 2**20 for k in sizes) and eng.ce_calls == 1
    # Contiguous, complete, in order: ids 1..n exactly once.
    assert [f for f, _ in eng.calls] == [1, 1 + sizes[0], 1 + sizes[0] + sizes[1]]
    assert s.n == 1000


@pytest.mark.parametrize(
    "zcb, n_months, fragment",
    [
        ([1.0, 0.99], 5, "zero-coupon curve P(0, m) covers m = 0..1 but the scenarios need m = 0..5"),
        ([1.0, 0.99, -0.5], 2, "zero-coupon curve: P(0, 2) = -0.5 is not a positive finite price"),
        ([1.0, math.nan, 0.98], 2, "zero-coupon curve: P(0, 1) = nan is not a positive finite price"),
        ([0.99, 0.98], 1, "zero-coupon curve: P(0, 0) = 0.99, expected 1"),
        ([1.0, 0.99], -1, "n_months: -1 is not a whole number of months"),
        ([1.0, 0.99], 1.0, "n_months: 1.0 is not a whole number of months"),
    ],
)
def test_generate_rejects_bad_curves(engine, zcb, n_months, fragment):
    with pytest.raises(AssumptionError, match=re.escape(fragment)):
        sc.generate(sc.hull_white(n=2), zcb, n_months, engine=engine)


def test_generate_for_basis_rejects_a_horizon_beyond_the_curve(engine, basis):
    with pytest.raises(AssumptionError, match=r"product basic_term_s: the discount curve covers t = 0\.\.1811 "
                                              r"months but the scenarios need t = 0\.\.1812"):
        sc.generate_for_basis(sc.hull_white(n=2), basis, basis.max_months, engine=engine)


def test_certainty_equivalent_alone(engine, zcb):
    ce = sc.certainty_equivalent(zcb, N_MONTHS, engine=engine)
    assert np.array_equal(ce.ids, [0]) and ce.source == "certainty_equivalent" and ce.spec is None
    assert bits(ce.disc_factor[0]) == bits(zcb)
    fwd = np.log(zcb[:-1] / zcb[1:])
    np.testing.assert_allclose(ce.short_rate[0], 12 * fwd, rtol=1e-14, atol=1e-17)
    np.testing.assert_allclose(np.log1p(ce.fund_return[0]), fwd, rtol=1e-13, atol=1e-17)
    ce3 = sc.certainty_equivalent(zcb, N_MONTHS, fund_excess=0.03, engine=engine)
    np.testing.assert_allclose(np.log1p(ce3.fund_return[0]), fwd + 0.03 / 12, rtol=1e-13)


# --------------------------------------------------------------------------------------
# check_covers
# --------------------------------------------------------------------------------------


def test_check_covers_generated(small):
    small.check_covers(N_MONTHS)  # returns of months 0..119, D(0..120)
    with pytest.raises(AssumptionError, match=r"scenario set hull_white \(sha256:[0-9a-f]{12}\.\.\.\) covers "
                                              r"t = 0\.\.119 but the longest policy needs t = 0\.\.120"):
        small.check_covers(N_MONTHS + 1)


def test_check_covers_file(tmp_path, small):
    path = tmp_path / "short.csv"
    ScenarioSet(ids=small.ids, n_months=N_MONTHS, disc_factor=small.disc_factor).write(path)
    s = sc.read_scenarios(path)
    assert s.last_t == 120
    s.check_covers(121)
    with pytest.raises(DataError, match=re.escape(f"scenario file {path} covers t = 0..120 but the longest "
                                                  "policy needs t = 0..240")):
        s.check_covers(241)
    with pytest.raises(DataError, match=re.escape("but policy 17 (term 20 years) needs t = 0..240")):
        s.check_covers(241, where="policy 17 (term 20 years)")


# --------------------------------------------------------------------------------------
# Files: round trips
# --------------------------------------------------------------------------------------

SUFFIXES = [".csv", ".csv.gz", ".parquet"]


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("layout", ["long", "wide"])
def test_round_trip_is_bit_exact(tmp_path, small, layout, suffix):
    path = tmp_path / f"scen{suffix}"
    written = small.write(path, layout=layout)
    if layout == "wide":
        assert written == [tmp_path / f"scen.{v}{suffix}" for v in sc.VARIABLES]
    else:
        assert written == [path]
    back = sc.read_scenarios(path, layout=layout)
    assert_same(back, small)
    assert back.content_hash == small.content_hash and back.version == small.content_hash
    assert back.spec is None and str(tmp_path) in back.source
    if layout == "wide":  # also by naming the files, and auto-detected from the name
        assert_same(sc.read_scenarios(**{v: tmp_path / f"scen.{v}{suffix}" for v in sc.VARIABLES}), small)
        assert_same(sc.read_scenarios(path), small)


def test_round_trip_keeps_awkward_doubles(tmp_path):
    rng = np.random.default_rng(3)
    fr = rng.standard_normal((4, 6)) * 10.0 ** rng.integers(-300, 0, (4, 6))
    fr[0, :3] = [-0.0, 5e-324, 0.1]
    disc = np.exp(-rng.random((4, 7)))
    disc[:, 0] = 1.0
    disc[1, 3] = 1.7976931348623157e308
    s = ScenarioSet(ids=np.arange(1, 5), n_months=6, disc_factor=disc, fund_return=fr)
    for layout in ("long", "wide"):
        for suffix in SUFFIXES:
            path = tmp_path / f"{layout}{suffix}"
            s.write(path, layout=layout)
            assert_same(sc.read_scenarios(path, layout=layout), s)


def test_round_trip_without_discount_factors(tmp_path):
    s = sc.read_scenarios(fund_return=LIFELIB_SLICE)
    for layout in ("long", "wide"):
        path = tmp_path / f"r_{layout}.parquet"
        s.write(path, layout=layout)
        back = sc.read_scenarios(path, layout=layout)
        assert back.disc_factor is None and back.n_months == 242
        assert_same(back, s)


def test_round_trip_without_ce_and_without_some_variables(tmp_path, small, engine, zcb):
    s = sc.generate(small.spec, zcb, N_MONTHS, engine=engine, short_rate=False)
    path = tmp_path / "x.csv"
    s.write(path, include_ce=False)
    back = sc.read_scenarios(path)
    assert back.ce is None and back.variables == ("disc_factor", "fund_return")
    assert_same(back, s, ce=False)
    # The CE scenario can be attached from the curve instead.
    with_ce = sc.read_scenarios(path, ce_zcb=zcb, engine=engine)
    assert bits(with_ce.ce.disc_factor[0]) == bits(zcb)


def test_gzip_output_is_deterministic(tmp_path, small):
    a, b = tmp_path / "a.csv.gz", tmp_path / "b.csv.gz"
    small.write(a)
    small.write(b)
    assert a.read_bytes() == b.read_bytes()


def test_long_csv_layout_is_as_documented(tmp_path):
    s = ScenarioSet(ids=[1, 2], n_months=2, disc_factor=[[1.0, 0.99, 0.98], [1.0, 0.995, 0.97]],
                    short_rate=[[0.01, 0.02], [0.03, 0.04]], fund_return=[[0.1, -0.1], [0.2, 0.0]])
    path = tmp_path / "s.csv"
    s.write(path)
    assert path.read_text().splitlines() == [
        "scenario,t,short_rate,disc_factor,fund_return",
        "1,0,0.01,1.0,0.1", "1,1,0.02,0.99,-0.1", "1,2,,0.98,",
        "2,0,0.03,1.0,0.2", "2,1,0.04,0.995,0.0", "2,2,,0.97,",
    ]
    s.write(tmp_path / "w.csv", layout="wide")
    assert (tmp_path / "w.fund_return.csv").read_text().splitlines() == [
        "scen_id,t0,t1", "1,0.1,-0.1", "2,0.2,0.0"]
    assert (tmp_path / "w.disc_factor.csv").read_text().splitlines()[0] == "scen_id,t0,t1,t2"


def test_frozen_long_fixture_keeps_loading():
    s = sc.read_scenarios(DATA / "long_3x4.csv")
    assert np.array_equal(s.ids, [1, 2, 3]) and s.n_months == 4
    assert s.variables == sc.VARIABLES
    assert s.disc_factor.tolist() == [[1.0, 0.9983, 0.99655, 0.9949, 0.99321],
                                      [1.0, 0.99833, 0.9971, 0.9963, 0.99555],
                                      [1.0, 0.9983, 0.9966, 0.9951, 0.9933]]
    assert s.fund_return.tolist() == [[0.031, -0.045, 0.012, 0.0], [1e-3, 2.5e-2, -0.03, 0.0041],
                                      [-0.01, 0.05, 0.15, -0.2]]
    assert s.short_rate[1].tolist() == [0.02, 0.015, 0.011, 0.009]
    assert s.ce is not None and s.ce.disc_factor[0].tolist() == [1.0, 0.99833472, 0.99667221, 0.99501248, 0.99335551]


# --------------------------------------------------------------------------------------
# lifelib's exported returns
# --------------------------------------------------------------------------------------


def _parse_with_python(path: Path) -> tuple[list[str], np.ndarray]:
    with gzip.open(path, "rt", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], np.array([[float(x) for x in r[1:]] for r in rows[1:]])


def test_lifelib_returns_read_bit_for_bit():
    s = sc.read_scenarios(fund_return=LIFELIB_SLICE)
    header, expected = _parse_with_python(LIFELIB_SLICE)
    assert header[0] == "scen_id" and header[1:] == [f"t{j}" for j in range(242)]
    assert np.array_equal(s.ids, np.arange(1, 21)) and s.n_months == 242 and s.last_t == 241
    assert s.disc_factor is None and s.short_rate is None and s.ce is None
    assert bits(s.fund_return) == bits(expected)
    s.check_covers(241)  # lifelib's CashValue_ME_EX4 benchmark projects t = 0..240
    # lifelib's own definition: r = exp((0.02 - 0.03**2/2)/12 + 0.03*sqrt(1/12)*eps) - 1 > -1
    assert np.all(s.fund_return > -1) and abs(float(np.mean(s.fund_return)) - 0.02 / 12) < 1e-3


@pytest.mark.skipif(not LIFELIB_FULL.exists(), reason="../shared/data/lifelib-savings not present")
def test_lifelib_slice_is_the_head_of_the_shared_file():
    full = sc.read_scenarios(fund_return=LIFELIB_FULL)
    part = sc.read_scenarios(fund_return=LIFELIB_SLICE)
    assert full.n == 1000 and bits(full.fund_return[:20]) == bits(part.fund_return)


# --------------------------------------------------------------------------------------
# Files: bad input, each a clear error naming file, row, column and value
# --------------------------------------------------------------------------------------

GOOD_LONG = """scenario,t,disc_factor,fund_return
1,0,1.0,0.01
1,1,0.99,0.02
1,2,0.98,
2,0,1.0,0.03
2,1,0.985,-0.01
2,2,0.97,
"""


def _replace_line(text: str, row: int, new: str | None) -> str:
    lines = text.splitlines()
    if new is None:
        del lines[row]
    else:
        lines[row] = new
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "row, new, fragment",
    [
        (2, "1,1,0.99x,0.02", "row 2 column 'disc_factor': '0.99x' is not a number"),
        (2, "1,1,nan,0.02", "row 2 column 'disc_factor': 'nan' is not a finite number"),
        (2, "1,1,,0.02", "row 2 column 'disc_factor': value is empty"),
        (2, "1,1,0.99,", "row 2 column 'fund_return': value is empty"),
        (2, "1,1,0.99,inf", "row 2 column 'fund_return': 'inf' is not a finite number"),
        (2, "1,1,0.0,0.02", "row 2 column 'disc_factor': 0.0 is not a positive discount factor"),
        (2, "1,1,-0.5,0.02", "row 2 column 'disc_factor': -0.5 is not a positive discount factor"),
        (2, "1,1,0.99,-1.0", "row 2 column 'fund_return': -1.0 makes the fund index non-positive (1 + R <= 0)"),
        (5, "2,1,0.985,-1.5", "row 5 column 'fund_return': -1.5 makes the fund index non-positive"),
        (3, "1,2,0.98,0.5", "row 3 column 'fund_return': 0.5 at t = 2 (the month from 2 to 3) lies beyond "
                            "the last discount factor D(2)"),
        (4, "1,1,0.99,0.02", "row 4: scenario 1 t = 1 appears again (first at row 2)"),
        (2, "1,-1,0.99,0.02", "row 2 column 't': -1 is negative"),
        (2, "1.5,1,0.99,0.02", "row 2 column 'scenario': '1.5' is not an integer"),
        (2, "x,1,0.99,0.02", "row 2 column 'scenario': 'x' is not an integer"),
        (5, None, "scenario 2: t = 1 is missing (t must run 0..N without gaps; next t found is 2, row 5)"),
        (6, None, "unequal lengths: scenario 2 runs t = 0..1 but scenario 1 runs t = 0..2"),
        (4, "-1,0,1.0,0.03", "row 4 column 'scenario': -1 is negative"),
    ],
)
def test_long_file_errors(tmp_path, row, new, fragment):
    path = tmp_path / "bad.csv"
    path.write_text(_replace_line(GOOD_LONG, row, new))
    with pytest.raises(DataError, match=re.escape(f"{path}") + r".*" + re.escape(fragment)):
        sc.read_scenarios(path)


def test_long_good_file_reads(tmp_path):
    path = tmp_path / "good.csv"
    path.write_text(GOOD_LONG)
    s = sc.read_scenarios(path)
    assert s.n_months == 2 and s.fund_return.tolist() == [[0.01, 0.02], [0.03, -0.01]]


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("scenario,disc_factor\n1,1.0\n", "missing column(s) 't'"),
        ("scenario,t,disc_factor,equity\n1,0,1.0,2\n", "unknown column(s) 'equity'"),
        ("scenario,t\n1,0\n", "no variable columns"),
        ("scenario,t,disc_factor\n", "no rows"),
        ("scenario,t,disc_factor\n1,0,1.0\n1,1,0.99\n3,0,1.0\n3,1,0.98\n",
         "column 'scenario': scenario ids must run 1..n without gaps; scenario 2 is missing"),
        ("scenario,t,disc_factor\n0,0,1.0\n0,1,0.99\n", "no stochastic scenarios (ids 1 .. n)"),
        ("scenario,t,fund_return\n1,0,0.1\n1,1,\n2,0,0.2\n2,1,0.3\n", "row 2 column 'fund_return': value is empty"),
    ],
)
def test_long_file_structure_errors(tmp_path, text, fragment):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=re.escape(fragment)):
        sc.read_scenarios(path)


def test_long_without_discount_factors_takes_the_length_from_the_values(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("scenario,t,fund_return\n1,0,0.1\n1,1,0.2\n2,0,0.3\n2,1,0.4\n")
    assert sc.read_scenarios(path).n_months == 2
    path.write_text("scenario,t,fund_return\n1,0,0.1\n1,1,\n2,0,0.3\n2,1,\n")
    assert sc.read_scenarios(path).n_months == 1


def test_parquet_nan_is_named(tmp_path):
    path = tmp_path / "bad.parquet"
    pl.DataFrame({"scenario": [1, 1], "t": [0, 1], "disc_factor": [1.0, math.nan]}).write_parquet(path)
    with pytest.raises(DataError, match=re.escape(f"{path} row 2 column 'disc_factor': nan is not a finite number")):
        sc.read_scenarios(path)


def _wide(path: Path, header: str, *rows: str) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


@pytest.mark.parametrize(
    "rows, fragment",
    [
        (("1,0.1,0.2,0.3", "1,0.1,0.2,0.3"), "row 2 column 'scen_id': scenario 1 appears again (first at row 1)"),
        (("1,0.1,0.2,0.3", "3,0.1,0.2,0.3"), "scenario ids must run 1..n without gaps; scenario 2 is missing"),
        (("1,0.1,nan,0.3", "2,0.1,0.2,0.3"), "row 1 column 't1': 'nan' is not a finite number"),
        (("1,0.1,0.2,0.3", "2,0.1,,0.3"), "row 2 column 't1': value is empty"),
        (("1,0.1,0.2,0.3", "2,0.1,-1.25,0.3"), "row 2 column 't1': -1.25 makes the fund index non-positive"),
        (("1,0.1,0.2,0.3", "2.0,0.1,0.2,0.3"), "row 2 column 'scen_id': '2.0' is not an integer"),
    ],
)
def test_wide_file_errors(tmp_path, rows, fragment):
    path = _wide(tmp_path / "fr.csv", "scen_id,t0,t1,t2", *rows)
    with pytest.raises(DataError, match=re.escape(f"{path} {fragment}" if "row" in fragment else fragment)):
        sc.read_scenarios(fund_return=path)


@pytest.mark.parametrize(
    "header, fragment",
    [
        ("scen_id,t0,t1,t3", "column 't2' is missing (columns must run t0..tN without gaps; found 't3')"),
        ("scen_id,t1,t2,t3", "column 't0' is missing"),
        ("scen_id,t0,t1,x", "column 'x' where 't2' was expected"),
        ("id,t0,t1,t2", "the first column must be 'scen_id' (or 'scenario'), got 'id'"),
    ],
)
def test_wide_header_errors(tmp_path, header, fragment):
    path = _wide(tmp_path / "fr.csv", header, "1,0.1,0.2,0.3")
    with pytest.raises(DataError, match=re.escape(fragment)):
        sc.read_scenarios(fund_return=path)


def test_wide_files_must_agree(tmp_path):
    fr = _wide(tmp_path / "fr.csv", "scen_id,t0,t1", "1,0.1,0.2", "2,0.1,0.2", "3,0.1,0.2")
    df_short = _wide(tmp_path / "df2.csv", "scen_id,t0,t1,t2", "1,1,0.99,0.98", "2,1,0.99,0.98")
    with pytest.raises(DataError, match=re.escape(f"scenario 3 is in {fr} but not in {df_short}")):
        sc.read_scenarios(fund_return=fr, disc_factor=df_short)
    df_long = _wide(tmp_path / "df4.csv", "scen_id,t0,t1,t2,t3", "1,1,0.99,0.98,0.97", "2,1,0.99,0.98,0.97",
                    "3,1,0.99,0.98,0.97")
    with pytest.raises(DataError, match=re.escape(f"unequal lengths: disc_factor file {df_long} has t0..t3 (3 months) "
                                                  f"but fund_return file {fr} has t0..t1 (expected t0..t2")):
        sc.read_scenarios(fund_return=fr, disc_factor=df_long)
    sr = _wide(tmp_path / "sr.csv", "scen_id,t0,t1,t2", "1,0.1,0.2,0.3", "2,0.1,0.2,0.3", "3,0.1,0.2,0.3")
    with pytest.raises(DataError, match="unequal lengths"):
        sc.read_scenarios(fund_return=fr, short_rate=sr)
    bad_df = _wide(tmp_path / "df3.csv", "scen_id,t0,t1,t2", "1,1,0.99,0.98", "2,1,0,0.98", "3,1,0.99,0.98")
    msg = f"{bad_df} row 2 column 't1': 0.0 is not a positive discount factor"
    with pytest.raises(DataError, match=re.escape(msg)):
        sc.read_scenarios(fund_return=fr, disc_factor=bad_df)
    good_df = _wide(tmp_path / "df.csv", "scen_id,t0,t1,t2", "3,1,0.99,0.98", "1,1,0.99,0.97", "2,1,0.99,0.96")
    s = sc.read_scenarios(fund_return=fr, disc_factor=good_df)  # rows in any order
    assert s.n_months == 2 and s.disc_factor[:, 2].tolist() == [0.97, 0.96, 0.98]


def test_file_level_errors(tmp_path, zcb):
    with pytest.raises(DataError, match="scenario file does not exist"):
        sc.read_scenarios(tmp_path / "none.csv", layout="long")
    with pytest.raises(DataError, match="no such file, nor per-variable files"):
        sc.read_scenarios(tmp_path / "none.csv")
    with pytest.raises(DataError, match=r"unknown scenario file format; use \.csv\.gz, \.csv, \.parquet"):
        sc.read_scenarios(fund_return=_wide(tmp_path / "x.txt", "scen_id,t0", "1,0.1"))
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("scenario,t,disc_factor\n1,0,1.0\n1,1,0,99,x\n")
    with pytest.raises(DataError, match=re.escape(f"{ragged} row 2:")):
        sc.read_scenarios(ragged)
    with pytest.raises(DataError, match="holds a scenario 0 .* and ce_zcb was given too"):
        sc.read_scenarios(DATA / "long_3x4.csv", ce_zcb=zcb)
    with pytest.raises(ValueError, match="needs a path"):
        sc.read_scenarios()
    with pytest.raises(ValueError, match="not both"):
        sc.read_scenarios(tmp_path / "a.csv", fund_return=tmp_path / "b.csv")


def test_scenario_set_checks_its_arrays():
    with pytest.raises(ValueError, match=r"disc_factor has shape \(2, 3\), expected \(2, 4\)"):
        ScenarioSet(ids=[1, 2], n_months=3, disc_factor=np.ones((2, 3)))
    with pytest.raises(ValueError, match="strictly increasing"):
        ScenarioSet(ids=[2, 1], n_months=1, disc_factor=np.ones((2, 2)))
    with pytest.raises(ValueError, match="at least one of"):
        ScenarioSet(ids=[1], n_months=1)


def test_content_hash_depends_on_values_only():
    a = ScenarioSet(ids=[1], n_months=1, fund_return=[[0.1]], source="x")
    b = ScenarioSet(ids=[1], n_months=1, fund_return=[[0.1]], source="y")
    c = ScenarioSet(ids=[1], n_months=1, fund_return=[[0.1000000000000001]])
    assert a.version == b.version != c.version
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", a.version)


def test_docstring_examples():
    import doctest

    result = doctest.testmod(sc, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
