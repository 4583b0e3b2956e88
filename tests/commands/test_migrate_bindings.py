"""A change of publish rights, shown as what it is: bindings added, removed, narrowed;
named publishers' projects; the tokens' lifetime and audience."""

import json

from commands.migrate.bindings import binding_changes
from commands.preview.report import publish_rights
from components.config import load_config

GH = {"provider": "github", "repository": "acme/widgets", "workflow": "release.yml", "projects": ["acme-*"]}
GL = {"provider": "gitlab", "project": "acme/cli", "projects": ["acme-cli"]}


def cfg(trusted=None, users=None):
    raw = {"pypiserver:profile": "heavy", "pypiserver:zoneId": "Z0123456789ABCDEFGHIJ"}
    if trusted is not None:
        raw["pypiserver:trustedPublishing"] = json.dumps(trusted)
    if users is not None:
        raw["pypiserver:users"] = json.dumps(users)
    return load_config(raw)


def messages(before, after):
    return [(a.level, a.message) for a in binding_changes(before, after)]


def test_a_new_binding_is_named_with_its_projects():
    assert messages(cfg(), cfg({"publishers": [GH]})) == [
        ("info", "trusted publisher github:acme/widgets/release.yml bound: may publish acme-*")
    ]


def test_an_unbound_publisher_is_a_warning_that_its_tokens_stop():
    ((level, text),) = messages(cfg({"publishers": [GH, GL]}), cfg({"publishers": [GH]}))
    assert level == "warning" and text.startswith("trusted publisher gitlab:acme/cli/.gitlab-ci.yml unbound")


def test_changed_projects_lifetime_and_audience():
    before = cfg({"publishers": [GH], "tokenMinutes": 15})
    after = cfg({"publishers": [{**GH, "projects": ["acme-widgets"]}], "tokenMinutes": 60, "audience": "acme-index"})
    assert messages(before, after) == [
        (
            "info",
            "trusted publisher github:acme/widgets/release.yml: projects acme-* -> acme-widgets "
            "(tokens already minted narrow at once)",
        ),
        ("info", "upload tokens last 15 -> 60 minutes"),
        ("warning", "the audience changes: CI jobs that name it (GitLab's id_tokens aud) must follow"),
    ]


def test_a_named_publishers_projects():
    users = [{"name": "team-a", "actions": ["update"]}]
    limited = [{"name": "team-a", "actions": ["update"], "projects": ["team-a-*"]}]
    assert messages(cfg(users=users), cfg(users=limited)) == [
        ("info", "user team-a: may publish every project -> team-a-*")
    ]
    assert messages(cfg(users=users), cfg(users=users)) == []


def test_the_preview_shows_who_may_publish_what():
    shown = publish_rights(
        cfg(
            {"publishers": [GH]},
            [{"name": "r", "actions": ["list"]}, {"name": "t", "actions": ["update"], "projects": ["t-*"]}],
        ),
        "heavy",
    )
    assert shown == {
        "publishers": ["t (t-*)"],
        "trustedPublishers": ["github:acme/widgets/release.yml -> acme-*"],
        "trustedPublishing": "audience pypiserver-heavy, upload tokens last 15 min",
    }
