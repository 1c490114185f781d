"""Token verification and role checks: one verifier for every function.

Tokens are EdDSA (Ed25519) JWTs. Only the token-issuing functions hold the private key
(GX_JWT_PRIVATE_KEY); every other function verifies with the public key alone. Checked on every
request: the algorithm (EdDSA only, so `alg: none` and HS256-with-the-public-key fail), signature,
`exp`, `iss`, `aud` and `typ` (an access token is never accepted where a refresh token is expected,
and the reverse). No flask imports here: `shared.http` extracts the header and calls `verify`.
"""

from __future__ import annotations

import functools
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.config import Role, get_settings
from shared.errors import Forbidden, Unauthorized

ALGORITHM = "EdDSA"
LEEWAY_S = 5  # clock skew tolerated on exp / nbf / iat
ROLES: tuple[Role, ...] = ("USER", "ADMIN", "SUPER_ADMIN", "PARTNER_API")
ADMIN_ROLES: frozenset[str] = frozenset({"ADMIN", "SUPER_ADMIN"})
TokenType = Literal["access", "refresh"]


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller: profile id, role and tenant, from a verified access token."""

    sub: str
    role: Role
    tenant: str
    jti: str
    session_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role in ADMIN_ROLES


def _pem(value: str) -> bytes:
    text = value.strip()
    if text.startswith("-----BEGIN"):
        return text.encode()
    return Path(text).read_bytes()


@functools.cache
def _public_key(pem: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(_pem(pem))
    if not isinstance(key, Ed25519PublicKey):
        # A bad setting's value, reported like any other (ValueError), not a programming error.
        raise ValueError("GX_JWT_PUBLIC_KEY must be an Ed25519 public key")  # noqa: TRY004
    return key


@functools.cache
def _private_key(pem: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(_pem(pem), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("GX_JWT_PRIVATE_KEY must be an Ed25519 private key")  # noqa: TRY004
    return key


def generate_keypair() -> tuple[str, str]:
    """(private PEM, public PEM) for a fresh Ed25519 signing key."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private, public


def _audience(typ: TokenType) -> str:
    aud = get_settings().jwt_audience
    return aud if typ == "access" else f"{aud}-refresh"


def issue(
    *, sub: str, role: Role, typ: TokenType, session_id: str | None = None, ttl_s: int | None = None
) -> tuple[str, dict[str, Any]]:
    """A signed token and its claims. Only token-issuing functions can call this."""
    settings = get_settings()
    now = int(time.time())
    if ttl_s is None:
        ttl_s = settings.access_token_ttl_s if typ == "access" else settings.refresh_token_ttl_s
    claims: dict[str, Any] = {
        "sub": sub,
        "role": role,
        "tenant": settings.tenant,
        "typ": typ,
        "iss": settings.jwt_issuer,
        "aud": _audience(typ),
        "iat": now,
        "nbf": now,
        "exp": now + ttl_s,
        "jti": secrets.token_urlsafe(16),
    }
    if session_id:
        claims["sid"] = session_id
    key = _private_key(settings.require("jwt_private_key"))
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"typ": "JWT"}), claims


def decode(token: str, *, typ: TokenType) -> dict[str, Any]:
    """Verified claims of a token of type `typ`, or Unauthorized."""
    settings = get_settings()
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            _public_key(settings.require("jwt_public_key")),
            algorithms=[ALGORITHM],
            audience=_audience(typ),
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
            leeway=LEEWAY_S,
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("token expired", code="TOKEN_EXPIRED") from None
    except jwt.PyJWTError:
        raise Unauthorized("invalid token", code="INVALID_TOKEN") from None
    if claims.get("typ") != typ or claims.get("role") not in ROLES:
        raise Unauthorized("invalid token", code="INVALID_TOKEN")
    if claims.get("tenant") != settings.tenant:
        raise Unauthorized("invalid token", code="INVALID_TOKEN")
    return claims


#: Access tokens whose signature and claims were already verified in this process, with their
#: expiry. A client sends the same token on every request until it expires, and the Ed25519
#: check plus PyJWT's parsing was ~10 % of an authenticated read's CPU (loadtest profile).
#: The result of verifying identical bytes under an identical key and settings cannot change,
#: except by time: `exp` is checked again on every hit. Bounded; cleared when full.
_VERIFIED: dict[tuple[str, str, str, str, str], tuple[Principal, float]] = {}
_VERIFIED_MAX = 4096


def verify(authorization: str | None) -> Principal:
    """The principal behind an `Authorization: Bearer <access token>` header."""
    if not authorization:
        raise Unauthorized("authentication required", code="AUTH_REQUIRED")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("expected 'Authorization: Bearer <token>'", code="AUTH_REQUIRED")
    settings = get_settings()
    key = (token, settings.jwt_public_key or "", settings.jwt_issuer, settings.jwt_audience,
           settings.tenant)
    hit = _VERIFIED.get(key)
    if hit is not None:
        if time.time() < hit[1] + LEEWAY_S:
            return hit[0]
        _VERIFIED.pop(key, None)
        raise Unauthorized("token expired", code="TOKEN_EXPIRED")
    claims = decode(token, typ="access")
    principal = Principal(
        sub=str(claims["sub"]),
        role=claims["role"],
        tenant=str(claims["tenant"]),
        jti=str(claims["jti"]),
        session_id=claims.get("sid"),
    )
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[key] = (principal, float(claims["exp"]))
    return principal


def require_role(principal: Principal, roles: frozenset[str]) -> None:
    if principal.role not in roles:
        raise Forbidden("insufficient permissions for this resource", code="FORBIDDEN_ROLE")


def require_self_or_admin(principal: Principal, owner_id: str) -> None:
    if principal.sub != owner_id and not principal.is_admin:
        raise Forbidden("this resource belongs to another user", code="NOT_OWNER")
