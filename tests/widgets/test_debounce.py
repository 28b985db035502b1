"""The preview scheduler: debounced, off the main thread, latest wins (livecalc_lab/widgets/_debounce.py)."""

from __future__ import annotations

import threading
import time

import pytest

import livecalc_lab as lc
from livecalc_lab.widgets._debounce import LatestRunner, Outcome

from _widget_helpers import SMALL


def test_fifty_edits_in_one_second_run_the_real_engine_at_most_twice_and_show_the_last_value(book):
    """50 lapse multipliers typed within a second: one or two previews, and the one shown is the last value's."""
    ds = lc.open_dataset(book)
    base = lc.demo_assumptions()
    scen = lc.hull_white(n=50, seed=3)
    calls: list[float] = []
    shown: list[Outcome] = []
    main = threading.get_ident()
    threads: set[int] = set()

    def preview(mult: float):
        calls.append(mult)
        threads.add(threading.get_ident())
        aset = base.with_changes({"products.basic_term_s.lapse.multiplier": mult})
        return lc.preview(ds, aset, scen, n=SMALL)

    runner = LatestRunner(preview, shown.append, delay=0.3)
    values = [0.5 + 0.01 * i for i in range(50)]
    stamps = []
    t0 = time.monotonic()
    for i, v in enumerate(values):
        stamps.append(time.monotonic())
        runner.request(v)
        time.sleep(max(0.0, t0 + (i + 1) / 50 - time.monotonic()))
    assert runner.wait_idle(60)
    runner.close()
    # A pause longer than the debounce between two edits (a stalled machine) legitimately starts a run.
    stalls = sum(1 for a, b in zip(stamps, stamps[1:]) if b - a >= runner.delay)
    assert 1 <= len(calls) <= max(2, 1 + stalls) and calls[-1] == values[-1]
    assert main not in threads
    assert shown[-1].value == values[-1] and shown[-1].request == 50
    expected = lc.preview(ds, base.with_changes({"products.basic_term_s.lapse.multiplier": values[-1]}), scen, n=SMALL)
    assert shown[-1].result.pv_net_cf == expected.pv_net_cf
    assert shown[-1].taken <= shown[-1].finished


def test_a_slow_preview_of_an_old_value_is_discarded_when_a_newer_request_came_meanwhile():
    started = threading.Event()
    release = threading.Event()
    shown: list[Outcome] = []

    def slow(value: str) -> str:
        if value == "old":
            started.set()
            release.wait(10)  # still running when "new" is requested
        return value.upper()

    runner = LatestRunner(slow, shown.append, delay=0.01)
    runner.request("old")
    assert started.wait(10)
    runner.request("new")
    release.set()
    assert runner.wait_idle(10)
    runner.close()
    assert [o.result for o in shown] == ["NEW"]
    assert runner.runs == 2 and runner.discarded == 1


def test_a_failing_call_is_reported_to_the_display_and_the_runner_keeps_going():
    shown: list[Outcome] = []

    def fn(x: int) -> int:
        if x < 0:
            raise ValueError("negative")
        return x

    runner = LatestRunner(fn, shown.append, delay=0.0)
    runner.request(-1)
    runner.wait_idle(10)
    runner.request(4)
    runner.wait_idle(10)
    runner.close()
    assert isinstance(shown[0].error, ValueError) and shown[0].result is None
    assert shown[1].result == 4 and shown[1].error is None


def test_a_display_that_raises_does_not_stop_later_calls(capsys):
    seen: list[int] = []

    def show(o: Outcome) -> None:
        seen.append(o.result)
        if o.result == 1:
            raise RuntimeError("display bug")

    runner = LatestRunner(lambda x: x, show, delay=0.0)
    runner.request(1)
    runner.wait_idle(10)
    runner.request(2)
    runner.wait_idle(10)
    runner.close()
    assert seen == [1, 2] and runner.callback_errors == 1
    assert "display bug" in capsys.readouterr().err


def test_requests_keep_postponing_the_call_until_they_stop():
    calls: list[int] = []
    runner = LatestRunner(calls.append, lambda o: None, delay=0.2)
    for i in range(5):
        runner.request(i)
        time.sleep(0.05)
        assert calls == []
    assert runner.busy
    assert runner.wait_idle(10)
    runner.close()
    assert calls == [4]


def test_wait_idle_times_out_and_a_closed_runner_refuses_requests():
    gate = threading.Event()
    runner = LatestRunner(lambda x: gate.wait(10), lambda o: None, delay=0.0)
    runner.request(1)
    assert runner.wait_idle(0.1) is False
    gate.set()
    assert runner.wait_idle(10)
    runner.close()
    with pytest.raises(RuntimeError, match="closed"):
        runner.request(2)


def test_superseding_drops_the_waiting_request_and_discards_the_running_one():
    """A request answered elsewhere (the browser preview): nothing earlier is shown after it."""
    started, release = threading.Event(), threading.Event()
    shown: list[Outcome] = []

    def slow(x: int) -> int:
        started.set()
        release.wait(10)
        return x

    runner = LatestRunner(slow, shown.append, delay=0.0)
    runner.request(1)
    assert started.wait(10)
    runner.request(2)  # waits behind the running call
    assert runner.supersede() == 3 and runner.latest == 3
    release.set()
    assert runner.wait_idle(10)
    assert shown == [] and runner.runs == 1 and runner.discarded == 1  # 1 ran and was dropped; 2 never ran
    runner.request(4)
    assert runner.wait_idle(10) and [o.value for o in shown] == [4]
    runner.close()
