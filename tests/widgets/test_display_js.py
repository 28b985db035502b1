"""``js/_display.js`` (run by Node) writes what ``_format.py`` and ``_display.py`` write, and bins as they bin.

The browser preview formats and bins its results in the page; the kernel formats and bins its own.
Both must give the same text, character for character, and the same histogram, bit for bit: ties
(0.125, 2.5, 999.5K) are rounded to even as Python does, not away from zero as toFixed does.
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
from livecalc_lab.widgets import _display, _format
from livecalc_lab.widgets._assets import JS_DIR

from _widget_helpers import SMALL

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

SCRIPT = """
import { readFileSync, writeFileSync } from "node:fs";
import * as d from "./_display.mjs";
const num = (v) => typeof v === "number" ? v : { nan: NaN, inf: Infinity, "-inf": -Infinity, "-0": -0 }[v];
const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
const spec = cases.spec;
const out = {
  amount: cases.amounts.map((x) => d.amount(num(x))),
  amount5: cases.amounts.map((x) => d.amount(num(x), 5)),
  count: cases.counts.map((x) => d.count(num(x))),
  percent: cases.shares.map((x) => d.percent(num(x))),
  percent2: cases.shares.map((x) => d.percent(num(x), 2)),
  signed: cases.shares.map((x) => d.signedPercent(num(x))),
  seconds: cases.seconds.map((x) => d.seconds(num(x))),
  histograms: cases.histograms.map((v) => {
    const h = d.histogram(Float64Array.from(v.map(num)), spec.bins);
    return [Array.from(h.edges), Array.from(h.counts)];
  }),
  previews: cases.previews.map((r) => ({
    headline: d.headline(r), rows: d.statisticsRows(r, spec), marks: d.marks(r),
    hist: r.per_scenario ? (({ edges, counts }) => [Array.from(edges), Array.from(counts)])(
      d.histogram(Float64Array.from(r.per_scenario.pv_net_cf), spec.bins)) : null,
    delta: d.delta(r.pv_net_cf, cases.old),
  })),
};
writeFileSync(process.argv[3], JSON.stringify(out));
"""


def _wire(x: float) -> Any:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0 and math.copysign(1, x) < 0:
        return "-0"
    return x


def _worker_like(res: lc.PreviewResult) -> dict[str, Any]:
    """A PreviewResult as the worker's result message holds it (preview.mjs, PreviewSession.compute)."""
    s = res.statistics
    return {
        "pv_net_cf": res.pv_net_cf, "ci95": list(res.ci95), "std_error": res.std_error,
        "relative_halfwidth": res.relative_halfwidth, "sample_size": res.sample_size, "total_rows": res.total_rows,
        "totals": dict(res.totals), "pv_net_cf_ce": res.pv_net_cf_ce, "tvog": res.tvog,
        "statistics": None if s is None else {"n": s.n, "mean": s.mean, "std": s.std, "min": s.min, "max": s.max,
                                              "percentiles": dict(s.percentiles), "cte": dict(s.cte)},
        "per_scenario": None if res.per_scenario is None else
        {"pv_net_cf": res.per_scenario["pv_net_cf"].to_list()},
    }


@pytest.fixture(scope="module")
def previews(book: Path) -> list[lc.PreviewResult]:
    return [lc.preview(book, None, lc.hull_white(n=300, seed=2), n=SMALL),
            lc.preview(book, None, None, "basic_term_s", n=SMALL),  # deterministic: totals, no distribution
            lc.preview(book, None, lc.hull_white(n=25, seed=9), n=10_000)]  # the whole portfolio: exact


