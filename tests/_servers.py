"""Helpers for tests that run real servers on 127.0.0.1: free ports, readiness, Azurite.

Azurite comes from ``node_modules/.bin/azurite-blob`` (``npm install azurite@3.35``, run by
``scripts/install-test-deps.sh`` from the README's test command). The fixtures built on these
helpers live in ``tests/conftest.py`` (Azurite) and ``tests/data/conftest.py`` (PostgreSQL);
``notebooks/conftest.py`` starts Azurite for the notebooks with :func:`start_azurite`.
Chromium for browser tests: ``tests/_browser.py``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Azurite's well-known development account (public, documented by Microsoft; not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


class ServerUnavailable(RuntimeError):
    """A server the tests need is not installed or did not start (the message says which and why)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen[Any], seconds: float) -> bool:
    """True once 127.0.0.1:``port`` accepts connections; False if ``proc`` exits or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def stop_group(proc: subprocess.Popen[Any], seconds: float = 10) -> None:
    """SIGTERM the process group of ``proc`` (started with ``start_new_session=True``), then SIGKILL."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(seconds)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def azurite_binary() -> str | None:
    local = ROOT / "node_modules" / ".bin" / "azurite-blob"
    return str(local) if local.exists() else shutil.which("azurite-blob")


def azurite_connection_string(port: int) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};"
    )


def start_azurite(log: Path, seconds: float = 30) -> tuple[subprocess.Popen[Any], str]:
    """Start Azurite's blob service in memory on a free port of 127.0.0.1.

    Returns ``(process, connection string)``; stop it with :func:`stop_group`. Its output goes to ``log``.

    Raises
    ------
    ServerUnavailable
        Azurite is not installed, or did not accept connections within ``seconds`` (with the log's tail).
    """
    exe = azurite_binary()
    if exe is None:
        raise ServerUnavailable("Azurite is not installed (npm install azurite@3.35; the README's test command "
                                "does it)")
    port = free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [exe, "--blobHost", "127.0.0.1", "--blobPort", str(port), "--inMemoryPersistence",
             "--skipApiVersionCheck", "--loose", "--disableTelemetry", "--silent"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    if not wait_for_port(port, proc, seconds):
        stop_group(proc)
        raise ServerUnavailable(f"Azurite did not start: {log.read_text(errors='replace')[-500:]}")
    return proc, azurite_connection_string(port)
