"""Trusted publishers (`pypiserver:trustedPublishing`): CI jobs that publish with no stored
secret, each bound to projects and to the claims its provider's identity token must carry.

The index serves PyPI's exchange (`/_/oidc/audience`, `/_/oidc/mint-token`): a job proves
who it is with its provider's OIDC token and gets a short-lived upload token for the bound
projects. What is compared follows PyPI (its GitHub and GitLab publishers): GitHub's
`repository` (any case), `repository_owner_id` when given, `job_workflow_ref`'s workflow
file, and optional `environment` (any case) and `ref`; GitLab's `project_path` (any case),
`ci_config_ref_uri`'s file, and optional `environment` (exact case) and `ref`.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from pypi_index.rights import canonical_pattern
from task.spec import TrustedPublishingSpec

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITLAB_ISSUER = "https://gitlab.com"
# PyPI mints for 900 s; PEP 807 (draft) bounds upload tokens to 6 hours.
DEFAULT_TOKEN_MINUTES = 15
MAX_TOKEN_MINUTES = 360

# GitHub: owner/name (names: letters, digits, '-', '_', '.').
GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
# A workflow file under .github/workflows/, as PyPI registers it: a name, no '/'.
WORKFLOW_FILE = re.compile(r"^[A-Za-z0-9._-]+\.ya?ml$")
# GitLab: group[/subgroup...]/project.
GITLAB_PROJECT = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_.-]*(/[A-Za-z0-9_.][A-Za-z0-9_.-]*)+$")
CI_CONFIG_PATH = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_./-]*\.ya?ml$")
# A git ref as the tokens carry it: refs/heads/..., refs/tags/... ('*' for any run).
GIT_REF = re.compile(r"^refs/(heads|tags)/[^\s:~^?\[\\]+$")
# The audience travels in GitLab's variable name (<AUD>_ID_TOKEN) and in JSON: keep it plain.
AUDIENCE = re.compile(r"^[a-z0-9][a-z0-9.-]{0,62}$")


def check_projects(patterns: list[str]) -> list[str]:
    if not patterns:
        raise ValueError("give at least one project name or pattern, e.g. ['acme-widgets', 'acme-*']")
    canonical = [canonical_pattern(p) for p in patterns]
    if len(set(canonical)) != len(canonical):
        raise ValueError("lists a project or pattern twice (after normalization)")
    return canonical


def check_issuer(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment or url.endswith("/"):
        raise ValueError(
            f"{url!r} is not an issuer URL; expected https://host[/path] without a trailing '/' "
            "(the token's `iss` claim, e.g. https://token.actions.githubusercontent.com)"
        )
    return url


class _Publisher(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)

    projects: list[str]
    environment: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    ref: str | None = None

    @field_validator("projects")
    @classmethod
    def _projects(cls, v: list[str]) -> list[str]:
        return check_projects(v)

    @field_validator("ref")
    @classmethod
    def _ref(cls, v: str | None) -> str | None:
        if v is not None and not GIT_REF.match(v):
            raise ValueError("a ref is refs/heads/<branch> or refs/tags/<tag> ('*' matches any run, e.g. refs/tags/v*)")
        return v

    @field_validator("issuer", check_fields=False)
    @classmethod
    def _issuer(cls, v: str) -> str:
        return check_issuer(v)


class GitHubPublisher(_Publisher):
    """A GitHub Actions workflow: `.github/workflows/<workflow>` of `repository`."""

    provider: Literal["github"]
    repository: str
    workflow: str
    # The owner's numeric id (GET /users/<owner> -> id): a deleted and re-registered owner
    # name does not inherit the binding.
    repository_owner_id: Annotated[str, Field(pattern=r"^[0-9]{1,20}$")] | None = None
    # GitHub Enterprise Server: https://HOSTNAME/_services/token.
    issuer: str = GITHUB_ISSUER

    @field_validator("repository")
    @classmethod
    def _repository(cls, v: str) -> str:
        if not GITHUB_REPOSITORY.match(v):
            raise ValueError("a repository is owner/name, e.g. 'acme/widgets'")
        return v

    @field_validator("workflow")
    @classmethod
    def _workflow(cls, v: str) -> str:
        if not WORKFLOW_FILE.match(v):
            raise ValueError("a workflow is the file name under .github/workflows/, e.g. 'release.yml' (no '/')")
        return v

    @property
    def id(self) -> str:
        return f"github:{self.repository.lower()}/{self.workflow}" + _suffix(self.environment, self.ref)


class GitLabPublisher(_Publisher):
    """A GitLab CI pipeline of `project` (group/project) defined in `ciConfigPath`."""

    provider: Literal["gitlab"]
    project: str
    ci_config_path: str = ".gitlab-ci.yml"
    # Self-managed GitLab: its instance URL.
    issuer: str = GITLAB_ISSUER

    @field_validator("project")
    @classmethod
    def _project(cls, v: str) -> str:
        if not GITLAB_PROJECT.match(v):
            raise ValueError("a project is its path, group[/subgroup]/project, e.g. 'acme/widgets'")
        return v

    @field_validator("ci_config_path")
    @classmethod
    def _ci_config_path(cls, v: str) -> str:
        if not CI_CONFIG_PATH.match(v) or ".." in v.split("/"):
            raise ValueError("the CI config is a .yml path in the project, e.g. '.gitlab-ci.yml'")
        return v

    @property
    def id(self) -> str:
        return f"gitlab:{self.project.lower()}/{self.ci_config_path}" + _suffix(self.environment, self.ref)


def _suffix(environment: str | None, ref: str | None) -> str:
    return (f":{environment}" if environment else "") + (f"@{ref}" if ref else "")


TrustedPublisher = Annotated[GitHubPublisher | GitLabPublisher, Field(discriminator="provider")]


class TrustedPublishing(BaseModel):
    """`pypiserver:trustedPublishing`: the bindings, the audience and the tokens' lifetime."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)

    publishers: list[TrustedPublisher]
    # What identity tokens must name in `aud`: unique per index, so a token requested for
    # another index (or for pypi.org, "pypi") is refused here. Default: pypiserver-<stack>.
    audience: str | None = None
    token_minutes: Annotated[int, Field(ge=1, le=MAX_TOKEN_MINUTES)] = DEFAULT_TOKEN_MINUTES

    @field_validator("publishers")
    @classmethod
    def _publishers(cls, v: list[GitHubPublisher | GitLabPublisher]) -> list[GitHubPublisher | GitLabPublisher]:
        if not v:
            raise ValueError("give at least one publisher, or leave trustedPublishing unset")
        seen: set[str] = set()
        for publisher in v:
            if publisher.id in seen:
                raise ValueError(f"binds {publisher.id} twice; merge its projects into one entry")
            seen.add(publisher.id)
        return v

    @field_validator("audience")
    @classmethod
    def _audience(cls, v: str | None) -> str | None:
        if v is not None and (not AUDIENCE.match(v) or v in ("pypi", "testpypi")):
            raise ValueError(
                "an audience is 1-63 of a-z 0-9 . - (not 'pypi' or 'testpypi': a token for this index "
                "must be useless elsewhere)"
            )
        return v

    def audience_for(self, stack: str) -> str:
        return self.audience or f"pypiserver-{stack}".lower()

    def bindings(self) -> list[dict]:
        """What the exchange and the index read (contract.ENV_TRUSTED_PUBLISHERS): the id, the
        provider, the issuer, the projects and the claims to match; unset ones left out."""
        return [
            {"id": p.id, **p.model_dump(by_alias=False, exclude_none=True)}
            for p in sorted(self.publishers, key=lambda p: p.id)
        ]

    def task_spec(self, stack: str) -> TrustedPublishingSpec:
        """The exchange's part of the task (the signing key's secret is filled in once it exists)."""
        return TrustedPublishingSpec(
            bindings=json.dumps(self.bindings(), sort_keys=True, separators=(",", ":")),
            audience=self.audience_for(stack),
            token_lifetime_seconds=self.token_minutes * 60,
        )
