"""Signed session tokens (HMAC-SHA256) carrying the user id.

Format: base64url(JSON claims) "." base64url(signature). The gateway and the
domain read API verify the same tokens; only the holder of the secret can mint
them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

DEFAULT_TTL_SECONDS = 12 * 3600


class TokenError(Exception):
    """The token is missing, malformed, forged or expired."""


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    issued_at: int
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _require_secret(secret: str) -> bytes:
    if len(secret) < 16:
        raise ValueError("token secret must be at least 16 characters")
    return secret.encode("utf-8")


def issue_token(
    user_id: int, secret: str, ttl_seconds: int = DEFAULT_TTL_SECONDS, now: float | None = None
) -> str:
    issued = int(time.time() if now is None else now)
    claims = {"uid": int(user_id), "iat": issued, "exp": issued + int(ttl_seconds)}
    body = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    signature = hmac.new(_require_secret(secret), body.encode("ascii"), hashlib.sha256).digest()
    return f"{body}.{_b64(signature)}"


def verify_token(token: str, secret: str, now: float | None = None) -> TokenClaims:
    if not token:
        raise TokenError("missing session token")
    body, sep, sig = token.partition(".")
    if not sep or not body or not sig or len(token) > 4096:
        raise TokenError("malformed session token")
    expected = hmac.new(_require_secret(secret), body.encode("ascii", "replace"), hashlib.sha256).digest()
    try:
        given = _unb64(sig)
        claims = json.loads(_unb64(body))
    except (ValueError, UnicodeDecodeError) as exc:
        raise TokenError("malformed session token") from exc
    if not hmac.compare_digest(expected, given):
        raise TokenError("invalid session token signature")
    try:
        result = TokenClaims(int(claims["uid"]), int(claims["iat"]), int(claims["exp"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise TokenError("malformed session token claims") from exc
    if result.expires_at <= (time.time() if now is None else now):
        raise TokenError("session token expired")
    return result


def bearer_token(metadata: tuple[tuple[str, str | bytes], ...] | None) -> str:
    """The token from gRPC metadata "authorization: Bearer <token>" ("" when absent)."""
    for key, value in metadata or ():
        if key.lower() == "authorization":
            text = value.decode() if isinstance(value, bytes) else value
            scheme, _, token = text.partition(" ")
            if scheme.lower() == "bearer":
                return token.strip()
    return ""
