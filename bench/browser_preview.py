"""Benchmark: the in-browser preview's edit-to-number latency, against ``lc.preview`` in the kernel.

Run from the repository root (package installed, or ``PYTHONPATH=.``), with Chromium and Playwright
installed (the README's test command installs both)::

    python bench/browser_preview.py                 # tables and the target (PASS/MISS), about a minute
    python bench/browser_preview.py --edits 40      # more timed edits (default 20)
    python bench/browser_preview.py --json

The workload is DESIGN.md's preview: the bundled demo portfolio's 10,000-policy sample (BasicTerm_S)
under ``lc.hull_white(n=1000, seed=1)``, 241 months. The same sequence of edits is timed both ways,
one edit at a time, as a user moving one control after another (each edit changes one parameter of
the editor's state, and carries the whole state), cycling through:

``mortality``  ``mortality.multiplier``: the sample is projected again (P x T), the scenarios are reused;
``lapse``      ``lapse.multiplier``: the same work;
``sigma``      ``scenarios.sigma``: 1,000 scenarios are generated again and the policies' PVs under their
               mean discount factors recomputed; the projected cashflows are reused.

``browser`` (headless Chromium, a page served on 127.0.0.1)
    The Web Worker (``livecalc_lab/engine/js/preview_worker.mjs``) is loaded once with the payload of
    ``livecalc_lab.browser_preview.preview_payload`` and engine.wasm's URL. Per edit, on the page's
    clock: from ``postMessage({type: "edit"})`` to (1) the result message on the page, (2) the
    preview's numbers written into the page's DOM (text set, layout forced), (3) the next animation
    frame (the one that paints them). The worker's own compute time is reported too.
``kernel``
    ``lc.preview(dataset, *apply_changes(None, spec, product, changes))`` in this process: the edited
    assumption set is built and versioned, the sample drawn, valued in wasmtime and summarised. A
    widget adds its comm round trip (kernel message in, result message out) on top; not measured here.

Warm-up edits (default 3, not timed) come first on both sides: the first edits in a fresh page pay for
JIT and WebAssembly tier-up (the first result's latency is reported apart). Both sides' last result
must agree bit for bit (``pv_net_cf``, ``ci95``, per-scenario totals); the script raises otherwise.

Target (DESIGN.md section 9): a debounced edit taken -> updated numbers in the browser in at most
250 ms, 10K term sample x 1K scenarios; checked on the median "DOM" latency over all edits.

Chromium and the page server come from ``tests/_browser.py`` (shared with the browser tests).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # tests/_browser.py

from _timing import Out, bits_equal, describe_machine, emit, gc_paused, machine, print_targets  # noqa: E402

TARGET_MS = 250.0
SPEC_N, SPEC_SEED = 1000, 1

PAGE = """<!doctype html><meta charset="utf-8"><title>LiveCalc in-browser preview</title>
<p>Preview: <span id="pv">-</span></p>
<script type="module">
const pv = document.getElementById("pv");
const fmt = (x) => (x / 1e6).toFixed(2) + "M";
const worker = new Worker("./js/preview_worker.mjs", { type: "module" });
let waiting = null;
worker.onmessage = (ev) => { if (waiting && ev.data.id === waiting.id) waiting.resolve(ev.data); };
const ask = (id, changes) => new Promise((resolve) => {
  waiting = { id, resolve };
  worker.postMessage({ type: "edit", id, changes });
});
const plain = (v) => ArrayBuffer.isView(v) ? Array.from(v) : Array.isArray(v) ? v.map(plain)
  : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v;
