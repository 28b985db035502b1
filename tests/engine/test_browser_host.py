"""The same engine.wasm in headless Chromium, through the JavaScript host: bit-identical to wasmtime.

A tiny page served on 127.0.0.1 imports ``livecalc_lab/engine/js/host.mjs``, fetches the packaged
``engine.wasm`` and a portfolio, values it and hands the results' float64 bits back to the test.
Chromium is Debian's (``/usr/bin/chromium``, installed by the README's test command), driven by
Playwright with ``executable_path``.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import livecalc_lab as lc
from livecalc_lab.engine import ENGINE_PATH, _abi
from livecalc_lab.model.policies import attach_premium_rates, check_policies, demo_policies_path, read_policies

from _browser import CHROMIUM, launch, serve_folder
from test_js_host import _bits, _input


PAGE = """<!doctype html><meta charset="utf-8"><title>LiveCalc engine in the browser</title>
<script type="module">
import { Engine, PV_NAMES } from "./js/host.mjs";
const hex = (a) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
                              (x) => x.toString(16).padStart(2, "0")).join("");
try {
  const engine = await Engine.load(await (await fetch("./engine.wasm")).arrayBuffer());
  const input = await (await fetch("./in.json")).json();
  const f64 = (a) => Float64Array.from(a), i32 = (a) => Int32Array.from(a), b = input.basis, p = input.policies;
  const res = engine.valueTerm(
    {...b, mort_qx: f64(b.mort_qx), lapse_ann: f64(b.lapse_ann), disc_zero_ann: f64(b.disc_zero_ann),
     commission_rates: f64(b.commission_rates)},
    {age_at_entry: i32(p.age_at_entry), policy_term: i32(p.policy_term), duration_mth: i32(p.duration_mth),
     policy_count: f64(p.policy_count), sum_assured: f64(p.sum_assured),
     premium_rate: p.premium_rate ? f64(p.premium_rate) : undefined});
  const out = {totals: hex(res.totals), premium_pp: hex(res.premium_pp)};
  PV_NAMES.forEach((name, k) => { out[name] = hex(Float64Array.from(res.pv[k])); });
  window.result = out;
} catch (e) { window.result = {error: String(e)}; }
</script>"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A folder served on 127.0.0.1: the page, the JS host and the packaged module."""
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(ENGINE_PATH.parent / "js", root / "js")
    shutil.copy(ENGINE_PATH, root / "engine.wasm")
    (root / "index.html").write_text(PAGE)
    with serve_folder(root) as base:
        yield root, f"{base}/index.html"


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (the README's test command installs it)")
@pytest.mark.parametrize("product", ["basic_term_s", "basic_term_se"])
def test_chromium_values_the_bundled_portfolio_bit_for_bit(engine, site, product):
    playwright = pytest.importorskip("playwright.sync_api")
    root, url = site
    basis = lc.demo_assumptions().basis(product)
    pols = read_policies(demo_policies_path(product))
    check_policies(pols, basis)
    frame = attach_premium_rates(pols, basis)
    (root / "in.json").write_text(json.dumps(_input(basis, frame)))
    with playwright.sync_playwright() as pw:
        browser = launch(pw)
        try:
            page = browser.new_page()
            page.goto(url)
            page.wait_for_function("window.result !== undefined", timeout=60_000)
            out = page.evaluate("window.result")
        finally:
            browser.close()
    assert "error" not in out, out.get("error")
    ref = engine.value_term(basis, frame)
    assert _bits(out["totals"]).tobytes() == ref.totals.tobytes()
    assert _bits(out["premium_pp"]).tobytes() == ref.premium_pp.tobytes()
    for k, name in enumerate(_abi.PV_NAMES):
        assert _bits(out[name]).tobytes() == ref.pv[k].tobytes(), name
    assert np.isclose(ref.totals[4], 14489630.534601534 if product == "basic_term_s" else 215146132.06848106)
