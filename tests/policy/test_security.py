"""policy/policies/security.py, in-process: the happy-path stack complies; each mutation breaks one rule."""

import json

import pytest

from commands.engine import RenderedResource
from tests.support.policy_fixtures import DELETE, happy_stack, https_listener, mutate, named, urn

MANDATORY = [
    "efs-encrypted",
    "efs-transit-encryption",
    "launch-template-imdsv2",
    "no-public-ip",
    "no-open-ingress",
    "alb-modern-tls",
    "secret-readers-named",
]


@pytest.mark.parametrize("policy", MANDATORY)
def test_happy_stack_complies(analyze, policy):
    assert named(analyze(happy_stack()), policy) == [], f"the compliant heavy stack must pass {policy}"


def only(verdicts, policy):
    found = named(verdicts, policy)
    assert len(found) == 1, f"expected exactly one {policy} verdict, got {found}"
    return found[0]


# --- efs-encrypted -----------------------------------------------------------------------


@pytest.mark.parametrize("value", [False, DELETE])
def test_unencrypted_efs_rejected(analyze, value):
    v = only(analyze(mutate(happy_stack(), "pypiserver-efs", "encrypted", value)), "efs-encrypted")
    assert (v.level, v.resource) == ("mandatory", "pypiserver-efs")


# --- efs-transit-encryption --------------------------------------------------------------


@pytest.mark.parametrize("value", ["DISABLED", DELETE])
def test_efs_volume_without_transit_encryption_rejected(analyze, value):
    stack = mutate(happy_stack(), "pypiserver-task", "volumes.0.efsVolumeConfiguration.transitEncryption", value)
    v = only(analyze(stack), "efs-transit-encryption")
    assert v.resource == "pypiserver-task" and "volume 'packages'" in v.message


def test_non_efs_volume_ignored(analyze):
    stack = mutate(happy_stack(), "pypiserver-task", "volumes", [{"name": "scratch", "hostPath": "/tmp"}])
    assert named(analyze(stack), "efs-transit-encryption") == []


# --- launch-template-imdsv2 --------------------------------------------------------------


@pytest.mark.parametrize("value", ["optional", DELETE])
def test_imdsv1_allowed_rejected(analyze, value):
    stack = mutate(happy_stack(), "pypiserver-lt", "metadataOptions.httpTokens", value)
    v = only(analyze(stack), "launch-template-imdsv2")
    assert v.resource == "pypiserver-lt" and "required" in v.message


def test_metadata_endpoint_disabled_is_fine(analyze):
    stack = mutate(happy_stack(), "pypiserver-lt", "metadataOptions", {"httpEndpoint": "disabled"})
    assert named(analyze(stack), "launch-template-imdsv2") == []


# --- no-public-ip ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["true", True, DELETE])
def test_public_ip_or_unset_rejected(analyze, value):
    stack = mutate(happy_stack(), "pypiserver-lt", "networkInterfaces.0.associatePublicIpAddress", value)
    v = only(analyze(stack), "no-public-ip")
    assert v.resource == "pypiserver-lt"


def test_organization_can_allow_public_ips_for_a_stack(analyze):
    stack = mutate(happy_stack(), "pypiserver-lt", "networkInterfaces.0.associatePublicIpAddress", "true")
    config = {"no-public-ip": {"allowPublicIpStacks": ["legacy"]}}
    assert named(analyze(stack, config, stack="legacy"), "no-public-ip") == [], "explicitly allowed for 'legacy'"
    assert named(analyze(stack, config, stack="heavy"), "no-public-ip"), "and for no other stack"


def test_template_without_interfaces_rejected(analyze):
    """No interface block: the subnet decides, and default-VPC subnets assign public IPs."""
    v = only(analyze(mutate(happy_stack(), "pypiserver-lt", "networkInterfaces", DELETE)), "no-public-ip")
    assert "associatePublicIpAddress is unset:" in v.message


# --- no-open-ingress (stack) -------------------------------------------------------------


def test_alb_open_on_http_is_allowed(analyze):
    stack = mutate(happy_stack(), "pypiserver-alb-sg", "ingress.0.cidrBlocks", ["0.0.0.0/0", "10.0.0.0/8"])
    assert named(analyze(stack), "no-open-ingress") == []


def test_alb_open_on_other_port_rejected(analyze):
    stack = mutate(happy_stack(), "pypiserver-alb-sg", "ingress.0.fromPort", 22)
    stack = mutate(stack, "pypiserver-alb-sg", "ingress.0.toPort", 22)
    v = only(analyze(stack), "no-open-ingress")
    assert v.resource == "pypiserver-alb-sg" and "only ports 80, 443" in v.message


def test_alb_open_port_range_rejected(analyze):
    stack = mutate(happy_stack(), "pypiserver-alb-sg", "ingress.0.toPort", 443)  # 80-443
    assert len(named(analyze(stack), "no-open-ingress")) == 1


def test_instance_sg_open_to_world_rejected(analyze):
    stack = mutate(happy_stack(), "pypiserver-instance-sg", "ingress.0.cidrBlocks", ["0.0.0.0/0"])
    v = only(analyze(stack), "no-open-ingress")
    assert v.resource == "pypiserver-instance-sg" and "only the load balancer's" in v.message


def test_instance_sg_open_on_port_80_still_rejected(analyze):
    """80/443 are allowed from anywhere only on the load balancer's security group."""
    stack = mutate(
        happy_stack(),
        "pypiserver-instance-sg",
        "ingress",
        [{"protocol": "tcp", "fromPort": 80, "toPort": 80, "ipv6CidrBlocks": ["::/0"]}],
    )
    assert len(named(analyze(stack), "no-open-ingress")) == 1