window.load = async () => {
  const meta = await (await fetch("./payload/meta.json")).json();
  const buffers = await Promise.all(meta.buffers.map((_, i) => fetch(`./payload/buffer-${i}.bin`).then((r) => r.arrayBuffer())));
  const t0 = performance.now();
  const loaded = new Promise((resolve) => { worker.addEventListener("message", (ev) => ev.data.type === "loaded" && resolve(ev.data)); });
  worker.postMessage({ type: "load", payload: { meta, buffers }, wasm: new URL("./engine.wasm", location.href).href }, buffers);
  const info = await loaded;
  const first = await ask(-1, {});
  return { load_ms: info.load_ms, first_result_ms: performance.now() - t0, error: first.type === "result" ? null : first.message };
};
window.edit = async (id, changes) => {
  const t0 = performance.now();
  const msg = await ask(id, changes);
  const t1 = performance.now();
  if (msg.type !== "result") return { error: `${msg.type}: ${msg.message}` };
  pv.textContent = `${fmt(msg.pv_net_cf)} ± ${(100 * msg.relative_halfwidth).toFixed(1)}% (95%), ${msg.sample_size} sample`;
  void pv.offsetHeight;  // layout now, so the number is in the rendered DOM
  const t2 = performance.now();
  await new Promise(requestAnimationFrame);
  const t3 = performance.now();
  return { message_ms: t1 - t0, dom_ms: t2 - t0, frame_ms: t3 - t0, compute_ms: msg.compute_ms,
           engine_ms: msg.engine_ms, result: plain(msg) };
};
window.ready = true;
</script>"""


KINDS = ("mortality", "lapse", "sigma")


def edits(count: int) -> list[tuple[str, dict[str, Any]]]:
    """``count`` edits cycling mortality / lapse / sigma, each one parameter away from the state before it."""
    state: dict[str, Any] = {}
    out = []
    for i in range(count):
        kind, step = KINDS[i % 3], 1 + i // 3
        if kind == "mortality":
            state["mortality.multiplier"] = 1.0 + 0.01 * step
        elif kind == "lapse":
            state["lapse.multiplier"] = 1.0 - 0.01 * step
        else:
            state["scenarios.sigma"] = 0.01 * (1.0 + 0.02 * step)
        out.append((kind, dict(state)))
    return out


def summary(values: list[float]) -> dict[str, float]:
    return {"median_ms": statistics.median(values), "min_ms": min(values), "runs": len(values)}


def run(n_edits: int, warmup: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    import livecalc_lab as lc
    from livecalc_lab.browser_preview import apply_changes, preview_payload, save_payload
    from livecalc_lab.engine import ENGINE_PATH
    from livecalc_lab.model.policies import demo_policies_path

    from _browser import chromium, serve_folder

    data = demo_policies_path()
    spec = lc.hull_white(n=SPEC_N, seed=SPEC_SEED)
    sequence = edits(warmup + n_edits)
    warm, timed = sequence[:warmup], sequence[warmup:]
    report: dict[str, Any] = {"machine": machine(), "load_average_start": list(os.getloadavg()), "workload": {
        "dataset": "bundled demo portfolio (10,000 BasicTerm_S policies)", "sample": 10_000,
        "scenarios": SPEC_N, "months": 241, "edits": n_edits, "warmup": warmup}}

    t0 = time.perf_counter()
    meta, buffers = preview_payload(data, scenarios=spec)
    report["payload"] = {"build_ms": 1e3 * (time.perf_counter() - t0), "buffers": len(buffers),
                         "bytes": int(sum(b.nbytes for b in buffers.values()))}

    # The kernel: lc.preview on the edited assumptions.
    kernel: list[tuple[str, float]] = []
    last_py = None
    with gc_paused():
        for _, changes in warm:
            lc.preview(data, *apply_changes(None, spec, "basic_term_s", changes))
        for kind, changes in timed:
            t = time.perf_counter()
            last_py = lc.preview(data, *apply_changes(None, spec, "basic_term_s", changes))
            kernel.append((kind, 1e3 * (time.perf_counter() - t)))

    # The browser: the worker on a page served on 127.0.0.1.
    browser_rows: list[tuple[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory(prefix="livecalc-browser-preview-") as tmp:
        root = Path(tmp)
        shutil.copytree(ENGINE_PATH.parent / "js", root / "js")
        shutil.copy(ENGINE_PATH, root / "engine.wasm")
        save_payload(meta, buffers, root / "payload")
        (root / "index.html").write_text(PAGE)
        with serve_folder(root) as base, chromium() as browser:
            page = browser.new_page()
            page.goto(f"{base}/index.html")
            page.wait_for_function("window.ready === true", timeout=60_000)
            report["load"] = page.evaluate("window.load()")
            if report["load"]["error"]:
                raise RuntimeError(f"the worker could not compute the preview: {report['load']['error']}")
            for i, (_, changes) in enumerate(warm):
                page.evaluate("([id, c]) => window.edit(id, c)", [i, changes])
            last_js = None
            for i, (kind, changes) in enumerate(timed):
                out = page.evaluate("([id, c]) => window.edit(id, c)", [warmup + i, changes])
                if out.get("error"):
                    raise RuntimeError(f"edit {changes}: {out['error']}")
                last_js = out.pop("result")
                browser_rows.append((kind, out))

    agree = (last_js["pv_net_cf"] == last_py.pv_net_cf and tuple(last_js["ci95"]) == last_py.ci95
             and bits_equal(np.asarray(last_js["per_scenario"]["pv_net_cf"]),
                            last_py.per_scenario["pv_net_cf"].to_numpy()))
    if not agree:
        raise AssertionError("the browser preview and lc.preview disagree on the last edit")
    report["agree_bit_for_bit"] = agree
    report["load_average_end"] = list(os.getloadavg())

    measures = ("message_ms", "dom_ms", "frame_ms", "compute_ms", "engine_ms")
    report["browser"] = {"every": {m: summary([r[m] for _, r in browser_rows]) for m in measures}}
    report["kernel"] = {"every": summary([t for _, t in kernel])}
    for kind in KINDS:
        report["browser"][kind] = {m: summary([r[m] for k, r in browser_rows if k == kind]) for m in measures}
        report["kernel"][kind] = summary([t for k, t in kernel if k == kind])
    report["ratios"] = {kind: report["kernel"][kind]["median_ms"] / report["browser"][kind]["dom_ms"]["median_ms"]
                        for kind in ("every", *KINDS)}
    med = report["browser"]["every"]["dom_ms"]["median_ms"]
    report["targets"] = [{"target": f"edit -> numbers in the DOM <= {TARGET_MS:g} ms (median)", "value_ms": med,
                          "pass": med <= TARGET_MS}]
    return report


def print_report(r: dict[str, Any]) -> None:
    o = Out(piped_width=150)
    o.say(f"Machine: {describe_machine(r['machine'], ('numpy', 'wasmtime'))}; load average (1, 5, 15 min) "
          f"{' '.join(f'{x:.1f}' for x in r['load_average_start'])} at the start, "
          f"{' '.join(f'{x:.1f}' for x in r['load_average_end'])} at the end")
    w = r["workload"]
    o.say(f"Workload: {w['dataset']}, sample {w['sample']:,} x {w['scenarios']:,} Hull-White scenarios x "
          f"{w['months']} months; {w['edits']} timed edits after {w['warmup']} warm-up edits")
    p, ld = r["payload"], r["load"]
    o.say(f"Payload: {p['buffers']} buffers, {p['bytes'] / 1024:.0f} KiB, built in {p['build_ms']:.0f} ms; "
          f"worker load {ld['load_ms']:.0f} ms, first result {ld['first_result_ms']:.0f} ms after the load message")
    rows = []
    for kind in ("every", *KINDS):
        b, k = r["browser"][kind], r["kernel"][kind]
        rows.append([f"{kind} edit", f"{b['message_ms']['median_ms']:.1f} / {b['message_ms']['min_ms']:.1f}",
                     f"{b['dom_ms']['median_ms']:.1f} / {b['dom_ms']['min_ms']:.1f}",
                     f"{b['frame_ms']['median_ms']:.1f} / {b['frame_ms']['min_ms']:.1f}",
                     f"{b['compute_ms']['median_ms']:.1f}", f"{b['engine_ms']['median_ms']:.1f}",
                     f"{k['median_ms']:.1f} / {k['min_ms']:.1f}", f"{r['ratios'][kind]:.2f}x"])
    o.table("Edit -> numbers, ms (median / min)",
            ["edits", "worker msg", "DOM", "next frame", "worker compute", "lc_value_term", "lc.preview (kernel)",
             "kernel / DOM"], rows)
    o.say(f"Browser and kernel agree bit for bit on the last edit: {r['agree_bit_for_bit']}")
    print_targets(o, r["targets"], lambda t: f"{t['value_ms']:.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--edits", type=int, default=20, help="timed edits on each side (default 20)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed edits first (default 3)")
    ap.add_argument("--json", action="store_true", help="print the report as one JSON object")
    args = ap.parse_args()
    emit(run(args.edits, args.warmup), args.json, print_report)


if __name__ == "__main__":
    main()
