"""PreviewPanel: the headline, statistics and histogram of the latest preview, computed off the main thread."""

from __future__ import annotations

import re
import threading

import numpy as np

import livecalc_lab as lc
from livecalc_lab.widgets import PreviewPanel

from _widget_helpers import SMALL

SPEC = lc.hull_white(n=200, seed=5)


def test_a_preview_fills_the_panel_with_the_result_of_lc_preview(book):
    panel = PreviewPanel(book, None, SPEC, n=SMALL, delay=0.0)
    res = panel.wait(60)
    expected = lc.preview(book, None, SPEC, n=SMALL)
    assert res.pv_net_cf == expected.pv_net_cf and panel.status == "ready"
    assert re.fullmatch(r"Preview: mean PV [\d.]+[KMB] ± \d+\.\d% \(95%\), 1K sample", panel.headline), panel.headline
    assert "1,000 of 4,000 model points, 200 scenarios" in panel.detail
    stats = {row[0]: row for row in panel.statistics}
    assert stats["pv_net_cf"][1] == "mean PV" and stats["pv_net_cf"][3] == expected.statistics.mean
    assert stats["cte95"][3] == expected.statistics.cte["cte95"]
    edges = np.frombuffer(panel.hist_edges, "<f8")
    counts = np.frombuffer(panel.hist_counts, "<f8")
    assert counts.sum() == 200 and edges.size == counts.size + 1 and np.all(np.diff(edges) > 0)
    assert [m[0] for m in panel.marks] == ["mean", "P95", "CTE95"]
    assert panel.stamp["request"] == 1 and panel.stamp["taken"] <= panel.stamp["finished"]
    assert panel.delta == ""
    panel.close()


def test_an_update_shows_the_new_value_with_its_change_against_the_previous_preview(book):
    panel = PreviewPanel(book, None, SPEC, n=SMALL, delay=0.0)
    first = panel.wait(60)
    edited = lc.demo_assumptions().with_changes({"products.basic_term_s.lapse.multiplier": 0.5})
    assert panel.update(assumptions=edited) == 2
    second = panel.wait(60)
    assert second.assumptions_version == edited.version and panel.previous is first
    assert panel.delta.endswith(f"vs previous preview ({panel.delta.split('(')[1]}") and "%" in panel.delta
    assert panel.stamp["request"] == 2
    panel.close()


def test_previews_run_on_a_worker_thread_and_listeners_hear_of_each(book):
    seen = []
    main = threading.get_ident()

    def fn(inputs):
        seen.append(threading.get_ident())
        return lc.preview(inputs.dataset, inputs.assumptions, inputs.scenarios, inputs.product, n=SMALL)

    panel = PreviewPanel(None, None, None, n=SMALL, preview_fn=fn, delay=0.0)
    heard = []
    panel.on_result(heard.append)
    panel.update(dataset=lc.open_dataset(book))
    first = panel.wait(60)
    panel.update(product="basic_term_se")
    panel.wait(60)
    assert len(seen) == 2 and main not in seen and heard == [first, panel.result]
    assert panel.headline.startswith("Preview: PV ")  # deterministic: no distribution
    assert panel.hist_edges == b"" and panel.marks == []
    panel.close()


def test_an_error_is_shown_in_the_panel_and_the_previous_numbers_stay(book):
    panel = PreviewPanel(book, None, SPEC, n=SMALL, delay=0.0)
    panel.wait(60)
    headline = panel.headline
    panel.update(product="no_such_product")
    panel.wait(60)
    assert panel.status == "error" and "no_such_product" in panel.message
    assert panel.headline == headline
    panel.close()


def test_without_a_dataset_the_panel_waits_for_one():
    panel = PreviewPanel()
    assert panel.status == "empty" and panel.result is None and panel.runner.runs == 0
    panel.close()


def test_a_whole_portfolio_preview_says_it_is_exact(book):
    panel = PreviewPanel(book, None, SPEC, n=10_000, delay=0.0)
    panel.wait(60)
    assert panel.headline.endswith("(exact: all 4,000 model points)")
    panel.close()
