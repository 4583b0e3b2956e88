"""The users' credentials as the task reads them: a few secrets ("bundles") instead of one per
user, so the task definition keeps its size whatever the number of users.

ECS resolves each secret reference of a container definition when the task starts. One
reference per user and per file made the task definition grow by about 600 bytes per user,
past ECS's limit at about 60 users ("Task definition size: 64 KiB", Amazon ECS service
quotas). A bundle holds, for up to USERS_PER_BUNDLE users, everything the task composes its
files from, as lines of text `<key> <value>`: the lines of each nginx htpasswd file (one key
per action), pypiserver's lines, the publishers' names and the projects of those limited to
some. A container references each
bundle once, as a whole ("arn:...:secret:name:json-key:version-stage:version-id" with the
JSON key left empty: Amazon ECS developer guide, "Pass Secrets Manager secrets through Amazon
ECS environment variables"), and its entry command picks the lines of each key with sed:
two references per 50 users, whatever the number of files.

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

# Keys of a bundle's lines: nginx's file for each action, pypiserver's file, the publishers.
NGINX_KEYS = {"download": "nginx_download", "list": "nginx_list", "update": "nginx_update"}
PYPISERVER_KEY = "pypiserver"
PUBLISHERS_KEY = "publishers"
# Publishers limited to some projects: `projects <user> <pattern>[,<pattern>...]`.
PROJECTS_KEY = "projects"
# Which field of a user's document (task/credentials.py) each key collects; the publishers'
# key collects names.
DOCUMENT_FIELDS = {**{key: "nginx_htpasswd" for key in NGINX_KEYS.values()}, PYPISERVER_KEY: "pypiserver_htpasswd"}


def chunks(spec: TaskSpec) -> list[tuple[str, ...]]:
    """The users' names, USERS_PER_BUNDLE per bundle, in the stack's order (adding a user
    changes the last bundle only)."""
    names = [u.name for u in spec.users]
    return [tuple(names[i : i + USERS_PER_BUNDLE]) for i in range(0, len(names), USERS_PER_BUNDLE)]


def variable(bundle: int) -> str:
    """The environment variable a container receives one bundle in."""
    return f"TASK_BUNDLE_{bundle}"


def references(spec: TaskSpec) -> list[dict]:
    """ECS secret references to every bundle, each whole and pinned to its version."""
    refs = []
    for k in range(len(chunks(spec))):
        secret = spec.bundles[k] if k < len(spec.bundles) else SecretRef()
        refs.append({"name": variable(k), "valueFrom": f"{secret.arn}:::{secret.version}"})
    return refs


def lines_of(spec: TaskSpec, key: str) -> str:
    """Shell: the values of one key from every bundle, a line each (busybox's sed in the
    stock images). Nothing else is ever read from a bundle."""
    values = " ".join(f'"${variable(k)}"' for k in range(len(chunks(spec))))
    return f"printf \"%s\\n\" {values} | sed -n 's/^{key} //p'"


def rights_line(user: str, projects: Sequence[str]) -> str:
    """What the index reads of one limited publisher (contract.ENV_PROJECT_RIGHTS)."""
    return f"{user} {','.join(projects)}"


def document(
    chunk: Sequence[str],
    members: Mapping[str, Sequence[str]],
    users: Mapping[str, dict],
    projects: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """One bundle's value: for each key, the lines (or names) of the chunk's users it holds,
    as `<key> <value>` lines. `members` maps each key to the users it holds; `users` each
    user's document; `projects` the patterns of the limited publishers. User names, patterns
    and htpasswd lines hold no space or newline of their own."""
    lines = []
    for key, names in members.items():
        wanted = [n for n in chunk if n in set(names)]
        if key == PUBLISHERS_KEY:
            lines += [f"{key} {n}" for n in wanted]
        elif key == PROJECTS_KEY:
            lines += [f"{key} {rights_line(n, (projects or {})[n])}" for n in wanted]
        else:
            lines += [f"{key} {line}" for n in wanted for line in users[n][DOCUMENT_FIELDS[key]].splitlines()]
    return "".join(line + "\n" for line in lines)
