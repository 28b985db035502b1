"""Where policy data lives: :class:`PolicySource`, immutable and serialisable.

A PolicySource names a dataset — its storage type, a URI without secrets, an
optional version and filter, and the reader options — and nothing else. It
travels to workers and into result provenance as JSON, so it never holds a
credential: connection strings, SAS tokens, account keys and passwords come from
the environment (``AZURE_STORAGE_CONNECTION_STRING``, ``PGPASSWORD``, azure-identity)
or are passed to :func:`livecalc_lab.open_dataset` separately.

URIs understood by :meth:`PolicySource.from_uri`:

=================================================  ============  ===========================
URI                                                type          location
=================================================  ============  ===========================
``/data/policies.csv``, ``policies.parquet``        ``local``     a file, or a folder of parts
``file:///data/policies.parquet``                   ``local``
``azure://container/path/policies.parquet``         ``blob``      account from the environment
``https://<account>.blob.core.windows.net/c/p``     ``blob``      account from the URL
``abfss://container@<account>.dfs.core.windows.net/folder``  ``dataLake``  Parquet parts below folder
``adl://container@<account>.../folder``             ``dataLake``  (as abfss)
``postgresql://user@host:5432/db``                  ``database``  option ``table``
``sqlite:///relative.db``, ``sqlite:////abs.db``    ``database``  option ``table``
=================================================  ============  ===========================
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from livecalc_lab.errors import DataError

__all__ = ["SOURCE_TYPES", "PolicySource", "BlobLocation", "split_credentials"]

SOURCE_TYPES = ("local", "blob", "dataLake", "database")
SECRET_OPTIONS = frozenset(
    {"password", "credential", "account_key", "sas_token", "connection_string", "token", "secret"}
)
# Query parameters of a SAS token (any one of them marks the query as a credential).
_SAS_KEYS = frozenset({"sig", "sv", "se", "sp", "st", "spr", "srt", "ss", "sr", "skoid", "sktid"})
_JSON_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class BlobLocation:
    """A blob or a blob prefix: ``account_url`` (None: from the environment), ``container``, ``path``."""

    account_url: str | None
    account: str | None
    container: str
    path: str


@dataclass(frozen=True, repr=False)
class PolicySource:
    """An immutable, credential-free description of a policy dataset.

    Parameters
    ----------
    type : {"local", "blob", "dataLake", "database"}
        Storage type.
    uri : str
        Location (see the module docstring); it must not carry a password or
        SAS token — use :func:`livecalc_lab.open_dataset`, which splits them off.
    version : str, optional
        Content version to read: for ``dataLake`` the dated folder (snapshot)
        below the URI's folder; for ``database`` a user-given label of the data
        (``None`` means unversioned); for files and blobs a version to check
        against (reading fails if the data's version differs).
    filter : str, optional
        A SQL-like boolean expression over columns, e.g. ``"region = 'UK' AND age_at_entry >= 40"``
        (see :mod:`livecalc_lab.data.filter`).
    options : mapping of str to JSON scalars
        Reader options: ``table`` (database), ``delimiter``, ``decimal``,
        ``thousands``, ``encoding``, ``date_format``, ``valuation_date``,
        ``age_basis`` (see :class:`livecalc_lab.data.schema.ReadOptions`).

    Raises
    ------
    DataError
        Unknown type, a URI that does not suit the type, a credential in the
        URI or options, or an option value that is not a JSON scalar.

    Examples
    --------
    >>> src = PolicySource.from_uri("azure://policies/2026-Q1.parquet", filter="region = 'UK'")
    >>> src.type
    'blob'
    >>> PolicySource.from_json(src.to_json()) == src
    True
    """

    type: str
    uri: str
    version: str | None = None
    filter: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in SOURCE_TYPES:
            raise DataError(f"unknown source type {self.type!r}; expected one of {', '.join(SOURCE_TYPES)}")
        if not isinstance(self.uri, str) or not self.uri:
            raise DataError(f"source uri must be a non-empty string, not {self.uri!r}")
        for name in ("version", "filter"):
            v = getattr(self, name)
            if v is not None and not isinstance(v, str):
                raise DataError(f"source {name} must be a string or None, not {type(v).__name__}")
        opts = dict(self.options)
        for k, v in opts.items():
            if k.lower() in SECRET_OPTIONS:
                raise DataError(
                    f"source option {k!r} is a credential; pass it to open_dataset(credential=...) "
                    "or through the environment, never in a PolicySource"
                )
            if not isinstance(v, _JSON_SCALARS):
                raise DataError(f"source option {k!r} must be a string, number, boolean or None, not {type(v).__name__}")
        clean, secret = split_credentials(self.uri)
        if secret is not None:
            raise DataError(
                f"source uri {clean!r} carries a credential; open it with lc.open_dataset(uri), which keeps the "
                "credential out of the source, or set it in the environment"
            )
        object.__setattr__(self, "options", MappingProxyType(dict(sorted(opts.items()))))
        inferred = _infer_type(self.uri)
        if inferred != self.type and not (self.type == "dataLake" and inferred == "blob"):
            raise DataError(f"source uri {self.uri!r} is a {inferred} location, not {self.type}")

    # ---- construction -------------------------------------------------------------------------

    @classmethod
    def from_uri(cls, uri: str | Path, *, version: str | None = None, filter: str | None = None, **options: Any) -> "PolicySource":
        """A source whose type is inferred from ``uri`` (see the module docstring)."""
        text = str(uri)
        return cls(_infer_type(text), text, version=version, filter=filter, options=options)

    def replace(self, **changes: Any) -> "PolicySource":
        """A copy with some fields changed (``options`` merged into the existing ones)."""
        d = self.to_dict()
        if "options" in changes:
            d["options"] = {**d["options"], **changes.pop("options")}
        d.update(changes)
        return PolicySource.from_dict(d)

    # ---- serialisation ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """``{"type", "uri", "version", "filter", "options"}`` as plain JSON-ready values."""
        return {
            "type": self.type,
            "uri": self.uri,
            "version": self.version,
            "filter": self.filter,
            "options": dict(self.options),
        }

    def to_json(self) -> str:
        """Canonical JSON (sorted keys, no spaces): equal sources give equal strings."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "PolicySource":
        """Inverse of :meth:`to_dict`."""
        unknown = set(d) - {"type", "uri", "version", "filter", "options"}
        if unknown:
            raise DataError(f"unknown PolicySource field(s): {', '.join(sorted(unknown))}")
        return cls(d["type"], d["uri"], d.get("version"), d.get("filter"), d.get("options") or {})

    @classmethod
    def from_json(cls, text: str) -> "PolicySource":
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))

    def __hash__(self) -> int:
        return hash(self.to_json())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PolicySource) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        parts = [f"{self.type!r}", f"{self.uri!r}"]
        if self.version is not None:
            parts.append(f"version={self.version!r}")
        if self.filter is not None:
            parts.append(f"filter={self.filter!r}")
        if self.options:
            parts.append(f"options={dict(self.options)!r}")
        return f"PolicySource({', '.join(parts)})"

    # ---- locations ----------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        """The local file or folder (``local`` sources only)."""
        if self.type != "local":
            raise DataError(f"{self.uri}: not a local source")
        if self.uri.startswith("file:"):
            parts = urlsplit(self.uri)
            return Path(unquote(parts.path))
        return Path(self.uri)

    @property
    def blob(self) -> BlobLocation:
        """Account, container and path of a ``blob`` or ``dataLake`` source."""
        return _blob_location(self.uri)


