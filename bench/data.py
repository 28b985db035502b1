"""Data-layer benchmark: metadata, sample and a full chunked pass over 200K and 2M synthetic policies.

    python bench/data.py                 # 200K and 2M policies, CSV and Parquet, in a temporary folder
    python bench/data.py --sizes 200000  # one size
    python bench/data.py --keep DIR      # write (or reuse) the files in DIR

Each measurement runs in a fresh process, so its peak RSS (``ru_maxrss``) is its own. The
baseline, measured in the same run, is loading the whole file into one polars DataFrame
(``pl.read_csv``/``pl.read_parquet``): the chunked pass should cost about as much time and far
less memory, and its peak RSS should stay flat as n grows. Targets (issue 4): Parquet metadata
<= 10 ms; CSV first metadata pass <= 1 s per GB from a warm page cache; peak RSS < 1 GiB and flat.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = r"""
import json, os, resource, sys, time
os.environ["LIVECALC_CACHE_DIR"] = sys.argv[3]
import polars as pl
import livecalc_lab as lc

what, path = sys.argv[1], sys.argv[2]
out = {}
t0 = time.perf_counter()
import pyarrow.parquet, xxhash  # one-time imports, timed apart from the metadata they serve
out["imports_s"] = time.perf_counter() - t0
t0 = time.perf_counter()
if what == "baseline":
    frame = pl.read_csv(path) if path.endswith(".csv") else pl.read_parquet(path)
    out["rows"] = frame.height
    out["seconds"] = time.perf_counter() - t0
else:
    ds = lc.open_dataset(path)
    m = ds.metadata
    out["rows"] = m.rows
    out["metadata_s"] = time.perf_counter() - t0
    t = time.perf_counter(); lc.open_dataset(path).metadata; out["metadata_again_s"] = time.perf_counter() - t
    t = time.perf_counter(); v = ds.version; out["version_s"] = time.perf_counter() - t
    t = time.perf_counter(); s = ds.sample(10_000, seed=42); out["sample_s"] = time.perf_counter() - t
    assert s.height == 10_000
    t = time.perf_counter()
    n = 0
    count = 0.0
    chunks = 0
    for chunk in ds.iter_chunks():
        pols = ds.read_chunk(chunk.id)
        n += pols.frame.height
        count += float(pols.frame["policy_count"].sum())
        chunks += 1
    out["pass_s"] = time.perf_counter() - t
    out["chunks"] = chunks
    assert n == m.rows, (n, m.rows)
out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def child(what: str, path: Path, cache: Path) -> dict:
    res = subprocess.run([sys.executable, "-c", CHILD, what, str(path), str(cache)], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    if res.returncode:
        raise SystemExit(res.stderr)
    return json.loads(res.stdout)


def warm(path: Path) -> None:
    with open(path, "rb") as f:
        while f.read(64 << 20):
            pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[200_000, 2_000_000])
    ap.add_argument("--keep", type=Path, help="folder for the generated files (reused if present)")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from livecalc_lab.data.synthetic import synthetic_portfolio

    folder = args.keep or Path(tempfile.mkdtemp(prefix="livecalc-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in args.sizes:
        for suffix in (".parquet", ".csv"):
            path = folder / f"policies-{n}{suffix}"
            if not path.exists():
                t = time.perf_counter()
                synthetic_portfolio(n, seed=1, out=path)
                print(f"generated {path.name}: {path.stat().st_size / 2**20:,.0f} MiB in {time.perf_counter() - t:.1f} s",
                      file=sys.stderr)
            warm(path)
            cache = Path(tempfile.mkdtemp(prefix="livecalc-bench-cache-"))  # first metadata pass is uncached
            ours = child("dataset", path, cache)
            base = child("baseline", path, cache)
            rows.append((n, suffix[1:], path.stat().st_size, ours, base))
    print(f"{'n':>9} {'fmt':>7} {'MiB':>6} {'import ms':>9} {'meta ms':>8} {'again ms':>8} {'s/GB':>6} {'version s':>9} "
          f"{'sample s':>8} {'pass s':>7} {'chunks':>6} {'RSS MiB':>8} | {'load s':>6} {'load RSS':>8} {'RSS ratio':>9}")
    for n, fmt, size, o, b in rows:
        per_gb = o["metadata_s"] / (size / 1e9)
        print(f"{n:>9,} {fmt:>7} {size / 2**20:>6.0f} {o['imports_s'] * 1e3:>9.0f} {o['metadata_s'] * 1e3:>8.1f} {o['metadata_again_s'] * 1e3:>8.2f} "
              f"{per_gb:>6.2f} {o['version_s']:>9.3f} {o['sample_s']:>8.3f} {o['pass_s']:>7.2f} {o['chunks']:>6} "
              f"{o['peak_rss_mib']:>8.0f} | {b['seconds']:>6.2f} {b['peak_rss_mib']:>8.0f} {o['peak_rss_mib'] / b['peak_rss_mib']:>9.2f}")
    print("import ms: pyarrow.parquet and xxhash, once per process; meta ms: first ds.metadata after them (CSV: the one")
    print("streaming pass; Parquet: the footer); again: a new Dataset (CSV: from the cache; Parquet: the footer again);")
    print("s/GB: first metadata time per GB of file; version: full content hash (CSV: from the pass; Parquet: one xxh3 pass);")
    print("pass: iter_chunks() + read_chunk() of every chunk with strict parsing; load: pl.read_* of the whole file (baseline).")
    print(f"peak RSS of this driver: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB; files in {folder}")


if __name__ == "__main__":
    main()
