"""A store of assumption-set versions: every version ever saved, immutable, reviewed, audited.

``lc.assumptions.Store(path_or_uri)`` keeps versions below a local folder (default
``$LIVECALC_HOME/assumptions``, or ``uri`` in ``[assumptions_store]`` of the
configuration file) or below an Azure Blob prefix (``azure://container/prefix``)::

    store = lc.assumptions.Store()
    v = store.save(aset, "demo", "2026 lapse study: multiplier 0.8")   # -> "sha256:..."
    store.approve("demo", v, by="chief.actuary")
    store.get("assumptions://demo:latest").version == v

A version is the content hash of the set (:func:`~livecalc_lab.assumptions.canonical_version`),
so the same content has the same version in every store, whoever saved it.
Saving content that a name already holds adds nothing (the version is returned);
the same content under another name shares the stored files.

**Layout** (the same below a folder and a blob prefix)::

    objects/<hex>/assumptions.json        the manifest
    objects/<hex>/<table files>           the tables, as CSV, at their manifest names
    objects/<hex>/.packaged/<table>.csv   copies of tables shipped in the package
    sets/<name>/versions/<hex>.json       who saved the version under <name>, when, why, its parent
    sets/<name>/reviews/<hex>.json        its approval or rejection, written once
    sets/<name>/audit/<time>-<id>.json    one record per action: save, approve, reject, pull

where ``<hex>`` is the version without ``sha256:``. Every file is created once and
never replaced (see :mod:`~livecalc_lab.assumptions._store_backends`): a version's
content cannot change, and its status is a separate record, so approving never
rewrites it. Every object read is hashed again and must equal its name.

**Status.** A version is ``draft`` until reviewed, then ``approved`` or ``rejected``;
a review is final (approve a new version instead). ``latest`` is the most recently
approved version (by approval time); ``draft`` is the most recently saved version
still in draft. An author may approve their own version only in a store opened
with ``allow_self_approval=True`` (the default for a personal store; the service
refuses it unless ``[api] allow_self_approval = true``).

**Configuration** (``$LIVECALC_HOME/config.toml`` or ``livecalc serve --config``)::

    [assumptions_store]
    uri = "~/.livecalc/assumptions"            # or "azure://container/prefix"; default $LIVECALC_HOME/assumptions
    service = "https://livecalc.example.com"   # default service of push/pull, and where references
                                               # not found in the local store are resolved
"""

from __future__ import annotations

import copy
import getpass
import json
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from livecalc_lab.assumptions.assumption_set import AssumptionSet, demo_assumptions, load_assumptions
from livecalc_lab.assumptions.refs import AssumptionRef, check_name, is_ref, normal_version, parse_ref, ref_for
from livecalc_lab.errors import AssumptionError, AuthError, ConfigError

__all__ = [
    "Store",
    "VersionInfo",
    "AuditEvent",
    "VersionNotFound",
    "VersionConflict",
    "StoreSettings",
    "store_settings",
    "open_store",
    "resolve_ref",
    "as_assumption_set",
    "STATUSES",
]

STATUSES = ("draft", "approved", "rejected")
VERSION_FORMAT = "livecalc-assumption-version/1"
REVIEW_FORMAT = "livecalc-assumption-review/1"
AUDIT_FORMAT = "livecalc-assumption-audit/1"
MAX_MESSAGE = 10_000
_CACHED_SETS = 32
_STORE_KEYS = frozenset({"uri", "service"})


class VersionNotFound(AssumptionError):
    """No such assumption set, version, approved version (``latest``) or draft in the store."""


class VersionConflict(AssumptionError):
    """A write that would change what is stored: a version that exists, or a review already made."""


