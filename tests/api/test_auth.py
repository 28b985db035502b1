"""Bearer tokens and scopes against the live service: every bad token is a 401 that quotes nothing secret."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from api_support import hs256, service_env

SAMPLE = "/datasets/book/sample?n=5"
LEEWAY = 10  # [api.auth] leeway_seconds of the test service


def _now() -> int:
    return int(time.time())


def _claims(**over):
    now = _now()
    body = {"iss": "livecalc", "aud": "livecalc", "iat": now, "nbf": now, "exp": now + 300, "scope": "datasets:read"}
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


OTHER_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_EC = ec.generate_private_key(ec.SECP256R1())

# name -> Authorization header value (or None for no header), built from the running service
BAD = {
    "no-header": lambda s: None,
    "bearer-without-token": lambda s: "Bearer",
    "basic-scheme": lambda s: "Basic dXNlcjpwYXNzd29yZA==",
    "not-a-jwt": lambda s: "Bearer not-a-token",
    "two-parts": lambda s: "Bearer abc.def",
    "garbage-parts": lambda s: "Bearer abc.def.ghi",
    "expired": lambda s: "Bearer " + s.token(exp=_now() - LEEWAY - 30),
    "not-yet-valid": lambda s: "Bearer " + s.token(nbf=_now() + LEEWAY + 60),
    "issued-in-the-future": lambda s: "Bearer " + s.token(iat=_now() + LEEWAY + 60),
    "wrong-audience": lambda s: "Bearer " + s.token(aud="someone-else"),
    "wrong-issuer": lambda s: "Bearer " + s.token(iss="https://evil.example"),
    "no-exp": lambda s: "Bearer " + s.token(exp=None),
    "no-aud": lambda s: "Bearer " + s.token(aud=None),
    "alg-none": lambda s: "Bearer " + jwt.encode(_claims(), None, algorithm="none"),
    "alg-none-signed": lambda s: "Bearer " + hs256(_claims(), s.secret.encode(), {"alg": "none", "typ": "JWT"}),
    "wrong-secret": lambda s: "Bearer " + s.token(key="another-secret-that-is-long-enough-1234567890"),
    "hs256-with-rsa-public-key": lambda s: "Bearer " + hs256(_claims(), s.keys["rsa"].public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)),
    "rs256-unknown-key": lambda s: "Bearer " + s.token(alg="RS256", key=OTHER_RSA),
    "es256-unknown-key": lambda s: "Bearer " + s.token(alg="ES256", key=OTHER_EC),
    "es256-unknown-key-known-kid": lambda s: "Bearer " + s.token(alg="ES256", key=OTHER_EC, kid="ec-jwks"),
    "rs256-kid-of-an-ec-key": lambda s: "Bearer " + s.token(alg="RS256", key=s.keys["rsa-jwks"], kid="ec-jwks"),
    "hs384": lambda s: "Bearer " + jwt.encode(_claims(), s.secret, algorithm="HS384"),
    "tampered-payload": lambda s: "Bearer " + _tamper(s.token(scope="datasets:demo:read")),
    "oversized": lambda s: "Bearer " + "a" * 5000 + "." + "b" * 5000 + ".c",
}


def _tamper(token: str) -> str:
    head, _, sig = token.split(".")
    import base64

    body = base64.urlsafe_b64encode(json.dumps(_claims()).encode()).rstrip(b"=").decode()
    return f"{head}.{body}.{sig}"


@pytest.mark.parametrize("name", list(BAD))
def test_every_bad_token_is_a_401_that_echoes_nothing(service, name):
    header = BAD[name](service)
    resp = service.get(SAMPLE, token=None, headers={"Authorization": header} if header is not None else {})
    assert resp.status_code == 401, (name, resp.text)
    assert resp.headers["www-authenticate"].startswith("Bearer")
    detail = resp.json()["detail"]
    assert detail and set(resp.json()) == {"detail"}
    if header:
        token = header.partition(" ")[2]
        assert not token or token not in resp.text
        for part in token.split("."):
            assert len(part) < 8 or part not in resp.text
    assert service.secret not in resp.text


@pytest.mark.parametrize("name, expected", [
    ("no-header", "missing bearer token"),
    ("expired", "token has expired"),
    ("not-yet-valid", "not valid yet"),
    ("wrong-audience", "audience is not accepted"),
    ("wrong-issuer", "issuer is not accepted"),
    ("no-exp", "lacks the required claim 'exp'"),
    ("alg-none", "algorithm 'none' is not accepted"),
    ("wrong-secret", "signature is not valid"),
    ("hs256-with-rsa-public-key", "signature is not valid"),
    ("not-a-jwt", "malformed token"),
])
def test_401_messages_say_what_is_wrong(service, name, expected):
    header = BAD[name](service)
    resp = service.get(SAMPLE, token=None, headers={"Authorization": header} if header is not None else {})
    assert expected in resp.json()["detail"]


@pytest.mark.parametrize("how", ["hs256", "rs256-pem", "rs256-jwks-kid", "es256-jwks-kid", "es256-jwks-no-kid",
                                 "expired-within-leeway", "scp-list-claim"])
def test_good_tokens_are_accepted(service, how):
    token = {
        "hs256": lambda: service.token(),
        "rs256-pem": lambda: service.token(alg="RS256"),
        "rs256-jwks-kid": lambda: service.token(alg="RS256", key=service.keys["rsa-jwks"], kid="rsa-jwks"),
        "es256-jwks-kid": lambda: service.token(alg="ES256", kid="ec-jwks"),
        "es256-jwks-no-kid": lambda: service.token(alg="ES256"),
        "expired-within-leeway": lambda: service.token(exp=_now() - LEEWAY // 2),
        "scp-list-claim": lambda: service.token(scope=None, scp=["datasets:book:read"]),
    }[how]()
    assert service.get(SAMPLE, token=token).status_code == 200


def test_an_unauthenticated_caller_learns_nothing_about_routes(service):
    for path in ("/datasets/book/nothing-here", "/nowhere", "/datasets/nope/metadata", "/docs"):
        assert service.get(path, token=None).status_code == 401
    assert service.request("POST", "/datasets/book/validate", token=None, content=b"{not json").status_code == 401


# ---- scopes ---------------------------------------------------------------------------------


def _ids(service, token) -> set[str]:
    return {d["id"] for d in service.get("/datasets", token=token).json()["datasets"]}


def test_a_dataset_scope_grants_that_dataset_only(service):
    token = service.token(["datasets:book:read"])
    assert _ids(service, token) == {"book"}
    for what in ("metadata", "schema", "sample?n=3"):
        assert service.get(f"/datasets/book/{what}", token=token).status_code == 200
        assert service.get(f"/datasets/demo/{what}", token=token).status_code == 403
    assert service.request("POST", "/datasets/book/validate", token=token, json={}).status_code == 200
    assert service.request("POST", "/datasets/demo/validate", token=token, json={}).status_code == 403


def test_403_does_not_reveal_whether_a_dataset_exists(service):
    token = service.token(["datasets:book:read"])
    hidden = service.get("/datasets/demo/metadata", token=token)
    missing = service.get("/datasets/nope/metadata", token=token)
    assert hidden.status_code == missing.status_code == 403
    assert hidden.json()["detail"].replace("demo", "X") == missing.json()["detail"].replace("nope", "X")
    assert hidden.headers.keys() == missing.headers.keys()


def test_extra_scopes_from_the_configuration(service):
    token = service.token(["pricing:read"])
    assert _ids(service, token) == {"restricted"}
    assert service.get("/datasets/restricted/sample?n=2", token=token).status_code == 200
    assert service.get("/datasets/book/sample?n=2", token=token).status_code == 403


def test_datasets_read_sees_everything_and_gets_404_for_unknown_ids(service):
    token = service.token(["datasets:read"])
    assert {"book", "demo", "restricted"} <= _ids(service, token)
    assert service.get("/datasets/nope/metadata", token=token).status_code == 404


def test_a_token_without_scopes_sees_no_dataset(service):
    token = service.token([])
    assert _ids(service, token) == set()
    assert service.get("/datasets/book/metadata", token=token).status_code == 403


def test_scopes_are_whole_words(service):
    for scope in ("datasets:readx", "datasets:bookx:read", "datasets:book:write", "DATASETS:READ"):
        assert service.get(SAMPLE, token=service.token([scope])).status_code == 403, scope


# ---- starting the service -------------------------------------------------------------------


def _serve(tmp_path, config: str, secret: str | None) -> subprocess.CompletedProcess[str]:
    cfg = tmp_path / "c.toml"
    cfg.write_text(config)
    return subprocess.run(
        [sys.executable, "-m", "livecalc_lab.cli", "serve", "--config", str(cfg), "--port", "1"],
        capture_output=True, text=True, env=service_env(tmp_path, secret), timeout=60,
    )


@pytest.mark.parametrize("secret, fragment", [(None, "LIVECALC_JWT_SECRET is not set"),
                                              ("short", "at least 32 bytes")], ids=["unset", "short"])
def test_the_service_refuses_to_start_without_a_proper_secret(tmp_path, secret, fragment):
    res = _serve(tmp_path, '[datasets.d]\nuri = "x.csv"\n', secret)
    assert res.returncode == 1 and fragment in res.stderr
    assert "Traceback" not in res.stderr and (secret is None or secret not in res.stderr)


def test_a_service_with_public_keys_only_needs_no_secret(start_service, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "k.pem").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    svc = start_service(f'[datasets.d]\nuri = "x.csv"\n[api.auth]\nhs256_secret_env = ""\npublic_keys = ["{tmp_path / "k.pem"}"]\n',
                        secret="", folder=tmp_path)
    (tmp_path / "x.csv").write_text("policy_id,age_at_entry,policy_term,policy_count,sum_assured\n1,40,10,1,1000\n")
    now = _now()
    claims = {"iss": "livecalc", "aud": "livecalc", "exp": now + 60, "scope": "datasets:read"}
    assert svc.get("/datasets/d/metadata", token=jwt.encode(claims, key, algorithm="RS256")).json()["rows"] == 1
    hs = jwt.encode(claims, "x" * 40, algorithm="HS256")
    resp = svc.get("/datasets/d/metadata", token=hs)
    assert resp.status_code == 401 and "'HS256' is not accepted" in resp.json()["detail"]


def test_livecalc_token_mints_what_the_service_accepts(service):
    env = service_env(service.folder, service.secret)
    res = subprocess.run([sys.executable, "-m", "livecalc_lab.cli", "token", "--scope", "datasets:book:read",
                          "--ttl", "2m"], capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 0, res.stderr
    token = res.stdout.strip()
    claims = jwt.decode(token, service.secret, algorithms=["HS256"], audience="livecalc")
    assert claims["scope"] == "datasets:book:read" and 110 <= claims["exp"] - claims["iat"] <= 120
    assert service.get(SAMPLE, token=token).status_code == 200
    assert service.get("/datasets/demo/sample?n=1", token=token).status_code == 403


def test_livecalc_token_needs_the_secret(tmp_path):
    res = subprocess.run([sys.executable, "-m", "livecalc_lab.cli", "token", "--scope", "datasets:read"],
                         capture_output=True, text=True, env=service_env(tmp_path, None), timeout=60)
    assert res.returncode == 1 and "LIVECALC_JWT_SECRET is not set" in res.stderr
