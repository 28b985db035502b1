"""Shared test configuration and servers: real Azurite and PostgreSQL on 127.0.0.1, a private metadata cache.

This folder is on sys.path, so tests import helpers such as ``bad_corpus``.

Azurite comes from ``node_modules/.bin/azurite-blob`` (``npm install azurite@3.35``, run by the
README's test command); PostgreSQL from Debian's package (``/usr/lib/postgresql/*/bin``), run as
the ``postgres`` user when the tests run as root (``initdb`` refuses root). A test that needs a
server is skipped, with the reason, only when the server cannot be started at all.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Azurite's well-known development account (public, documented by Microsoft; not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own metadata cache (nothing is written to ~/.cache)."""
    from livecalc_lab.data import _cache

    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("LIVECALC_CACHE_DIR", str(folder))
    _cache._MEMO.clear()
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen[Any], seconds: float) -> bool:
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


# ---- Azurite ---------------------------------------------------------------------------------


def _azurite_binary() -> str | None:
    local = ROOT / "node_modules" / ".bin" / "azurite-blob"
    return str(local) if local.exists() else shutil.which("azurite-blob")


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running Azurite blob service; yields its connection string."""
    exe = _azurite_binary()
    if exe is None:
        pytest.skip("Azurite is not installed (npm install azurite@3.35; the README's test command does it)")
    port = free_port()
    log = tmp_path_factory.mktemp("azurite") / "azurite.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [exe, "--blobHost", "127.0.0.1", "--blobPort", str(port), "--inMemoryPersistence",
             "--skipApiVersionCheck", "--loose", "--disableTelemetry", "--silent"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        if not _wait_for_port(port, proc, 30):
            pytest.skip(f"Azurite did not start: {log.read_text(errors='replace')[-500:]}")
        yield (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};"
        )
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture
def blob_env(azurite: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """AZURE_STORAGE_CONNECTION_STRING pointing at Azurite, for this test."""
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite)
    return azurite


@pytest.fixture
def container(blob_env: str) -> Iterator[Any]:
    """A fresh, empty container (a ContainerClient); deleted afterwards."""
    from azure.storage.blob import BlobServiceClient

    with BlobServiceClient.from_connection_string(blob_env) as service:
        client = service.create_container(f"t{uuid.uuid4().hex[:20]}")
        try:
            yield client
        finally:
            client.delete_container()


# ---- PostgreSQL --------------------------------------------------------------------------------


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A running PostgreSQL server on 127.0.0.1; yields a URI of an empty database."""
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql; the README's test command does it)")
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    folder = tempfile.mkdtemp(prefix="livecalc-pg-")  # under /tmp, so the postgres user can reach it
    data = os.path.join(folder, "data")
    if as_root:
        shutil.chown(folder, "postgres")
    init = subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
         "--locale=C", "--no-sync"],
        capture_output=True, text=True,
    )
    if init.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"initdb failed: {init.stderr.strip()[-500:]}")
    # Password logins for the role ``actuary`` (to test credentials); trust for the rest on loopback.
    Path(data, "pg_hba.conf").write_text(
        "local all all trust\nhost all actuary 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 trust\n"
    )
    port = free_port()
    log = open(os.path.join(folder, "server.log"), "wb")
    proc = subprocess.Popen(
        [*prefix, str(bindir / "postgres"), "-D", data, "-p", str(port), "-k", folder,
         "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        if not _wait_for_port(port, proc, 30):
            pytest.skip(f"postgres did not start: {Path(folder, 'server.log').read_text(errors='replace')[-500:]}")
        uri = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        _wait_for_sql(uri)
        yield uri
    finally:
        pid_file = Path(data, "postmaster.pid")
        if pid_file.exists():  # signal the server itself (runuser does not forward signals)
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for_sql(uri: str) -> None:
    import adbc_driver_postgresql.dbapi as pg

    deadline = time.monotonic() + 20
    while True:
        try:
            with pg.connect(uri):
                return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