def test_all_protocols_open_rejected_even_on_alb(analyze):
    stack = mutate(happy_stack(), "pypiserver-alb-sg", "ingress.0.protocol", "-1")
    assert len(named(analyze(stack), "no-open-ingress")) == 1


def test_standalone_ingress_rule_open_to_world_rejected(analyze):
    stack = happy_stack()
    efs_sg = next(r for r in stack if r.name == "pypiserver-efs-sg")
    rule_type = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
    props = {
        "securityGroupId": "sg-efs",
        "ipProtocol": "tcp",
        "fromPort": 2049,
        "toPort": 2049,
        "cidrIpv4": "0.0.0.0/0",
    }
    rule = RenderedResource(
        id=None,
        urn=urn("heavy", rule_type, "nfs-open"),
        type=rule_type,
        name="nfs-open",
        parent=efs_sg.parent,
        custom=True,
        inputs=props,
        outputs=props,
        dependencies=(efs_sg.urn,),
        property_dependencies={"securityGroupId": (efs_sg.urn,)},
    )
    v = only(analyze([*stack, rule]), "no-open-ingress")
    assert v.resource == "nfs-open"


# --- alb-modern-tls / alb-https-only -----------------------------------------------------


def test_https_listener_with_modern_policy_passes(analyze):
    stack = [*happy_stack(), https_listener("ELBSecurityPolicy-TLS13-1-2-2021-06")]
    assert named(analyze(stack), "alb-modern-tls") == []


@pytest.mark.parametrize("policy", ["ELBSecurityPolicy-2016-08", None])
def test_https_listener_with_old_or_default_policy_rejected(analyze, policy):
    v = only(analyze([*happy_stack(), https_listener(policy)]), "alb-modern-tls")
    assert (v.level, v.resource) == ("mandatory", "pypiserver-https")
    assert "ELBSecurityPolicy-2016-08" in v.message


def test_plain_http_listener_is_advisory(analyze):
    v = only(analyze(happy_stack()), "alb-https-only")
    assert (v.level, v.resource) == ("advisory", "pypiserver-http"), "no domain: HTTP only, advised not blocked"


def test_http_redirect_to_https_passes(analyze):
    stack = mutate(
        happy_stack(),
        "pypiserver-http",
        "defaultActions",
        [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}],
    )
    assert named(analyze(stack), "alb-https-only") == []


# --- secret-readers-named ----------------------------------------------------------------

READER_ROLE = "arn:aws:iam::123456789012:role/ci"


def secret_stack():
    from tests.support.stacks import render

    return render("heavy", secretReaders=[READER_ROLE]).resources


def reading(principal, action="secretsmanager:GetSecretValue") -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*"}],
        }
    )


def test_rendered_secrets_comply(analyze):
    stack = secret_stack()
    assert len([r for r in stack if r.type.endswith("SecretPolicy")]) == 2
    assert named(analyze(stack), "secret-readers-named") == []


@pytest.mark.parametrize(
    "principal,action,words",
    [
        ("*", "secretsmanager:GetSecretValue", "remove wildcard"),
        ({"AWS": "*"}, "secretsmanager:GetSecretValue", "remove wildcard"),
        ({"AWS": [READER_ROLE], "Service": "ec2.amazonaws.com"}, "secretsmanager:GetSecretValue", "remove wildcard"),
        ({"AWS": [READER_ROLE]}, ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"], "lower it to"),
        ({"AWS": [READER_ROLE]}, "secretsmanager:*", "lower it to"),
    ],
)
def test_secret_policy_opening_the_secret_rejected(analyze, principal, action, words):
    stack = mutate(secret_stack(), "pypiserver-reader-credentials-readers", "policy", reading(principal, action))
    v = only(analyze(stack), "secret-readers-named")
    assert (v.level, v.resource) == ("mandatory", "pypiserver-reader-credentials-readers") and words in v.message


def test_secret_policy_without_public_block_rejected(analyze):
    stack = mutate(secret_stack(), "pypiserver-credentials-readers", "blockPublicPolicy", False)
    v = only(analyze(stack), "secret-readers-named")
    assert v.resource == "pypiserver-credentials-readers" and "blockPublicPolicy" in v.message


def test_role_reading_every_secret_rejected(analyze):
    everything = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}],
        }
    )
    stack = mutate(secret_stack(), "pypiserver-execution-read-credentials", "policy", everything)
    v = only(analyze(stack), "secret-readers-named")
    assert v.resource == "pypiserver-execution-read-credentials" and "every secret" in v.message


# --- alb-access-logs ---------------------------------------------------------------------


def test_rendered_load_balancer_logs_and_happy_stack_complies(analyze):
    assert named(analyze(secret_stack()), "alb-access-logs") == []
    assert named(analyze(happy_stack()), "alb-access-logs") == []


@pytest.mark.parametrize("path,value", [("accessLogs.enabled", False), ("accessLogs", DELETE)])
def test_load_balancer_without_access_logs_is_advised(analyze, path, value):
    v = only(analyze(mutate(happy_stack(), "pypiserver-alb", path, value)), "alb-access-logs")
    assert (v.level, v.resource) == ("advisory", "pypiserver-alb") and "pypiserver:accessLogs" in v.message


def test_access_logs_false_renders_no_bucket_and_the_policy_says_so(analyze):
    from tests.support.stacks import render

    stack = render("heavy", accessLogs=False).resources
    assert not [r for r in stack if r.type.startswith("aws:s3/")]
    assert only(analyze(stack), "alb-access-logs").level == "advisory"
