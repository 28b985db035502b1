"""Bearer-token authentication of the Data API: JWTs checked with PyJWT, scopes per dataset.

A request carries ``Authorization: Bearer <JWT>``. The token must be signed
with HS256 by the shared secret (the environment variable named by
``[api.auth] hs256_secret_env``, default ``LIVECALC_JWT_SECRET``), or with
RS256/ES256 by a key among ``public_keys`` (PEM files) or ``jwks_file`` (a
JSON Web Key Set, keys chosen by ``kid``); it must carry ``exp``, ``iss`` and
``aud`` equal to the configured issuer and audience (default ``livecalc``),
and be within ``exp``/``nbf`` give or take ``leeway_seconds`` (default 30).
Anything else — no token, a malformed one, ``alg: none``, an algorithm with no
key configured, a bad signature — is :class:`~livecalc_lab.errors.AuthError`
with status 401. Messages never quote the token or a key.

Scopes come from the ``scope`` claim (space-separated, as OAuth 2 writes it) or
``scp`` (a string or a list, as Microsoft Entra ID writes it). ``datasets:read``
grants every dataset, ``datasets:<id>:read`` one dataset; a dataset's
``scopes`` in the configuration add more (see
:attr:`livecalc_lab.config.DatasetEntry.read_scopes`).

``[api.auth]`` keys::

    [api.auth]
    issuer = "livecalc"
    audience = "livecalc"
    leeway_seconds = 30
    hs256_secret_env = "LIVECALC_JWT_SECRET"   # "" turns HS256 off
    public_keys = ["keys/issuer.pem"]          # RS256 (RSA >= 2048 bits) or ES256 (P-256) public keys
    jwks_file = "keys/jwks.json"
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from livecalc_lab.config import Config
from livecalc_lab.errors import AuthError, ConfigError

__all__ = ["AuthSettings", "Principal", "TokenVerifier", "mint_token", "MIN_SECRET_BYTES", "MAX_TOKEN_LIFETIME"]

MIN_SECRET_BYTES = 32  # HS256 keys shorter than the hash are guessable (RFC 7518 §3.2)
MAX_TOKEN_LIFETIME = 24 * 3600.0
_MAX_TOKEN_CHARS = 8192
_VERIFIED_TOKENS = 4096
_ALG_NAME = re.compile(r"^[A-Za-z0-9]{1,16}$")
_AUTH_KEYS = frozenset({"issuer", "audience", "leeway_seconds", "hs256_secret_env", "public_keys", "jwks_file"})


@dataclass(frozen=True)
class AuthSettings:
    """How tokens are checked (``[api.auth]``; see the module docstring)."""

    issuer: str = "livecalc"
    audience: str = "livecalc"
    leeway_seconds: float = 30.0
    hs256_secret_env: str = "LIVECALC_JWT_SECRET"
    public_keys: tuple[Path, ...] = ()
    jwks_file: Path | None = None

    @classmethod
    def from_config(cls, config: Config) -> "AuthSettings":
        """The ``[api.auth]`` table of ``config`` (defaults for what it leaves out).

        Raises
        ------
        ConfigError
            An unknown key or a value of the wrong type.
        """
        table = config.section("api").get("auth", {})
        where = f"{config.path or '<config>'} [api.auth]"
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: must be a table")
        unknown = sorted(set(table) - _AUTH_KEYS)
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_AUTH_KEYS))}")
        for key in ("issuer", "audience", "hs256_secret_env", "jwks_file"):
            if key in table and not isinstance(table[key], str):
                raise ConfigError(f"{where}: {key} must be a string")
        leeway = table.get("leeway_seconds", cls.leeway_seconds)
        if isinstance(leeway, bool) or not isinstance(leeway, (int, float)) or not 0 <= leeway <= 300:
            raise ConfigError(f"{where}: leeway_seconds must be a number of seconds from 0 to 300")
        keys = table.get("public_keys", [])
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise ConfigError(f"{where}: public_keys must be a list of PEM file paths")
        jwks = table.get("jwks_file")
        return cls(
            issuer=table.get("issuer", cls.issuer),
            audience=table.get("audience", cls.audience),
            leeway_seconds=float(leeway),
            hs256_secret_env=table.get("hs256_secret_env", cls.hs256_secret_env),
            public_keys=tuple(config.resolve_path(k) for k in keys),
            jwks_file=config.resolve_path(jwks) if jwks else None,
        )


@dataclass(frozen=True)
class Principal:
    """Who made a request: the token's subject and scopes."""

    subject: str | None
    scopes: frozenset[str] = field(default_factory=frozenset)

    def may_read(self, read_scopes: Iterable[str]) -> bool:
        """True when the token holds any one of ``read_scopes``."""
        return any(s in self.scopes for s in read_scopes)


