"""The pack as the engine runs it: its own process (`python -m pulumi.policy`), gRPC on
loopback, config reconciled and sent with Configure, Analyze per resource, AnalyzeStack.
One process per stack name is shared by the whole module (start-up costs about a second)."""

import pytest

from commands.policy_client import PolicyError, PolicyPackProcess
from tests.support.policy_fixtures import STACK_PROJECT, happy_stack, https_listener, mutate, named, without

SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
C6G_MEDIUM = {"extraInstanceTypes": {"c6g.medium": {"vcpu": 1, "memoryMib": 2048}}}


@pytest.fixture(scope="module")
def pack(pack_pool):
    return pack_pool


def run(pack, resources, policy_config=None, stack="heavy"):
    process = pack(stack)
    process.configure(policy_config)
    return process.analyze(resources)


def test_pack_lists_every_policy_with_its_default_level(pack):
    levels = {p.name: p.level for p in pack().policies}
    assert levels == {
        "asg-min-instances": "mandatory",
        "compute-optimized-instances": "mandatory",
        "efs-throughput-mode": "mandatory",
        "ecs-task-max-bounded": "mandatory",
        "ecs-task-max-fits-instances": "mandatory",
        "instance-min-vcpu": "advisory",
        "asg-max-instances": "advisory",
        "efs-encrypted": "mandatory",
        "efs-transit-encryption": "mandatory",
        "launch-template-imdsv2": "mandatory",
        "no-public-ip": "mandatory",
        "no-open-ingress": "mandatory",
        "alb-modern-tls": "mandatory",
        "alb-https-only": "advisory",
        "efs-backup-enabled": "mandatory",
        "ecs-deployment-circuit-breaker": "mandatory",
        "health-check-not-root": "mandatory",
        "required-alarms": "mandatory",
        "instances-have-egress": "mandatory",
        "alarm-topic-deliverable": "mandatory",
        "internet-facing-https": "mandatory",
        "secret-readers-named": "mandatory",
        "alb-access-logs": "advisory",
        "trusted-publishing-https": "mandatory",
        "alarms-notify-someone": "advisory",
    }


def test_every_policy_has_a_description(pack):
    assert all(p.description for p in pack().policies), "the CLI prints each policy's description"


def test_config_schema_defaults_reach_the_engine(pack):
    """The engine fills defaults from the schema the pack reports; they must be there."""
    schema = {p.name: p.properties for p in pack().policies}
    assert schema["asg-min-instances"]["minInstances"]["default"] == 2
    assert schema["ecs-task-max-bounded"]["maxToMinRatio"]["default"] == 2
    assert schema["efs-throughput-mode"]["allowedModes"]["default"] == ["elastic"]
    assert schema["compute-optimized-instances"]["burstableStacks"]["default"] == []


def test_compliant_stack_only_gets_the_no_domain_advisory(pack):
    verdicts = run(pack, happy_stack())
    assert [(v.policy, v.level) for v in verdicts] == [("alb-https-only", "advisory")], verdicts


def rendered(**overrides):
    """What the component renders (the deployability policies follow its network and keys)."""
    from tests.support.stacks import render

    return render("heavy", **overrides).resources


