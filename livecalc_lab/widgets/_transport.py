"""Large payloads from the kernel to the browser, in comm messages of at most 2 MiB each.

A widget's state travels in one comm message per update, so anything that may
be large (the plotting library, an assumption table) is sent instead as a
*transfer*: the payload's bytes split into chunks, each chunk one custom
message whose binary buffer holds the bytes and whose JSON content says where
they belong::

    {"type": "chunk", "kind": "plotly", "transfer": "9f2c…", "index": 0, "count": 3,
     "total": 5242880, "meta": {...}}        # "meta" only on index 0

The front end (``Assembler`` in ``js/_shared.js``) collects the chunks of a
transfer in any order and hands over the whole payload once all ``count`` have
arrived. No message exceeds :data:`MAX_MESSAGE` bytes: the buffer of each chunk
holds at most :data:`CHUNK_BYTES` and its JSON content at most
:data:`HEADER_BUDGET`.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import numpy as np

__all__ = ["MAX_MESSAGE", "HEADER_BUDGET", "CHUNK_BYTES", "split", "message_size", "send"]

MAX_MESSAGE = 2 * 1024 * 1024  # bytes: the largest comm message a widget sends (content + buffers)
HEADER_BUDGET = 16 * 1024  # bytes kept for a chunk's JSON content (and the comm envelope around it)
CHUNK_BYTES = MAX_MESSAGE - HEADER_BUDGET  # payload bytes per message


def _as_bytes(payload: Any) -> memoryview:
    if isinstance(payload, np.ndarray):
        payload = np.ascontiguousarray(payload)
    view = memoryview(payload)
    return view.cast("B") if view.ndim != 1 or view.format != "B" else view


def split(kind: str, payload: Any, meta: dict[str, Any] | None = None, *, transfer: str | None = None,
          chunk_bytes: int = CHUNK_BYTES) -> list[tuple[dict[str, Any], list[memoryview]]]:
    """The messages of one transfer: ``[(content, [buffer]), ...]`` in order.

    Parameters
    ----------
    kind : str
        What the payload is (``"plotly"``, ``"table"``); the front end dispatches on it.
    payload : bytes, bytearray, memoryview or numpy.ndarray
        The bytes to send (an array is sent as its C-ordered bytes, native little-endian).
    meta : dict, optional
        JSON-ready description of the payload (dtype, shape, names), sent with chunk 0.
    transfer : str, optional
        The transfer's id (default: a random one).
    chunk_bytes : int
        Payload bytes per message, at most :data:`CHUNK_BYTES`.

    Returns
    -------
    list of (dict, list of memoryview)
        At least one message (an empty payload gives one empty chunk); the
        buffers are views of ``payload``, not copies.

    Raises
    ------
    ValueError
        ``chunk_bytes`` outside 1 .. CHUNK_BYTES, or ``meta`` too large for one message's JSON.
    """
    if not 1 <= chunk_bytes <= CHUNK_BYTES:
        raise ValueError(f"chunk_bytes={chunk_bytes} is outside 1 .. {CHUNK_BYTES}")
    data = _as_bytes(payload)
    total = data.nbytes
    count = max(1, -(-total // chunk_bytes))
    tid = transfer or uuid.uuid4().hex[:16]
    out = []
    for i in range(count):
        content: dict[str, Any] = {"type": "chunk", "kind": kind, "transfer": tid, "index": i, "count": count,
                                   "total": total}
        if i == 0:
            content["meta"] = meta or {}
            if len(json.dumps(content)) > HEADER_BUDGET // 2:
                raise ValueError(f"transfer {kind!r}: meta of {len(json.dumps(meta))} bytes of JSON is too large "
                                 f"(at most {HEADER_BUDGET // 2}); send it as payload")
        out.append((content, [data[i * chunk_bytes:(i + 1) * chunk_bytes]]))
    return out


def message_size(content: dict[str, Any], buffers: list[Any]) -> int:
    """Bytes of one message: its JSON content plus its binary buffers."""
    return len(json.dumps(content).encode()) + sum(memoryview(b).nbytes for b in buffers)


def send(widget: Any, kind: str, payload: Any, meta: dict[str, Any] | None = None, *,
         transfer: str | None = None) -> int:
    """Send ``payload`` to ``widget``'s front ends as one transfer (id ``transfer``, e.g. the id of the
    front end's request); returns the number of messages."""
    messages = split(kind, payload, meta, transfer=transfer)
    for content, buffers in messages:
        widget.send(content, buffers=buffers)
    return len(messages)
