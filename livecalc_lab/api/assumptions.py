"""The assumptions endpoints: versioned, immutable, reviewed assumption sets, in the Data API's app and auth.

The service keeps a :class:`~livecalc_lab.assumptions.Store` (``[assumptions_store]
uri`` of its configuration: a folder, relative to the file, or
``azure://container/prefix``; default ``$LIVECALC_HOME/assumptions``)::

    GET  /assumptions                              the sets this token may read
    GET  /assumptions/{name}/versions              every version, oldest first, with status
    GET  /assumptions/{name}/audit                 who did what, when
    GET  /assumptions/{name}/{version}             manifest + tables, as JSON or Arrow IPC
    GET  /assumptions/{name}/{version}/info        the version's metadata only
    POST /assumptions/{name}                       save a new draft (201; 200 if the content is there already)
    PUT  /assumptions/{name}/{version}             store a version at its content address (409 if it exists)
    POST /assumptions/{name}/{version}/approve     (and /reject) review a draft, once

``{version}`` is ``sha256:<hex>``, its bare hex, a unique prefix of at least 7 hex
digits, ``latest`` (most recently approved) or ``draft`` (most recently saved
draft); PUT needs the full hash and reviews need a hash or prefix.

**Scopes.** Reading needs ``assumptions:read`` (``assumptions:write`` and
``assumptions:approve`` also grant it); saving needs ``assumptions:write``;
reviewing needs ``assumptions:approve``. Each has a per-set form,
``assumptions:<name>:read`` etc. A token without the scope for a set gets 403
whether or not the set exists. Writes are recorded under the token's subject
(a token without ``sub`` cannot write), and an author cannot approve their own
version unless ``[api] allow_self_approval = true``.

**Bodies** are checked table by table and cell by cell as files are
(:func:`~livecalc_lab.assumptions.assumption_set.parse_table`): shapes, numbers,
ranges (probabilities in [0, 1]), consecutive ages and years, select rates that
do not decrease with the policy year; a 422 names the table, data row, column
and value.
"""

# No "from __future__ import annotations": FastAPI reads the route signatures.
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, Callable, Iterator

from fastapi import APIRouter, HTTPException, Path, Security
from fastapi.responses import JSONResponse, Response
from starlette.requests import Request

from livecalc_lab.api.assumption_models import (
    AuditBody,
    ReviewRequest,
    ReviewResult,
    SaveRequest,
    SaveResult,
    SetBody,
    SetList,
    VersionBody,
    VersionList,
)
from livecalc_lab.api.auth import Principal
from livecalc_lab.api.models import ARROW_STREAM, ErrorBody
from livecalc_lab.api.routes import _arrow_or_json, principal, wants_arrow
from livecalc_lab.assumptions.refs import NAME, AssumptionRef, normal_version
from livecalc_lab.assumptions.store import VersionConflict, VersionInfo, VersionNotFound
from livecalc_lab.errors import AssumptionError, AuthError, LivecalcError

if TYPE_CHECKING:  # pragma: no cover
    from livecalc_lab.api.app import ServiceState

__all__ = ["build_assumptions_router", "SCOPE_ACTIONS"]

SCOPE_ACTIONS = ("read", "write", "approve")
_WHY = {
    400: "the body cannot be read",
    401: "no valid bearer token",
    403: "the token lacks the scope this needs, or may not approve its own version",
    404: "no such assumption set or version (or no approved version for latest, no draft for draft)",
    409: "versions are immutable: the version exists already, or was reviewed already",
    413: "request body too large",
    422: "a parameter or the body is not valid (the message names table, row, column and value)",
    503: "the store cannot be read just now",
}
_SELECTOR = r"^(latest|draft|(sha256:)?[0-9a-f]{7,64})$"


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {c: {"model": ErrorBody, "description": _WHY[c]} for c in codes}


def _body(info: VersionInfo) -> dict[str, Any]:
    """A version's metadata as sent (camelCase)."""
    return VersionBody(**info.to_dict()).model_dump(by_alias=True)