# One violation per policy, each through the real protocol: (policy, level, resource, stack change, config).
CASES = [
    ("asg-min-instances", "mandatory", "pypiserver-asg", lambda s: mutate(s, "pypiserver-asg", "minSize", 1), None),
    (
        "compute-optimized-instances",
        "mandatory",
        "pypiserver-lt",
        lambda s: mutate(s, "pypiserver-lt", "instanceType", "m6i.large"),
        None,
    ),
    (
        "efs-throughput-mode",
        "mandatory",
        "pypiserver-efs",
        lambda s: mutate(s, "pypiserver-efs", "throughputMode", "bursting"),
        None,
    ),
    (
        "ecs-task-max-bounded",
        "mandatory",
        "pypiserver-scaling-target",
        lambda s: mutate(s, "pypiserver-scaling-target", "minCapacity", 6),
        None,
    ),
    (
        "ecs-task-max-fits-instances",
        "mandatory",
        "pypiserver-scaling-target",
        lambda s: mutate(s, "pypiserver-asg", "maxSize", 3),
        None,
    ),
    (
        "instance-min-vcpu",
        "advisory",
        "pypiserver-lt",
        lambda s: mutate(s, "pypiserver-lt", "instanceType", "c6g.medium"),
        {"instance-min-vcpu": C6G_MEDIUM, "ecs-task-max-fits-instances": C6G_MEDIUM},
    ),
    ("asg-max-instances", "advisory", "pypiserver-asg", lambda s: mutate(s, "pypiserver-asg", "maxSize", 6), None),
    ("efs-encrypted", "mandatory", "pypiserver-efs", lambda s: mutate(s, "pypiserver-efs", "encrypted", False), None),
    (
        "efs-transit-encryption",
        "mandatory",
        "pypiserver-task",
        lambda s: mutate(s, "pypiserver-task", "volumes.0.efsVolumeConfiguration.transitEncryption", "DISABLED"),
        None,
    ),
    (
        "launch-template-imdsv2",
        "mandatory",
        "pypiserver-lt",
        lambda s: mutate(s, "pypiserver-lt", "metadataOptions.httpTokens", "optional"),
        None,
    ),
    (
        "no-public-ip",
        "mandatory",
        "pypiserver-lt",
        lambda s: mutate(s, "pypiserver-lt", "networkInterfaces.0.associatePublicIpAddress", "true"),
        None,
    ),
    (
        "no-open-ingress",
        "mandatory",
        "pypiserver-efs-sg",
        lambda s: mutate(s, "pypiserver-efs-sg", "ingress.0.cidrBlocks", ["0.0.0.0/0"]),
        None,
    ),
    (
        "alb-modern-tls",
        "mandatory",
        "pypiserver-https",
        lambda s: [*s, https_listener("ELBSecurityPolicy-2016-08")],
        None,
    ),
    ("alb-https-only", "advisory", "pypiserver-http", lambda s: s, None),
    ("efs-backup-enabled", "mandatory", "pypiserver-efs", lambda s: without(s, "pypiserver-backup-selection"), None),
    (
        "ecs-deployment-circuit-breaker",
        "mandatory",
        "pypiserver-service",
        lambda s: mutate(s, "pypiserver-service", "deploymentCircuitBreaker.rollback", False),
        None,
    ),
    (
        "health-check-not-root",
        "mandatory",
        "pypiserver-tg",
        lambda s: mutate(s, "pypiserver-tg", "healthCheck.path", "/"),
        None,
    ),
    ("required-alarms", "mandatory", "(stack)", lambda s: without(s, "pypiserver-efs-io-limit"), None),
    (
        "instances-have-egress",
        "mandatory",
        "pypiserver-asg",
        lambda s: without(
            mutate(rendered(), "pypiserver-private-rt-us-east-1a", "routes", []), "pypiserver-nat-us-east-1a"
        ),
        None,
    ),
    (
        "alarm-topic-deliverable",
        "mandatory",
        "pypiserver-alarms",
        lambda s: without(
            mutate(rendered(), "pypiserver-alarms", "kmsMasterKeyId", "alias/aws/sns"), "pypiserver-alarms-key"
        ),
        None,
    ),
    (
        "internet-facing-https",
        "mandatory",
        "pypiserver-http",
        lambda s: rendered(loadBalancerScheme="internet-facing", allowedCidrs=["10.0.0.0/8"], allowPlainHttp=True),
        None,
    ),
    (
        "trusted-publishing-https",
        "mandatory",
        "pypiserver-alb",
        lambda s: without(
            rendered(
                zoneId="Z0123456789ABCDEFGHIJ",
                trustedPublishing={
                    "publishers": [{"provider": "github", "repository": "a/b", "workflow": "r.yml", "projects": ["b"]}]
                },
            ),
            "pypiserver-https",
        ),
        None,
    ),
    (
        "secret-readers-named",
        "mandatory",
        "pypiserver-credentials-readers",
        lambda s: mutate(
            rendered(secretReaders=["arn:aws:iam::123456789012:role/ci"]),
            "pypiserver-credentials-readers",
            "blockPublicPolicy",
            False,
        ),
        None,
    ),
    (
        "alb-access-logs",
        "advisory",
        "pypiserver-alb",
        lambda s: mutate(s, "pypiserver-alb", "accessLogs.enabled", False),
        None,
    ),
    (
        "alarms-notify-someone",
        "advisory",
        "pypiserver-efs-io-limit",
        lambda s: [r for r in s if r.name != "pypiserver-alarm-email-0"],
        None,
    ),
]


def test_cases_cover_every_policy(pack):
    assert {c[0] for c in CASES} == {p.name for p in pack().policies}, "each policy needs a case over gRPC"


@pytest.mark.parametrize("policy,level,resource,change,config", CASES, ids=[c[0] for c in CASES])
def test_violation_over_grpc(pack, policy, level, resource, change, config):
    found = named(run(pack, change(happy_stack()), config), policy)
    assert [(v.level, v.resource) for v in found] == [(level, resource)], found


def test_resource_verdict_carries_the_analyzed_urn(pack):
    stack = mutate(happy_stack(), "pypiserver-asg", "minSize", 1)
    asg = next(r for r in stack if r.name == "pypiserver-asg")
    assert [v.urn for v in named(run(pack, stack), "asg-min-instances")] == [asg.urn]


def test_message_is_the_remediation_not_the_description(pack):
    v = named(run(pack, mutate(happy_stack(), "pypiserver-asg", "minSize", 1)), "asg-min-instances")[0]
    assert v.description.startswith("The Auto Scaling group keeps at least two")
    assert v.message.startswith("minSize is 1;"), v.message


def test_secret_values_are_unwrapped(pack):
    """The engine sends secrets wrapped in a signature object; the policy must see the value."""
    stack = mutate(happy_stack(), "pypiserver-lt", "instanceType", {**SECRET_SIG, "value": "m6i.large"})
    assert len(named(run(pack, stack), "compute-optimized-instances")) == 1


