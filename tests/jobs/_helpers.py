"""Helpers for the jobs tests."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import livecalc_lab as lc

SPEC = lc.hull_white(n=40, seed=7)


def chunk_bytes_for(path: Path, n: int) -> int:
    """A target chunk size that plans exactly ``n`` chunks of ``path``."""
    ds = lc.open_dataset(path)
    size = ds.metadata.bytes
    for target in sorted({max(size * k // (n * 64), 1) for k in range(32, 130)}, reverse=True):
        if sum(1 for _ in ds.iter_chunks(target)) == n:
            return target
    raise AssertionError(f"no chunk size gives {n} chunks of {path}")


def completions(home: Path) -> dict[int, int]:
    """How many times each chunk index ran to completion (the workers' _completed.log)."""
    log = home / "partials" / "_completed.log"
    counts: dict[int, int] = {}
    if log.exists():
        for line in log.read_text().splitlines():
            k = int(line.split()[1])
            counts[k] = counts.get(k, 0) + 1
    return counts


def same_result(a: lc.ValuationResult, b: lc.ValuationResult) -> None:
    """Bit-identical totals, per-scenario totals and statistics."""
    assert a.totals == b.totals
    assert a.n_model_points == b.n_model_points and a.n_policies == b.n_policies
    if b.per_scenario is not None:
        assert a.per_scenario.equals(b.per_scenario)
        assert a.statistics == b.statistics
        assert a.pv_net_cf_ce == b.pv_net_cf_ce and a.tvog == b.tvog


def wait_for(condition: Callable[[], bool], seconds: float) -> None:
    """Poll ``condition`` until it holds; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {seconds} s")
        time.sleep(0.05)
