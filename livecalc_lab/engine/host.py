"""The wasmtime host of the projection engine (``engine.wasm``).

One :class:`Engine` compiles the module once and keeps one wasmtime ``Store`` and
instance per Python thread. Inputs are written as columnar arrays into the
instance's linear memory, the kernel runs, and outputs are copied out before
the memory is freed. Every call runs under a memory limit and an epoch
deadline: a trap or a timeout raises :class:`~livecalc_lab.errors.EngineError`
naming the call and the policy being valued, and never hangs or kills the
interpreter. wasmtime releases the GIL during a call, so ``threads=N`` values N
slices of the policies in parallel; totals are summed exactly (``lc_exact``), so
the results are bit-identical to one thread.
"""

from __future__ import annotations

import ctypes
import hashlib
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import wasmtime

from livecalc_lab.engine import _abi
from livecalc_lab.errors import EngineError

__all__ = ["Engine", "TermValuation", "SavingsValuation", "default_engine", "ENGINE_PATH"]

ENGINE_PATH = Path(__file__).with_name("engine.wasm")
DEFAULT_MEMORY_LIMIT = 2 << 30  # bytes of linear memory per instance
DEFAULT_TIMEOUT = 120.0  # seconds per engine call
DEFAULT_BATCH = 1 << 18  # policies per engine call
_TICK = 0.005  # seconds per epoch tick


@dataclass
class TermValuation:
    """Engine output for a batch of level-term policies.

    Attributes
    ----------
    pv : ndarray, shape (5, n) float64
        Present values at t = 0 for ``policy_count`` policies of each row, rows in
        the order of ``_abi.PV_NAMES``: pv_premiums, pv_claims, pv_expenses,
        pv_commissions, pv_net_cf.
    premium_pp : ndarray, shape (n,) float64
        Monthly premium per policy.
    totals : ndarray, shape (5,) float64
        Correctly rounded exact sums of the rows of ``pv``.
    totals_exact : ndarray, shape (5,) of ``_abi.EXACT_DTYPE``
        The exact accumulators behind ``totals`` (mergeable across batches).
    cashflows : ndarray, shape (10, n_months) float64 or None
        Monthly cashflows summed exactly over the policies, rows in the order of
        ``_abi.CF_NAMES``; ``t`` in months from the valuation date.
    cashflows_exact : ndarray, shape (10, n_months) of ``_abi.EXACT_DTYPE`` or None
    engine_seconds : float
        Wall time spent inside engine calls.
    scenario_totals : ndarray, shape (n_scenarios, 5) float64 or None
        The full per-scenario path's totals (``scenario_disc`` given), rows in the
        order of ``_abi.PV_NAMES``.
    pv_alt : ndarray, shape (5, n) float64 or None
        Per-policy PVs under ``alt_disc`` (when given).
    scenario_totals_exact : ndarray of ``_abi.EXACT_DTYPE`` or None
        The accumulators behind ``scenario_totals``.
    """

    pv: np.ndarray
    premium_pp: np.ndarray
    totals: np.ndarray
    totals_exact: np.ndarray
    cashflows: np.ndarray | None
    cashflows_exact: np.ndarray | None
    engine_seconds: float
    scenario_totals: np.ndarray | None = None
    pv_alt: np.ndarray | None = None
    scenario_totals_exact: np.ndarray | None = None


@dataclass
class SavingsValuation:
    """Engine output for savings policies under scenarios.

    Attributes
    ----------
    pv : ndarray, shape (13, n_policies, n_scenarios) float64 or None
        Per-lane PVs in the order of ``_abi.SAV_PV_NAMES``.
    scenario_totals : ndarray, shape (n_scenarios, 13) float64 or None
        Correctly rounded exact sums over policies, per scenario.
    scenario_totals_exact : ndarray of ``_abi.EXACT_DTYPE`` or None
    point_totals : ndarray, shape (n_policies, 13) float64 or None
        Correctly rounded exact sums over scenarios, per policy.
    point_totals_exact : ndarray of ``_abi.EXACT_DTYPE`` or None
    engine_seconds : float
    """

    pv: np.ndarray | None
    scenario_totals: np.ndarray | None
    scenario_totals_exact: np.ndarray | None
    point_totals: np.ndarray | None
    point_totals_exact: np.ndarray | None
    engine_seconds: float


