"""`pypiserver:trustedPublishing` and users' `projects`: what binds, and one-line errors for
what cannot (each a mutation of one good config)."""

import json

import pytest

from components.config import ConfigError, load_config

ZONE = "Z0123456789ABCDEFGHIJ"
GITHUB = {"provider": "github", "repository": "Acme/widgets", "workflow": "release.yml", "projects": ["Acme_Widgets"]}
GITLAB = {"provider": "gitlab", "project": "acme/tools/cli", "projects": ["acme-*"], "environment": "release"}


def config(trusted=None, **keys):
    raw = {"pypiserver:profile": "heavy", "pypiserver:zoneId": ZONE}
    if trusted is not None:
        raw["pypiserver:trustedPublishing"] = json.dumps(trusted)
    raw.update({f"pypiserver:{k}": json.dumps(v) for k, v in keys.items()})
    return load_config(raw)


def test_bindings_carry_normalized_projects_and_default_issuers():
    cfg = config({"publishers": [GITHUB, GITLAB]})
    tp = cfg.trusted_publishing
    assert tp.token_minutes == 15, "PyPI's 900 s by default"
    assert tp.audience_for("heavy") == "pypiserver-heavy"
    by_id = {b["id"]: b for b in tp.bindings()}
    assert by_id["github:acme/widgets/release.yml"]["projects"] == ["acme-widgets"]
    assert by_id["github:acme/widgets/release.yml"]["issuer"] == "https://token.actions.githubusercontent.com"
    gitlab = by_id["gitlab:acme/tools/cli/.gitlab-ci.yml:release"]
    assert (gitlab["issuer"], gitlab["ci_config_path"], gitlab["environment"]) == (
        "https://gitlab.com",
        ".gitlab-ci.yml",
        "release",
    )


def test_users_may_be_limited_to_projects():
    cfg = config(users=[{"name": "team-a", "actions": ["update"], "projects": ["Team_A.*"]}])
    assert cfg.users[0].projects == ["team-a-*"]
    assert config().users[-1].projects == ["*"], "a user without projects publishes every project"


@pytest.mark.parametrize(
    "mutation, fragment",
    [
        ({"repository": "widgets"}, "publishers[0].github.repository: got 'widgets'; a repository is owner/name"),
        ({"workflow": ".github/workflows/release.yml"}, "a workflow is the file name under .github/workflows/"),
        ({"workflow": "release.sh"}, "workflow: got 'release.sh'"),
        ({"projects": []}, "give at least one project name or pattern"),
        ({"projects": ["bad name"]}, "'bad name' is not a project name or pattern"),
        ({"projects": ["-acme"]}, "'-acme' is not a project name or pattern"),
        ({"projects": ["a_b", "A.B"]}, "lists a project or pattern twice"),
        ({"issuer": "http://ghes.example.com/_services/token"}, "is not an issuer URL; expected https://"),
        ({"issuer": "https://token.actions.githubusercontent.com/"}, "without a trailing '/'"),
        ({"ref": "main"}, "a ref is refs/heads/<branch> or refs/tags/<tag>"),
        ({"repositoryOwnerId": "octo"}, "repositoryOwnerId: got 'octo'"),
        ({"provider": "jenkins"}, "does not match any of the expected tags: 'github', 'gitlab'"),
        ({"branch": "main"}, "branch"),
    ],
)
def test_a_bad_github_binding_is_one_line(mutation, fragment):
    with pytest.raises(ConfigError) as err:
        config({"publishers": [{**GITHUB, **mutation}]})
    assert fragment in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    "trusted, fragment",
    [
        ({"publishers": []}, "give at least one publisher"),
        ({"publishers": [GITHUB, {**GITHUB, "projects": ["other"]}]}, "binds github:acme/widgets/release.yml twice"),
        ({"publishers": [GITHUB], "audience": "pypi"}, "not 'pypi' or 'testpypi'"),
        ({"publishers": [GITHUB], "audience": "Acme Index"}, "an audience is 1-63 of a-z 0-9 . -"),
        ({"publishers": [GITHUB], "tokenMinutes": 0}, "tokenMinutes: got 0"),
        ({"publishers": [GITHUB], "tokenMinutes": 361}, "tokenMinutes: got 361"),
        ({"publishers": [{**GITLAB, "project": "widgets"}]}, "a project is its path, group[/subgroup]/project"),
        ({"publishers": [{**GITLAB, "ciConfigPath": "../x.yml"}]}, "the CI config is a .yml path"),
    ],
)
def test_a_bad_trusted_publishing_setting_is_one_line(trusted, fragment):
    with pytest.raises(ConfigError) as err:
        config(trusted)
    assert fragment in str(err.value) and "\n" not in str(err.value)


def test_trusted_publishing_needs_https():
    raw = {"pypiserver:profile": "heavy", "pypiserver:trustedPublishing": json.dumps({"publishers": [GITHUB]})}
    with pytest.raises(ConfigError, match=r"trustedPublishing needs pypiserver:zoneId \(HTTPS"):
        load_config(raw)


def test_a_reader_cannot_be_given_projects():
    with pytest.raises(ConfigError, match="projects limits what a publisher writes; r has no update action"):
        config(users=[{"name": "r", "actions": ["list"], "projects": ["x"]}, {"name": "p", "actions": ["update"]}])


def test_a_user_pattern_is_checked_like_a_binding():
    with pytest.raises(ConfigError, match=r"users\[0\].projects: got \[\"a b\"\]"):
        config(users=[{"name": "p", "actions": ["update"], "projects": ["a b"]}])


def test_project_limits_need_the_index_behind_the_front():
    with pytest.raises(ConfigError, match="team-a is limited to projects, which the index behind the front checks"):
        config(frontEnabled=False, users=[{"name": "team-a", "actions": ["update"], "projects": ["a-*"]}])
