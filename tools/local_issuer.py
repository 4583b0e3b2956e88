"""A small OIDC provider standing in for GitHub Actions (or GitLab) on the local run: its own
RSA key, discovery document and JWKS over HTTPS (the local run's CA), and GitHub's token
request endpoint that ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN point at (`GET ...&audience=X`
with `Authorization: bearer <request token>` -> `{"value": "<JWT>"}`)."""

from __future__ import annotations

import json
import ssl
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tools.local_tls import LocalTls

REQUEST_TOKEN = "actions-request-token"  # what the runner would put in ACTIONS_ID_TOKEN_REQUEST_TOKEN


def github_claims(repository: str = "acme/widgets", workflow: str = "release.yml", **over) -> dict:
    """Claims as GitHub puts them in a job's token (github/docs, OIDC reference)."""
    owner = repository.split("/")[0]
    ref = over.pop("ref", "refs/tags/v1.0")
    return {
        "sub": f"repo:{repository}:ref:{ref}",
        "repository": repository,
        "repository_owner": owner,
        "repository_owner_id": "65",
        "repository_id": "74",
        "ref": ref,
        "ref_type": "tag",
        "sha": "4d5f9e0c" * 5,
        "workflow": "Release",
        "workflow_ref": f"{repository}/.github/workflows/{workflow}@{ref}",
        "job_workflow_ref": f"{repository}/.github/workflows/{workflow}@{ref}",
        "event_name": "push",
        "run_id": "1234567",
        "run_number": "7",
        "run_attempt": "1",
        "actor": "octocat",
        "runner_environment": "github-hosted",
    } | over


class LocalIssuer:
    def __init__(self, tls: LocalTls):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex[:16]
        self.claims = github_claims()  # what the token endpoint serves
        self.requests: list[str] = []
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                issuer.requests.append(self.path)
                parts = urlsplit(self.path)
                if parts.path == "/.well-known/openid-configuration":
                    return self._json(200, {"issuer": issuer.url, "jwks_uri": issuer.url + "/.well-known/jwks"})
                if parts.path == "/.well-known/jwks":
                    return self._json(200, issuer.jwks())
                if parts.path == "/token":
                    if self.headers.get("Authorization", "").lower() != f"bearer {REQUEST_TOKEN}":
                        return self._json(401, {"message": "bad request token"})
                    audience = parse_qs(parts.query).get("audience", [""])[-1]
                    return self._json(200, {"value": issuer.token(audience)})
                return self._json(404, {})

            def _json(self, status, data):
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls.cert, tls.key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server.server_address[1]}"

    @property
    def request_url(self) -> str:
        """ACTIONS_ID_TOKEN_REQUEST_URL: it carries a query already, as GitHub's does."""
        return f"{self.url}/token?api-version=2.0"

    def jwks(self) -> dict:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [jwk | {"kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def token(self, audience: str, lifetime: int = 300, now: float | None = None, **over) -> str:
        """A signed identity token with the served claims; `over` changes or drops (None) claims;
        `headers`, `key` and `algorithm` forge the signature's parts."""
        now = int(time.time() if now is None else now)
        headers = over.pop("headers", {"kid": self.kid})
        key = over.pop("key", self.key)
        algorithm = over.pop("algorithm", "RS256")
        claims = {
            "iss": self.url,
            "aud": audience,
            "jti": uuid.uuid4().hex,
            "iat": now,
            "nbf": now - 5,
            "exp": now + lifetime,
            **self.claims,
            **over,
        }
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, key, algorithm=algorithm, headers=headers)

    def __enter__(self) -> LocalIssuer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
