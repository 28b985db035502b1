"""Shared test configuration. This folder is on sys.path, so tests import helpers such as ``bad_corpus``.

Fixtures shared by several test folders: a private data cache for every test, and a real Azurite
blob service on 127.0.0.1 (``azurite``, ``blob_env``, ``container``), skipped with the reason only
when Azurite cannot be started at all.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

from _servers import azurite_binary, azurite_connection_string, free_port, stop_group, wait_for_port


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own metadata cache (nothing is written to ~/.cache) and an empty sample cache."""
    from livecalc_lab.data import _cache

    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("LIVECALC_CACHE_DIR", str(folder))
    _cache._MEMO.clear()
    _cache._SAMPLES = None  # made again, from $LIVECALC_SAMPLE_CACHE_BYTES, on first use
    return folder


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running Azurite blob service; yields its connection string."""
    exe = azurite_binary()
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
        if not wait_for_port(port, proc, 30):
            pytest.skip(f"Azurite did not start: {log.read_text(errors='replace')[-500:]}")
        yield azurite_connection_string(port)
    finally:
        stop_group(proc)


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
