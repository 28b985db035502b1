"""Fixtures of the assumption-set tests: a private LIVECALC_HOME for every test, and a real assumptions service.

The service is ``livecalc serve`` in a subprocess on 127.0.0.1 with an ``[assumptions_store]`` folder
and no dataset (an assumptions-only service), accepting HS256 tokens signed with a test secret.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Iterator

import pytest
from _servers import start_livecalc_service, stop_group
from store_support import ServiceHandle


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own $LIVECALC_HOME (its default store is $LIVECALC_HOME/assumptions)."""
    monkeypatch.setenv("LIVECALC_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LIVECALC_TOKEN", raising=False)
    return tmp_path / "home"


@pytest.fixture(scope="session")
def assumption_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceHandle]:
    """An assumptions-only service whose store is the folder ``store`` beside its configuration."""
    folder = tmp_path_factory.mktemp("assumption-service")
    secret = secrets.token_urlsafe(48)
    proc, url, _ = start_livecalc_service(folder, '[assumptions_store]\nuri = "store"\n', secret, None, 60)
    try:
        yield ServiceHandle(url, secret, folder / "store")
    finally:
        stop_group(proc)
