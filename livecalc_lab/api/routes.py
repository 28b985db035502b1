"""The Data API's routes: datasets, metadata, schema, samples, validation, health.

Access: a token reads a dataset when it holds one of the dataset's read scopes
(:attr:`livecalc_lab.config.DatasetEntry.read_scopes`). ``GET /datasets``
lists exactly those. Asking for any other id — registered or not — gets the
same 403, so a token learns nothing about datasets it cannot list; only a
token with ``datasets:read`` (which would see every registered dataset) gets a
404 for an id that is not registered.
"""

# No "from __future__ import annotations" here: FastAPI reads the route signatures, whose
# annotations name types local to build_router.
import json
import re
import tempfile
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from livecalc_lab._version import __version__
from livecalc_lab.api import _bodies
from livecalc_lab.api.auth import Principal
from livecalc_lab.api.models import (
    ARROW_STREAM,
    DatasetList,
    ErrorBody,
    Health,
    MetadataBody,
    SampleBody,
    SchemaBody,
    ValidateRequest,
    ValidationBody,
)
from livecalc_lab.config import DATASET_ID, DatasetEntry
from livecalc_lab.errors import AssumptionError, ConfigError, DataError

if TYPE_CHECKING:  # pragma: no cover
    from livecalc_lab.api.app import ServiceState
    from livecalc_lab.api.registry import Opened

__all__ = ["build_router"]

MAX_SEED = 2**64 - 1
_TABLE_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\.csv$")
_bearer = HTTPBearer(
    auto_error=False,
    description="A JWT with iss and aud `livecalc` (configurable) and scope `datasets:read` or `datasets:<id>:read`; "
    "`livecalc token --scope datasets:read` mints one for local use.",
)


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {
        400: "the body cannot be read as text",
        401: "no valid bearer token",
        403: "the token does not grant access to this dataset (or the dataset is not registered)",
        404: "no dataset (or assumption set) with this id is registered",
        413: "request body too large",
        422: "a parameter or the body is not valid",
        503: "the dataset cannot be read just now",
    }
    return {c: {"model": ErrorBody, "description": text[c]} for c in codes}


def _arrow_or_json(model: type, what: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "model": model,
            "description": f"{what} as JSON, or as an Arrow IPC stream when the request accepts {ARROW_STREAM}",
            "content": {ARROW_STREAM: {"schema": {"type": "string", "format": "binary"}}},
        }
    }


async def principal(request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None) -> Principal:
    """The caller, as checked by the token gate before the request got here."""
    return request.scope["state"]["principal"]


def wants_arrow(request: Request) -> bool:
    """True when the ``Accept`` header asks for Arrow IPC (with a non-zero quality)."""
    for item in request.headers.get("accept", "").split(","):
        media, *params = [p.strip() for p in item.split(";")]
        if media.lower() == ARROW_STREAM:
            for p in params:
                k, _, v = p.partition("=")
                if k.strip().lower() == "q":
                    try:
                        return float(v) > 0
                    except ValueError:
                        return False
            return True
    return False


