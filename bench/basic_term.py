"""Benchmark: value the bundled lifelib BasicTerm model points with the WASM engine, natively and in numpy.

Run from the repository root (package installed, or ``PYTHONPATH=.``)::

    python bench/basic_term.py                 # tables, targets PASS/MISS
    python bench/basic_term.py --repeat 200    # more engine/native runs
    python bench/basic_term.py --json          # one JSON object on stdout

What is measured
----------------
For each product (BasicTerm_S: 10,000 new-business policies, equivalence premium;
BasicTerm_SE: the same 10,000 points in force by ``duration_mth``, table premium),
in one process, on the same policy frame and assumptions:

``WASM engine``
    The wall time of the ``lc_value_term`` call inside wasmtime, one thread, one
    call for all 10,000 policies: ``TermValuation.engine_seconds`` of
    :meth:`livecalc_lab.engine.Engine.value_term`. It includes the Python to
    wasmtime call overhead (tens of microseconds, shown separately below the
    table), nothing else.
``WASM end-to-end``
    The wall time of the whole ``value_term`` call: polars columns to numpy,
    buffers written into linear memory, the kernel, results copied out, exact
    totals merged and rounded.
``native``
    The same C sources compiled into a shared library by ``engine/build.py``'s
    ``build_native()`` (ziglang's clang with the wasm build's flags, ``-O3``, no
    ``-march``) and called with ctypes on numpy buffers (``bench/_native.py``);
    only the foreign call is timed. Note that ``zig cc`` without ``-target``
    compiles for the build machine's CPU (as ``-march=native`` would), and
    that it hands ``-O3`` to clang as ``-O2`` for both targets. Its per-policy PVs and exact totals must equal the WASM ones bit for
    bit (the benchmark raises ``AssertionError`` otherwise). With gcc on
    ``PATH`` a gcc ``-O3`` build is timed too (a second native reference;
    the targets use the zig build).
``numpy reference``
    :func:`livecalc_lab.model.reference.value`, the readable model, from the
    same polars frame to a frame of per-policy PVs (end to end).

WASM and native runs are interleaved (every round runs each variant once, in
a rotating order, ``--repeat`` rounds, default 50, after 3 warm-up rounds), so
load from other processes hits them alike; the reference runs
``--reference-repeat`` times (default 5) after one warm-up. The garbage
collector is paused while timing. The tables show the median and the minimum.

How to read the ratios
----------------------
``WASM / native`` is median WASM engine time over median native time for the
same kernel (the ratio of the minimums is shown too: on a busy machine it is
the steadier of the two): the cost of running it as WebAssembly (bounds-checked linear
memory, 32-bit pointers, wasmtime's code generation, the call overhead). 1.00
would be native speed; the target is at most 1.25.
``reference / WASM`` is how many times slower the numpy model is than the
engine, end to end (both start from the polars frame) and against the engine
time alone. It is not a target: the reference is for correctness.

Targets (from the issue): a whole BasicTerm_S valuation of 10,000 policies in
at most 2 ms of WASM engine time on one core; WASM at most 1.25 x native
(checked for both products). PASS/MISS is printed next to each; the exit
status is 0 either way (this is a benchmark, not a test), except when the
native and WASM results differ, which is an error.
"""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))  # bench/_native.py, bench/_timing.py
try:
    import livecalc_lab.engine  # noqa: F401
except ImportError:  # not installed: use the working tree
    sys.path.insert(0, str(ROOT))

import _native  # noqa: E402
from _timing import (  # noqa: E402
    Out, Timing, bits_equal, describe_machine, emit, machine, print_targets, repeat_runs, rounds,
)

from livecalc_lab.assumptions.assumption_set import demo_assumptions  # noqa: E402
from livecalc_lab.engine.host import ENGINE_PATH, Engine, default_engine  # noqa: E402
from livecalc_lab.model.policies import (  # noqa: E402
    attach_premium_rates,
    check_policies,
    demo_policies_path,
    read_policies,
)

PRODUCTS = {"basic_term_s": "BasicTerm_S", "basic_term_se": "BasicTerm_SE"}
TARGET_ENGINE_SECONDS = 2e-3  # BasicTerm_S, 10,000 policies, one core, WASM engine time
TARGET_WASM_OVER_NATIVE = 1.25
PV_NET_CF = 4  # row of TermValuation.pv / .totals


# ---- inputs and the call overhead --------------------------------------------------


