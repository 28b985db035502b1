"""The same engine.wasm in Node, through the JavaScript host: bit-identical to wasmtime.

The module imports nothing, so it runs unchanged wherever WebAssembly runs; this
checks it in Node (the machine's ``node``) with ``livecalc_lab/engine/js/host.mjs``,
the host the in-browser preview will use.
"""

from __future__ import annotations

import json
import math
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


def test_scenarios_discounting_and_exact_sums_match_the_python_host(engine, run_js):
    """hullWhite, discountTotals, discountFactors, valueTerm's cashflows and pv_alt, exactAdd / Merge / Round."""
    basis = lc.demo_assumptions().basis("basic_term_se")
    pols = read_policies(demo_policies_path("basic_term_se"))
    check_policies(pols, basis)
    frame = attach_premium_rates(pols, basis)[:700]
    rng = np.random.default_rng(8)
    x = np.concatenate([rng.standard_normal(500) * 1e6, [1e-310, -5e-324, 3e300, -3e300]])
    zcb = engine.discount_factors(basis, 61)
    hw = engine.hull_white(a=0.07, sigma=0.012, fund_sigma=0.2, fund_excess=0.01, seed=2**40 + 3, zcb=zcb,
                           first_id=5, n_scenarios=30)
    val = engine.value_term(basis, frame, cashflows=("claims", "net_cf", "pols_if"))
    alt = np.linspace(1.0, 0.5, 12 * 150)
    pv_alt = engine.value_term(basis, frame, alt_disc=alt).pv_alt
    cf = val.cashflows[[6, 9]]
    T = cf.shape[1]
    v = engine.discount_factors(basis, T)
    disc = np.ascontiguousarray(np.tile(v, (3, 1)) * np.linspace(1, 0.9, 3)[:, None])
    out = run_js("""
        import { Engine, EXACT_WORDS } from "@js/host.mjs";
        const e = await Engine.load(readFileSync(input.wasm));
        const f64 = (a) => Float64Array.from(a), i32 = (a) => Int32Array.from(a), p = input.policies;
        const hw = e.hullWhite({ ...input.hw, zcb: f64(input.zcb), firstId: 5, nScenarios: 30 });
        const pols = { age_at_entry: i32(p.age_at_entry), policy_term: i32(p.policy_term),
                       duration_mth: i32(p.duration_mth), policy_count: f64(p.policy_count),
                       sum_assured: f64(p.sum_assured), premium_rate: f64(p.premium_rate) };
        const b = { ...input.basis, mort_qx: f64(input.basis.mort_qx), lapse_ann: f64(input.basis.lapse_ann),
                    disc_zero_ann: f64(input.basis.disc_zero_ann), commission_rates: f64(input.basis.commission_rates) };
        const val = e.valueTerm(b, pols, { cashflows: ["claims", "net_cf", "pols_if"], altDisc: f64(input.alt) });
        const x = f64(input.x), half = x.length >> 1;
        const acc = e.exactMerge([e.exactAdd(x.subarray(0, half)), e.exactAdd(x.subarray(half))]);
        const both = new BigInt64Array(2 * EXACT_WORDS);
        both.set(acc); both.set(e.exactAdd(x.subarray(0, 3)), EXACT_WORDS);
        output = { hw, v: e.discountFactors(b, 61), cashflows: val.cashflows, cf_exact: val.cashflows_exact,
                   totals: val.totals, pv_alt: val.pv_alt[4], acc, round: e.exactRound(both),
                   disc: e.exactRound(e.discountTotals(f64(input.cf), 2, input.T, f64(input.disc),
                                                       { nScen: 3, discStride: input.T })),
                   shared: e.discountTotals(f64(input.cf), 2, input.T, e.discountFactors(b, input.T), { rounded: true }),
                   empty: e.discountTotals(new Float64Array(0), 2, 0, new Float64Array(0), { nScen: 3, rounded: true }) };
        """, {"wasm": str(ENGINE_PATH), "zcb": zcb.tolist(), "x": x.tolist(), "alt": alt.tolist(),
              "hw": {"a": 0.07, "sigma": 0.012, "fund_sigma": 0.2, "fund_excess": 0.01, "seed": str(2**40 + 3)},
              "cf": cf.ravel().tolist(), "T": T, "disc": disc.ravel().tolist(), **_input(basis, frame)})
    for name in ("disc_factor", "short_rate", "fund_return"):
        assert np.asarray(out["hw"][name]).tobytes() == hw[name].ravel().tobytes(), name
    assert out["hw"]["n_months"] == 60 and np.asarray(out["v"]).tobytes() == zcb.tobytes()
    assert np.asarray(out["cashflows"]).tobytes() == val.cashflows.ravel().tobytes()
    assert np.asarray([int(w) for w in out["cf_exact"]], dtype="<i8").tobytes() == val.cashflows_exact.tobytes()
    assert np.asarray(out["totals"]).tobytes() == val.totals.tobytes()
    assert np.asarray(out["pv_alt"]).tobytes() == pv_alt[4].tobytes()
    acc = engine.exact_add(x)
    assert np.asarray([int(w) for w in out["acc"]], dtype="<i8").tobytes() == acc.tobytes()
    assert out["round"] == [math.fsum(x), math.fsum(x[:3])]
    assert out["disc"] == engine.exact_round(engine.discount_totals(cf, disc)).ravel().tolist()
    assert out["shared"] == engine.exact_round(engine.discount_totals(cf, v)).ravel().tolist()
    assert out["empty"] == [0.0] * 6  # an empty portfolio: no months, each scenario's sum is 0