def _infer_type(uri: str) -> str:
    scheme = urlsplit(uri).scheme.lower() if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", uri) else ""
    if scheme in ("", "file"):
        return "local"
    if scheme in ("azure", "az"):
        return "blob"
    if scheme in ("https", "http"):
        host = urlsplit(uri).hostname or ""
        if ".blob." in host or host in ("127.0.0.1", "localhost"):
            return "blob"
        if ".dfs." in host:
            return "dataLake"
        raise DataError(f"{uri}: an http(s) URL must name an Azure blob endpoint (<account>.blob.core.windows.net)")
    if scheme in ("abfss", "abfs", "adl"):
        return "dataLake"
    if scheme.split("+")[0] in ("postgresql", "postgres", "sqlite"):
        return "database"
    raise DataError(f"{uri}: unknown URI scheme {scheme!r}")


def _blob_location(uri: str) -> BlobLocation:
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    segs = unquote(parts.path).lstrip("/")
    if scheme in ("azure", "az"):
        if not parts.netloc:
            raise DataError(f"{uri}: expected azure://container/path")
        return BlobLocation(None, None, parts.netloc, segs)
    if scheme in ("https", "http"):
        host = parts.hostname or ""
        if host in ("127.0.0.1", "localhost"):  # emulator style: /account/container/path
            account, _, rest = segs.partition("/")
            container, _, path = rest.partition("/")
            return BlobLocation(f"{scheme}://{parts.netloc}/{account}", account, container, path)
        account = host.split(".")[0]
        container, _, path = segs.partition("/")
        return BlobLocation(f"https://{host.replace('.dfs.', '.blob.')}", account, container, path)
    if scheme in ("abfss", "abfs", "adl"):
        if "@" in parts.netloc:  # container@account.dfs.core.windows.net/folder
            container, _, host = parts.netloc.partition("@")
            path = segs
        else:  # account.host/container/folder
            host = parts.netloc
            container, _, path = segs.partition("/")
        account = host.split(".")[0] or None
        url = f"https://{account}.blob.core.windows.net" if account and "." in host else None
        return BlobLocation(url, account, container, path)
    raise DataError(f"{uri}: not a blob or data lake URI")


def split_credentials(uri: str) -> tuple[str, str | None]:
    """Split a secret off ``uri``: ``(uri without it, secret or None)``.

    A password in the authority (``postgresql://user:pw@host/db``) and a SAS
    token in the query of an https blob URL are secrets; the returned URI keeps
    everything else.

    Examples
    --------
    >>> split_credentials("postgresql://actuary:s3cret@127.0.0.1:5432/book")
    ('postgresql://actuary@127.0.0.1:5432/book', 's3cret')
    """
    parts = urlsplit(uri)
    if not parts.scheme or "://" not in uri:
        return uri, None
    secret = None
    netloc = parts.netloc
    query = parts.query
    if parts.password is not None:
        secret = unquote(parts.password)
        userinfo, _, hostport = netloc.rpartition("@")
        netloc = f"{userinfo.partition(':')[0]}@{hostport}"
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(k.lower() in _SAS_KEYS for k, _ in pairs):
            secret = query
            query = ""
        elif any(k.lower() in SECRET_OPTIONS for k, _ in pairs):
            raise DataError(f"{urlunsplit(parts._replace(query=''))}: a credential in the URI query is not accepted")
    if secret is None:
        return uri, None
    return urlunsplit(parts._replace(netloc=netloc, query=query)), secret
