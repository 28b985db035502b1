"""Constants and helpers of the Data API tests (imported by name: ``conftest`` is ambiguous across folders)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from _servers import service_env  # noqa: F401 - re-exported for the tests that import it from here

BOOK_ROWS = 20_000
ISSUER = AUDIENCE = "livecalc"
START_SECONDS = 60
MAX_SAMPLE = 50_000
OLDER_FILTER = "age_at_entry >= 40"  # the service-side filter of the dataset ``older``


def hs256(claims: dict[str, Any], key: bytes, header: dict[str, Any] | None = None) -> str:
    """A JWT signed with HMAC-SHA256 by hand (PyJWT refuses some keys a forger would try)."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps(header or {"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    sig = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"
