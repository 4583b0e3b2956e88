"""policy/policies/common.py: readers for wire-format props, and settings with code defaults."""

import pytest
from pulumi_policy import ResourceValidationArgs
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import unknown_checking_proxy

from policies import sizing
from policies.common import dig, instance_spec, is_true, items, json_list, number, schema, settings, show


def wire(props):
    """Props as the SDK hands them to a policy: deserialized and wrapped in proxies."""
    return unknown_checking_proxy(deserialize_properties(props))


def args(props, config=None, type_="aws:autoscaling/group:Group"):
    return ResourceValidationArgs(type_, wire(props), "urn:x", "x", None, None, config)


@pytest.mark.parametrize("value,expected", [(2.0, 2.0), (3, 3.0), ("4", 4.0), ("x", None), (True, None), (None, None)])
def test_number_reads_wire_numbers(value, expected):
    assert number(value) == expected


@pytest.mark.parametrize(
    "value,expected",
    [(True, True), ("true", True), ("True", True), (False, False), ("false", False), (None, False), (1, False)],
)
def test_is_true_accepts_bools_and_boolean_strings(value, expected):
    assert is_true(value) is expected


def test_show_prints_integral_floats_as_ints():
    assert (show(2.0), show(2.5), show(None)) == ("2", "2.5", "unset")


def test_items_and_dig_work_through_proxies():
    props = wire({"a": {"b": [{"c": 1}]}})
    assert not isinstance(props["a"], dict), "the SDK hands over Mapping proxies, not dicts"
    assert [dict(x) for x in items(dig(props, "a", "b"))] == [{"c": 1}]
    assert dig(props, "a", "missing", "deeper") is None and items(dig(props, "a")) == []


def test_json_list_tolerates_bad_json():
    assert (json_list('[{"cpu": 1}]'), json_list("{not json"), json_list('{"a": 1}')) == ([{"cpu": 1}], [], [])


def test_settings_apply_schema_defaults_without_engine_config():
    """In-process (no engine) get_config() is {}: the code must still use the defaults."""
    assert settings(args({}), sizing.ASG_MIN_SCHEMA) == {"minInstances": 2}


def test_settings_turn_engine_floats_back_into_ints():
    assert settings(args({}, {"minInstances": 3.0}), sizing.ASG_MIN_SCHEMA) == {"minInstances": 3}


def test_policy_without_config_uses_code_default():
    reports = []
    sizing.check_asg_min_instances(args({"minSize": 1.0}), lambda message, urn=None: reports.append(message))
    assert len(reports) == 1 and "at least 2" in reports[0]


def test_schema_refuses_a_setting_without_default():
    with pytest.raises(TypeError, match="needs a default"):
        schema(limit={"type": "integer"})


def test_instance_spec_from_catalog_then_extra_types():
    assert (instance_spec("c6a.xlarge").vcpu, instance_spec("c6a.xlarge").memory_mib) == (4, 8192)
    assert instance_spec("x9.huge") is None
    assert instance_spec("x9.huge", {"x9.huge": {"vcpu": 64.0, "memoryMib": 131072.0}}).vcpu == 64


def test_extra_instance_type_gets_its_class_from_its_name():
    assert instance_spec("m9g.large", {"m9g.large": {"vcpu": 2, "memoryMib": 8192}}).instance_class == "general"
    assert instance_spec("c9g.large", {"c9g.large": {"vcpu": 2, "memoryMib": 4096}}).instance_class == "compute"
