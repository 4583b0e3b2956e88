"""policy/policies/deployability.py, in-process. The happy fixture is what the component
renders for the heavy stack (its real dependency graph); each test breaks one rule."""

import json

import pytest

from tests.support.policy_fixtures import DELETE, mutate, named, without
from tests.support.stacks import render

POLICIES = ["instances-have-egress", "alarm-topic-deliverable", "internet-facing-https"]
PRIVATE_TABLES = ["pypiserver-private-rt-us-east-1a", "pypiserver-private-rt-us-east-1b"]


@pytest.fixture(scope="module")
def heavy():
    return render("heavy").resources


@pytest.fixture(scope="module")
def internet_facing_http():
    return render(
        "heavy", loadBalancerScheme="internet-facing", allowedCidrs=["0.0.0.0/0"], allowPlainHttp=True
    ).resources


def only(verdicts, policy):
    found = named(verdicts, policy)
    assert len(found) == 1, f"expected exactly one {policy} verdict, got {found}"
    return found[0]


@pytest.mark.parametrize("policy", POLICIES)
def test_rendered_heavy_stack_complies(analyze, heavy, policy):
    assert named(analyze(heavy), policy) == [], f"what the component renders must pass {policy}"


# --- instances-have-egress ----------------------------------------------------------------


def test_private_subnet_without_default_route_is_rejected(analyze, heavy):
    stack = mutate(heavy, PRIVATE_TABLES[0], "routes", [])
    stack = without(stack, "pypiserver-nat-us-east-1a")  # the table no longer depends on the NAT gateway
    v = only(analyze(stack), "instances-have-egress")
    assert v.level == "mandatory" and "'pypiserver-private-us-east-1a'" in v.message, "names the subnet that lost it"
    assert "NAT gateway" in v.message and "ecr.dkr" in v.message, "says what to add"


