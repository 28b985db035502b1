"""Build the projection kernel: to ``wasm32`` (the shipped engine) or natively (benchmarks).

Both targets compile the same C11 sources with the C compiler inside the ``ziglang``
package from PyPI, so no system compiler is needed and, with the pinned ziglang
version, the WebAssembly module is byte-reproducible.

Usage::

    python engine/build.py wasm   [OUT]   # default livecalc_lab/engine/engine.wasm
    python engine/build.py native [OUT]   # shared library for bench/, -O3, no -march

zig builds its libc once per cache (~30 s). The cache lives in
``$ZIG_GLOBAL_CACHE_DIR`` (default ``~/.cache/livecalc-lab/zig``) so isolated builds
reuse it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ENGINE_DIR = Path(__file__).resolve().parent
ROOT = ENGINE_DIR.parent
SOURCES = sorted((ENGINE_DIR / "src").glob("*.c"))
INCLUDE = ENGINE_DIR / "include"
WASM_OUT = ROOT / "livecalc_lab" / "engine" / "engine.wasm"
COMMON_FLAGS = ["-std=c11", "-O3", "-Wall", "-Wextra", "-Werror", "-fno-math-errno", "-ffp-contract=off", "-I", str(INCLUDE)]
# No -ffast-math: results must be IEEE-exact and identical on every host.
WASM_FLAGS = ["-target", "wasm32-wasi", "-mexec-model=reactor", "-msimd128", "-s"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    cache = env.get("ZIG_GLOBAL_CACHE_DIR") or str(Path.home() / ".cache" / "livecalc-lab" / "zig")
    env["ZIG_GLOBAL_CACHE_DIR"] = cache
    env.setdefault("ZIG_LOCAL_CACHE_DIR", cache)
    return env


def _zig_cc() -> list[str]:
    return [sys.executable, "-m", "ziglang", "cc"]


def build_wasm(out: Path = WASM_OUT) -> Path:
    """Compile the kernel to a WebAssembly module with no imports; return its path."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".wasm.tmp")
    cmd = _zig_cc() + WASM_FLAGS + COMMON_FLAGS + [str(s) for s in SOURCES] + ["-o", str(tmp)]
    subprocess.run(cmd, check=True, env=_env(), cwd=ENGINE_DIR)
    os.replace(tmp, out)
    return out


def build_native(out: Path | None = None, compiler: str = "zig") -> Path:
    """Compile the kernel as a native shared library (``-O3``, no ``-march``) for benchmarks."""
    suffix = sysconfig.get_config_var("SHLIB_SUFFIX") or ".so"
    out = out or ENGINE_DIR / "build" / f"liblivecalc{suffix}"
    out.parent.mkdir(parents=True, exist_ok=True)
    # zig cc targets the build machine's CPU by default; -mcpu=baseline is the
    # generic x86-64 / aarch64 the "no -march" baseline means.
    cc = _zig_cc() + ["-mcpu=baseline"] if compiler == "zig" else [compiler]
    cmd = cc + COMMON_FLAGS + ["-fPIC", "-shared"] + [str(s) for s in SOURCES] + ["-o", str(out), "-lm"]
    subprocess.run(cmd, check=True, env=_env(), cwd=ENGINE_DIR)
    return out


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "wasm"
    dest = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    if what == "wasm":
        print(build_wasm(dest or WASM_OUT))
    elif what == "native":
        print(build_native(dest))
    else:
        sys.exit(f"usage: {sys.argv[0]} wasm|native [OUT]")
