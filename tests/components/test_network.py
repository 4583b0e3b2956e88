"""components/network/: the network the component builds, and the checks on a given one.

The given-network cases use the mock account in commands/engine/mocks.py (EXISTING_SUBNETS: each
subnet's AZ and default-route target), answered through the same data sources
(ec2.getSubnet, ec2.getRouteTable) that `pulumi preview` calls against AWS.
"""

import ipaddress

import pytest

from commands.engine import EngineError, mocks
from components.network.build import subnet_blocks
from tests.support.stacks import render

SUBNET = "aws:ec2/subnet:Subnet"
TABLE = "aws:ec2/routeTable:RouteTable"
NAT = "aws:ec2/natGateway:NatGateway"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ASG = "aws:autoscaling/group:Group"
MOUNT = "aws:efs/mountTarget:MountTarget"
LT = "aws:ec2/launchTemplate:LaunchTemplate"

NAT_A, NAT_B, TGW_C = "subnet-0a0000000000000a1", "subnet-0b0000000000000b1", "subnet-0c0000000000000c1"
NAT_A2, ISOLATED_A = "subnet-0a0000000000000a2", "subnet-0a0000000000000a3"
PUBLIC_A, PUBLIC_B = "subnet-0a00000000000fa01", "subnet-0b00000000000fb01"


def given(*subnets, **more):
    return render("heavy", vpcId=mocks.EXISTING_VPC_ID, subnetIds=list(subnets), **more)


def refused(fragment_list, *subnets, **more):
    with pytest.raises(EngineError) as err:
        given(*subnets, **more)
    message = str(err.value)
    assert "\n" not in message, "one line"
    for fragment in fragment_list:
        assert fragment in message, f"{fragment!r} should be in: {message}"
    return message


# -- built network -------------------------------------------------------------------------


def test_built_network_spans_two_azs_with_public_and_private_tiers():
    preview = render("heavy")
    subnets = preview.of_type(SUBNET)
    tiers = {(s.inputs["tags"]["Tier"], s.inputs["availabilityZone"]) for s in subnets}
    assert tiers == {(t, az) for t in ("public", "private") for az in ("us-east-1a", "us-east-1b")}
    assert not any(s.inputs["mapPublicIpOnLaunch"] for s in subnets), "no subnet hands out public IPs"
    blocks = [ipaddress.ip_network(s.inputs["cidrBlock"]) for s in subnets]
    vpc = ipaddress.ip_network(preview.one("aws:ec2/vpc:Vpc").inputs["cidrBlock"])
    assert all(b.subnet_of(vpc) for b in blocks) and not any(
        a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1 :]
    ), "disjoint blocks inside the VPC"


def test_instances_and_efs_sit_in_the_private_subnets():
    preview = render("heavy")
    private = sorted(s.id for s in preview.of_type(SUBNET) if s.inputs["tags"]["Tier"] == "private")
    assert sorted(preview.one(ASG).inputs["vpcZoneIdentifiers"]) == private
    assert sorted(m.inputs["subnetId"] for m in preview.of_type(MOUNT)) == private, "one mount target per AZ"
    lb = preview.one("aws:lb/loadBalancer:LoadBalancer").inputs
    assert sorted(lb["subnets"]) == private, "an internal load balancer stays in the private subnets"


def test_internet_facing_load_balancer_goes_to_the_public_subnets():
    preview = render(
        "heavy", loadBalancerScheme="internet-facing", allowedCidrs=["0.0.0.0/0"], zoneId="Z0123456789ABCDEFGHIJ"
    )
    public = sorted(s.id for s in preview.of_type(SUBNET) if s.inputs["tags"]["Tier"] == "public")
    assert sorted(preview.one("aws:lb/loadBalancer:LoadBalancer").inputs["subnets"]) == public


@pytest.mark.parametrize("mode, count", [("single", 1), ("per-az", 2)])
def test_private_route_tables_default_to_a_nat_gateway(mode, count):
    preview = render("heavy", natGateways=mode)
    nats = preview.of_type(NAT)
    assert len(nats) == count
    private = [t for t in preview.of_type(TABLE) if "private" in t.name]
    targets = {t.inputs["routes"][0]["natGatewayId"] for t in private}
    assert {r["cidrBlock"] for t in private for r in t.inputs["routes"]} == {"0.0.0.0/0"}
    assert targets == {n.id for n in nats}, "every private table routes through a NAT gateway of the stack"
    public_subnets = {s.id for s in preview.of_type(SUBNET) if s.inputs["tags"]["Tier"] == "public"}
    assert all(n.inputs["subnetId"] in public_subnets for n in nats), "NAT gateways live in public subnets"


