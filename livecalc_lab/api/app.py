"""The Data API application: :func:`create_app` builds it from a configuration, :func:`serve` runs it.

``[api]`` keys of the configuration file (all optional)::

    [api]
    max_sample = 100000          # largest n of /datasets/{id}/sample
    sample_ttl_seconds = 300     # how long a sample (and a validation report) is kept
    cache_bytes = 268435456      # memory for cached answers (least recently used dropped first)
    max_body_bytes = 16777216    # largest request body (POST .../validate)
    default_assumptions = "demo" # assumption set a validation uses when the request names none
    allow_self_approval = false  # may the author of an assumption-set version approve it?

and ``[api.auth]`` (see :mod:`livecalc_lab.api.auth`). The assumptions endpoints
(:mod:`livecalc_lab.api.assumptions`) keep their versions in the store named by
``[assumptions_store] uri`` (:mod:`livecalc_lab.assumptions.store`). Every route but
``/healthz`` and ``/openapi.json`` needs a bearer token; the token is checked
before anything else about the request, so an unauthenticated caller learns
nothing about routes, datasets or bodies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from livecalc_lab._version import __version__
from livecalc_lab.api.auth import AuthSettings, TokenVerifier
from livecalc_lab.api.cache import ResponseCache
from livecalc_lab.api.registry import Registry
from livecalc_lab.config import Config, demo_config
from livecalc_lab.errors import AuthError, ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from fastapi import FastAPI

__all__ = ["ServiceSettings", "ServiceState", "create_app", "serve", "PUBLIC_PATHS"]

PUBLIC_PATHS = frozenset({"/healthz", "/openapi.json"})
_API_KEYS = {"max_sample", "sample_ttl_seconds", "cache_bytes", "max_body_bytes", "default_assumptions", "auth",
             "allow_self_approval"}
_SHOWN_INPUT = 24


@dataclass(frozen=True)
class ServiceSettings:
    """The ``[api]`` table (see the module docstring)."""

    max_sample: int = 100_000
    sample_ttl_seconds: float = 300.0
    cache_bytes: int = 256 << 20
    max_body_bytes: int = 16 << 20
    default_assumptions: str = "demo"
    allow_self_approval: bool = False

    @classmethod
    def from_config(cls, config: Config) -> "ServiceSettings":
        """Settings from ``config``'s ``[api]`` table.

        Raises
        ------
        ConfigError
            An unknown key or a value out of range.
        """
        table = config.section("api")
        where = f"{config.path or '<config>'} [api]"
        unknown = sorted(set(table) - _API_KEYS)
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_API_KEYS))}")
        out: dict[str, Any] = {}
        for key, lo, hi in (("max_sample", 1, 10_000_000), ("cache_bytes", 0, 1 << 40), ("max_body_bytes", 1024, 1 << 30)):
            if key in table:
                v = table[key]
                if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                    raise ConfigError(f"{where}: {key} must be an integer from {lo:,} to {hi:,}")
                out[key] = v
        if "sample_ttl_seconds" in table:
            v = table["sample_ttl_seconds"]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 86_400:
                raise ConfigError(f"{where}: sample_ttl_seconds must be a number of seconds from 0 to 86,400")
            out["sample_ttl_seconds"] = float(v)
        if "default_assumptions" in table:
            v = table["default_assumptions"]
            if not isinstance(v, str) or (v != "demo" and v not in config.assumptions):
                raise ConfigError(f"{where}: default_assumptions must name a set in [assumptions] (or demo)")
            out["default_assumptions"] = v
        if "allow_self_approval" in table:
            if not isinstance(table["allow_self_approval"], bool):
                raise ConfigError(f"{where}: allow_self_approval must be true or false")
            out["allow_self_approval"] = table["allow_self_approval"]
        return cls(**out)


@dataclass
class ServiceState:
    """Everything a request handler uses: settings, token verifier, registry, cache and assumption store."""

    config: Config
    settings: ServiceSettings
    verifier: TokenVerifier
    registry: Registry
    cache: ResponseCache
    assumption_store: Any = None


def create_app(config: Config | None = None, *, environ: Any = None) -> "FastAPI":
    """The Data API as a FastAPI application.

    Parameters
    ----------
    config : Config, optional
        Registered datasets, assumption sets and ``[api]`` settings. Default:
        :func:`livecalc_lab.config.demo_config` (the bundled portfolio as ``demo``).
    environ : mapping, optional
        Where the HS256 secret is read (default ``os.environ``).

    Returns
    -------
    fastapi.FastAPI

    Raises
    ------
    ConfigError
        The service cannot start as configured: no JWT secret or key, a bad
        ``[api]`` or ``[assumptions_store]`` value, or neither a dataset nor an
        assumption store configured.
    """
    from fastapi import FastAPI
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from livecalc_lab.api.assumptions import build_assumptions_router
    from livecalc_lab.api.routes import build_router
    from livecalc_lab.assumptions.store import Store, store_settings

    config = config if config is not None else demo_config()
    if not config.datasets and not config.section("assumptions_store"):
        raise ConfigError(f"{config.path or '<config>'}: no dataset is registered; add a [datasets.<id>] table "
                          "(or an [assumptions_store] to serve assumption sets only)")
    settings = ServiceSettings.from_config(config)
    state = ServiceState(
        config=config,
        settings=settings,
        verifier=TokenVerifier(AuthSettings.from_config(config), environ),
        registry=Registry(config),
        cache=ResponseCache(settings.cache_bytes, settings.sample_ttl_seconds),
        assumption_store=Store(store_settings(config).uri, allow_self_approval=settings.allow_self_approval),
    )
    app = FastAPI(
        title="LiveCalc Data API",
        version=__version__,
        description=(
            "Metadata, schema, reproducible samples and validation of registered policy datasets, "
            "without downloading them; and versioned, immutable, reviewed assumption sets. Send "
            "`Authorization: Bearer <JWT>`; ask for `Accept: application/vnd.apache.arrow.stream` to get "
            "samples and assumption sets as Arrow IPC."
        ),
        docs_url=None,
        redoc_url=None,
        max_body_size=settings.max_body_bytes,
    )
    app.state.livecalc = state
    app.add_middleware(_TokenGate, verifier=state.verifier)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.include_router(build_router(state))
    app.include_router(build_assumptions_router(state))
    return app


def serve(config_path: str | None = None, *, host: str = "127.0.0.1", port: int = 8765, log_level: str = "info") -> None:
    """Run the service with uvicorn until interrupted (what ``livecalc serve`` does).

    Raises
    ------
    ConfigError
        The configuration cannot be read or the service cannot start as configured.
    """
    from livecalc_lab._optional import require

    uvicorn = require("uvicorn", "api", "The Data API service")
    require("fastapi", "api", "The Data API service")
    from livecalc_lab.config import load_config

    config = load_config(config_path) if config_path is not None else None
    app = create_app(config)
    uvicorn.run(app, host=host, port=port, log_level=log_level, server_header=False, proxy_headers=False,
                timeout_graceful_shutdown=5)


# ---- token gate and error bodies ------------------------------------------------------------


class _TokenGate:
    """ASGI middleware: a valid bearer token, before routing, body parsing or anything else."""

    def __init__(self, app: Any, verifier: TokenVerifier):
        self.app = app
        self.verifier = verifier

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        from starlette.datastructures import Headers
        from starlette.responses import JSONResponse

        try:
            principal = self.verifier.verify(Headers(scope=scope).get("authorization"))
        except AuthError as exc:
            response = JSONResponse(
                {"detail": str(exc)}, status_code=401, headers={"WWW-Authenticate": 'Bearer realm="livecalc"'}
            )
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


async def _http_error(request: Any, exc: Any) -> Any:
    from starlette.responses import JSONResponse

    detail = exc.detail if isinstance(exc.detail, str) else "request not accepted"
    return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def _validation_error(request: Any, exc: Any) -> Any:
    """422 with one readable line per problem; inputs are quoted only when short (never a body or a header)."""
    from starlette.responses import JSONResponse

    items = []
    for err in exc.errors():
        loc = [str(x) if not isinstance(x, int) else x for x in err.get("loc", ())]
        message = str(err.get("msg", "invalid value"))
        ctx = err.get("ctx") or {}
        if err.get("type") == "less_than_equal" and loc[:2] == ["query", "n"]:
            message = f"n must be at most {ctx.get('le'):,} (this service's sample limit)"
        value = err.get("input")
        if loc and loc[0] == "query" and isinstance(value, (str, int)) and len(str(value)) <= _SHOWN_INPUT:
            message += f"; got {json.dumps(value)}"
        items.append({"loc": loc, "message": message})
    first = items[0] if items else {"loc": [], "message": "invalid request"}
    loc = [str(x) for x in first["loc"]]
    where = f"{loc[0]} {'.'.join(loc[1:])}" if len(loc) > 1 else (loc[0] if loc else "request")
    return JSONResponse({"detail": f"{where}: {first['message']}", "errors": items}, status_code=422)
