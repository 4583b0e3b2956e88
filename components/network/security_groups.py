"""The security groups: client -> ALB SG (80/443 from allowed CIDRs) -> instance SG (ephemeral
host ports from the ALB SG only) -> EFS SG (NFS 2049 from the instance SG only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ..config import PypiServerConfig
from .placement import NetworkPlacement

# Bridge networking maps each task to a dynamic host port in the kernel's ephemeral range.
EPHEMERAL_PORTS = (32768, 65535)
NFS_PORT = 2049
HTTPS_PORT = 443


@dataclass(frozen=True)
class SecurityGroups:
    load_balancer: aws.ec2.SecurityGroup
    instances: aws.ec2.SecurityGroup
    efs: aws.ec2.SecurityGroup


def security_groups(
    name: str, cfg: PypiServerConfig, net: NetworkPlacement, parent: pulumi.Resource, tags: dict[str, str]
) -> SecurityGroups:
    opts = pulumi.ResourceOptions(parent=parent)
    # Internal by default: only the VPC reaches the index unless the stack says otherwise.
    client_cidrs: Sequence[pulumi.Input[str]] = cfg.allowed_cidrs or net.vpc_cidrs
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
                "cidr_blocks": net.vpc_cidrs,
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