def build_assumptions_router(state: "ServiceState") -> APIRouter:
    """The assumptions routes, bound to ``state.assumption_store`` and ``state.settings``."""
    from livecalc_lab.assumptions.serial import set_arrow, set_from_json, table_json

    router = APIRouter(tags=["assumptions"])
    store = state.assumption_store
    Name = Annotated[str, Path(pattern=NAME.pattern, description="an assumption-set name", examples=["demo"])]
    Selector = Annotated[str, Path(pattern=_SELECTOR, description="sha256:<hex>, a hex prefix (>= 7), latest or draft",
                                   examples=["latest"])]
    Exact = Annotated[str, Path(pattern=r"^(sha256:)?[0-9a-f]{64}$", description="the full content hash")]
    Reviewed = Annotated[str, Path(pattern=r"^(sha256:)?[0-9a-f]{7,64}$",
                                   description="sha256:<hex> or a unique prefix of at least 7 hex digits")]
    Caller = Annotated[Principal, Security(principal)]

    def may(caller: Principal, name: str, action: str) -> bool:
        granting = SCOPE_ACTIONS if action == "read" else (action,)
        return any(s in caller.scopes for a in granting for s in (f"assumptions:{a}", f"assumptions:{name}:{a}"))

    def need(caller: Principal, name: str, action: str) -> None:
        if not may(caller, name, action):
            raise HTTPException(403, f"this token does not grant {action} access to assumption set '{name}' "
                                     f"(scopes: assumptions:{action} or assumptions:{name}:{action})")
        if action != "read" and not caller.subject:
            raise HTTPException(403, "this token has no subject (sub): writes and reviews are recorded under it")

    def fail(exc: LivecalcError) -> HTTPException:
        text = str(exc).replace(store.uri, "the service's store")
        if isinstance(exc, VersionNotFound):
            return HTTPException(404, text)
        if isinstance(exc, VersionConflict):
            return HTTPException(409, text)
        if isinstance(exc, AuthError):
            return HTTPException(exc.status, text)
        if isinstance(exc, AssumptionError):
            return HTTPException(422, text)
        return HTTPException(503, text)

    @contextmanager
    def answered() -> Iterator[None]:
        """Errors of the store as HTTP answers (see :func:`fail`)."""
        try:
            yield
        except LivecalcError as exc:
            raise fail(exc) from None

    def find(name: str, selector: str) -> VersionInfo:
        with answered():
            return store.resolve(AssumptionRef(name, selector if selector in ("latest", "draft")
                                               else normal_version(selector)))

    def listing(caller: Principal, name: str, read: Callable[[str], list[Any]]) -> list[dict[str, Any]]:
        """``read(name)`` as dicts, for a caller who may read ``name``; 404 when there is nothing."""
        need(caller, name, "read")
        with answered():
            items = read(name)
        if not items:
            raise HTTPException(404, f"no assumption set named '{name}'")
        return [x.to_dict() for x in items]

    def received(body: SaveRequest) -> Any:
        try:
            return set_from_json(body.manifest, {n: t.model_dump() for n, t in body.tables.items()}, "body")
        except AssumptionError as exc:
            raise HTTPException(422, str(exc)) from None

    # Fixed segments first: /versions and /audit would otherwise match /{version}.

    @router.get("/assumptions", response_model=SetList, responses=_errors(401, 503),
                summary="The assumption sets this token may read, with their latest approved version and draft")
    def list_sets(caller: Caller) -> dict[str, Any]:
        out = []
        with answered():
            for name in store.names():
                if not may(caller, name, "read"):
                    continue
                infos = store.versions(name)
                approved = [i for i in infos if i.status == "approved"]
                drafts = [i for i in infos if i.status == "draft"]
                latest = max(approved, key=lambda i: (i.reviewed_at or "", i.created)) if approved else None
                out.append({"name": name, "versions": len(infos), "latest": latest.version if latest else None,
                            "draft": drafts[-1].version if drafts else None,
                            "updated": max(max(i.created, i.reviewed_at or "") for i in infos)})
        return {"sets": out}

    @router.get("/assumptions/{name}/versions", response_model=VersionList, responses=_errors(401, 403, 404, 422, 503),
                summary="Every version of a set, oldest first, with who saved and reviewed it")
    def versions(name: Name, caller: Caller) -> dict[str, Any]:
        return {"name": name, "versions": listing(caller, name, store.versions)}

    @router.get("/assumptions/{name}/audit", response_model=AuditBody, responses=_errors(401, 403, 404, 422, 503),
                summary="The audit log of a set: every save and review, who and when")
    def audit(name: Name, caller: Caller) -> dict[str, Any]:
        return {"name": name, "events": listing(caller, name, store.audit)}

    @router.get("/assumptions/{name}/{version}", response_model=None,
                responses={**_arrow_or_json(SetBody, "the version's metadata, manifest and tables"),
                           **_errors(401, 403, 404, 422, 503)},
                summary="One version: manifest and tables (latest and draft resolve to a concrete version)")
    def get_version(name: Name, version: Selector, request: Request, caller: Caller) -> Response:
        need(caller, name, "read")
        info = find(name, version)
        with answered():
            aset = store.load(info.version)
        if wants_arrow(request):
            return Response(set_arrow(aset, {"info": _body(info)}), media_type=ARROW_STREAM)
        tables = {n: table_json(t.frame) for n, t in aset.tables.items()}
        return JSONResponse({"info": _body(info), "manifest": aset.manifest, "tables": tables})

    @router.get("/assumptions/{name}/{version}/info", response_model=VersionBody,
                responses=_errors(401, 403, 404, 422, 503),
                summary="One version's metadata: author, time, message, parent, status, reviewer")
    def version_info(name: Name, version: Selector, caller: Caller) -> dict[str, Any]:
        need(caller, name, "read")
        return find(name, version).to_dict()

    @router.post("/assumptions/{name}", response_model=SaveResult, status_code=201,
                 responses={200: {"model": SaveResult, "description": "the set already held this content"},
                            **_errors(400, 401, 403, 413, 422, 503)},
                 summary="Save a new draft version (its version is the content hash)")
    def save(name: Name, body: SaveRequest, caller: Caller) -> Response:
        need(caller, name, "write")
        aset = received(body)
        with answered():
            info, created = store.add(aset, name, body.message, author=caller.subject, parent=body.parent)
        answer = SaveResult(created=created, info=VersionBody(**info.to_dict())).model_dump(by_alias=True)
        return JSONResponse(answer, status_code=201 if created else 200)

    @router.put("/assumptions/{name}/{version}", response_model=SaveResult, status_code=201,
                responses=_errors(400, 401, 403, 409, 413, 422, 503),
                summary="Store a version at its content address; an existing version is never replaced (409)")
    def put_version(name: Name, version: Exact, body: SaveRequest, caller: Caller) -> dict[str, Any]:
        need(caller, name, "write")
        version = normal_version(version)
        with answered():
            if store.has(name, version):
                raise VersionConflict(f"assumption set '{name}' already holds {version}: versions are immutable")
        aset = received(body)
        if aset.version != version:
            raise HTTPException(422, f"the body hashes to {aset.version}, not {version} as the path says")
        with answered():
            info, created = store.add(aset, name, body.message, author=caller.subject, parent=body.parent)
        if not created:
            raise HTTPException(409, f"assumption set '{name}' already holds {version}: versions are immutable")
        return {"created": True, "info": info.to_dict()}

    def review(name: str, version: str, body: ReviewRequest | None, caller: Principal, approve: bool) -> dict[str, Any]:
        need(caller, name, "approve")
        comment = body.comment if body is not None else ""
        with answered():
            act = store.approve if approve else store.reject
            info = act(name, version, by=caller.subject, comment=comment)
        return {"info": info.to_dict()}

    @router.post("/assumptions/{name}/{version}/approve", response_model=ReviewResult,
                 responses=_errors(400, 401, 403, 404, 409, 413, 422, 503),
                 summary="Approve a draft (scope assumptions:approve; not one's own version unless configured)")
    def approve(name: Name, version: Reviewed, caller: Caller, body: ReviewRequest | None = None) -> dict[str, Any]:
        return review(name, version, body, caller, True)

    @router.post("/assumptions/{name}/{version}/reject", response_model=ReviewResult,
                 responses=_errors(400, 401, 403, 404, 409, 413, 422, 503),
                 summary="Reject a draft (scope assumptions:approve); a review is final")
    def reject(name: Name, version: Reviewed, caller: Caller, body: ReviewRequest | None = None) -> dict[str, Any]:
        return review(name, version, body, caller, False)

    return router