def build_router(state: "ServiceState") -> APIRouter:
    """The routes, bound to ``state`` (settings, registry, cache)."""
    router = APIRouter()
    settings, registry, cache = state.settings, state.registry, state.cache
    # The example is fixed: /openapi.json needs no token, so it must not name the registered datasets.
    DatasetId = Annotated[str, Path(pattern=DATASET_ID.pattern, description="a registered dataset id", examples=["demo"])]
    Caller = Annotated[Principal, Security(principal)]

    def visible(caller: Principal, dataset_id: str) -> DatasetEntry:
        entry = registry.entry(dataset_id)
        if entry is not None and caller.may_read(entry.read_scopes):
            return entry
        if entry is None and "datasets:read" in caller.scopes:
            raise HTTPException(404, f"no dataset '{dataset_id}' is registered")
        raise HTTPException(
            403, f"this token does not grant access to dataset '{dataset_id}' (scopes: datasets:read or datasets:{dataset_id}:read)"
        )

    def opened(entry: DatasetEntry) -> "Opened":
        try:
            return registry.open(entry)
        except (DataError, ConfigError) as exc:
            raise HTTPException(503, registry.redact(entry, str(exc))) from None

    def metadata_arrow(op: "Opened") -> bytes:
        """The metadata as Arrow (its JSON body in the schema metadata); a filtered dataset's rows are counted here."""
        try:
            meta = op.dataset.metadata
            body = _bodies.metadata_body(op.entry.id, op.entry.title, op.entry.source.type, meta, op.version,
                                         op.dataset.filtered_rows())
            return _bodies.metadata_arrow(body, meta.columns)
        except DataError as exc:
            raise HTTPException(503, registry.redact(op.entry, str(exc))) from None

    def metadata_of(op: "Opened") -> dict[str, Any]:
        """The metadata body, cached by version."""
        return _bodies.read_arrow(cache.get_or_compute((op.entry.id, op.version, "metadata"), lambda: metadata_arrow(op)))[1]

    async def opened_now(entry: DatasetEntry) -> "Opened":
        """:func:`opened`, on the event loop when that is cheap (a local file seen unchanged), else in a thread."""
        if registry.looks_unchanged(entry):
            return opened(entry)
        return await run_in_threadpool(opened, entry)

    async def cached(key: tuple[Any, ...], compute: Any) -> bytes:
        """A cached body at once, or computed in a worker thread (one computation per key)."""
        hit = cache.get(key)
        if hit is not None:
            return hit
        return await run_in_threadpool(cache.get_or_compute, key, compute)

    # ---- routes ----------------------------------------------------------------------------

    @router.get("/healthz", response_model=Health, tags=["service"], summary="Liveness (no token needed)")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @router.get("/datasets", response_model=DatasetList, tags=["datasets"], responses=_errors(401),
                summary="The datasets this token may read")
    def list_datasets(caller: Caller) -> dict[str, Any]:
        out = []
        for entry in registry.entries.values():
            if not caller.may_read(entry.read_scopes):
                continue
            item: dict[str, Any] = {"id": entry.id, "title": entry.title, "sourceType": entry.source.type}
            try:
                body = metadata_of(opened(entry))
                item.update(rows=body["rows"], bytes=body["bytes"], version=body["version"])
            except HTTPException as exc:
                item["error"] = exc.detail
            out.append(item)
        return {"datasets": out}

    @router.get("/datasets/{dataset_id}/metadata", response_model=None, tags=["datasets"],
                responses={**_arrow_or_json(MetadataBody, "rows, bytes, columns and version"), **_errors(401, 403, 404, 422, 503)},
                summary="Rows (stored, and after the dataset's filter), bytes, columns and version, without loading the data")
    async def metadata(dataset_id: DatasetId, request: Request, caller: Caller) -> Response:
        op = await opened_now(visible(caller, dataset_id))
        arrow = await cached((op.entry.id, op.version, "metadata"), lambda: metadata_arrow(op))
        if wants_arrow(request):
            return Response(arrow, media_type=ARROW_STREAM)
        return JSONResponse(_bodies.read_arrow(arrow)[1])

    @router.get("/datasets/{dataset_id}/schema", response_model=SchemaBody, tags=["datasets"],
                responses=_errors(401, 403, 404, 422, 503),
                summary="The policy schema: types, required flags, ranges, codes, and where this dataset has each column")
    def schema(dataset_id: DatasetId, caller: Caller) -> dict[str, Any]:
        op = opened(visible(caller, dataset_id))
        try:
            report = op.dataset.schema()
        except DataError as exc:
            raise HTTPException(503, registry.redact(op.entry, str(exc))) from None
        codes = _products(state, settings.default_assumptions)
        return _bodies.schema_body(op.entry.id, op.version, report, codes)

    @router.get("/datasets/{dataset_id}/sample", response_model=None, tags=["datasets"],
                responses={**_arrow_or_json(SampleBody, "the sampled rows"), **_errors(401, 403, 404, 422, 503)},
                summary="A reproducible sample: the same rows as ds.sample(n, seed) in Python")
    async def sample(
        dataset_id: DatasetId,
        request: Request,
        caller: Caller,
        n: Annotated[int, Query(ge=0, le=settings.max_sample,
                                description=f"policies to draw (at most {settings.max_sample:,})")] = min(10_000, settings.max_sample),
        seed: Annotated[int, Query(ge=0, le=MAX_SEED, description="sample seed, 0 <= seed < 2**64")] = 42,
    ) -> Response:
        op = await opened_now(visible(caller, dataset_id))

        def compute() -> bytes:
            try:
                total = op.dataset.metadata.rows
                # The body is cached below (by version, with the service's budget and TTL): not the frame too.
                return _bodies.sample_arrow(op.entry.id, total, seed, op.version, op.dataset.sample(n, seed, cache=False))
            except DataError as exc:
                raise HTTPException(503, registry.redact(op.entry, str(exc))) from None

        key = (op.entry.id, op.version, n, seed)
        arrow = await cached((*key, "arrow"), compute)
        if wants_arrow(request):
            return Response(arrow, media_type=ARROW_STREAM)
        body = await cached((*key, "json"), lambda: _bodies.sample_json_from_arrow(arrow))
        return Response(body, media_type="application/json")

    @router.post("/datasets/{dataset_id}/validate", response_model=ValidationBody, tags=["datasets"],
                 responses=_errors(400, 401, 403, 404, 413, 422, 503),
                 summary="What the dataset needs that the assumption set does not cover, and every bad value")
    def validate(dataset_id: DatasetId, request_body: ValidateRequest, caller: Caller) -> Response:
        entry = visible(caller, dataset_id)
        if request_body.assumptions is not None and request_body.assumption_set is not None:
            raise HTTPException(422, "give assumptionSet (a registered id) or assumptions (inline), not both")
        set_id = None
        if request_body.assumptions is not None:
            aset = _inline_assumptions(request_body.assumptions.manifest, request_body.assumptions.tables)
        else:
            set_id = request_body.assumption_set or settings.default_assumptions
            aset = _registered_assumptions(state, set_id)
        product = request_body.product
        if product is not None and product not in aset.products:
            raise HTTPException(422, f"product {product!r} is not in the assumption set (products: {', '.join(aset.products)})")
        op = opened(entry)

        def compute() -> bytes:
            try:
                report = op.dataset.validate(aset, product, limit=request_body.limit)
            except DataError as exc:
                raise HTTPException(503, registry.redact(op.entry, str(exc))) from None
            body = _bodies.validation_body(op.entry.id, op.version, set_id, aset.version, product, report,
                                           lambda text: registry.redact(op.entry, text))
            return json.dumps(body, separators=(",", ":")).encode()

        key = (op.entry.id, op.version, set_id, aset.version, product, request_body.limit, "validate")
        return Response(cache.get_or_compute(key, compute), media_type="application/json")

    return router


