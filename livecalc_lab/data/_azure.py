"""Azure Blob Storage plumbing: clients from a location, and a range-reading file object.

The account and credential come from, in order: a ``credential`` passed to
:func:`livecalc_lab.open_dataset` (a SAS token, an account key or a token
credential) with the URL's account; ``AZURE_STORAGE_CONNECTION_STRING`` (which
also serves the Azurite emulator); or the account URL (from the URI, or
``AZURE_STORAGE_ACCOUNT_URL`` / ``AZURE_STORAGE_ACCOUNT``) with azure-identity's
``DefaultAzureCredential``. ``azure-storage-blob`` and ``azure-identity`` are
imported here only (extra ``livecalc-lab[azure]``).
"""

from __future__ import annotations

import io
import os
from typing import Any

from livecalc_lab.data.source import BlobLocation
from livecalc_lab.errors import DataError

__all__ = ["container_client", "BlobRangeReader", "azure_error"]

_CLIENTS: dict[tuple[Any, ...], Any] = {}


def _import_blob() -> Any:
    try:
        import azure.storage.blob as blob
    except ImportError:  # pragma: no cover - depends on the install
        raise DataError("Azure sources need azure-storage-blob: pip install 'livecalc-lab[azure]'") from None
    return blob


def _conn_account(conn: str) -> str | None:
    fields = dict(p.split("=", 1) for p in conn.split(";") if "=" in p)
    if fields.get("UseDevelopmentStorage", "").lower() == "true":
        return "devstoreaccount1"
    return fields.get("AccountName")


def container_client(loc: BlobLocation, credential: Any = None) -> Any:
    """A ``ContainerClient`` for ``loc`` (cached per account, container and credential)."""
    blob = _import_blob()
    conn = os.environ.get("AZURE_STORAGE_CONNECTION_STRING")
    key = (loc.account_url, loc.account, loc.container, id(credential) if credential is not None else None, conn)
    if key in _CLIENTS:
        return _CLIENTS[key]
    if credential is None and conn and (loc.account is None or loc.account == _conn_account(conn)):
        service = blob.BlobServiceClient.from_connection_string(conn)
    else:
        url = loc.account_url or os.environ.get("AZURE_STORAGE_ACCOUNT_URL")
        if url is None and os.environ.get("AZURE_STORAGE_ACCOUNT"):
            url = f"https://{os.environ['AZURE_STORAGE_ACCOUNT']}.blob.core.windows.net"
        if url is None:
            raise DataError(
                f"no storage account for container {loc.container!r}: set AZURE_STORAGE_CONNECTION_STRING, or "
                "AZURE_STORAGE_ACCOUNT_URL, or use an https://<account>.blob.core.windows.net/... URL"
            )
        if credential is None:
            if conn:
                raise DataError(
                    f"AZURE_STORAGE_CONNECTION_STRING is for account {_conn_account(conn)!r}, not {loc.account!r}"
                )
            try:
                from azure.identity import DefaultAzureCredential
            except ImportError:  # pragma: no cover
                raise DataError("token credentials need azure-identity: pip install 'livecalc-lab[azure]'") from None
            credential = DefaultAzureCredential()
        service = blob.BlobServiceClient(url, credential=credential)
    client = service.get_container_client(loc.container)
    _CLIENTS[key] = client
    return client


def azure_error(exc: Exception, where: str) -> DataError:
    """A DataError for an Azure SDK error, without the response dump."""
    code = getattr(exc, "error_code", None) or type(exc).__name__
    status = getattr(exc, "status_code", None)
    msg = str(getattr(exc, "reason", "") or "").strip() or str(exc).splitlines()[0]
    return DataError(f"{where}: {code}{f' (HTTP {status})' if status else ''}: {msg}")


class BlobRangeReader(io.RawIOBase):
    """A read-only, seekable file over one blob version: every read is an HTTP range GET.

    Reads are conditional on the ETag seen when the reader was opened, so a blob
    replaced while it is being read fails loudly instead of mixing versions.
    ``requests`` and ``bytes_read`` count the traffic (tests use them to check
    that metadata reads only the Parquet footer).
    """

    def __init__(self, blob_client: Any, size: int, etag: str, label: str):
        super().__init__()
        self._blob = blob_client
        self._size = size
        self._etag = etag
        self._pos = 0
        self.label = label
        self.requests = 0
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(base + offset, 0)
        return self._pos

    def size(self) -> int:
        return self._size

    def read_range(self, offset: int, length: int) -> bytes:
        """``length`` bytes from ``offset`` (fewer at the end of the blob)."""
        length = max(min(length, self._size - offset), 0)
        if length == 0:
            return b""
        from azure.core import MatchConditions
        from azure.core.exceptions import AzureError

        try:
            data = self._blob.download_blob(
                offset=offset, length=length, etag=self._etag, match_condition=MatchConditions.IfNotModified
            ).readall()
        except AzureError as exc:
            raise azure_error(exc, f"{self.label} (reading bytes {offset:,}-{offset + length:,})") from None
        self.requests += 1
        self.bytes_read += len(data)
        return data

    def readinto(self, b: Any) -> int:
        data = self.read_range(self._pos, len(b))
        n = len(data)
        b[:n] = data
        self._pos += n
        return n

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self._size - self._pos
        data = self.read_range(self._pos, size)
        self._pos += len(data)
        return data
