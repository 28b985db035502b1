"""``livecalc_lab/engine/js/stats.mjs``: the project's statistics in JavaScript, bit for bit as in Python.

The in-browser preview summarises per-scenario totals with this port of ``livecalc_lab.stats``; every
number must be the same double as :func:`livecalc_lab.stats.summarise` gives.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from livecalc_lab.stats import CTE_LEVELS, PERCENTILES, cte, percentile, summarise, tvog

LEVELS = {"percentiles": [str(p) for p in PERCENTILES] + ["7", "33.3", "0.1", "100"],
          "cte": [str(a) for a in CTE_LEVELS] + ["0", "99.9", "12.5", "97.25"]}


def _samples() -> dict[str, list[float]]:
    """Samples whose CTE tails are fractional (n not a multiple of 100), with ties, -0.0 and big offsets."""
    rng = np.random.default_rng(11)
    return {
        "normal_1000": (rng.standard_normal(1000) * 7.5e5 + 1.45e7).tolist(),
        "odd_999": (rng.standard_normal(999) * 3.0 + 1e9).tolist(),
        "small_37": rng.lognormal(0, 2, 37).tolist(),
        "ties_and_zeros": [0.0, -0.0, 1.5, 1.5, -2.25, 1.5, 0.0, -0.0, 3.0, -2.25, 1e-300, -5e-324],
        "single": [42.0],
        "tiny_and_huge": [1e-310, 2e-310, 1e150, -1e150, 3.5, 1e-320],
    }


def test_summaries_are_the_python_doubles(run_js):
    samples = _samples()
    out = run_js("""
        import { summarise, tvog, fsum, percentile, cte } from "@js/stats.mjs";
        output = {};
        for (const [name, x] of Object.entries(input.samples)) {
          output[name] = {summary: summarise(x, input.levels.percentiles, input.levels.cte), fsum: fsum(x),
                          tvog: tvog(1.25e7, x), p7: percentile(x, "7"), p995: percentile(x, 99.5),
                          cte95: cte(x, "95"), cte0: cte(x, 0)};
        }""", {"samples": samples, "levels": LEVELS})
    for name, x in samples.items():
        got, want = out[name], summarise(x, LEVELS["percentiles"], LEVELS["cte"]).to_dict()
        s = got["summary"]
        std = float(s["std"]) if isinstance(s["std"], str) else s["std"]
        assert (s["n"], s["mean"], s["min"], s["max"]) == (want["n"], want["mean"], want["min"], want["max"]), name
        assert std == want["std"] or (math.isnan(std) and want["std"] is None), name
        assert s["percentiles"] == want["percentiles"], name
        assert s["cte"] == want["cte"], name
        assert got["fsum"] == math.fsum(x) and got["tvog"] == tvog(1.25e7, x), name
        assert (got["p7"], got["p995"]) == (percentile(x, "7"), percentile(x, "99.5")), name
        assert (got["cte95"], got["cte0"]) == (cte(x, "95"), cte(x, "0")), name
        assert list(s["percentiles"]) == list(want["percentiles"]) and list(s["cte"]) == list(want["cte"])


def test_exact_rounding_of_rationals_and_levels(run_js):
    """ratioToDouble is int / int of CPython (ties to even, subnormals); levels parse as exact decimals."""
    from fractions import Fraction

    cases = [(1, 3), (-2, 3), (1, 10), (2**53 + 1, 1), (2**54 + 2, 4), (1, 2**1074 * 3), (5, 2**1076),
             (10**400 + 7, 10**399), (-(2**1075) + 1, 2**1075), (123456789123456789123456789, 98765432123)]
    out = run_js("""
        import { ratioToDouble, parseLevel, percentileKey, cteKey, units } from "@js/stats.mjs";
        output = {
          ratios: input.cases.map(([n, d]) => ratioToDouble(BigInt(n), BigInt(d))),
          levels: ["99.5", "99.50", "1.0", "0.5", "100", "1e2", "007", 99.5, 95].map((l) => parseLevel(l).text),
          keys: [percentileKey("99.50"), cteKey("97.25"), percentileKey(1)],
          units: [0.1, -3.5, 5e-324, 1e308].map((x) => String(units(x))),
        };""", {"cases": [[str(n), str(d)] for n, d in cases]})
    assert out["ratios"] == [n / d for n, d in cases]
    assert out["levels"] == ["99.5", "99.5", "1", "0.5", "100", "100", "7", "99.5", "95"]
    assert out["keys"] == ["p99_5", "cte97_25", "p1"]
    assert [int(u) for u in out["units"]] == [int(Fraction(x) * 2**1074) for x in (0.1, -3.5, 5e-324, 1e308)]


@pytest.mark.parametrize(("call", "message"), [
    ("summarise([], ['50'], ['95'])", "empty"),
    ("summarise([1, NaN], ['50'], ['95'])", "values[1] = NaN is not finite"),
    ("percentile([1, 2], '0')", "outside (0, 100]"),
    ("cte([1, 2], '100')", "outside [0, 100)"),
    ("percentile([1, 2], 'abc')", "is not a decimal number"),
    ("tvog(Infinity, [1])", "pv_ce Infinity is not finite"),
    ("summarise([1e300, -1e300], ['50'], ['95'])", "squared deviations overflow float64"),
])
def test_bad_input_is_a_stats_error(run_js, call, message):
    out = run_js(f"""
        import {{ summarise, percentile, cte, tvog }} from "@js/stats.mjs";
        try {{ {call}; output = null; }} catch (e) {{ output = [e.name, e.message]; }}""")
    assert out is not None and out[0] == "StatsError" and message in out[1]
