"""A real Data API for the tests: ``livecalc serve`` in a subprocess on 127.0.0.1, on a free port.

The session's service registers a 20,000-policy Parquet file (``book``), the same file as a blob
in Azurite (``blob``; left out, and its tests skipped, only when Azurite cannot start), the
bundled CSV portfolio (``demo``), a dataset readable with an extra scope (``restricted``), the
book with a service-side filter (``older``: ``OLDER_FILTER``) and an assumption-set folder
(``basis``). It accepts HS256 tokens signed with a test secret, RS256 tokens signed by a key
whose public half is a PEM file, and RS256/ES256 tokens whose keys are in a JWKS file, chosen
by ``kid``. ``start_service`` starts further services from other configurations.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest

from _servers import start_livecalc_service, stop_group

from api_support import AUDIENCE, BOOK_ROWS, ISSUER, MAX_SAMPLE, OLDER_FILTER, START_SECONDS, hs256, service_env  # noqa: F401


@dataclass
class Service:
    """A running service and the means to call it."""

    url: str
    secret: str
    folder: Path
    log: Path
    keys: dict[str, Any] = field(default_factory=dict)  # "rsa" (PEM), "rsa-jwks", "ec-jwks": private keys
    local: dict[str, str] = field(default_factory=dict)  # dataset id -> what lc.open_dataset opens in-process

    def token(self, scopes: tuple[str, ...] | list[str] = ("datasets:read",), *, alg: str = "HS256",
              key: Any = None, kid: str | None = None, **claims: Any) -> str:
        """A token with the given scopes; other claims overridden (or dropped with None)."""
        import jwt

        now = int(time.time())
        body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "tester", "iat": now, "nbf": now, "exp": now + 300,
                "scope": " ".join(scopes)}
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        if key is None:
            key = self.secret if alg == "HS256" else self.keys["rsa" if alg == "RS256" else "ec-jwks"]
        headers = {"kid": kid} if kid else None
        return jwt.encode(body, key, algorithm=alg, headers=headers)

    def get(self, path: str, token: str | None = "default", **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, token, **kwargs)

    def request(self, method: str, path: str, token: str | None = "default", *, headers: dict[str, str] | None = None,
                **kwargs: Any) -> httpx.Response:
        h = dict(headers or {})
        if token == "default":
            token = self.token()
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        return httpx.request(method, f"{self.url}{path}", headers=h, timeout=60, **kwargs)


def _keys(folder: Path) -> tuple[dict[str, Any], Path, Path]:
    """Private keys for the tests; the service gets a PEM public key and a JWKS of public keys."""
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    keys = {
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "rsa-jwks": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ec-jwks": ec.generate_private_key(ec.SECP256R1()),
    }
    pem = folder / "issuer-rs256.pem"
    pem.write_bytes(keys["rsa"].public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    jwks = []
    for kid, alg, algo in (("rsa-jwks", "RS256", jwt.algorithms.RSAAlgorithm), ("ec-jwks", "ES256", jwt.algorithms.ECAlgorithm)):
        jwk = algo.to_jwk(keys[kid].public_key(), as_dict=True)
        jwk.update(kid=kid, alg=alg, use="sig")
        jwks.append(jwk)
    jwks_file = folder / "jwks.json"
    jwks_file.write_text(json.dumps({"keys": jwks}))
    return keys, pem, jwks_file


@pytest.fixture(scope="session")
def start_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Service]]:
    """``start(config_text, secret=..., env=...)`` → a running :class:`Service`; all stopped at the end."""
    procs: list[subprocess.Popen[Any]] = []

    def start(config_text: str, *, secret: str | None = None, env: dict[str, str] | None = None,
              folder: Path | None = None) -> Service:
        folder = folder or tmp_path_factory.mktemp("service")
        secret = secret if secret is not None else secrets.token_urlsafe(48)
        proc, url, log = start_livecalc_service(folder, config_text, secret, env, START_SECONDS)
        procs.append(proc)
        return Service(url, secret, folder, log)

    yield start
    for proc in procs:
        stop_group(proc)


@pytest.fixture(scope="session")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 20,000-policy synthetic portfolio as Parquet, in row groups of 4,096."""
    from livecalc_lab.data.synthetic import synthetic_portfolio

    out = tmp_path_factory.mktemp("book") / "book.parquet"
    return Path(synthetic_portfolio(BOOK_ROWS, 7, out, row_group_rows=4096))


@pytest.fixture(scope="session")
def blob_container(request: pytest.FixtureRequest, book: Path) -> tuple[str, str] | None:
    """``(connection string, container)`` holding ``book.parquet`` in Azurite, or None without Azurite."""
    try:
        conn = request.getfixturevalue("azurite")
    except pytest.skip.Exception:
        return None
    from azure.storage.blob import BlobServiceClient

    with BlobServiceClient.from_connection_string(conn) as svc:
        name = f"api{secrets.token_hex(6)}"
        svc.create_container(name).upload_blob("book/book.parquet", book.read_bytes())
    return conn, name


@pytest.fixture(scope="session")
def service(start_service: Callable[..., Service], book: Path, blob_container: tuple[str, str] | None,
            tmp_path_factory: pytest.TempPathFactory) -> Service:
    """The session's service (see the module docstring)."""
    from livecalc_lab.model.policies import demo_policies_path

    folder = tmp_path_factory.mktemp("main-service")
    keys, pem, jwks = _keys(folder)
    basis = folder / "basis"
    shutil.copytree(Path(str(resources.files("livecalc_lab") / "demo" / "assumptions")), basis)
    restricted = folder / "restricted.parquet"
    shutil.copy(book, restricted)
    local = {"book": str(book), "demo": str(demo_policies_path()), "restricted": str(restricted)}
    blob = ""
    env = {}
    if blob_container is not None:
        conn, name = blob_container
        blob = f'[datasets.blob]\nuri = "azure://{name}/book/book.parquet"\ntitle = "the book, in Blob Storage"\n'
        env["AZURE_STORAGE_CONNECTION_STRING"] = conn
        local["blob"] = f"azure://{name}/book/book.parquet"
    text = f"""
[datasets.book]
uri = "{book}"
title = "Synthetic term book, 20,000 policies"

[datasets.demo]
uri = "{demo_policies_path()}"
title = "lifelib BasicTerm_S model points"

[datasets.restricted]
uri = "restricted.parquet"
title = "Readable with pricing:read too"
scopes = ["pricing:read"]

[datasets.older]
uri = "{book}"
title = "The book, policies issued at 40 or over"
filter = "{OLDER_FILTER}"

{blob}
[assumptions.basis]
path = "basis"

[api]
max_sample = {MAX_SAMPLE}

[api.auth]
leeway_seconds = 10
public_keys = ["{pem.name}"]
jwks_file = "{jwks.name}"
"""
    svc = start_service(text, env=env, folder=folder)
    svc.keys = keys
    svc.local = local
    return svc


@pytest.fixture
def blob_env_for(service: Service, blob_container: tuple[str, str] | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process access to the service's blob dataset (skips when Azurite is not running)."""
    if blob_container is None:
        pytest.skip("Azurite is not available")
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", blob_container[0])
