"""Fixtures of the JupyterLab tests: pytest-jupyter's in-process Jupyter server with the LiveCalc extension.

``jp_fetch``, ``jp_serverapp``, ``http_server_client`` and friends come from the
``pytest_jupyter.jupyter_server`` plugin (the ``pytest-jupyter[server]`` package of
the ``test`` extra). It is registered for the tests of this folder only, by importing
its fixtures and hooks into this conftest: pytest refuses ``pytest_plugins`` outside
the top-level conftest, and there the plugin's autouse fixtures (a private HOME and
Jupyter paths, an event loop per test) would reach every test of the suite.

The session fixtures that build the TypeScript once (``node_modules``, ``labextension_prefix``)
live in ``tests/conftest.py``: the workbench's browser test loads the built extension too.
"""

from __future__ import annotations

import pytest

from pytest_jupyter.jupyter_server import *  # noqa: F403 - fixtures and hooks, for this folder


@pytest.fixture
def jp_server_config() -> dict:
    """Enable the server extension as its installed config file does."""
    return {"ServerApp": {"jpserver_extensions": {"livecalc_lab": True}}}
