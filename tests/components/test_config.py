"""Stack config: profile defaults, overrides, and one-line errors for what cannot deploy."""

import json

import pytest

from commands.engine import EngineError
from components.config import ConfigError, load_config
from tests.support.stacks import render


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


# --- validators at their edges: each accepted and refused value is AWS's or the README's ----


def refused(key: str, **keys: object) -> str:
    with pytest.raises(ConfigError) as err:
        config("heavy", **keys)
    assert key in str(err.value), str(err.value)
    return str(err.value)


SUBNET_A, SUBNET_B = "subnet-0123456789abcdef0", "subnet-0123456789abcdef1"
GIVEN_VPC = {"vpcId": "vpc-0123456789abcdef0", "subnetIds": [SUBNET_A, SUBNET_B]}

# CloudWatch Logs PutRetentionPolicy's allowed retentionInDays (API reference).
CLOUDWATCH_RETENTIONS = [
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
]


@pytest.mark.parametrize("days", CLOUDWATCH_RETENTIONS)
def test_every_cloudwatch_retention_is_accepted(days):
    assert config("heavy", logRetentionDays=days).log_retention_days == days


@pytest.mark.parametrize("days", [0, 2, 4, 6, 8, 15, 31, 61, 91, 121, 151, 181, 366, 401, 546, 732, 1097, 3654])
def test_a_retention_cloudwatch_does_not_offer_is_refused(days):
    refused("pypiserver:logRetentionDays", logRetentionDays=days)


# Subnet ids: "subnet-" and 8 or 17 hex digits (EC2 resource ids).
@pytest.mark.parametrize("subnet", ["subnet-0123abcd", "subnet-0123456789abcdef0"])
def test_subnet_ids_of_both_lengths_are_accepted(subnet):
    assert config("heavy", vpcId=GIVEN_VPC["vpcId"], subnetIds=[subnet, SUBNET_B]).subnet_ids == [subnet, SUBNET_B]


@pytest.mark.parametrize(
    "subnet",
    ["subnet-0123abc", "subnet-0123456789abcdef01", "subnet-0123abcg", "subnet-0123abcd-x", "x-subnet-0123abcd", ""],
)
def test_malformed_subnet_ids_are_refused(subnet):
    assert repr(subnet) in refused("pypiserver:subnetIds", vpcId=GIVEN_VPC["vpcId"], subnetIds=[subnet, SUBNET_B])


def test_the_same_subnet_twice_is_one_subnet():
    refused("pypiserver:subnetIds", vpcId=GIVEN_VPC["vpcId"], subnetIds=[SUBNET_A, SUBNET_A])


@pytest.mark.parametrize("name", ["pypi", "a", "a" * 63, "pypi-2", "0pypi"])
def test_dns_labels_are_accepted(name):
    assert config("heavy", dnsNames=[name]).dns_names == [name]


@pytest.mark.parametrize("name", ["-pypi", "pypi-", "a" * 64, "py.pi", "pypi_x", "pypi!", "Pypi", ""])
def test_what_is_not_a_dns_label_is_refused(name):
    refused("pypiserver:dnsNames", dnsNames=[name])


def test_no_dns_name_at_all_is_refused():
    assert "at least one" in refused("pypiserver:dnsNames", dnsNames=[])


@pytest.mark.parametrize("email", ["ops@example.com", "a.b+c@mail.example.org"])
def test_email_addresses_are_accepted(email):
    assert config("heavy", alarmEmails=[email]).alarm_emails == [email]


@pytest.mark.parametrize(
    "email",
    [
        "@example.com",
        "ops@.com",
        "ops@example.",
        "ops@example",
        "o ps@example.com",
        "a@b@c.com",
        "ops@exa mple.com",
        "ops@example.c m",
        "ops@example.com more",
        " ops@example.com",
    ],
)
def test_what_is_not_an_email_address_is_refused(email):
    refused("pypiserver:alarmEmails", alarmEmails=[email])


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::123456789012:root",
        "arn:aws:iam::123456789012:role/ci",
        "arn:aws:iam::123456789012:user/a.b@c",
        "arn:aws-cn:iam::123456789012:role/path/ci",
        "arn:aws:iam::123456789012:role/" + "r" * 512,
        "arn:aws:iam::123456789012:role/a+b=c,d",
        "arn:aws:iam::123456789012:user/a+b=c,d",
    ],
)
def test_iam_principal_arns_are_accepted(arn):
    assert config("heavy", secretReaders=[arn]).secret_readers == [arn]


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::12345678901:root",
        "arn:aws:iam::1234567890123:root",
        "arn:aws:iam::123456789012:group/ops",
        "arn:aws:iam::123456789012:role/",
        "arn:aws:iam::123456789012:user/",
        "arn:aws:iam::123456789012:root/x",
        "arn:aws:s3:iam::123456789012:root",
        "arn:aws1:iam::123456789012:root",
        "arn:aws:iam::123456789012:role/a b",
        "arn:aws:iam::123456789012:user/a b",
        "arn:aws:iam::123456789012:role/" + "r" * 513,
        "arn:aws:iam::123456789012:user/" + "u" * 513,
        "x arn:aws:iam::123456789012:root",
    ],
)
def test_what_is_not_an_iam_principal_is_refused(arn):
    refused("pypiserver:secretReaders", secretReaders=[arn])


