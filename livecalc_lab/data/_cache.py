"""A small on-disk cache of dataset facts (CSV scans, content hashes), keyed by content version.

Entries are JSON files under ``$LIVECALC_CACHE_DIR`` (default
``$XDG_CACHE_HOME/livecalc-lab/data`` or ``~/.cache/livecalc-lab/data``). A key
always includes a version of the bytes it describes (size, mtime and a hash of
head and tail for local files; the ETag for blobs), so a stale entry is never
read. A cache that cannot be written is silently skipped: it only saves time.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["cache_get", "cache_put", "memo_get", "memo_put"]

_MEMO: dict[str, tuple[float, Any]] = {}


def cache_dir() -> Path:
    """The cache folder (not created)."""
    env = os.environ.get("LIVECALC_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "livecalc-lab" / "data"


def _path(key: str) -> Path:
    return cache_dir() / f"{key}.json"


def cache_get(key: str) -> dict[str, Any] | None:
    """The entry stored under ``key`` (memory first, then disk), or None."""
    hit = memo_get(key)
    if hit is not None:
        return hit
    try:
        value = json.loads(_path(key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    memo_put(key, value)
    return value


def cache_put(key: str, value: dict[str, Any]) -> None:
    """Store ``value`` under ``key`` in memory and, if possible, on disk (atomically)."""
    memo_put(key, value)
    try:
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(value, f, separators=(",", ":"))
        os.replace(tmp, _path(key))
    except OSError:
        pass


def memo_get(key: str, ttl: float | None = None) -> Any:
    """An in-process entry, or None when absent or older than ``ttl`` seconds."""
    hit = _MEMO.get(key)
    if hit is None or (ttl is not None and time.monotonic() - hit[0] > ttl):
        return None
    return hit[1]


def memo_put(key: str, value: Any) -> None:
    """Keep ``value`` in process memory under ``key``."""
    if len(_MEMO) > 256:
        _MEMO.clear()
    _MEMO[key] = (time.monotonic(), value)
