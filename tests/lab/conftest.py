"""Fixtures of the JupyterLab tests: pytest-jupyter's in-process Jupyter server with the LiveCalc extension.

``jp_fetch``, ``jp_serverapp``, ``http_server_client`` and friends come from the
``pytest_jupyter.jupyter_server`` plugin (the ``pytest-jupyter[server]`` package of
the ``test`` extra). It is registered for the tests of this folder only, by importing
its fixtures and hooks into this conftest: pytest refuses ``pytest_plugins`` outside
the top-level conftest, and there the plugin's autouse fixtures (a private HOME and
Jupyter paths, an event loop per test) would reach every test of the suite.

Session fixtures build the TypeScript once: ``node_modules`` and ``labextension_prefix``
(see ``tests/_jupyter.py``); they skip, saying why, only when node or npm is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from _jupyter import build_labextension, ensure_node_modules, node_missing

from pytest_jupyter.jupyter_server import *  # noqa: F403 - fixtures and hooks, for this folder


@pytest.fixture
def jp_server_config() -> dict:
    """Enable the server extension as its installed config file does."""
    return {"ServerApp": {"jpserver_extensions": {"livecalc_lab": True}}}


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """``labextension/node_modules`` (``npm ci`` when absent); skips only without node/npm, saying why."""
    reason = node_missing()
    if reason:
        pytest.skip(reason)
    return ensure_node_modules()


@pytest.fixture(scope="session")
def labextension_prefix(node_modules: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The labextension built once per session from a copy of its sources, installed under a prefix as the wheel does."""
    return build_labextension(tmp_path_factory.mktemp("labext"))
