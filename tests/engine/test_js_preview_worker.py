"""``livecalc_lab/engine/js/preview_worker.mjs`` in headless Chromium: a Web Worker previews edits.

A page served on 127.0.0.1 (``tests/_browser.py``) starts the module worker from ``blob:`` URLs of
its modules' sources (as a widget does, from ``browser_preview.worker_modules()``), sends it the
payload and the engine's URL once, and then 20 edits in a burst: the worker computes only the newest and says which
edits it dropped. A second burst follows once the first is answered. The answers equal ``lc.preview``
on the edited assumptions, bit for bit.
"""

from __future__ import annotations

import json
import shutil

import pytest

from livecalc_lab.browser_preview import preview_payload, save_payload, worker_modules
from livecalc_lab.engine import ENGINE_PATH
from livecalc_lab.model.policies import demo_policies_path

from _browser import CHROMIUM, chromium, serve_folder
from test_js_preview import EDIT, SPEC, assert_same, python_preview

BURST_1 = [{"mortality.multiplier": 1.0 + 0.005 * i, "lapse.multiplier": 0.9} for i in range(19)] + [EDIT]
BURST_2 = [{"scenarios.sigma": 0.01 + 0.0005 * i} for i in range(19)] + \
    [{"mortality.multiplier": 0.95, "scenarios.sigma": 0.015, "scenarios.n": 500}]

PAGE = """<!doctype html><meta charset="utf-8"><title>LiveCalc preview worker</title>
<script type="module">
const plain = (v) => ArrayBuffer.isView(v) ? Array.from(v) : Array.isArray(v) ? v.map(plain)
  : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v;
window.messages = [];
try {
  const meta = await (await fetch("./payload/meta.json")).json();
  const buffers = await Promise.all(meta.buffers.map((_, i) => fetch(`./payload/buffer-${i}.bin`).then((r) => r.arrayBuffer())));
  const bursts = await (await fetch("./bursts.json")).json();
  // As a widget does: the modules' sources (browser_preview.worker_modules()) as blob: URLs, dependencies first.
  const modules = await (await fetch("./modules.json")).json();
  const urls = {};
  for (const [name, source] of Object.entries(modules)) {
    let text = source;
    for (const [dep, url] of Object.entries(urls)) text = text.replaceAll(`"./${dep}"`, `"${url}"`);
    urls[name] = URL.createObjectURL(new Blob([text], { type: "text/javascript" }));
  }
  const worker = new Worker(urls["preview_worker.mjs"], { type: "module" });
  const post = (burst, first) => burst.forEach((changes, i) => worker.postMessage({ type: "edit", id: first + i, changes }));
  worker.onmessage = (ev) => {
    window.messages.push(plain(ev.data));
    if (ev.data.type === "result" && ev.data.id === bursts[0].length) post(bursts[1], bursts[0].length + 1);
  };
  worker.postMessage({ type: "edit", id: 0, changes: {} });  // nothing loaded yet: an error, not a silent wait
  worker.postMessage({ type: "bogus", id: -1 });
  worker.postMessage({ type: "load", payload: { meta, buffers }, wasm: new URL("./engine.wasm", location.href).href },
                     buffers);
  post(bursts[0], 1);  // while the worker loads: only the last of these is computed
} catch (e) { window.failure = String(e.stack || e); }
</script>"""


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (the README's test command installs it)")
def test_the_worker_computes_only_the_newest_edit_and_equals_lc_preview(tmp_path):
    pytest.importorskip("playwright.sync_api")
    (tmp_path / "modules.json").write_text(json.dumps(worker_modules()))
    shutil.copy(ENGINE_PATH, tmp_path / "engine.wasm")
    save_payload(*preview_payload(demo_policies_path(), scenarios=SPEC), tmp_path / "payload")
    (tmp_path / "bursts.json").write_text(json.dumps([BURST_1, BURST_2]))
    (tmp_path / "index.html").write_text(PAGE)
    last = len(BURST_1) + len(BURST_2)
    with serve_folder(tmp_path) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base}/index.html")
        page.wait_for_function(f"window.failure !== undefined || window.messages.some((m) => (m.type === 'error' "
                               f"&& m.id !== 0 && m.id !== -1) || (m.type === 'result' && m.id === {last}))",
                               timeout=120_000)
        assert page.evaluate("window.failure") is None
        messages = page.evaluate("window.messages")
    early = [(m["id"], m["type"], m["message"]) for m in messages if m.get("id") in (0, -1)]
    assert early == [(0, "error", 'no payload loaded: send {type: "load"} first'),
                     (-1, "error", 'unknown message type "bogus"; expected "load" or "edit"')]
    assert not [m for m in messages if m["type"] in ("error", "needs_kernel") and m.get("id") not in (0, -1)]
    assert [m["type"] for m in messages].count("loaded") == 1

    first = [m for m in messages if m.get("id") is not None and 1 <= m["id"] <= len(BURST_1)]
    # The burst arrived while the payload loaded: one result, for the newest edit; the rest dropped in turn.
    assert [m["id"] for m in first if m["type"] == "result"] == [len(BURST_1)]
    assert [(m["id"], m["by"]) for m in first if m["type"] == "superseded"] == \
        [(i, i + 1) for i in range(1, len(BURST_1))]

    second = [m for m in messages if m.get("id") is not None and m["id"] > len(BURST_1)]
    results = [m["id"] for m in second if m["type"] == "result"]
    dropped = [m["id"] for m in second if m["type"] == "superseded"]
    assert results == sorted(results) and results[-1] == last
    assert sorted(results + dropped) == list(range(len(BURST_1) + 1, last + 1))  # each edit answered once

    by_id = {m["id"]: m for m in messages if m["type"] == "result"}
    assert_same(by_id[len(BURST_1)], python_preview(demo_policies_path(), BURST_1[-1]))
    assert_same(by_id[last], python_preview(demo_policies_path(), BURST_2[-1]))
    assert len(by_id[last]["per_scenario"]["pv_net_cf"]) == 500
