"""The exchange's WSGI app: PyPI's routes, request and response shapes, and error bodies.

- GET  /_/oidc/audience             200 {"audience": "<aud>"}
- POST /_/oidc/mint-token           200 {"success": true, "token": "pypi-...", "expires": <unix s>}
- POST /_/oidc/github/mint-token    the same (older versions of the GitHub action post here)
- POST /_/oidc/revoke-token         ours: {"token": "pypi-..."} revokes that upload token on
                                    every task (a job may burn its token after publishing)

Every refusal is HTTP 422 {"message": "Token request failed", "errors": [{"code",
"description"}]} with PyPI's codes (invalid-payload, invalid-token, invalid-publisher,
invalid-reuse-token), which uv and the action print. Each mint and each refusal leaves an
audit line (pypi_index/audit.py) naming the publisher and the workflow run.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import jwt

from pypi_index import audit, upload_tokens

from .claims import NoPublisher, match
from .keys import IssuerKeys, KeyFetchError
from .replay import Replayed, UsedTokens

# PyPI's leeway for exp/nbf/iat (warehouse oidc services, _JWT_LEEWAY).
LEEWAY_SECONDS = 30
ALGORITHMS = ["RS256"]
REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "jti"]
MAX_BODY_BYTES = 64 * 1024
MINT_PATHS = ("/_/oidc/mint-token", "/_/oidc/github/mint-token")


class Refused(Exception):
    def __init__(self, code: str, description: str):
        super().__init__(description)
        self.code, self.description = code, description


@dataclass
class Exchange:
    audience: str
    bindings: list[dict]
    token_key: str
    lifetime_seconds: int
    packages_dir: str
    keys: IssuerKeys
    used: UsedTokens
    clock: Callable[[], float] = time.time

    # -- minting ------------------------------------------------------------------------

    def mint(self, body: bytes, client: str) -> dict:
        token = _token_of(body)
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise Refused("invalid-payload", "malformed JWT") from None
        issuer = unverified.get("iss")
        if not isinstance(issuer, str) or issuer not in self.keys.issuers:
            raise Refused("invalid-payload", "unknown trusted publishing issuer")
        claims = self._verified(token, header, issuer)
        try:
            found = match(self.bindings, issuer, claims)
        except NoPublisher as err:
            raise Refused("invalid-publisher", f"valid token, but no corresponding publisher ({err})") from None
        try:
            self.used.claim(issuer, claims["jti"], int(claims["exp"]))
        except Replayed:
            raise Refused("invalid-reuse-token", "invalid token: already used") from None
        now = int(self.clock())
        minted = {
            "pub": found.binding["id"],
            "projects": found.binding["projects"],
            "iat": now,
            "nbf": now,
            "exp": now + self.lifetime_seconds,
            "jti": secrets.token_hex(16),
            "repository": found.repository,
            "workflow": found.workflow,
            "run_id": found.run_id,
        }
        publisher = {"id": found.binding["id"], "repository": found.repository, "workflow": found.workflow}
        audit.write(
            user=found.binding["id"],
            action="mint",
            result="ok",
            status=200,
            client=client,
            project=",".join(found.binding["projects"]),
            publisher=publisher | {"run_id": found.run_id},
            detail=f"upload token {minted['jti']} until {minted['exp']}",
        )
        return {"success": True, "token": upload_tokens.mint(self.token_key, minted), "expires": minted["exp"]}

    def _verified(self, token: str, header: dict, issuer: str) -> dict:
        # RS256 only, from the issuer's own keys by kid: `alg: none`, HS256 keyed with the
        # public key and tokens without a kid never reach a signature check.
        kid = header.get("kid")
        if header.get("alg") not in ALGORITHMS or not isinstance(kid, str):
            raise Refused("invalid-token", "malformed or invalid token")
        try:
            key = self.keys.key(issuer, kid)
        except KeyFetchError as err:
            raise Refused("invalid-token", f"the issuer's keys could not be fetched: {err}") from None
        if key is None:
            raise Refused("invalid-token", "malformed or invalid token")
        try:
            return jwt.decode(
                token,
                key=key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": REQUIRED_CLAIMS, "strict_aud": True},
            )
        except jwt.PyJWTError:
            raise Refused("invalid-token", "malformed or invalid token") from None

    def revoke(self, body: bytes) -> dict:
        token = _token_of(body)
        try:
            claims = upload_tokens.verify(self.token_key, token, self.clock())
        except upload_tokens.TokenRefused as err:
            raise Refused("invalid-token", str(err)) from None
        upload_tokens.revoke(self.packages_dir, str(claims["jti"]), int(claims["exp"]))
        return {"success": True}

    # -- WSGI ---------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO", "")
        client = audit.client_address(environ)
        if path == "/health":
            return _json(start_response, "200 OK", {"status": "ok"})
        if path == "/_/oidc/audience":
            if method != "GET":
                return _json(start_response, "405 Method Not Allowed", {"message": "use GET"})
            return _json(start_response, "200 OK", {"audience": self.audience})
        if path not in (*MINT_PATHS, "/_/oidc/revoke-token"):
            return _json(start_response, "404 Not Found", {"message": "Not Found"})
        if method != "POST":
            return _json(start_response, "405 Method Not Allowed", {"message": "use POST"})
        try:
            body = _read(environ)
            answer = self.revoke(body) if path.endswith("revoke-token") else self.mint(body, client)
        except Refused as err:
            if path in MINT_PATHS:
                audit.write(
                    user="",
                    action="mint",
                    result="rejected",
                    status=422,
                    client=client,
                    detail=f"{err.code}: {err.description}",
                )
            return _json(
                start_response,
                "422 Unprocessable Entity",
                {"message": "Token request failed", "errors": [{"code": err.code, "description": err.description}]},
            )
        return _json(start_response, "200 OK", answer)


def _token_of(body: bytes) -> str:
    # PyPI parses the raw body whatever its Content-Type (uv long sent none).
    try:
        payload = json.loads(body)
    except ValueError:
        raise Refused("invalid-payload", "the body is not JSON") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("token"), str):
        raise Refused("invalid-payload", 'the body must be {"token": "<string>"}')
    return payload["token"]


def _read(environ) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        raise Refused("invalid-payload", f"the body is larger than {MAX_BODY_BYTES} bytes")
    return environ["wsgi.input"].read(length) if length else b""


def _json(start_response, status: str, data: dict):
    body = json.dumps(data).encode()
    start_response(
        status,
        [("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Cache-Control", "no-store")],
    )
    return [body]
