"""Benchmark: the kernel preview with and without the sample cache, on a 50,000-policy Parquet and CSV file.

Run from the repository root (package installed, or ``PYTHONPATH=.``)::

    python bench/preview_sample_cache.py                 # 50K policies, 15 rounds
    python bench/preview_sample_cache.py --repeat 31     # more rounds
    python bench/preview_sample_cache.py --policies 200000 --keep /tmp/lc-bench
    python bench/preview_sample_cache.py --json

What is measured, in one process
--------------------------------
``lc.preview(ds, scenarios=lc.hull_white(n=1000))`` (10,000-policy sample, bundled assumptions)
on a dataset opened once, as the workbench holds it, and the same with the assumption set given
(``lc.preview(ds, aset, ...)``: what an edit in the workbench runs, without reloading the bundled
set). Each is timed with the sample taken from the cache (``cached``) and drawn from the file
every time (``drawn``: ``Dataset.sample(..., cache=False)``, the behaviour before the cache), in
interleaved rounds with the garbage collector paused; ``Dataset.sample`` is timed alone the same
two ways. Ratios are drawn / cached medians. Every cached preview must equal the drawn one bit for
bit (``pv_net_cf`` and the per-scenario totals); the script raises ``AssertionError`` if not.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import livecalc_lab as lc  # noqa: E402
from _timing import Out, Timing, describe_machine, emit, machine, rounds  # noqa: E402


def _measure(path: Path, repeat: int, warmup: int) -> dict[str, Any]:
    spec = lc.hull_white(n=1000)
    aset = lc.demo_assumptions()
    cached = lc.open_dataset(path)
    drawn = lc.open_dataset(path)
    drawn.sample = partial(type(drawn).sample, drawn, cache=False)  # what lc.preview calls, never cached
    a, b = lc.preview(cached, scenarios=spec), lc.preview(drawn, scenarios=spec)
    assert a.pv_net_cf == b.pv_net_cf and a.per_scenario.equals(b.per_scenario), "cached and drawn previews differ"
    timings = {key: Timing(key, label) for key, label in (
        ("preview_cached", "lc.preview(ds, scenarios=...), sample cached"),
        ("preview_drawn", "lc.preview(ds, scenarios=...), sample drawn"),
        ("edit_cached", "lc.preview(ds, aset, ...), sample cached"),
        ("edit_drawn", "lc.preview(ds, aset, ...), sample drawn"),
        ("sample_cached", "ds.sample(10_000, 42), cached"),
        ("sample_drawn", "ds.sample(10_000, 42), drawn"),
    )}

    def timed(key: str, fn: Any) -> Any:
        def run() -> None:
            t0 = time.perf_counter()
            fn()
            timings[key].seconds.append(time.perf_counter() - t0)
        return run

    runners = [
        timed("preview_cached", lambda: lc.preview(cached, scenarios=spec)),
        timed("preview_drawn", lambda: lc.preview(drawn, scenarios=spec)),
        timed("edit_cached", lambda: lc.preview(cached, aset, spec)),
        timed("edit_drawn", lambda: lc.preview(drawn, aset, spec)),
        timed("sample_cached", lambda: cached.sample(10_000, 42)),
        timed("sample_drawn", lambda: drawn.sample(10_000, 42)),
    ]
    rounds(runners, repeat, warmup)
    for t in timings.values():  # the warm-up rounds are not counted
        t.seconds = t.seconds[warmup:]
    return {"file": path.name, "rows": lc.open_dataset(path).metadata.rows,
            "timings": {k: t.as_dict() for k, t in timings.items()},
            "ratios": {k: timings[f"{k}_drawn"].median / timings[f"{k}_cached"].median
                       for k in ("preview", "edit", "sample")}}


def run(policies: int, repeat: int, warmup: int, keep: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="lc-sample-cache-") as tmp:
        folder = Path(keep) if keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        cases = []
        for suffix in ("parquet", "csv"):
            path = folder / f"book{policies}.{suffix}"
            if not path.exists():
                lc.synthetic_portfolio(policies, seed=5, out=path)
            cases.append(_measure(path, repeat, warmup))
    return {"machine": machine(), "policies": policies, "repeat": repeat, "cases": cases}


def _print(report: dict[str, Any]) -> None:
    o = Out(piped_width=120)
    o.say(describe_machine(report["machine"], ("numpy", "polars", "wasmtime")))
    o.say(f"{report['policies']:,} policies, 10,000-policy sample, 1,000 Hull-White scenarios, "
          f"{report['repeat']} interleaved rounds")
    for case in report["cases"]:
        t = case["timings"]
        rows = [[v["label"], f"{1000 * v['median_s']:.1f}", f"{1000 * v['min_s']:.1f}"] for v in t.values()]
        o.table(case["file"], ["measurement", "median ms", "min ms"], rows)
        o.say("  drawn / cached (medians): " + ", ".join(f"{k} {r:.2f}x" for k, r in case["ratios"].items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--policies", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--keep", help="write (or reuse) the data files in this folder")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    emit(run(args.policies, args.repeat, args.warmup, args.keep), args.json, _print)


if __name__ == "__main__":
    main()
