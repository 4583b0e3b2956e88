"""offline.migrate_policy: verdicts for the target, or a plain "not available"."""

from __future__ import annotations

import pytest
from migrate_fixtures import happy_stack, preview_of

from components.config import load_config
from offline import migrate, migrate_policy


def test_without_the_analyzer_the_report_says_not_available(monkeypatch):
    monkeypatch.setattr(migrate_policy, "_analyzer", lambda: None)
    report = migrate_policy.evaluate(preview_of(happy_stack(), load_config({"pypiserver:profile": "heavy"})), "heavy")
    assert (report.available, report.message, report.blocking) == (False, migrate_policy.NOT_AVAILABLE, False)


def test_a_missing_policy_config_file_is_bad_input(capsys):
    with pytest.raises(SystemExit) as exit_:
        migrate.main(["--stack", "heavy", "--policy-config", "/nonexistent/policy.json"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "no such file" in err and err.count("\n") == 1