class TokenVerifier:
    """Checks bearer tokens against the configured keys, issuer and audience.

    Parameters
    ----------
    settings : AuthSettings
    environ : mapping, optional
        Where the HS256 secret is read from (default ``os.environ``).

    Raises
    ------
    ConfigError
        HS256 is on and its secret is unset or shorter than 32 bytes; a key file
        is missing or not an RS256/ES256 public key; or no key is configured at all.
    """

    def __init__(self, settings: AuthSettings, environ: Mapping[str, str] | None = None):
        import jwt

        self.settings = settings
        env = os.environ if environ is None else environ
        self._secret: bytes | None = None
        if settings.hs256_secret_env:
            value = env.get(settings.hs256_secret_env, "")
            if not value:
                raise ConfigError(
                    f"{settings.hs256_secret_env} is not set: the service refuses to start without the HS256 secret "
                    f"(at least {MIN_SECRET_BYTES} bytes, e.g. python -c \"import secrets; print(secrets.token_urlsafe(48))\"), "
                    'or set [api.auth] hs256_secret_env = "" and configure public_keys or jwks_file'
                )
            if len(value.encode()) < MIN_SECRET_BYTES:
                raise ConfigError(f"{settings.hs256_secret_env} must be at least {MIN_SECRET_BYTES} bytes long")
            self._secret = value.encode()
        self._keys: dict[str, list[Any]] = {"RS256": [], "ES256": []}
        self._by_kid: dict[str, tuple[str, Any]] = {}
        for path in settings.public_keys:
            alg, key = _load_pem_public_key(path)
            self._keys[alg].append(key)
        if settings.jwks_file is not None:
            for kid, alg, key in _load_jwks(settings.jwks_file):
                self._keys[alg].append(key)
                if kid:
                    self._by_kid[kid] = (alg, key)
        self.algorithms = tuple(a for a in ("HS256", "RS256", "ES256") if (a == "HS256" and self._secret) or self._keys.get(a))
        if not self.algorithms:
            raise ConfigError("no token key is configured: set LIVECALC_JWT_SECRET, or [api.auth] public_keys or jwks_file")
        self._jwt = jwt
        # Tokens already verified, by SHA-256, until their exp: a client sends the same token many times.
        self._verified: OrderedDict[bytes, tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, authorization: str | None) -> Principal:
        """The principal of a request, from its ``Authorization`` header value.

        Raises
        ------
        AuthError
            Status 401, for every reason the token is not accepted.
        """
        token = _bearer(authorization)
        digest = hashlib.sha256(token.encode()).digest()
        with self._lock:
            hit = self._verified.get(digest)
            if hit is not None and time.time() < hit[1]:
                self._verified.move_to_end(digest)
                return hit[0]
        principal, expires = self._verify(token)
        with self._lock:
            self._verified[digest] = (principal, expires)
            while len(self._verified) > _VERIFIED_TOKENS:
                self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        """The principal and the time it stops being valid (``exp`` + leeway), or AuthError."""
        jwt = self._jwt
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError("malformed token: expected a signed JWT (header.payload.signature)") from None
        alg = header.get("alg")
        if alg not in self.algorithms:
            shown = repr(alg) if isinstance(alg, str) and _ALG_NAME.match(alg) else "this algorithm"
            raise AuthError(f"token algorithm {shown} is not accepted (accepted: {', '.join(self.algorithms)})")
        kid = header.get("kid")
        if alg == "HS256":
            keys = [self._secret]
        elif isinstance(kid, str) and kid in self._by_kid:
            kid_alg, key = self._by_kid[kid]
            keys = [key] if kid_alg == alg else []
        else:
            keys = self._keys[alg]
        claims = None
        for key in keys:
            try:
                claims = jwt.decode(
                    token,
                    key,
                    algorithms=[alg],
                    audience=self.settings.audience,
                    issuer=self.settings.issuer,
                    leeway=self.settings.leeway_seconds,
                    options={"require": ["exp", "iss", "aud"], "enforce_minimum_key_length": True},
                )
                break
            except jwt.InvalidSignatureError:
                continue
            except jwt.PyJWTError as exc:
                raise AuthError(_reason(jwt, exc)) from None
        if claims is None:
            raise AuthError("token signature is not valid")
        return Principal(_subject(claims), frozenset(_scopes(claims))), float(claims["exp"]) + self.settings.leeway_seconds


