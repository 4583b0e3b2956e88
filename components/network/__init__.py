"""Network: where the stack runs, checked so that a fresh `pulumi up` serves, and the
security groups (build.py, given.py, endpoints.py, security_groups.py).

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

import pulumi

from ..config import PypiServerConfig
from .build import build
from .endpoints import interface_endpoints
from .given import check_existing
from .placement import BuiltNetwork, NetworkError, NetworkPlacement
from .security_groups import SecurityGroups, security_groups

__all__ = [
    "BuiltNetwork",
    "NetworkError",
    "NetworkPlacement",
    "SecurityGroups",
    "interface_endpoints",
    "placement",
    "security_groups",
]


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
