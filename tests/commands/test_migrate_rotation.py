"""`make migrate` on a token rotation: step one adds a password, step two retires the previous
one; each is a new secret version and a task definition revision, and no data is at risk.
Dropping a user's only token (removing the user) still is."""

from __future__ import annotations

import json

import pytest

from commands.migrate.plan import EXIT_DATA_AT_RISK, EXIT_OK, render_sides

PASSWORD = "RandomPassword"
READER = {"name": "reader", "actions": ["download", "list"]}
PUBLISHER = {"name": "pypi", "actions": ["download", "list", "update"]}


def users(*entries) -> dict[str, str]:
    return {"users": json.dumps(list(entries))}


def changed(m) -> dict[tuple[str, str], str]:
    return {(c.type.split(":")[-1], c.name): c.action for c in m.diff.changes if c.action != "same"}


@pytest.fixture(scope="module")
def step_one():
    return render_sides(
        stack="heavy", from_stack=None, to_stack=None, overrides=users({**READER, "rotation": 1}, PUBLISHER)
    )


@pytest.fixture(scope="module")
def step_two():
    return render_sides(
        stack="heavy",
        from_stack=None,
        to_stack=None,
        deployed=users({**READER, "rotation": 1}, PUBLISHER),
        overrides=users({**READER, "rotation": 1, "retiredRotation": 0}, PUBLISHER),
    )


def test_step_one_adds_a_token_and_keeps_the_previous(step_one):
    got = changed(step_one)
    assert got[(PASSWORD, "pypiserver-reader-password-r1")] == "create"
    assert (PASSWORD, "pypiserver-reader-password") not in got, "the previous token stays"
    assert got[("SecretVersion", "pypiserver-reader-credentials-version")] == "replace"
    assert got[("TaskDefinition", "pypiserver-task")] == "replace", "a new revision: tasks load the new lines"
    assert not any(name.startswith("pypiserver-credentials") or name == "pypiserver-password" for _, name in got), (
        "the publisher is untouched"
    )
    assert step_one.exit_code == EXIT_OK and not step_one.safety.at_risk


def test_step_two_retires_the_previous_token_without_data_at_risk(step_two):
    got = changed(step_two)
    assert got[(PASSWORD, "pypiserver-reader-password")] == "delete"
    assert (PASSWORD, "pypiserver-reader-password-r1") not in got, "the current token stays"
    assert got[("TaskDefinition", "pypiserver-task")] == "replace"
    assert step_two.exit_code == EXIT_OK and not step_two.safety.at_risk


def test_removing_a_users_only_token_is_data_at_risk():
    m = render_sides(stack="heavy", from_stack=None, to_stack=None, overrides=users(PUBLISHER))
    risky = {r.name for r in m.safety.risks}
    assert {"pypiserver-reader-password", "pypiserver-reader-credentials"} <= risky
    assert m.exit_code == EXIT_DATA_AT_RISK


def test_rotation_diff_never_prints_the_token(capsys):
    """The CLI shows secret inputs as [secret]; so do the offline commands, text and JSON."""
    import json as json_module

    from commands.engine import run_program
    from commands.migrate import __main__ as migrate_cli

    users = (
        '[{"name": "reader", "actions": ["download", "list"], "rotation": 1}, '
        '{"name": "pypi", "actions": ["download", "list", "update"]}]'
    )
    migrate_cli.main(["--stack", "heavy", "--set", f"users={users}", "--json"])
    doc = json_module.loads(capsys.readouterr().out)
    both_sides = [run_program("heavy"), run_program("heavy", {"users": users})]
    passwords = {
        r.outputs["result"] for side in both_sides for r in side.of_type("random:index/randomPassword:RandomPassword")
    }
    assert len(passwords) == 3, "two generations of the reader's token and the publisher's"
    text = json_module.dumps(doc)
    assert "[secret]" in text and not any(p in text for p in passwords), "no password in the migration's output"
