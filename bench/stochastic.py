"""Benchmark: stochastic valuation, term products over Hull-White scenarios and the savings product on lifelib case C.

Run from the repository root (package installed, or ``PYTHONPATH=.``)::

    python bench/stochastic.py                          # tables, targets PASS/MISS (about a minute)
    python bench/stochastic.py --repeat 20              # more term runs (default 5)
    python bench/stochastic.py --savings-repeat 3       # more case C runs (default 1: each is seconds)
    python bench/stochastic.py --reference-points 500   # numpy reference subset (default 200 points)
    python bench/stochastic.py --no-stochastic-discount --json

Everything is measured in one process, in one run; ratios are formed from
numbers measured in that run, except the anchors (published or earlier
figures, printed as constants and marked so).

1. Term: 10,000 BasicTerm_S policies x 1,000 Hull-White scenarios
------------------------------------------------------------------
The bundled lifelib model points and assumptions, scenarios
``lc.hull_white(n=1000, seed=1)`` (default a = 0.05, sigma = 0.01) on the
product's curve, 241 months. A term policy's decrements do not depend on the
economy, so the engine values it separably (as ``lc.run(scenarios=...)`` does,
``livecalc_lab/valuation.py``): project the portfolio's monthly cashflows once,
summed exactly over the policies, then discount that vector with each
scenario's discount factors.

``(a) projection``
    ``Engine.value_term(basis, frame, cashflows=lines)``, its
    ``engine_seconds`` (the ``lc_value_term`` call, one thread): once with only
    the ``net_cf`` line (enough for the distribution of ``pv_net_cf``), once with
    the five PV lines ``premiums, claims, expenses, commissions, net_cf`` (what
    ``lc.run`` computes, for every PV component per scenario). For context, the
    same call without cashflows (per-policy PVs only, bench/basic_term.py's
    measurement).
``(b) discounting``
    ``Engine.discount_totals(cf, D)`` with D the 1,000 x 241 discount factors:
    the time inside the ``lc_discount_totals`` export (exact sums
    ``sum_t fl(cf(t) D_s(t))`` per scenario and line), and the whole host call
    (buffers in, accumulators out).
``(c) scenario generation``
    ``Engine.hull_white`` for 1,000 scenarios x 241 months, discount factors
    only (what a term valuation asks for): the ``lc_hull_white`` export and the
    host call. Reported apart from (a)+(b): a scenario set is generated once and
    shared by every valuation on the same curve and spec (``Session`` caches it).
``numpy baseline``
    The same separable computation in numpy: the reference model's portfolio
    cashflows (``livecalc_lab.model.reference.cashflows``: every per-policy
    array, then summed over policies), then ``cf @ D.T`` for the five lines.
``lc.run end to end``
    ``lc.run(scenarios=lc.hull_white(n=1000, seed=1))``: reading the bundled
    policies, checks, projection, scenario generation (a new session each run,
    so nothing is cached), discounting, CE value and statistics.

Engine times here are the wall time of the export calls through wasmtime
(Python-to-wasm call overhead included, tens of microseconds). The times of
the export calls other than ``lc_value_term`` are taken by wrapping the
thread's engine instance's ``call`` (a private host attribute, as
bench/basic_term.py does for its call overhead); without it the host-call
time is used and a note says so.

Target (DESIGN.md section 9): (a)+(b) at most 20 ms of engine time on one
core, checked for each variant. Anchor: the original LiveCalc WASM engine took
0.93 s single threaded for 10K x 1K.

2. Savings: lifelib case C, 10,000 points x 1,000 scenarios x 241 months
-------------------------------------------------------------------------
``tests/data/lifelib-savings``: model points ``model_points_bench10k.csv``,
fund returns ``scen_monthly_returns_1000x242.csv.gz``, assumption set ``ex4``,
product ``savings_ex4`` (lifelib CashValue_ME_EX4), discount factors
``reference_savings.disc_factors`` (lifelib's). 10^7 lanes (point, scenario)
on a 241-month grid: 2.4 x 10^9 lane-months nominally; the engine projects
each point only to its maturity (terms of 5 to 20 years), 1.5 x 10^9
lane-months of recursion, which the table states. EX4 has no decrements and
one discount curve, so the engine takes its 4-lane SIMD path.

``WASM engine, lean``
    ``Engine.value_savings(..., components=("pv_net_cf", "pv_gmab", "pv_gmdb"))``:
    per-scenario totals of those three PVs (exact sums over the points), one
    thread; ``engine_seconds``.
``WASM engine, full``
    All 13 PV components, exact totals both per scenario and per point.
``WASM kernel, no outputs``
    The same call with no totals asked for: the lanes run, nothing is summed.
    A profile aid: full - lean - kernel shows what the exact sums cost.
``WASM engine, lean, threads=N``
    ``threads=2`` by default: the wall time of the engine calls on N threads
    (one wasmtime store each, the points split in N slices); the speed-up is
    one-thread time / N-thread time. On a shared machine it needs N idle cores.
``numpy reference``
    ``livecalc_lab.model.reference_savings.value`` (the readable model, all 13
    PVs per lane) on the first ``--reference-points`` points (default 200) x
    1,000 scenarios, timed, and **extrapolated linearly** to 10,000 points
    (it steps every point over all 241 months, so its cost is proportional to
    the number of points). Reference / WASM is that extrapolation over the
    engine's time.

Checks: the per-point means (full outputs) against lifelib's
``ex4_bench10k_1000scen_pv_by_point_mean.csv.gz`` and the per-scenario sums
against ``ex4_bench10k_1000scen_pv_by_scen_sum.csv`` (largest relative
difference printed); the lean run's sum over points of the mean
``pv_net_cf`` and ``pv_gmab`` against lifelib's published totals; every PV of
every lane of the reference subset, engine (``per_lane=True``) against the
numpy reference, bit for bit; lean totals equal to the full run's, and the
threaded run's equal to one thread's, bit for bit.

Target: at most 2 s on one core (the lean run), bit-exact per lane. Anchors
(constants, not measured here): lifelib 395 s on 2 processes and an
independent numpy implementation 196 s on one core (the data README); a
throwaway prototype 7.4 s with a scalar per-lane WASM kernel, 1.8 s with WASM
SIMD across scenarios, 0.5 s native AVX-512.

3. Savings case C with stochastic discount factors
--------------------------------------------------
Hull-White scenarios with fund returns (``lc.hull_white(n=1000, seed=1)`` on
the EX4 curve, risk neutral, as ``lc.run`` generates them) and each scenario's
own discount factors: per-scenario discounting takes the engine's general
(scalar, one lane at a time) path. Its lean time, the generation time and the
ratio to the SIMD path are printed. ``--discount-path-check`` also runs the
lifelib returns with the deterministic curve repeated per scenario (general
path, same arithmetic), whose totals must equal the SIMD path's bit for bit.
``--no-stochastic-discount`` skips this section.

Timing: the term variants run in interleaved rounds (each round runs every
variant once, in a rotating order) after one warm-up round, ``--repeat``
rounds; the savings variants likewise, ``--savings-repeat`` rounds, after a
small warm-up call. The garbage collector is paused while timing. Tables show
the median and the minimum. The exit status is 0 whether or not the targets
pass (this is a benchmark, not a test); a failed check is printed as such.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
try:
    import livecalc_lab.engine  # noqa: F401
except ImportError:  # not installed: use the working tree
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))  # bench/_timing.py

from _timing import (  # noqa: E402
    Out, Timing, bits_equal, describe_machine, emit, gc_paused, machine, print_targets, rounds,
)

import livecalc_lab as lc  # noqa: E402
from livecalc_lab.assumptions import demo_assumptions, load_assumptions  # noqa: E402
from livecalc_lab.engine import _abi  # noqa: E402
from livecalc_lab.engine.host import ENGINE_PATH, default_engine  # noqa: E402
from livecalc_lab.model import reference, reference_savings  # noqa: E402
from livecalc_lab.model import scenarios as scen  # noqa: E402
from livecalc_lab.model.policies import (  # noqa: E402
    attach_premium_rates,
    check_policies,
    demo_policies_path,
    read_policies,
)
from livecalc_lab.model.savings_policies import read_savings_policies  # noqa: E402
from livecalc_lab.savings_valuation import engine_basis, engine_columns  # noqa: E402

# ---- constants ----------------------------------------------------------------------------

N_SCENARIOS = 1000
SEED = 1

TERM_PRODUCT = "basic_term_s"
TERM_LINES = ("premiums", "claims", "expenses", "commissions", "net_cf")  # the five PV lines, as lc.run
TERM_TARGET_S = 20e-3  # (a) + (b), 10K policies x 1K scenarios, one core (DESIGN.md section 9)
TERM_ANCHOR_S = 0.93  # original LiveCalc WASM engine, 10K x 1K, single threaded

SAV_DATA = ROOT / "tests" / "data" / "lifelib-savings"
SAV_PRODUCT = "savings_ex4"
SAV_LEAN = ("pv_net_cf", "pv_gmab", "pv_gmdb")
SAV_TARGET_S = 2.0  # case C, one core, WASM
# Case C anchors: figures from elsewhere, not measured here (seconds, label).
SAV_ANCHORS = {
    "lifelib": (395.0, "lifelib 0.17.2, 2 processes, wall (data README)"),
    "numpy_readme": (196.0, "independent numpy implementation, one core (data README)"),
    "prototype_scalar": (7.4, "throwaway prototype, scalar per-lane WASM kernel"),
    "prototype_simd": (1.8, "throwaway prototype, WASM SIMD across scenarios"),
    "prototype_avx512": (0.5, "throwaway prototype, native AVX-512 (beyond 128-bit wasm SIMD)"),
}
# lifelib's published case C totals (data README; also tests/model/test_reference_savings.py)
CASE_C_SUM_MEAN_PV_NET_CF = 3496737675906.5244
CASE_C_SUM_MEAN_PV_GMAB = 16364103862.84859


# ---- timing ---------------------------------------------------------------------------------


class _ExportClock:
    """Seconds spent in each engine export called on this thread's instance.

    Wraps the instance's ``call`` (private host API) for the duration of a
    ``with`` block; ``available`` is False (and nothing is wrapped) if the host
    has no such attribute, and then the callers time the whole host call.
    """

    def __init__(self, engine: Any):
        self.seconds: dict[str, float] = defaultdict(float)
        try:
            self.inst = engine._instance()
            self.available = callable(getattr(self.inst, "call", None))
        except Exception:
            self.inst, self.available = None, False

    def __enter__(self) -> _ExportClock:
        if self.available:
            inner = self.inst.call

            def timed(name: str, *args: Any, **kwargs: Any) -> Any:
                t0 = time.perf_counter()
                try:
                    return inner(name, *args, **kwargs)
                finally:
                    self.seconds[name] += time.perf_counter() - t0

            self.inst.call = timed
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.available:
            del self.inst.call  # the class's method again


def _max_rel(actual: np.ndarray, expected: np.ndarray) -> tuple[float, int]:
    """Largest |a - e| / |e| over the elements with e != 0, and how many e == 0 have a != 0."""
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    nz = e != 0
    rel = float(np.max(np.abs(a[nz] - e[nz]) / np.abs(e[nz]), initial=0.0))
    return rel, int(np.count_nonzero(a[~nz]))


# ---- 1. term ----------------------------------------------------------------------------------


def bench_term(engine: Any, repeat: int, notes: list[str]) -> dict[str, Any]:
    """10,000 BasicTerm_S policies x 1,000 Hull-White scenarios to per-scenario totals."""
    basis = demo_assumptions().basis(TERM_PRODUCT)
    pols = read_policies(demo_policies_path(TERM_PRODUCT))
    check_policies(pols, basis)
    frame = attach_premium_rates(pols, basis)
    spec = lc.hull_white(n=N_SCENARIOS, seed=SEED)
    n_months = engine.value_term(basis, frame, cashflows=("net_cf",)).cashflows.shape[1]
    zcb = engine.discount_factors(basis, n_months + 1)

    t: dict[str, Timing] = {}

    def timing(key: str, label: str) -> Timing:
        t[key] = Timing(key, label)
        return t[key]

    pv_only = timing("pv_only", "per-policy PVs only, no cashflows (context)")
    proj_net = timing("projection_net_cf", "(a) projection, net_cf line")
    proj_net_e2e = timing("projection_net_cf_call", "    whole value_term call")
    proj5 = timing("projection_5_lines", "(a) projection, 5 PV lines")
    proj5_e2e = timing("projection_5_lines_call", "    whole value_term call")
    disc1 = timing("discount_net_cf", "(b) discounting, 1 line x 1,000 scenarios")
    disc1_call = timing("discount_net_cf_call", "    whole discount_totals call")
    disc5 = timing("discount_5_lines", "(b) discounting, 5 lines x 1,000 scenarios")
    disc5_call = timing("discount_5_lines_call", "    whole discount_totals call")
    gen = timing("scenario_generation", "(c) Hull-White generation, 1,000 x 241 (disc. factors)")
    gen_call = timing("scenario_generation_call", "    whole hull_white call")
    np_proj = timing("numpy_projection", "numpy: reference cashflows, summed over policies")
    np_disc = timing("numpy_discount", "numpy: cf @ D.T, 5 lines")
    np_total = timing("numpy_total", "numpy baseline, total")
    run_e2e = timing("lc_run", "lc.run(scenarios=lc.hull_white(n=1000, seed=1))")

    state: dict[str, Any] = {}
    clock_ok = [True]

    def run_pv_only() -> None:
        pv_only.seconds.append(engine.value_term(basis, frame).engine_seconds)

    def run_projection(lines: tuple[str, ...], eng_t: Timing, call_t: Timing, key: str) -> Callable[[], None]:
        def go() -> None:
            t0 = time.perf_counter()
            val = engine.value_term(basis, frame, cashflows=lines)
            call_t.seconds.append(time.perf_counter() - t0)
            eng_t.seconds.append(val.engine_seconds)
            state[key] = np.stack([val.cashflows[_abi.CF_NAMES.index(k)] for k in lines])
        return go

    def run_generation() -> None:
        with _ExportClock(engine) as clock:
            t0 = time.perf_counter()
            out = engine.hull_white(a=spec.a, sigma=spec.sigma, fund_sigma=spec.fund_sigma,
                                    fund_excess=spec.fund_excess, seed=spec.seed, zcb=zcb, first_id=1,
                                    n_scenarios=spec.n, short_rate=False, fund_return=False)
            wall = time.perf_counter() - t0
        clock_ok[0] &= clock.available
        gen_call.seconds.append(wall)
        gen.seconds.append(clock.seconds["lc_hull_white"] if clock.available else wall)
        state["D"] = out["disc_factor"][:, :n_months]

    def run_discount(key: str, eng_t: Timing, call_t: Timing, out_key: str) -> Callable[[], None]:
        def go() -> None:
            cf, D = state[key], state["D"]
            with _ExportClock(engine) as clock:
                t0 = time.perf_counter()
                acc = engine.discount_totals(cf, D)
                wall = time.perf_counter() - t0
            clock_ok[0] &= clock.available
            call_t.seconds.append(wall)
            eng_t.seconds.append(clock.seconds["lc_discount_totals"] if clock.available else wall)
            state[out_key] = acc
        return go

    def run_numpy() -> None:
        D = state["D"]
        t0 = time.perf_counter()
        cf = reference.cashflows(frame, basis)
        M = np.stack([cf[k].to_numpy() for k in TERM_LINES])
        t1 = time.perf_counter()
        pv = M @ D.T
        t2 = time.perf_counter()
        np_proj.seconds.append(t1 - t0)
        np_disc.seconds.append(t2 - t1)
        np_total.seconds.append(t2 - t0)
        state["numpy_pv"] = pv

    def run_lc_run() -> None:
        t0 = time.perf_counter()
        res = lc.run(scenarios=spec)
        run_e2e.seconds.append(time.perf_counter() - t0)
        state["run"] = res

    # First calls outside the rounds give the inputs later runners need.
    run_projection(("net_cf",), Timing("", ""), Timing("", ""), "cf_net")()
    run_projection(TERM_LINES, Timing("", ""), Timing("", ""), "cf5")()
    run_generation()
    gen.seconds.clear()
    gen_call.seconds.clear()
    runners = [
        run_pv_only,
        run_projection(("net_cf",), proj_net, proj_net_e2e, "cf_net"),
        run_projection(TERM_LINES, proj5, proj5_e2e, "cf5"),
        run_discount("cf_net", disc1, disc1_call, "acc_net"),
        run_discount("cf5", disc5, disc5_call, "acc5"),
        run_generation,
        run_numpy,
        run_lc_run,
    ]
    rounds(runners, repeat, warmup=1)
    for tm in t.values():
        tm.seconds = tm.seconds[-repeat:]  # drop the warm-up round
    if not clock_ok[0]:
        notes.append("term: engine instance not wrappable; (b) and (c) are whole host-call times")

    a_net, a5 = proj_net.median, proj5.median
    b1, b5 = disc1.median, disc5.median
    totals = {"net_cf": a_net + b1, "five_lines": a5 + b5}

    # Checks: the net_cf-only path equals the five-line path; lc.run gives the same
    # per-scenario totals; numpy agrees to rounding.
    pv_net = engine.exact_round(state["acc_net"])[:, 0]
    pv5 = engine.exact_round(state["acc5"])
    run_res = state["run"]
    run_net = run_res.per_scenario["pv_net_cf"].to_numpy()
    np_rel, _ = _max_rel(state["numpy_pv"][TERM_LINES.index("net_cf")], pv5[:, TERM_LINES.index("net_cf")])
    checks = {
        "net_cf_only_equals_five_lines": bits_equal(pv_net, pv5[:, TERM_LINES.index("net_cf")]),
        "lc_run_per_scenario_equals_bench": bits_equal(run_net, pv5[:, TERM_LINES.index("net_cf")]),
        "numpy_pv_net_cf_max_rel_diff": np_rel,
        "mean_pv_net_cf": float(run_res.statistics.mean),
        "pv_net_cf_ce": float(run_res.pv_net_cf_ce),
        "lc_run_engine_seconds": float(run_res.engine_seconds),
    }
    ratios = {
        "anchor_over_net_cf": TERM_ANCHOR_S / totals["net_cf"],
        "anchor_over_five_lines": TERM_ANCHOR_S / totals["five_lines"],
        "numpy_over_five_lines": np_total.median / totals["five_lines"],
        "numpy_over_net_cf": np_total.median / totals["net_cf"],
        "numpy_projection_over_projection_5_lines": np_proj.median / a5,
        "numpy_discount_over_discount_5_lines": np_disc.median / b5,
    }
    return {
        "product": TERM_PRODUCT,
        "n_policies": frame.height,
        "n_scenarios": spec.n,
        "n_months": int(n_months),
        "scenario_spec": spec.to_dict(),
        "timings": {k: v.as_dict() for k, v in t.items()},
        "engine_a_plus_b_s": totals,
        "engine_a_plus_b_plus_c_s": {k: v + gen.median for k, v in totals.items()},
        "ratios": ratios,
        "checks": checks,
    }


# ---- 2 and 3. savings, lifelib case C ---------------------------------------------------------


def _fund_returns() -> np.ndarray:
    """r[s, t], shape (1000, 242): lifelib scenario s + 1 is row s."""
    frame = pl.read_csv(SAV_DATA / "scen_monthly_returns_1000x242.csv.gz", infer_schema=False)
    if frame["scen_id"].cast(pl.Int64).to_list() != list(range(1, frame.height + 1)):
        raise AssertionError("scenario file rows are not scen_id 1..n in order")
    return frame.drop("scen_id").cast(pl.Float64).to_numpy()


def _lifelib(name: str) -> pl.DataFrame:
    raw = pl.read_csv(SAV_DATA / name, infer_schema=False)
    ints = [c for c in ("point_id", "scen_id") if c in raw.columns]
    return raw.select(pl.col(ints).cast(pl.Int64), pl.exclude(ints).cast(pl.Float64))


def bench_savings(engine: Any, repeat: int, ref_points: int, threads: int, stochastic_discount: bool,
                  path_check: bool, notes: list[str]) -> dict[str, Any]:
    """Case C: 10,000 EX4 points x 1,000 lifelib scenarios; engine variants and the numpy reference."""
    basis = load_assumptions(SAV_DATA / "ex4").basis(SAV_PRODUCT)
    pols = read_savings_policies(SAV_DATA / "model_points_bench10k.csv")
    frame = basis.policy_spec_columns(pols.frame, pols.source)
    eb, cols = engine_basis(basis), engine_columns(frame, basis)
    n = frame.height
    lens = reference_savings.proj_len(cols["duration_mth"].astype(np.int64), cols["policy_term"].astype(np.int64))
    T = int(lens.max())
    R = np.ascontiguousarray(_fund_returns()[:, :T])
    S = R.shape[0]
    v = reference_savings.disc_factors(T, basis)
    names = _abi.SAV_PV_NAMES
    lean_mask = [names.index(c) for c in SAV_LEAN]

    t: dict[str, Timing] = {}
    last: dict[str, Any] = {}

    def variant(key: str, label: str, **kw: Any) -> Callable[[], None]:
        t[key] = Timing(key, label)

        def go() -> None:
            out = engine.value_savings(eb, cols, R, v, **kw)
            t[key].seconds.append(out.engine_seconds)
            last[key] = out
        return go

    runners = [
        variant("lean", "WASM engine, lean: per-scenario totals of 3 PVs", components=SAV_LEAN),
        variant("full", "WASM engine, full: 13 PVs, per-scenario + per-point totals", scenario_totals=True,
                point_totals=True),
        variant("kernel", "WASM kernel, no outputs (profile aid)", scenario_totals=False),
        variant("lean_threads", f"WASM engine, lean, threads={threads} (wall)", components=SAV_LEAN,
                threads=threads),
    ]
    # warm-up: instantiate per thread, grow memory a little
    head = {k: a[:8] for k, a in cols.items()}
    engine.value_savings(eb, head, R, v, components=SAV_LEAN, threads=threads)
    rounds(runners, repeat, warmup=0)

    # numpy reference on a subset, extrapolated linearly to all points
    m = max(1, min(ref_points, n))
    sub = pols.frame.head(m)
    ref_t = Timing("reference_subset", f"numpy reference_savings.value, {m:,} points x {S:,} scenarios")
    ref_out: dict[str, np.ndarray] = {}
    with gc_paused():
        for _ in range(repeat):
            t0 = time.perf_counter()
            ref_out = reference_savings.value(sub, basis, R, v)
            ref_t.seconds.append(time.perf_counter() - t0)
    ref_extrap = ref_t.median * n / m

    # per-lane bit check on the subset: engine per_lane vs the reference
    sub_cols = {k: a[:m] for k, a in cols.items()}
    lanes = engine.value_savings(eb, sub_cols, R, v, per_lane=True, scenario_totals=False).pv  # (13, m, S)
    lane_diff = {}
    equal_values = 0
    for k, name in enumerate(names):
        a, e = lanes[k], ref_out[name]
        same = a.view(np.uint64) == np.ascontiguousarray(e).view(np.uint64)
        equal_values += int(same.sum())
        if not same.all():
            lane_diff[name] = {"differing": int((~same).sum()), "max_rel_diff": _max_rel(a, e)[0]}
    n_values = len(names) * m * S

    # checks against lifelib
    full, lean = last["full"], last["lean"]
    mean_ref = _lifelib("ex4_bench10k_1000scen_pv_by_point_mean.csv.gz").sort("point_id")
    sum_ref = _lifelib("ex4_bench10k_1000scen_pv_by_scen_sum.csv").sort("scen_id")
    ids_ok = mean_ref["point_id"].to_list() == frame["policy_id"].to_list() and \
        sum_ref["scen_id"].to_list() == list(range(1, S + 1))
    point_rel, scen_rel, zero_mismatch = 0.0, 0.0, 0
    per_column = {}
    for k, name in enumerate(names):
        if name not in mean_ref.columns:
            continue  # pv_maint_fee: not in lifelib's EX4 output
        pr, zm = _max_rel(full.point_totals[:, k] / S, mean_ref[name].to_numpy())
        sr, zs = _max_rel(full.scenario_totals[:, k], sum_ref[name].to_numpy())
        per_column[name] = {"per_point_mean_max_rel": pr, "per_scenario_sum_max_rel": sr}
        point_rel, scen_rel, zero_mismatch = max(point_rel, pr), max(scen_rel, sr), zero_mismatch + zm + zs
    net, gmab = names.index("pv_net_cf"), names.index("pv_gmab")
    sum_mean_net = math.fsum(lean.scenario_totals[:, net].tolist()) / S
    sum_mean_gmab = math.fsum(lean.scenario_totals[:, gmab].tolist()) / S
    checks = {
        "ids_match_lifelib_files": ids_ok,
        "per_point_mean_max_rel_diff": point_rel,
        "per_scenario_sum_max_rel_diff": scen_rel,
        "zero_in_lifelib_nonzero_here": zero_mismatch,
        "per_column": per_column,
        "sum_mean_pv_net_cf": sum_mean_net,
        "sum_mean_pv_net_cf_rel_diff": abs(sum_mean_net - CASE_C_SUM_MEAN_PV_NET_CF) / CASE_C_SUM_MEAN_PV_NET_CF,
        "sum_mean_pv_gmab": sum_mean_gmab,
        "sum_mean_pv_gmab_rel_diff": abs(sum_mean_gmab - CASE_C_SUM_MEAN_PV_GMAB) / CASE_C_SUM_MEAN_PV_GMAB,
        "lean_equals_full": bits_equal(lean.scenario_totals[:, lean_mask], full.scenario_totals[:, lean_mask]),
        "threads_equal_one_thread": bits_equal(last["lean_threads"].scenario_totals[:, lean_mask],
                                               lean.scenario_totals[:, lean_mask]),
        "reference_subset_points": m,
        "per_lane_values_compared": n_values,
        "per_lane_values_bit_identical": equal_values,
        "per_lane_differences": lane_diff,
    }

    lean_s = t["lean"].median
    lane_months = int(lens.sum()) * S
    result: dict[str, Any] = {
        "product": SAV_PRODUCT,
        "n_points": n,
        "n_scenarios": S,
        "n_months": T,
        "lane_months_nominal": n * S * T,
        "lane_months_projected": lane_months,
        "threads": threads,
        "timings": {k: v.as_dict() for k, v in t.items()} | {"reference_subset": ref_t.as_dict()},
        "reference_extrapolated_s": ref_extrap,
        "ns_per_projected_lane_month": {k: v.median / lane_months * 1e9 for k, v in t.items()
                                        if k != "lean_threads"},
        "ratios": {
            "reference_extrapolated_over_lean": ref_extrap / lean_s,
            "reference_extrapolated_over_full": ref_extrap / t["full"].median,
            "full_over_lean": t["full"].median / lean_s,
            "kernel_over_lean": t["kernel"].median / lean_s,
            "threads_speedup": lean_s / t["lean_threads"].median,
            **{f"{k}_over_lean": s / lean_s for k, (s, _) in SAV_ANCHORS.items()},
        },
        "anchors_s": {k: {"seconds": s, "label": label} for k, (s, label) in SAV_ANCHORS.items()},
        "checks": checks,
    }
    if stochastic_discount:
        result["stochastic_discount"] = _bench_stochastic_discount(engine, basis, eb, cols, R, v, T, repeat, lean,
                                                                   lean_s, path_check)
    return result


def _bench_stochastic_discount(engine: Any, basis: Any, eb: Any, cols: dict[str, np.ndarray], R: np.ndarray,
                               v: np.ndarray, T: int, repeat: int, simd_lean: Any, simd_lean_s: float,
                               path_check: bool) -> dict[str, Any]:
    """Case C's points with per-scenario discount factors: the engine's general path."""
    spec = lc.hull_white(n=N_SCENARIOS, seed=SEED)
    t0 = time.perf_counter()
    sset = scen.generate_for_basis(spec, basis, T, short_rate=False, fund_return=True)
    gen_s = time.perf_counter() - t0
    FR = np.ascontiguousarray(sset.fund_return[:, :T])
    D = np.ascontiguousarray(sset.disc_factor[:, :T])
    hw = Timing("hull_white_lean", "Hull-White returns and discount factors, lean, 1 thread")
    out: Any = None
    with gc_paused():
        for _ in range(repeat):
            out = engine.value_savings(eb, cols, FR, D, components=SAV_LEAN)
            hw.seconds.append(out.engine_seconds)
    net, gmab = _abi.SAV_PV_NAMES.index("pv_net_cf"), _abi.SAV_PV_NAMES.index("pv_gmab")
    res: dict[str, Any] = {
        "scenario_spec": spec.to_dict(),
        "generation_s": gen_s,
        "timings": {"hull_white_lean": hw.as_dict()},
        "general_over_simd_lean": hw.median / simd_lean_s,
        "mean_pv_net_cf": math.fsum(out.scenario_totals[:, net].tolist()) / out.scenario_totals.shape[0],
        "mean_pv_gmab": math.fsum(out.scenario_totals[:, gmab].tolist()) / out.scenario_totals.shape[0],
    }
    if path_check:
        tiled = Timing("tiled_curve_lean", "lifelib returns, curve repeated per scenario, lean")
        with gc_paused():
            for _ in range(repeat):
                o = engine.value_savings(eb, cols, R, np.tile(v, (R.shape[0], 1)), components=SAV_LEAN)
                tiled.seconds.append(o.engine_seconds)
        res["timings"]["tiled_curve_lean"] = tiled.as_dict()
        res["tiled_equals_simd_path"] = bits_equal(o.scenario_totals, simd_lean.scenario_totals)
    return res

# ---- report -----------------------------------------------------------------------------------


def _targets(term: dict[str, Any] | None, sav: dict[str, Any] | None) -> list[dict[str, Any]]:
    out = []
    if term:
        for key, what in (("net_cf", "net_cf line only"), ("five_lines", "5 PV lines")):
            value = term["engine_a_plus_b_s"][key]
            out.append({"target": f"term 10K x 1K per-scenario totals, {what}: (a)+(b) engine time, 1 core",
                        "value": value, "limit": TERM_TARGET_S, "unit": "s", "shown_in": "ms",
                        "pass": value <= TERM_TARGET_S})
    if sav:
        value = sav["timings"]["lean"]["median_s"]
        out.append({"target": "savings case C, lean outputs: WASM engine time, 1 core", "value": value,
                    "limit": SAV_TARGET_S, "unit": "s", "pass": value <= SAV_TARGET_S})
        value = sav["timings"]["full"]["median_s"]
        out.append({"target": "savings case C, full outputs: WASM engine time, 1 core (same limit, for reference)",
                    "value": value, "limit": SAV_TARGET_S, "unit": "s", "pass": value <= SAV_TARGET_S})
        c = sav["checks"]
        out.append({"target": f"savings bit-exact per lane (engine vs numpy reference, "
                              f"{c['reference_subset_points']:,} points x {sav['n_scenarios']:,} scenarios, 13 PVs)",
                    "value": c["per_lane_values_bit_identical"], "limit": c["per_lane_values_compared"],
                    "unit": "values", "pass": c["per_lane_values_bit_identical"] == c["per_lane_values_compared"]})
    return out


def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _ms(s: float) -> str:
    return f"{s * 1e3:,.2f}"


def _s(s: float) -> str:
    return f"{s:,.3f}"


def _print_term(o: Out, term: dict[str, Any]) -> None:
    tm = term["timings"]
    rows = [[v["label"], _ms(v["median_s"]), _ms(v["min_s"]), str(v["runs"])] for v in tm.values()]
    o.table(f"1. Term: {term['n_policies']:,} BasicTerm_S policies x {term['n_scenarios']:,} Hull-White scenarios "
            f"x {term['n_months']} months (a={term['scenario_spec']['a']}, sigma={term['scenario_spec']['sigma']}, "
            f"seed {term['scenario_spec']['seed']})", ["measurement", "median ms", "min ms", "runs"], rows)
    ab, abc, r = term["engine_a_plus_b_s"], term["engine_a_plus_b_plus_c_s"], term["ratios"]
    o.say(f"  (a)+(b) engine time: net_cf line only {_ms(ab['net_cf'])} ms; 5 PV lines {_ms(ab['five_lines'])} ms "
          f"(sums of medians); with (c) generation: {_ms(abc['net_cf'])} / {_ms(abc['five_lines'])} ms")
    o.say(f"  anchor, original LiveCalc WASM 10K x 1K single threaded: {TERM_ANCHOR_S} s (constant) -> "
          f"{r['anchor_over_net_cf']:.0f}x (net_cf only), {r['anchor_over_five_lines']:.0f}x (5 lines)")
    o.say(f"  numpy baseline (measured) / WASM (a)+(b): {r['numpy_over_five_lines']:.1f}x (5 lines), "
          f"{r['numpy_over_net_cf']:.1f}x (net_cf only); "
          f"projection {r['numpy_projection_over_projection_5_lines']:.1f}x, "
          f"discounting {r['numpy_discount_over_discount_5_lines']:.2f}x (numpy's matmul is not an exact sum)")
    c = term["checks"]
    o.say(f"  checks: net_cf-only per-scenario pv_net_cf "
          f"{'identical' if c['net_cf_only_equals_five_lines'] else 'DIFFER'} "
          f"to the 5-line path's; lc.run per-scenario pv_net_cf "
          f"{'identical' if c['lc_run_per_scenario_equals_bench'] else 'DIFFER'}; numpy max relative difference "
          f"{c['numpy_pv_net_cf_max_rel_diff']:.1e}")
    o.say(f"  lc.run: mean pv_net_cf {c['mean_pv_net_cf']:,.2f}, CE {c['pv_net_cf_ce']:,.2f}, "
          f"its engine_seconds {_ms(c['lc_run_engine_seconds'])} ms")


def _print_savings(o: Out, sav: dict[str, Any]) -> None:
    tm = sav["timings"]
    lean = tm["lean"]["median_s"]
    rows = [[v["label"], _s(v["median_s"]), _s(v["min_s"]), str(v["runs"]), f"{v['median_s'] / lean:.2f}"]
            for k, v in tm.items()]
    ext = sav["reference_extrapolated_s"]
    rows.append([f"numpy reference, EXTRAPOLATED linearly to {sav['n_points']:,} points", _s(ext), "", "",
                 f"{ext / lean:.1f}"])
    for k, (secs, label) in SAV_ANCHORS.items():
        rows.append([f"anchor (constant): {label}", _s(secs), "", "", f"{secs / lean:.2f}"])
    o.table(f"2. Savings, lifelib case C (EX4): {sav['n_points']:,} points x {sav['n_scenarios']:,} scenarios x "
            f"{sav['n_months']} months = {sav['lane_months_nominal'] / 1e9:.2f}e9 lane-months "
            f"({sav['lane_months_projected'] / 1e9:.2f}e9 projected: each point to its maturity)",
            ["measurement", "median s", "min s", "runs", "÷ lean"], rows)
    r, c, ns = sav["ratios"], sav["checks"], sav["ns_per_projected_lane_month"]
    o.say(f"  per projected lane-month: lean {ns['lean']:.2f} ns, full {ns['full']:.2f} ns, kernel alone "
          f"{ns['kernel']:.2f} ns; full / lean {r['full_over_lean']:.2f}, kernel / lean {r['kernel_over_lean']:.2f}")
    o.say(f"  numpy reference (measured on {c['reference_subset_points']:,} points, extrapolated) / WASM: "
          f"{r['reference_extrapolated_over_lean']:.1f}x lean, {r['reference_extrapolated_over_full']:.1f}x full")
    o.say(f"  threads={sav['threads']}: speed-up {r['threads_speedup']:.2f}x over one thread (lean, wall); "
          f"totals {'identical' if c['threads_equal_one_thread'] else 'DIFFER'}")
    o.say(f"  checks vs lifelib: per-point means max relative difference {c['per_point_mean_max_rel_diff']:.1e}, "
          f"per-scenario sums {c['per_scenario_sum_max_rel_diff']:.1e} (12 columns; "
          f"{c['zero_in_lifelib_nonzero_here']} values non-zero where lifelib has 0; ids "
          f"{'match' if c['ids_match_lifelib_files'] else 'DO NOT MATCH'})")
    o.say(f"  sum over points of mean pv_net_cf {c['sum_mean_pv_net_cf']:,.4f} "
          f"(lifelib {CASE_C_SUM_MEAN_PV_NET_CF:,.4f}, "
          f"rel {c['sum_mean_pv_net_cf_rel_diff']:.1e}); of mean pv_gmab {c['sum_mean_pv_gmab']:,.5f} "
          f"(rel {c['sum_mean_pv_gmab_rel_diff']:.1e}); lean totals "
          f"{'identical' if c['lean_equals_full'] else 'DIFFER'} to the full run's")
    o.say(f"  per lane, engine vs numpy reference: {c['per_lane_values_bit_identical']:,} of "
          f"{c['per_lane_values_compared']:,} values bit-identical"
          + ("" if not c["per_lane_differences"] else f"; differences: {c['per_lane_differences']}"))
    sd = sav.get("stochastic_discount")
    if sd:
        rows = [[v["label"], _s(v["median_s"]), _s(v["min_s"]), str(v["runs"]), f"{v['median_s'] / lean:.2f}"]
                for v in sd["timings"].values()]
        o.table("3. Savings case C points, per-scenario (stochastic) discount factors: the engine's general path",
                ["measurement", "median s", "min s", "runs", "÷ SIMD lean"], rows)
        o.say(f"  generation of the Hull-White set (1,000 x {sav['n_months']}, fund returns and discount factors): "
              f"{_ms(sd['generation_s'])} ms; general / SIMD path {sd['general_over_simd_lean']:.1f}x; "
              f"mean pv_net_cf {sd['mean_pv_net_cf']:,.2f}, mean pv_gmab {sd['mean_pv_gmab']:,.2f} "
              "(other scenarios: not comparable with case C)")
        if "tiled_equals_simd_path" in sd:
            o.say(f"  curve repeated per scenario: totals {'identical' if sd['tiled_equals_simd_path'] else 'DIFFER'} "
                  "to the SIMD path's")


def _print_report(report: dict[str, Any]) -> None:
    o = Out(piped_width=140)  # wide enough for the labels when the output is not a terminal (rich assumes 80)
    m = report["machine"]
    o.say(f"LiveCalc Lab stochastic benchmark: {describe_machine(m, ('wasmtime', 'numpy', 'polars'))}")
    o.say(f"engine {report['engine_version'][:23]}..., runs: {report['repeat']} (term), "
          f"{report['savings_repeat']} (savings); load average {report['load_before']} before, "
          f"{report['load_after']} after")
    if report["term"]:
        _print_term(o, report["term"])
    if report["savings"]:
        _print_savings(o, report["savings"])
    for note in report["notes"]:
        o.say(note)
    print_targets(o, report["targets"], _target_value)


def _target_value(t: dict[str, Any]) -> str:
    if t.get("shown_in") == "ms":
        return f"{_ms(t['value'])} ms ≤ {_ms(t['limit'])} ms"
    if t["unit"] == "s":
        return f"{_s(t['value'])} s ≤ {_s(t['limit'])} s"
    return f"{t['value']:,} of {t['limit']:,} {t['unit']}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--repeat", type=int, default=5, metavar="N", help="timed rounds of the term variants (default 5)")
    ap.add_argument("--savings-repeat", type=int, default=1, metavar="N",
                    help="timed rounds of the case C variants (default 1; each round takes seconds)")
    ap.add_argument("--reference-points", type=int, default=200, metavar="N",
                    help="points of case C the numpy reference values (default 200), extrapolated to 10,000; "
                    "memory grows as 13 x N x 1,000 doubles for the reference and again for the engine's lanes")
    ap.add_argument("--threads", type=int, default=2, metavar="N",
                    help="threads of the threaded savings run (default 2)")
    ap.add_argument("--no-term", action="store_true", help="skip the term section")
    ap.add_argument("--no-savings", action="store_true", help="skip the savings sections")
    ap.add_argument("--no-stochastic-discount", action="store_true",
                    help="skip section 3 (savings with per-scenario discount factors, ~20 s a run)")
    ap.add_argument("--discount-path-check", action="store_true",
                    help="section 3 also runs the curve repeated per scenario and checks the SIMD path's bits")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = ap.parse_args(argv)
    repeat, sav_repeat = max(1, args.repeat), max(1, args.savings_repeat)

    notes: list[str] = []
    sources = [*(ROOT / "engine" / "src").glob("*.c"), *(ROOT / "engine" / "include").glob("*.h")]
    if sources and ENGINE_PATH.is_file() and ENGINE_PATH.stat().st_mtime < max(p.stat().st_mtime for p in sources):
        notes.append(f"warning: {ENGINE_PATH} is older than engine/src: rebuild it (python engine/build.py wasm)")
    load_before = _load()
    engine = default_engine()
    term = None if args.no_term else bench_term(engine, repeat, notes)
    sav = None
    if not args.no_savings:
        if not (SAV_DATA / "model_points_bench10k.csv").is_file():
            notes.append(f"savings skipped: {SAV_DATA} not found (run from a repository checkout)")
        else:
            sav = bench_savings(engine, sav_repeat, args.reference_points, max(1, args.threads),
                                not args.no_stochastic_discount, args.discount_path_check, notes)
    report = {
        "benchmark": "bench/stochastic.py",
        "machine": machine(),
        "engine_version": engine.version,
        "repeat": repeat,
        "savings_repeat": sav_repeat,
        "load_before": load_before,
        "load_after": _load(),
        "term": term,
        "savings": sav,
        "targets": _targets(term, sav),
        "notes": notes,
    }
    emit(report, args.json, _print_report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