def mint_token(
    scopes: Iterable[str],
    *,
    secret: str,
    issuer: str = "livecalc",
    audience: str = "livecalc",
    lifetime_seconds: float = 900.0,
    subject: str | None = None,
    now: float | None = None,
) -> str:
    """A short-lived HS256 token for local use (what ``livecalc token`` prints).

    Parameters
    ----------
    scopes : iterable of str
        E.g. ``["datasets:read"]`` or ``["datasets:demo:read"]``; written to the
        ``scope`` claim, space-separated.
    secret : str
        The HS256 secret (at least 32 bytes).
    issuer, audience : str
    lifetime_seconds : float
        Seconds from now to ``exp`` (at most 24 hours; default 15 minutes).
    subject : str, optional
        The ``sub`` claim (default: the login name).
    now : float, optional
        Unix time to issue at (tests).

    Raises
    ------
    ConfigError
        The secret is too short, or the lifetime is not in (0, 24 h].
    """
    import jwt

    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ConfigError(f"the HS256 secret must be at least {MIN_SECRET_BYTES} bytes long")
    if not 0 < lifetime_seconds <= MAX_TOKEN_LIFETIME:
        raise ConfigError(f"a token lives more than 0 s and at most {MAX_TOKEN_LIFETIME:.0f} s, not {lifetime_seconds:g} s")
    t = int(time.time() if now is None else now)
    scope = " ".join(dict.fromkeys(s.strip() for s in scopes if s.strip()))
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": subject if subject is not None else _login(),
        "iat": t,
        "nbf": t,
        "exp": t + int(lifetime_seconds),
        "jti": secrets.token_hex(8),
        "scope": scope,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


# ---- helpers ---------------------------------------------------------------------------------


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise AuthError("missing bearer token: send the header 'Authorization: Bearer <token>'")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthError("the Authorization header must be 'Bearer <token>'")
    if len(token) > _MAX_TOKEN_CHARS or token.count(".") != 2:
        raise AuthError("malformed token: expected a signed JWT (header.payload.signature)")
    return token


def _reason(jwt: Any, exc: Exception) -> str:
    """A fixed description of why a token failed (never PyJWT's text, never the token)."""
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "token has expired"
    if isinstance(exc, jwt.ImmatureSignatureError):
        return "token is not valid yet (nbf or iat is in the future)"
    if isinstance(exc, jwt.InvalidAudienceError):
        return "token audience is not accepted"
    if isinstance(exc, jwt.InvalidIssuerError):
        return "token issuer is not accepted"
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"token lacks the required claim {exc.claim!r}"
    if isinstance(exc, jwt.InvalidAlgorithmError):
        return "token algorithm is not accepted for this key"
    if isinstance(exc, jwt.DecodeError):
        return "malformed token: expected a signed JWT (header.payload.signature)"
    return "token is not valid"


def _scopes(claims: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            out += value.split()
        elif isinstance(value, list):
            out += [s for s in value if isinstance(s, str)]
    return out


def _subject(claims: Mapping[str, Any]) -> str | None:
    sub = claims.get("sub")
    return sub if isinstance(sub, str) else None


def _login() -> str:
    try:
        return os.getlogin()
    except OSError:
        import getpass

        return getpass.getuser()


def _load_pem_public_key(path: Path) -> tuple[str, Any]:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        key = load_pem_public_key(path.read_bytes())
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the public key: {exc.strerror}") from None
    except ValueError:
        raise ConfigError(f"{path}: not a PEM public key") from None
    return _algorithm_of(key, str(path), rsa, ec), key


def _load_jwks(path: Path) -> list[tuple[str | None, str, Any]]:
    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    try:
        jwks = jwt.PyJWKSet.from_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the JWKS file: {exc.strerror}") from None
    except (ValueError, jwt.PyJWTError):
        raise ConfigError(f"{path}: not a JSON Web Key Set with usable public keys") from None
    out = []
    for jwk in jwks.keys:
        if getattr(jwk, "public_key_use", None) not in (None, "sig"):
            continue
        key = jwk.key
        if hasattr(key, "private_bytes"):
            raise ConfigError(f"{path}: holds a private key; give the service public keys only")
        out.append((jwk.key_id, _algorithm_of(key, str(path), rsa, ec), key))
    return out


def _algorithm_of(key: Any, where: str, rsa: Any, ec: Any) -> str:
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 2048:
            raise ConfigError(f"{where}: an RSA key must have at least 2048 bits, not {key.key_size}")
        return "RS256"
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name != "secp256r1":
            raise ConfigError(f"{where}: an ES256 key must be on curve P-256, not {key.curve.name}")
        return "ES256"
    raise ConfigError(f"{where}: only RSA (RS256) and P-256 EC (ES256) public keys are accepted")
