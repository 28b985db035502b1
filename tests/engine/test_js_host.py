"""The same engine.wasm in Node, through the JavaScript host: bit-identical to wasmtime.

The module imports nothing, so it runs unchanged wherever WebAssembly runs; this
checks it in Node (the machine's ``node``) with ``livecalc_lab/engine/js/host.mjs``,
the host the in-browser preview will use.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest

import livecalc_lab as lc
from livecalc_lab.engine import ENGINE_PATH, _abi
from livecalc_lab.model.policies import attach_premium_rates, check_policies, demo_policies_path, read_policies

JS = ENGINE_PATH.parent / "js"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed (the engine's JS host runs in Node)")


def _input(basis, frame) -> dict:
    """The basis and policies as JSON: floats as Python's shortest repr, which JSON.parse reads back exactly."""
    b = {
        "mort_qx": basis.mort_qx.ravel().tolist(), "mort_min_age": basis.mort_min_age,
        "mort_n_ages": basis.mort_qx.shape[0], "mort_n_select": basis.mort_qx.shape[1],
        "lapse_ann": basis.lapse_ann.tolist(), "disc_zero_ann": basis.disc_zero_ann.tolist(),
        "commission_rates": basis.commission_rates.tolist(), "premium_basis": basis.premium_basis,
        "premium_round_decimals": basis.premium_round_decimals, "premium_loading": basis.premium_loading,
        "acquisition": basis.acquisition, "maintenance_ann": basis.maintenance_ann,
        "inflation_ann": basis.inflation_ann, "maturity_benefit": basis.maturity_benefit,
    }
    cols = ["age_at_entry", "policy_term", "duration_mth", "policy_count", "sum_assured"]
    if basis.premium_basis == "table":
        cols.append("premium_rate")
    return {"basis": b, "policies": {c: frame[c].to_list() for c in cols}}


def _bits(hexstr: str) -> np.ndarray:
    return np.frombuffer(bytes.fromhex(hexstr), dtype="<f8")


@pytest.mark.parametrize("product", ["basic_term_s", "basic_term_se"])
def test_node_values_the_bundled_portfolio_bit_for_bit(engine, tmp_path, product):
    basis = lc.demo_assumptions().basis(product)
    pols = read_policies(demo_policies_path(product))
    check_policies(pols, basis)
    frame = attach_premium_rates(pols, basis)
    (tmp_path / "in.json").write_text(json.dumps(_input(basis, frame)))
    subprocess.run([NODE, str(JS / "value_file.mjs"), str(ENGINE_PATH), str(tmp_path / "in.json"),
                    str(tmp_path / "out.json")], check=True, timeout=120, capture_output=True, text=True)
    out = json.loads((tmp_path / "out.json").read_text())
    ref = engine.value_term(basis, frame)
    assert _bits(out["totals"]).tobytes() == ref.totals.tobytes()
    assert _bits(out["premium_pp"]).tobytes() == ref.premium_pp.tobytes()
    for k, name in enumerate(_abi.PV_NAMES):
        assert _bits(out[name]).tobytes() == ref.pv[k].tobytes(), name


def test_the_js_host_speaks_the_package_abi():
    text = (JS / "host.mjs").read_text()
    assert f"export const ABI_VERSION = {_abi.ABI_VERSION};" in text
