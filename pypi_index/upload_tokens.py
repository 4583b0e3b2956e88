"""Upload tokens minted for trusted publishers: signed claims any task can check alone.

The exchange (oidc_exchange/, its own container) mints them after verifying a CI provider's
identity token; the index checks them on upload with the standard library only: an HMAC
(SHA-256) over the claims with the stack's signing key, which every task reads from the same
Secrets Manager secret. So a token minted by one task works on every task, and checking it
costs one HMAC and one stat (a revoked token leaves a marker on the shared volume).

Form: `pypi-<base64url(JSON claims)>.<base64url(HMAC)>`: the `pypi-` prefix that PyPI's
tokens carry (secret scanners and the GitHub action expect it). Claims: `pub` (the trusted
publisher's id), `projects` (normalized patterns), `iat`, `nbf`, `exp`, `jti`, and what the
audit names (`repository`, `workflow`, `run_id`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os

from . import contract

PREFIX = "pypi-"
# Binds the MAC to this use: the key signs nothing else with the same input form.
_DOMAIN = b"pypi-index upload token v1\n"
# The username clients send a token with (PyPI's convention: twine, uv, the GitHub action).
USERNAME = "__token__"
# The revocation marker of a token: its `jti` under .index/<REVOKED_DIR>/.
REVOKED_DIR = "revoked-tokens"
# A key shorter than this cannot be the generated one (32 random bytes, hex-encoded).
MIN_KEY_CHARS = 32


class TokenRefused(Exception):
    """A token that must not be used. str() says why, in one line (never the token)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: str, payload: str) -> bytes:
    return hmac.new(key.encode(), _DOMAIN + payload.encode(), hashlib.sha256).digest()


def mint(key: str, claims: dict) -> str:
    if len(key) < MIN_KEY_CHARS:
        raise ValueError(f"the signing key has {len(key)} characters; at least {MIN_KEY_CHARS} needed")
    payload = _b64(json.dumps(claims, sort_keys=True, separators=(",", ":")).encode())
    return f"{PREFIX}{payload}.{_b64(_mac(key, payload))}"


def verify(key: str, token: str, now: float) -> dict:
    """The token's claims when its MAC is right and `now` lies in [nbf, exp); else TokenRefused."""
    if not key:
        raise TokenRefused("trusted publishing is not enabled on this index")
    body = token.removeprefix(PREFIX)
    payload, _, mac = body.partition(".")
    if body == token or not payload or not mac:
        raise TokenRefused("not an upload token of this index")
    try:
        valid = hmac.compare_digest(_unb64(mac), _mac(key, payload))
        claims = json.loads(_unb64(payload)) if valid else None
    except (binascii.Error, ValueError):
        raise TokenRefused("not an upload token of this index") from None
    if not valid or not isinstance(claims, dict):
        raise TokenRefused("not an upload token of this index (bad signature)")
    if not isinstance(claims.get("exp"), int) or not isinstance(claims.get("nbf"), int):
        raise TokenRefused("upload token without a validity period")
    if now < claims["nbf"]:
        raise TokenRefused("upload token not valid yet")
    if now >= claims["exp"]:
        raise TokenRefused("upload token expired")
    return claims


def revoked_path(packages_dir: str, jti: str) -> str:
    # The jti is ours (hex); anything else cannot name a marker.
    safe = "".join(c for c in jti if c in "0123456789abcdef")[:64] or "invalid"
    return os.path.join(packages_dir, contract.INDEX_DIR, REVOKED_DIR, safe)


def is_revoked(packages_dir: str, jti: str) -> bool:
    return os.path.exists(revoked_path(packages_dir, jti))


def revoke(packages_dir: str, jti: str, expires: int = 0) -> None:
    """Mark a token revoked for every task (the shared volume); idempotent. The marker holds
    the token's expiry: past it the token is refused anyway, and the marker can go."""
    path = revoked_path(packages_dir, jti)
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    with open(path, "w") as f:
        f.write(str(expires))