def test_default_route_to_an_internet_gateway_without_public_ips_is_rejected(analyze, heavy):
    stack = mutate(heavy, PRIVATE_TABLES[1], "routes", [{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"}])
    stack = without(stack, "pypiserver-nat-us-east-1a")
    assert named(analyze(stack), "instances-have-egress"), (
        "an IGW route gives no egress to instances without public IPs"
    )


def test_interface_endpoints_for_every_service_stand_in_for_nat(analyze):
    stack = render("heavy", vpcEndpoints=True).resources
    stack = without(mutate(stack, PRIVATE_TABLES[0], "routes", []), "pypiserver-nat-us-east-1a")
    assert named(analyze(stack), "instances-have-egress") == []


# --- alarm-topic-deliverable ----------------------------------------------------------------


def test_aws_managed_sns_key_is_rejected(analyze, heavy):
    stack = without(mutate(heavy, "pypiserver-alarms", "kmsMasterKeyId", "alias/aws/sns"), "pypiserver-alarms-key")
    v = only(analyze(stack), "alarm-topic-deliverable")
    alarms = len([r for r in heavy if r.type == "aws:cloudwatch/metricAlarm:MetricAlarm"])
    assert v.level == "mandatory" and "alias/aws/sns" in v.message and f"{alarms} alarm(s)" in v.message


def test_customer_key_whose_policy_omits_cloudwatch_is_rejected(analyze, heavy):
    key = next(r for r in heavy if r.name == "pypiserver-alarms-key")
    policy = json.loads(key.inputs["policy"])
    policy["Statement"] = [s for s in policy["Statement"] if s.get("Principal", {}).get("Service") is None]
    v = only(analyze(mutate(heavy, "pypiserver-alarms-key", "policy", json.dumps(policy))), "alarm-topic-deliverable")
    assert "cloudwatch.amazonaws.com" in v.message and "kms:Decrypt" in v.message


def test_unencrypted_topic_is_deliverable(analyze, heavy):
    stack = mutate(heavy, "pypiserver-alarms", "kmsMasterKeyId", DELETE)
    assert named(analyze(stack), "alarm-topic-deliverable") == []


# --- internet-facing-https -------------------------------------------------------------------


def test_internet_facing_plain_http_is_mandatory_violation(analyze, internet_facing_http):
    v = only(analyze(internet_facing_http), "internet-facing-https")
    assert v.level == "mandatory" and "allowPlainHttpStacks" in v.message


def test_organization_can_allow_plain_http_for_a_stack(analyze, internet_facing_http):
    config = {"internet-facing-https": {"allowPlainHttpStacks": ["heavy"]}}
    assert named(analyze(internet_facing_http, config), "internet-facing-https") == []
    assert named(analyze(internet_facing_http, config, stack="medium"), "internet-facing-https"), (
        "the allowance names one stack, not every stack"
    )


def test_internal_load_balancer_with_http_passes(analyze, heavy):
    assert named(analyze(heavy), "internet-facing-https") == [], "internal: the VPC only (alb-https-only advises)"


def test_https_with_redirect_passes(analyze):
    stack = render(
        "heavy", loadBalancerScheme="internet-facing", allowedCidrs=["0.0.0.0/0"], zoneId="Z0123456789ABCDEFGHIJ"
    ).resources
    assert named(analyze(stack), "internet-facing-https") == []


# --- egress: every route target that gives a way out, every endpoint that stands in -----------


@pytest.mark.parametrize("target", ["natGatewayId", "transitGatewayId", "vpcEndpointId", "networkInterfaceId"])
def test_each_egress_route_target_is_a_way_out(analyze, heavy, target):
    routes = [{"cidrBlock": "0.0.0.0/0", target: "x-0123"}]
    stack = without(mutate(heavy, PRIVATE_TABLES[0], "routes", routes), "pypiserver-nat-us-east-1a")
    assert named(analyze(stack), "instances-have-egress") == []


@pytest.fixture(scope="module")
def with_endpoints():
    stack = render("heavy", vpcEndpoints=True).resources
    return without(mutate(stack, PRIVATE_TABLES[0], "routes", []), "pypiserver-nat-us-east-1a")


# What the task and the ECS agent reach without NAT (ECS developer guide, "Amazon ECS interface
# VPC endpoints"): the agent, telemetry, ECR's API and registry, Secrets Manager and logs.
@pytest.mark.parametrize(
    "service", ["ecs", "ecs-agent", "ecs-telemetry", "ecr.api", "ecr.dkr", "secretsmanager", "logs"]
)
def test_without_any_one_endpoint_there_is_no_way_out(analyze, with_endpoints, service):
    endpoint = next(
        r.name
        for r in with_endpoints
        if r.type == "aws:ec2/vpcEndpoint:VpcEndpoint" and str(r.inputs.get("serviceName", "")).endswith(f".{service}")
    )
    assert len(named(analyze(without(with_endpoints, endpoint)), "instances-have-egress")) >= 1


def test_a_default_route_whose_nat_id_is_not_known_yet_counts_through_the_dependency(analyze, heavy):
    # At preview a NAT gateway made in the same stack has no id yet: the table depends on it.
    stack = mutate(heavy, PRIVATE_TABLES[0], "routes", [{"cidrBlock": "0.0.0.0/0"}])
    assert named(analyze(stack), "instances-have-egress") == []


def test_instances_with_public_ips_get_out_through_an_internet_gateway(analyze, heavy):
    routes = [{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"}]
    stack = without(mutate(heavy, PRIVATE_TABLES[0], "routes", routes), "pypiserver-nat-us-east-1a")
    stack = mutate(stack, "pypiserver-lt", "networkInterfaces", [{"deviceIndex": 0, "associatePublicIpAddress": True}])
    assert named(analyze(stack), "instances-have-egress") == []


# --- the key policy CloudWatch needs, read as KMS reads it ----------------------------------


def key_policy(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def cloudwatch(actions, effect="Allow", service="cloudwatch.amazonaws.com") -> dict:
    return {"Effect": effect, "Principal": {"Service": service}, "Action": actions, "Resource": "*"}


@pytest.mark.parametrize(
    "policy, admits",
    [
        (key_policy(cloudwatch(["kms:Decrypt", "kms:GenerateDataKey*"])), True),
        (key_policy(cloudwatch(["kms:Decrypt", "kms:GenerateDataKey"])), True),
        (key_policy(cloudwatch("kms:*")), True),
        (json.dumps({"Statement": cloudwatch(["kms:Decrypt", "kms:GenerateDataKey*"])}), True),
        (key_policy("not a statement", cloudwatch(["kms:Decrypt", "kms:GenerateDataKey*"])), True),
        (key_policy(cloudwatch(["kms:Decrypt"])), False),
        (key_policy(cloudwatch(["kms:GenerateDataKey*"])), False),
        (key_policy(cloudwatch(["kms:Decrypt", "kms:GenerateDataKey*"], effect="Deny")), False),
        (key_policy(cloudwatch(["kms:Decrypt", "kms:GenerateDataKey*"], service="sns.amazonaws.com")), False),
        ("{not json", False),
    ],
    ids=[
        "both",
        "generate-without-star",
        "kms-star",
        "one-statement",
        "odd-statement",
        "decrypt-only",
        "generate-only",
        "deny",
        "other-service",
        "not-json",
    ],
)
def test_key_admits_cloudwatch_only_with_decrypt_and_generate(policy, admits):
    from policies import deployability

    assert deployability.key_admits_cloudwatch(policy) is admits


def test_the_message_names_both_actions_cloudwatch_needs(analyze, heavy):
    key = next(r for r in heavy if r.name == "pypiserver-alarms-key")
    stack = mutate(heavy, "pypiserver-alarms-key", "policy", key_policy(cloudwatch(["kms:Decrypt"])))
    assert "kms:Decrypt and kms:GenerateDataKey*" in only(analyze(stack), "alarm-topic-deliverable").message
    assert key.name == "pypiserver-alarms-key"


def test_an_aws_managed_key_given_by_arn_is_rejected(analyze, heavy):
    arn = "arn:aws:kms:us-east-1:123456789012:alias/aws/sns"
    stack = without(mutate(heavy, "pypiserver-alarms", "kmsMasterKeyId", arn), "pypiserver-alarms-key")
    assert arn in only(analyze(stack), "alarm-topic-deliverable").message


@pytest.mark.parametrize(
    "actions",
    [
        [],
        [{"type": "redirect", "redirect": {"protocol": "HTTP", "port": "8080", "statusCode": "HTTP_301"}}],
        [{"type": "forward", "targetGroupArn": "arn:tg", "redirect": {"protocol": "HTTPS"}}],
    ],
    ids=["no-actions", "redirect-to-http", "forward-with-a-stale-redirect-block"],
)
def test_internet_facing_http_that_does_not_redirect_to_https_is_rejected(analyze, internet_facing_http, actions):
    stack = mutate(internet_facing_http, "pypiserver-http", "defaultActions", actions)
    assert only(analyze(stack), "internet-facing-https").level == "mandatory"


def test_a_default_route_through_a_transit_gateway_of_the_stack_counts(analyze, heavy):
    from dataclasses import replace

    table = next(r for r in heavy if r.name == PRIVATE_TABLES[0])
    type_ = "aws:ec2transitgateway/transitGateway:TransitGateway"
    tgw = replace(
        table,
        urn=table.urn.rsplit("$", 1)[0] + f"${type_}::tgw",
        type=type_,
        name="tgw",
        inputs={},
        outputs={},
        dependencies=(),
        property_dependencies={},
    )
    stack = without(
        mutate(heavy, PRIVATE_TABLES[0], "routes", [{"cidrBlock": "0.0.0.0/0"}]), "pypiserver-nat-us-east-1a"
    )
    stack = [replace(r, dependencies=(*r.dependencies, tgw.urn)) if r.name == PRIVATE_TABLES[0] else r for r in stack]
    assert named(analyze([*stack, tgw]), "instances-have-egress") == []


def test_public_ips_need_the_default_route_to_be_an_internet_gateway(analyze, heavy):
    routes = [{"cidrBlock": "0.0.0.0/0", "vpcPeeringConnectionId": "pcx-1"}]
    stack = without(mutate(heavy, PRIVATE_TABLES[0], "routes", routes), "pypiserver-nat-us-east-1a")
    stack = mutate(stack, "pypiserver-lt", "networkInterfaces", [{"deviceIndex": 0, "associatePublicIpAddress": True}])
    assert named(analyze(stack), "instances-have-egress"), "a peering connection is no way to the internet"


# --- alarms-notify-someone ------------------------------------------------------------------


def test_alarms_whose_topic_nobody_subscribes_to_are_advised_in_one_verdict(analyze, heavy):
    v = only(analyze(heavy), "alarms-notify-someone")
    alarms = [r for r in heavy if r.type == "aws:cloudwatch/metricAlarm:MetricAlarm"]
    assert v.level == "advisory", "advisory by default"
    assert f"{len(alarms)} alarm(s) notify nobody" in v.message and "'pypiserver-alarms'" in v.message
    assert "pypiserver:alarmEmails" in v.message, "says what to set"


def test_an_email_subscription_reaches_someone(analyze):
    stack = render("heavy", alarmEmails=["ops@example.com"]).resources
    assert named(analyze(stack), "alarms-notify-someone") == []


def test_a_topic_outside_the_stack_counts_unless_the_organization_says_otherwise(analyze):
    stack = render("heavy", alarmTopicArns=["arn:aws:sns:us-east-1:123456789012:oncall"]).resources
    assert named(analyze(stack), "alarms-notify-someone") == []
    strict = {"alarms-notify-someone": {"acceptTopicsOutsideStack": False}}
    assert named(analyze(stack, strict), "alarms-notify-someone"), "its subscriptions cannot be seen"


def test_an_organization_can_make_it_mandatory(analyze, heavy):
    v = only(analyze(heavy, {"alarms-notify-someone": "mandatory"}), "alarms-notify-someone")
    assert v.level == "mandatory"
