"""`python -m oidc_exchange`: serve the exchange on contract.ENV_OIDC_LISTEN (host:port),
configured from the environment the task renders; refuses to start, in one line, without
its bindings or its signing key."""

from __future__ import annotations

import json
import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from pypi_index import contract, upload_tokens

from .app import LEEWAY_SECONDS, Exchange
from .keys import IssuerKeys
from .replay import UsedTokens


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002  (the audit lines say what matters)
        pass


def exchange_from_environ(environ: dict[str, str]) -> Exchange:
    bindings = json.loads(environ.get(contract.ENV_TRUSTED_PUBLISHERS) or "[]")
    key = environ.get(contract.ENV_UPLOAD_TOKEN_KEY, "")
    if not bindings:
        raise ValueError(f"{contract.ENV_TRUSTED_PUBLISHERS} names no trusted publisher")
    if len(key) < upload_tokens.MIN_KEY_CHARS:
        raise ValueError(f"{contract.ENV_UPLOAD_TOKEN_KEY} is missing or shorter than {upload_tokens.MIN_KEY_CHARS}")
    packages = environ[contract.ENV_PACKAGES_DIR]
    return Exchange(
        audience=environ[contract.ENV_OIDC_AUDIENCE],
        bindings=bindings,
        token_key=key,
        lifetime_seconds=int(environ[contract.ENV_TOKEN_LIFETIME]),
        packages_dir=packages,
        keys=IssuerKeys(frozenset(b["issuer"] for b in bindings)),
        used=UsedTokens(packages, keep_after_expiry=LEEWAY_SECONDS + 5),
    )


def main() -> int:
    try:
        exchange = exchange_from_environ(dict(os.environ))
        host, _, port = os.environ[contract.ENV_OIDC_LISTEN].rpartition(":")
    except (KeyError, ValueError) as err:
        print(f"oidc_exchange: {err}", file=sys.stderr)
        return 1
    with make_server(host, int(port), exchange, server_class=_Server, handler_class=_QuietHandler) as server:
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
