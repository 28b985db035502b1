"""``livecalc_lab/engine/js/preview.mjs`` in Node: the in-browser preview gives ``lc.preview``'s numbers.

The payload (:func:`livecalc_lab.browser_preview.preview_payload`) is saved to a folder and previewed
by ``preview_file.mjs``; every number is compared with ``lc.preview`` on the same dataset, with the
assumptions edited the same way (:func:`~livecalc_lab.browser_preview.apply_changes`): per-scenario
totals, totals, statistics, CE value, TVOG, interval and standard error, bit for bit.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import livecalc_lab as lc
from livecalc_lab.browser_preview import PARAMETERS, apply_changes, preview_payload, save_payload
from livecalc_lab.engine import ENGINE_PATH
from livecalc_lab.errors import AssumptionError
from livecalc_lab.model.policies import demo_policies_path

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed (the engine's JS host runs in Node)")

SPEC = lc.hull_white(n=1000, seed=1)
DEMO_BASIS = lc.demo_assumptions().basis("basic_term_s")
EDIT = {"mortality.multiplier": 1.1, "lapse.multiplier": 0.8, "scenarios.sigma": SPEC.sigma * 1.2}


def node_preview(folder: Path, payload: tuple[dict, dict], edits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The previews ``preview_file.mjs`` computes for ``edits`` on ``payload`` (saved under ``folder``)."""
    save_payload(*payload, folder / "payload")
    (folder / "edits.json").write_text(json.dumps(edits))
    subprocess.run([NODE, str(ENGINE_PATH.parent / "js" / "preview_file.mjs"), str(ENGINE_PATH),
                    str(folder / "payload"), str(folder / "edits.json"), str(folder / "out.json")],
                   check=True, timeout=300, capture_output=True, text=True)
    return json.loads((folder / "out.json").read_text())


def python_preview(dataset: Any, changes: dict[str, Any], *, assumptions: Any = None, scenarios: Any = SPEC,
                   product: str = "basic_term_s", **kw: Any) -> lc.PreviewResult:
    aset, spec = apply_changes(assumptions, scenarios, product, changes)
    return lc.preview(dataset, aset, spec, product, **kw)


def _num(x: Any) -> float:
    return float(x) if isinstance(x, str) else x


def assert_same(js: dict[str, Any], py: lc.PreviewResult) -> None:
    """Every number of the browser preview equals lc.preview's, bit for bit."""
    assert "error" not in js, js.get("error")
    assert (js["sample_size"], js["total_rows"]) == (py.sample_size, py.total_rows)
    assert js["n_policies"] == py.n_policies
    assert js["totals"] == py.totals
    assert js["pv_net_cf"] == py.pv_net_cf
    assert (js["ci95"][0], js["ci95"][1], js["std_error"]) == (py.ci95[0], py.ci95[1], py.std_error)
    if py.per_scenario is None:
        assert js["per_scenario"] is None and js["statistics"] is None
        return
    for name in py.per_scenario.columns:
        assert np.asarray(js["per_scenario"][name]).tobytes() == py.per_scenario[name].to_numpy().tobytes(), name
    want = py.statistics.to_dict()
    got = js["statistics"]
    assert (got["n"], got["mean"], _num(got["std"]), got["min"], got["max"]) == \
        (want["n"], want["mean"], want["std"], want["min"], want["max"])
    assert got["percentiles"] == want["percentiles"] and got["cte"] == want["cte"]
    assert (js["pv_net_cf_ce"], js["tvog"]) == (py.pv_net_cf_ce, py.tvog)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> list[dict[str, Any]]:
    """The bundled demo portfolio's 10K sample with 1,000 Hull-White scenarios, as sent and after EDIT."""
    payload = preview_payload(demo_policies_path(), scenarios=SPEC)
    return node_preview(tmp_path_factory.mktemp("demo"), payload, [{}, EDIT])