def _now() -> str:
    """UTC time as ISO 8601 with microseconds, e.g. ``2026-11-03T10:22:01.123456Z`` (sorts as text)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (some containers)
        return "unknown"


@dataclass(frozen=True)
class VersionInfo:
    """One version of a named assumption set, with its review status.

    Attributes
    ----------
    name : str
    version : str
        ``sha256:<64 hex>``.
    parent : str or None
        The version it was derived from (:attr:`AssumptionSet.parent_version`).
    author : str
        Who saved it: the token's subject through the service, else the OS user.
    created : str
        When, UTC ISO 8601 (``2026-11-03T10:22:01.123456Z``).
    message : str
        Why (the save message).
    status : {"draft", "approved", "rejected"}
    reviewer, reviewed_at : str or None
        Who approved or rejected it, and when.
    comment : str
        The reviewer's comment.
    """

    name: str
    version: str
    parent: str | None
    author: str
    created: str
    message: str = ""
    status: str = "draft"
    reviewer: str | None = None
    reviewed_at: str | None = None
    comment: str = ""

    @property
    def ref(self) -> str:
        """``assumptions://NAME:sha256:...``: the concrete reference."""
        return ref_for(self.name, self.version)

    @property
    def approved_by(self) -> str | None:
        """The approver, for an approved version."""
        return self.reviewer if self.status == "approved" else None

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict (snake_case), plus ``ref``."""
        return asdict(self) | {"ref": self.ref}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "VersionInfo":
        """From :meth:`to_dict`'s keys (``ref`` and unknown keys are ignored)."""
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass(frozen=True)
class AuditEvent:
    """One action on a store: ``save``, ``approve``, ``reject`` or ``pull``.

    Attributes
    ----------
    at : str
        UTC ISO 8601 time.
    who : str
        The token's subject (service) or the OS user.
    action, name, version : str
    detail : str
        The save message, the review comment, or where a pulled version came from.
    """

    at: str
    who: str
    action: str
    name: str
    version: str
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StoreSettings:
    """``[assumptions_store]`` of a configuration (see the module docstring).

    Attributes
    ----------
    uri : str
        The store: a folder (made absolute against the configuration file) or a blob URI.
    service : str or None
        The assumptions service push and pull talk to by default.
    """

    uri: str
    service: str | None = None


def store_settings(config: Any = None) -> StoreSettings:
    """The store settings of ``config`` (default: the user's ``$LIVECALC_HOME/config.toml``).

    Raises
    ------
    ConfigError
        An unknown key or a value that is not a string.
    """
    from livecalc_lab.assumptions._store_backends import is_blob_uri
    from livecalc_lab.config import livecalc_home, load_config

    cfg = load_config() if config is None else config
    table = cfg.section("assumptions_store")
    where = f"{cfg.path or '<config>'} [assumptions_store]"
    unknown = sorted(set(table) - _STORE_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_STORE_KEYS))}")
    for key in _STORE_KEYS:
        if key in table and (not isinstance(table[key], str) or not table[key]):
            raise ConfigError(f"{where}: {key} must be a non-empty string")
    uri = table.get("uri")
    if uri is None:
        uri = str(livecalc_home() / "assumptions")
    elif not is_blob_uri(uri):
        uri = str(cfg.resolve_path(uri))
    return StoreSettings(uri, table.get("service"))


def _is_service(uri: str) -> bool:
    from livecalc_lab.assumptions._store_backends import is_blob_uri

    return uri.startswith(("livecalc+http://", "livecalc+https://")) or (
        uri.startswith(("http://", "https://")) and not is_blob_uri(uri))


def open_store(uri: str | Path | None = None, *, token: Any = None, allow_self_approval: bool = True) -> Any:
    """A :class:`Store` for a folder or blob URI, or a :class:`~livecalc_lab.assumptions.sync.ServiceStore` for a URL.

    Parameters
    ----------
    uri : str or pathlib.Path, optional
        A folder, ``azure://container/prefix``, ``https://<account>.blob.core.windows.net/...``,
        or the service's ``https://host`` (``livecalc+https://`` also). Default: the
        configured store (:func:`store_settings`).
    token : str or callable, optional
        The service's bearer token (default ``$LIVECALC_TOKEN``).
    allow_self_approval : bool
        For a folder or blob store (see :class:`Store`).
    """
    text = str(uri) if uri is not None else store_settings().uri
    if _is_service(text):
        from livecalc_lab.assumptions.sync import ServiceStore

        return ServiceStore(text, token)
    return Store(text, allow_self_approval=allow_self_approval)


