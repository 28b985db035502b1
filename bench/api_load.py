"""Load test of the Data API's cached sample endpoint: concurrent clients on loopback, latency percentiles.

    python bench/api_load.py                                # own service, 16 clients, 4,000 requests per size
    python bench/api_load.py --clients 16 --requests 2000 --sizes 1000 10000
    python bench/api_load.py --url http://127.0.0.1:8765 --token "$(livecalc token -s datasets:read)" --dataset demo
    python bench/api_load.py --json                         # the figures as one JSON object

Without ``--url`` it starts ``livecalc serve`` in a subprocess on 127.0.0.1 (a free port) over a
100,000-policy synthetic Parquet portfolio in a temporary folder, with a random HS256 secret, and
stops it at the end. The load comes from this process: ``--clients`` asyncio tasks, each with its
own keep-alive HTTP/1.1 connection, asking for ``GET /datasets/{id}/sample?n=N&seed=42`` as Arrow IPC. One
request per size warms the cache first, so the figures are those of cached samples (the version
check of each request included). Every answer must be a 200 with the same bytes as the warm-up's;
anything else counts as an error.

Bounded: at most ``--requests`` requests per size and ``--max-seconds`` per size, whichever comes
first; only loopback addresses are ever contacted. Target (issue 6): p99 < 50 ms for n = 1,000.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
ARROW = "application/vnd.apache.arrow.stream"
TARGET_P99_MS = {1_000: 50.0}
POLICIES = 100_000


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in [0, 100])."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(-(-q * len(sorted_values) // 100)) - 1))
    return sorted_values[k]


def _loopback_only(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        ok = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = False
    if not ok:
        raise SystemExit(f"api_load: {url} is not a loopback address; this load test only targets 127.0.0.0/8 or ::1")


class _Connection:
    """One keep-alive HTTP/1.1 connection that sends GETs and reads Content-Length bodies.

    A deliberately small client (a non-blocking socket, bodies received straight into one
    buffer): the load generator must cost far less than the server it measures. A general-purpose
    async client spent more CPU per 3 MB body than the service did.
    """

    def __init__(self, host: str, port: int, headers: dict[str, str]):
        self.addr = (host, port)
        head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": f"{host}:{port}", **headers}.items())
        self.head = head.encode()
        self.sock: socket.socket | None = None
        self.spare = b""  # bytes received past the end of the last response

    async def get(self, target: str) -> tuple[int, bytes | bytearray]:
        loop = asyncio.get_running_loop()
        if self.sock is None:
            self.sock = socket.socket(socket.AF_INET6 if ":" in self.addr[0] else socket.AF_INET)
            self.sock.setblocking(False)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            await loop.sock_connect(self.sock, self.addr)
        await loop.sock_sendall(self.sock, b"GET " + target.encode() + b" HTTP/1.1\r\n" + self.head + b"\r\n")
        data = self.spare
        while b"\r\n\r\n" not in data:
            chunk = await loop.sock_recv(self.sock, 65536)
            if not chunk:
                raise ConnectionError("connection closed by the server")
            data += chunk
        raw, _, rest = data.partition(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if "content-length" not in fields:
            raise ConnectionError("response without Content-Length")
        length = int(fields["content-length"])
        body = bytearray(length)
        got = min(len(rest), length)
        body[:got] = rest[:got]
        self.spare = rest[length:]
        view = memoryview(body)
        while got < length:
            k = await loop.sock_recv_into(self.sock, view[got:])
            if k == 0:
                raise ConnectionError("connection closed by the server")
            got += k
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return status, body

    async def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None
        self.spare = b""


async def _run_size(url: str, token: str, dataset: str, n: int, clients: int, requests: int, max_seconds: float) -> dict:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = f"{parts.path.rstrip('/')}/datasets/{dataset}/sample?n={n}&seed=42"
    headers = {"Authorization": f"Bearer {token}", "Accept": ARROW}
    warm = _Connection(host, port, headers)
    status, expected = await warm.get(target)
    await warm.close()
    if status != 200:
        raise SystemExit(f"api_load: warm-up request failed: HTTP {status} {expected[:200]!r}")
    latencies: list[float] = []
    errors: dict[str, int] = {}
    issued = 0
    deadline = time.monotonic() + max_seconds

    def count(kind: str) -> None:
        errors[kind] = errors.get(kind, 0) + 1

    async def client() -> None:
        nonlocal issued
        conn = _Connection(host, port, headers)
        try:
            while issued < requests and time.monotonic() < deadline:
                issued += 1
                t0 = time.perf_counter()
                try:
                    status, body = await conn.get(target)
                except (OSError, ConnectionError, ValueError, IndexError) as exc:
                    count(type(exc).__name__)
                    await conn.close()
                    continue
                latencies.append(time.perf_counter() - t0)
                if status != 200:
                    count(f"HTTP {status}")
                elif body != expected:
                    count("different body")
        finally:
            await conn.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    wall = time.perf_counter() - t0
    ms = sorted(x * 1e3 for x in latencies)
    out = {
        "n": n,
        "clients": clients,
        "requests": issued,
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "body_bytes": len(expected),
        "seconds": wall,
        "requests_per_s": len(latencies) / wall if wall > 0 else float("nan"),
        "p50_ms": percentile(ms, 50),
        "p90_ms": percentile(ms, 90),
        "p99_ms": percentile(ms, 99),
        "max_ms": ms[-1] if ms else float("nan"),
    }
    if n in TARGET_P99_MS:
        out["target_p99_ms"] = TARGET_P99_MS[n]
        out["meets_target"] = out["p99_ms"] < TARGET_P99_MS[n]
    return out


class OwnService:
    """``livecalc serve`` on 127.0.0.1 over a synthetic portfolio, in a temporary folder."""

    def __init__(self, policies: int):
        self.policies = policies
        self.tmp = tempfile.TemporaryDirectory(prefix="livecalc-api-load-")
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> tuple[str, str, str]:
        sys.path.insert(0, str(ROOT))
        from livecalc_lab.api.auth import mint_token
        from livecalc_lab.data.synthetic import synthetic_portfolio

        folder = Path(self.tmp.name)
        data = synthetic_portfolio(self.policies, 1, folder / "book.parquet")
        (folder / "service.toml").write_text(f'[datasets.book]\nuri = "{data}"\ntitle = "load test"\n')
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        secret = secrets.token_urlsafe(48)
        env = dict(os.environ, LIVECALC_JWT_SECRET=secret, LIVECALC_CACHE_DIR=str(folder / "cache"),
                   PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        self.log = open(folder / "service.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "livecalc_lab.cli", "serve", "--config", str(folder / "service.toml"),
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"api_load: the service exited:\n{(folder / 'service.log').read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("api_load: the service did not start within 60 s")
        return url, mint_token(["datasets:read"], secret=secret, lifetime_seconds=3600), "book"

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        self.tmp.cleanup()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="an existing service on loopback (default: start one)")
    ap.add_argument("--token", help="bearer token for --url (default: $LIVECALC_TOKEN)")
    ap.add_argument("--dataset", default="book", help="dataset id (default: book, the own service's)")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--requests", type=int, default=4_000, help="requests per size (default 4,000)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000], help="sample sizes n")
    ap.add_argument("--max-seconds", type=float, default=120.0, help="time limit per size")
    ap.add_argument("--policies", type=int, default=POLICIES, help="rows of the own service's portfolio")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    if args.clients < 1 or args.requests < 1:
        raise SystemExit("api_load: --clients and --requests must be positive")

    def run(url: str, token: str, dataset: str) -> list[dict]:
        _loopback_only(url)
        return [asyncio.run(_run_size(url, token, dataset, n, args.clients, args.requests, args.max_seconds))
                for n in args.sizes]

    if args.url:
        token = args.token or os.environ.get("LIVECALC_TOKEN")
        if not token:
            raise SystemExit("api_load: --url needs --token (or LIVECALC_TOKEN)")
        results = run(args.url.rstrip("/"), token, args.dataset)
        where = args.url
    else:
        with OwnService(args.policies) as (url, token, dataset):
            results = run(url, token, dataset)
        where = f"own service, {args.policies:,}-policy Parquet"
    if args.json:
        print(json.dumps({"service": where, "results": results}))
    else:
        print(f"Data API load test — {where}; cached GET /datasets/{{id}}/sample as Arrow, loopback")
        print(f"{'n':>7} {'clients':>7} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} "
              f"{'p99 ms':>8} {'max ms':>8}  target")
        for r in results:
            target = ""
            if "target_p99_ms" in r:
                target = f"p99 < {r['target_p99_ms']:.0f} ms: {'PASS' if r['meets_target'] else 'MISS'}"
            print(f"{r['n']:>7,} {r['clients']:>7} {r['requests']:>8,} {r['errors']:>6} {r['requests_per_s']:>8.0f} "
                  f"{r['p50_ms']:>8.2f} {r['p90_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['max_ms']:>8.2f}  {target}")
            if r["errors"]:
                print(f"        errors: {r['error_kinds']}")
    return 1 if any(r["errors"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
