"""policy/policies/security.py, in-process: the happy-path stack complies; each mutation breaks one rule."""

from dataclasses import replace

import pytest
from policy_fixtures import DELETE, happy_stack, https_listener, mutate, named, urn

from offline.engine import RenderedResource

MANDATORY = [
    "efs-encrypted",
    "efs-transit-encryption",
    "launch-template-imdsv2",
    "no-public-ip",
    "no-open-ingress",
    "alb-modern-tls",
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


# --- edges: resource kinds, rule shapes and settings each check must still see ---------------


def ec2_instance(props: dict) -> RenderedResource:
    type_ = "aws:ec2/instance:Instance"
    return RenderedResource(
        id="i-1",
        urn=urn("heavy", type_, "bastion"),
        type=type_,
        name="bastion",
        parent=None,
        custom=True,
        inputs=props,
        outputs=props,
    )


def test_a_plain_ec2_instance_needs_imdsv2_too(analyze):
    v = only(analyze([*happy_stack(), ec2_instance({"associatePublicIpAddress": False})]), "launch-template-imdsv2")
    assert v.resource == "bastion"


def test_the_message_shows_each_interfaces_public_ip_setting(analyze):
    interfaces = [{"deviceIndex": 0}, {"deviceIndex": 1, "associatePublicIpAddress": True}]
    v = only(analyze(mutate(happy_stack(), "pypiserver-lt", "networkInterfaces", interfaces)), "no-public-ip")
    assert "associatePublicIpAddress is unset, true:" in v.message


def test_public_ports_setting_takes_tcp_port_numbers_only():
    from jsonschema import Draft7Validator

    from policies import security

    ports = Draft7Validator(security.OPEN_INGRESS_SCHEMA.properties["publicPorts"])
    assert ports.is_valid([0, 80, 65535])
    for bad in ([-1], [65536], ["80"], 80):
        assert not ports.is_valid(bad), bad


@pytest.mark.parametrize("protocol", ["all", "-1", "ALL"])
def test_every_protocol_on_an_allowed_port_is_still_open(analyze, protocol):
    stack = mutate(happy_stack(), "pypiserver-alb-sg", "ingress.0.protocol", protocol)
    assert len(named(analyze(stack), "no-open-ingress")) == 1


@pytest.mark.parametrize("port", ["fromPort", "toPort"])
def test_a_world_rule_without_a_port_bound_is_open(analyze, port):
    stack = mutate(happy_stack(), "pypiserver-alb-sg", f"ingress.0.{port}", DELETE)
    assert len(named(analyze(stack), "no-open-ingress")) == 1


def standalone_rule(stack, type_: str, name: str, props: dict) -> RenderedResource:
    sg = next(r for r in stack if r.name == "pypiserver-instance-sg")
    return RenderedResource(
        id=None,
        urn=urn("heavy", type_, name),
        type=type_,
        name=name,
        parent=sg.parent,
        custom=True,
        inputs=props,
        outputs=props,
        dependencies=(sg.urn,),
        property_dependencies={"securityGroupId": (sg.urn,)},
    )


SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"


def test_a_standalone_egress_rule_to_the_world_is_not_ingress(analyze):
    stack = happy_stack()
    props = {
        "type": "egress",
        "securityGroupId": "sg-i",
        "protocol": "tcp",
        "fromPort": 22,
        "toPort": 22,
        "cidrBlocks": ["0.0.0.0/0"],
    }
    assert named(analyze([*stack, standalone_rule(stack, SG_RULE, "out", props)]), "no-open-ingress") == []


def test_a_standalone_ingress_rule_names_its_protocol_and_ports(analyze):
    stack = happy_stack()
    props = {
        "type": "ingress",
        "securityGroupId": "sg-i",
        "protocol": "tcp",
        "fromPort": 22,
        "toPort": 23,
        "ipv6CidrBlocks": ["::/0"],
    }
    v = only(analyze([*stack, standalone_rule(stack, SG_RULE, "ssh", props)]), "no-open-ingress")
    assert v.resource == "ssh" and "allows tcp 22-23 from anywhere" in v.message


def test_an_ipv6_standalone_ingress_rule_open_to_the_world_is_found(analyze):
    stack = happy_stack()
    props = {"securityGroupId": "sg-i", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv6": "::/0"}
    rule = standalone_rule(stack, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "ssh6", props)
    assert only(analyze([*stack, rule]), "no-open-ingress").resource == "ssh6"


# AWS's TLS 1.3 security policies for Application and Network Load Balancers (ELB user guide,
# "Security policies"), FIPS variants included.
TLS13_POLICIES = [
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
]


@pytest.mark.parametrize("policy", TLS13_POLICIES)
def test_every_tls13_policy_passes(analyze, policy):
    assert named(analyze([*happy_stack(), https_listener(policy)]), "alb-modern-tls") == []


def test_a_tls_listener_with_an_old_policy_is_rejected(analyze):
    listener = https_listener("ELBSecurityPolicy-2016-08")
    tls = replace(
        listener, inputs={**listener.inputs, "protocol": "TLS"}, outputs={**listener.outputs, "protocol": "TLS"}
    )
    assert only(analyze([*happy_stack(), tls]), "alb-modern-tls").resource == "pypiserver-https"


def test_an_https_target_group_is_not_a_listener(analyze):
    stack = mutate(happy_stack(), "pypiserver-tg", "protocol", "HTTPS")
    assert named(analyze(stack), "alb-modern-tls") == []


def test_only_plain_http_listeners_are_advised_https(analyze):
    found = named(analyze([*happy_stack(), https_listener("ELBSecurityPolicy-TLS13-1-2-2021-06")]), "alb-https-only")
    assert [v.resource for v in found] == ["pypiserver-http"]


@pytest.mark.parametrize(
    "actions",
    [
        [],
        [{"type": "redirect", "redirect": {"protocol": "HTTP", "port": "8080", "statusCode": "HTTP_301"}}],
        [{"type": "forward", "targetGroupArn": "arn:tg", "redirect": {"protocol": "HTTPS"}}],
    ],
    ids=["no-actions", "redirect-to-http", "forward-with-a-stale-redirect-block"],
)
def test_http_listener_that_does_not_redirect_to_https_is_advised(analyze, actions):
    stack = mutate(happy_stack(), "pypiserver-http", "defaultActions", actions)
    assert only(analyze(stack), "alb-https-only").resource == "pypiserver-http"