class Store:
    """Every version of named assumption sets, immutably (module docstring: layout, status, references).

    Parameters
    ----------
    path_or_uri : str or pathlib.Path, optional
        A local folder (created on the first save), or ``azure://container/prefix``
        (or the ``https://<account>.blob.core.windows.net/container/prefix`` URL);
        default: ``uri`` of ``[assumptions_store]``, else ``$LIVECALC_HOME/assumptions``.
    allow_self_approval : bool
        Whether the author of a version may approve it (default True: a personal
        store; the service passes its own rule).

    Raises
    ------
    AssumptionError
        ``path_or_uri`` is a service URL (use :func:`open_store`).
    """

    def __init__(self, path_or_uri: str | Path | None = None, *, allow_self_approval: bool = True):
        from livecalc_lab.assumptions._store_backends import BlobBackend, FolderBackend, is_blob_uri

        text = str(path_or_uri) if path_or_uri is not None else store_settings().uri
        if _is_service(text):
            raise AssumptionError(f"{text}: a service URL, not a store; use lc.assumptions.open_store(url) "
                                  "or lc.assumptions.push / pull")
        # A folder is made absolute: jobs record the store, and their workers may run elsewhere.
        self._backend: Any = BlobBackend(text) if is_blob_uri(text) else FolderBackend(Path(text).expanduser().absolute())
        self.uri = self._backend.label
        self.allow_self_approval = allow_self_approval
        self._records: dict[str, dict[str, Any]] = {}  # immutable files already read, by path
        self._sets: OrderedDict[str, AssumptionSet] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Store({self.uri!r})"

    # ---- reading -------------------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Names with at least one saved version, sorted."""
        return [n for n in self._backend.children("sets") if self._backend.list(f"sets/{n}/versions")]

    def versions(self, name: str) -> list[VersionInfo]:
        """Every version saved under ``name``, oldest first (empty for an unknown name).

        Raises
        ------
        AssumptionError
            ``name`` is not a valid name.
        """
        check_name(name)
        reviews = {}
        for path in self._backend.list(f"sets/{name}/reviews"):
            rec = self._record(path)
            if rec is not None:
                reviews[rec["version"]] = rec
        out = []
        for path in self._backend.list(f"sets/{name}/versions"):
            rec = self._record(path)
            if rec is None:
                continue
            info = VersionInfo(name=name, version=rec["version"], parent=rec.get("parent"), author=rec["author"],
                               created=rec["created"], message=rec.get("message", ""))
            review = reviews.get(info.version)
            if review is not None:
                info = replace(info, status=review["status"], reviewer=review["by"], reviewed_at=review["at"],
                               comment=review.get("comment", ""))
            out.append(info)
        return sorted(out, key=lambda i: (i.created, i.version))

    def resolve(self, ref: str | AssumptionRef) -> VersionInfo:
        """The version a reference names (``assumptions://NAME:VERSION``, ``:latest``, ``:draft``; ``NAME:...`` too).

        Raises
        ------
        VersionNotFound
            No such name or version, no approved version (``latest``) or no draft.
        AssumptionError
            A malformed reference, or a version prefix that matches several versions.
        """
        r = parse_ref(ref)
        return self._find(r.name, r.selector)

    def info(self, name: str, version: str) -> VersionInfo:
        """The version ``version`` (full, bare hex or a unique prefix; or ``latest`` / ``draft``) of ``name``."""
        return self.resolve(AssumptionRef(check_name(name), version if version in ("latest", "draft")
                                          else normal_version(version)))

    def has(self, name: str, version: str) -> bool:
        """Whether the full version ``version`` is saved under ``name``."""
        return self._record(self._version_path(name, normal_version(version))) is not None

    def get(self, ref: str | AssumptionRef) -> AssumptionSet:
        """The assumption set a reference names, checked against its version.

        The set's :attr:`~AssumptionSet.ref` is the concrete reference
        (``assumptions://NAME:sha256:...``), :attr:`~AssumptionSet.store` this store,
        and for a folder store :attr:`~AssumptionSet.path` the version's folder (which
        :func:`~livecalc_lab.assumptions.load_assumptions` also reads).

        Raises
        ------
        VersionNotFound, AssumptionError
            As :meth:`resolve`; or stored files that no longer hash to their version.
        """
        info = self.resolve(ref)
        out = copy.copy(self.load(info.version))
        out.ref, out.store = info.ref, self.uri
        out.parent_version = info.parent
        return out

    def load(self, version: str) -> AssumptionSet:
        """The stored content of ``version`` (a full ``sha256:<hex>``), whatever name holds it.

        Raises
        ------
        VersionNotFound
            The store does not hold it.
        AssumptionError
            Its files no longer hash to ``version``.
        """
        from livecalc_lab.assumptions.serial import read_files

        version = normal_version(version)
        with self._lock:
            hit = self._sets.get(version)
            if hit is not None:
                self._sets.move_to_end(version)
                return hit
        obj = self._object(version)
        if self._backend.read(f"{obj}/assumptions.json") is None:
            raise VersionNotFound(f"{self.uri}: holds no version {version}")
        aset = read_files(lambda rel: self._backend.read(f"{obj}/{rel}"), f"{self.uri} version {version[:19]}...",
                          expect_version=version)
        aset.path = self._backend.folder(obj)
        with self._lock:
            self._sets[version] = aset
            while len(self._sets) > _CACHED_SETS:
                self._sets.popitem(last=False)
        return aset

    def audit(self, name: str) -> list[AuditEvent]:
        """Every action on ``name``, oldest first."""
        check_name(name)
        out = []
        for path in self._backend.list(f"sets/{name}/audit"):
            rec = self._record(path)
            if rec is not None:
                out.append(AuditEvent(rec["at"], rec["who"], rec["action"], rec["name"], rec["version"],
                                      rec.get("detail", "")))
        return out

    # ---- writing -------------------------------------------------------------------------------------

    def save(self, assumption_set: Any, name: str, message: str = "", *, author: str | None = None,
             parent: str | None = None) -> str:
        """Save a set as a version of ``name`` (status ``draft``); returns its version.

        Parameters
        ----------
        assumption_set : AssumptionSet or str or pathlib.Path
            The set, or a folder holding one.
        name : str
            1-64 letters, digits, ``_ . -``.
        message : str
            Why it changed (kept with the version and in the audit log).
        author : str, optional
            Default: the OS user.
        parent : str, optional
            The version it derives from; default :attr:`AssumptionSet.parent_version`.

        Returns
        -------
        str
            ``sha256:<hex>``: the same for the same content in any store. Content
            already saved under ``name`` is not saved again (its version is returned).

        Raises
        ------
        AssumptionError
            An invalid name or set, or a message over 10,000 characters.
        """
        return self.add(assumption_set, name, message, author=author, parent=parent)[0].version

    def add(self, assumption_set: Any, name: str, message: str = "", *, author: str | None = None,
            parent: str | None = None) -> tuple[VersionInfo, bool]:
        """:meth:`save`, returning ``(version info, created)``: created is False for content ``name`` already had."""
        from livecalc_lab.assumptions.serial import set_files

        check_name(name)
        aset = as_assumption_set(assumption_set)
        if not isinstance(message, str) or len(message) > MAX_MESSAGE:
            raise AssumptionError(f"a save message is text of at most {MAX_MESSAGE:,} characters")
        parent = parent if parent is not None else aset.parent_version
        if parent is not None:
            parent = normal_version(parent)
        version = aset.version
        path = self._version_path(name, version)
        if self._record(path) is not None:
            return self._find(name, version), False
        self._backend.put_tree(self._object(version), set_files(aset, packaged_copies=True))
        author = author or _user()
        record = {"format": VERSION_FORMAT, "name": name, "version": version, "parent": parent, "author": author,
                  "created": _now(), "message": message}
        if not self._backend.create(path, _dumps(record)):
            return self._find(name, version), False  # saved at the same moment by someone else
        self._audit(name, version, author, "save", message)
        return VersionInfo(name, version, parent, author, record["created"], message), True

    def approve(self, name: str, version: str, *, by: str | None = None, comment: str = "") -> VersionInfo:
        """Approve a draft version (it can then be ``latest``).

        Parameters
        ----------
        name : str
        version : str
            The version (full, bare hex or a unique prefix); not ``latest`` or ``draft``:
            an approval names what was reviewed.
        by : str, optional
            The approver (default: the OS user).
        comment : str

        Returns
        -------
        VersionInfo
            With status ``approved``.

        Raises
        ------
        VersionNotFound
            No such version.
        VersionConflict
            The version was already approved or rejected (a review is final).
        AuthError
            ``by`` is the version's author and the store does not allow self-approval (status 403).
        """
        return self._review(name, version, "approved", by, comment)

    def reject(self, name: str, version: str, *, by: str | None = None, comment: str = "") -> VersionInfo:
        """Reject a draft version (it can never be ``latest``); as :meth:`approve`, authors may reject their own."""
        return self._review(name, version, "rejected", by, comment)

    def import_version(self, aset: AssumptionSet, info: VersionInfo, *, source: str,
                       by: str | None = None) -> tuple[VersionInfo, bool]:
        """Keep a version copied from elsewhere with its metadata (author, time, message, parent, review).

        What :func:`~livecalc_lab.assumptions.pull` does. A version already held is
        not copied again, but a review made at the source is added if this store
        has none.

        Returns
        -------
        (VersionInfo, bool)
            The version as held here, and whether it was new.

        Raises
        ------
        AssumptionError
            ``aset`` does not hash to ``info.version``.
        """
        from livecalc_lab.assumptions.serial import set_files

        check_name(info.name)
        if aset.version != info.version:
            raise AssumptionError(f"{source}: the set received hashes to {aset.version}, not {info.version}")
        by = by or _user()
        path = self._version_path(info.name, info.version)
        created = False
        if self._record(path) is None:
            self._backend.put_tree(self._object(info.version), set_files(aset, packaged_copies=True))
            record = {"format": VERSION_FORMAT, "name": info.name, "version": info.version, "parent": info.parent,
                      "author": info.author, "created": info.created, "message": info.message}
            created = self._backend.create(path, _dumps(record))
            if created:
                self._audit(info.name, info.version, by, "pull",
                            f"from {source}; saved there by {info.author} at {info.created}")
        if info.status != "draft" and self._record(self._review_path(info.name, info.version)) is None:
            review = {"format": REVIEW_FORMAT, "name": info.name, "version": info.version, "status": info.status,
                      "by": info.reviewer, "at": info.reviewed_at, "comment": info.comment}
            if self._backend.create(self._review_path(info.name, info.version), _dumps(review)):
                self._audit(info.name, info.version, by, "pull",
                            f"{info.status} by {info.reviewer} at {info.reviewed_at} on {source}")
        return self._find(info.name, info.version), created

    # ---- internals -----------------------------------------------------------------------------------

    def _review(self, name: str, version: str, status: str, by: str | None, comment: str) -> VersionInfo:
        if version in ("latest", "draft"):
            raise AssumptionError(f"name the version to {status[:-1]}, not {version!r}: a review is of one version")
        if not isinstance(comment, str) or len(comment) > MAX_MESSAGE:
            raise AssumptionError(f"a review comment is text of at most {MAX_MESSAGE:,} characters")
        info = self._find(check_name(name), normal_version(version))
        by = by or _user()
        if info.status != "draft":
            raise VersionConflict(f"{info.ref} was already {info.status} by {info.reviewer} at {info.reviewed_at}; "
                                  "a review is final (save and review a new version instead)")
        if status == "approved" and by == info.author and not self.allow_self_approval:
            raise AuthError(f"{info.ref} was saved by {by}, who may not approve it: another person must", status=403)
        at = _now()
        review = {"format": REVIEW_FORMAT, "name": name, "version": info.version, "status": status, "by": by,
                  "at": at, "comment": comment}
        if not self._backend.create(self._review_path(name, info.version), _dumps(review)):
            done = self._find(name, info.version)
            raise VersionConflict(f"{info.ref} was {done.status} by {done.reviewer} at {done.reviewed_at} "
                                  "while this review was made; a review is final")
        self._audit(name, info.version, by, "approve" if status == "approved" else "reject", comment)
        return replace(info, status=status, reviewer=by, reviewed_at=at, comment=comment)

    def _find(self, name: str, selector: str) -> VersionInfo:
        infos = self.versions(name)
        if not infos:
            raise VersionNotFound(f"{self.uri}: no assumption set named {name!r}")
        if selector == "latest":
            approved = [i for i in infos if i.status == "approved"]
            if not approved:
                raise VersionNotFound(f"{self.uri}: assumption set {name!r} has no approved version yet "
                                      f"({len(infos)} saved); 'latest' is the most recently approved one")
            return max(approved, key=lambda i: (i.reviewed_at or "", i.created, i.version))
        if selector == "draft":
            drafts = [i for i in infos if i.status == "draft"]
            if not drafts:
                raise VersionNotFound(f"{self.uri}: assumption set {name!r} has no draft: every version was reviewed")
            return drafts[-1]
        found = [i for i in infos if i.version.startswith(selector)]
        if not found:
            raise VersionNotFound(f"{self.uri}: assumption set {name!r} has no version {selector}")
        if len(found) > 1:
            raise AssumptionError(f"{self.uri}: {selector} names {len(found)} versions of {name!r}; give more digits")
        return found[0]

    def _record(self, path: str) -> dict[str, Any] | None:
        hit = self._records.get(path)
        if hit is not None:
            return hit
        data = self._backend.read(path)
        if data is None:
            return None
        try:
            rec = json.loads(data)
        except json.JSONDecodeError:
            rec = None
        if not isinstance(rec, dict):
            raise AssumptionError(f"{self.uri}/{path}: not a valid record")
        self._records[path] = rec  # records are never rewritten: safe to keep
        return rec

    def _audit(self, name: str, version: str, who: str, action: str, detail: str) -> None:
        rec = {"format": AUDIT_FORMAT, "at": _now(), "who": who, "action": action, "name": name,
               "version": version, "detail": detail}
        while not self._backend.create(f"sets/{name}/audit/{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.json",
                                       _dumps(rec)):
            pass  # a name collision (same nanosecond and id) is retried with a new name

    @staticmethod
    def _object(version: str) -> str:
        return f"objects/{version.split(':', 1)[1]}"

    @staticmethod
    def _version_path(name: str, version: str) -> str:
        return f"sets/{check_name(name)}/versions/{version.split(':', 1)[1]}.json"

    @staticmethod
    def _review_path(name: str, version: str) -> str:
        return f"sets/{name}/reviews/{version.split(':', 1)[1]}.json"