def _policy_columns(frame: Any, basis: Any) -> dict[str, np.ndarray]:
    """The kernel's input columns, typed as ``lc_policies`` wants them."""

    def col(name: str, dtype: Any) -> np.ndarray:
        return np.ascontiguousarray(frame[name].to_numpy(), dtype=dtype)

    cols = {name: col(name, np.int32) for name in ("age_at_entry", "policy_term", "duration_mth")}
    cols.update({name: col(name, np.float64) for name in ("policy_count", "sum_assured")})
    if basis.premium_basis == "table":
        cols["premium_rate"] = col("premium_rate", np.float64)
    return cols


def _call_overhead(engine: Any, repeat: int) -> float | None:
    """Median seconds of a trivial export call (``lc_abi_version``) through the host, or None."""
    try:
        inst = engine._instance()  # private: an estimate of the fixed cost inside engine_seconds

        def once() -> float:
            t0 = time.perf_counter()
            inst.call("lc_abi_version")
            return time.perf_counter() - t0
        return statistics.median(repeat_runs(once, max(repeat, 20), 5))
    except Exception:
        return None


# ---- natives and the reference ------------------------------------------------------


def _native_engines(use_gcc: bool, notes: list[str]) -> list[tuple[str, _native.NativeEngine]]:
    """(key, library) pairs: the zig build first (the targets' baseline), then gcc if wanted and present."""
    engines = [("native_zig", _native.NativeEngine(_native.ensure_library("zig"), "native, zig cc -O3"))]
    if use_gcc:
        if shutil.which("gcc"):
            try:
                engines.append(("native_gcc", _native.NativeEngine(_native.ensure_library("gcc"), "native, gcc -O3")))
            except Exception as exc:  # optional: report and go on
                notes.append(f"gcc build skipped: {exc}")
        else:
            notes.append("gcc not on PATH: no gcc -O3 build")
    return engines


def _load_reference() -> tuple[Callable[..., Any] | None, str | None]:
    try:
        from livecalc_lab.model import reference
    except Exception as exc:  # being written elsewhere, or broken: benchmark the rest
        return None, f"reference model not available ({type(exc).__name__}: {exc})"
    fn = getattr(reference, "value", None)
    if not callable(fn):
        return None, "reference model not available (livecalc_lab.model.reference has no value())"
    return fn, None


def _reference_net_total(result: Any) -> float | None:
    """fsum of the reference's per-policy ``pv_net_cf``, or None if its output has no such column."""
    try:
        return math.fsum(np.asarray(result["pv_net_cf"], dtype=np.float64).tolist())
    except Exception:
        return None


# ---- one product ----------------------------------------------------------------------


