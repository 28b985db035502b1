"""The wasmtime host: module checks, traps, timeouts, memory limits, kernel errors, threads.

Host behaviour is driven with small inline WAT modules (wasmtime compiles the text),
each the minimal fake engine a test needs; the packaged module is used where the
real kernel is the point.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import replace

import numpy as np
import polars as pl
import pytest
import wasmtime

from livecalc_lab.assumptions import demo_assumptions
from livecalc_lab.engine import ENGINE_PATH, Engine, _abi, default_engine, engine_version
from livecalc_lab.errors import EngineError, LivecalcError

MIB = 1 << 20
WAT_STATUS = 16  # address of the fake engines' lc_status slot; policy_index lives at +4
TIMEOUT = 0.2  # seconds, for the looping module
TIMEOUT_SLACK = 5.0  # a timed-out call must return within this many seconds


# ---- fake engines ----------------------------------------------------------------------

def wat_engine(*, abi_version: int = _abi.ABI_VERSION, value_term: str = "(i32.const 0)", imports: str = "",
               omit: tuple[str, ...] = ()) -> str:
    """WAT text of a minimal module with the required exports.

    ``lc_alloc`` is a bump allocator over 4 pages (returns 0 when full), ``lc_free`` does
    nothing, and ``value_term`` is the body of ``lc_value_term(basis, pols, out) -> i32``.
    """
    funcs = {
        "_initialize": '(func (export "_initialize"))',
        "lc_abi_version": f'(func (export "lc_abi_version") (result i32) (i32.const {abi_version}))',
        "lc_status_ptr": f'(func (export "lc_status_ptr") (result i32) (i32.const {WAT_STATUS}))',
        "lc_alloc": """(func (export "lc_alloc") (param $n i32) (result i32) (local $p i32)
            (local.set $p (global.get $heap))
            (if (i32.gt_u (i32.add (local.get $p) (local.get $n)) (i32.mul (memory.size) (i32.const 65536)))
              (then (return (i32.const 0))))
            (global.set $heap (i32.and (i32.add (i32.add (local.get $p) (local.get $n)) (i32.const 15))
                                       (i32.const -16)))
            (local.get $p))""",
        "lc_free": '(func (export "lc_free") (param i32))',
        "lc_value_term": f"""(func (export "lc_value_term") (param $basis i32) (param $pols i32) (param $out i32)
            (result i32) (local $i i32) (local $n i32)
            {value_term})""",
        "lc_discount_factors": '(func (export "lc_discount_factors") (param i32 i32 i32) (result i32) (i32.const 0))',
        "lc_exact_add": '(func (export "lc_exact_add") (param i32 i32 i32))',
        "lc_exact_merge": '(func (export "lc_exact_merge") (param i32 i32 i32))',
        "lc_exact_round": '(func (export "lc_exact_round") (param i32 i32 i32))',
        "lc_hull_white": '(func (export "lc_hull_white") (param i32 i32 i32 i32 i32 i32) (result i32) (i32.const 0))',
        "lc_discount_totals": '(func (export "lc_discount_totals") (param i32 i32 i32 i32 i32 i32 i32) (result i32) (i32.const 0))',
        "lc_philox4x32": '(func (export "lc_philox4x32") (param i32 i32 i32))',
        "lc_value_savings": '(func (export "lc_value_savings") (param i32 i32 i32 i32) (result i32) (i32.const 0))',
    }
    body = "\n  ".join(f for name, f in funcs.items() if name not in omit)
    memory = '(memory 4)' if "memory" in omit else '(memory (export "memory") 4)'
    return f"""(module
  {imports}
  {memory}
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const {WAT_STATUS + 4}) "\\ff\\ff\\ff\\ff")
  {body}
)"""


def set_policy_index(expr: str) -> str:
    return f"(i32.store offset=4 (i32.const {WAT_STATUS}) {expr})"


# lc_value_term bodies ------------------------------------------------------------------
TRAP_AT_3 = set_policy_index("(i32.const 3)") + " unreachable"

# Walk the batch writing each index to the status slot; trap on a policy aged 99.
TRAP_ON_AGE_99 = f"""
    (local.set $n (i32.load (local.get $pols)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        {set_policy_index("(local.get $i)")}
        (if (i32.eq (i32.load (i32.add (i32.load offset=4 (local.get $pols)) (i32.shl (local.get $i) (i32.const 2))))
                    (i32.const 99))
          (then unreachable))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 0)"""

# Loop forever (at policy index 1) on a batch of exactly 2 policies; succeed otherwise.
LOOP_ON_2 = f"""
    (if (i32.eq (i32.load (local.get $pols)) (i32.const 2))
      (then {set_policy_index("(i32.const 1)")} (loop $forever (br $forever))))
    (i32.const 0)"""


@pytest.fixture(scope="module")
def basis_s():
    return demo_assumptions().basis("basic_term_s")


def few_policies(n: int, **overrides: list) -> pl.DataFrame:
    cols = {
        "age_at_entry": [30 + i % 20 for i in range(n)],
        "policy_term": [10 + i % 3 * 5 for i in range(n)],
        "duration_mth": [0] * n,
        "policy_count": [1.0] * n,
        "sum_assured": [100_000.0 + 1_000 * i for i in range(n)],
    }
    cols.update(overrides)
    return pl.DataFrame(cols, schema={"age_at_entry": pl.Int32, "policy_term": pl.Int32, "duration_mth": pl.Int32,
                                      "policy_count": pl.Float64, "sum_assured": pl.Float64,
                                      **({"premium_rate": pl.Float64} if "premium_rate" in cols else {})})


# ---- the packaged module ---------------------------------------------------------------

def test_packaged_module_imports_nothing():
    assert Engine().imports == []
    assert wasmtime.Module.from_file(wasmtime.Engine(), str(ENGINE_PATH)).imports == []


def test_packaged_module_exports_the_abi():
    module = wasmtime.Module.from_file(wasmtime.Engine(), str(ENGINE_PATH))
    names = {e.name for e in module.exports}
    assert set(_abi.REQUIRED_EXPORTS) <= names


def test_version_is_the_sha256_of_the_module_file():
    want = "sha256:" + hashlib.sha256(ENGINE_PATH.read_bytes()).hexdigest()
    assert Engine().version == want
    assert default_engine().version == want
    assert engine_version() == want


def test_default_engine_is_cached():
    assert default_engine() is default_engine()


def test_wat_module_loads_and_values(basis_s):
    """The fake engine itself is a valid engine: the failures below are the ones under test."""
    eng = Engine(wat_engine(), timeout=5)
    assert eng.version.startswith("sha256:")
    out = eng.value_term(basis_s, few_policies(3))
    assert out.pv.shape == (_abi.N_PV, 3)
    assert np.all(out.pv == 0.0)


# ---- refusing modules ------------------------------------------------------------------

def test_abi_mismatch_is_refused():
    with pytest.raises(EngineError, match=rf"ABI version 999.*version {_abi.ABI_VERSION}") as info:
        Engine(wat_engine(abi_version=999))
    assert info.value.call == "lc_abi_version"
    assert isinstance(info.value, LivecalcError)


def test_module_with_an_import_is_refused():
    with pytest.raises(EngineError, match=r"imports env\.clock.*must import nothing") as info:
        Engine(wat_engine(imports='(import "env" "clock" (func (result f64)))'))
    assert info.value.call == "load"


@pytest.mark.parametrize("missing", ["lc_exact_round", "lc_value_term", "memory"])
def test_module_missing_an_export_is_refused(missing):
    with pytest.raises(EngineError, match=f"lacks exports {missing}"):
        Engine(wat_engine(omit=(missing,)))


def test_module_without_abi_version_is_not_an_engine():
    with pytest.raises(EngineError, match="not a LiveCalc engine"):
        Engine(wat_engine(omit=("lc_abi_version",)))


def test_module_that_does_not_compile_is_refused():
    with pytest.raises(EngineError, match="does not compile") as info:
        Engine("(module (func (export \"f\") (result i32)))")  # missing result value
    assert info.value.call == "compile"


def test_missing_module_file_is_refused(tmp_path):
    with pytest.raises(EngineError, match="not found"):
        Engine(tmp_path / "engine.wasm")


# ---- traps -------------------------------------------------------------------------------

def test_trap_names_the_call_and_the_policy(basis_s):
    eng = Engine(wat_engine(value_term=TRAP_AT_3), timeout=5)
    with pytest.raises(EngineError, match=r"lc_value_term trapped at policy index 3") as info:
        eng.value_term(basis_s, few_policies(5))
    assert info.value.call == "lc_value_term"
    assert info.value.policy_index == 3
    # The poisoned instance is replaced: the engine is usable (and traps the same way) again.
    eng.check()
    with pytest.raises(EngineError) as again:
        eng.value_term(basis_s, few_policies(5))
    assert again.value.policy_index == 3


@pytest.mark.parametrize("bad", [0, 7, 9])
@pytest.mark.parametrize("batch_size", [1, 3, 100])
@pytest.mark.parametrize("threads", [1, 3])
def test_trap_policy_index_counts_over_all_batches(basis_s, bad, batch_size, threads):
    ages = [40] * 10
    ages[bad] = 99
    eng = Engine(wat_engine(value_term=TRAP_ON_AGE_99), timeout=5)
    with pytest.raises(EngineError, match="lc_value_term trapped") as info:
        eng.value_term(basis_s, few_policies(10, age_at_entry=ages), batch_size=batch_size, threads=threads)
    assert (info.value.call, info.value.policy_index) == ("lc_value_term", bad)
    assert f"at policy index {bad}:" in str(info.value)


# ---- timeouts ------------------------------------------------------------------------------

@pytest.mark.parametrize("threads", [1, 2])
def test_timeout_interrupts_and_the_engine_recovers(basis_s, threads):
    eng = Engine(wat_engine(value_term=LOOP_ON_2), timeout=TIMEOUT)
    n = 2 * threads  # every slice is a batch of 2: every thread loops
    t0 = time.perf_counter()
    with pytest.raises(EngineError, match=f"timed out after {TIMEOUT:g} s at policy index 1") as info:
        eng.value_term(basis_s, few_policies(n), threads=threads)
    elapsed = time.perf_counter() - t0
    assert TIMEOUT <= elapsed < TIMEOUT_SLACK
    assert (info.value.call, info.value.policy_index) == ("lc_value_term", 1)
    # Same Engine object, next call: a fresh instance replaces the poisoned one.
    out = eng.value_term(basis_s, few_policies(1))
    assert out.pv.shape == (_abi.N_PV, 1)


def test_timeout_in_a_later_batch_names_the_global_policy_index(basis_s):
    eng = Engine(wat_engine(value_term=LOOP_ON_2), timeout=TIMEOUT)
    # 5 rows in batches of at most 2 -> spans [0, 1), [1, 3), [3, 5): the second loops at its row 1.
    with pytest.raises(EngineError, match="timed out") as info:
        eng.value_term(basis_s, few_policies(5), batch_size=2)
    assert info.value.policy_index == 2
    assert "at policy index 2" in str(info.value)


def test_real_engine_values_after_another_engine_timed_out(basis_s, portfolios):
    looping = Engine(wat_engine(value_term=LOOP_ON_2), timeout=TIMEOUT)
    with pytest.raises(EngineError, match="timed out"):
        looping.value_term(basis_s, few_policies(2))
    real = Engine(timeout=30)
    p = portfolios["basic_term_s"]
    assert real.value_term(p.basis, p.frame).totals.tobytes() == \
        default_engine().value_term(p.basis, p.frame).totals.tobytes()


# ---- memory limits ------------------------------------------------------------------------

def test_memory_limit_below_the_module_initial_memory_fails_at_load():
    initial = next(e.type for e in wasmtime.Module.from_file(wasmtime.Engine(), str(ENGINE_PATH)).exports
                   if e.name == "memory").limits.min * 65536
    with pytest.raises(EngineError, match="cannot be instantiated") as info:
        Engine(memory_limit=initial - 65536)
    assert info.value.call == "instantiate"


def test_memory_limit_is_an_engine_error_not_a_crash():
    eng = Engine(memory_limit=20 * MIB)  # the module starts at ~16 MiB of linear memory
    basis = demo_assumptions().basis("basic_term_s")
    n = 200_000
    big = few_policies(n)
    with pytest.raises(EngineError, match="out of memory") as info:
        eng.value_term(basis, big)
    assert info.value.call == "lc_alloc"
    # Smaller batches fit under the same limit and give the same numbers as the unlimited engine.
    out = eng.value_term(basis, big, batch_size=2_000)
    ref = default_engine().value_term(basis, big)
    assert out.pv.tobytes() == ref.pv.tobytes()
    assert out.totals_exact.tobytes() == ref.totals_exact.tobytes()


def test_kernel_out_of_memory_is_lc_e_nomem():
    """Under a rising memory limit: first the inputs do not fit (lc_alloc), then the kernel's
    working memory does not (LC_E_NOMEM), then the valuation succeeds, bit-identical to an
    unlimited engine. Never a trap or a wrong number."""
    basis = demo_assumptions().basis("basic_term_se")
    n = 40_000  # all distinct (age, term, duration) groups: the kernel's group cache is as large as the inputs
    rng = np.random.default_rng(7)
    frame = few_policies(
        n,
        age_at_entry=rng.integers(20, 60, n).tolist(),
        policy_term=rng.integers(5, 40, n).tolist(),
        duration_mth=(np.arange(n) % 1200 - 600).tolist(),
        premium_rate=[0.001] * n,
    )
    ref = default_engine().value_term(basis, frame)
    outcomes = []
    for limit in range(17 * MIB, 145 * MIB, MIB):
        try:
            out = Engine(memory_limit=limit).value_term(basis, frame)
        except EngineError as exc:
            assert exc.call in ("lc_alloc", "lc_value_term"), exc
            if exc.call == "lc_value_term":
                assert "LC_E_NOMEM" in str(exc)
            outcomes.append(exc.call)
            continue
        assert out.pv.tobytes() == ref.pv.tobytes()
        assert out.totals_exact.tobytes() == ref.totals_exact.tobytes()
        outcomes.append("ok")
        break
    assert outcomes[0] == "lc_alloc" and "lc_value_term" in outcomes and outcomes[-1] == "ok", outcomes
    assert outcomes == sorted(outcomes, key=["lc_alloc", "lc_value_term", "ok"].index), outcomes


# ---- kernel error codes -------------------------------------------------------------------

def short_curve(basis):
    """The basis with only the first 15 years of its discount curve (180 months)."""
    return replace(basis, disc_zero_ann=basis.disc_zero_ann[:15].copy())


KERNEL_ERRORS = {  # (bad policy's columns, expected code, basis change)
    "age below the table": ({"age_at_entry": 5}, "LC_E_AGE", None),
    "age past the table": ({"age_at_entry": 100, "policy_term": 30}, "LC_E_AGE", None),
    "term 0": ({"policy_term": 0}, "LC_E_TERM", None),
    "term past max": ({"policy_term": _abi.MAX_TERM + 1}, "LC_E_TERM", None),
    "negative sum assured": ({"sum_assured": -1.0}, "LC_E_VALUE", None),
    "NaN policy count": ({"policy_count": float("nan")}, "LC_E_VALUE", None),
    "infinite sum assured": ({"sum_assured": float("inf")}, "LC_E_VALUE", None),
    "past the curve": ({"policy_term": 20}, "LC_E_CURVE", short_curve),
}


@pytest.mark.parametrize("bad", [0, 7])
@pytest.mark.parametrize(("override", "code", "change"), KERNEL_ERRORS.values(), ids=KERNEL_ERRORS.keys())
def test_kernel_error_names_code_and_global_policy_index(engine, basis_s, override, code, change, bad):
    """Policies passed straight to the engine (no check_policies); batches of 3 so index 7 is in a later one."""
    basis = change(basis_s) if change else basis_s
    frame = few_policies(10, policy_term=[10] * 10).to_dict(as_series=False)
    for column, value in override.items():
        frame[column][bad] = value
    with pytest.raises(EngineError, match=code) as info:
        engine.value_term(basis, few_policies(10, **frame), batch_size=3)
    assert (info.value.call, info.value.policy_index) == ("lc_value_term", bad)
    assert f"at policy index {bad}: {code}" in str(info.value)


def test_age_below_table_in_a_later_batch(engine, basis_s):
    ages = [40] * 10
    ages[8] = basis_s.mort_min_age - 1
    with pytest.raises(EngineError, match=r"LC_E_AGE") as info:
        engine.value_term(basis_s, few_policies(10, age_at_entry=ages), batch_size=3)
    assert info.value.policy_index == 8
    assert f"(detail {basis_s.mort_min_age - 1})" in str(info.value)


def test_negative_premium_rate_is_lc_e_value(engine):
    basis = demo_assumptions().basis("basic_term_se")
    rates = [0.001] * 6
    rates[4] = -0.001
    with pytest.raises(EngineError, match="LC_E_VALUE") as info:
        engine.value_term(basis, few_policies(6, premium_rate=rates), batch_size=4)
    assert info.value.policy_index == 4


def test_bad_basis_is_lc_e_arg_without_a_policy(engine, basis_s):
    with pytest.raises(EngineError, match="LC_E_ARG") as info:
        engine.value_term(replace(basis_s, premium_round_decimals=11), few_policies(3))
    assert info.value.policy_index is None


def test_engine_recovers_after_a_kernel_error(engine, basis_s):
    with pytest.raises(EngineError):
        engine.value_term(basis_s, few_policies(3, policy_term=[0, 0, 0]))
    out = engine.value_term(basis_s, few_policies(3))
    assert np.all(np.isfinite(out.pv)) and np.all(out.premium_pp > 0)


# ---- threads and batches -------------------------------------------------------------------

SPLITS = {
    "threads=2": {"threads": 2},
    "7 uneven batches": {"batch_size": 1_500},  # 10,000 rows -> 7 batches of 1,428 or 1,429
    "threads=3, 7 batches": {"threads": 3, "batch_size": 1_500},
    "threads=4, batches of 997": {"threads": 4, "batch_size": 997},
    "threads=2, batches of 37": {"threads": 2, "batch_size": 37},
}


@pytest.mark.parametrize("split", SPLITS.values(), ids=SPLITS.keys())
def test_threads_and_batches_are_bit_identical(engine, portfolio, split):
    one = engine.value_term(portfolio.basis, portfolio.frame, threads=1)
    many = engine.value_term(portfolio.basis, portfolio.frame, **split)
    assert many.pv.tobytes() == one.pv.tobytes()
    assert many.premium_pp.tobytes() == one.premium_pp.tobytes()
    assert many.totals.tobytes() == one.totals.tobytes()
    assert many.totals_exact.tobytes() == one.totals_exact.tobytes()


def test_one_policy_per_call_is_bit_identical(engine, portfolio):
    frame = portfolio.frame[:300]
    one = engine.value_term(portfolio.basis, frame)
    single = engine.value_term(portfolio.basis, frame, batch_size=1, threads=2)
    assert single.pv.tobytes() == one.pv.tobytes()
    assert single.totals_exact.tobytes() == one.totals_exact.tobytes()


@pytest.mark.parametrize("split", [{"threads": 2}, {"threads": 3, "batch_size": 1_500}], ids=["threads=2", "3x7"])
def test_threads_give_bit_identical_cashflows(engine, portfolio, split):
    one = engine.value_term(portfolio.basis, portfolio.frame, cashflows=True)
    many = engine.value_term(portfolio.basis, portfolio.frame, cashflows=True, **split)
    assert many.cashflows_exact.tobytes() == one.cashflows_exact.tobytes()
    assert many.cashflows.tobytes() == one.cashflows.tobytes()


def test_discount_factors_of_no_months_are_empty(engine, basis_s):
    v = engine.discount_factors(basis_s, 0)
    assert v.shape == (0,) and v.dtype == np.float64


def test_empty_portfolio(engine, basis_s):
    out = engine.value_term(basis_s, few_policies(0), cashflows=True, threads=2)
    assert out.pv.shape == (_abi.N_PV, 0)
    assert out.totals.tolist() == [0.0] * _abi.N_PV
    assert out.cashflows.shape == (_abi.N_CF, 0)


def test_discount_totals_of_no_months_are_exact_zeros(engine):
    """An empty portfolio's cashflows span no months: each scenario's sum is empty (0), not a bad call."""
    cf = np.zeros((5, 0))
    per_scen = engine.discount_totals(cf, np.zeros((7, 0)))
    assert per_scen.shape == (7, 5) and per_scen.dtype == _abi.EXACT_DTYPE
    assert engine.exact_round(per_scen).tolist() == [[0.0] * 5] * 7
    assert engine.exact_round(engine.discount_totals(cf, np.zeros(0))).tolist() == [[0.0] * 5]
    assert engine.discount_totals(np.ones((5, 3)), np.ones((0, 3))).shape == (0, 5)  # no scenarios
