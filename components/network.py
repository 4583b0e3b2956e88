"""Network: where the stack runs, checked so that a fresh `pulumi up` serves, and the
security groups.

Two ways, chosen by config:
- no `vpcId`: the component builds its own VPC across `availabilityZoneCount` AZs: public
  subnets for the load balancer and the NAT gateways, private subnets for the instances and
  EFS, NAT egress (`natGateways: single | per-az`) and the free S3 gateway endpoint.
- `vpcId` + `subnetIds`: the subnets are looked up at preview (AZ, VPC, route table) and
  refused, with one line naming the subnet, when what `pulumi up` builds could not work.

Why egress matters ("Amazon ECS container instances need external network access to
communicate with the Amazon ECS service endpoint", ECS developer guide, "Amazon ECS
container instance IAM role" / networking; "If your container instance doesn't have a
public IP address, it needs a NAT gateway or VPC endpoints", ECS best practices): without
it the agent never registers, images are never pulled, and the service stays at 0 tasks.

Traffic flows client -> ALB SG (80/443 from allowed CIDRs) -> instance SG (ephemeral host
ports from the ALB SG only) -> EFS SG (NFS 2049 from the instance SG only).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from . import images
from .config import VPC_INTERFACE_ENDPOINTS, PypiServerConfig, _key

# Bridge networking maps each task to a dynamic host port in the kernel's ephemeral range.
EPHEMERAL_PORTS = (32768, 65535)
NFS_PORT = 2049
HTTPS_PORT = 443
DEFAULT_ROUTE = "0.0.0.0/0"
# Route targets that give a private subnet egress: a NAT gateway, a transit gateway (central
# egress), a VPC endpoint (AWS Network Firewall / Gateway Load Balancer endpoints) or an
# instance's interface (a NAT instance).
EGRESS_TARGETS = ("nat_gateway_id", "transit_gateway_id", "vpc_endpoint_id", "network_interface_id", "instance_id")


class NetworkError(Exception):
    """A network `pulumi up` would build but that could not serve. str() is one line."""


@dataclass(frozen=True)
class BuiltNetwork:
    """What the component made when it built the VPC (exported as outputs)."""

    vpc: aws.ec2.Vpc
    public_subnets: list[aws.ec2.Subnet]
    private_subnets: list[aws.ec2.Subnet]
    nat_gateways: list[aws.ec2.NatGateway]


@dataclass(frozen=True)
class NetworkPlacement:
    vpc_id: pulumi.Input[str]
    vpc_cidr: pulumi.Input[str]
    # (stable key, subnet id): one instance subnet per AZ. The key names the EFS mount target,
    # so adding or reordering subnets keeps the others.
    instance_subnets: list[tuple[str, pulumi.Input[str]]]
    load_balancer_subnet_ids: Sequence[pulumi.Input[str]]
    built: BuiltNetwork | None = None

    @property
    def instance_subnet_ids(self) -> list[pulumi.Input[str]]:
        return [subnet_id for _, subnet_id in self.instance_subnets]


@dataclass(frozen=True)
class SecurityGroups:
    load_balancer: aws.ec2.SecurityGroup
    instances: aws.ec2.SecurityGroup
    efs: aws.ec2.SecurityGroup


def placement(
    name: str, cfg: PypiServerConfig, region: str, parent: pulumi.Resource, tags: dict[str, str]
) -> NetworkPlacement:
    """Build the network, or look the given one up and check it. Lookups run synchronously
    so that resource counts (mount targets) are known at construction time."""
    if cfg.builds_network:
        return build(name, cfg, region, parent, tags)
    try:
        return check_existing(cfg, region)
    except NetworkError as err:
        raise pulumi.RunError(str(err)) from None


# -- the component's own network ------------------------------------------------------


def subnet_blocks(vpc_cidr: str, az_count: int) -> tuple[list[str], list[str]]:
    """(public, private) CIDR blocks: the VPC split in eight; public first, private after."""
    net = ipaddress.ip_network(vpc_cidr)
    blocks = [str(b) for b in net.subnets(new_prefix=net.prefixlen + 3)]
    return blocks[:az_count], blocks[4 : 4 + az_count]


def build(
    name: str, cfg: PypiServerConfig, region: str, parent: pulumi.Resource, tags: dict[str, str]
) -> NetworkPlacement:
    opts = pulumi.ResourceOptions(parent=parent)
    zones = aws.get_availability_zones(
        state="available", filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}]
    ).names
    if len(zones) < cfg.availability_zone_count:
        raise pulumi.RunError(
            f"{_key('availabilityZoneCount')}: {region} offers {len(zones)} AZ(s) without opt-in; "
            f"{cfg.availability_zone_count} requested"
        )
    zones = sorted(zones)[: cfg.availability_zone_count]
    public_blocks, private_blocks = subnet_blocks(cfg.vpc_cidr, len(zones))

    # DNS support and hostnames: EFS mounts by DNS name and interface endpoints' private DNS
    # need both ("Amazon EFS: the VPC must have DNS hostnames enabled", EFS user guide, mounting).
    vpc = aws.ec2.Vpc(
        f"{name}-vpc",
        cidr_block=cfg.vpc_cidr,
        enable_dns_support=True,
        enable_dns_hostnames=True,
        tags={**tags, "Name": f"{name}-vpc"},
        opts=opts,
    )
    vpc_opts = pulumi.ResourceOptions(parent=vpc)
    igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags={**tags, "Name": f"{name}-igw"}, opts=vpc_opts)
    public_table = aws.ec2.RouteTable(
        f"{name}-public-rt",
        vpc_id=vpc.id,
        routes=[{"cidr_block": DEFAULT_ROUTE, "gateway_id": igw.id}],
        tags={**tags, "Name": f"{name}-public"},
        opts=vpc_opts,
    )
    public, private, nats = [], [], []
    for az, block in zip(zones, public_blocks):
        subnet = aws.ec2.Subnet(
            f"{name}-public-{az}",
            vpc_id=vpc.id,
            cidr_block=block,
            availability_zone=az,
            map_public_ip_on_launch=False,
            tags={**tags, "Name": f"{name}-public-{az}", "Tier": "public"},
            opts=vpc_opts,
        )
        aws.ec2.RouteTableAssociation(
            f"{name}-public-{az}",
            subnet_id=subnet.id,
            route_table_id=public_table.id,
            opts=pulumi.ResourceOptions(parent=subnet),
        )
        public.append(subnet)
    for subnet in public[: cfg.nat_gateway_count]:
        az = zones[public.index(subnet)]
        eip = aws.ec2.Eip(f"{name}-nat-{az}", domain="vpc", tags={**tags, "Name": f"{name}-nat-{az}"}, opts=vpc_opts)
        nats.append(
            aws.ec2.NatGateway(
                f"{name}-nat-{az}",
                allocation_id=eip.id,
                subnet_id=subnet.id,
                tags={**tags, "Name": f"{name}-nat-{az}"},
                opts=pulumi.ResourceOptions(parent=vpc, depends_on=[igw]),
            )
        )
    private_tables = []
    for i, (az, block) in enumerate(zip(zones, private_blocks)):
        # One table per AZ in either mode: moving from single to per-az only changes routes.
        nat = nats[i] if len(nats) > 1 else nats[0]
        table = aws.ec2.RouteTable(
            f"{name}-private-rt-{az}",
            vpc_id=vpc.id,
            routes=[{"cidr_block": DEFAULT_ROUTE, "nat_gateway_id": nat.id}],
            tags={**tags, "Name": f"{name}-private-{az}"},
            opts=vpc_opts,
        )
        subnet = aws.ec2.Subnet(
            f"{name}-private-{az}",
            vpc_id=vpc.id,
            cidr_block=block,
            availability_zone=az,
            map_public_ip_on_launch=False,
            tags={**tags, "Name": f"{name}-private-{az}", "Tier": "private"},
            opts=vpc_opts,
        )
        aws.ec2.RouteTableAssociation(
            f"{name}-private-{az}",
            subnet_id=subnet.id,
            route_table_id=table.id,
            opts=pulumi.ResourceOptions(parent=subnet),
        )
        private.append(subnet)
        private_tables.append(table)
    # Free: ECR image layers and other S3 traffic skip the NAT gateway (and its per-GB charge).
    aws.ec2.VpcEndpoint(
        f"{name}-s3",
        vpc_id=vpc.id,
        service_name=f"com.amazonaws.{region}.s3",
        vpc_endpoint_type="Gateway",
        route_table_ids=[t.id for t in private_tables],
        tags={**tags, "Name": f"{name}-s3"},
        opts=vpc_opts,
    )
    return NetworkPlacement(
        vpc_id=vpc.id,
        vpc_cidr=vpc.cidr_block,
        instance_subnets=[(az, s.id) for az, s in zip(zones, private)],
        load_balancer_subnet_ids=[s.id for s in public]
        if cfg.load_balancer_scheme == "internet-facing"
        else [s.id for s in private],
        built=BuiltNetwork(vpc=vpc, public_subnets=public, private_subnets=private, nat_gateways=nats),
    )


# -- a given network, checked --------------------------------------------------------


@dataclass(frozen=True)
class SubnetFacts:
    id: str
    vpc_id: str
    availability_zone: str
    default_route: dict[str, Any] | None  # the 0.0.0.0/0 route of its route table, if any


def _route_table(subnet_id: str, vpc_id: str) -> Any:
    """The subnet's route table: its explicit association, else the VPC's main table
    ("A subnet that's not explicitly associated with any route table is implicitly
    associated with the main route table", Amazon VPC user guide, "Route tables")."""
    try:
        return aws.ec2.get_route_table(subnet_id=subnet_id)
    except Exception:  # noqa: BLE001 - the provider reports "no matching route table" as a plain error
        return aws.ec2.get_route_table(vpc_id=vpc_id, filters=[{"name": "association.main", "values": ["true"]}])


def subnet_facts(subnet_id: str) -> SubnetFacts:
    subnet = aws.ec2.get_subnet(id=subnet_id)
    table = _route_table(subnet_id, subnet.vpc_id)
    routes = [{k: getattr(r, k, None) for k in ("cidr_block", "gateway_id", *EGRESS_TARGETS)} for r in table.routes]
    default = next((r for r in routes if r["cidr_block"] == DEFAULT_ROUTE), None)
    return SubnetFacts(
        id=subnet_id, vpc_id=subnet.vpc_id, availability_zone=subnet.availability_zone, default_route=default
    )


def route_target(route: dict[str, Any] | None) -> str | None:
    """The kind of target of a default route: 'internet' (an internet gateway), 'egress' (NAT,
    transit gateway, firewall endpoint, NAT instance) or None (no default route)."""
    if not route:
        return None
    gateway = str(route.get("gateway_id") or "")
    if gateway.startswith("igw-"):
        return "internet"
    if any(route.get(k) for k in EGRESS_TARGETS):
        return "egress"
    return None


def check_existing(cfg: PypiServerConfig, region: str) -> NetworkPlacement:
    vpc = aws.ec2.get_vpc(id=cfg.vpc_id)
    instance_ids = list(dict.fromkeys(cfg.subnet_ids or []))
    lb_ids = list(dict.fromkeys(cfg.load_balancer_subnet_ids or instance_ids))
    facts = {sid: subnet_facts(sid) for sid in dict.fromkeys(instance_ids + lb_ids)}
    for f in facts.values():
        if f.vpc_id != vpc.id:
            raise NetworkError(f"{_key('subnetIds')}: {f.id} is in {f.vpc_id}, not in {_key('vpcId')} {vpc.id}")
    _one_per_az(_key("subnetIds"), [facts[s] for s in instance_ids])
    _one_per_az(
        _key("loadBalancerSubnetIds") if cfg.load_balancer_subnet_ids else _key("subnetIds"), [facts[s] for s in lb_ids]
    )
    _targets_reachable([facts[s] for s in instance_ids], [facts[s] for s in lb_ids])
    for sid in instance_ids:
        _check_instance_egress(cfg, facts[sid], region)
    if cfg.load_balancer_scheme == "internet-facing":
        for sid in lb_ids:
            if route_target(facts[sid].default_route) != "internet":
                raise NetworkError(
                    f"{_key('loadBalancerSubnetIds') if cfg.load_balancer_subnet_ids else _key('subnetIds')}: {sid} "
                    f"({facts[sid].availability_zone}) has no route to an internet gateway, so an internet-facing "
                    "load balancer there is unreachable; give public subnets"
                )
    return NetworkPlacement(
        vpc_id=vpc.id,
        vpc_cidr=vpc.cidr_block,
        instance_subnets=[(sid, sid) for sid in instance_ids],
        load_balancer_subnet_ids=lb_ids,
    )


def _one_per_az(key: str, subnets: list[SubnetFacts]) -> None:
    """EFS takes one mount target per AZ ("You can create one mount target in each
    Availability Zone in your VPC", EFS API CreateMountTarget); an ALB needs two AZs."""
    seen: dict[str, str] = {}
    for f in subnets:
        if f.availability_zone in seen:
            raise NetworkError(
                f"{key}: {seen[f.availability_zone]} and {f.id} are both in {f.availability_zone}; "
                "give one subnet per Availability Zone (EFS allows one mount target per AZ)"
            )
        seen[f.availability_zone] = f.id
    if len(seen) < 2:
        raise NetworkError(
            f"{key}: the subnets span {len(seen)} Availability Zone(s); the load balancer and the ASG need at least 2"
        )


def _targets_reachable(instances: list[SubnetFacts], balancers: list[SubnetFacts]) -> None:
    """The load balancer sends traffic only to targets in its own AZs ("If you register targets
    in an Availability Zone but do not enable the Availability Zone, these registered targets
    do not receive traffic from the load balancer", ELB user guide, "Availability Zones")."""
    enabled = {f.availability_zone for f in balancers}
    for f in instances:
        if f.availability_zone not in enabled:
            raise NetworkError(
                f"{_key('subnetIds')}: {f.id} is in {f.availability_zone}, where "
                f"{_key('loadBalancerSubnetIds')} has no subnet: tasks there would get no traffic; "
                f"give the load balancer a subnet in {f.availability_zone}"
            )


def _check_instance_egress(cfg: PypiServerConfig, f: SubnetFacts, region: str) -> None:
    target = route_target(f.default_route)
    where = f"{_key('subnetIds')}: {f.id} ({f.availability_zone})"
    if cfg.instance_public_ip:
        if target != "internet":
            raise NetworkError(
                f"{where} has no route to an internet gateway, but {_key('instancePublicIp')} is "
                "true: instances with public IPs need public subnets"
            )
        return
    if target == "egress":
        return
    if cfg.vpc_endpoints and _images_reachable_through_endpoints(cfg, region):
        return
    reason = (
        "routes 0.0.0.0/0 to an internet gateway, but instances get no public IP"
        if target == "internet"
        else "has no default route to a NAT gateway, transit gateway or firewall"
    )
    raise NetworkError(
        f"{where} {reason}: ECS instances there could not reach ECS, the image registry, Secrets Manager or "
        f"CloudWatch Logs, and no task would start. Route 0.0.0.0/0 through NAT, or set {_key('vpcEndpoints')}: "
        f"true (interface endpoints for {', '.join(VPC_INTERFACE_ENDPOINTS)}) with {_key('imageRegistry')} an ECR "
        f"pull-through cache in {region}"
    )


def _images_reachable_through_endpoints(cfg: PypiServerConfig, region: str) -> bool:
    """Interface endpoints reach AWS services only: images must come from ECR in this region."""
    ecr = images.ecr_registry(cfg.image_registry)
    return ecr is not None and ecr[1] == region


# -- interface endpoints (private subnets without NAT) ---------------------------------


def interface_endpoints(
    name: str,
    net: NetworkPlacement,
    instance_sg: aws.ec2.SecurityGroup,
    region: str,
    parent: pulumi.Resource,
    tags: dict[str, str],
) -> list[aws.ec2.VpcEndpoint]:
    opts = pulumi.ResourceOptions(parent=parent)
    sg = aws.ec2.SecurityGroup(
        f"{name}-endpoints-sg",
        description="pypiserver interface endpoints: HTTPS from the ECS instances only",
        vpc_id=net.vpc_id,
        ingress=[
            {
                "protocol": "tcp",
                "from_port": HTTPS_PORT,
                "to_port": HTTPS_PORT,
                "security_groups": [instance_sg.id],
                "description": "from ECS instances",
            }
        ],
        egress=[],
        tags={**tags, "Name": f"{name}-endpoints"},
        opts=opts,
    )
    return [
        aws.ec2.VpcEndpoint(
            f"{name}-endpoint-{service.replace('.', '-')}",
            vpc_id=net.vpc_id,
            service_name=f"com.amazonaws.{region}.{service}",
            vpc_endpoint_type="Interface",
            private_dns_enabled=True,
            subnet_ids=net.instance_subnet_ids,
            security_group_ids=[sg.id],
            tags={**tags, "Name": f"{name}-{service}"},
            opts=opts,
        )
        for service in VPC_INTERFACE_ENDPOINTS
    ]


# -- security groups ------------------------------------------------------------------


def security_groups(
    name: str, cfg: PypiServerConfig, net: NetworkPlacement, parent: pulumi.Resource, tags: dict[str, str]
) -> SecurityGroups:
    opts = pulumi.ResourceOptions(parent=parent)
    # Internal by default: only the VPC reaches the index unless the stack says otherwise.
    client_cidrs: Sequence[pulumi.Input[str]] = cfg.allowed_cidrs or [net.vpc_cidr]
    listener_ports = (80, 443) if cfg.domain_enabled else (80,)
    alb_sg = aws.ec2.SecurityGroup(
        f"{name}-alb-sg",
        description="pypiserver load balancer: HTTP(S) from allowed clients",
        vpc_id=net.vpc_id,
        ingress=[
            {"protocol": "tcp", "from_port": p, "to_port": p, "cidr_blocks": client_cidrs, "description": "clients"}
            for p in listener_ports
        ],
        egress=[
            {
                "protocol": "tcp",
                "from_port": EPHEMERAL_PORTS[0],
                "to_port": EPHEMERAL_PORTS[1],
                "cidr_blocks": [net.vpc_cidr],
                "description": "to task host ports",
            }
        ],
        tags={**tags, "Name": f"{name}-alb"},
        opts=opts,
    )
    instance_sg = aws.ec2.SecurityGroup(
        f"{name}-instance-sg",
        description="pypiserver ECS instances: task host ports from the load balancer only",
        vpc_id=net.vpc_id,
        ingress=[
            {
                "protocol": "tcp",
                "from_port": EPHEMERAL_PORTS[0],
                "to_port": EPHEMERAL_PORTS[1],
                "security_groups": [alb_sg.id],
                "description": "from the load balancer",
            }
        ],
        # Instances pull images and talk to the ECS, Secrets Manager and CloudWatch endpoints.
        egress=[
            {
                "protocol": "-1",
                "from_port": 0,
                "to_port": 0,
                "cidr_blocks": ["0.0.0.0/0"],
                "description": "AWS endpoints and image registries",
            }
        ],
        tags={**tags, "Name": f"{name}-instances"},
        opts=opts,
    )
    efs_sg = aws.ec2.SecurityGroup(
        f"{name}-efs-sg",
        description="pypiserver EFS: NFS from the ECS instances only",
        vpc_id=net.vpc_id,
        ingress=[
            {
                "protocol": "tcp",
                "from_port": NFS_PORT,
                "to_port": NFS_PORT,
                "security_groups": [instance_sg.id],
                "description": "NFS from ECS instances",
            }
        ],
        egress=[],
        tags={**tags, "Name": f"{name}-efs"},
        opts=opts,
    )
    return SecurityGroups(load_balancer=alb_sg, instances=instance_sg, efs=efs_sg)
