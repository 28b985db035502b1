"""Where the bytes of file-like datasets live: a local file or folder, a blob or a blob prefix.

A store lists the dataset's *parts* (one file, or the CSV/Parquet files of a
folder or prefix, in name order) and opens each as a seekable binary file. The
readers in ``_csv`` and ``_parquet`` see only these two operations, so local
files, Blob Storage and data lake folders share one reading path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from livecalc_lab.data._cache import cache_get, cache_put
from livecalc_lab.data.source import BlobLocation
from livecalc_lab.errors import DataError

__all__ = ["Part", "LocalStore", "BlobStore", "file_format", "DATA_SUFFIXES"]

DATA_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
_HASH_BLOCK = 8 << 20
_HEAD_TAIL = 64 << 10


@dataclass(frozen=True)
class Part:
    """One file of a dataset: its name within the dataset, size, change token and label for messages."""

    name: str
    size: int
    token: str
    label: str


def _is_data_name(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return not base.startswith(("_", ".")) and Path(base).suffix.lower() in DATA_SUFFIXES


def file_format(parts: list[Part], label: str) -> str:
    """``"csv"`` or ``"parquet"`` from the parts' suffixes (all parts must agree)."""
    if not parts:
        raise DataError(f"{label}: no .csv or .parquet files found")
    kinds = {DATA_SUFFIXES.get(Path(p.name).suffix.lower()) for p in parts}
    if None in kinds:
        suffix = Path(parts[0].name).suffix.lower()
        raise DataError(f"{label}: unknown file type {suffix!r}; expected .csv or .parquet")
    if len(kinds) > 1:
        raise DataError(f"{label}: mixes CSV and Parquet parts; a dataset has one format")
    return kinds.pop()


def _xxh3_128() -> Any:
    import xxhash

    return xxhash.xxh3_128()


class LocalStore:
    """A local file, or a folder whose ``.csv``/``.parquet`` files (recursively) are the parts."""

    kind = "local"

    def __init__(self, path: Path):
        self.path = path
        self.label = str(path)
        if path.is_file():
            self._root, self._names = path.parent, [path.name]
        elif path.is_dir():
            names = sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())
            self._root, self._names = path, [n for n in names if _is_data_name(n)]
        else:
            raise DataError(f"{path}: no such file")

    def parts(self) -> list[Part]:
        out = []
        for name in self._names:
            st = (self._root / name).stat()
            out.append(Part(name, st.st_size, f"{st.st_size}:{st.st_mtime_ns}", str(self._root / name)))
        return out

    def open(self, part: Part) -> BinaryIO:
        return open(self._root / part.name, "rb")

    def fingerprint(self, part: Part) -> str:
        """Cheap version for caches: size, mtime and an xxh3 hash of the first and last 64 KiB."""
        import xxhash

        h = xxhash.xxh3_64()
        with self.open(part) as f:
            h.update(f.read(_HEAD_TAIL))
            if part.size > 2 * _HEAD_TAIL:
                f.seek(part.size - _HEAD_TAIL)
                h.update(f.read())
        return f"{part.token}:{h.hexdigest()}"

    def content_hash(self, part: Part, known: str | None = None) -> str:
        """Full streaming xxh3-128 of the file, cached by :meth:`fingerprint`."""
        key = f"content-{_key(self.fingerprint(part))}"
        hit = cache_get(key)
        if hit is not None:
            return hit["hash"]
        if known is None:
            h = _xxh3_128()
            with self.open(part) as f:
                while block := f.read(_HASH_BLOCK):
                    h.update(block)
            known = f"xxh3:{h.hexdigest()}"
        cache_put(key, {"hash": known})
        return known


