"""The projection kernel compiled natively and called through ctypes (benchmarks only).

The same C sources as ``engine.wasm`` (``engine/src``) are built as a shared library
with ``engine/build.py``'s :func:`build_native` and called directly on numpy
buffers, so the native timing contains the kernel and nothing else. The ctypes
structures below mirror ``engine/include/livecalc.h`` with the platform's own
pointer size: ctypes computes the native offsets, which differ from the wasm32
offsets written in the header (and in ``livecalc_lab/engine/_abi.py``).

Not part of the package: nothing here is imported by ``livecalc_lab``.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import shutil
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "ABI_VERSION",
    "N_PV",
    "LcExact",
    "LcTermBasis",
    "LcPolicies",
    "LcTermResults",
    "NativeEngine",
    "NativeCall",
    "library_path",
    "ensure_library",
    "engine_sources",
]

ROOT = Path(__file__).resolve().parent.parent
ENGINE_DIR = ROOT / "engine"
BUILD_DIR = ENGINE_DIR / "build"

ABI_VERSION = 4  # engine/include/livecalc.h LC_ABI_VERSION; the layouts below follow it
EXACT_LIMBS = 68
N_PV = 5
PREMIUM_BASIS = {"equivalence": 0, "table": 1}

_p_f64 = ctypes.POINTER(ctypes.c_double)
_p_i32 = ctypes.POINTER(ctypes.c_int32)


class LcExact(ctypes.Structure):
    """``lc_exact``: exact fixed-point sum, 68 signed 32-bit-digit limbs plus a NaN/inf flag word."""

    _fields_ = [("limb", ctypes.c_int64 * EXACT_LIMBS), ("special", ctypes.c_int64)]


class LcStatus(ctypes.Structure):
    """``lc_status``: last error code, policy index and detail."""

    _fields_ = [("code", ctypes.c_int32), ("policy_index", ctypes.c_int32),
                ("detail", ctypes.c_int32), ("reserved", ctypes.c_int32)]


class LcTermBasis(ctypes.Structure):
    """``lc_term_basis`` with native pointers (size 88 on wasm32)."""

    _fields_ = [
        ("mort_qx", _p_f64),
        ("mort_min_age", ctypes.c_int32),
        ("mort_n_ages", ctypes.c_int32),
        ("mort_n_select", ctypes.c_int32),
        ("lapse_ann", _p_f64),
        ("n_lapse", ctypes.c_int32),
        ("disc_zero_ann", _p_f64),
        ("n_disc", ctypes.c_int32),
        ("comm_rates", _p_f64),
        ("n_comm", ctypes.c_int32),
        ("premium_basis", ctypes.c_int32),
        ("round_decimals", ctypes.c_int32),
        ("premium_loading", ctypes.c_double),
        ("acquisition", ctypes.c_double),
        ("maintenance_ann", ctypes.c_double),
        ("inflation_ann", ctypes.c_double),
        ("maturity_benefit", ctypes.c_double),
    ]


class LcPolicies(ctypes.Structure):
    """``lc_policies``: n and six column pointers."""

    _fields_ = [
        ("n", ctypes.c_int32),
        ("age_at_entry", _p_i32),
        ("policy_term", _p_i32),
        ("duration_mth", _p_i32),
        ("policy_count", _p_f64),
        ("sum_assured", _p_f64),
        ("premium_rate", _p_f64),
    ]


class LcTermResults(ctypes.Structure):
    """``lc_term_results``: output buffers and the optional paths (left NULL here)."""

    _fields_ = [
        ("pv", _p_f64),
        ("premium_pp", _p_f64),
        ("totals", ctypes.POINTER(LcExact)),
        ("cashflows", ctypes.POINTER(LcExact)),
        ("n_months", ctypes.c_int32),
        ("cf_lines", ctypes.c_int32),
        ("scen_disc", _p_f64),
        ("n_scen", ctypes.c_int32),
        ("scen_stride", ctypes.c_int32),
        ("scen_totals", ctypes.POINTER(LcExact)),
        ("alt_disc", _p_f64),
        ("pv_alt", _p_f64),
    ]


def engine_sources() -> list[Path]:
    """The files a native build depends on: ``engine/src/*`` and ``engine/include/*``."""
    return sorted(p for d in (ENGINE_DIR / "src", ENGINE_DIR / "include") for p in d.iterdir() if p.is_file())


def library_path(compiler: str = "zig") -> Path:
    """Where the native library for ``compiler`` lives: ``engine/build/liblivecalc[-gcc].so``."""
    suffix = sysconfig.get_config_var("SHLIB_SUFFIX") or ".so"
    tag = "" if compiler == "zig" else f"-{Path(compiler).name}"
    return BUILD_DIR / f"liblivecalc{tag}{suffix}"


def _build_module() -> Any:
    spec = importlib.util.spec_from_file_location("_livecalc_engine_build", ENGINE_DIR / "build.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


def ensure_library(compiler: str = "zig", *, force: bool = False) -> Path:
    """Build the native library with ``build_native`` if missing or older than the sources.

    Parameters
    ----------
    compiler : str
        ``"zig"`` (the ziglang C compiler, as for the wasm engine) or a system C
        compiler such as ``"gcc"``.
    force : bool
        Rebuild even when the library is up to date.

    Returns
    -------
    pathlib.Path
        The library. It is built under a temporary name and renamed into place, so a
        concurrent reader never sees a half-written file.

    Raises
    ------
    FileNotFoundError
        ``compiler`` is not on ``PATH`` (system compilers only).
    subprocess.CalledProcessError
        The compiler failed.
    """
    out = library_path(compiler)
    newest = max(p.stat().st_mtime for p in engine_sources())
    if not force and out.is_file() and out.stat().st_mtime >= newest:
        return out
    if compiler != "zig" and shutil.which(compiler) is None:
        raise FileNotFoundError(f"C compiler {compiler!r} not found on PATH")
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        _build_module().build_native(tmp, compiler=compiler)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


class NativeEngine:
    """A loaded native ``liblivecalc``: checks the ABI version and types the exports.

    Parameters
    ----------
    path : pathlib.Path
        The shared library (see :func:`ensure_library`).
    label : str
        Name shown in benchmark tables, e.g. ``"native (zig cc -O3)"``.
    """

    def __init__(self, path: Path, label: str):
        self.path = Path(path)
        self.label = label
        lib = ctypes.CDLL(str(self.path))
        lib.lc_abi_version.restype = ctypes.c_uint32
        lib.lc_abi_version.argtypes = []
        lib.lc_status_ptr.restype = ctypes.POINTER(LcStatus)
        lib.lc_status_ptr.argtypes = []
        lib.lc_value_term.restype = ctypes.c_int32
        lib.lc_value_term.argtypes = [ctypes.POINTER(LcTermBasis), ctypes.POINTER(LcPolicies),
                                      ctypes.POINTER(LcTermResults)]
        lib.lc_exact_round.restype = None
        lib.lc_exact_round.argtypes = [ctypes.POINTER(LcExact), ctypes.c_int32, _p_f64]
        version = lib.lc_abi_version()
        if version != ABI_VERSION:
            raise RuntimeError(f"{self.path}: ABI version {version}, this benchmark speaks {ABI_VERSION}; rebuild it")
        self.lib = lib

    def prepare(self, basis: Any, cols: dict[str, np.ndarray]) -> NativeCall:
        """Bind ``basis`` and policy columns (as the host's ``_policy_columns``) to one reusable call."""
        return NativeCall(self, basis, cols)

    def status(self) -> LcStatus:
        return self.lib.lc_status_ptr().contents


def _f64(a: Any) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64)


def _ptr(a: np.ndarray, ptype: Any) -> Any:
    return a.ctypes.data_as(ptype) if a.size else ptype()


@dataclass
class NativeResult:
    """Outputs of one native ``lc_value_term`` call (copies)."""

    pv: np.ndarray  # (5, n) float64
    premium_pp: np.ndarray  # (n,) float64
    totals: np.ndarray  # (5,) float64, correctly rounded exact sums
    seconds: float


class NativeCall:
    """One ``lc_value_term`` call block over numpy buffers, run as often as wanted.

    The buffers (inputs, ``pv``, ``premium_pp``, ``totals``) are allocated once; every
    :meth:`run` zeroes the exact totals (the kernel adds to them) outside the timed
    region and times only the foreign call.
    """

    def __init__(self, eng: NativeEngine, basis: Any, cols: dict[str, np.ndarray]):
        self.eng = eng
        n = int(cols["age_at_entry"].size)
        self.n = n
        # Keep every array referenced by self: the structs hold raw pointers into them.
        self._qx = _f64(basis.mort_qx)
        self._lapse = _f64(basis.lapse_ann)
        self._disc = _f64(basis.disc_zero_ann)
        self._comm = _f64(basis.commission_rates)
        self._cols = {k: np.ascontiguousarray(v) for k, v in cols.items()}
        self.pv = np.zeros((N_PV, n), dtype=np.float64)
        self.premium_pp = np.zeros(n, dtype=np.float64)
        self.totals = (LcExact * N_PV)()

        b = LcTermBasis()
        b.mort_qx = _ptr(self._qx, _p_f64)
        b.mort_min_age = int(basis.mort_min_age)
        b.mort_n_ages, b.mort_n_select = (int(s) for s in self._qx.shape)
        b.lapse_ann = _ptr(self._lapse, _p_f64)
        b.n_lapse = self._lapse.size
        b.disc_zero_ann = _ptr(self._disc, _p_f64)
        b.n_disc = self._disc.size
        b.comm_rates = _ptr(self._comm, _p_f64)
        b.n_comm = self._comm.size
        b.premium_basis = PREMIUM_BASIS[basis.premium_basis]
        b.round_decimals = int(basis.premium_round_decimals)
        b.premium_loading = float(basis.premium_loading)
        b.acquisition = float(basis.acquisition)
        b.maintenance_ann = float(basis.maintenance_ann)
        b.inflation_ann = float(basis.inflation_ann)
        b.maturity_benefit = float(basis.maturity_benefit)
        self.basis = b

        p = LcPolicies()
        p.n = n
        c = self._cols
        for name in ("age_at_entry", "policy_term", "duration_mth"):
            assert c[name].dtype == np.int32, name
            setattr(p, name, _ptr(c[name], _p_i32))
        for name in ("policy_count", "sum_assured"):
            assert c[name].dtype == np.float64, name
            setattr(p, name, _ptr(c[name], _p_f64))
        p.premium_rate = _ptr(c["premium_rate"], _p_f64) if "premium_rate" in c else _p_f64()
        self.policies = p

        r = LcTermResults()
        r.pv = _ptr(self.pv, _p_f64)
        r.premium_pp = _ptr(self.premium_pp, _p_f64)
        r.totals = ctypes.cast(self.totals, ctypes.POINTER(LcExact))
        r.cashflows = ctypes.POINTER(LcExact)()
        r.n_months = 0
        self.results = r

        self._args = (ctypes.byref(self.basis), ctypes.byref(self.policies), ctypes.byref(self.results))

    def time_once(self) -> float:
        """Run the kernel once; return the seconds spent in the ``lc_value_term`` call."""
        ctypes.memset(self.totals, 0, ctypes.sizeof(self.totals))
        fn = self.eng.lib.lc_value_term
        args = self._args
        t0 = time.perf_counter()
        rc = fn(*args)
        dt = time.perf_counter() - t0
        if rc != 0:
            st = self.eng.status()
            raise RuntimeError(f"native lc_value_term returned {rc} at policy index {st.policy_index} "
                               f"(detail {st.detail})")
        return dt

    def run(self) -> NativeResult:
        """Run once and return copies of the outputs, totals rounded by the library's ``lc_exact_round``."""
        dt = self.time_once()
        totals = np.empty(N_PV, dtype=np.float64)
        self.eng.lib.lc_exact_round(ctypes.cast(self.totals, ctypes.POINTER(LcExact)), N_PV, _ptr(totals, _p_f64))
        return NativeResult(pv=self.pv.copy(), premium_pp=self.premium_pp.copy(), totals=totals, seconds=dt)


def _check_abi_constant() -> None:
    """The benchmark's ABI number follows the package's (checked at import, so a drift is loud)."""
    from livecalc_lab.engine import _abi

    if _abi.ABI_VERSION != ABI_VERSION:
        raise RuntimeError(f"bench/_native.py mirrors ABI {ABI_VERSION}, the package speaks {_abi.ABI_VERSION}")


_check_abi_constant()