@pytest.mark.parametrize("which", [0, 1], ids=["as-sent", "mortality-lapse-sigma"])
def test_demo_sample_with_1000_scenarios_is_lc_preview_bit_for_bit(demo, which):
    assert_same(demo[which], python_preview(demo_policies_path(), [{}, EDIT][which]))
    assert demo[which]["relative_halfwidth"] == 0.0  # the sample is the whole demo portfolio: no sampling error


def test_the_edit_moves_the_numbers(demo):
    base, edited = demo
    assert edited["pv_net_cf"] != base["pv_net_cf"]
    assert edited["statistics"]["std"] > base["statistics"]["std"]  # sigma x 1.2 widens the distribution
    assert edited["parameters"]["mortality.multiplier"] == 1.1 and base["parameters"]["mortality.multiplier"] == 1.0


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    """30,000 synthetic in-force term policies: a 10K sample of them has a real sampling interval."""
    return lc.synthetic_portfolio(30_000, seed=5, out=tmp_path_factory.mktemp("book") / "book.parquet",
                                  in_force=True)


EDITS_SE = [
    {},
    {"expenses.acquisition": 350.0, "expenses.maintenance_ann": 66.0, "expenses.inflation_ann": 0.025},
    {"discount.shift": 0.01, "commission.rates_by_policy_year": [0.8, 0.1], "premium.round_decimals": -1},
    {"scenarios.n": 333, "scenarios.seed": str(2**63 + 5),  # beyond JSON's exact integers: text
      "scenarios.a": 0.1, "maturity_benefit": 0.5},
    {"lapse.initial": 0.2, "lapse.slope": -0.03, "lapse.floor": 0.01, "scenarios.fund_sigma": 0.3},
    {"scenarios.n": 150},  # a prefix of the 200 scenarios generated before (fund_sigma does not move them)
    {"scenarios.n": 260, "scenarios.fund_excess": 0.02},  # scenarios 201 .. 260 added to those
]


def test_in_force_sample_of_a_larger_book_and_every_kind_of_edit(book, tmp_path):
    """basic_term_se (table premiums, durations): 10K of 30K policies, a non-zero interval, 200 scenarios."""
    spec = lc.hull_white(n=200, seed=3)
    payload = preview_payload(book, scenarios=spec, product="basic_term_se")
    out = node_preview(tmp_path, payload, EDITS_SE)
    for js, changes in zip(out, EDITS_SE):
        py = python_preview(book, changes, scenarios=spec, product="basic_term_se")
        assert_same(js, py)
        assert 0 < js["std_error"] and js["ci95"][0] < js["pv_net_cf"] < js["ci95"][1]
    assert len(out[3]["per_scenario"]["pv_net_cf"]) == 333 and out[3]["scenario_spec"]["seed"] == str(2**63 + 5)


def test_deterministic_preview_on_a_set_whose_multipliers_are_not_one(book, tmp_path):
    aset, _ = apply_changes(None, None, "basic_term_se", {"mortality.multiplier": 1.3, "lapse.multiplier": 0.7})
    payload = preview_payload(book, aset, product="basic_term_se", n=4_000, sample_seed=7)
    assert payload[0]["scenarios"] is None and not any(k.startswith("scenarios.") for k in payload[0]["parameters"])
    edits = [{}, {"mortality.multiplier": 0.9, "lapse.multiplier": 1.7}]
    for js, changes in zip(node_preview(tmp_path, payload, edits), edits):
        assert_same(js, python_preview(book, changes, assumptions=aset, scenarios=None, product="basic_term_se",
                                       n=4_000, sample_seed=7))


@pytest.fixture(scope="module")
def endowments():
    """The bundled set with an endowment and a whole-life product (equivalence premiums) beside BasicTerm_S."""
    aset = lc.demo_assumptions()
    manifest = json.loads(json.dumps(aset.manifest))
    term = manifest["products"]["basic_term_s"]
    manifest["products"]["endow"] = term | {"model": "endowment"}
    manifest["products"]["whole"] = term | {"model": "whole_life"}
    return lc.AssumptionSet(manifest, aset.tables, aset.path)