def bench_product(product: str, natives: list[tuple[str, _native.NativeEngine]], reference: Callable[..., Any] | None,
                  repeat: int, ref_repeat: int) -> dict[str, Any]:
    """Time every variant on one product's bundled model points; check they agree."""
    basis = demo_assumptions().basis(product)
    policies = read_policies(demo_policies_path(product))
    check_policies(policies, basis)
    frame = attach_premium_rates(policies, basis)
    n = frame.height
    engine = default_engine()

    # WASM engine and end-to-end time come from the same value_term calls.
    wasm_engine = Timing("wasm_engine", "WASM engine (lc_value_term)")
    wasm_e2e = Timing("wasm_end_to_end", "WASM end-to-end (value_term)")
    last: list[Any] = []

    def wasm_once() -> None:
        t0 = time.perf_counter()
        val = engine.value_term(basis, frame)
        wasm_e2e.seconds.append(time.perf_counter() - t0)
        wasm_engine.seconds.append(val.engine_seconds)
        last[:] = [val]

    wasm_once()
    wv = last[0]

    # The same module without wasmtime's epoch checks (the production engine keeps them:
    # every loop back-edge then loads and compares the epoch), to show what the deadline costs.
    bare = Engine(interruptible=False)
    wasm_bare = Timing("wasm_no_epoch", "WASM engine, no epoch deadline")

    def bare_once() -> None:
        wasm_bare.seconds.append(bare.value_term(basis, frame).engine_seconds)

    checks: dict[str, Any] = {}
    cols = _policy_columns(frame, basis)
    native_timings: list[Timing] = [wasm_bare]
    runners: list[Callable[[], None]] = [wasm_once, bare_once]
    for key, eng in natives:
        call = eng.prepare(basis, cols)
        res = call.run()
        # The same C, IEEE-exact flags, the same inputs: the results must be identical bits.
        if not bits_equal(res.totals[PV_NET_CF:], wv.totals[PV_NET_CF:]):
            raise AssertionError(
                f"{product}: {eng.label} pv_net_cf total {res.totals[PV_NET_CF]!r} != WASM {wv.totals[PV_NET_CF]!r}"
            )
        checks[key] = {
            "label": eng.label,
            "pv_net_cf_total_bits_equal": True,
            "all_totals_bits_equal": bits_equal(res.totals, wv.totals),
            "pv_bits_equal": bits_equal(res.premium_pp, wv.premium_pp) and bits_equal(res.pv, wv.pv),
        }
        t = Timing(key, eng.label)
        native_timings.append(t)
        runners.append(lambda call=call, t=t: t.seconds.append(call.time_once()))

    # Interleaved rounds (each round runs every variant once, in a rotating order), so
    # load from other processes on a shared machine hits all variants alike.
    rounds(runners, repeat, warmup=3)
    for t in (wasm_engine, wasm_e2e, *native_timings):
        t.seconds = t.seconds[-repeat:]  # drop the warm-up calls
    native_timings = native_timings[1:]
    timings_extra = [wasm_bare]
    timings = [wasm_engine, wasm_e2e, *timings_extra, *native_timings]

    ref_timing = None
    ref_note = None
    if reference is not None:
        out: list[Any] = []

        def ref_once() -> float:
            t0 = time.perf_counter()
            out[:] = [reference(frame, basis)]
            return time.perf_counter() - t0

        try:
            ref_timing = Timing("reference", "numpy reference (value)",
                                repeat_runs(ref_once, ref_repeat, warmup=1))
            timings.append(ref_timing)
            total = _reference_net_total(out[0])
            if total is not None:
                w = float(wv.totals[PV_NET_CF])
                checks["reference"] = {"label": "numpy reference", "pv_net_cf_total": total,
                                             "rel_diff_vs_wasm": abs(total - w) / max(abs(w), 1e-300)}
        except Exception as exc:
            ref_note = f"reference model failed on {product} ({type(exc).__name__}: {exc})"

    base = native_timings[0] if native_timings else None
    ratios: dict[str, float | None] = {
        "wasm_over_native": wasm_engine.median / base.median if base else None,
        "wasm_over_native_min": wasm_engine.min / base.min if base else None,
        "reference_over_wasm_end_to_end": ref_timing.median / wasm_e2e.median if ref_timing else None,
        "reference_over_wasm_engine": ref_timing.median / wasm_engine.median if ref_timing else None,
    }
    for t in native_timings[1:]:
        ratios[f"wasm_over_{t.key}"] = wasm_engine.median / t.median
    if base:
        ratios["wasm_no_epoch_over_native"] = wasm_bare.median / base.median
    return {
        "product": product,
        "name": PRODUCTS[product],
        "n_rows": n,
        "n_policies": float(np.sum(cols["policy_count"])),
        "pv_net_cf_total": float(wv.totals[PV_NET_CF]),
        "timings": {t.key: t.as_dict() for t in timings},
        "ratios": ratios,
        "checks": checks,
        "reference_note": ref_note,
    }


