"""The exchange with PyPI's shapes, against a local issuer over HTTPS: a good token mints an
upload token the index accepts; every refused case is 422 with PyPI's code, stores nothing,
and mints nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import ssl
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from oidc_exchange.app import Exchange
from oidc_exchange.keys import IssuerKeys, fetch_json
from oidc_exchange.replay import UsedTokens
from pypi_index import contract, upload_tokens
from pypi_index.identity import Identities
from tools.local_issuer import LocalIssuer, github_claims
from tools.local_tls import generate

AUDIENCE = "pypiserver-test"
KEY = "0123456789abcdef" * 4


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def issuer(tls):
    with LocalIssuer(tls) as running:
        yield running


def bindings(issuer_url: str) -> list[dict]:
    return [
        {
            "id": "github:acme/widgets/release.yml",
            "provider": "github",
            "issuer": issuer_url,
            "repository": "acme/widgets",
            "workflow": "release.yml",
            "projects": ["acme-*"],
        },
        {
            "id": "github:acme/widgets/deploy.yml:pypi",
            "provider": "github",
            "issuer": issuer_url,
            "repository": "acme/widgets",
            "workflow": "deploy.yml",
            "environment": "pypi",
            "projects": ["acme-deploy"],
        },
    ]


@pytest.fixture
def exchange(tmp_path, issuer, tls):
    context = ssl.create_default_context(cafile=str(tls.ca))
    return Exchange(
        audience=AUDIENCE,
        bindings=bindings(issuer.url),
        token_key=KEY,
        lifetime_seconds=900,
        packages_dir=str(tmp_path),
        keys=IssuerKeys(frozenset({issuer.url}), fetch=lambda url: fetch_json(url, context)),
        used=UsedTokens(str(tmp_path), keep_after_expiry=35),
    )


def call(app, method: str, path: str, body: bytes = b"") -> tuple[str, dict]:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "REMOTE_ADDR": "127.0.0.1",
    }
    status = []
    out = b"".join(app(environ, lambda s, h: status.append(s)))
    return status[0], json.loads(out)


def mint(app, token: str, path: str = "/_/oidc/mint-token") -> tuple[str, dict]:
    return call(app, "POST", path, json.dumps({"token": token}).encode())


def used_entries(tmp_path) -> list:
    folder = tmp_path / contract.INDEX_DIR / contract.USED_IDENTITY_TOKENS_DIR
    return sorted(folder.iterdir()) if folder.exists() else []


def test_audience_is_pypis_shape(exchange):
    assert call(exchange, "GET", "/_/oidc/audience") == ("200 OK", {"audience": AUDIENCE})


@pytest.mark.parametrize("path", ["/_/oidc/mint-token", "/_/oidc/github/mint-token"])
def test_a_good_token_mints_an_upload_token_the_index_accepts(exchange, issuer, tmp_path, path):
    status, body = mint(exchange, issuer.token(AUDIENCE), path)
    assert status == "200 OK" and body["success"] is True and body["token"].startswith("pypi-")
    assert time.time() + 890 < body["expires"] <= time.time() + 900, "15 minutes by default"
    index = Identities.from_environ(
        {contract.ENV_TRUSTED_PUBLISHERS: json.dumps(bindings(issuer.url)), contract.ENV_UPLOAD_TOKEN_KEY: KEY},
        str(tmp_path),
    )
    writer = index.token(body["token"])
    assert writer.may_write("acme-widgets") and writer.may_write("acme-deploy-x")
    assert not writer.may_write("other")
    assert writer.publisher == {
        "id": "github:acme/widgets/release.yml",
        "repository": "acme/widgets",
        "workflow": "release.yml",
        "run_id": "1234567",
    }
    assert len(used_entries(tmp_path)) == 1, "the identity token's jti is recorded"


def test_an_environment_pinned_binding_wins(exchange, issuer, tmp_path):
    claims = github_claims(workflow="deploy.yml", environment="PyPI")
    status, body = mint(exchange, issuer.token(AUDIENCE, **claims))
    assert status == "200 OK"
    payload = upload_tokens.verify(KEY, body["token"], time.time())
    assert (payload["pub"], payload["projects"]) == ("github:acme/widgets/deploy.yml:pypi", ["acme-deploy"])


def other_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(issuer) -> bytes:
    return issuer.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_with_public_key(issuer) -> str:
    """The algorithm-confusion forgery, built by hand (PyJWT itself refuses to make it)."""
    claims = jwt.decode(issuer.token(AUDIENCE), options={"verify_signature": False})
    signing = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": issuer.kid}).encode()) + "."
    signing += b64(json.dumps(claims).encode())
    return signing + "." + b64(hmac.new(public_pem(issuer), signing.encode(), hashlib.sha256).digest())


REFUSED = {
    "wrong audience": (lambda i: i.token("pypi"), "invalid-token"),
    "audience list": (lambda i: i.token([AUDIENCE, "other"]), "invalid-token"),
    "expired": (lambda i: i.token(AUDIENCE, now=time.time() - 400), "invalid-token"),
    "not yet valid": (lambda i: i.token(AUDIENCE, nbf=int(time.time()) + 120), "invalid-token"),
    "issued in the future": (lambda i: i.token(AUDIENCE, iat=int(time.time()) + 120), "invalid-token"),
    "unknown key id": (lambda i: i.token(AUDIENCE, headers={"kid": "rotated-away"}), "invalid-token"),
    "no key id": (lambda i: i.token(AUDIENCE, headers={}), "invalid-token"),
    "bad signature": (lambda i: i.token(AUDIENCE, key=other_key()), "invalid-token"),
    "alg none": (lambda i: i.token(AUDIENCE, key=None, algorithm="none"), "invalid-token"),
    "HS256 with the public key": (lambda i: hs256_with_public_key(i), "invalid-token"),
    "no jti": (lambda i: i.token(AUDIENCE, jti=None), "invalid-token"),
    "unknown issuer": (
        lambda i: i.token(AUDIENCE, iss="https://token.actions.githubusercontent.com"),
        "invalid-payload",
    ),
    "wrong repository": (lambda i: i.token(AUDIENCE, **github_claims("acme/other")), "invalid-publisher"),
    "wrong workflow": (lambda i: i.token(AUDIENCE, **github_claims(workflow="ci.yml")), "invalid-publisher"),
    "wrong environment": (
        lambda i: i.token(AUDIENCE, **github_claims(workflow="deploy.yml", environment="staging")),
        "invalid-publisher",
    ),
    "pull_request_target": (lambda i: i.token(AUDIENCE, event_name="pull_request_target"), "invalid-publisher"),
    "workflow ref at another ref": (
        lambda i: i.token(AUDIENCE, job_workflow_ref="acme/widgets/.github/workflows/release.yml@refs/heads/evil"),
        "invalid-publisher",
    ),
    "an upload token": (lambda i: upload_tokens.mint(KEY, {"pub": "x", "nbf": 0, "exp": 2**40}), "invalid-payload"),
    "not a JWT": (lambda i: "hello", "invalid-payload"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_tokens_get_pypis_422_and_store_nothing(exchange, issuer, tmp_path, capfd, case):
    make, code = REFUSED[case]
    status, body = mint(exchange, make(issuer))
    assert status == "422 Unprocessable Entity"
    assert body["message"] == "Token request failed" and [e["code"] for e in body["errors"]] == [code]
    assert used_entries(tmp_path) == [], "nothing stored for a refused request"
    lines = [json.loads(x) for x in capfd.readouterr().out.splitlines() if x.startswith('{"audit"')]
    assert [(x["action"], x["result"]) for x in lines] == [("mint", "rejected")]


def test_a_replayed_identity_token_is_refused(exchange, issuer, tmp_path):
    token = issuer.token(AUDIENCE)
    assert mint(exchange, token)[0] == "200 OK"
    status, body = mint(exchange, token)
    assert status.startswith("422") and body["errors"] == [
        {"code": "invalid-reuse-token", "description": "invalid token: already used"}
    ]
    assert len(used_entries(tmp_path)) == 1


def test_replay_is_refused_across_tasks(exchange, issuer, tmp_path, tls):
    """A second exchange (another task) over the same volume refuses what the first took."""
    token = issuer.token(AUDIENCE)
    other = Exchange(**{**exchange.__dict__, "used": UsedTokens(str(tmp_path), keep_after_expiry=35)})
    assert mint(exchange, token)[0] == "200 OK"
    assert mint(other, token)[1]["errors"][0]["code"] == "invalid-reuse-token"


@pytest.mark.parametrize(
    "body, fragment",
    [(b"", "not JSON"), (b"[]", '{"token"'), (b'{"token": 5}', '{"token"'), (b"x" * 70000, "larger than")],
)
def test_bad_payloads_are_invalid_payload(exchange, body, fragment):
    status, answer = call(exchange, "POST", "/_/oidc/mint-token", body)
    assert status.startswith("422") and answer["errors"][0]["code"] == "invalid-payload"
    assert fragment in answer["errors"][0]["description"]


def test_revoking_an_upload_token_refuses_it_on_upload(exchange, issuer, tmp_path):
    token = mint(exchange, issuer.token(AUDIENCE))[1]["token"]
    assert call(exchange, "POST", "/_/oidc/revoke-token", json.dumps({"token": token}).encode())[0] == "200 OK"
    index = Identities.from_environ(
        {contract.ENV_TRUSTED_PUBLISHERS: json.dumps(bindings(issuer.url)), contract.ENV_UPLOAD_TOKEN_KEY: KEY},
        str(tmp_path),
    )
    with pytest.raises(upload_tokens.TokenRefused, match="revoked"):
        index.token(token)


def test_other_paths_and_methods(exchange):
    assert call(exchange, "GET", "/_/oidc/mint-token")[0].startswith("405")
    assert call(exchange, "POST", "/_/oidc/audience")[0].startswith("405")
    assert call(exchange, "GET", "/_/oidc/other")[0].startswith("404")
