"""The Data API client: a dataset served over HTTP that behaves like a local one.

>>> ds = lc.open_dataset("livecalc+https://data.example.com/datasets/book", token=token)  # doctest: +SKIP
>>> ds.metadata.rows, ds.version, ds.schema().ok                                          # doctest: +SKIP
>>> ds.sample(10_000, seed=42)    # the same rows as the service's ds.sample(10_000, 42)  # doctest: +SKIP

``metadata``, ``schema()``, ``sample()`` and ``validate()`` go through the
service (Arrow IPC for metadata and samples), so notebooks and widgets work the
same against a local file or the service. The data itself never leaves the
service except as samples: ``read()`` and ``iter_chunks()`` are not served.

URLs are ``livecalc+https://host[:port][/prefix]/datasets/<id>``; plain
``livecalc+http://`` is accepted only for a loopback host (127.0.0.0/8,
``localhost``, ``::1``), so a token never crosses a network in clear text.
The token is ``token=`` (a string, or a callable returning a fresh one) or
the environment variable ``LIVECALC_TOKEN``. Only ``httpx``, ``pyarrow`` and
``polars`` are needed (extra ``livecalc-lab[api]``).
"""

from __future__ import annotations

import ipaddress
import json
import os
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import quote, urlsplit

import polars as pl

from livecalc_lab._version import __version__
from livecalc_lab.api._bodies import ARROW_STREAM, read_arrow
from livecalc_lab.data.metadata import Metadata, SchemaReport
from livecalc_lab.data.problems import Problem, ValidationReport
from livecalc_lab.data.schema import ColumnPlan
from livecalc_lab.errors import AuthError, DataError

__all__ = ["DataApiClient", "RemoteDataset", "ServiceSource", "open_remote", "split_dataset_url", "SCHEME_PREFIX"]

SCHEME_PREFIX = "livecalc+"
_LOOPBACK_NAMES = ("localhost",)


def split_dataset_url(url: str) -> tuple[str, str]:
    """``(service base URL, dataset id)`` of ``livecalc+https://host/[prefix/]datasets/<id>``.

    Examples
    --------
    >>> split_dataset_url("livecalc+https://data.example.com/api/datasets/book")
    ('https://data.example.com/api', 'book')

    Raises
    ------
    DataError
        Not a ``livecalc+http(s)`` URL ending in ``/datasets/<id>``.
    """
    base = _base_url(url)
    head, sep, dataset_id = base.rstrip("/").rpartition("/datasets/")
    if not sep or not dataset_id or "/" in dataset_id:
        raise DataError(f"{_shown(url)}: expected livecalc+https://host/datasets/<id>")
    return head, dataset_id


def _base_url(url: str) -> str:
    text = url[len(SCHEME_PREFIX):] if url.startswith(SCHEME_PREFIX) else url
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DataError(f"{_shown(url)}: a Data API URL is livecalc+https://host/... (or livecalc+http:// on loopback)")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise DataError(f"{_shown(url)}: pass the token as token=..., never in the URL")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise DataError(f"{_shown(url)}: plain http is only for a loopback host; use livecalc+https://")
    return text.rstrip("/")


def _shown(url: str) -> str:
    """A URL as quoted in messages: without any userinfo or query (never a secret)."""
    p = urlsplit(url)
    return f"{p.scheme}://{p.hostname or ''}{f':{p.port}' if p.port else ''}{p.path}"


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServiceSource:
    """Where a remote dataset lives: the service URL and dataset id (no credential, ever)."""

    uri: str
    version: str | None = None
    type: str = "dataApi"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "uri": self.uri, "version": self.version}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))


