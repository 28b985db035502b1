"""Where a store's files live: a local folder or an Azure Blob prefix, behind one small interface.

Both backends only ever *create* files: :meth:`create` writes a file that must not
exist yet (a local hard link of a complete temporary file; a blob upload with
``If-None-Match: *``), so two writers racing for one name cannot both succeed and
nothing is overwritten. :meth:`put_tree` writes a version's files so that a reader
never sees half of them: a local folder is renamed into place whole; under a blob
prefix every table goes first and the manifest last, and readers treat a version
without its manifest as absent.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any, Mapping

from livecalc_lab.assumptions.assumption_set import MANIFEST

__all__ = ["FolderBackend", "BlobBackend", "is_blob_uri"]


def is_blob_uri(uri: str) -> bool:
    """``azure://container/prefix`` or ``https://<account>.blob.core.windows.net/container/prefix``."""
    if uri.startswith("azure://"):
        return True
    if uri.startswith("https://"):
        host = uri[len("https://"):].split("/", 1)[0].lower()
        return host.endswith((".blob.core.windows.net", ".dfs.core.windows.net"))
    return False


class FolderBackend:
    """A store below a local folder (created on the first write)."""

    def __init__(self, root: Path):
        self.root = root
        self.label = str(root)

    def read(self, rel: str) -> bytes | None:
        try:
            return (self.root / rel).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def create(self, rel: str, data: bytes) -> bool:
        """Write ``rel`` if it does not exist; False (and nothing written) if it does."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # atomic, and fails if the name exists
            return True
        except FileExistsError:
            return False
        except OSError:  # a file system without hard links: exclusive creation, then the bytes
            try:
                with open(path, "xb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                return True
            except FileExistsError:
                return False
        finally:
            tmp.unlink()

    def put_tree(self, rel: str, files: Mapping[str, bytes]) -> bool:
        """Write a version's files as the folder ``rel``, whole; False if it is already there."""
        from livecalc_lab.assumptions.serial import write_folder

        return write_folder(self.root / rel, files)

    def list(self, prefix: str) -> list[str]:
        """Relative paths of the files below ``prefix``, sorted (temporary files left out)."""
        base = self.root / prefix
        if not base.is_dir():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in base.rglob("*")
                      if p.is_file() and not p.name.endswith(".tmp"))

    def children(self, prefix: str) -> list[str]:
        """Names of the folders directly below ``prefix``, sorted."""
        base = self.root / prefix
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))

    def folder(self, rel: str) -> Path | None:
        """The local folder of ``rel``."""
        return self.root / rel


class BlobBackend:
    """A store below an Azure Blob prefix (the container is created on the first write if missing).

    Credentials as for datasets (:mod:`livecalc_lab.data._azure`):
    ``AZURE_STORAGE_CONNECTION_STRING`` (also Azurite), or the account URL with azure-identity.
    """

    def __init__(self, uri: str):
        from livecalc_lab.data.source import PolicySource

        self.label = uri.rstrip("/")
        self.loc = PolicySource.from_uri(self.label).blob
        self.prefix = self.loc.path.strip("/")

    def _name(self, rel: str) -> str:
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def _container(self) -> Any:
        from livecalc_lab.data._azure import container_client

        return container_client(self.loc)

    def _error(self, exc: Exception, rel: str) -> Exception:
        from livecalc_lab.data._azure import azure_error

        return azure_error(exc, f"{self.label}/{rel}")

    def read(self, rel: str) -> bytes | None:
        from azure.core.exceptions import AzureError, ResourceNotFoundError

        try:
            return self._container().get_blob_client(self._name(rel)).download_blob().readall()
        except ResourceNotFoundError:
            return None
        except AzureError as exc:
            raise self._error(exc, rel) from None

    def create(self, rel: str, data: bytes) -> bool:
        """Upload ``rel`` with ``If-None-Match: *``; False if the blob exists (nothing is overwritten)."""
        from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError

        blob = self._container().get_blob_client(self._name(rel))
        for attempt in (1, 2):
            try:
                blob.upload_blob(data, overwrite=False)
                return True
            except ResourceExistsError:
                return False
            except ResourceNotFoundError as exc:  # the container does not exist yet
                if attempt == 2 or getattr(exc, "error_code", None) != "ContainerNotFound":
                    raise self._error(exc, rel) from None
                try:
                    self._container().create_container()
                except ResourceExistsError:
                    pass
            except AzureError as exc:
                raise self._error(exc, rel) from None
        raise AssertionError("unreachable")

    def put_tree(self, rel: str, files: Mapping[str, bytes]) -> bool:
        """Every file but the manifest, then the manifest (a version is there once its manifest is)."""
        if self.read(f"{rel}/{MANIFEST}") is not None:
            return False
        for name, data in files.items():
            if name != MANIFEST:
                self.create(f"{rel}/{name}", data)  # an existing file holds the same bytes: names are content hashes
        return self.create(f"{rel}/{MANIFEST}", files[MANIFEST])

    def list(self, prefix: str) -> list[str]:
        from azure.core.exceptions import AzureError, ResourceNotFoundError

        start = self._name(prefix).rstrip("/") + "/"
        cut = len(self._name(""))
        try:
            return sorted(b.name[cut:] for b in self._container().list_blobs(name_starts_with=start))
        except ResourceNotFoundError:
            return []
        except AzureError as exc:
            raise self._error(exc, prefix) from None

    def children(self, prefix: str) -> list[str]:
        from azure.core.exceptions import AzureError, ResourceNotFoundError

        start = self._name(prefix).rstrip("/") + "/"
        try:
            found = self._container().walk_blobs(name_starts_with=start, delimiter="/")
            return sorted(b.name[len(start):].rstrip("/") for b in found if b.name.endswith("/"))
        except ResourceNotFoundError:
            return []
        except AzureError as exc:
            raise self._error(exc, prefix) from None

    def folder(self, rel: str) -> Path | None:
        return None
