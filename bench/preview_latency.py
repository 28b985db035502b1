"""Benchmark: preview latency in the browser, from the debounced edit taken to the new number in the DOM.

Run from the repository root (package installed, or ``PYTHONPATH=.``; needs Chromium and Playwright,
as the browser tests)::

    python bench/preview_latency.py                    # term 10K x 1,000 in both modes; savings x 100
    python bench/preview_latency.py --edits 9          # more timed edits per case (default 7)
    python bench/preview_latency.py --no-savings       # the two term cases only
    python bench/preview_latency.py --savings-n 10000  # the savings sample size (default 1,000)
    python bench/preview_latency.py --json

What is measured, in one run on this machine
--------------------------------------------
A JupyterLab server on 127.0.0.1 (the harness of ``tests/widgets/test_workbench_browser.py``) runs
a notebook showing ``lc.Workbench``; headless Chromium types a new lapse multiplier into the
assumptions editor, ``--warmup`` times untimed (default 1) and then ``--edits`` times, waiting for
each preview to show. The same harness times both preview modes of the workbench:

``kernel`` mode (``preview_mode="kernel"``)
    the edit goes to the kernel, which runs ``lc.preview`` on its preview thread after the 300 ms
    debounce and sends the numbers back as widget state;
``browser`` mode (``preview_mode="browser"``, the default)
    the page's preview front end gets the edit from the editor's front end, waits the same 300 ms
    debounce and has its Web Worker compute it from the sample the kernel sent once (the worker is
    loaded before the first edit); the kernel is told afterwards.

``latency``
    From the moment the edit is taken, the debounce over (kernel mode: ``time.time()`` on the
    kernel's preview thread as the preview starts; browser mode: the page's clock as the edit is
    posted to the worker; sent with the result as ``stamp.taken``), to the moment the new headline
    is in the page's DOM (a MutationObserver on the headline, ``performance.timeOrigin +
    performance.now()``). Both clocks are this machine's wall clock. The debounce itself is not
    part of it: it is the quiet time the workbench waits for by design, the same in both modes.
``compute``
    ``stamp.finished - stamp.taken``: the preview call in the kernel (``lc.preview``), or the
    worker's answer as the page receives it.
``to DOM``
    latency - compute: kernel mode, the state sync over the comm, the websocket and the widget's
    render; browser mode, formatting, binning and the render.
``painted``
    latency to the next animation frame after the DOM change.
``bare lc.preview``
    ``lc.preview`` of the same inputs in this process (after the browser part, so nothing runs
    beside it): the floor the kernel mode adds to. The ratio is latency / bare, medians.

Cases: term — ``basic_term_s`` on a 50,000-policy synthetic portfolio, 10,000-policy sample,
``lc.hull_white(n=1000)`` (DESIGN.md target: <= 250 ms), once in each mode, and the ratio of the
two medians (kernel / browser); savings — ``savings_dynamic`` (dynamic lapse: path-dependent,
P x S x T work) on ``tests/data/lifelib-savings/model_points_bench10k.csv``,
``lc.hull_white(n=100)``, a ``--savings-n`` sample, in the default mode, which falls back to the
kernel for it. The machine's load averages at the start and the end are printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests"), str(ROOT / "tests" / "widgets")]

import livecalc_lab as lc  # noqa: E402
from _browser import CHROMIUM, launch  # noqa: E402
from _lab import JupyterServer, NotebookPage, write_notebook  # noqa: E402
from _timing import Out, describe_machine, emit, machine, print_targets  # noqa: E402

TARGET_MS = 250.0
SAVINGS_DATA = ROOT / "tests" / "data" / "lifelib-savings" / "model_points_bench10k.csv"

OBSERVE = """() => {
  window.__latency = [];
  const el = document.querySelector('.lc-preview-headline');
  let last = el.dataset.request;
  new MutationObserver(() => {
    if (el.dataset.status !== 'ready' || el.dataset.request === last) return;
    last = el.dataset.request;
    const rec = { request: el.dataset.request, source: el.dataset.source, taken: 1000 * +el.dataset.taken,
                  finished: 1000 * +el.dataset.finished, dom: performance.timeOrigin + performance.now(),
                  text: el.textContent };
    window.__latency.push(rec);
    requestAnimationFrame(() => { rec.paint = performance.timeOrigin + performance.now(); });
  }).observe(el, { attributes: true, childList: true, characterData: true, subtree: true });
}"""


def _case(page: Any, server: JupyterServer, notebook: str, field: str, values: list[float], warmup: int,
          engine: str) -> list[dict[str, Any]]:
    """Type ``values`` into ``field`` one by one, each once the previous number showed; the last
    ``len(values) - warmup`` are returned. ``engine``: where the edits must be previewed."""
    nb = NotebookPage(page, server, notebook, "lab")
    nb.open()
    nb.run_all(timeout=300_000)
    page.wait_for_selector(".lc-preview-headline[data-status='ready']", timeout=300_000)
    if engine == "browser":
        page.wait_for_selector(".lc-preview-mode[data-engine='browser']", timeout=300_000)
    page.evaluate(OBSERVE)
    box = page.locator(f"input[data-field='{field}']").first
    for i, v in enumerate(values):
        box.fill(repr(v))
        page.wait_for_function(f"window.__latency.length > {i} && window.__latency[{i}].paint !== undefined",
                               timeout=300_000, polling=50)
    recs = list(page.evaluate("window.__latency"))[warmup:]
    wrong = [r["source"] for r in recs if r["source"] != engine]
    if wrong:
        raise RuntimeError(f"{notebook}: {len(wrong)} edits were previewed in the {wrong[0]}, not the {engine}")
    return recs


def _bare(dataset: Any, product: str, scenarios: Any, field: str, values: list[float], n: int) -> list[float]:
    base = lc.demo_assumptions()
    out = []
    for v in values:
        aset = base.with_changes({field: v})
        t0 = time.perf_counter()
        lc.preview(dataset, aset, scenarios, product, n=n)
        out.append(time.perf_counter() - t0)
    return out


def run(edits: int, warmup: int, savings_n: int, term_policies: int, savings: bool) -> dict[str, Any]:
    if CHROMIUM is None:
        raise SystemExit("chromium is not installed (scripts/install-test-deps.sh)")
    from playwright.sync_api import sync_playwright

    load_start = list(os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="lc-latency-") as tmp:
        root = Path(tmp) / "root"
        root.mkdir()
        term_data = lc.synthetic_portfolio(term_policies, seed=5, out=root / "term.parquet")
        term = f"term, 10K of {term_policies // 1000}K policies x 1,000 scenarios"
        cases = [
            {"key": "term-kernel", "label": f"{term}, kernel mode", "mode": "kernel", "engine": "kernel",
             "product": "basic_term_s", "data": term_data, "scenarios": lc.hull_white(n=1000), "n": 10_000},
            {"key": "term-browser", "label": f"{term}, browser mode", "mode": "browser", "engine": "browser",
             "product": "basic_term_s", "data": term_data, "scenarios": lc.hull_white(n=1000), "n": 10_000},
        ]
        if savings:
            cases.append({"key": "savings", "label": f"savings_dynamic, {savings_n:,} sample x 100 scenarios "
                          "(browser mode falls back to the kernel)", "mode": "browser", "engine": "kernel",
                          "product": "savings_dynamic", "data": SAVINGS_DATA, "scenarios": lc.hull_white(n=100),
                          "n": savings_n})
        for c in cases:
            c["field"] = f"products.{c['product']}.lapse.multiplier"
            c["values"] = [round(0.5 + 0.05 * i, 2) for i in range(warmup + edits)]
            s = c["scenarios"]
            write_notebook(root / f"{c['key']}.ipynb", [
                "import livecalc_lab as lc",
                f"wb = lc.Workbench({str(c['data'])!r}, scenarios=lc.hull_white(n={s.n}), product={c['product']!r}, "
                f"n={c['n']}, catalog=False, preview_mode={c['mode']!r})\nwb",
            ])
        with JupyterServer(root, {"LIVECALC_HOME": str(Path(tmp) / "home")}) as server, sync_playwright() as pw:
            browser = launch(pw)
            try:
                for c in cases:
                    page = browser.new_page(viewport={"width": 1280, "height": 1400})
                    c["browser"] = _case(page, server, f"{c['key']}.ipynb", c["field"], c["values"], warmup,
                                         c["engine"])
                    page.close()
            finally:
                browser.close()
        for c in cases:
            c["bare"] = _bare(lc.open_dataset(c["data"]), c["product"], c["scenarios"], c["field"],
                              c["values"][warmup:], c["n"])
    report: dict[str, Any] = {"machine": machine(), "edits": edits, "warmup": warmup, "cases": [],
                              "load_average_start": load_start, "load_average_end": list(os.getloadavg())}
    for c in cases:
        recs = c["browser"]
        lat = [(r["dom"] - r["taken"]) / 1000 for r in recs]
        comp = [(r["finished"] - r["taken"]) / 1000 for r in recs]
        dom = [a - b for a, b in zip(lat, comp)]
        paint = [(r["paint"] - r["taken"]) / 1000 for r in recs]
        report["cases"].append({
            "key": c["key"], "label": c["label"], "mode": c["mode"], "engine": c["engine"], "latency_s": lat,
            "compute_s": comp, "to_dom_s": dom, "painted_s": paint, "bare_preview_s": c["bare"],
            "ratio": statistics.median(lat) / statistics.median(c["bare"]),
        })
    by = {c["key"]: c for c in report["cases"]}
    kernel_ms = 1000 * statistics.median(by["term-kernel"]["latency_s"])
    browser_ms = 1000 * statistics.median(by["term-browser"]["latency_s"])
    report["kernel_over_browser"] = kernel_ms / browser_ms
    report["targets"] = [{"target": f"term preview latency median <= {TARGET_MS:.0f} ms, {mode} mode",
                          "value_ms": value, "pass": value <= TARGET_MS}
                         for mode, value in (("kernel", kernel_ms), ("browser", browser_ms))]
    return report


def _ms(xs: list[float]) -> str:
    return f"{1000 * statistics.median(xs):.0f} / {1000 * min(xs):.0f}"


def print_report(report: dict[str, Any]) -> None:
    o = Out(piped_width=150)
    loads = [" ".join(f"{x:.1f}" for x in report[k]) for k in ("load_average_start", "load_average_end")]
    o.say(f"Preview latency in the browser ({describe_machine(report['machine'], ['numpy', 'wasmtime'])}), "
          f"{report['edits']} timed edits per case after {report['warmup']} untimed; ms, median / min")
    o.say(f"Load average (1, 5, 15 min): {loads[0]} at the start, {loads[1]} at the end")
    rows = [[c["label"], _ms(c["latency_s"]), _ms(c["compute_s"]), _ms(c["to_dom_s"]), _ms(c["painted_s"]),
             _ms(c["bare_preview_s"]), f"{c['ratio']:.2f}"] for c in report["cases"]]
    o.table("edit taken -> number in the DOM", ["case", "latency", "compute", "to DOM", "painted",
                                                "bare lc.preview", "latency / bare"], rows)
    o.say(f"Term preview, kernel mode / browser mode (median latency): {report['kernel_over_browser']:.2f}x")
    print_targets(o, report["targets"], lambda t: f"{t['value_ms']:.0f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edits", type=int, default=7, help="timed edits per case (default 7)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed edits first, per case (default 1)")
    ap.add_argument("--no-savings", action="store_true", help="time the two term cases only")
    ap.add_argument("--savings-n", type=int, default=1_000, help="savings preview sample size (default 1,000)")
    ap.add_argument("--term-policies", type=int, default=50_000, help="term portfolio size (default 50,000)")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    args = ap.parse_args()
    emit(run(args.edits, args.warmup, args.savings_n, args.term_policies, not args.no_savings), args.json,
         print_report)


if __name__ == "__main__":
    main()
