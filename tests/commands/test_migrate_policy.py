"""commands/migrate/policy.py: verdicts for the target, or a plain "not available"."""

from __future__ import annotations

import pytest

from commands.migrate import __main__ as migrate_cli
from commands.migrate import policy as migrate_policy
from commands.policy_client import PolicyError
from components.config import load_config
from tests.support.migrate_fixtures import happy_stack, preview_of


def test_a_pack_that_cannot_run_is_reported_not_available(monkeypatch):
    def pack_does_not_start(*_args, **_kwargs):
        raise PolicyError("the policy pack did not start")

    monkeypatch.setattr(migrate_policy, "check", pack_does_not_start)
    report = migrate_policy.evaluate(preview_of(happy_stack(), load_config({"pypiserver:profile": "heavy"})), "heavy")
    assert (report.available, report.blocking) == (False, False)
    assert report.message == "policy pack not available: the policy pack did not start"


def test_a_pack_that_cannot_run_with_the_users_config_is_bad_input(monkeypatch, tmp_path):
    def pack_does_not_start(*_args, **_kwargs):
        raise PolicyError("the policy pack did not start")

    config = tmp_path / "policy.json"
    config.write_text("{}")
    monkeypatch.setattr(migrate_policy, "check", pack_does_not_start)
    preview = preview_of(happy_stack(), load_config({"pypiserver:profile": "heavy"}))
    with pytest.raises(PolicyError):
        migrate_policy.evaluate(preview, "heavy", policy_config_path=str(config))


def test_a_missing_policy_config_file_is_bad_input(capsys):
    with pytest.raises(SystemExit) as exit_:
        migrate_cli.main(["--stack", "heavy", "--policy-config", "/nonexistent/policy.json"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "no such file" in err and err.count("\n") == 1
