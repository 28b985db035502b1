"""The kernel's side of the browser preview mode (``livecalc_lab/widgets/_browser_mode.py``).

The page is played here by its messages (what ``js/_browser_preview.js`` sends), and the browser's
numbers by ``lc.preview`` on the same edited inputs: that the worker computes them bit for bit is
checked in ``tests/engine/test_js_preview*.py``, and the whole loop in a real page by
``test_workbench_browser.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import traitlets

import livecalc_lab as lc
from livecalc_lab.browser_preview import apply_changes, payload_arrays, preview_payload, worker_modules
from livecalc_lab.engine import ENGINE_PATH
from livecalc_lab.widgets import PreviewPanel, Workbench, _display
from livecalc_lab.widgets._browser_mode import NOTE_BROWSER, NOTE_KERNEL, same_changes
from livecalc_lab.widgets._transport import MAX_MESSAGE, message_size

from _widget_helpers import SMALL, wait_for

SPEC = lc.hull_white(n=60, seed=3)
LAPSE = "products.basic_term_s.lapse.multiplier"
SAVINGS = Path(__file__).resolve().parents[1] / "data" / "lifelib-savings" / "model_points_bench10k.csv"


def customs(messages: list[tuple[str, Any, list[Any]]], **match: Any) -> list[tuple[dict[str, Any], list[Any]]]:
    """The custom messages sent so far whose content has the items ``match``."""
    out = []
    for msg_type, data, buffers in messages:
        content = (data or {}).get("content") if msg_type == "comm_msg" and (data or {}).get("method") == "custom" \
            else None
        if isinstance(content, dict) and all(content.get(k) == v for k, v in match.items()):
            out.append((content, buffers))
    return out


def transfer(messages: list[tuple[str, Any, list[Any]]], tid: str) -> tuple[dict[str, Any], bytes, int]:
    """``(meta, payload bytes, number of messages)`` of transfer ``tid``, once all its chunks were sent."""
    wait_for(lambda: (c := customs(messages, type="chunk", transfer=tid)) != [] and len(c) == c[0][0]["count"])
    chunks = sorted(customs(messages, type="chunk", transfer=tid), key=lambda m: m[0]["index"])
    for content, buffers in chunks:
        assert message_size({"method": "custom", "content": content}, buffers) <= MAX_MESSAGE
    return chunks[0][0]["meta"], b"".join(bytes(b[0]) for _, b in chunks), len(chunks)


def routes(messages: list[tuple[str, Any, list[Any]]]) -> list[dict[str, Any]]:
    return [c for c, _ in customs(messages, type="route")]


def workbench(book: Path, **kw: Any) -> Workbench:
    wb = Workbench(book, None, SPEC, catalog=False, n=SMALL, delay=0.0, **kw)
    wb.wait(60)
    return wb


def connect(wb: Workbench, messages: list[tuple[str, Any, list[Any]]]) -> str:
    """Say hello as a page would, take the payload and say it is loaded; returns its token."""
    wb.preview._handle({"type": "hello", "worker": True}, [])
    wait_for(lambda: wb.preview.payload_token != "")
    token = wb.preview.payload_token
    wb.preview._handle({"type": "need", "what": "preview-payload", "token": token, "id": f"p-{token}"}, [])
    transfer(messages, f"p-{token}")
    wb.preview._handle({"type": "loaded", "token": token}, [])
    return token


def browser_report(wb: Workbench, token: str, seq: int, changes: dict[str, Any], *, latest: bool = True,
                   nudge: float = 0.0) -> tuple[dict[str, Any], lc.PreviewResult]:
    """What the page reports after showing ``changes`` on the current payload (the numbers by lc.preview on
    its base so edited; ``nudge`` spoils one)."""
    base = wb.preview.browser.payload.base
    res = lc.preview(base.dataset, *apply_changes(base.assumptions, base.scenarios, "basic_term_s", changes), n=SMALL)
    s = res.statistics
    numbers = {"pv_net_cf": res.pv_net_cf + nudge, "ci95": list(res.ci95), "std_error": res.std_error,
               "pv_net_cf_ce": res.pv_net_cf_ce, "tvog": res.tvog,
               "statistics": {"mean": s.mean, "std": s.std, "percentiles": dict(s.percentiles), "cte": dict(s.cte)}}
    edges, counts = _display.histogram(res.per_scenario["pv_net_cf"].to_numpy())
    display = {"headline": _display.headline(res), "detail": "in the browser", "delta": "",
               "statistics": _display.statistics_rows(res), "marks": _display.marks(res),
               "stamp": {"request": f"b{seq}", "taken": 1.0, "finished": 1.1}}
    content = {"type": "shown", "token": token, "seq": seq, "latest": latest, "changes": changes,
               "numbers": json.loads(json.dumps(numbers)), "display": display}
    wb.preview._handle(content, [memoryview(_display.f64(edges)), memoryview(_display.f64(counts))])
    return content, res


def test_the_page_gets_the_payload_and_the_engine_as_chunked_transfers(book, messages):
    wb = workbench(book)
    assert wb.preview_mode == "browser" and wb.preview.payload_token == "" and wb.preview.browser.builder.runs == 0
    token = connect(wb, messages)
    meta, data, _ = transfer(messages, f"p-{token}")
    head = json.loads(data[:meta["meta_bytes"]])
    parts, at = [], meta["meta_bytes"]
    for size in meta["sizes"]:
        parts.append(data[at:at + size])
        at += size
    assert at == len(data) and meta["token"] == token
    want_meta, want_buffers = preview_payload(book, None, SPEC, "basic_term_s", n=SMALL)
    assert head == json.loads(json.dumps(want_meta))
    got, want = payload_arrays(head, parts), payload_arrays(want_meta, want_buffers)
    assert got.keys() == want.keys() and all(np.array_equal(got[k], want[k]) for k in want)

    wb.preview._handle({"type": "need", "what": "preview-engine", "id": "e1"}, [])
    emeta, edata, n_messages = transfer(messages, "e1")
    assert json.loads(edata[:emeta["modules_bytes"]]) == worker_modules()
    assert edata[emeta["modules_bytes"]:] == ENGINE_PATH.read_bytes() and emeta["engine_version"] == head["engine_version"]
    assert n_messages == 1  # ~115 kB: one message
    assert wb.preview.engine == "browser" and wb.preview.mode_note == NOTE_BROWSER
    wb.close()


def test_an_edit_the_browser_can_preview_runs_no_kernel_preview_and_the_result_is_checked_lazily(book, messages):
    wb = workbench(book)
    token = connect(wb, messages)
    r = routes(messages)[-1]
    assert (r["via"], r["seq"], r["compute"], r["token"]) == ("browser", 0, False, token)  # the kernel's is shown
    runs = wb.preview.runner.runs
    wb.editor._handle({"type": "edit", "field": LAPSE, "text": "0.5", "seq": 1}, [])
    route = routes(messages)[-1]
    assert (route["via"], route["seq"], route["compute"], route["token"]) == ("browser", 1, True, token)
    assert route["changes"]["lapse.multiplier"] == 0.5 and wb.assumptions.version != wb.editor.saved.version
    assert not wb.preview.runner.busy and wb.preview.runner.runs == runs  # no kernel preview for it

    content, res = browser_report(wb, token, 1, {"lapse.multiplier": 0.5})
    p = wb.preview
    assert (p.headline, p.status, p.stamp["source"], p.stamp["seq"]) == (content["display"]["headline"], "ready",
                                                                         "browser", 1)
    assert np.frombuffer(p.hist_edges, "<f8").size == _display.BINS + 1 and p.browser.results == 1
    assert p.browser.checks == 0  # nothing computed in the kernel yet
    shown = wb.preview_result
    assert (p.browser.checks, p.browser.mismatches, p.runner.runs) == (1, 0, runs)
    assert shown.pv_net_cf == res.pv_net_cf and shown.ci95 == res.ci95 and shown.assumptions_version == wb.assumptions.version
    assert wb.preview_result is shown and p.browser.checks == 1  # computed once

    wb.editor._handle({"type": "edit", "field": LAPSE, "text": "0.6", "seq": 2}, [])
    _, right = browser_report(wb, token, 2, {"lapse.multiplier": 0.6}, nudge=1e-3)  # a page that got it wrong
    assert wb.preview_result.pv_net_cf == right.pv_net_cf and p.browser.mismatches == 1
    assert p.message.startswith("the browser preview and the kernel disagree on pv_net_cf")
    wb.close()


def test_reports_of_an_old_payload_or_other_values_are_not_shown(book, messages):
    wb = workbench(book)
    token = connect(wb, messages)
    wb.editor._handle({"type": "edit", "field": LAPSE, "text": "0.5", "seq": 1}, [])
    headline, runs = wb.preview.headline, wb.preview.runner.runs
    browser_report(wb, "old-token", 1, {"lapse.multiplier": 0.5})
    browser_report(wb, token, 1, {"lapse.multiplier": 0.7}, latest=False)  # an older edit, superseded
    assert wb.preview.headline == headline and wb.preview.browser.stale == 2 and wb.preview.runner.runs == runs
    browser_report(wb, token, 1, {"lapse.multiplier": 0.7})  # the page's latest, not the kernel's: recomputed
    wb.preview.wait(60)
    assert wb.preview.runner.runs == runs + 1 and wb.preview.stamp["source"] == "kernel"
    assert wb.preview_result.assumptions_version == wb.assumptions.version
    wb.close()


def test_table_edits_and_edits_the_worker_refuses_are_previewed_in_the_kernel(book, messages):
    wb = workbench(book)
    token = connect(wb, messages)
    runs = wb.preview.runner.runs
    table = wb.editor.tables[0]
    wb.editor._handle({"type": "cell", "table": table["name"], "row": 0, "column": table["editable"][0],
                       "text": "0.0002", "seq": 1}, [])
    assert routes(messages)[-1]["via"] == "kernel"
    wb.preview.wait(60)
    assert wb.preview.runner.runs == runs + 1 and wb.preview.stamp["seq"] == 1
    wait_for(lambda: wb.preview.payload_token not in ("", token))  # a new base: the table edit in it
    new = wb.preview.payload_token
    assert wb.preview.engine == "kernel" and wb.preview.browser.payload.base.assumptions.version == wb.assumptions.version
    wb.preview._handle({"type": "loaded", "token": token}, [])  # too late: not the current payload
    assert wb.preview.browser.acked is None
    wb.preview._handle({"type": "loaded", "token": new}, [])
    wb.editor._handle({"type": "edit", "field": "scenarios.n", "text": "40", "seq": 2}, [])
    assert routes(messages)[-1]["via"] == "browser" and routes(messages)[-1]["changes"]["scenarios.n"] == 40
    wb.preview._handle({"type": "needs-kernel", "token": new, "seq": 2, "message": "scenarios.n (too many)"}, [])
    wb.preview.wait(60)
    assert wb.preview.runner.runs == runs + 2 and wb.preview_result.statistics.n == 40
    assert wb.preview.mode_note.endswith("scenarios.n (too many)")
    wb.editor._handle({"type": "edit", "field": "scenarios.n", "text": "50", "seq": 3}, [])
    _, res = browser_report(wb, new, 3, {"scenarios.n": 50})  # back in the browser: the note says so again
    assert wb.preview.mode_note == NOTE_BROWSER and wb.preview.runner.runs == runs + 2
    assert wb.preview_result.pv_net_cf == res.pv_net_cf and wb.preview.browser.mismatches == 0
    assert wb.preview_result.assumptions_version == wb.assumptions.version  # the table edit is in both
    wb.close()


def test_savings_products_stay_in_the_kernel_with_a_note_saying_why(messages):
    wb = Workbench(SAVINGS, None, lc.hull_white(n=10), "savings_ex4", catalog=False, n=50, delay=0.0)
    wb.wait(120)
    wb.preview._handle({"type": "hello", "worker": True}, [])
    wait_for(lambda: "path dependent" in wb.preview.mode_note)
    assert wb.preview.mode_note.startswith("Preview runs in the kernel: product 'savings_ex4' is path dependent")
    assert wb.preview.engine == "kernel" and wb.preview.payload_token == ""
    runs = wb.preview.runner.runs
    wb.editor.edit("products.savings_ex4.expenses.acquisition", "310")
    wb.preview.wait(120)
    assert wb.preview.runner.runs == runs + 1 and routes(messages)[-1]["via"] == "kernel"
    assert wb.preview.browser.builder.runs == 1  # not tried again for the same dataset and product
    wb.close()


def test_kernel_mode_and_the_selector(book, messages):
    wb = workbench(book, preview_mode="kernel")
    p = wb.preview
    p._handle({"type": "hello", "worker": True}, [])
    assert p.mode_note == NOTE_KERNEL and p.browser.builder.runs == 0 and routes(messages) == []
    wb.editor.edit(LAPSE, "0.8")
    p.wait(60)
    runs = p.runner.runs
    p._handle({"type": "mode", "mode": "browser"}, [])  # the page's selector
    wait_for(lambda: p.payload_token != "")
    p._handle({"type": "loaded", "token": p.payload_token}, [])
    assert wb.preview_mode == "browser" and p.engine == "browser" and routes(messages)[-1]["via"] == "browser"
    wb.preview_mode = "kernel"
    assert p.payload_token == "" and p.engine == "kernel" and routes(messages)[-1]["via"] == "kernel"
    assert p.runner.runs == runs  # the kernel's preview of these inputs is on display already
    p._handle({"type": "mode", "mode": "nonsense"}, [])
    assert wb.preview_mode == "kernel"
    with pytest.raises(traitlets.TraitError, match="expected one of kernel, browser"):
        wb.preview_mode = "gpu"
    with pytest.raises(ValueError, match="preview_mode='gpu'"):
        PreviewPanel(preview_mode="gpu")
    wb.close()


def test_a_page_whose_worker_fails_falls_back_to_the_kernel(book, messages):
    wb = workbench(book)
    token = connect(wb, messages)
    wb.preview._handle({"type": "browser-failed", "token": token, "message": "blob: workers are blocked"}, [])
    assert wb.preview.engine == "kernel" and "blob: workers are blocked" in wb.preview.mode_note
    runs = wb.preview.runner.runs
    wb.editor._handle({"type": "edit", "field": LAPSE, "text": "0.5", "seq": 1}, [])
    wb.preview.wait(60)
    assert wb.preview.runner.runs == runs + 1 and routes(messages)[-1]["via"] == "kernel"
    wb.close()


def test_without_a_page_no_payload_is_built(book):
    wb = workbench(book)  # a script or nbval run: browser mode, but no front end said hello
    wb.editor.edit(LAPSE, "0.9")
    wb.wait(60)
    assert wb.preview.browser.frontend is False and wb.preview.browser.builder.runs == 0
    assert wb.preview.runner.runs == 2 and wb.preview_result.assumptions_version == wb.assumptions.version
    wb.close()


def test_same_changes_compares_values_as_the_payload_types_them():
    meta = {"parameters": {"lapse.multiplier": {"value": 1.0, "kind": "number"},
                           "scenarios.seed": {"value": "7", "kind": "integer"},
                           "commission.rates_by_policy_year": {"value": [1.0], "kind": "list"}}}
    assert same_changes(meta, {"lapse.multiplier": 1}, {})
    assert same_changes(meta, {"scenarios.seed": 7}, {"scenarios.seed": "7"})
    assert not same_changes(meta, {"lapse.multiplier": 0.5}, {})
    assert not same_changes(meta, {"commission.rates_by_policy_year": [1.0, 0.5]}, {})
    assert not same_changes(meta, {"mortality.table": "x"}, {})
