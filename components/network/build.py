"""The network the component builds when the stack gives no `vpcId`: a VPC across
`availabilityZoneCount` AZs, public subnets for the load balancer and the NAT gateways,
private subnets for the instances and EFS, NAT egress (`natGateways: single | per-az`) and the
free S3 gateway endpoint."""

from __future__ import annotations

import ipaddress

import pulumi
import pulumi_aws as aws

from ..config import PypiServerConfig, key
from .placement import DEFAULT_ROUTE, BuiltNetwork, NetworkPlacement


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
            f"{key('availabilityZoneCount')}: {region} offers {len(zones)} AZ(s) without opt-in; "
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
        vpc_cidrs=[vpc.cidr_block],
        instance_subnets=[(az, s.id) for az, s in zip(zones, private)],
        load_balancer_subnet_ids=[s.id for s in public]
        if cfg.load_balancer_scheme == "internet-facing"
        else [s.id for s in private],
        built=BuiltNetwork(vpc=vpc, public_subnets=public, private_subnets=private, nat_gateways=nats),
    )