@pytest.mark.parametrize("product", ["endow", "whole"])
def test_endowment_and_whole_life(endowments, tmp_path, product):
    spec = lc.hull_white(n=100, seed=9)
    payload = preview_payload(demo_policies_path(), endowments, spec, product, n=2_000)
    edits = [{}, {"mortality.multiplier": 1.25, "scenarios.sigma": 0.02}]
    for js, changes in zip(node_preview(tmp_path, payload, edits), edits):
        assert_same(js, python_preview(demo_policies_path(), changes, assumptions=endowments, scenarios=spec,
                                       product=product, n=2_000))


def _below(name: str) -> Any:
    p = PARAMETERS[name]
    if p.kind == "list":
        return [0.5, -0.1]
    return p.min - 1 if p.kind == "integer" else p.min - 1e-3


BOUNDED = [k for k, p in PARAMETERS.items() if p.min is not None and k != "scenarios.seed"]


def test_edits_the_browser_cannot_apply_are_refused_never_approximated(tmp_path):
    """Unknown keys need the kernel; values the kernel would refuse are refused in the browser too."""
    payload = preview_payload(demo_policies_path(), scenarios=lc.hull_white(n=10), n=200)
    meta = payload[0]
    bad = [{"sample.n": 20_000}, {"mortality.table": "us_ssa_2019_male", "lapse.multiplier": 1.0},
           {"scenarios.n": 10**7}, {"lapse.initial": 0.9, "lapse.slope": 0.1},
           {"scenarios.seed": "-1"}, {"scenarios.n": 2.5}, {"mortality.multiplier": "1.1"},
           *({k: _below(k)} for k in BOUNDED)]
    out = node_preview(tmp_path, payload, bad)
    errors = [o["error"] for o in out]
    assert errors[0]["name"] == "NeedsKernel" and errors[0]["keys"] == ["sample.n"]
    assert meta["kernel_only"]["sample.n"] in errors[0]["message"]
    assert errors[1]["name"] == "NeedsKernel" and errors[1]["keys"] == ["mortality.table"]
    assert errors[2]["name"] == "NeedsKernel" and "MiB" in errors[2]["message"]  # too big for a browser tab
    assert errors[3]["name"] == "EditError" and "lapse rate 1.1 in policy year 2 is outside [0, 1]" in \
        errors[3]["message"]
    assert all(e["name"] == "EditError" for e in errors[4:]), errors[4:]
    for key, err in zip(BOUNDED, errors[7:]):
        assert err["message"].startswith(key), err
        with pytest.raises(AssumptionError):  # the kernel refuses the same value
            lc.preview(demo_policies_path(), *apply_changes(None, lc.hull_white(n=10), "basic_term_s",
                                                            {key: _below(key)}), n=200)
    with pytest.raises(AssumptionError, match=r"lapse rate \S*1\.1\S* in policy year 2"):
        apply_changes(None, None, "basic_term_s", {"lapse.initial": 0.9, "lapse.slope": 0.1})


