"""trusted-publishing-https (policy/policies/security.py), in-process: the happy fixture is what
the component renders for heavy with trusted publishing and a domain; each test breaks one rule."""

import pytest

from pypi_index import contract
from tests.support.policy_fixtures import mutate, named, without
from tests.support.stacks import render

POLICY = "trusted-publishing-https"
TRUSTED = {"publishers": [{"provider": "github", "repository": "acme/w", "workflow": "r.yml", "projects": ["w"]}]}


@pytest.fixture(scope="module")
def trusted():
    return render("heavy", zoneId="Z0123456789ABCDEFGHIJ", trustedPublishing=TRUSTED).resources


def test_https_with_a_redirect_passes(analyze, trusted):
    assert named(analyze(trusted), POLICY) == []


def test_without_an_https_listener_it_is_a_mandatory_violation(analyze, trusted):
    (v,) = named(analyze(without(trusted, "pypiserver-https")), POLICY)
    assert v.level == "mandatory" and "has no HTTPS listener" in v.message and "pypiserver:zoneId" in v.message


def test_an_http_listener_that_forwards_is_a_violation(analyze, trusted):
    forwarding = mutate(trusted, "pypiserver-http", "defaultActions", [{"type": "forward", "targetGroupArn": "x"}])
    (v,) = named(analyze(forwarding), POLICY)
    assert "serves plain HTTP on 'pypiserver-http'" in v.message


def test_a_stack_without_trusted_publishing_is_not_concerned(analyze):
    assert named(analyze(render("heavy").resources), POLICY) == [], "plain HTTP: alb-https-only's business"


def test_the_pack_names_the_indexs_variable():
    from policies.security import TRUSTED_PUBLISHERS_VARIABLE

    assert TRUSTED_PUBLISHERS_VARIABLE == contract.ENV_TRUSTED_PUBLISHERS
