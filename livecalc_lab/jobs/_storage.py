"""Where job files live: a local path or a blob (``azure://container/path``, ``https://<account>.blob...``).

Writes are atomic: a local file is written under a temporary name in the same
folder and renamed over the final name; a blob is uploaded as uncommitted
blocks and appears, whole, when its block list is committed. A reader never
sees half a file, and writing the same name again replaces it.
"""

from __future__ import annotations

import base64
import os
import uuid
from pathlib import Path
from typing import Any, Iterator

from livecalc_lab.errors import JobError

__all__ = ["is_blob", "join", "write_bytes", "read_bytes", "exists", "delete", "list_names", "delete_prefix",
           "blob_url"]

_BLOCK = 4 << 20


def is_blob(uri: str) -> bool:
    """Whether ``uri`` names Blob Storage rather than a local path."""
    return uri.startswith(("azure://", "https://", "http://"))


def join(root: str, *names: str) -> str:
    """``root/name/...`` for a folder path or a blob prefix."""
    if is_blob(root):
        return "/".join([root.rstrip("/"), *names])
    return str(Path(root, *names))


def _blob(uri: str) -> Any:
    from livecalc_lab.data._azure import container_client
    from livecalc_lab.data.source import PolicySource

    loc = PolicySource.from_uri(uri).blob
    return container_client(loc).get_blob_client(loc.path)


def blob_url(uri: str) -> str:
    """The https (or Azurite http) URL of a blob URI, as Batch resource and output files name it."""
    return _blob(uri).url if is_blob(uri) else uri


def write_bytes(uri: str, data: bytes) -> None:
    """Write ``data`` to ``uri`` atomically (see the module docstring)."""
    if is_blob(uri):
        client = _blob(uri)
        ids = []
        for i in range(0, max(len(data), 1), _BLOCK):
            block_id = base64.b64encode(f"{uuid.uuid4().hex}{i // _BLOCK:08d}".encode()).decode()
            client.stage_block(block_id, data[i:i + _BLOCK])
            ids.append(block_id)
        client.commit_block_list(ids)
        return
    path = Path(uri)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def read_bytes(uri: str) -> bytes | None:
    """The bytes at ``uri``, or None if there is nothing there."""
    if is_blob(uri):
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return _blob(uri).download_blob().readall()
        except ResourceNotFoundError:
            return None
    try:
        return Path(uri).read_bytes()
    except FileNotFoundError:
        return None


def exists(uri: str) -> bool:
    if is_blob(uri):
        return bool(_blob(uri).exists())
    return Path(uri).exists()


def delete(uri: str) -> None:
    """Remove ``uri`` if it exists."""
    if is_blob(uri):
        from azure.core.exceptions import ResourceNotFoundError

        try:
            _blob(uri).delete_blob()
        except ResourceNotFoundError:
            pass
        return
    Path(uri).unlink(missing_ok=True)


def list_names(prefix: str) -> Iterator[str]:
    """URIs of the files below a folder path or blob prefix."""
    if is_blob(prefix):
        from livecalc_lab.data._azure import container_client
        from livecalc_lab.data.source import PolicySource

        loc = PolicySource.from_uri(prefix).blob
        cc = container_client(loc)
        base = prefix.rstrip("/")
        start = loc.path.rstrip("/") + "/"
        for b in cc.list_blobs(name_starts_with=start):
            yield base + "/" + b.name[len(start):]
        return
    root = Path(prefix)
    if root.is_dir():
        for p in sorted(root.rglob("*")):
            if p.is_file():
                yield str(p)


def delete_prefix(prefix: str) -> int:
    """Remove everything below a folder path or blob prefix; returns how many files went."""
    n = 0
    for uri in list(list_names(prefix)):
        delete(uri)
        n += 1
    if not is_blob(prefix) and Path(prefix).is_dir():
        import shutil

        shutil.rmtree(prefix, ignore_errors=True)
    return n


def check_writable(root: str) -> None:
    """Raise JobError if partials cannot be written below ``root`` (a quick probe)."""
    probe = join(root, f".probe-{uuid.uuid4().hex[:8]}")
    try:
        write_bytes(probe, b"")
        delete(probe)
    except Exception as exc:  # noqa: BLE001 - any storage failure is reported the same way
        raise JobError(f"cannot write job files below {root}: {type(exc).__name__}: {exc}") from None
