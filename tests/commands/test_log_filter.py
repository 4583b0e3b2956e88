"""commands/log_filter.py: the subset of CloudWatch's JSON filter patterns the stack uses."""

import json

import pytest

from commands.log_filter import UnsupportedPattern, matches
from components.observability import FAILED_LOGIN_FILTER


def line(**fields) -> str:
    return json.dumps({"audit": "pypi-index", "user": "ci", "status": 401, **fields})


def test_failed_login_filter_matches_failed_logins_only():
    assert matches(FAILED_LOGIN_FILTER, line(result="failed-login"))
    for result in ("ok", "refused", "rejected"):
        assert not matches(FAILED_LOGIN_FILTER, line(result=result)), result
    assert not matches(FAILED_LOGIN_FILTER, json.dumps({"result": "failed-login"})), "needs the audit marker"
    assert not matches(FAILED_LOGIN_FILTER, 'ci "GET /simple/ HTTP/1.1" 401 result=failed-login'), "not JSON"


def test_numbers_and_inequality():
    assert matches('{ $.status = 401 && $.user != "pypi" }', line())
    assert not matches("{ $.status = 403 }", line())
    assert not matches('{ $.status = "401" }', line()), "a string never equals a number"


@pytest.mark.parametrize("pattern", ['{ $.a = "x" || $.b = "y" }', '"failed-login"', '{ $.a.b = "x" }', "{ $.a > 3 }"])
def test_patterns_outside_the_subset_are_refused(pattern):
    with pytest.raises(UnsupportedPattern):
        matches(pattern, line())
