"""How the service is told to check tokens: [api.auth], key files, secrets, and minting local tokens."""

from __future__ import annotations

import json

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from livecalc_lab.api.app import ServiceSettings
from livecalc_lab.api.auth import AuthSettings, TokenVerifier, mint_token
from livecalc_lab.config import parse_config
from livecalc_lab.errors import AuthError, ConfigError

SECRET = "s" * 40


def _pem(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_defaults_and_overrides(tmp_path):
    assert AuthSettings.from_config(parse_config("")) == AuthSettings()
    cfg = parse_config('[api.auth]\nissuer = "https://login.example"\naudience = "api://livecalc"\nleeway_seconds = 5\n'
                       'public_keys = ["k.pem"]\njwks_file = "/etc/jwks.json"\n', path=tmp_path / "c.toml")
    s = AuthSettings.from_config(cfg)
    assert (s.issuer, s.audience, s.leeway_seconds) == ("https://login.example", "api://livecalc", 5.0)
    assert s.public_keys == (tmp_path / "k.pem",) and str(s.jwks_file) == "/etc/jwks.json"


@pytest.mark.parametrize("table, fragment", [
    ("issuers = 'x'", "unknown key(s) issuers"),
    ("leeway_seconds = 3600", "leeway_seconds must be"),
    ("public_keys = 'k.pem'", "public_keys must be a list"),
    ("audience = 3", "audience must be a string"),
])
def test_bad_auth_tables(table, fragment):
    with pytest.raises(ConfigError, match=None) as err:
        AuthSettings.from_config(parse_config(f"[api.auth]\n{table}\n"))
    assert fragment in str(err.value)


@pytest.mark.parametrize("table, fragment", [
    ("max_sample = 0", "max_sample must be an integer"),
    ("max_sample = 1.5", "max_sample must be an integer"),
    ("sample_ttl_seconds = -1", "sample_ttl_seconds must be"),
    ("default_assumptions = 'nope'", "default_assumptions must name a set"),
    ("workers = 4", "unknown key(s) workers"),
    ("allow_self_approval = 'yes'", "allow_self_approval must be true or false"),
])
def test_bad_api_tables(table, fragment):
    with pytest.raises(ConfigError) as err:
        ServiceSettings.from_config(parse_config(f"[api]\n{table}\n"))
    assert fragment in str(err.value)


def test_self_approval_is_off_unless_configured():
    assert ServiceSettings.from_config(parse_config("")).allow_self_approval is False
    assert ServiceSettings.from_config(parse_config("[api]\nallow_self_approval = true\n")).allow_self_approval is True


def test_the_secret_is_required_and_long_enough():
    with pytest.raises(ConfigError, match="LIVECALC_JWT_SECRET is not set"):
        TokenVerifier(AuthSettings(), environ={})
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        TokenVerifier(AuthSettings(), environ={"LIVECALC_JWT_SECRET": "short"})
    with pytest.raises(ConfigError, match="no token key is configured"):
        TokenVerifier(AuthSettings(hs256_secret_env=""), environ={})
    v = TokenVerifier(AuthSettings(hs256_secret_env="MY_SECRET"), environ={"MY_SECRET": SECRET})
    assert v.algorithms == ("HS256",)


@pytest.mark.parametrize("make, fragment", [
    (lambda p: p.write_text("not a key"), "not a PEM public key"),
    (lambda p: p.write_bytes(_pem(rsa.generate_private_key(public_exponent=65537, key_size=1024))), "at least 2048 bits"),
    (lambda p: p.write_bytes(_pem(ec.generate_private_key(ec.SECP384R1()))), "curve P-256"),
    (lambda p: None, "cannot read the public key"),
])
def test_bad_public_key_files(tmp_path, make, fragment):
    path = tmp_path / "k.pem"
    make(path)
    with pytest.raises(ConfigError, match=None) as err:
        TokenVerifier(AuthSettings(hs256_secret_env="", public_keys=(path,)), environ={})
    assert fragment in str(err.value)


def test_a_jwks_with_a_private_key_is_refused(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key))
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [jwk]}))
    with pytest.raises(ConfigError, match="public keys only") as err:
        TokenVerifier(AuthSettings(hs256_secret_env="", jwks_file=tmp_path / "jwks.json"), environ={})
    assert jwk["d"] not in str(err.value)
    (tmp_path / "jwks.json").write_text("{}")
    with pytest.raises(ConfigError, match="not a JSON Web Key Set"):
        TokenVerifier(AuthSettings(hs256_secret_env="", jwks_file=tmp_path / "jwks.json"), environ={})


def test_minted_tokens_verify_and_expire():
    v = TokenVerifier(AuthSettings(leeway_seconds=0), environ={"LIVECALC_JWT_SECRET": SECRET})
    token = mint_token(["datasets:read", "datasets:read", " datasets:demo:read "], secret=SECRET, subject="ann")
    p = v.verify(f"Bearer {token}")
    assert p.subject == "ann" and p.scopes == {"datasets:read", "datasets:demo:read"}
    old = mint_token(["datasets:read"], secret=SECRET, lifetime_seconds=60, now=0)
    with pytest.raises(AuthError, match="expired") as err:
        v.verify(f"Bearer {old}")
    assert err.value.status == 401


@pytest.mark.parametrize("kwargs, fragment", [
    ({"secret": "short"}, "at least 32 bytes"),
    ({"secret": SECRET, "lifetime_seconds": 0}, "at most 86400 s"),
    ({"secret": SECRET, "lifetime_seconds": 86_401}, "at most 86400 s"),
])
def test_minting_limits(kwargs, fragment):
    with pytest.raises(ConfigError, match=fragment):
        mint_token(["datasets:read"], **kwargs)


def test_a_remembered_token_still_expires():
    import time

    v = TokenVerifier(AuthSettings(leeway_seconds=0), environ={"LIVECALC_JWT_SECRET": SECRET})
    token = mint_token(["datasets:read"], secret=SECRET, lifetime_seconds=1, now=int(time.time()))
    first = v.verify(f"Bearer {token}")
    assert v.verify(f"Bearer {token}") is first  # verified once, then remembered
    time.sleep(2.1)
    with pytest.raises(AuthError, match="expired"):
        v.verify(f"Bearer {token}")
