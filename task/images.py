"""Container image references: pinned by release tag or by digest, optionally through a
registry mirror (an ECR pull-through cache), validated before anything is deployed.

Pure (no Pulumi): the config model validates with it and the task design renders with it.

A reference is `[registry/]repository:tag` or `[registry/]repository@sha256:<64 hex>`
(Docker's reference grammar, distribution/reference). A digest never takes a colon after
the repository: `pypiserver/pypiserver:sha256:...` is not a valid reference.
"""

from __future__ import annotations

import re
from pathlib import Path

from pypi_index import contract

# The pypiserver release the index is tested with: named once, in what the index runs on.
INDEX_REQUIREMENTS = Path(contract.__file__).with_name("requirements.txt")


def tested_pypiserver_version() -> str:
    """The version pinned as `pypiserver==X` in pypi_index/requirements.txt."""
    for line in INDEX_REQUIREMENTS.read_text().splitlines():
        match = re.match(r"^pypiserver==(\S+)", line.strip())
        if match:
            return match.group(1)
    raise RuntimeError(f"{INDEX_REQUIREMENTS} pins no pypiserver release")


TESTED_PYPISERVER_VERSION = tested_pypiserver_version()

PYPISERVER_REPOSITORY = "pypiserver/pypiserver"
# Official Docker Hub images live under `library/`; an ECR pull-through cache for Docker Hub
# needs that prefix spelled out ("For Docker Hub official images, the /library prefix must be
# included", Amazon ECR user guide, "Pulling an image with a pull through cache rule").
NGINX_REPOSITORY = "library/nginx"
DEFAULT_PYPISERVER_TAG = f"v{TESTED_PYPISERVER_VERSION}"
DEFAULT_NGINX_TAG = "1.28.0-alpine"

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
# A release: a version number, optionally with a variant (v2.4.2, 2.4.2, 1.28.0-alpine).
# Moving tags such as `latest`, `alpine` or `stable` change what runs without a diff.
RELEASE_TAG = re.compile(r"^v?\d+\.\d+(\.\d+)?([.-][0-9A-Za-z][0-9A-Za-z.-]{0,100})?$")
# host[:port][/path]: a registry, optionally with a namespace (an ECR pull-through prefix).
REGISTRY = re.compile(
    r"^(?=.{1,255}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*"
    r"(:\d{1,5})?(/[a-z0-9]+([._-][a-z0-9]+)*)*$"
)
ECR_REGISTRY = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(/|$)")


class ImageError(ValueError):
    """A tag, digest or registry that cannot pin an image. str() says what is allowed."""


def check_tag(value: str) -> str:
    """A release tag or a sha256 digest; anything else raises ImageError."""
    if DIGEST.match(value) or RELEASE_TAG.match(value):
        return value
    if value.startswith("sha256:"):
        raise ImageError(f"{value!r} is not a sha256 digest; expected 'sha256:' and 64 lowercase hex digits")
    raise ImageError(
        f"{value!r} is not pinned; use a release tag such as 'v2.4.2' or a digest 'sha256:<64 hex>' "
        "(moving tags like 'latest' change what runs without a diff)"
    )


def check_registry(value: str) -> str:
    if not REGISTRY.match(value):
        raise ImageError(
            f"{value!r} is not a registry; expected host[/prefix], e.g. "
            "'123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub'"
        )
    return value


def reference(repository: str, tag_or_digest: str, registry: str | None = None) -> str:
    """The image reference ECS pulls: a digest joins with '@', a tag with ':'."""
    check_tag(tag_or_digest)
    # Without a mirror, Docker Hub resolves `nginx` and `library/nginx` alike; keep the
    # short, familiar form.
    repo = repository.removeprefix("library/") if registry is None else repository
    base = f"{registry}/{repo}" if registry else repo
    separator = "@" if DIGEST.match(tag_or_digest) else ":"
    return f"{base}{separator}{tag_or_digest}"


def ecr_registry(registry: str | None) -> tuple[str, str] | None:
    """(account, region) when the registry is an ECR registry (a pull-through cache), else None."""
    match = ECR_REGISTRY.match(registry or "")
    return (match.group(1), match.group(2)) if match else None
