"""A bounded load test from a second process: ``bench/api_load.py`` against the live service, with no errors.

The figures (p50/p99 latency) are printed by the benchmark run on its own; this test only asks
that 16 concurrent clients get every cached sample right. No timing threshold: CI machines vary.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from _servers import ROOT

REQUESTS = 800


@pytest.mark.slow
def test_sixteen_clients_get_every_cached_sample(service):
    res = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "api_load.py"), "--url", service.url, "--token", service.token(),
         "--dataset", "book", "--clients", "16", "--requests", str(REQUESTS), "--sizes", "1000", "10000",
         "--max-seconds", "120", "--json"],
        capture_output=True, text=True, timeout=600,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    results = json.loads(res.stdout)["results"]
    assert [r["n"] for r in results] == [1_000, 10_000]
    for r in results:
        assert (r["requests"], r["errors"], r["clients"]) == (REQUESTS, 0, 16), r
        assert r["p50_ms"] <= r["p99_ms"] <= r["max_ms"]


def test_the_load_test_refuses_addresses_off_this_machine():
    res = subprocess.run([sys.executable, str(ROOT / "bench" / "api_load.py"), "--url", "http://192.0.2.1:8765",
                          "--token", "t", "--requests", "1"], capture_output=True, text=True, timeout=60)
    assert res.returncode != 0 and "not a loopback address" in res.stderr
