"""Where the stack runs: the VPC, one instance subnet per AZ and the load balancer's subnets,
whether the component built them (build.py) or was given them (given.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

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
    # Every IPv4 block of the VPC (a given VPC may have secondary ones): instances and clients
    # of an internal load balancer may sit in any of them.
    vpc_cidrs: Sequence[pulumi.Input[str]]
    # (stable key, subnet id): one instance subnet per AZ. The key names the EFS mount target,
    # so adding or reordering subnets keeps the others.
    instance_subnets: list[tuple[str, pulumi.Input[str]]]
    load_balancer_subnet_ids: Sequence[pulumi.Input[str]]
    built: BuiltNetwork | None = None
    # A given VPC, with interface endpoints asked for: the instance subnets' route tables that
    # do not yet route S3 through a gateway endpoint, and the services that already have an
    # interface endpoint with private DNS in the VPC (a second one could not take the name).
    tables_without_s3_gateway: Sequence[str] = ()
    existing_endpoints: Mapping[str, str] = field(default_factory=dict)

    @property
    def instance_subnet_ids(self) -> list[pulumi.Input[str]]:
        return [subnet_id for _, subnet_id in self.instance_subnets]