def test_the_page_writes_and_bins_as_the_kernel(tmp_path, previews):
    rng = np.random.default_rng(17)
    mags = 10.0 ** rng.uniform(-7, 15, 400)
    amounts = [float(x) for x in mags * rng.choice([-1.0, 1.0], mags.size)]
    amounts += [0.0, -0.0, 0.125, 0.5, 1.5, 2.5, 999.5, 9995.0, 999_500.0, 999_499.999, 0.0005, 1234.5, 1e12 * 0.9995,
                999.4999999999999, 1.0005, 5e-324, 1.7e308, -845_123.0, math.nan, math.inf, -math.inf]
    counts = [0, 1, 950, 999, 999.5, 1000, 1001, 9999, 10_000, 12_345, 999_499, 999_500, 1_340_000, 2e6, 20_000,
              5_000, 3e9, 1234.5]
    shares = [float(x) for x in rng.normal(0, 0.05, 200)] + [0.0, -0.0, 0.0025, 0.00125, 0.0005, -0.0005, 0.00049,
                                                             0.015, 1.0, -1.0, 0.19825, math.nan, math.inf]
    seconds = [float(x) for x in 10.0 ** rng.uniform(-3, 4.5, 100)] + [0.125, 0.005, 9.95, 9.96, 10.0, 59.5, 60.5,
                                                                       61.5, 125.5, 3599.5, 3600, 3725, math.nan]
    hists = [rng.normal(1e6, 2e4, 1000), rng.standard_normal(7), np.full(10, 5.0), np.zeros(4), np.array([-3.5]),
             np.array([]), np.linspace(-1.0, 1.0, 41), rng.integers(0, 5, 300).astype(float) * 0.1]
    cases = {
        "spec": {"statistics": _display.STATISTICS, "deterministic": _display.DETERMINISTIC, "bins": _display.BINS},
        "amounts": [_wire(x) for x in amounts], "counts": counts, "shares": [_wire(x) for x in shares],
        "seconds": [_wire(x) for x in seconds], "histograms": [[_wire(float(x)) for x in h] for h in hists],
        "previews": [_worker_like(r) for r in previews], "old": previews[0].pv_net_cf * 0.97,
    }
    shutil.copy(JS_DIR / "_display.js", tmp_path / "_display.mjs")
    (tmp_path / "run.mjs").write_text(SCRIPT)
    (tmp_path / "cases.json").write_text(json.dumps(cases, allow_nan=False))
    subprocess.run([NODE, str(tmp_path / "run.mjs"), str(tmp_path / "cases.json"), str(tmp_path / "out.json")],
                   check=True, capture_output=True, text=True, timeout=120)
    js = json.loads((tmp_path / "out.json").read_text())

    assert js["amount"] == [_format.amount(x) for x in amounts]
    assert js["amount5"] == [_format.amount(x, 5) for x in amounts]
    assert js["count"] == [_format.count(x) for x in counts]
    assert js["percent"] == [_format.percent(x) for x in shares]
    assert js["percent2"] == [_format.percent(x, 2) for x in shares]
    assert js["signed"] == [_format.signed_percent(x) for x in shares]
    assert js["seconds"] == [_format.seconds(x) for x in seconds]
    assert _format.amount(0.125) == "0.125" and _format.percent(0.0025) == js["percent"][shares.index(0.0025)]
    for values, (edges, counts_) in zip(hists, js["histograms"]):
        want_edges, want_counts = _display.histogram(values)
        assert np.asarray(edges).tobytes() == want_edges.tobytes() and counts_ == want_counts.tolist()

    for res, got in zip(previews, js["previews"]):
        assert got["headline"] == _display.headline(res)
        rows = _display.statistics_rows(res)
        assert got["rows"] == [[k, label, text, v] for k, label, text, v in rows]
        assert got["marks"] == _display.marks(res)
        if res.per_scenario is None:
            assert got["hist"] is None
        else:
            edges, counts_ = _display.histogram(res.per_scenario["pv_net_cf"].to_numpy())
            assert np.asarray(got["hist"][0]).tobytes() == edges.tobytes() and got["hist"][1] == counts_.tolist()
    old = cases["old"]
    assert js["previews"][0]["delta"] == \
        f"{_format.signed_percent((previews[0].pv_net_cf - old) / abs(old))} vs previous preview ({_format.amount(old)})"
    assert js["previews"][2]["headline"].endswith("(exact: all 4,000 model points)")
