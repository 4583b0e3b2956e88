"""The issuers' signing keys: fetched from `{iss}/.well-known/openid-configuration` ->
`jwks_uri`, cached per issuer, refreshed on an unknown key id at most once per interval per
issuer, bounded (only the configured issuers, at most MAX_KEYS keys each, responses capped).

An empty or unusable key set is never cached (as PyPI does), so one bad fetch does not lock
publishing out for an interval.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import jwt

REFRESH_INTERVAL_SECONDS = 60
# Keys rotate rarely; refetch now and then even when every kid is known.
MAX_AGE_SECONDS = 3600
MAX_KEYS = 32
MAX_RESPONSE_BYTES = 1 << 20
FETCH_TIMEOUT_SECONDS = 5

Fetch = Callable[[str], dict]


class KeyFetchError(Exception):
    """The issuer's keys could not be had. str() is one line."""


def fetch_json(url: str, context: ssl.SSLContext | None = None) -> dict:
    if urlsplit(url).scheme != "https":
        raise KeyFetchError(f"{url}: keys are fetched over https only")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS, context=context) as resp:
            body = resp.read(MAX_RESPONSE_BYTES + 1)
    except OSError as err:
        raise KeyFetchError(f"{url}: {err}") from None
    if len(body) > MAX_RESPONSE_BYTES:
        raise KeyFetchError(f"{url}: response larger than {MAX_RESPONSE_BYTES} bytes")
    try:
        data = json.loads(body)
    except ValueError:
        raise KeyFetchError(f"{url}: not JSON") from None
    if not isinstance(data, dict):
        raise KeyFetchError(f"{url}: not a JSON object")
    return data


@dataclass
class _KeySet:
    keys: dict[str, jwt.PyJWK]
    fetched: float


@dataclass
class IssuerKeys:
    issuers: frozenset[str]
    fetch: Fetch = fetch_json
    clock: Callable[[], float] = time.monotonic
    refresh_interval: float = REFRESH_INTERVAL_SECONDS
    _sets: dict[str, _KeySet] = field(default_factory=dict)
    _attempts: dict[str, float] = field(default_factory=dict)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    fetches: int = 0

    def __post_init__(self) -> None:
        self._locks = {issuer: threading.Lock() for issuer in self.issuers}

    def key(self, issuer: str, kid: str) -> jwt.PyJWK | None:
        """The issuer's key `kid`, or None when the issuer does not publish it (after at most
        one refresh per interval). KeyFetchError when the keys cannot be fetched at all."""
        if issuer not in self.issuers:
            return None  # never fetch for an issuer nobody configured
        with self._locks[issuer]:
            current = self._sets.get(issuer)
            now = self.clock()
            fresh = current is not None and now - current.fetched < MAX_AGE_SECONDS
            if fresh and kid in current.keys:  # type: ignore[union-attr]
                return current.keys[kid]  # type: ignore[union-attr]
            last = self._attempts.get(issuer)
            if last is not None and now - last < self.refresh_interval:
                # Within the interval nothing makes us fetch again: not an unknown kid, not a
                # failed fetch (an issuer that is down is not hammered either).
                if current is None:
                    raise KeyFetchError(f"{issuer}: keys unavailable (last fetch failed); retry in a minute")
                return current.keys.get(kid)
            self._attempts[issuer] = now
            return self._refresh(issuer, now).keys.get(kid)

    def _refresh(self, issuer: str, now: float) -> _KeySet:
        self.fetches += 1
        discovery = self.fetch(f"{issuer}/.well-known/openid-configuration")
        if discovery.get("issuer") not in (None, issuer):
            raise KeyFetchError(f"{issuer}: its discovery document names issuer {discovery.get('issuer')!r}")
        jwks_uri = discovery.get("jwks_uri")
        if not isinstance(jwks_uri, str) or urlsplit(jwks_uri).scheme != "https":
            raise KeyFetchError(f"{issuer}: the discovery document has no https jwks_uri")
        keys: dict[str, jwt.PyJWK] = {}
        for data in self.fetch(jwks_uri).get("keys") or []:
            if not isinstance(data, dict) or data.get("kty") != "RSA" or not data.get("kid"):
                continue
            if data.get("use", "sig") != "sig" or data.get("alg", "RS256") != "RS256":
                continue
            try:
                keys[str(data["kid"])] = jwt.PyJWK(data, algorithm="RS256")
            except jwt.PyJWTError:
                continue
            if len(keys) >= MAX_KEYS:
                break
        if not keys:
            raise KeyFetchError(f"{issuer}: publishes no usable RS256 signing key")
        entry = _KeySet(keys=keys, fetched=now)
        self._sets[issuer] = entry
        return entry