# ---- assumption sets -----------------------------------------------------------------------


def _registered_assumptions(state: "ServiceState", set_id: str) -> Any:
    try:
        return state.registry.assumptions(set_id)
    except KeyError:
        raise HTTPException(
            404, f"no assumption set '{set_id}' is registered (registered: {', '.join(state.registry.assumption_ids)})"
        ) from None
    except (AssumptionError, ConfigError) as exc:
        raise HTTPException(503, str(exc)) from None


def _products(state: "ServiceState", set_id: str) -> list[str]:
    return list(_registered_assumptions(state, set_id).products)


def _inline_assumptions(manifest: dict[str, Any], tables: dict[str, str]) -> Any:
    """Load an assumption set sent with the request, in a private temporary folder.

    Table files are only those sent (plain ``*.csv`` names) or tables shipped in
    the package (``livecalc_lab:...``); nothing else on the server is read.
    """
    from livecalc_lab.assumptions import load_assumptions

    for name in tables:
        if not _TABLE_FILE.match(name):
            raise HTTPException(422, f"assumptions.tables: {name[:64]!r} is not a plain .csv file name")
    specs = manifest.get("tables", {})
    if isinstance(specs, dict):
        for table, spec in specs.items():
            file = spec.get("file") if isinstance(spec, dict) else None
            if isinstance(file, str) and not file.startswith("livecalc_lab:") and file not in tables:
                raise HTTPException(
                    422, f"assumptions.manifest.tables.{str(table)[:64]}: file {file[:64]!r} is not among assumptions.tables"
                )
    with tempfile.TemporaryDirectory(prefix="livecalc-api-") as tmp:
        folder = FsPath(tmp)
        for name, text in tables.items():
            (folder / name).write_text(text, encoding="utf-8")
        (folder / "assumptions.json").write_text(json.dumps(manifest), encoding="utf-8")
        try:
            return load_assumptions(folder)
        except AssumptionError as exc:
            raise HTTPException(422, _strip(str(exc), tmp)) from None


def _strip(text: str, folder: str) -> str:
    """A message about files in ``folder`` naming them as the request did."""
    return text.replace(folder + "/", "").replace(folder, "assumptions")

