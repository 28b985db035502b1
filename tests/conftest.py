"""Shared test configuration. This folder is on sys.path, so tests import helpers such as ``bad_corpus``.

Fixtures shared by several test folders: a private data cache for every test, a real Azurite
blob service on 127.0.0.1 (``azurite``, ``blob_env``, ``container``), skipped with the reason only
when Azurite cannot be started at all, and the JupyterLab extension built once per session
(``node_modules``, ``labextension_prefix``: ``tests/lab`` and the workbench's browser test),
skipped with the reason only when node or npm is missing.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import settings

from _jupyter import build_labextension, ensure_node_modules, node_missing
from _servers import ServerUnavailable, start_azurite, stop_group


# No time limit per hypothesis example: these machines are shared, and speed is the benchmarks' business.
settings.register_profile("livecalc", deadline=None)
settings.load_profile("livecalc")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private ``$LIVECALC_HOME`` (job records, partials, saved assumption sets, config) for one test.

    Folders whose every test needs one make it autouse in their conftest.
    """
    monkeypatch.setenv("LIVECALC_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


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
    try:
        proc, connection_string = start_azurite(tmp_path_factory.mktemp("azurite") / "azurite.log")
    except ServerUnavailable as exc:
        pytest.skip(str(exc))
    try:
        yield connection_string
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


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """``labextension/node_modules`` (``npm install`` when absent); skips only without node/npm, saying why."""
    reason = node_missing()
    if reason:
        pytest.skip(reason)
    return ensure_node_modules()


@pytest.fixture(scope="session")
def labextension_prefix(node_modules: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The labextension built once per session from a copy of its sources, installed under a prefix as the wheel
    does; pass :func:`_jupyter.extension_env` of it to a ``JupyterServer`` to load it."""
    return build_labextension(tmp_path_factory.mktemp("labext"))
