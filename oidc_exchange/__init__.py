"""The trusted-publishing exchange: PyPI's `/_/oidc/audience` and `/_/oidc/mint-token`.

A CI job sends its provider's OIDC identity token; the exchange verifies it with PyJWT
(RS256 only, against the issuer's published keys, strict audience, small leeway), matches
its claims to a binding of the stack's config, refuses a replayed token (its `jti`, claimed
atomically on the shared volume), and mints an upload token for the bound projects
(pypi_index/upload_tokens.py), which the index checks on upload with the standard library.

Runs in its own container (the stock pypiserver image, with PyJWT and cryptography installed
at start from oidc_exchange/requirements.txt, pinned with hashes), so the index itself stays
within the image's libraries. nginx routes `/_/oidc/` here (task/nginx.py).
"""