def _dumps(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, indent=1, ensure_ascii=False) + "\n").encode()


def resolve_ref(ref: str | AssumptionRef, store: Any = None) -> AssumptionSet:
    """The assumption set of a reference, from ``store`` or the configured stores.

    Without ``store``, the reference is resolved in the configured store
    (:func:`store_settings`); a name or version it does not hold is looked up in
    the configured service, if there is one.

    Raises
    ------
    VersionNotFound, AssumptionError
        As :meth:`Store.resolve`.
    """
    r = parse_ref(ref)
    if store is not None:
        return (open_store(store) if isinstance(store, (str, Path)) else store).get(r)
    settings = store_settings()
    try:
        return Store(settings.uri).get(r)
    except VersionNotFound:
        if settings.service is None:
            raise
    return open_store(settings.service).get(r)


def as_assumption_set(value: Any) -> AssumptionSet:
    """An AssumptionSet from ``None`` (the bundled set), a set, a reference or a folder.

    Raises
    ------
    TypeError
        Any other type.
    AssumptionError
        The folder or reference does not give a valid set.
    """
    if value is None:
        return demo_assumptions()
    if isinstance(value, AssumptionSet):
        return value
    if is_ref(value):
        return resolve_ref(value)
    if isinstance(value, (str, Path)):
        return load_assumptions(value)
    raise TypeError(f"assumptions must be None, a folder path, an assumptions://NAME:VERSION reference or an "
                    f"AssumptionSet, not {type(value).__name__}")
