"""commands/policy_client/config.py without a pack process: config reconciliation as the engine does it."""

import pytest

from commands.policy_client import PolicyError, PolicyInfo, Verdict, load_policy_config, reconcile, sort_verdicts

POLICIES = [
    PolicyInfo("asg-min-instances", "d", "mandatory", {"minInstances": {"type": "integer", "default": 2}}),
    PolicyInfo("asg-max-instances", "d", "advisory", {"maxInstances": {"type": "integer", "default": 4}}),
    PolicyInfo("efs-encrypted", "d", "mandatory"),
]


def test_no_config_gives_schema_defaults_and_default_levels():
    result = reconcile(POLICIES, {})
    assert {n: (c.level, c.properties) for n, c in result.items()} == {
        "asg-min-instances": ("mandatory", {"minInstances": 2}),
        "asg-max-instances": ("advisory", {"maxInstances": 4}),
        "efs-encrypted": ("mandatory", {}),
    }


def test_all_then_entries():
    result = reconcile(POLICIES, {"all": "disabled", "efs-encrypted": "advisory"})
    assert {n: c.level for n, c in result.items()} == {
        "asg-min-instances": "disabled",
        "asg-max-instances": "disabled",
        "efs-encrypted": "advisory",
    }


def test_entry_properties_merge_over_defaults_and_keep_level():
    result = reconcile(POLICIES, {"asg-min-instances": {"minInstances": 3}})
    assert (result["asg-min-instances"].level, result["asg-min-instances"].properties) == (
        "mandatory",
        {"minInstances": 3},
    )


def test_initial_config_applies_before_the_given_config():
    initial = {"asg-max-instances": ("mandatory", {"maxInstances": 6})}
    result = reconcile(POLICIES, {"asg-max-instances": {"maxInstances": 5}}, initial)
    assert (result["asg-max-instances"].level, result["asg-max-instances"].properties) == (
        "mandatory",
        {"maxInstances": 5},
    )


def test_all_cannot_carry_settings():
    with pytest.raises(PolicyError, match="only an enforcement level applies to all policies"):
        reconcile(POLICIES, {"all": {"enforcementLevel": "mandatory", "minInstances": 3}})


def test_every_schema_error_is_reported_on_one_line():
    with pytest.raises(PolicyError) as err:
        reconcile(POLICIES, {"asg-min-instances": {"minInstances": "a"}, "asg-max-instances": {"maxInstances": "b"}})
    message = str(err.value)
    assert "asg-min-instances: minInstances" in message and "asg-max-instances: maxInstances" in message
    assert "\n" not in message


def test_empty_config_file_means_no_config(tmp_path):
    path = tmp_path / "empty.json"
    path.write_text("  \n")
    assert load_policy_config(path) == {}


def test_verdicts_sort_blocking_first():
    advisory = Verdict("a-policy", "advisory", "urn:a::x", "d", "m")
    blocking = Verdict("z-policy", "mandatory", "urn:a::y", "d", "m")
    assert sort_verdicts([advisory, blocking]) == [blocking, advisory]
    assert (blocking.resource, Verdict("p", "advisory", "", "d", "m").resource) == ("y", "(stack)")