def test_s3_gateway_endpoint_serves_the_private_route_tables():
    preview = render("heavy")
    (endpoint,) = preview.of_type(ENDPOINT)
    private = sorted(t.id for t in preview.of_type(TABLE) if "private" in t.name)
    assert (endpoint.inputs["serviceName"], endpoint.inputs["vpcEndpointType"]) == (
        "com.amazonaws.us-east-1.s3",
        "Gateway",
    )
    assert sorted(endpoint.inputs["routeTableIds"]) == private


def test_three_azs_when_asked():
    preview = render("heavy", availabilityZoneCount=3, natGateways="per-az")
    assert len(preview.of_type(NAT)) == 3 and len(preview.of_type(MOUNT)) == 3


def test_subnet_blocks_are_eighths_of_the_vpc():
    public, private = subnet_blocks("10.0.0.0/16", 3)
    assert public == ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"]
    assert private == ["10.0.128.0/19", "10.0.160.0/19", "10.0.192.0/19"]


def test_network_outputs_name_what_was_built():
    preview = render("heavy")
    out = preview.outputs
    assert out["vpcId"] == preview.one("aws:ec2/vpc:Vpc").id
    assert out["natGatewayIds"] == [n.id for n in preview.of_type(NAT)]
    assert sorted(out["instanceSubnetIds"]) == sorted(preview.one(ASG).inputs["vpcZoneIdentifiers"])


# -- given network ---------------------------------------------------------------------------


def test_subnets_with_nat_and_transit_gateway_routes_are_accepted():
    preview = given(NAT_A, NAT_B, TGW_C)
    assert preview.one(ASG).inputs["vpcZoneIdentifiers"] == [NAT_A, NAT_B, TGW_C]
    assert not preview.of_type(SUBNET) and not preview.of_type(NAT), "nothing is built in a given VPC"


def test_isolated_instance_subnet_is_refused_naming_it():
    refused(
        [
            f"pypiserver:subnetIds: {ISOLATED_A} (us-east-1a)",
            "no default route to a NAT gateway",
            "pypiserver:vpcEndpoints",
            "ecr.dkr",
        ],
        ISOLATED_A,
        NAT_B,
    )


def test_public_subnet_without_public_ips_is_refused():
    refused([PUBLIC_A, "internet gateway, but instances get no public IP"], PUBLIC_A, PUBLIC_B)


def test_two_subnets_in_one_az_are_refused():
    # "You can create one mount target in each Availability Zone in your VPC" (EFS API, CreateMountTarget).
    refused([NAT_A, NAT_A2, "us-east-1a", "one subnet per Availability Zone"], NAT_A, NAT_A2, NAT_B)


def test_internet_facing_load_balancer_needs_internet_gateway_routes():
    refused(
        [f"pypiserver:loadBalancerSubnetIds: {NAT_A}", "no route to an internet gateway"],
        NAT_A,
        NAT_B,
        loadBalancerScheme="internet-facing",
        allowedCidrs=["0.0.0.0/0"],
        zoneId="Z0123456789ABCDEFGHIJ",
        loadBalancerSubnetIds=[NAT_A, NAT_B],
    )


def test_internet_facing_load_balancer_in_public_subnets_is_accepted():
    preview = given(
        NAT_A,
        NAT_B,
        loadBalancerScheme="internet-facing",
        allowedCidrs=["0.0.0.0/0"],
        zoneId="Z0123456789ABCDEFGHIJ",
        loadBalancerSubnetIds=[PUBLIC_A, PUBLIC_B],
    )
    assert preview.one("aws:lb/loadBalancer:LoadBalancer").inputs["subnets"] == [PUBLIC_A, PUBLIC_B]


def test_instances_in_an_az_the_load_balancer_does_not_serve_are_refused():
    refused(
        [TGW_C, "us-east-1c", "no subnet"],
        NAT_A,
        NAT_B,
        TGW_C,
        loadBalancerScheme="internet-facing",
        allowedCidrs=["0.0.0.0/0"],
        zoneId="Z0123456789ABCDEFGHIJ",
        loadBalancerSubnetIds=[PUBLIC_A, PUBLIC_B],
    )


def test_subnet_of_another_vpc_is_refused():
    default_subnet = next(iter(mocks.DEFAULT_SUBNETS))
    refused([default_subnet, f"not in pypiserver:vpcId {mocks.EXISTING_VPC_ID}"], NAT_A, default_subnet)