class DataApiClient:
    """A connection to a LiveCalc Data API.

    Parameters
    ----------
    url : str
        The service: ``https://host[:port][/prefix]`` (a ``livecalc+`` prefix is accepted).
    token : str or callable, optional
        A bearer token, or a function returning one (called for each request,
        so it may refresh). Default: ``$LIVECALC_TOKEN``.
    timeout : float
        Seconds per request.
    verify : bool or str
        TLS verification (a CA bundle path, or False for a test server only).

    Examples
    --------
    >>> with DataApiClient("https://data.example.com", token=tok) as api:   # doctest: +SKIP
    ...     [d["id"] for d in api.datasets()]
    ...     ds = api.dataset("book")
    """

    def __init__(self, url: str, token: str | Callable[[], str] | None = None, *, timeout: float = 60.0,
                 verify: bool | str = True):
        import httpx

        self.url = _base_url(url)
        self._token = token if token is not None else os.environ.get("LIVECALC_TOKEN")
        self._http = httpx.Client(base_url=self.url, timeout=timeout, verify=verify,
                                  headers={"User-Agent": f"livecalc-lab/{__version__}"})
        # A dataset opened in a notebook is rarely closed: its connections close when it is collected.
        self._finalizer = weakref.finalize(self, self._http.close)

    def __repr__(self) -> str:
        return f"DataApiClient({self.url!r})"

    def __enter__(self) -> "DataApiClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._finalizer()

    # ---- requests --------------------------------------------------------------------------

    def _request(self, method: str, path: str, *, accept: str = "application/json",
                 errors: dict[int, type[Exception]] | None = None, **kwargs: Any) -> Any:
        """One request; an error status raises ``errors[status]`` if given, else AuthError (401, 403) or DataError."""
        import httpx

        headers = {"Accept": accept}
        token = self._token() if callable(self._token) else self._token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            resp = self._http.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise DataError(f"{self.url}{path}: cannot reach the Data API: {type(exc).__name__}") from None
        if resp.status_code >= 400:
            try:
                detail = str(resp.json().get("detail", ""))
            except (ValueError, AttributeError):
                detail = resp.text[:200]
            where = f"{self.url}{path}"
            if errors and resp.status_code in errors:
                raise errors[resp.status_code](f"{where}: {detail}")
            if resp.status_code in (401, 403):
                raise AuthError(f"{where}: {detail}", status=resp.status_code)
            raise DataError(f"{where}: HTTP {resp.status_code}: {detail}")
        return resp

    def health(self) -> dict[str, Any]:
        """``{"status": "ok", "version": ...}`` (needs no token)."""
        return self._request("GET", "/healthz").json()

    def datasets(self) -> list[dict[str, Any]]:
        """The datasets this token may read: dicts with ``id``, ``title``, ``source_type``, ``rows``, ``bytes``, ``version``."""
        items = self._request("GET", "/datasets").json()["datasets"]
        return [{_snake(k): v for k, v in item.items()} for item in items]

    def dataset(self, dataset_id: str) -> "RemoteDataset":
        """The dataset ``dataset_id`` (nothing is fetched until asked for)."""
        return RemoteDataset(self, dataset_id)

    def _path(self, dataset_id: str, what: str) -> str:
        return f"/datasets/{quote(dataset_id, safe='')}/{what}"

    def metadata(self, dataset_id: str) -> tuple[dict[str, Any], dict[str, pl.DataType]]:
        """``(metadata fields, columns with their exact types)``, from the Arrow form of the metadata."""
        frame, fields = read_arrow(self._request("GET", self._path(dataset_id, "metadata"), accept=ARROW_STREAM).content)
        return fields, dict(frame.schema)

    def schema(self, dataset_id: str) -> dict[str, Any]:
        """The schema answer as sent (camelCase keys)."""
        return self._request("GET", self._path(dataset_id, "schema")).json()

    def sample(self, dataset_id: str, n: int = 10_000, seed: int = 42) -> tuple[pl.DataFrame, dict[str, Any]]:
        """``(sample frame, fields)``, fetched as Arrow IPC."""
        resp = self._request("GET", self._path(dataset_id, "sample"), accept=ARROW_STREAM, params={"n": n, "seed": seed})
        return read_arrow(resp.content)

    def validate(self, dataset_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """The validation answer for the request ``body`` (camelCase keys)."""
        return self._request("POST", self._path(dataset_id, "validate"), json=body).json()


class RemoteDataset:
    """A dataset served by a Data API, with the local :class:`~livecalc_lab.data.Dataset`'s reading surface.

    Attributes
    ----------
    id : str
    source : ServiceSource
    label : str
        The dataset's URL, as named in messages.
    """

    def __init__(self, client: DataApiClient, dataset_id: str):
        self.client = client
        self.id = dataset_id
        self.label = f"{SCHEME_PREFIX}{client.url}/datasets/{dataset_id}"
        self._metadata: Metadata | None = None
        self._fields: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"RemoteDataset({self.label!r})"

    @property
    def source(self) -> ServiceSource:
        return ServiceSource(self.label, self._fields.get("version"))

    @property
    def metadata(self) -> Metadata:
        """Rows, bytes, columns (exact types), format and version, from the service (fetched once)."""
        if self._metadata is None:
            fields, columns = self.client.metadata(self.id)
            self._fields = fields
            self._metadata = Metadata(self, fields["rows"], fields["bytes"], columns, fields["format"], fields["parts"])  # type: ignore[arg-type]
        return self._metadata

    def filtered_rows(self) -> int:
        """Rows after the service-side filter of the dataset (as :meth:`Dataset.filtered_rows`), from the metadata.

        Raises
        ------
        DataError
            The service does not report ``filteredRows`` (a service older than this client).
        """
        _ = self.metadata
        rows = self._fields.get("filteredRows")
        if rows is None:
            raise DataError(f"{self.label}: the Data API does not report filteredRows (rows after the dataset's "
                            "filter); upgrade the service to preview this dataset")
        return int(rows)

    @property
    def version(self) -> str | None:
        """The content version the service reported with the metadata."""
        _ = self.metadata
        return self._fields.get("version")

    @property
    def columns(self) -> dict[str, pl.DataType]:
        return self.metadata.columns

    @property
    def source_type(self) -> str:
        """Where the service reads the data: local, blob, dataLake or database."""
        _ = self.metadata
        return self._fields["sourceType"]

    def schema(self) -> SchemaReport:
        """Which policy columns the projection needs and where this dataset has each (as :meth:`Dataset.schema`)."""
        body = self.client.schema(self.id)
        columns = {c["name"]: _dtype(c["dtype"]) for c in body["sourceColumns"]}
        sources = {c["name"]: c["source"] for c in body["columns"] if c["source"] is not None}
        extra = [c for c in columns if c in set(body["extra"])]
        return SchemaReport(self.label, columns, ColumnPlan(sources, list(body["missing"]), extra))  # type: ignore[arg-type]

    def sample(self, n: int = 10_000, seed: int = 42) -> pl.DataFrame:
        """``n`` policies drawn reproducibly: the same frame as the service's ``ds.sample(n, seed)``.

        Raises
        ------
        DataError
            ``n`` above the service's limit (the message gives it), or the dataset cannot be read.
        AuthError
            The token is missing, invalid, or does not grant this dataset.
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, not {n}")
        frame, _ = self.client.sample(self.id, n, seed)
        return frame

    def validate(self, assumptions: Any = None, product: str | None = None, *, limit: int = 100,
                 assumption_set: str | None = None) -> ValidationReport:
        """Every problem that would stop a projection, checked by the service (as :meth:`Dataset.validate`).

        Parameters
        ----------
        assumptions : AssumptionSet or path, optional
            A local assumption set, sent with the request. Default: ``assumption_set``.
        product : str, optional
        limit : int
        assumption_set : str, optional
            Id of an assumption set registered with the service (default: the service's default set).
        """
        body: dict[str, Any] = {"product": product, "limit": limit}
        if assumptions is not None:
            body["assumptions"] = inline_assumptions(assumptions)
        elif assumption_set is not None:
            body["assumptionSet"] = assumption_set
        answer = self.client.validate(self.id, body)
        problems = [Problem(self.label, p["row"], p["column"], p["value"], p["message"]) for p in answer["problems"]]
        return ValidationReport(problems, answer["nProblems"] - len(problems))

    def _not_served(self, what: str) -> DataError:
        return DataError(
            f"{self.label}: {what} is not served by the Data API (it serves metadata, schema, samples and validation); "
            "a full run reads the source itself: register it in $LIVECALC_HOME/config.toml [datasets]"
        )

    def read(self) -> Any:
        raise self._not_served("reading every policy")

    def iter_chunks(self, target_bytes: int = 0) -> Iterator[Any]:
        raise self._not_served("chunked reading")

    def read_chunk(self, chunk_id: Any, **kwargs: Any) -> Any:
        raise self._not_served("chunked reading")


def open_remote(url: str, *, token: str | Callable[[], str] | None = None, **kwargs: Any) -> RemoteDataset:
    """The dataset at ``livecalc+https://host/datasets/<id>`` (what :func:`livecalc_lab.open_dataset` calls)."""
    base, dataset_id = split_dataset_url(url)
    return DataApiClient(base, token, **kwargs).dataset(dataset_id)


def inline_assumptions(assumptions: Any) -> dict[str, Any]:
    """``{"manifest", "tables"}`` of a local assumption set (an AssumptionSet or a folder), to send inline."""
    from livecalc_lab.assumptions import AssumptionSet, load_assumptions

    aset = assumptions if isinstance(assumptions, AssumptionSet) else load_assumptions(Path(assumptions))
    manifest = json.loads(json.dumps(aset.manifest))
    tables: dict[str, str] = {}
    for name, table in aset.tables.items():
        spec = manifest["tables"][name]
        if str(spec["file"]).startswith("livecalc_lab:"):
            continue  # shipped in the package: the service has the same file
        file = Path(table.path).name
        if file in tables or file != spec["file"]:
            file = f"{name}.csv"
            spec["file"] = file
        tables[file] = Path(table.path).read_text(encoding="utf-8")
    return {"manifest": manifest, "tables": tables}


def _dtype(name: str) -> Any:
    """A polars type from its name (``Int64``, ``String``, ``Date``); other names stay text."""
    dtype = getattr(pl, name, None) if name.isidentifier() else None
    return dtype if isinstance(dtype, type) and issubclass(dtype, pl.DataType) else name


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