def _targets(products: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for p in products:
        if p["product"] == "basic_term_s":
            v = p["timings"]["wasm_engine"]["median_s"]
            out.append({"target": f"{p['name']}: WASM engine time, {p['n_rows']:,} policies, 1 core",
                        "value": v, "limit": TARGET_ENGINE_SECONDS, "unit": "s", "pass": v <= TARGET_ENGINE_SECONDS})
    for p in products:
        r = p["ratios"]["wasm_over_native"]
        if r is not None:
            out.append({"target": f"{p['name']}: WASM / native (zig cc -O3)", "value": r,
                        "limit": TARGET_WASM_OVER_NATIVE, "unit": "x", "pass": r <= TARGET_WASM_OVER_NATIVE})
    return out


# ---- output -----------------------------------------------------------------------------


def _ms(s: float) -> str:
    return f"{s * 1e3:,.3f}"


def _print_report(report: dict[str, Any]) -> None:
    o = Out(markup=True)
    say = o.say
    say(f"LiveCalc Lab BasicTerm benchmark: {describe_machine(report['machine'], ('wasmtime', 'numpy'))}")
    say(f"engine {report['engine_version'][:23]}..., runs: {report['repeat']} (engine, native), "
        f"{report['reference_repeat']} (reference)")
    for p in report["products"]:
        title = f"{p['name']}: {p['n_rows']:,} model points, pv_net_cf total {p['pv_net_cf_total']:,.2f}"
        base = p["timings"]["wasm_engine"]["median_s"]
        rows = [(t["label"], _ms(t["median_s"]), _ms(t["min_s"]), str(t["runs"]), f"{t['median_s'] / base:.2f}")
                for t in p["timings"].values()]
        o.table(title, ["measurement", "median ms", "min ms", "runs", "÷ WASM"], rows,
                widths=[52, 10, 10, 5, 7], sep=" ")
        r = p["ratios"]
        parts = []
        if r["wasm_over_native"] is not None:
            parts.append(f"WASM / native {r['wasm_over_native']:.2f} (of minimums {r['wasm_over_native_min']:.2f})")
        if r.get("wasm_no_epoch_over_native") is not None:
            parts.append(f"WASM without epoch checks / native {r['wasm_no_epoch_over_native']:.2f}")
        if r.get("wasm_over_native_gcc") is not None:
            parts.append(f"WASM / gcc {r['wasm_over_native_gcc']:.2f}")
        if r["reference_over_wasm_end_to_end"] is not None:
            parts.append(f"reference / WASM {r['reference_over_wasm_end_to_end']:.1f} end-to-end, "
                         f"{r['reference_over_wasm_engine']:.1f} engine")
        say("  ratios (medians): " + "; ".join(parts))
        for c in p["checks"].values():
            label = c["label"]
            if "pv_bits_equal" in c:
                say(f"  {label}: pv_net_cf total bit-identical to WASM; all totals "
                    f"{'identical' if c['all_totals_bits_equal'] else 'DIFFER'}, per-policy pv "
                    f"{'identical' if c['pv_bits_equal'] else 'DIFFER'}")
            else:
                say(f"  {label}: pv_net_cf total {c['pv_net_cf_total']:,.2f}, relative difference to WASM "
                    f"{c['rel_diff_vs_wasm']:.1e}")
        if p["reference_note"]:
            say(f"  {p['reference_note']}")
    if report["wasm_call_overhead_s"] is not None:
        say(f"WASM call overhead (trivial export through the host), included in engine time: "
            f"{report['wasm_call_overhead_s'] * 1e6:.1f} µs")
    for note in report["notes"]:
        say(note)
    print_targets(o, report["targets"], _target_value)


def _target_value(t: dict[str, Any]) -> str:
    return (f"{_ms(t['value'])} ms ≤ {_ms(t['limit'])} ms" if t["unit"] == "s"
            else f"{t['value']:.3f} ≤ {t['limit']:.2f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--repeat", type=int, default=50, metavar="N", help="timed runs of WASM and native (default 50)")
    ap.add_argument("--reference-repeat", type=int, default=5, metavar="N",
                    help="timed runs of the numpy reference (default 5; 0 skips it)")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    ap.add_argument("--no-gcc", action="store_true", help="do not build or time a gcc -O3 native library")
    args = ap.parse_args(argv)
    repeat = max(1, args.repeat)

    notes: list[str] = []
    newest_src = max(p.stat().st_mtime for p in _native.engine_sources())
    if ENGINE_PATH.is_file() and ENGINE_PATH.stat().st_mtime < newest_src:
        notes.append(f"warning: {ENGINE_PATH} is older than engine/src: rebuild it (python engine/build.py wasm) "
                     "so WASM and native run the same code")
    natives = _native_engines(not args.no_gcc, notes)
    reference, why = (None, "reference model skipped (--reference-repeat 0)") if args.reference_repeat <= 0 \
        else _load_reference()
    if why:
        notes.append(why)

    engine = default_engine()
    products = [bench_product(p, natives, reference, repeat, args.reference_repeat) for p in PRODUCTS]
    report = {
        "benchmark": "bench/basic_term.py",
        "machine": machine(),
        "engine_version": engine.version,
        "native_libraries": {key: str(eng.path) for key, eng in natives},
        "repeat": repeat,
        "reference_repeat": args.reference_repeat,
        "products": products,
        "wasm_call_overhead_s": _call_overhead(engine, repeat),
        "targets": _targets(products),
        "notes": notes,
    }
    emit(report, args.json, _print_report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
