"""The Data API: registered datasets' metadata, schema, samples and validation over HTTP, with JWT auth.

Serve it with ``livecalc serve --config datasets.toml`` (FastAPI on uvicorn);
read from it with ``lc.open_dataset("livecalc+https://host/datasets/<id>", token=...)``
or :class:`DataApiClient`. Modules: :mod:`~.app` (application factory,
settings, token gate), :mod:`~.auth` (JWT checks, scopes, ``livecalc token``),
:mod:`~.routes`, :mod:`~.models` (HTTP bodies), :mod:`~.registry` (what may be
opened), :mod:`~.cache`, :mod:`~.client`.

Importing this package is cheap: FastAPI, uvicorn and PyJWT are imported by
the modules that need them (extra ``livecalc-lab[api]``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["DataApiClient", "RemoteDataset", "create_app", "mint_token", "serve"]

_LAZY = {
    "DataApiClient": "livecalc_lab.api.client",
    "RemoteDataset": "livecalc_lab.api.client",
    "create_app": "livecalc_lab.api.app",
    "serve": "livecalc_lab.api.app",
    "mint_token": "livecalc_lab.api.auth",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'livecalc_lab.api' has no attribute {name!r}")