INTERFACE_SERVICES = [
    "ecs",
    "ecs-agent",
    "ecs-telemetry",
    "ecr.api",
    "ecr.dkr",
    "secretsmanager",
    "logs",
    "ssm",
    "ssmmessages",
    "ec2messages",
]
REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub"


def interface_services(preview) -> list[str]:
    return sorted(
        e.inputs["serviceName"].removeprefix("com.amazonaws.us-east-1.")
        for e in preview.of_type(ENDPOINT)
        if e.inputs["vpcEndpointType"] == "Interface"
    )


def test_vpc_endpoints_with_an_ecr_mirror_make_isolated_subnets_work():
    preview = given(ISOLATED_A, NAT_B, vpcEndpoints=True, imageRegistry=REGISTRY)
    assert interface_services(preview) == sorted(INTERFACE_SERVICES)
    assert all(
        e.inputs["privateDnsEnabled"] and e.inputs["subnetIds"] == [ISOLATED_A, NAT_B]
        for e in preview.of_type(ENDPOINT)
        if e.inputs["vpcEndpointType"] == "Interface"
    )


def test_isolated_subnets_get_the_s3_gateway_endpoint_image_layers_come_through():
    # ECR user guide, interface VPC endpoints: image layers live in S3, so instances without NAT
    # need the ECR endpoints "as well as the Amazon S3 gateway endpoint".
    preview = given(ISOLATED_A, NAT_B, vpcEndpoints=True, imageRegistry=REGISTRY)
    (s3,) = [e.inputs for e in preview.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Gateway"]
    isolated_table = mocks._get_route_table({"subnetId": ISOLATED_A})["id"]
    assert s3["serviceName"] == "com.amazonaws.us-east-1.s3"
    assert s3["routeTableIds"] == [isolated_table], "only the table without an S3 route: one per service and table"


def test_route_tables_that_already_route_s3_get_no_second_gateway_endpoint(monkeypatch):
    monkeypatch.setattr(mocks, "S3_GATEWAY_SUBNETS", mocks.S3_GATEWAY_SUBNETS | {ISOLATED_A})
    preview = given(ISOLATED_A, NAT_B, vpcEndpoints=True, imageRegistry=REGISTRY)
    assert [e for e in preview.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Gateway"] == []


@pytest.mark.parametrize(
    "support, hostnames, off", [(True, False, "enableDnsHostnames"), (False, True, "enableDnsSupport")]
)
def test_a_vpc_without_dns_is_refused(monkeypatch, support, hostnames, off):
    # "To use a private hosted zone, you must set the following VPC attributes to true:
    # enableDnsHostnames and enableDnsSupport" (EC2 API CreateVpcEndpoint, PrivateDnsEnabled);
    # EFS volumes are mounted by the file system's DNS name.
    monkeypatch.setitem(mocks.VPC_DNS, mocks.EXISTING_VPC_ID, (support, hostnames))
    refused([mocks.EXISTING_VPC_ID, off, "pypiserver:vpcId"], NAT_A, NAT_B)


def test_services_with_a_private_dns_endpoint_in_the_vpc_use_it(monkeypatch):
    # A second endpoint with private DNS for the same service could not take the service's name.
    monkeypatch.setitem(mocks.EXISTING_ENDPOINTS, (mocks.EXISTING_VPC_ID, "ecr.api"), True)
    monkeypatch.setitem(mocks.EXISTING_ENDPOINTS, (mocks.EXISTING_VPC_ID, "logs"), False)
    preview = given(ISOLATED_A, NAT_B, vpcEndpoints=True, imageRegistry=REGISTRY)
    assert interface_services(preview) == sorted(s for s in INTERFACE_SERVICES if s != "ecr.api"), (
        "ecr.api is already answered in the VPC; logs' endpoint has no private DNS, so ours takes the name"
    )


def test_vpc_endpoints_do_not_reach_docker_hub():
    refused([ISOLATED_A, "imageRegistry"], ISOLATED_A, NAT_B, vpcEndpoints=True)


def test_default_vpc_works_only_with_public_ips_said_explicitly():
    subnets = sorted(mocks.DEFAULT_SUBNETS)[:2]
    with pytest.raises(EngineError, match="instances get no public IP"):
        render("heavy", vpcId=mocks.DEFAULT_VPC_ID, subnetIds=subnets)
    preview = render("heavy", vpcId=mocks.DEFAULT_VPC_ID, subnetIds=subnets, instancePublicIp=True)
    (nic,) = preview.one(LT).inputs["networkInterfaces"]
    assert nic["associatePublicIpAddress"] == "true"


def test_public_ips_need_internet_gateway_routes():
    refused([NAT_A, "instancePublicIp"], NAT_A, NAT_B, instancePublicIp=True)


# -- stacks deployed before the component built its network ------------------------------------


def legacy_default_vpc(**more):
    """What such a stack ran in: the default VPC and all its default subnets, said explicitly,
    with the public IPs those subnets need for egress."""
    return render(
        "heavy", vpcId=mocks.DEFAULT_VPC_ID, subnetIds=sorted(mocks.DEFAULT_SUBNETS), instancePublicIp=True, **more
    )


def test_legacy_stack_keeps_its_mount_targets_when_said_explicitly():
    # Mount targets were named by subnet id before the built network; a given network keeps that.
    names = {m.name for m in legacy_default_vpc().of_type(MOUNT)}
    assert names == {f"pypiserver-efs-mt-{s}" for s in mocks.DEFAULT_SUBNETS}


def test_moving_a_legacy_stack_to_the_built_network_is_reported_as_data_at_risk():
    from commands.migrate import plan as migrate

    before, after = legacy_default_vpc(), render("heavy")
    m = migrate.analyse(before, after, source="heavy (default VPC)", target="heavy")
    risky = {r.name: r.action for r in m.safety.risks}
    assert set(risky) == {f"pypiserver-efs-mt-{s}" for s in mocks.DEFAULT_SUBNETS}, (
        "the mount targets move to the new subnets: make migrate must say so"
    )
    changed = {c.name: c.action for c in m.diff.changes}
    assert changed["pypiserver-efs"] == "same" and changed["pypiserver-backup-vault"] == "same", (
        "the packages' file system and its backups stay as they are"
    )
    assert m.exit_code == migrate.EXIT_DATA_AT_RISK


def test_trusted_publishing_is_refused_where_only_vpc_endpoints_lead_out():
    """The exchange reaches the CI providers' keys and PyPI over the internet; endpoints reach AWS only."""
    registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub"
    trusted = {"publishers": [{"provider": "github", "repository": "a/b", "workflow": "r.yml", "projects": ["b"]}]}
    refused(
        [ISOLATED_A, "trustedPublishing needs the internet", "route 0.0.0.0/0 through NAT"],
        ISOLATED_A,
        NAT_B,
        vpcEndpoints=True,
        imageRegistry=registry,
        zoneId="Z0123456789ABCDEFGHIJ",
        trustedPublishing=trusted,
    )
    assert given(NAT_A, NAT_B, zoneId="Z0123456789ABCDEFGHIJ", trustedPublishing=trusted), "NAT egress: fine"


# -- every CIDR block of a given VPC


def test_load_balancer_reaches_tasks_and_serves_clients_in_every_block_of_a_given_vpc(monkeypatch):
    # A VPC may have secondary IPv4 blocks (Amazon VPC user guide, "VPC CIDR blocks"); subnets,
    # and so instances, may sit in any of them. getVpc lists them in cidr_block_associations.
    sg = {s.name: s.inputs for s in given(NAT_A, NAT_B).of_type("aws:ec2/securityGroup:SecurityGroup")}
    alb = sg["pypiserver-alb-sg"]
    assert alb["egress"][0]["cidrBlocks"] == [mocks.EXISTING_VPC_CIDR, "100.64.0.0/16"]
    assert all(rule["cidrBlocks"] == [mocks.EXISTING_VPC_CIDR, "100.64.0.0/16"] for rule in alb["ingress"]), (
        "an internal load balancer's clients are the whole VPC"
    )
    monkeypatch.setitem(
        mocks.SECONDARY_CIDRS,
        mocks.EXISTING_VPC_ID,
        [("100.64.0.0/16", "disassociated"), ("10.30.0.0/16", "associated")],
    )
    alb = {s.name: s.inputs for s in given(NAT_A, NAT_B).of_type("aws:ec2/securityGroup:SecurityGroup")}[
        "pypiserver-alb-sg"
    ]
    assert alb["egress"][0]["cidrBlocks"] == [mocks.EXISTING_VPC_CIDR, "10.30.0.0/16"], "associated blocks only"


def test_a_subnet_aws_does_not_know_is_one_line():
    refused(
        ["pypiserver:subnetIds", "subnet-0ffffffffffffffff", "couldn't find resource"],
        NAT_A,
        "subnet-0ffffffffffffffff",
    )
