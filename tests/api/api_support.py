"""Constants and helpers of the Data API tests (imported by name: ``conftest`` is ambiguous across folders)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

from _servers import ROOT

BOOK_ROWS = 20_000
ISSUER = AUDIENCE = "livecalc"
START_SECONDS = 60
MAX_SAMPLE = 50_000


def hs256(claims: dict[str, Any], key: bytes, header: dict[str, Any] | None = None) -> str:
    """A JWT signed with HMAC-SHA256 by hand (PyJWT refuses some keys a forger would try)."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps(header or {"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    sig = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


def service_env(folder: Path, secret: str | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LIVECALC_JWT_SECRET", "AZURE_STORAGE_CONNECTION_STRING")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env["LIVECALC_CACHE_DIR"] = str(folder / "cache")
    if secret is not None:
        env["LIVECALC_JWT_SECRET"] = secret
    env.update(extra or {})
    return env
