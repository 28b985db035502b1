"""Upload a local file to Azure Blob Storage in blocks, resuming after an interruption.

The file is sent as 4 MiB blocks (Put Block) and committed once (Put Block
List), so a half-finished upload never shows as a blob. Block ids have one
fixed width (Azure requires equal lengths): ``<file tag>-<index, 8 digits>``,
where the tag is a hash of the file's size, mtime and head/tail bytes. On a
second attempt the blob's *uncommitted* blocks are listed, and a block whose id
and size match is not sent again; a changed file gets a new tag, so stale blocks
are never reused. Each block is sent with an MD5 checked by the service, and the
committed blob carries the file's SHA-256 in its metadata (``sha256``).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from livecalc_lab.data.source import PolicySource, split_credentials
from livecalc_lab.errors import DataError

__all__ = ["upload", "UploadResult", "BLOCK_SIZE"]

BLOCK_SIZE = 4 << 20
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class UploadResult:
    """What :func:`upload` did.

    Attributes
    ----------
    uri : str
        Destination (without credentials).
    bytes : int
        File size.
    blocks : int
        Blocks in the committed blob.
    sent : int
        Blocks sent by this call (``blocks - sent`` were already staged).
    sha256 : str
        Hex SHA-256 of the file (and so of the blob).
    etag : str
        ETag of the committed blob.
    """

    uri: str
    bytes: int
    blocks: int
    sent: int
    sha256: str
    etag: str

    @property
    def resumed(self) -> bool:
        """True when some blocks were already staged by an earlier, interrupted call."""
        return self.sent < self.blocks


def _file_tag(path: Path, size: int) -> str:
    import xxhash

    st = path.stat()
    h = xxhash.xxh3_64()
    h.update(f"{size}:{st.st_mtime_ns}".encode())
    with open(path, "rb") as f:
        h.update(f.read(1 << 16))
        if size > 1 << 17:
            f.seek(size - (1 << 16))
            h.update(f.read())
    return h.hexdigest()


def block_id(tag: str, index: int) -> str:
    """The id of block ``index`` of a file tagged ``tag`` (fixed width)."""
    return f"{tag}-{index:08d}"


def upload(
    local_path: str | os.PathLike[str],
    uri: str,
    *,
    credential: Any = None,
    block_size: int = BLOCK_SIZE,
    progress: bool | Progress = False,
    overwrite: bool = False,
) -> UploadResult:
    """Stream ``local_path`` to the blob ``uri`` in blocks, resuming where an earlier attempt stopped.

    Parameters
    ----------
    local_path : path
        The file to send.
    uri : str
        ``azure://container/name`` or ``https://<account>.blob.core.windows.net/container/name``
        (a SAS token in the query is used as the credential).
    credential : optional
        SAS token, account key or token credential; default from the environment
        (see :mod:`livecalc_lab.data._azure`).
    block_size : int
        Bytes per block (4 MiB; at most 4,000 MiB, and at most 50,000 blocks).
    progress : bool or callable
        True draws a progress bar on stderr; a callable is called as
        ``progress(bytes_done, bytes_total)`` after each block.
    overwrite : bool
        Replace an existing blob with different content. An existing blob with
        the same SHA-256 is left as is.

    Returns
    -------
    UploadResult

    Raises
    ------
    DataError
        No such file, an existing different blob without ``overwrite``, or a
        storage error.
    """
    from azure.core.exceptions import AzureError, ResourceNotFoundError
    from azure.storage.blob import BlobBlock

    from livecalc_lab.data._azure import azure_error, container_client

    path = Path(local_path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    clean, secret = split_credentials(uri)
    src = PolicySource.from_uri(clean)
    if src.type not in ("blob", "dataLake"):
        raise DataError(f"{clean}: upload needs an azure:// or https://<account>.blob... destination")
    loc = src.blob
    if not loc.path or loc.path.endswith("/"):
        raise DataError(f"{clean}: name the blob, e.g. azure://{loc.container}/{path.name}")
    if not 0 < block_size <= 4000 << 20:
        raise DataError(f"block_size must be in (0, 4000 MiB], not {block_size}")
    size = path.stat().st_size
    n_blocks = -(-size // block_size)
    if n_blocks > 50_000:
        raise DataError(f"{path}: {n_blocks:,} blocks of {block_size:,} bytes exceed Azure's 50,000; raise block_size")
    blob = container_client(loc, credential if credential is not None else secret).get_blob_client(loc.path)
    tag = _file_tag(path, size)
    report = _progress_reporter(progress, path.name, size)
    ids = [block_id(tag, i) for i in range(n_blocks)]
    sizes = [min(block_size, size - i * block_size) for i in range(n_blocks)]
    try:
        committed, staged = _block_lists(blob, ResourceNotFoundError)
        props = _properties(blob, ResourceNotFoundError)
        if props is not None:
            if committed == list(zip(ids, sizes)) and props.metadata.get("sha256"):
                return UploadResult(clean, size, n_blocks, 0, props.metadata["sha256"], str(props.etag).strip('"'))
            if not overwrite:
                raise DataError(f"{clean}: a different blob exists there; pass overwrite=True (--overwrite) to replace it")
        sha = hashlib.sha256()
        sent = 0
        with open(path, "rb") as f:
            for i, bid in enumerate(ids):
                data = f.read(block_size)
                sha.update(data)
                if staged.get(bid) != len(data):
                    blob.stage_block(bid, data, length=len(data), validate_content=True)
                    sent += 1
                report(i * block_size + len(data), size)
        digest = sha.hexdigest()
        done = blob.commit_block_list([BlobBlock(block_id=b) for b in ids], metadata={"sha256": digest})
    except AzureError as exc:
        raise azure_error(exc, clean) from None
    finally:
        report(-1, size)
    return UploadResult(clean, size, n_blocks, sent, digest, str(done.get("etag", "")).strip('"'))


def _block_lists(blob: Any, not_found: type[Exception]) -> tuple[list[tuple[str, int]], dict[str, int]]:
    """``([(id, size)] committed in order, {id: size} uncommitted)``; empty when the blob does not exist."""
    try:
        committed, uncommitted = blob.get_block_list("all")
    except not_found:
        return [], {}
    return [(b.id, b.size) for b in committed], {b.id: b.size for b in uncommitted}


def _properties(blob: Any, not_found: type[Exception]) -> Any:
    """The committed blob's properties, or None."""
    try:
        return blob.get_blob_properties()
    except not_found:
        return None


def _progress_reporter(progress: bool | Progress, name: str, total: int) -> Progress:
    """A ``(done, total)`` callback; ``done = -1`` closes a progress bar."""
    if callable(progress):
        user = progress
        return lambda done, tot: user(done, tot) if done >= 0 else None
    if not progress:
        return lambda done, tot: None
    from rich.progress import BarColumn, DownloadColumn, Progress as Bar, TransferSpeedColumn
    from rich.console import Console

    bar = Bar("[progress.description]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(),
              console=Console(stderr=True), transient=False)
    task = bar.add_task(f"upload {name}", total=total)
    bar.start()

    def report(done: int, tot: int) -> None:
        if done < 0:
            bar.stop()
        else:
            bar.update(task, completed=done)

    return report
