"""The WebAssembly projection engine and its wasmtime host.

``engine.wasm`` is built from ``engine/`` (C11) at install time and shipped inside
the package; :func:`default_engine` compiles it once per process.
"""

from livecalc_lab.engine.host import ENGINE_PATH, Engine, TermValuation, default_engine

__all__ = ["ENGINE_PATH", "Engine", "TermValuation", "default_engine", "engine_version"]


def engine_version() -> str:
    """Content hash (``"sha256:<hex>"``) of the packaged engine module."""
    return default_engine().version