def test_numpy_summation_orders(run_js):
    """_numpy.mjs sums as numpy does: pairwise 1-D sums, var(ddof=1), and mean over the scenario axis."""
    rng = np.random.default_rng(3)
    vectors = [(rng.standard_normal(n) * 1e5 + 3e6).tolist() for n in (1, 5, 8, 9, 127, 128, 129, 1000, 10_007)]
    shapes = [(1000, 1), (7, 1), (1000, 2), (300, 241), (1, 5)]
    mats = [(rng.random((s, t + 1)) * 0.5 + 0.5) for s, t in shapes]
    out = run_js("""
        import { npSum, npVar, npMeanAxis0 } from "@js/_numpy.mjs";
        output = {
          sums: input.vectors.map((v) => npSum(v)),
          vars: input.vectors.filter((v) => v.length > 1).map((v) => npVar(v, 1)),
          means: input.mats.map(([D, S, T]) => npMeanAxis0(Float64Array.from(D), S, T, T + 1)),
        };""", {"vectors": vectors, "mats": [[m.ravel().tolist(), s, t] for m, (s, t) in zip(mats, shapes)]})
    assert out["sums"] == [float(np.sum(np.array(v))) for v in vectors]
    assert out["vars"] == [float(np.var(np.array(v), ddof=1)) for v in vectors if len(v) > 1]
    for got, m, (s, t) in zip(out["means"], mats, shapes):
        assert np.asarray(got).tobytes() == m[:, :t].mean(axis=0).tobytes(), (s, t)
    assert math.isfinite(out["sums"][-1])


def test_a_payload_is_previewed_only_with_the_kernels_engine(run_js, tmp_path):
    meta, buffers = preview_payload(demo_policies_path(), n=50)
    save_payload(meta | {"engine_version": "sha256:" + "0" * 64}, buffers, tmp_path)
    out = run_js("""
        import { PreviewSession, assemblePayload } from "@js/preview.mjs";
        const meta = JSON.parse(readFileSync(input.dir + "/meta.json", "utf8"));
        const buffers = meta.buffers.map((_, i) => readFileSync(`${input.dir}/buffer-${i}.bin`));
        try { await PreviewSession.load(assemblePayload(meta, buffers), readFileSync(input.wasm)); output = "loaded"; }
        catch (e) { output = e.message; }""", {"dir": str(tmp_path), "wasm": str(ENGINE_PATH)})
    assert out.startswith("the payload was built with engine sha256:0000000000") and "load the kernel's" in out


def test_apply_changes_gives_the_basis_the_kernel_resolves(run_js, tmp_path):
    """preview.mjs's applyChanges and browser_preview.apply_changes edit the same basis arrays, bit for bit."""
    changes = {"products.basic_term_s.mortality.multiplier": 1.37,  # an AssumptionsEditor field id
               "lapse.slope": -0.015, "lapse.multiplier": 2.5,
               "discount.shift": -0.004, "expenses.inflation_ann": 0.03, "premium.loading": 0.2,
               "scenarios.seed": "12345678901234567890"}
    save_payload(*preview_payload(demo_policies_path(), scenarios=SPEC, n=50), tmp_path)
    out = run_js("""
        import { applyChanges, assemblePayload } from "@js/preview.mjs";
        const meta = JSON.parse(readFileSync(input.dir + "/meta.json", "utf8"));
        const payload = assemblePayload(meta, meta.buffers.map((_, i) => readFileSync(`${input.dir}/buffer-${i}.bin`)));
        output = applyChanges(payload, input.changes);""", {"dir": str(tmp_path), "changes": changes})
    aset, spec = apply_changes(None, SPEC, "basic_term_s", changes)
    basis = aset.basis("basic_term_s")
    b = out["basis"]
    for name in ("mort_qx", "lapse_ann", "disc_zero_ann", "commission_rates"):
        assert np.asarray(b[name], dtype=np.float64).tobytes() == getattr(basis, name).tobytes(), name
    for name in ("acquisition", "maintenance_ann", "inflation_ann", "premium_loading", "premium_round_decimals",
                 "maturity_benefit", "mort_min_age", "premium_basis"):
        assert b[name] == getattr(basis, name), name
    assert (b["mort_n_ages"], b["mort_n_select"]) == basis.mort_qx.shape
    assert out["scenarios"] == spec.to_dict() | {"seed": "12345678901234567890"} and spec.seed == 12345678901234567890
    assert out["parameters"]["mortality.multiplier"] == 1.37 and not np.array_equal(basis.mort_qx, DEMO_BASIS.mort_qx)
