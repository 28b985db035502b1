"""Hatch build hook: compile ``engine/`` to ``livecalc_lab/engine/engine.wasm``.

Runs for wheels, sdist-to-wheel builds and editable installs alike, so the module is
always at the same path inside the package. The wheel stays ``py3-none-any``: the
module is platform-independent.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class EngineBuildHook(BuildHookInterface):
    """Build the WebAssembly engine before the package files are collected."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name not in ("wheel",):
            return
        root = Path(self.root)
        spec = importlib.util.spec_from_file_location("_livecalc_engine_build", root / "engine" / "build.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        out = mod.build_wasm(root / "livecalc_lab" / "engine" / "engine.wasm")
        build_data["pure_python"] = True
        if version != "editable":
            build_data.setdefault("artifacts", []).append(str(out.relative_to(root)))