class BlobStore:
    """One blob, or the ``.csv``/``.parquet`` blobs below a prefix (a data lake folder).

    Parameters
    ----------
    loc : BlobLocation
        Account, container and path.
    credential : optional
        SAS token, account key or token credential; default from the environment.
    folder : bool
        Treat ``loc.path`` as a folder of parts (data lake) even without a trailing ``/``.
    snapshot : str, optional
        A dated sub-folder (data lake ``version``); default: the folder's parts,
        or its last sub-folder in name order when it holds only sub-folders.
    """

    kind = "blob"

    def __init__(self, loc: BlobLocation, credential: Any = None, *, folder: bool = False, snapshot: str | None = None, label: str = ""):
        from livecalc_lab._optional import require

        require("azure.storage.blob", "azure", "Azure Blob Storage")
        from azure.core.exceptions import AzureError

        from livecalc_lab.data._azure import azure_error, container_client

        self.loc = loc
        self.label = label or f"azure://{loc.container}/{loc.path}"
        self.client = container_client(loc, credential)
        self.snapshot = snapshot
        try:
            if folder or loc.path.endswith("/") or not loc.path:
                prefix = loc.path.rstrip("/") + "/" if loc.path.strip("/") else ""
                if snapshot is None:
                    snapshot = self._latest_snapshot(prefix)
                    self.snapshot = snapshot
                if snapshot is not None:
                    prefix += snapshot.strip("/") + "/"
                self.prefix = prefix
                self._blobs = [
                    b for b in self.client.list_blobs(name_starts_with=prefix) if _is_data_name(b.name[len(prefix):])
                ]
                if not self._blobs:
                    raise DataError(f"{self.label}: no .csv or .parquet blobs below {prefix or 'the container root'!r}")
            else:
                self.prefix = loc.path.rsplit("/", 1)[0] + "/" if "/" in loc.path else ""
                self._blobs = [self.client.get_blob_client(loc.path).get_blob_properties()]
        except AzureError as exc:
            if type(exc).__name__ == "ResourceNotFoundError":
                raise DataError(f"{self.label}: no such blob or container") from None
            raise azure_error(exc, self.label) from None
        self._blobs.sort(key=lambda b: b.name)

    def _latest_snapshot(self, prefix: str) -> str | None:
        direct, folders = False, []
        for item in self.client.walk_blobs(name_starts_with=prefix, delimiter="/"):
            rest = item.name[len(prefix):]
            if rest.endswith("/"):
                folders.append(rest.rstrip("/"))
            elif _is_data_name(rest):
                direct = True
        return None if direct or not folders else max(folders)

    def parts(self) -> list[Part]:
        return [
            Part(b.name[len(self.prefix):], b.size, b.etag.strip('"'), f"azure://{self.loc.container}/{b.name}")
            for b in self._blobs
        ]

    def open(self, part: Part) -> BinaryIO:
        from livecalc_lab.data._azure import BlobRangeReader

        client = self.client.get_blob_client(self.prefix + part.name)
        return BlobRangeReader(client, part.size, f'"{part.token}"', part.label)

    def fingerprint(self, part: Part) -> str:
        return f"{self.loc.account}/{self.loc.container}/{self.prefix}{part.name}@{part.token}"

    def content_hash(self, part: Part, known: str | None = None) -> str:
        return f"etag:{part.token}"


def _key(text: str) -> str:
    import xxhash

    return xxhash.xxh3_128_hexdigest(text.encode())


def store_version(store: LocalStore | BlobStore, parts: list[Part], hashes: dict[str, str] | None = None) -> str:
    """The content version of a dataset: one part's hash, or a hash of (name, hash) for several parts."""
    hashes = hashes or {}
    each = [hashes.get(p.name) or store.content_hash(p) for p in parts]
    snap = getattr(store, "snapshot", None)
    if len(parts) == 1 and snap is None:
        return each[0]
    joined = "\n".join(f"{p.name}\t{h}" for p, h in zip(parts, each))
    digest = f"parts:{_key(joined)}"
    return f"{snap}@{digest}" if snap else digest


def env_path(path: str) -> Path:
    """A user path with ``~`` expanded."""
    return Path(os.path.expanduser(path))
