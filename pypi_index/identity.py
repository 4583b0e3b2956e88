"""Who is writing: a named user (its login, checked by pypiserver's htpasswd) or a trusted
publisher (an upload token, checked here), and which projects each may write.

Built once per worker from the environment the task renders (names in contract.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from . import audit, contract, rights, upload_tokens


@dataclass(frozen=True)
class Writer:
    """What an audit line names and what the rights check reads."""

    name: str
    # Pattern groups: a project is writable when every group covers it (a token: its own
    # scope and its binding's current one, so a narrowed binding applies at once).
    projects: tuple[tuple[str, ...], ...]
    # The trusted publisher behind an upload token (id, repository, workflow, run_id).
    publisher: dict | None = None

    @property
    def uploads_only(self) -> bool:
        """A trusted publisher's token uploads; it never removes or yanks (as on PyPI)."""
        return self.publisher is not None

    def may_write(self, project: str) -> bool:
        return all(rights.allows(group, project) for group in self.projects)


@dataclass(frozen=True)
class Identities:
    publishers: frozenset[str]  # named users with the update action
    project_rights: Mapping[str, tuple[str, ...]]  # user -> patterns (absent: every project)
    trusted: Mapping[str, tuple[str, ...]]  # trusted publisher id -> its projects
    token_key: str
    packages_dir: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], packages_dir: str) -> Identities:
        rights_map = {}
        for line in (environ.get(contract.ENV_PROJECT_RIGHTS) or "").splitlines():
            user, _, patterns = line.strip().partition(" ")
            if user:
                rights_map[user] = tuple(p for p in patterns.split(",") if p)
        bound = json.loads(environ.get(contract.ENV_TRUSTED_PUBLISHERS) or "[]")
        return cls(
            publishers=frozenset(p for p in environ.get(contract.ENV_PUBLISHERS, "").split(",") if p),
            project_rights={u: tuple(p) for u, p in rights_map.items()},
            trusted={b["id"]: tuple(b["projects"]) for b in bound},
            token_key=environ.get(contract.ENV_UPLOAD_TOKEN_KEY, ""),
            packages_dir=packages_dir,
        )

    def user(self, login: str) -> Writer | None:
        """A named user who may publish, or None (a reader)."""
        name = audit.principal(login)
        if name not in self.publishers:
            return None
        # The audit names the login (which token, during a rotation); rights are the user's.
        return Writer(name=login, projects=(self.project_rights.get(name, rights.ANY_PROJECT),))

    def token(self, token: str, now: float | None = None) -> Writer:
        """The trusted publisher an upload token speaks for; TokenRefused (one line) if the
        token is forged, expired, not yet valid, revoked, or its publisher is no longer bound."""
        claims = upload_tokens.verify(self.token_key, token, time.time() if now is None else now)
        bound = self.trusted.get(str(claims.get("pub")))
        if bound is None:
            raise upload_tokens.TokenRefused(f"trusted publisher {claims.get('pub')!r} is no longer bound")
        if upload_tokens.is_revoked(self.packages_dir, str(claims.get("jti", ""))):
            raise upload_tokens.TokenRefused("upload token revoked")
        scoped = tuple(p for p in claims.get("projects", []) if isinstance(p, str))
        return Writer(
            name=claims["pub"],
            projects=(scoped, bound),
            publisher={k: claims.get(k, "") for k in ("repository", "workflow", "run_id")} | {"id": claims["pub"]},
        )

    def may_write(self, login: str) -> bool:
        """From the login alone (no password, no body): a publisher's name (or one of its
        rotated logins) or the upload-token user; anyone else is read-only."""
        return login == upload_tokens.USERNAME or audit.principal(login) in self.publishers

    def writer(self, login: str, password: str) -> Writer | None:
        if login == upload_tokens.USERNAME:
            try:
                return self.token(password)
            except upload_tokens.TokenRefused:
                return None
        return self.user(login)

    def auther(self, named: Callable[[str, str], bool]) -> Callable[[str, str], bool]:
        """pypiserver's password check, extended to upload tokens (`__token__`)."""

        def check(login: str, password: str) -> bool:
            if login == upload_tokens.USERNAME:
                try:
                    self.token(password)
                except upload_tokens.TokenRefused:
                    return False
                return True
            return named(login, password)

        return check
