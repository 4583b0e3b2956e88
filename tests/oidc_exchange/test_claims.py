"""Which binding takes a token's claims: PyPI's checks for GitHub and GitLab publishers."""

from __future__ import annotations

import pytest

from oidc_exchange.claims import NoPublisher, match
from tools.local_issuer import github_claims

GH = "https://token.actions.githubusercontent.com"
GL = "https://gitlab.com"
GITHUB = {
    "id": "github:acme/widgets/release.yml",
    "provider": "github",
    "issuer": GH,
    "repository": "Acme/Widgets",
    "workflow": "release.yml",
    "projects": ["acme-*"],
}
GITLAB = {
    "id": "gitlab:acme/cli/.gitlab-ci.yml:Release",
    "provider": "gitlab",
    "issuer": GL,
    "project": "acme/cli",
    "ci_config_path": ".gitlab-ci.yml",
    "environment": "Release",
    "projects": ["acme-cli"],
}


def gitlab_claims(**over) -> dict:
    return {
        "sub": "project_path:acme/cli:ref_type:tag:ref:v1.0",
        "project_path": "acme/cli",
        "ref_path": "refs/tags/v1.0",
        "sha": "ab" * 20,
        "ci_config_ref_uri": "gitlab.com/acme/cli//.gitlab-ci.yml@refs/tags/v1.0",
        "environment": "Release",
        "pipeline_id": "99",
    } | over


def test_github_repository_is_compared_in_any_case():
    found = match([GITHUB], GH, github_claims("acme/widgets"))
    assert (found.repository, found.workflow, found.run_id) == ("acme/widgets", "release.yml", "1234567")


def test_github_job_workflow_ref_may_name_the_sha():
    claims = github_claims("acme/widgets")
    claims["job_workflow_ref"] = "acme/widgets/.github/workflows/release.yml@" + claims["sha"]
    assert match([GITHUB], GH, claims)


@pytest.mark.parametrize(
    "binding, claims, reason",
    [
        (GITHUB | {"repository_owner_id": "1"}, {}, "repository_owner_id"),
        (
            GITHUB | {"ref": "refs/tags/v*"},
            {
                "ref": "refs/heads/main",
                "job_workflow_ref": "acme/widgets/.github/workflows/release.yml@refs/heads/main",
            },
            "optional claim 'ref'",
        ),
        (GITHUB, {"job_workflow_ref": None}, "Missing claim 'job_workflow_ref'"),
        (GITHUB, {"ref": "", "sha": ""}, "ref and sha claims are both empty"),
    ],
)
def test_github_checks(binding, claims, reason):
    merged = {k: v for k, v in (github_claims("acme/widgets") | claims).items() if v is not None}
    with pytest.raises(NoPublisher, match=reason):
        match([binding], GH, merged)


def test_another_issuer_never_matches():
    with pytest.raises(NoPublisher, match="not found"):
        match([GITHUB], "https://ghes.example/_services/token", github_claims("acme/widgets"))


def test_gitlab_matches_and_names_the_pipeline():
    found = match([GITLAB], GL, gitlab_claims())
    assert (found.repository, found.workflow, found.run_id) == ("acme/cli", ".gitlab-ci.yml", "99")


@pytest.mark.parametrize(
    "claims, reason",
    [
        ({"environment": "release"}, "optional claim 'environment'"),  # case-sensitive on GitLab
        ({"sub": "project_path:acme/other:ref_type:tag"}, "required claim 'sub'"),
        ({"ci_config_ref_uri": "gitlab.com/acme/cli//other.yml@refs/tags/v1.0"}, "ci_config_ref_uri"),
        ({"ci_config_ref_uri": "gitlab.com/acme/cli//.gitlab-ci.yml@refs/heads/x"}, "ci_config_ref_uri"),
        ({"sha": ""}, "must both be set"),
    ],
)
def test_gitlab_checks(claims, reason):
    with pytest.raises(NoPublisher, match=reason):
        match([GITLAB], GL, gitlab_claims(**claims))
