"""The users' credentials as the task reads them: a few secrets ("bundles") instead of one per
user, so the task definition keeps its size whatever the number of users.

ECS resolves each secret reference of a container definition when the task starts. One
reference per user and per file made the task definition grow by about 600 bytes per user,
past ECS's limit at about 60 users ("Task definition size: 64 KiB", Amazon ECS service
quotas). A bundle holds, for up to USERS_PER_BUNDLE users, what the task composes its files
from, one JSON key each: the lines of each nginx htpasswd file (one per action), pypiserver's
lines and the publishers' names. A container references each key it needs once per bundle
that has lines for it: a handful of references per 50 users.

A bundle's value must fit Secrets Manager's limit ("SecretString ... Maximum length of 65536",
Secrets Manager API CreateSecret): 50 users with the longest names (64 characters), each with
two valid tokens (a rotation in progress), take about 50 KB; tests/task/test_bundles.py
builds that worst case.

Users' own secrets (what clients read) stay one per user; bundles hold only hashes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .spec import SecretRef, TaskSpec

USERS_PER_BUNDLE = 50
# The most users a stack may have: what is built and checked end to end (the task definition's
# size, the bundles' size, the render time of their bcrypt hashes).
MAX_USERS = 500
MAX_SECRET_STRING_BYTES = 65536

# Keys of a bundle: nginx's file for each action, pypiserver's file, the publishers.
NGINX_KEYS = {"download": "nginx_download", "list": "nginx_list", "update": "nginx_update"}
PYPISERVER_KEY = "pypiserver"
PUBLISHERS_KEY = "publishers"
# Which field of a user's document (task/credentials.py) each key collects; the publishers'
# key collects names.
DOCUMENT_FIELDS = {**{key: "nginx_htpasswd" for key in NGINX_KEYS.values()}, PYPISERVER_KEY: "pypiserver_htpasswd"}


def chunks(spec: TaskSpec) -> list[tuple[str, ...]]:
    """The users' names, USERS_PER_BUNDLE per bundle, in the stack's order (adding a user
    changes the last bundle only)."""
    names = [u.name for u in spec.users]
    return [tuple(names[i : i + USERS_PER_BUNDLE]) for i in range(0, len(names), USERS_PER_BUNDLE)]


def variable(key: str, bundle: int) -> str:
    """The environment variable a container receives one bundle's key in."""
    return f"TASK_{key.upper()}_{bundle}"


def bundles_for(spec: TaskSpec, members: Sequence[str]) -> list[int]:
    """The bundles holding lines of any of `members`."""
    wanted = set(members)
    return [k for k, chunk in enumerate(chunks(spec)) if wanted & set(chunk)]


def variables(spec: TaskSpec, key: str, members: Sequence[str]) -> list[str]:
    return [variable(key, k) for k in bundles_for(spec, members)]


def references(spec: TaskSpec, key: str, members: Sequence[str]) -> list[dict]:
    """ECS secret references for one key: "arn:aws:secretsmanager:region:aws_account_id:secret:
    secret-name:json-key:version-stage:version-id" (Amazon ECS developer guide, "Pass Secrets
    Manager secrets through Amazon ECS environment variables")."""
    refs = []
    for k in bundles_for(spec, members):
        secret = spec.bundles[k] if k < len(spec.bundles) else SecretRef()
        refs.append({"name": variable(key, k), "valueFrom": f"{secret.arn}:{key}::{secret.version}"})
    return refs


def document(chunk: Sequence[str], members: Mapping[str, Sequence[str]], users: Mapping[str, dict]) -> dict[str, str]:
    """One bundle's value: for each key, the lines (or names) of the chunk's users it holds.
    `members` maps each key to the users it holds; `users` each user's document."""
    doc = {}
    for key, names in members.items():
        wanted = [n for n in chunk if n in set(names)]
        if not wanted:
            continue
        if key == PUBLISHERS_KEY:
            doc[key] = ",".join(wanted)
        else:
            doc[key] = "\n".join(users[n][DOCUMENT_FIELDS[key]] for n in wanted)
    return doc
