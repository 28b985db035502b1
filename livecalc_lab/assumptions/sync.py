"""Assumption sets through the service: :class:`ServiceStore`, and :func:`push` / :func:`pull` to and from a local store.

An actuary edits and saves versions offline in a local store, then pushes them;
a colleague or a cloud worker pulls or resolves them::

    lc.assumptions.push("assumptions://demo:draft", "https://livecalc.example.com")   # token: $LIVECALC_TOKEN
    lc.assumptions.pull("assumptions://demo:latest", "https://livecalc.example.com")

Versions are content hashes, so nothing is ever sent or stored twice: a push of a
version the service holds sends no tables, and a pull of a version the local
store holds copies nothing (but adds a review made on the service since). A
pushed version arrives as a draft authored by the token's subject (the service
trusts no author or review sent by a client); a pulled version keeps its author,
time, message, parent and review. Without ``url``, ``service`` of
``[assumptions_store]`` in the configuration is used (see
:mod:`livecalc_lab.assumptions.store`). Needs ``httpx`` (extra ``livecalc-lab[api]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import quote

from livecalc_lab.assumptions.refs import AssumptionRef, check_name, is_ref, normal_version, parse_ref, ref_for
from livecalc_lab.assumptions.store import (
    AuditEvent,
    Store,
    VersionConflict,
    VersionInfo,
    VersionNotFound,
    as_assumption_set,
    store_settings,
)
from livecalc_lab.errors import AssumptionError

__all__ = ["ServiceStore", "SyncResult", "push", "pull", "ARROW_STREAM"]

ARROW_STREAM = "application/vnd.apache.arrow.stream"
_ERRORS: dict[int, type[Exception]] = {404: VersionNotFound, 409: VersionConflict, 422: AssumptionError}


def _snake(d: dict[str, Any]) -> dict[str, Any]:
    return {"".join(f"_{c.lower()}" if c.isupper() else c for c in k): v for k, v in d.items()}


class ServiceStore:
    """The assumption sets of a LiveCalc service, with the surface of :class:`~livecalc_lab.assumptions.Store`.

    Parameters
    ----------
    url : str
        The service, ``https://host[:port][/prefix]`` (plain ``http://`` on loopback only).
    token : str or callable, optional
        Bearer token (or a function returning one); default ``$LIVECALC_TOKEN``.
        Reading needs the scope ``assumptions:read``, saving ``assumptions:write``,
        reviewing ``assumptions:approve`` (or their ``assumptions:<name>:...`` forms).
    timeout : float
        Seconds per request.
    verify : bool or str
        TLS verification.

    Raises
    ------
    DataError
        A malformed URL.
    """

    def __init__(self, url: str, token: str | Callable[[], str] | None = None, *, timeout: float = 60.0,
                 verify: bool | str = True):
        from livecalc_lab.api.client import DataApiClient

        self._api = DataApiClient(url, token, timeout=timeout, verify=verify)
        self.uri = self._api.url
        self._sets: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"ServiceStore({self.uri!r})"

    def __enter__(self) -> "ServiceStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._api.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._api._request(method, path, errors=_ERRORS, **kwargs)

    @staticmethod
    def _path(name: str, *parts: str) -> str:
        return "/".join([f"/assumptions/{quote(check_name(name), safe='')}", *(quote(p, safe=':') for p in parts)])

    # ---- reading -------------------------------------------------------------------------------------

    def names(self) -> list[str]:
        """The names this token may read."""
        return [s["name"] for s in self._call("GET", "/assumptions").json()["sets"]]

    def versions(self, name: str) -> list[VersionInfo]:
        """Every version of ``name``, oldest first (empty for an unknown name)."""
        try:
            body = self._call("GET", self._path(name, "versions")).json()
        except VersionNotFound:
            return []
        return [VersionInfo.from_dict(_snake(v)) for v in body["versions"]]

    def resolve(self, ref: str | AssumptionRef) -> VersionInfo:
        """The version a reference names, as the service resolves it (as :meth:`Store.resolve`)."""
        r = parse_ref(ref)
        return VersionInfo.from_dict(_snake(self._call("GET", self._path(r.name, r.selector, "info")).json()))

    def info(self, name: str, version: str) -> VersionInfo:
        """The version ``version`` (full, hex prefix, ``latest`` or ``draft``) of ``name``."""
        return self.resolve(AssumptionRef(check_name(name), version if version in ("latest", "draft")
                                          else normal_version(version)))

    def has(self, name: str, version: str) -> bool:
        """Whether the service holds the full version ``version`` under ``name``."""
        try:
            return self.info(name, version).version == normal_version(version)
        except VersionNotFound:
            return False

    def get(self, ref: str | AssumptionRef) -> Any:
        """The set a reference names, fetched as Arrow and checked against its version.

        Raises
        ------
        VersionNotFound
            No such set or version.
        AssumptionError
            What arrived does not hash to the version the service named.
        AuthError
            The token lacks ``assumptions:read``.
        """
        import copy

        from livecalc_lab.assumptions.serial import set_from_arrow

        r = parse_ref(ref)
        hit = self._sets.get(r.selector) if r.is_concrete else None
        if hit is None:
            resp = self._call("GET", self._path(r.name, r.selector), accept=ARROW_STREAM)
            aset, fields = set_from_arrow(resp.content, f"{self.uri} {r}")
            info = VersionInfo.from_dict(_snake(fields["info"]))
            if aset.version != info.version:
                raise AssumptionError(f"{self.uri} {r}: the set received hashes to {aset.version}, "
                                      f"not {info.version} as the service says")
            self._sets[info.version] = hit = aset
            parent = info.parent
        else:
            parent = self.info(r.name, r.selector).parent
        out = copy.copy(hit)
        out.ref, out.store, out.parent_version = ref_for(r.name, hit.version), self.uri, parent
        return out

    def audit(self, name: str) -> list[AuditEvent]:
        """Every action on ``name`` recorded by the service, oldest first."""
        events = self._call("GET", self._path(name, "audit")).json()["events"]
        return [AuditEvent(**_snake(e)) for e in events]

    # ---- writing -------------------------------------------------------------------------------------

    def _body(self, aset: Any, message: str, parent: str | None) -> dict[str, Any]:
        from livecalc_lab.assumptions.serial import set_json

        body = set_json(aset)
        return {"manifest": body["manifest"],
                "tables": {n: {"columns": t["columns"], "rows": t["rows"]} for n, t in body["tables"].items()},
                "message": message, "parent": parent}

    def add(self, assumption_set: Any, name: str, message: str = "", *,
            parent: str | None = None) -> tuple[VersionInfo, bool]:
        """Save a new draft (``POST /assumptions/{name}``): ``(version info, created)``; the author is the token's subject."""
        aset = as_assumption_set(assumption_set)
        parent = parent if parent is not None else aset.parent_version
        answer = self._call("POST", self._path(name), json=self._body(aset, message, parent)).json()
        return VersionInfo.from_dict(_snake(answer["info"])), bool(answer["created"])

    def save(self, assumption_set: Any, name: str, message: str = "", *, parent: str | None = None) -> str:
        """:meth:`add`, returning the version."""
        return self.add(assumption_set, name, message, parent=parent)[0].version

    def put(self, assumption_set: Any, name: str, message: str = "", *,
            parent: str | None = None) -> tuple[VersionInfo, bool]:
        """Store a version at its content address (``PUT /assumptions/{name}/{version}``).

        Returns ``(version info, created)``; a version the service already holds is
        refused by the service (409: versions are immutable) and reported here as
        ``created=False``.
        """
        aset = as_assumption_set(assumption_set)
        parent = parent if parent is not None else aset.parent_version
        try:
            answer = self._call("PUT", self._path(name, aset.version), json=self._body(aset, message, parent)).json()
        except VersionConflict:
            return self.info(name, aset.version), False
        return VersionInfo.from_dict(_snake(answer["info"])), True

    def approve(self, name: str, version: str, *, comment: str = "") -> VersionInfo:
        """Approve a draft as the token's subject (scope ``assumptions:approve``; not one's own, by default)."""
        return self._review(name, version, "approve", comment)

    def reject(self, name: str, version: str, *, comment: str = "") -> VersionInfo:
        """Reject a draft as the token's subject (scope ``assumptions:approve``)."""
        return self._review(name, version, "reject", comment)

    def _review(self, name: str, version: str, action: str, comment: str) -> VersionInfo:
        answer = self._call("POST", self._path(name, normal_version(version), action), json={"comment": comment})
        return VersionInfo.from_dict(_snake(answer.json()["info"]))


