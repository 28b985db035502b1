"""Full-run benchmark: synthetic term policies × 1,000 scenarios, chunked on the local pool and on Dask.

    python bench/full_run.py                 # 200K and 2M policies; 1 and 2 local workers; Dask with 2 workers
    python bench/full_run.py --rows 2000000 --skip-dask

Each measurement runs in a fresh process with a fresh ``$LIVECALC_HOME`` (no
partial is reused) on a Parquet file written beforehand by ``livecalc synth``
(row groups of 131,072 policies, so 2M policies plan as 16 chunks). It prints:

* wall time of the job (submit → result, pool already started) and the pool's
  start-up separately;
* where the time goes: summed over chunks, reading + parsing, valuing (engine),
  writing partials; and the client's aggregation (merge, scenarios, statistics);
* peak RSS of the client process and of each worker process;
* the speed-up from 1 to 2 local workers.

Targets (DESIGN.md §9): ≤ 10 s for 2M × 1,000 on 2 cores; peak memory < 1 GiB
per process and flat from 200K to 2M; speed-up ≥ 1.8×.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = 1_000


def _data(rows: int, folder: Path) -> Path:
    path = folder / f"term_{rows}.parquet"
    if not path.exists():
        subprocess.run([sys.executable, "-m", "livecalc_lab.cli", "synth", str(rows), str(path), "--seed", "1"],
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return path


def _case(args: argparse.Namespace) -> None:
    """One measurement, in this (fresh) process; prints one JSON line."""
    import resource

    import livecalc_lab as lc

    os.environ["LIVECALC_HOME"] = tempfile.mkdtemp(prefix="lc-bench-home-")
    spec = lc.hull_white(n=SCENARIOS, seed=1)
    t0 = time.perf_counter()
    cluster = client = None
    if args.backend == "local":
        from livecalc_lab.jobs.backends.local import LocalBackend

        backend = LocalBackend(workers=args.workers, shared=False)
        backend.pool  # start the processes
    else:
        from distributed import Client, LocalCluster

        from livecalc_lab.jobs.backends.dask import DaskBackend

        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0",
                               host="127.0.0.1")
        client = Client(cluster, set_as_default=False)
        backend = DaskBackend(client=client)
    startup = time.perf_counter() - t0
    events = []
    t1 = time.perf_counter()
    job = lc.submit(args.data, scenarios=spec, backend=backend, progress=events.append)
    res = job.result()
    wall = time.perf_counter() - t1
    last_chunk = max(e.elapsed for e in events if e.kind == "chunk_done")
    info = job.info
    chunks = info["chunks"]
    workers: dict[str, int] = {}
    for c in chunks:
        key = f"{c.get('host')}:{c.get('pid')}"
        workers[key] = max(workers.get(key, 0), int(c.get("max_rss") or 0))
    if client is not None:
        client.close()
        cluster.close()
    else:
        backend.close()
    out = {
        "backend": args.backend, "workers": args.workers, "rows": res.n_model_points, "chunks": len(chunks),
        "scenarios": SCENARIOS, "wall_seconds": wall, "startup_seconds": startup,
        "read_seconds": sum(c.get("read_seconds") or 0 for c in chunks),
        "value_seconds": sum(c.get("value_seconds") or 0 for c in chunks),
        "chunk_seconds": sum(c.get("seconds") or 0 for c in chunks),
        "aggregate_seconds": wall - last_chunk,
        "client_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "worker_rss": sorted(workers.values()), "pv_net_cf": res.pv_net_cf,
    }
    print(json.dumps(out))


def _run(data: Path, backend: str, workers: int) -> dict:
    cmd = [sys.executable, __file__, "--case", "--data", str(data), "--backend", backend, "--workers", str(workers)]
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _mib(n: int) -> str:
    return f"{n / (1 << 20):,.0f} MiB"


def _show(r: dict) -> None:
    print(f"{r['backend']:>5} {r['workers']} worker(s) {r['rows']:>9,} policies x {r['scenarios']:,} scenarios, "
          f"{r['chunks']} chunks: {r['wall_seconds']:6.2f} s (+{r['startup_seconds']:.2f} s start-up)  "
          f"read {r['read_seconds']:.2f} s, value {r['value_seconds']:.2f} s, chunks {r['chunk_seconds']:.2f} s "
          f"(summed over workers), aggregate {r['aggregate_seconds']:.2f} s  "
          f"RSS client {_mib(r['client_rss'])}, workers {', '.join(_mib(x) for x in r['worker_rss'])}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="*", default=[200_000, 2_000_000])
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--case", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--backend", default="local", help=argparse.SUPPRESS)
    ap.add_argument("--workers", type=int, default=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.case:
        _case(args)
        return
    folder = Path(os.environ.get("LIVECALC_BENCH_DATA", Path(tempfile.gettempdir()) / "livecalc-bench"))
    folder.mkdir(parents=True, exist_ok=True)
    results = []
    for rows in args.rows:
        data = _data(rows, folder)
        for backend, workers in [("local", 2), ("local", 1)] + ([] if args.skip_dask else [("dask", 2)]):
            r = _run(data, backend, workers)
            results.append(r)
            _show(r)
    big = max(args.rows)
    one = next(r for r in results if r["rows"] == big and r["backend"] == "local" and r["workers"] == 1)
    two = next(r for r in results if r["rows"] == big and r["backend"] == "local" and r["workers"] == 2)
    print(f"speed-up 1 -> 2 local workers at {big:,} policies: {one['wall_seconds'] / two['wall_seconds']:.2f}x "
          f"(target >= 1.8x); 2 workers {two['wall_seconds']:.2f} s (target <= 10 s)")
    assert len({r["pv_net_cf"] for r in results if r["rows"] == big}) == 1, "backends disagree"


if __name__ == "__main__":
    main()