# --- config, as the engine applies it ----------------------------------------------------


def test_disabled_policy_reports_nothing(pack):
    stack = mutate(happy_stack(), "pypiserver-asg", "minSize", 1)
    assert named(run(pack, stack, {"asg-min-instances": "disabled"}), "asg-min-instances") == []


def test_all_sets_every_level_and_entries_override_it(pack):
    stack = mutate(happy_stack(), "pypiserver-asg", "minSize", 1)
    verdicts = run(pack, stack, {"all": "advisory", "alb-https-only": "mandatory"})
    levels = {v.policy: v.level for v in verdicts}
    assert levels == {"asg-min-instances": "advisory", "alb-https-only": "mandatory"}, levels


def test_setting_without_level_keeps_the_default_level(pack):
    """Omitting enforcementLevel must not downgrade (the SDK reads a missing level as advisory)."""
    stack = mutate(happy_stack(), "pypiserver-asg", "minSize", 2)
    found = named(run(pack, stack, {"asg-min-instances": {"minInstances": 3}}), "asg-min-instances")
    assert [v.level for v in found] == ["mandatory"]


def test_stack_name_comes_from_the_process_environment(pack):
    """PULUMI_STACK set at start-up decides the burstable allowance: light passes, heavy does not."""
    config = {"compute-optimized-instances": {"burstableStacks": ["light"]}}
    for stack, expected in (("light", 0), ("heavy", 1)):
        resources = mutate(happy_stack(stack), "pypiserver-lt", "instanceType", "t3.small")
        assert len(named(run(pack, resources, config, stack=stack), "compute-optimized-instances")) == expected, (
            f"t3.small on stack {stack} with burstableStacks=[light]"
        )


def test_invalid_setting_rejected_before_analysis(pack):
    with pytest.raises(PolicyError, match=r"asg-min-instances: minInstances: 'two' is not of type 'integer'"):
        pack().configure({"asg-min-instances": {"minInstances": "two"}})


def test_pack_that_cannot_start_gives_one_line_error(tmp_path):
    (tmp_path / "__main__.py").write_text("import no_such_module_for_policy_test\n")
    with pytest.raises(PolicyError, match="the policy pack did not start") as err:
        PolicyPackProcess(stack="heavy", project=STACK_PROJECT, pack_dir=tmp_path)
    assert "\n" not in str(err.value)


def test_stacks_own_config_cannot_grant_the_burstable_allowance():
    """Whatever the stack's config says (PULUMI_CONFIG reaches the pack process), only the
    organization's policy config names the stacks that may run burstable instances."""
    own_config = {
        "pypiserver:burstableStacks": '["heavy"]',
        "compute-optimized-instances:burstableStacks": "heavy",
        "pypiserver:policyExemptions": '["compute-optimized-instances"]',
    }
    with PolicyPackProcess(stack="heavy", project=STACK_PROJECT, config=own_config) as process:
        process.configure(None)
        verdicts = process.analyze(mutate(happy_stack(), "pypiserver-lt", "instanceType", "t3.small"))
    assert [v.level for v in named(verdicts, "compute-optimized-instances")] == ["mandatory"]


def test_unknown_value_over_grpc_is_an_advisory_cannot_run(pack):
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # what the engine sends for any unknown during preview
    verdicts = run(pack, mutate(happy_stack(), "pypiserver-lt", "instanceType", unknown))
    found = named(verdicts, "compute-optimized-instances")
    assert [v.level for v in found] == ["advisory"] and "during preview" in found[0].message, found
    assert not [v for v in verdicts if v.level == "mandatory"], "an unknown value never blocks by itself"


# --- metadata over the wire --------------------------------------------------------------


def test_every_policy_sends_severity_remediation_url_and_grouping(pack):
    """GetAnalyzerInfo carries what the Pulumi Cloud console and CLI show for each policy."""
    from tests.support.policy_fixtures import ALL_POLICIES

    declared = {p.name: p for p in ALL_POLICIES}
    for info in pack().policies:
        policy = declared[info.name]
        assert (info.severity, info.remediation_steps, info.url, list(info.tags)) == (
            policy.severity.value,
            policy.remediation_steps,
            policy.url,
            policy.tags,
        ), info.name
        assert info.framework.startswith(policy.framework.name), info.name


def test_violation_carries_its_policys_severity(pack):
    found = named(run(pack, mutate(happy_stack(), "pypiserver-asg", "minSize", 1)), "asg-min-instances")
    assert [v.severity for v in found] == ["high"], found


@pytest.mark.parametrize("instance_type", ["c7i-flex.xlarge", "c6gd.xlarge", "c8i.xlarge"])
def test_held_out_compute_families_pass_over_grpc(pack, instance_type):
    """The three false positives an adopting organization found: compute-optimized by name."""
    stack = mutate(happy_stack(), "pypiserver-lt", "instanceType", instance_type)
    assert named(run(pack, stack), "compute-optimized-instances") == []
