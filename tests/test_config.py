"""Stack config: profile defaults, overrides, and one-line errors for what cannot deploy."""

import json

import pytest
from conftest import render

from components.config import ConfigError, load_config
from offline.engine import EngineError


def config(profile: str = "heavy", **keys: object):
    raw = {"pypiserver:profile": profile, "aws:region": "us-east-1"}
    raw.update({f"pypiserver:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in keys.items()})
    return load_config(raw)


@pytest.mark.parametrize(
    "profile, instance_type, asg, memory",
    [
        ("light", "t3.small", (2, 2), 512),
        ("medium", "c6a.large", (2, 4), 512),
        ("heavy", "c6a.xlarge", (2, 4), 512),
        ("very-heavy", "c6a.2xlarge", (2, 4), 1024),
    ],
)
def test_profile_fills_the_guides_table(profile, instance_type, asg, memory):
    cfg = config(profile)
    assert (cfg.instance_type, (cfg.asg_min_size, cfg.asg_max_size), cfg.container_memory) == (
        instance_type,
        asg,
        memory,
    ), f"{profile} should default to the guide's row"


def test_explicit_key_overrides_the_profile():
    cfg = config("heavy", instanceType="c6a.2xlarge", asgMaxSize=6)
    assert (cfg.instance_type, cfg.asg_max_size, cfg.asg_min_size) == ("c6a.2xlarge", 6, 2)


def test_values_arrive_as_engine_strings():
    # The engine passes "2", "true" and JSON lists as strings; the model decodes them.
    cfg = load_config(
        {
            "pypiserver:profile": "heavy",
            "pypiserver:asgMinSize": "3",
            "pypiserver:backupEnabled": "false",
            "pypiserver:authenticate": '["list", "update"]',
        }
    )
    assert (cfg.asg_min_size, cfg.backup_enabled, cfg.authenticate) == (3, False, ["list", "update"])


def test_string_fields_are_not_json_decoded():
    cfg = config("heavy", imageTag="2.4.2")
    assert cfg.image_tag == "2.4.2", "a version-like tag must stay a string, not become a float"


def test_secure_and_safe_defaults():
    cfg = config("heavy")
    assert cfg.fallback_to_pypi is False, "fallback to pypi.org must be off (dependency confusion)"
    assert cfg.authenticate == ["download", "list", "update"]
    assert cfg.efs_throughput_mode == "elastic"
    assert cfg.load_balancer_scheme == "internal"
    assert cfg.backup_enabled and cfg.backup_retention_days == 7
    assert cfg.image_tag != "latest"


def test_unknown_instance_type_is_accepted_with_explicit_specs():
    cfg = config(
        "heavy",
        instanceType="c8g.xlarge",
        instanceSpecs={"vcpu": 4, "memoryMib": 8192, "hourlyUsd": 0.16, "arch": "arm64"},
    )
    assert cfg.instance_spec.arch == "arm64"
    assert cfg.capacity.tasks_per_instance == 6, "4 vCPU / 8 GiB should hold 6 tasks like c6a.xlarge"


def test_deploy_time_lookup_gives_vcpu_and_memory_for_any_type():
    """With the program's lookup (AWS's getInstanceType), a type outside the catalog needs only
    its price; AWS's answer sizes it, even over figures the stack wrote for offline use."""
    from components.config import Hardware

    asked = []

    def describe(instance_type):
        asked.append(instance_type)
        return Hardware(vcpu=8, memory_mib=16384, arch="arm64")

    raw = {
        "pypiserver:profile": "heavy",
        "pypiserver:instanceType": "c8g.2xlarge",
        "pypiserver:instanceSpecs": json.dumps({"hourlyUsd": 0.31, "vcpu": 2, "memoryMib": 4096, "arch": "x86_64"}),
    }
    cfg = load_config(raw, describe_instance_type=describe)
    assert asked == ["c8g.2xlarge"]
    spec = cfg.instance_spec
    assert (spec.vcpu, spec.memory_mib, spec.arch, spec.hourly_usd) == (8, 16384, "arm64", 0.31)
    # (8 x 1024 - 128) // 640 = 12 by CPU; (16384 - 800) // 384 = 40 by memory.
    assert (cfg.capacity.tasks_by_cpu, cfg.capacity.tasks_by_memory) == (12, 40)
    assert spec.instance_class == "compute"


def test_lookup_failure_is_the_config_error():
    def describe(instance_type):
        raise ConfigError(f"pypiserver:instanceType: getInstanceType has no vCPU and memory for {instance_type!r}")

    with pytest.raises(ConfigError, match="c9z.large"):
        load_config(
            {
                "pypiserver:profile": "heavy",
                "pypiserver:instanceType": "c9z.large",
                "pypiserver:instanceSpecs": '{"hourlyUsd": 0.1}',
            },
            describe_instance_type=describe,
        )


def test_derived_values_follow_overrides():
    cfg = config("heavy", containerMemory=1024)
    assert (cfg.workers, cfg.task_cpu_units) == (8, 1240), "1024 MiB should give 8 workers and 1240 CPU units"


def test_front_share_is_carved_out_of_the_task_budget():
    on, off = config("heavy"), config("heavy", frontEnabled=False)
    assert on.task_cpu_units == off.task_cpu_units == 640, "the task budget is the guide's, front or not"
    assert on.pypiserver_cpu_units < off.pypiserver_cpu_units == 640
    assert on.capacity == off.capacity, "the nginx front must not change the guide's task counts"


# (keys set, key the message must name, a fragment the message must contain)
BAD_CONFIGS = [
    ({"instanceTyp": "c6a.large"}, "pypiserver:instanceTyp", "did you mean pypiserver:instanceType"),
    ({"asgMinSize": "two"}, "pypiserver:asgMinSize", "'two'"),
    ({"asgMinSize": 3, "asgMaxSize": 2}, "pypiserver:asgMinSize", "must not exceed"),
    ({"containerMemory": 128}, "pypiserver:containerMemory", "256"),
    ({"efsThroughputMode": "provisioned"}, "pypiserver:efsProvisionedThroughputMibps", "required"),
    ({"efsThroughputMode": "fast"}, "pypiserver:efsThroughputMode", "'elastic'"),
    ({"efsProvisionedThroughputMibps": 50}, "pypiserver:efsProvisionedThroughputMibps", "only when"),
    ({"instanceType": "x9.large"}, "pypiserver:instanceType", "instanceSpecs"),
    ({"instanceType": "C6A.large"}, "pypiserver:instanceType", "is not an EC2 instance type name"),
    ({"instanceType": "c8g.xlarge", "instanceSpecs": {"vcpu": 4}}, "pypiserver:instanceSpecs", "hourlyUsd"),
    (
        {"instanceType": "c8g.xlarge", "instanceSpecs": {"hourlyUsd": 0.16}},
        "pypiserver:instanceSpecs",
        "vcpu, memoryMib and arch",
    ),
    (
        {"vpcId": "vpc-0123456789abcdef0", "subnetIds": ["subnet-0123456789abcdef0"]},
        "pypiserver:subnetIds",
        "at least 2",
    ),
    ({"subnetIds": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]}, "pypiserver:vpcId", "required"),
    ({"backupRetentionDays": 40}, "pypiserver:backupRetentionDays", "35"),
    ({"imageTag": "latest"}, "pypiserver:imageTag", "pinned"),
    ({"authenticate": ["download", "list"]}, "pypiserver:authenticate", "'update'"),
    ({"authenticate": ["upload"]}, "pypiserver:authenticate", "'download'"),
    ({"allowedCidrs": ["10.0.0.0/33"]}, "pypiserver:allowedCidrs", "10.0.0.0/33"),
    ({"loadBalancerScheme": "internet-facing"}, "pypiserver:allowedCidrs", "required"),
    ({"taskMinCount": 10, "taskMaxCount": 5}, "pypiserver:taskMinCount", "must not exceed"),
    ({"containerMemoryReservation": 600}, "pypiserver:containerMemoryReservation", "must not exceed"),
    ({"logRetentionDays": 8}, "pypiserver:logRetentionDays", "365"),
    ({"alarmEmails": ["ops-at-example"]}, "pypiserver:alarmEmails", "ops-at-example"),
    ({"instanceType": "t3.small", "containerMemory": 4096}, "pypiserver:containerMemory", "t3.small"),
    ({"backupSchedule": "daily"}, "pypiserver:backupSchedule", "cron"),
    ({"dnsNames": ["Not_A_Label"]}, "pypiserver:dnsNames", "Not_A_Label"),
]


@pytest.mark.parametrize(
    "keys, key, fragment", BAD_CONFIGS, ids=[c[1].split(":")[1] + "-" + str(i) for i, c in enumerate(BAD_CONFIGS)]
)
def test_bad_config_is_one_line_naming_the_key(keys, key, fragment):
    with pytest.raises(ConfigError) as err:
        config("heavy", **keys)
    message = str(err.value)
    assert key in message, f"message should name {key}: {message}"
    assert fragment in message, f"message should say {fragment!r}: {message}"
    assert "\n" not in message, "message must be one line"


def test_unknown_profile_lists_the_profiles():
    with pytest.raises(ConfigError, match=r"pypiserver:profile: 'huge' is not a profile; allowed: light, medium"):
        load_config({"pypiserver:profile": "huge"})


def test_missing_profile_is_required():
    with pytest.raises(ConfigError, match=r"pypiserver:profile is required"):
        load_config({"aws:region": "us-east-1"})


def test_bad_config_never_constructs_the_component(monkeypatch):
    import components.pypiserver

    def constructed(*args, **kwargs):
        raise AssertionError("PypiServer was constructed from a bad config")

    monkeypatch.setattr(components.pypiserver.PypiServer, "__init__", constructed)
    with pytest.raises(EngineError, match="pypiserver:asgMinSize"):
        render("heavy", asgMinSize=5, asgMaxSize=2)


def test_principles_are_not_config_errors():
    # One instance, memory-optimized... previews; the policy pack is what blocks them.
    cfg = config("heavy", asgMinSize=1, instanceType="m6i.large", efsThroughputMode="bursting", taskMaxCount=100)
    assert (cfg.asg_min_size, cfg.instance_type, cfg.task_max) == (1, "m6i.large", 100)
