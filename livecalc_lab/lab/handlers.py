"""The routes of the LiveCalc server extension, under ``<base_url>/livecalc/api/``.

=======  ==================================  ================================================
GET      ``datasets``                        the dataset catalog (``livecalc_lab.catalog``)
GET      ``datasets/{id}/metadata``          rows, bytes, columns, version, recommendation
GET      ``jobs``                            every job on record, newest first
GET      ``jobs/{id}``                       one job
POST     ``jobs/{id}/cancel``                cancel a job; answers with its summary
=======  ==================================  ================================================

Ids are single path segments: a catalog id holding ``/`` or ``:`` is sent
URL-encoded (``file%3A%2Fdata%2Fbook.csv``). Every route needs an authenticated
Jupyter user (the server's token or login; without one the answer is 403) and
the server's authorizer's ``read`` (GET) or ``write`` (POST) permission on the
resource ``livecalc``.

Answers are JSON. A :class:`~livecalc_lab.errors.LivecalcError` becomes
``{"message": ...}`` with status 404 when the id names nothing (an unknown
dataset or job) and 400 for any other refusal (a malformed configuration file,
a dataset that cannot be read); a bug is a 500 without a traceback. The work
itself (reading configuration, job records, a big CSV's metadata) runs in a
thread of the event loop's executor, so the server keeps serving meanwhile.
"""

from __future__ import annotations

import asyncio
import functools
import json
from typing import Any, Callable

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from livecalc_lab.errors import DataError, JobError, LivecalcError
from livecalc_lab.lab import payloads

__all__ = ["API_PREFIX", "ROUTES", "setup_handlers"]

API_PREFIX = "livecalc/api"
_SEGMENT = r"(?P<ident>[^/]+)"


class _NotFound(LivecalcError):
    """An id that names nothing: answered with 404."""


class LivecalcHandler(APIHandler):
    """Base of the LiveCalc routes: JSON answers, errors as ``{"message": ...}``, work off the event loop."""

    auth_resource = "livecalc"

    def _send(self, payload: dict[str, Any], status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(payload))

    async def _offload(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, functools.partial(fn, *args))

    async def _answer(self, lookup: Callable[[], Any] | None, work: Callable[..., dict[str, Any]]) -> None:
        """Run ``lookup`` (an unknown id there is a 404), then ``work(found)`` (a LivecalcError is a 400)."""
        try:
            found = await self._offload(_lookup, lookup) if lookup is not None else None
            payload = await self._offload(work, found) if lookup is not None else await self._offload(work)
        except _NotFound as exc:
            self._send({"message": str(exc)}, 404)
            return
        except LivecalcError as exc:
            self.log.info("livecalc: %s %s refused: %s", self.request.method, self.request.path, exc)
            self._send({"message": str(exc)}, 400)
            return
        self._send(payload)


def _lookup(find: Callable[[], Any]) -> Any:
    try:
        return find()
    except (DataError, JobError) as exc:  # the catalog or the job store has no such id
        raise _NotFound(str(exc)) from None


class DatasetsHandler(LivecalcHandler):
    """``GET datasets``: the catalog."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self._answer(None, payloads.datasets_payload)


class MetadataHandler(LivecalcHandler):
    """``GET datasets/{id}/metadata``."""

    @web.authenticated
    @authorized
    async def get(self, ident: str) -> None:
        await self._answer(functools.partial(payloads.find_entry, ident), payloads.metadata_payload)


class JobsHandler(LivecalcHandler):
    """``GET jobs``: every job on record, newest first."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self._answer(None, payloads.jobs_payload)


class JobHandler(LivecalcHandler):
    """``GET jobs/{id}``."""

    @web.authenticated
    @authorized
    async def get(self, ident: str) -> None:
        await self._answer(functools.partial(payloads.find_job, ident), payloads.job_summary)


class CancelHandler(LivecalcHandler):
    """``POST jobs/{id}/cancel``."""

    @web.authenticated
    @authorized
    async def post(self, ident: str) -> None:
        await self._answer(functools.partial(payloads.find_job, ident), payloads.cancel_job)


class UnknownRouteHandler(LivecalcHandler):
    """Any other path under the prefix: a JSON 404 (still only for an authenticated user)."""

    @web.authenticated
    @authorized
    def get(self, rest: str) -> None:
        self._send({"message": f"no LiveCalc route {API_PREFIX}/{rest}"}, 404)

    post = get


ROUTES: list[tuple[str, type[LivecalcHandler]]] = [
    ("datasets", DatasetsHandler),
    (f"datasets/{_SEGMENT}/metadata", MetadataHandler),
    ("jobs", JobsHandler),
    (f"jobs/{_SEGMENT}", JobHandler),
    (f"jobs/{_SEGMENT}/cancel", CancelHandler),
    ("(?P<rest>.*)", UnknownRouteHandler),
]
"""Route patterns below the prefix, with their handlers (the catch-all last)."""


def setup_handlers(web_app: Any) -> None:
    """Add the LiveCalc routes to a Jupyter server's tornado application."""
    base = web_app.settings.get("base_url", "/")
    web_app.add_handlers(".*$", [(url_path_join(base, API_PREFIX, pattern) + "$", handler) for pattern, handler in ROUTES])