@pytest.mark.parametrize("schedule", ["cron(0 2 * * ? *)", "cron(0 2 ? * MON *)", "cron(30 2-4 ? * MON-FRI *)"])
def test_aws_backup_cron_expressions_are_accepted(schedule):
    assert config("heavy", backupSchedule=schedule).backup_schedule == schedule


@pytest.mark.parametrize(
    "schedule",
    [
        "cron(0 2 * * *)",
        "cron(0 2 * * ? * *)",
        "cron(0 2 * * * *)",
        "cron(0 2 * * ? !)",
        "cron(0 2 * * ? *!)",
        "cron(0 2 * * ? *) x",
        "rate(1 day)",
        "cron()",
    ],
)
def test_what_aws_backup_does_not_take_is_refused(schedule):
    refused("pypiserver:backupSchedule", backupSchedule=schedule)


@pytest.mark.parametrize("cidr", ["10.0.0.0/16", "10.8.0.0/22"])
def test_vpc_blocks_from_16_to_22_are_accepted(cidr):
    assert config("heavy", vpcCidr=cidr).vpc_cidr == cidr


@pytest.mark.parametrize("cidr", ["10.0.0.0/15", "10.0.0.0/23", "fd00::/16", "10.0.0.1/16", "ten/16"])
def test_other_vpc_blocks_are_refused(cidr):
    refused("pypiserver:vpcCidr", vpcCidr=cidr)


def test_allowed_cidrs_are_checked_one_by_one():
    assert config("heavy", allowedCidrs=["10.1.0.0/16", "192.168.0.0/24"]).allowed_cidrs == [
        "10.1.0.0/16",
        "192.168.0.0/24",
    ]
    assert "10.1.0.1/16" in refused("pypiserver:allowedCidrs", allowedCidrs=["10.1.0.0/16", "10.1.0.1/16"])


def test_an_action_listed_twice_is_refused():
    assert "twice" in refused("pypiserver:authenticate", authenticate=["update", "update"])


@pytest.mark.parametrize(
    "keys",
    [
        {"asgMinSize": 3, "asgMaxSize": 3},
        {"taskMinCount": 5, "taskMaxCount": 5},
        {"containerMemory": 512, "containerMemoryReservation": 512},
    ],
)
def test_min_equal_to_max_is_accepted(keys):
    config("heavy", **keys)


def test_task_min_alone_or_max_alone_is_accepted():
    assert config("heavy", taskMinCount=30).task_min_count == 30
    assert config("heavy", taskMaxCount=3).task_max_count == 3


def test_provisioned_throughput_with_its_mibps_is_accepted():
    cfg = config("heavy", efsThroughputMode="provisioned", efsProvisionedThroughputMibps=50)
    assert cfg.efs_provisioned_throughput_mibps == 50


@pytest.mark.parametrize("mode", ["elastic", "bursting"])
def test_mibps_without_provisioned_mode_is_refused(mode):
    refused("pypiserver:efsProvisionedThroughputMibps", efsThroughputMode=mode, efsProvisionedThroughputMibps=50)


INTERNET = {"loadBalancerScheme": "internet-facing", "allowedCidrs": ["203.0.113.0/24"]}


def test_internet_facing_needs_https_or_an_explicit_plain_http():
    assert "clear text" in refused("pypiserver:loadBalancerScheme", **INTERNET)
    assert config("heavy", **INTERNET, allowPlainHttp=True).allow_plain_http
    assert config("heavy", **INTERNET, zoneId="Z0123456789ABC").domain_enabled


def test_internal_index_needs_no_allowed_cidrs_or_domain():
    assert config("heavy", loadBalancerScheme="internal").allowed_cidrs is None


# With the front on, pypiserver keeps at least 128 CPU units and 128 MiB reserved after nginx's
# 256 units and 64 MiB: 384 units and 192 MiB are the smallest task budget.
def test_the_smallest_task_budget_with_the_front_is_accepted():
    cfg = config("heavy", containerCpu=384, containerMemoryReservation=192)
    assert (cfg.pypiserver_cpu_units, cfg.pypiserver_memory_reservation_mib) == (128, 128)


@pytest.mark.parametrize("keys", [{"containerCpu": 383}, {"containerMemoryReservation": 191}])
def test_less_than_that_with_the_front_is_refused(keys):
    with pytest.raises(ConfigError, match="with the nginx front on"):
        config("heavy", **keys)


def test_without_the_front_the_task_budget_is_pypiservers_alone():
    cfg = config("heavy", frontEnabled=False, containerCpu=128, containerMemoryReservation=128)
    assert cfg.pypiserver_cpu_units == 128


