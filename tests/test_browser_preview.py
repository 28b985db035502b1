"""The in-browser preview's payload (``livecalc_lab.browser_preview``): layout, parameters, edits, limits.

That the browser computes lc.preview's numbers from it is checked in ``tests/engine/test_js_preview.py``
(Node) and ``tests/engine/test_js_preview_worker.py`` (Chromium).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import livecalc_lab as lc
from livecalc_lab import browser_preview as bp
from livecalc_lab.browser_preview import (
    MAX_BUFFER_BYTES,
    PAYLOAD_FORMAT,
    KernelOnlyError,
    apply_changes,
    payload_arrays,
    preview_payload,
    save_payload,
    worker_modules,
)
from livecalc_lab.errors import AssumptionError
from livecalc_lab.model.policies import demo_policies_path
from livecalc_lab.preview import draw_sample

from test_portfolio import aset  # noqa: F401 - the fixture: the bundled set plus a mortality table by sex

SPEC = lc.hull_white(n=50, seed=4)
POLICY_ARRAYS = {"age_at_entry": "<i4", "policy_term": "<i4", "duration_mth": "<i4", "policy_count": "<f8",
                 "sum_assured": "<f8"}


@pytest.fixture(scope="module")
def payload():
    return preview_payload(demo_policies_path(), scenarios=SPEC, n=3_000, sample_seed=5)


def test_layout(payload):
    meta, buffers = payload
    json.dumps(meta, allow_nan=False)  # JSON as it is, no NaN or numpy scalars
    assert meta["format"] == PAYLOAD_FORMAT and meta["abi_version"] == 4
    assert (meta["sample_size"], meta["total_rows"], meta["sample_seed"]) == (3_000, 10_000, 5)
    assert meta["buffers"] == list(buffers) and set(meta["arrays"]) == {*POLICY_ARRAYS, "mort_table_qx",
                                                                         "lapse_rates", "disc_zero_ann"}
    for name, arr in buffers.items():
        assert arr.flags.c_contiguous and arr.dtype.str in ("<f8", "<i4") and arr.nbytes <= MAX_BUFFER_BYTES, name
    for name, dtype in POLICY_ARRAYS.items():
        assert meta["arrays"][name] == {"dtype": dtype, "shape": [3_000], "parts": [name]}
    arrays = payload_arrays(meta, list(buffers.values()))
    basis = lc.demo_assumptions().basis("basic_term_s")
    assert meta["arrays"]["mort_table_qx"]["shape"] == list(basis.mort_qx.shape)
    assert np.array_equal(arrays["mort_table_qx"], basis.mort_qx)  # multiplier 1: the table is the basis
    assert np.array_equal(arrays["disc_zero_ann"], basis.disc_zero_ann)
    sample = draw_sample(demo_policies_path(), None, "basic_term_s", 3_000, 5).sample
    for name in POLICY_ARRAYS:
        assert np.array_equal(arrays[name], sample[name].to_numpy()), name
    assert meta["n_months"] == 12 * int(sample["policy_term"].max()) + 1
    assert meta["statistics"] == {"percentiles": ["1", "5", "10", "25", "50", "75", "90", "95", "99", "99.5"],
                                  "cte": ["70", "90", "95", "98", "99"]}
    assert meta["scenarios"] == SPEC.to_dict() | {"seed": "4"}


def test_parameters(payload):
    params = payload[0]["parameters"]
    assert params["mortality.multiplier"] == {"value": 1.0, "min": 0.0, "max": None, "kind": "number",
                                              "path": ["mortality", "multiplier"]}
    assert (params["lapse.initial"]["value"], params["lapse.slope"]["value"], params["lapse.floor"]["value"]) == \
        (0.1, -0.02, 0.02)
    assert params["expenses.maintenance_ann"]["value"] == 60.0 and params["premium.loading"]["value"] == 0.5
    assert params["scenarios.sigma"]["value"] == SPEC.sigma and params["scenarios.n"]["value"] == 50
    assert params["scenarios.seed"] == {"value": "4", "min": 0, "max": str(2**64 - 1), "kind": "integer",
                                        "path": ["scenarios", "seed"]}
    table = preview_payload(demo_policies_path("basic_term_se"), product="basic_term_se", n=100)[0]
    assert "premium.loading" not in table["parameters"] and "premium_rate" in table["arrays"]
    assert not any(k.startswith("scenarios.") for k in table["parameters"]) and table["scenarios"] is None


def test_large_arrays_travel_in_parts_of_at_most_the_limit(monkeypatch, payload):
    monkeypatch.setattr(bp, "MAX_BUFFER_BYTES", 4096)
    meta, buffers = preview_payload(demo_policies_path(), scenarios=SPEC, n=3_000, sample_seed=5)
    assert meta["arrays"]["policy_count"]["parts"] == [f"policy_count/{i}" for i in range(6)]  # 24,000 bytes
    assert all(b.nbytes <= 4096 for b in buffers.values())
    whole = payload_arrays(*payload)
    for name, arr in payload_arrays(meta, buffers).items():
        assert arr.dtype == whole[name].dtype and np.array_equal(arr, whole[name]), name
    with pytest.raises(ValueError, match="policy_count/5 missing"):
        payload_arrays(meta, {k: v for k, v in buffers.items() if k != "policy_count/5"})


def test_save_payload_writes_meta_and_numbered_buffers(payload, tmp_path):
    folder = save_payload(*payload, tmp_path / "p")
    meta = json.loads((folder / "meta.json").read_text())
    files = [(folder / f"buffer-{i}.bin").read_bytes() for i in range(len(meta["buffers"]))]
    for name, arr in payload_arrays(meta, files).items():
        assert np.array_equal(arr, payload_arrays(*payload)[name])


def test_base_multipliers_other_than_one_are_kept_apart_from_the_tables():
    aset2, _ = apply_changes(None, None, "basic_term_s", {"mortality.multiplier": 1.3, "lapse.multiplier": 0.7})
    meta, buffers = preview_payload(demo_policies_path(), aset2, n=500)
    arrays = payload_arrays(meta, buffers)
    basis = aset2.basis("basic_term_s")
    assert meta["parameters"]["mortality.multiplier"]["value"] == 1.3
    assert np.array_equal(np.minimum(arrays["mort_table_qx"] * 1.3, 1.0), basis.mort_qx)
    assert np.array_equal(np.minimum(arrays["lapse_rates"] * 0.7, 1.0), basis.lapse_ann)
    assert not np.array_equal(arrays["mort_table_qx"], basis.mort_qx)


def test_previews_that_stay_in_the_kernel(aset):  # noqa: F811 - the imported fixture
    from livecalc_lab.model.scenarios import generate_for_basis

    with pytest.raises(KernelOnlyError, match="path dependent"):
        preview_payload(demo_policies_path("savings_ex4"), product="savings_ex4", n=5)
    with pytest.raises(KernelOnlyError, match="mortality by sex"):
        preview_payload(demo_policies_path(), aset, product="term_by_sex", n=100)
    sset = generate_for_basis(SPEC, lc.demo_assumptions().basis("basic_term_s"), 241)
    with pytest.raises(KernelOnlyError, match="scenarios read from files stay in the kernel"):
        preview_payload(demo_policies_path(), scenarios=sset, n=100)
    assert issubclass(KernelOnlyError, AssumptionError)


def test_a_sample_mixing_products_stays_in_the_kernel(aset, tmp_path):  # noqa: F811 - the imported fixture
    import polars as pl

    pols = lc.demo_policies()
    mixed = pols.with_columns(product=pl.when(pols["policy_id"] % 4 == 0).then(pl.lit("endowment_s"))
                              .otherwise(pl.lit("basic_term_s")))
    mixed.write_csv(tmp_path / "mixed.csv")
    with pytest.raises(KernelOnlyError, match="mixes products .*'endowment_s' beside 'basic_term_s'"):
        preview_payload(tmp_path / "mixed.csv", aset, n=100)
    pols.with_columns(product=pl.lit("basic_term_s")).write_csv(tmp_path / "one.csv")  # one product: the browser's
    meta, buffers = preview_payload(tmp_path / "one.csv", aset, n=100)
    _, plain_buffers = preview_payload(demo_policies_path(), aset, n=100)
    assert meta["sample_size"] == 100 and all(np.array_equal(buffers[k], plain_buffers[k]) for k in plain_buffers)


def test_apply_changes_edits_the_manifest_tables_and_spec():
    base = lc.demo_assumptions()
    aset2, spec2 = apply_changes(base, SPEC, "basic_term_s", {
        "mortality.multiplier": 1.1, "expenses.acquisition": 320.0, "discount.shift": 0.005,
        "commission.rates_by_policy_year": [0.5, 0.25], "scenarios.sigma": 0.02, "scenarios.seed": "7"})
    b0, b1 = base.basis("basic_term_s"), aset2.basis("basic_term_s")
    assert aset2.version != base.version and base.manifest["products"]["basic_term_s"]["mortality"]["multiplier"] == 1.0
    assert np.array_equal(b1.mort_qx, np.minimum(b0.mort_qx * 1.1, 1.0)) and b1.acquisition == 320.0
    assert np.array_equal(b1.disc_zero_ann, b0.disc_zero_ann + 0.005)
    assert b1.commission_rates.tolist() == [0.5, 0.25]
    assert aset2.basis("basic_term_se").acquisition == b0.acquisition  # only the product edited
    assert (spec2.sigma, spec2.seed, spec2.n) == (0.02, 7, SPEC.n)
    assert apply_changes(base, SPEC, "basic_term_s", {}) == (base, SPEC)
    assert apply_changes(base, SPEC, "basic_term_s", {"scenarios.n": 10})[0] is base


@pytest.mark.parametrize(("changes", "scenarios", "message"), [
    ({"mortality.table": "x"}, None, "unknown preview parameter"),
    ({"scenarios.sigma": 0.02}, None, "needs scenarios given as a spec"),
    ({"expenses.acquisition": -1.0}, None, "outside"),
    ({"scenarios.a": 0.0}, SPEC, "scenario spec a"),
])
def test_apply_changes_refuses(changes, scenarios, message):
    with pytest.raises(AssumptionError, match=message):
        apply_changes(None, scenarios, "basic_term_s", changes)


def test_worker_modules_come_dependencies_first():
    import re

    modules = worker_modules()
    assert list(modules)[-1] == "preview_worker.mjs"
    seen: list[str] = []
    for name, source in modules.items():
        imports = re.findall(r'from "\./([\w.]+)"', source)
        assert set(imports) <= set(seen), (name, imports)  # a blob: URL can only point at an earlier one
        seen.append(name)
    assert re.findall(r'from "\./([\w.]+)"', modules["preview.mjs"]) == ["host.mjs", "_numpy.mjs", "stats.mjs"]