class _Ticker:
    """Advances a wasmtime engine's epoch every ``_TICK`` seconds while the engine lives."""

    def __init__(self, engine: wasmtime.Engine):
        self._ref = weakref.ref(engine)
        self._thread = threading.Thread(target=self._run, name="livecalc-epoch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(_TICK)
            eng = self._ref()
            if eng is None:
                return
            eng.increment_epoch()
            del eng


class _Instance:
    """One Store + instance of the module, used by one thread at a time."""

    def __init__(self, owner: Engine):
        self.owner = owner
        self.store = wasmtime.Store(owner._wt_engine)
        self.store.set_limits(memory_size=owner.memory_limit)
        if owner.interruptible:
            self.store.set_epoch_deadline(max(1, int(owner.timeout / _TICK)))
        try:
            self.instance = wasmtime.Instance(self.store, owner._module, [])
        except wasmtime.WasmtimeError as exc:
            raise EngineError(
                f"engine module cannot be instantiated (memory limit {owner.memory_limit:,} bytes; the module's "
                f"initial memory may be larger): {exc}",
                call="instantiate",
            ) from None
        exports = self.instance.exports(self.store)
        missing = [n for n in _abi.REQUIRED_EXPORTS if n not in exports]
        if "lc_abi_version" not in exports:
            raise EngineError("engine module does not export lc_abi_version: not a LiveCalc engine", call="load")
        self.fn = {n: exports[n] for n in _abi.REQUIRED_EXPORTS if n in exports}
        if "_initialize" in self.fn:
            self.call("_initialize")
        version = self.call("lc_abi_version")
        if version != _abi.ABI_VERSION:
            raise EngineError(
                f"engine module ABI version {version}, this host speaks version {_abi.ABI_VERSION}: "
                f"reinstall livecalc-lab so the module and the Python package match",
                call="lc_abi_version",
            )
        if missing:
            raise EngineError(f"engine module lacks exports {', '.join(missing)}", call="load")
        self.memory: wasmtime.Memory = self.fn["memory"]
        self.status_ptr = int(self.call("lc_status_ptr"))
        self.poisoned = False

    # -- memory ---------------------------------------------------------------
    def view(self) -> np.ndarray:
        """The whole linear memory as a uint8 array (re-create after any allocation)."""
        n = self.memory.data_len(self.store)
        ptr = self.memory.data_ptr(self.store)
        return np.ctypeslib.as_array(ctypes.cast(ptr, ctypes.POINTER(ctypes.c_uint8)), shape=(n,))

    def alloc(self, nbytes: int) -> int:
        ptr = int(self.call("lc_alloc", int(nbytes)))
        if ptr == 0:
            raise EngineError(
                f"engine out of memory allocating {nbytes:,} bytes (limit {self.owner.memory_limit:,} bytes)",
                call="lc_alloc",
            )
        return ptr

    def free(self, ptr: int) -> None:
        self.call("lc_free", ptr)

    def status(self) -> np.void:
        return self.view()[self.status_ptr : self.status_ptr + 16].view(_abi.STATUS_DTYPE)[0].copy()

    # -- calls ----------------------------------------------------------------
    def call(self, name: str, *args: Any, index_offset: int = 0) -> Any:
        fn = self.fn.get(name)
        if fn is None:
            raise EngineError(f"engine module does not export {name}", call=name)
        if self.owner.interruptible:
            self.store.set_epoch_deadline(max(1, int(self.owner.timeout / _TICK)))
        try:
            return fn(self.store, *args)
        except wasmtime.Trap as trap:
            self.poisoned = True
            index = self._policy_index()
            index = index + index_offset if index is not None else None
            where = f" at policy index {index}" if index is not None else ""
            if trap.trap_code == wasmtime.TrapCode.INTERRUPT:
                msg = f"engine call {name} timed out after {self.owner.timeout:g} s{where}"
            else:
                msg = f"engine call {name} trapped{where}: {trap.message.splitlines()[-1].strip()}"
            raise EngineError(msg, call=name, policy_index=index) from None
        except wasmtime.WasmtimeError as exc:
            self.poisoned = True
            raise EngineError(f"engine call {name} failed: {exc}", call=name) from None

    def _policy_index(self) -> int | None:
        if not getattr(self, "status_ptr", 0):
            return None
        try:
            idx = int(self.status()["policy_index"])
        except Exception:  # memory unreadable after the trap
            return None
        return idx if idx >= 0 else None


class _Arena:
    """One engine allocation carved into 8-byte-aligned buffers."""

    def __init__(self, inst: _Instance, sizes: dict[str, int]):
        self.inst = inst
        self.offsets: dict[str, int] = {}
        total = 0
        for name, size in sizes.items():
            self.offsets[name] = total
            total += (size + 15) // 16 * 16
        self.base = inst.alloc(max(total, 16))
        self.sizes = sizes

    def ptr(self, name: str) -> int:
        return self.base + self.offsets[name] if self.sizes.get(name) else 0

    def write(self, name: str, arr: np.ndarray) -> int:
        data = np.ascontiguousarray(arr).view(np.uint8).reshape(-1)
        p = self.ptr(name)
        self.inst.view()[p : p + data.size] = data
        return p

    def read(self, name: str, dtype: Any, count: int) -> np.ndarray:
        p = self.ptr(name)
        dt = np.dtype(dtype)
        return self.inst.view()[p : p + dt.itemsize * count].view(dt).copy()

    def free(self) -> None:
        self.inst.free(self.base)


class Engine:
    """The WebAssembly projection engine, compiled once, with one instance per thread.

    Parameters
    ----------
    module : bytes, str, pathlib.Path or None
        The module as bytes (binary or WAT text) or a path; None loads the packaged
        ``livecalc_lab/engine/engine.wasm``.
    memory_limit : int
        Maximum linear memory per instance, bytes (default 2 GiB).
    timeout : float
        Maximum wall time of one engine call, seconds (epoch deadline).
    interruptible : bool
        Keep the epoch deadline (default). ``False`` compiles the module without
        epoch checks: calls can then run forever. For benchmarks that measure what
        the deadline costs; never for valuations.

    Raises
    ------
    EngineError
        The module is missing, does not compile, has imports, lacks an export or
        has a different ABI version (checked by :meth:`check`, which the
        constructor calls).

    Attributes
    ----------
    version : str
        ``"sha256:<hex>"`` of the module bytes: the engine version every result records.
    """

    def __init__(self, module: bytes | str | Path | None = None, *, memory_limit: int = DEFAULT_MEMORY_LIMIT,
                 timeout: float = DEFAULT_TIMEOUT, interruptible: bool = True):
        if module is None or isinstance(module, (str, Path)) and not str(module).lstrip().startswith("("):
            path = Path(module) if module is not None else ENGINE_PATH
            if not path.is_file():
                raise EngineError(
                    f"engine module {path} not found: the package was installed without its engine; "
                    "reinstall with `pip install .` (the build compiles engine/ with ziglang)",
                    call="load",
                )
            data = path.read_bytes()
        elif isinstance(module, str):
            data = module.encode()
        else:
            data = bytes(module)
        self.memory_limit = int(memory_limit)
        self.timeout = float(timeout)
        self.interruptible = bool(interruptible)
        cfg = wasmtime.Config()
        cfg.epoch_interruption = self.interruptible
        self._wt_engine = wasmtime.Engine(cfg)
        try:
            self._module = wasmtime.Module(self._wt_engine, data)
        except wasmtime.WasmtimeError as exc:
            raise EngineError(f"engine module does not compile: {exc}", call="compile") from None
        if data[:4] == b"\0asm":
            self.version = "sha256:" + hashlib.sha256(data).hexdigest()
        else:  # WAT text, tests only: version of the compiled binary
            self.version = "sha256:" + hashlib.sha256(self._module.serialize()).hexdigest()
        self.imports = [f"{i.module}.{i.name}" for i in self._module.imports]
        if self.imports:
            raise EngineError(
                f"engine module imports {', '.join(self.imports)}; the engine must import nothing", call="load"
            )
        self._ticker = _Ticker(self._wt_engine) if self.interruptible else None
        self._local = threading.local()
        self.check()

    def __repr__(self) -> str:
        return f"Engine(version={self.version[:19]}..., timeout={self.timeout:g}s)"

    def check(self) -> None:
        """Instantiate on this thread and check the ABI version; raise :class:`EngineError` if wrong."""
        self._instance()

    def _instance(self) -> _Instance:
        inst = getattr(self._local, "inst", None)
        if inst is None or inst.poisoned:
            inst = _Instance(self)
            self._local.inst = inst
        return inst

    # -- exact sums -------------------------------------------------------------
    def exact_add(self, values: np.ndarray) -> np.ndarray:
        """Exact accumulator of ``values`` (1-D float64): one ``_abi.EXACT_DTYPE`` record."""
        x = np.ascontiguousarray(values, dtype=np.float64).reshape(-1)
        inst = self._instance()
        arena = _Arena(inst, {"acc": _abi.EXACT_DTYPE.itemsize, "x": x.nbytes})
        try:
            arena.write("x", x)
            inst.call("lc_exact_add", arena.ptr("acc"), arena.ptr("x"), int(x.size))
            return arena.read("acc", _abi.EXACT_DTYPE, 1)[0]
        finally:
            arena.free()

    def exact_merge(self, parts: list[np.ndarray]) -> np.ndarray:
        """Merge exact accumulators elementwise: ``parts`` are same-shape ``EXACT_DTYPE`` arrays."""
        if not parts:
            raise ValueError("exact_merge needs at least one part")
        shape = parts[0].shape
        out = np.ascontiguousarray(parts[0]).reshape(-1).copy()
        if len(parts) == 1:
            return out.reshape(shape)
        inst = self._instance()
        nbytes = out.nbytes
        arena = _Arena(inst, {"dst": nbytes, "src": nbytes})
        try:
            arena.write("dst", out)
            for p in parts[1:]:
                arena.write("src", np.ascontiguousarray(p).reshape(-1))
                inst.call("lc_exact_merge", arena.ptr("dst"), arena.ptr("src"), int(out.size))
            return arena.read("dst", _abi.EXACT_DTYPE, out.size).reshape(shape)
        finally:
            arena.free()

    def exact_round(self, acc: np.ndarray) -> np.ndarray:
        """The doubles nearest the exact values of accumulators ``acc`` (any shape)."""
        flat = np.ascontiguousarray(acc).reshape(-1)
        inst = self._instance()
        arena = _Arena(inst, {"acc": flat.nbytes, "out": 8 * flat.size})
        try:
            arena.write("acc", flat)
            inst.call("lc_exact_round", arena.ptr("acc"), int(flat.size), arena.ptr("out"))
            return arena.read("out", np.float64, flat.size).reshape(acc.shape)
        finally:
            arena.free()

    # -- level term -------------------------------------------------------------
    def discount_factors(self, basis: Any, n_months: int) -> np.ndarray:
        """v(t) for t < ``n_months``, as the engine computes them: shape (n_months,) float64.

        Only ``basis.disc_zero_ann`` (annual zero-spot rates by projection year) is used,
        so any product basis will do: v(t) = (1 + j)^(-t), j = (1 + r[t // 12])^(1/12) - 1.
        """
        if n_months == 0:
            return np.zeros(0, dtype=np.float64)
        disc = np.ascontiguousarray(basis.disc_zero_ann, dtype=np.float64)
        inst = self._instance()
        arena = _Arena(inst, {"basis": _abi.TERM_BASIS_DTYPE.itemsize, "disc": disc.nbytes, "v": 8 * n_months})
        try:
            b = np.zeros(1, dtype=_abi.TERM_BASIS_DTYPE)
            b["disc_zero_ann"] = arena.write("disc", disc)
            b["n_disc"] = disc.size
            arena.write("basis", b)
            rc = inst.call("lc_discount_factors", arena.ptr("basis"), int(n_months), arena.ptr("v"))
            self._raise_code(inst, "lc_discount_factors", rc, 0)
            return arena.read("v", np.float64, n_months)
        finally:
            arena.free()

    def value_term(self, basis: Any, policies: Any, *, threads: int = 1, cashflows: bool | tuple[str, ...] = False,
                   batch_size: int = DEFAULT_BATCH, scenario_disc: np.ndarray | None = None,
                   alt_disc: np.ndarray | None = None) -> TermValuation:
        """Value level-term policies.

        Parameters
        ----------
        basis : ProductBasis
            Resolved assumptions of a ``level_term`` product.
        policies : polars.DataFrame
            Canonical policy columns (``age_at_entry``, ``policy_term``,
            ``duration_mth``, ``policy_count``, ``sum_assured``; ``premium_rate``
            for table premiums). Validate first with
            :func:`livecalc_lab.model.policies.check_policies`.
        threads : int
            Threads valuing contiguous slices in parallel (each with its own Store).
        cashflows : bool or tuple of str
            Also return monthly cashflows summed exactly over the policies: True for
            every line of ``_abi.CF_NAMES``, or a tuple of line names to compute only
            those (the others are returned as zeros).
        batch_size : int
            Policies per engine call (bounds linear memory use).
        scenario_disc : ndarray, shape (n_scenarios, >= n_months) float64, optional
            Run the full per-scenario path as well: every policy's cashflows
            discounted with every scenario (P x S x T work; for checking the
            separable path, which discounts the exact portfolio cashflows).
        alt_disc : ndarray, shape (>= n_months,) float64, optional
            Also return each policy's PVs under this discount vector (premiums stay
            those priced on the curve), in ``TermValuation.pv_alt``: with the mean
            of scenario discount factors, each policy's mean PV over the scenarios.

        Returns
        -------
        TermValuation

        Raises
        ------
        EngineError
            A kernel error (code and policy index, counted from 0 over ``policies``),
            a trap, a timeout or the memory limit.
        """
        cols = _policy_columns(policies, basis)
        n = cols["age_at_entry"].size
        n_months = _months_needed(cols, basis) if cashflows else 0
        cf_lines = 0
        if cashflows and cashflows is not True:
            unknown = set(cashflows) - set(_abi.CF_NAMES)
            if unknown:
                raise ValueError(f"unknown cashflow lines {sorted(unknown)}; known: {', '.join(_abi.CF_NAMES)}")
            cf_lines = sum(1 << _abi.CF_NAMES.index(name) for name in set(cashflows))
        batch_size = max(1, min(int(batch_size), _abi.MAX_BATCH))
        bounds = _split(n, max(1, int(threads)), batch_size)

        scen = None
        if scenario_disc is not None:
            need = _months_needed(cols, basis, for_premium=True)
            scen = np.ascontiguousarray(np.asarray(scenario_disc, dtype=np.float64))
            if scen.ndim != 2 or scen.shape[1] < need:
                raise ValueError(f"scenario_disc must be (n_scenarios, >= {need}) discount factors")

        alt = None
        if alt_disc is not None:
            need = _months_needed(cols, basis, for_premium=True)
            alt = np.ascontiguousarray(np.asarray(alt_disc, dtype=np.float64).reshape(-1))
            if alt.size < need:
                raise ValueError(f"alt_disc must cover {need} months, has {alt.size}")

        def work(span: tuple[int, int]) -> tuple:
            return self._value_slice(basis, cols, span, n_months, cf_lines, scen, alt)

        t0 = time.perf_counter()
        parts = _run_spans(work, bounds, threads)
        pv = np.empty((_abi.N_PV, n), dtype=np.float64)
        prem = np.empty(n, dtype=np.float64)
        pv_alt = np.empty((_abi.N_PV, n), dtype=np.float64) if alt is not None else None
        for (lo, hi), part in zip(bounds, parts):
            pv[:, lo:hi] = part[0]
            prem[lo:hi] = part[1]
            if pv_alt is not None:
                pv_alt[:, lo:hi] = part[6]
        # An all-zero accumulator is the normalised exact zero.
        totals_exact = self.exact_merge([p[2] for p in parts]) if parts else np.zeros(_abi.N_PV, _abi.EXACT_DTYPE)
        cf_exact = None
        if cashflows:
            cf_exact = (self.exact_merge([p[3] for p in parts]) if parts
                        else np.zeros((_abi.N_CF, n_months), _abi.EXACT_DTYPE))
        scen_exact = None
        if scen is not None:
            scen_exact = (self.exact_merge([p[5] for p in parts]) if parts
                          else np.zeros((scen.shape[0], _abi.N_PV), _abi.EXACT_DTYPE))
        engine_seconds = sum(p[4] for p in parts) if threads <= 1 else time.perf_counter() - t0
        return TermValuation(
            pv=pv,
            premium_pp=prem,
            totals=self.exact_round(totals_exact),
            totals_exact=totals_exact,
            cashflows=self.exact_round(cf_exact) if cf_exact is not None else None,
            cashflows_exact=cf_exact,
            engine_seconds=engine_seconds,
            scenario_totals=self.exact_round(scen_exact) if scen_exact is not None else None,
            scenario_totals_exact=scen_exact,
            pv_alt=pv_alt,
        )

    # -- scenarios ---------------------------------------------------------------
    def hull_white(self, *, a: float, sigma: float, fund_sigma: float, fund_excess: float, seed: int,
                   zcb: np.ndarray, first_id: int, n_scenarios: int, short_rate: bool = True,
                   fund_return: bool = True) -> dict[str, np.ndarray]:
        """Hull-White scenarios ``first_id .. first_id + n_scenarios - 1`` (id 0: certainty equivalent).

        See ``lc_hull_white`` in ``engine/include/livecalc.h`` for the model and the
        random-number scheme. ``zcb``: (n_months + 1,) float64 zero-coupon prices
        P(0, m). Returns ``disc_factor`` (n_scenarios, n_months + 1) and, when asked,
        ``short_rate`` and ``fund_return`` (n_scenarios, n_months), all float64.

        Raises
        ------
        EngineError
            Parameters out of range (a <= 0, negative or non-finite volatility, a
            non-positive zero-coupon price) or the memory limit.
        """
        P = np.ascontiguousarray(zcb, dtype=np.float64)
        n_months = P.size - 1
        if n_months < 0 or not (0 <= first_id and first_id + n_scenarios <= 2**32):
            raise ValueError("need at least P(0, 0) and scenario ids within 0 .. 2**32 - 1")
        inst = self._instance()
        S = int(n_scenarios)
        sizes = {"spec": _abi.HW_SPEC_DTYPE.itemsize, "zcb": P.nbytes, "disc": 8 * S * (n_months + 1),
                 "short_rate": 8 * S * n_months if short_rate else 0,
                 "fund_return": 8 * S * n_months if fund_return else 0}
        arena = _Arena(inst, sizes)
        try:
            spec = np.zeros(1, dtype=_abi.HW_SPEC_DTYPE)
            spec["a"], spec["sigma"], spec["fund_sigma"], spec["fund_excess"] = a, sigma, fund_sigma, fund_excess
            spec["seed_lo"], spec["seed_hi"] = int(seed) & 0xFFFFFFFF, (int(seed) >> 32) & 0xFFFFFFFF
            spec["zcb"] = arena.write("zcb", P)
            spec["n_months"] = n_months
            arena.write("spec", spec)
            rc = inst.call("lc_hull_white", arena.ptr("spec"), int(first_id), S, arena.ptr("disc"),
                           arena.ptr("short_rate"), arena.ptr("fund_return"))
            self._raise_code(inst, "lc_hull_white", rc, 0)
            out = {"disc_factor": arena.read("disc", np.float64, S * (n_months + 1)).reshape(S, n_months + 1)}
            if short_rate:
                out["short_rate"] = arena.read("short_rate", np.float64, S * n_months).reshape(S, n_months)
            if fund_return:
                out["fund_return"] = arena.read("fund_return", np.float64, S * n_months).reshape(S, n_months)
            return out
        finally:
            if not inst.poisoned:
                arena.free()

    def discount_totals(self, cashflows: np.ndarray, disc_factor: np.ndarray) -> np.ndarray:
        """Exact per-scenario present values of aggregate cashflows.

        Parameters
        ----------
        cashflows : ndarray, shape (n_lines, n_months) float64
            Monthly cashflows, t = 0 .. n_months - 1.
        disc_factor : ndarray, shape (n_scenarios, >= n_months) or (>= n_months,) float64
            Discount factors D(t) per scenario (or one vector for all).

        Returns
        -------
        ndarray, shape (n_scenarios, n_lines) of ``_abi.EXACT_DTYPE``
            sum_t fl(cf[k, t] * D[s, t]), exactly; round with :meth:`exact_round`.
            With ``n_months == 0`` (an empty portfolio) every sum is an exact zero.

        Raises
        ------
        ValueError
            The discount factors cover fewer months than the cashflows.
        EngineError
            The engine call failed.
        """
        cf = np.ascontiguousarray(cashflows, dtype=np.float64)
        n_lines, n_months = cf.shape
        D = np.asarray(disc_factor, dtype=np.float64)
        shared = D.ndim == 1
        D2 = np.ascontiguousarray((D[None, :] if shared else D)[:, :n_months])
        if D2.shape[1] < n_months:
            raise ValueError(f"discount factors cover {D2.shape[1]} months, the cashflows {n_months}")
        S = D2.shape[0]
        inst = self._instance()
        # An empty portfolio projects zero months (and an empty set, zero scenarios): the sums
        # are then empty, and the kernel still needs valid (non-NULL) buffers, so none is sized 0.
        arena = _Arena(inst, {"cf": max(cf.nbytes, 8), "disc": max(D2.nbytes, 8),
                              "out": max(S * n_lines * _abi.EXACT_DTYPE.itemsize, 8)})
        try:
            arena.write("cf", cf)
            arena.write("disc", D2)
            rc = inst.call("lc_discount_totals", arena.ptr("cf"), n_lines, n_months, arena.ptr("disc"), S,
                           0 if shared else n_months, arena.ptr("out"))
            self._raise_code(inst, "lc_discount_totals", rc, 0)
            return arena.read("out", _abi.EXACT_DTYPE, S * n_lines).reshape(S, n_lines)
        finally:
            if not inst.poisoned:
                arena.free()

    # -- savings (path dependent) ----------------------------------------------------
    def value_savings(self, basis: Any, policies: dict[str, np.ndarray], fund_return: np.ndarray,
                      disc_factor: np.ndarray, *, per_lane: bool = False, scenario_totals: bool = True,
                      point_totals: bool = False, components: tuple[str, ...] | None = None,
                      threads: int = 1, max_lanes: int = 1 << 22) -> SavingsValuation:
        """Value savings policies under scenarios (see ``lc_value_savings`` in livecalc.h).

        Parameters
        ----------
        basis : SavingsBasis-like
            Attributes ``mort_qx`` ((n_ages, n_select) float64 annual qx or None),
            ``mort_min_age``, ``mort_outside_zero`` (bool), ``lapse_ann`` ((n_years,)
            annual base rate or None), ``dynamic_lapse`` (None or an object with
            ``c0, c1, min, max``), ``surrender_charge`` ((n_years, n_types) or None),
            ``maint_fee_rate_mth``, ``coi_rate``, ``acquisition``, ``maintenance_ann``,
            ``inflation_ann``, ``commission_rate``.
        policies : mapping of str to ndarray, each shape (n,)
            ``age_at_entry``, ``policy_term`` (years, whole life resolved),
            ``duration_mth``, ``premium_type`` (0 single, 1 level), ``surr_col``
            (-1 none) as int32; ``policy_count``, ``sum_assured``, ``premium_pp``,
            ``av_pp_init``, ``load_prem_rate`` as float64.
        fund_return : ndarray, shape (n_scenarios, n_months) float64
            Monthly fund return r[s, t] for t = 0 .. n_months - 1.
        disc_factor : ndarray, shape (n_months,) or (n_scenarios, n_months) float64
            Discount factor v(t) shared by all scenarios, or per scenario.
        per_lane : bool
            Return every lane's PVs (13 × n × n_scenarios doubles: small runs only).
        scenario_totals, point_totals : bool
            Exact sums over policies per scenario, and over scenarios per policy.
        components : tuple of str or None
            PV names (``_abi.SAV_PV_NAMES``) that go into the totals; None for all.
        threads : int
            Threads valuing slices of the policies (bit-identical results).
        max_lanes : int
            Policies × scenarios per engine call (bounds memory).

        Returns
        -------
        SavingsValuation

        Raises
        ------
        EngineError
            A kernel error with the policy index, a trap, a timeout or the memory limit.
        """
        R = np.asarray(fund_return, dtype=np.float64)
        S, T = R.shape
        R_t = np.ascontiguousarray(R.T)  # time-major: r[s, t] at [t * S + s]
        D = np.asarray(disc_factor, dtype=np.float64)
        per_scen = D.ndim == 2
        if (per_scen and D.shape[0] != S) or D.shape[-1] < T:
            raise ValueError(f"discount factors of shape {D.shape} do not match {S} scenarios x {T} months")
        D_t = np.ascontiguousarray(D[:, :T].T if per_scen else D[:T])
        cols = {k: np.ascontiguousarray(policies[k], dtype=np.int32)
                for k in ("age_at_entry", "policy_term", "duration_mth", "premium_type", "surr_col")}
        cols |= {k: np.ascontiguousarray(policies[k], dtype=np.float64)
                 for k in ("policy_count", "sum_assured", "premium_pp", "av_pp_init", "load_prem_rate")}
        n = cols["age_at_entry"].size
        mask = 0
        if components is not None:
            unknown = set(components) - set(_abi.SAV_PV_NAMES)
            if unknown:
                raise ValueError(f"unknown components {sorted(unknown)}; known: {', '.join(_abi.SAV_PV_NAMES)}")
            mask = sum(1 << _abi.SAV_PV_NAMES.index(c) for c in set(components))
        per_call = max(1, min(max_lanes // max(S, 1), _abi.MAX_BATCH // max(S, 1)))
        bounds = _split(n, max(1, int(threads)), per_call)

        def work(span: tuple[int, int]):
            return self._savings_slice(basis, cols, span, R_t, S, T, D_t, per_scen, per_lane, scenario_totals,
                                       point_totals, mask)

        t0 = time.perf_counter()
        parts = _run_spans(work, bounds, threads)
        engine_seconds = sum(p[3] for p in parts) if threads <= 1 else time.perf_counter() - t0
        pv = None
        if per_lane:
            pv = np.empty((_abi.N_SAV_PV, n, S), dtype=np.float64)
            for (lo, hi), part in zip(bounds, parts):
                pv[:, lo:hi, :] = part[0]
        scen = None
        if scenario_totals:
            scen = (self.exact_merge([p[1] for p in parts]) if parts
                    else np.zeros((S, _abi.N_SAV_PV), _abi.EXACT_DTYPE))
        point = None
        if point_totals:
            point = np.zeros((n, _abi.N_SAV_PV), _abi.EXACT_DTYPE)
            for (lo, hi), part in zip(bounds, parts):
                point[lo:hi] = part[2]
        return SavingsValuation(
            pv=pv,
            scenario_totals=self.exact_round(scen) if scen is not None else None,
            scenario_totals_exact=scen,
            point_totals=self.exact_round(point) if point is not None else None,
            point_totals_exact=point,
            engine_seconds=engine_seconds,
        )

    def _savings_slice(self, basis, cols, span, R_t, S, T, D_t, per_scen, per_lane, scen_totals, point_totals,
                       mask):
        lo, hi = span
        n = hi - lo
        inst = self._instance()
        qx = None if basis.mort_qx is None else np.ascontiguousarray(basis.mort_qx, dtype=np.float64)
        lapse = None if basis.lapse_ann is None else np.ascontiguousarray(basis.lapse_ann, dtype=np.float64)
        sc = None if basis.surrender_charge is None else np.ascontiguousarray(basis.surrender_charge, np.float64)
        sizes = {
            "basis": _abi.SAVINGS_BASIS_DTYPE.itemsize, "policies": _abi.SAVINGS_POLICIES_DTYPE.itemsize,
            "scen": _abi.SAVINGS_SCENARIOS_DTYPE.itemsize, "results": _abi.SAVINGS_RESULTS_DTYPE.itemsize,
            "qx": 0 if qx is None else qx.nbytes, "lapse": 0 if lapse is None else lapse.nbytes,
            "sc": 0 if sc is None else sc.nbytes, "R": R_t.nbytes, "D": D_t.nbytes,
            **{k: 4 * n for k in ("age_at_entry", "policy_term", "duration_mth", "premium_type", "surr_col")},
            **{k: 8 * n for k in ("policy_count", "sum_assured", "premium_pp", "av_pp_init", "load_prem_rate")},
            "pv": 8 * _abi.N_SAV_PV * n * S if per_lane else 0,
            "scen_totals": S * _abi.N_SAV_PV * _abi.EXACT_DTYPE.itemsize if scen_totals else 0,
            "point_totals": n * _abi.N_SAV_PV * _abi.EXACT_DTYPE.itemsize if point_totals else 0,
        }
        arena = _Arena(inst, sizes)
        try:
            b = np.zeros(1, dtype=_abi.SAVINGS_BASIS_DTYPE)
            if qx is not None:
                b["mort_qx"] = arena.write("qx", qx)
                b["mort_n_ages"], b["mort_n_select"] = qx.shape
                b["mort_min_age"] = basis.mort_min_age
            b["mort_outside"] = 0 if basis.mort_outside_zero else 1
            if lapse is not None:
                b["lapse_ann"] = arena.write("lapse", lapse)
                b["n_lapse"] = lapse.size
            dyn = basis.dynamic_lapse
            b["dyn_lapse"] = 0 if dyn is None else 1
            if dyn is not None:
                b["dyn_c0"], b["dyn_c1"], b["dyn_min"], b["dyn_max"] = dyn.c0, dyn.c1, dyn.min, dyn.max
            if sc is not None:
                b["surr_charge"] = arena.write("sc", sc)
                b["n_sc_years"], b["n_sc_cols"] = sc.shape
            for k in ("maint_fee_rate_mth", "coi_rate", "acquisition", "maintenance_ann", "inflation_ann",
                      "commission_rate"):
                b[k] = getattr(basis, k)
            arena.write("basis", b)
            p = np.zeros(1, dtype=_abi.SAVINGS_POLICIES_DTYPE)
            p["n"] = n
            for k in ("age_at_entry", "policy_term", "duration_mth", "premium_type", "surr_col", "policy_count",
                      "sum_assured", "premium_pp", "av_pp_init", "load_prem_rate"):
                p[k] = arena.write(k, cols[k][lo:hi])
            arena.write("policies", p)
            sp = np.zeros(1, dtype=_abi.SAVINGS_SCENARIOS_DTYPE)
            sp["n_scen"], sp["n_months"] = S, T
            sp["fund_return"] = arena.write("R", R_t)
            sp["disc"] = arena.write("D", D_t)
            sp["disc_per_scenario"] = int(per_scen)
            arena.write("scen", sp)
            r = np.zeros(1, dtype=_abi.SAVINGS_RESULTS_DTYPE)
            r["pv"], r["scen_totals"], r["point_totals"] = arena.ptr("pv"), arena.ptr("scen_totals"), \
                arena.ptr("point_totals")
            r["total_mask"] = mask
            arena.write("results", r)
            t0 = time.perf_counter()
            rc = inst.call("lc_value_savings", arena.ptr("basis"), arena.ptr("policies"), arena.ptr("scen"),
                           arena.ptr("results"), index_offset=lo)
            dt = time.perf_counter() - t0
            self._raise_code(inst, "lc_value_savings", rc, lo)
            pv = arena.read("pv", np.float64, _abi.N_SAV_PV * n * S).reshape(_abi.N_SAV_PV, n, S) if per_lane else None
            st = (arena.read("scen_totals", _abi.EXACT_DTYPE, S * _abi.N_SAV_PV).reshape(S, _abi.N_SAV_PV)
                  if scen_totals else None)
            pt = (arena.read("point_totals", _abi.EXACT_DTYPE, n * _abi.N_SAV_PV).reshape(n, _abi.N_SAV_PV)
                  if point_totals else None)
            return pv, st, pt, dt
        finally:
            if not inst.poisoned:
                arena.free()

    def philox4x32(self, counter: tuple[int, int, int, int], key: tuple[int, int]) -> tuple[int, int, int, int]:
        """One Philox4x32-10 block, as the engine computes it (for known-answer tests)."""
        inst = self._instance()
        arena = _Arena(inst, {"ctr": 16, "key": 8, "out": 16})
        try:
            arena.write("ctr", np.array(counter, dtype="<u4"))
            arena.write("key", np.array(key, dtype="<u4"))
            inst.call("lc_philox4x32", arena.ptr("ctr"), arena.ptr("key"), arena.ptr("out"))
            return tuple(int(v) for v in arena.read("out", "<u4", 4))
        finally:
            arena.free()

    def _basis_arena(self, inst: _Instance, basis: Any, extra: dict[str, int]) -> tuple[_Arena, np.ndarray]:
        qx = np.ascontiguousarray(basis.mort_qx, dtype=np.float64)
        lapse = np.ascontiguousarray(basis.lapse_ann, dtype=np.float64)
        disc = np.ascontiguousarray(basis.disc_zero_ann, dtype=np.float64)
        comm = np.ascontiguousarray(basis.commission_rates, dtype=np.float64)
        sizes = {"basis": _abi.TERM_BASIS_DTYPE.itemsize, "qx": qx.nbytes, "lapse": lapse.nbytes,
                 "disc": disc.nbytes, "comm": comm.nbytes, **extra}
        arena = _Arena(inst, sizes)
        try:
            b = np.zeros(1, dtype=_abi.TERM_BASIS_DTYPE)
            b["mort_qx"] = arena.write("qx", qx)
            b["mort_min_age"] = basis.mort_min_age
            b["mort_n_ages"], b["mort_n_select"] = qx.shape
            b["lapse_ann"] = arena.write("lapse", lapse)
            b["n_lapse"] = lapse.size
            b["disc_zero_ann"] = arena.write("disc", disc)
            b["n_disc"] = disc.size
            b["comm_rates"] = arena.write("comm", comm) if comm.size else 0
            b["n_comm"] = comm.size
            b["premium_basis"] = _abi.PREMIUM_BASIS[basis.premium_basis]
            b["round_decimals"] = basis.premium_round_decimals
            b["premium_loading"] = basis.premium_loading
            b["acquisition"] = basis.acquisition
            b["maintenance_ann"] = basis.maintenance_ann
            b["inflation_ann"] = basis.inflation_ann
            b["maturity_benefit"] = basis.maturity_benefit
            arena.write("basis", b)
        except BaseException:
            arena.free()
            raise
        return arena, b

    def _value_slice(self, basis: Any, cols: dict[str, np.ndarray], span: tuple[int, int], n_months: int,
                     cf_lines: int = 0, scen: np.ndarray | None = None, alt: np.ndarray | None = None):
        lo, hi = span
        n = hi - lo
        inst = self._instance()
        table = basis.premium_basis == "table"
        extra = {
            "policies": _abi.POLICIES_DTYPE.itemsize,
            "results": _abi.RESULTS_DTYPE.itemsize,
            "age_at_entry": 4 * n, "policy_term": 4 * n, "duration_mth": 4 * n,
            "policy_count": 8 * n, "sum_assured": 8 * n, "premium_rate": 8 * n if table else 0,
            "pv": 8 * _abi.N_PV * n, "premium_pp": 8 * n,
            "totals": _abi.N_PV * _abi.EXACT_DTYPE.itemsize,
            "cashflows": _abi.N_CF * n_months * _abi.EXACT_DTYPE.itemsize,
            "scen_disc": 0 if scen is None else scen.nbytes,
            "scen_totals": 0 if scen is None else scen.shape[0] * _abi.N_PV * _abi.EXACT_DTYPE.itemsize,
            "alt_disc": 0 if alt is None else alt.nbytes,
            "pv_alt": 0 if alt is None else 8 * _abi.N_PV * n,
        }
        arena, _ = self._basis_arena(inst, basis, extra)
        try:
            p = np.zeros(1, dtype=_abi.POLICIES_DTYPE)
            p["n"] = n
            for name in ("age_at_entry", "policy_term", "duration_mth", "policy_count", "sum_assured"):
                p[name] = arena.write(name, cols[name][lo:hi])
            if table:
                p["premium_rate"] = arena.write("premium_rate", cols["premium_rate"][lo:hi])
            arena.write("policies", p)
            r = np.zeros(1, dtype=_abi.RESULTS_DTYPE)
            r["pv"], r["premium_pp"], r["totals"] = arena.ptr("pv"), arena.ptr("premium_pp"), arena.ptr("totals")
            r["cashflows"], r["n_months"], r["cf_lines"] = arena.ptr("cashflows"), n_months, cf_lines
            if scen is not None:
                r["scen_disc"] = arena.write("scen_disc", scen)
                r["n_scen"], r["scen_stride"] = scen.shape
                r["scen_totals"] = arena.ptr("scen_totals")
            if alt is not None:
                r["alt_disc"] = arena.write("alt_disc", alt)
                r["pv_alt"] = arena.ptr("pv_alt")
            arena.write("results", r)
            t0 = time.perf_counter()
            rc = inst.call("lc_value_term", arena.ptr("basis"), arena.ptr("policies"), arena.ptr("results"),
                           index_offset=lo)
            dt = time.perf_counter() - t0
            self._raise_code(inst, "lc_value_term", rc, lo)
            pv = arena.read("pv", np.float64, _abi.N_PV * n).reshape(_abi.N_PV, n)
            prem = arena.read("premium_pp", np.float64, n)
            totals = arena.read("totals", _abi.EXACT_DTYPE, _abi.N_PV)
            cf = (arena.read("cashflows", _abi.EXACT_DTYPE, _abi.N_CF * n_months).reshape(_abi.N_CF, n_months)
                  if n_months else np.zeros((_abi.N_CF, 0), _abi.EXACT_DTYPE))
            st = (arena.read("scen_totals", _abi.EXACT_DTYPE, scen.shape[0] * _abi.N_PV).reshape(scen.shape[0], _abi.N_PV)
                  if scen is not None else None)
            pa = arena.read("pv_alt", np.float64, _abi.N_PV * n).reshape(_abi.N_PV, n) if alt is not None else None
            return pv, prem, totals, cf, dt, st, pa
        finally:
            if not inst.poisoned:
                arena.free()

    @staticmethod
    def _raise_code(inst: _Instance, name: str, rc: int, offset: int) -> None:
        if rc == 0:
            return
        st = inst.status()
        idx = int(st["policy_index"])
        index = idx + offset if idx >= 0 else None
        where = f" at policy index {index}" if index is not None else ""
        raise EngineError(
            f"engine call {name} failed{where}: {_abi.ERRORS.get(int(rc), f'error code {rc}')} "
            f"(detail {int(st['detail'])})",
            call=name,
            policy_index=index,
        )


def _policy_columns(policies: Any, basis: Any) -> dict[str, np.ndarray]:
    def col(name: str, dtype: Any) -> np.ndarray:
        return np.ascontiguousarray(policies[name].to_numpy(), dtype=dtype)

    cols = {
        "age_at_entry": col("age_at_entry", np.int32),
        "policy_term": col("policy_term", np.int32),
        "duration_mth": col("duration_mth", np.int32),
        "policy_count": col("policy_count", np.float64),
        "sum_assured": col("sum_assured", np.float64),
    }
    if basis.premium_basis == "table":
        cols["premium_rate"] = col("premium_rate", np.float64)
    return cols


def _run_spans(work: Any, bounds: list[tuple[int, int]], threads: int) -> list[Any]:
    """``work`` on each span, on ``threads`` threads (each with its own Store), results in span order."""
    if threads > 1 and len(bounds) > 1:
        with ThreadPoolExecutor(max_workers=int(threads), thread_name_prefix="livecalc-engine") as ex:
            return list(ex.map(work, bounds))
    return [work(b) for b in bounds]


def _months_needed(cols: dict[str, np.ndarray], basis: Any, for_premium: bool = False) -> int:
    """Projection months the policies' cashflows span (and, with ``for_premium``, their
    equivalence-premium projections from issue, which the kernel's tables cover)."""
    if cols["policy_term"].size == 0:
        return 0
    T = 12 * cols["policy_term"].astype(np.int64)
    last = T - cols["duration_mth"]
    if for_premium and basis.premium_basis == "equivalence":
        last = np.maximum(last, T)
    return int(max(last.max() + 1, 0))


def _split(n: int, threads: int, batch: int) -> list[tuple[int, int]]:
    """Contiguous spans: at least ``threads`` of them (when n allows), none longer than ``batch``."""
    k = max(threads, -(-n // batch)) if n else 0
    k = min(k, n) if n else 0
    edges = [n * i // k for i in range(k + 1)] if k else [0]
    return [(edges[i], edges[i + 1]) for i in range(k)]


_DEFAULT: Engine | None = None
_DEFAULT_LOCK = threading.Lock()


def default_engine() -> Engine:
    """The process-wide engine for the packaged module (compiled on first use, then cached)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = Engine()
        return _DEFAULT