@pytest.mark.parametrize(
    "keys, key",
    [
        ({"vpcId": "vpc-0123456789abcdef0"}, "pypiserver:subnetIds"),
        ({"loadBalancerSubnetIds": [SUBNET_A, SUBNET_B]}, "pypiserver:loadBalancerSubnetIds"),
        ({**GIVEN_VPC, "vpcCidr": "10.1.0.0/16"}, "pypiserver:vpcCidr"),
        ({**GIVEN_VPC, "availabilityZoneCount": 3}, "pypiserver:availabilityZoneCount"),
        ({**GIVEN_VPC, "natGateways": "per-az"}, "pypiserver:natGateways"),
        ({"instancePublicIp": True}, "pypiserver:instancePublicIp"),
    ],
)
def test_network_keys_that_do_not_go_together_are_refused(keys, key):
    refused(key, **keys)


def test_a_given_network_with_its_own_keys_is_accepted():
    cfg = config("heavy", **GIVEN_VPC, loadBalancerSubnetIds=[SUBNET_A, SUBNET_B], instancePublicIp=True)
    assert (cfg.vpc_id, cfg.instance_public_ip) == (GIVEN_VPC["vpcId"], True)


def test_a_built_network_takes_its_own_keys():
    cfg = config("heavy", vpcCidr="10.1.0.0/16", availabilityZoneCount=3, natGateways="per-az")
    assert (cfg.vpc_cidr, cfg.availability_zone_count, cfg.nat_gateways) == ("10.1.0.0/16", 3, "per-az")


# c6a.large: 2 vCPU and 4096 MiB; 2 x 1024 - 128 = 1920 CPU units and 4096 - 800 = 3296 MiB for tasks.
def test_a_task_that_fills_the_instance_exactly_is_accepted():
    cfg = config(
        "heavy", instanceType="c6a.large", containerCpu=1920, containerMemory=4096, containerMemoryReservation=3296
    )
    assert cfg.capacity.tasks_per_instance == 1


def test_a_task_one_cpu_unit_too_big_is_refused_even_when_its_memory_fits():
    assert "1921 CPU units" in refused("pypiserver:containerCpu", instanceType="c6a.large", containerCpu=1921)


def test_a_task_one_mib_too_big_is_refused_even_when_its_cpu_fits():
    message = refused(
        "pypiserver:containerMemory", instanceType="c6a.large", containerMemory=4096, containerMemoryReservation=3297
    )
    assert "3297 MiB" in message


def test_version_like_strings_of_literal_fields_stay_strings():
    # natGateways and loadBalancerScheme are string choices: never JSON-decoded.
    assert config("heavy", natGateways="single").nat_gateways == "single"
    assert load_config({"pypiserver:profile": "heavy", "pypiserver:imageTag": "1.0"}).image_tag == "1.0"
    assert load_config({"pypiserver:profile": "heavy", "pypiserver:asgMinSize": "3"}).asg_min_size == 3


def test_allowed_cidrs_given_as_null_is_unset():
    assert config("heavy", allowedCidrs=None).allowed_cidrs is None


def test_a_type_outside_the_catalog_lists_the_catalogs_families():
    message = refused("pypiserver:instanceType", instanceType="x9.large")
    assert "(c5, c6a, c6g, c6i, c7a, c7g, c7i, m6i, m7i, t3, t3a)" in message


def test_the_model_validates_without_a_lookup_context():
    from components.config import PypiServerConfig

    assert PypiServerConfig.model_validate({"profile": "heavy"}).instance_type == "c6a.xlarge"


# --- users: the list as a whole (each user's own fields are checked by its model) ------------

READER = {"name": "ci", "actions": ["download", "list"]}
PUBLISHER = {"name": "release", "actions": ["download", "list", "update"]}


def test_users_need_at_least_one_user():
    with pytest.raises(ConfigError, match=r"^pypiserver:users: got \[\]; give at least one user"):
        config("heavy", users=[])


def test_users_need_distinct_names():
    with pytest.raises(ConfigError, match=r"^pypiserver:users: .*names 'ci' twice"):
        config("heavy", users=[READER, {**READER, "actions": ["list"]}, PUBLISHER])


def test_users_need_a_publisher():
    with pytest.raises(ConfigError, match=r"^pypiserver:users: .*no user has the update action"):
        config("heavy", users=[READER])


def test_users_with_distinct_names_and_a_publisher_are_accepted():
    assert [u.name for u in config("heavy", users=[READER, PUBLISHER]).users] == ["ci", "release"]


def test_more_users_than_supported_are_refused_in_one_line():
    # Their lines travel in the task's credential bundles (task/bundles.py); 500 users are what the
    # task definition's size and the bundles' are checked for.
    many = [{"name": f"user{i:04d}", "actions": ["download", "list", "update"]} for i in range(501)]
    message = refused("pypiserver:users", users=many)
    assert "501 users" in message and "at most 500" in message and "\n" not in message
    assert len(config("heavy", users=many[:500]).users) == 500
