"""The issuers' key cache: bounded, refreshed on an unknown kid at most once per interval per
issuer, never caching an empty key set, never fetching for an issuer nobody configured."""

from __future__ import annotations

import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from oidc_exchange.keys import MAX_KEYS, IssuerKeys, KeyFetchError

ISSUER = "https://issuer.example"


def jwk(kid: str) -> dict:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    return json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key)) | {"kid": kid}


KEYS = {k: jwk(k) for k in ("a", "b")}


class Issuer:
    def __init__(self, keys: list[dict]):
        self.keys, self.fetched = keys, []

    def __call__(self, url: str) -> dict:
        self.fetched.append(url)
        if url.endswith("openid-configuration"):
            return {"issuer": ISSUER, "jwks_uri": ISSUER + "/jwks"}
        return {"keys": self.keys}


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def cache(issuer: Issuer, clock: Clock) -> IssuerKeys:
    return IssuerKeys(frozenset({ISSUER}), fetch=issuer, clock=clock, refresh_interval=60)


def test_known_keys_are_served_from_the_cache():
    issuer, clock = Issuer([KEYS["a"]]), Clock()
    keys = cache(issuer, clock)
    assert keys.key(ISSUER, "a").key_id == "a"
    assert keys.key(ISSUER, "a").key_id == "a"
    assert keys.fetches == 1


def test_an_unknown_kid_refreshes_at_most_once_per_interval():
    issuer, clock = Issuer([KEYS["a"]]), Clock()
    keys = cache(issuer, clock)
    keys.key(ISSUER, "a")
    for _ in range(50):
        assert keys.key(ISSUER, "unknown") is None
    assert keys.fetches == 1, "a flood of unknown kids within the interval fetches nothing"
    issuer.keys = [KEYS["a"], KEYS["b"]]  # the issuer rotates in a new key
    clock.now += 61
    assert keys.key(ISSUER, "b").key_id == "b"
    assert keys.fetches == 2


def test_an_empty_key_set_is_never_cached_and_a_failing_issuer_is_not_hammered():
    issuer, clock = Issuer([]), Clock()
    keys = cache(issuer, clock)
    with pytest.raises(KeyFetchError, match="no usable RS256"):
        keys.key(ISSUER, "a")
    with pytest.raises(KeyFetchError, match="retry in a minute"):
        keys.key(ISSUER, "a")
    assert keys.fetches == 1
    issuer.keys = [KEYS["a"]]
    clock.now += 61
    assert keys.key(ISSUER, "a").key_id == "a"


def test_an_unconfigured_issuer_is_never_fetched():
    issuer = Issuer([KEYS["a"]])
    assert cache(issuer, Clock()).key("https://evil.example", "a") is None
    assert issuer.fetched == []


def test_keys_per_issuer_are_bounded_and_only_rsa_signing_keys_count():
    many = [jwk(f"k{i}") for i in range(MAX_KEYS + 3)]
    odd = [{"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}, KEYS["a"] | {"use": "enc", "kid": "enc"}]
    keys = cache(Issuer(odd + many), Clock())
    assert keys.key(ISSUER, "k0") is not None
    assert keys.key(ISSUER, "hmac") is None and keys.key(ISSUER, "enc") is None
    assert len(keys._sets[ISSUER].keys) == MAX_KEYS


def test_a_discovery_document_for_another_issuer_is_refused():
    def fetch(url):
        return {"issuer": "https://other.example", "jwks_uri": "https://other.example/jwks"}

    with pytest.raises(KeyFetchError, match="names issuer"):
        IssuerKeys(frozenset({ISSUER}), fetch=fetch).key(ISSUER, "a")


def test_plain_http_key_endpoints_are_refused():
    def fetch(url):
        return {"issuer": ISSUER, "jwks_uri": "http://issuer.example/jwks"}

    with pytest.raises(KeyFetchError, match="no https jwks_uri"):
        IssuerKeys(frozenset({ISSUER}), fetch=fetch).key(ISSUER, "a")