@dataclass(frozen=True)
class SyncResult:
    """What :func:`push` or :func:`pull` did.

    Attributes
    ----------
    name, version : str
    created : bool
        False when the destination already held the version (nothing was copied).
    source, destination : str
        The stores (folder, blob URI or service URL).
    """

    name: str
    version: str
    created: bool
    source: str
    destination: str

    @property
    def ref(self) -> str:
        """``assumptions://NAME:sha256:...``."""
        return ref_for(self.name, self.version)


def _service(url: str | None, token: Any) -> ServiceStore:
    url = url or store_settings().service
    if url is None:
        raise AssumptionError("no assumptions service: pass its URL, or set service = \"https://...\" in "
                              "[assumptions_store] of $LIVECALC_HOME/config.toml")
    return ServiceStore(url, token)


def push(local_set: Any, url: str | None = None, *, name: str | None = None, message: str | None = None,
         token: Any = None, store: Any = None) -> SyncResult:
    """Send a version to the service, unless it holds it already.

    Parameters
    ----------
    local_set : str, AssumptionSet or pathlib.Path
        A reference into the local store (``assumptions://demo:draft``: its name,
        message and parent go along), a set, or a folder.
    url : str, optional
        The service (default: ``[assumptions_store] service``).
    name : str, optional
        The name on the service (required unless ``local_set`` is a reference or
        a set read from a store).
    message : str, optional
        Default: the local version's message.
    token : str or callable, optional
        Needs ``assumptions:read`` and ``assumptions:write``; default ``$LIVECALC_TOKEN``.
    store : Store or str, optional
        The local store (default: the configured one).

    Returns
    -------
    SyncResult

    Raises
    ------
    AssumptionError
        No name, no service, or the service refused the set (its message names
        table, row, column and value).
    AuthError
        The token lacks a scope.
    """
    parent = None
    if is_ref(local_set):
        local = store if isinstance(store, Store) else Store(store)
        info = local.resolve(local_set)
        aset = local.load(info.version)
        name, parent = name or info.name, info.parent
        message = info.message if message is None else message
        source = local.uri
    else:
        aset = as_assumption_set(local_set)
        if name is None and aset.ref is not None:
            name = parse_ref(aset.ref).name
        source = aset.store or (str(aset.path) if aset.path is not None else "memory")
    if name is None:
        raise AssumptionError("push needs name=... for a set that is not in a store")
    with _service(url, token) as service:
        if service.has(name, aset.version):
            return SyncResult(name, aset.version, False, source, service.uri)
        info, created = service.put(aset, name, message or "", parent=parent or aset.parent_version)
        return SyncResult(name, info.version, created, source, service.uri)


def pull(ref: str | AssumptionRef, url: str | None = None, *, token: Any = None, store: Any = None) -> SyncResult:
    """Copy the version a reference names from the service into the local store, with its metadata.

    ``latest`` and ``draft`` are resolved by the service; the local store then holds
    the concrete version (and its approval, so ``latest`` resolves the same
    locally once pulled).

    Parameters
    ----------
    ref : str
        ``assumptions://NAME:VERSION`` (or ``:latest``, ``:draft``).
    url : str, optional
        The service (default: ``[assumptions_store] service``).
    token : str or callable, optional
        Needs ``assumptions:read``; default ``$LIVECALC_TOKEN``.
    store : Store or str, optional
        The local store (default: the configured one).

    Returns
    -------
    SyncResult

    Raises
    ------
    VersionNotFound
        The service has no such version.
    AuthError
        The token lacks ``assumptions:read``.
    """
    with _service(url, token) as service:
        info = service.resolve(ref)
        aset = service.get(info.ref)
        local = store if isinstance(store, Store) else Store(store)
        _, created = local.import_version(aset, info, source=service.uri)
        return SyncResult(info.name, info.version, created, service.uri, local.uri)
