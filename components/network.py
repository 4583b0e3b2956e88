"""Network: which VPC and subnets to use, and the three security groups.

Traffic flows client -> ALB SG (80/443 from allowed CIDRs) -> instance SG (ephemeral host
ports from the ALB SG only) -> EFS SG (NFS 2049 from the instance SG only).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .config import PypiServerConfig

# Bridge networking maps each task to a dynamic host port in the kernel's ephemeral range.
EPHEMERAL_PORTS = (32768, 65535)
NFS_PORT = 2049


@dataclass(frozen=True)
class NetworkPlacement:
    vpc_id: str
    vpc_cidr: str
    instance_subnet_ids: list[str]
    load_balancer_subnet_ids: list[str]


@dataclass(frozen=True)
class SecurityGroups:
    load_balancer: aws.ec2.SecurityGroup
    instances: aws.ec2.SecurityGroup
    efs: aws.ec2.SecurityGroup


def resolve_placement(cfg: PypiServerConfig) -> NetworkPlacement:
    """Look the network up once, synchronously, so that resource counts (mount targets)
    are known at construction time: no resources are ever created inside apply()."""
    vpc = aws.ec2.get_vpc(id=cfg.vpc_id) if cfg.vpc_id else aws.ec2.get_vpc(default=True)
    if cfg.subnet_ids:
        subnets = list(cfg.subnet_ids)
    else:
        found = aws.ec2.get_subnets(filters=[
            {"name": "vpc-id", "values": [vpc.id]},
            {"name": "default-for-az", "values": ["true"]},
        ])
        subnets = sorted(found.ids)
        if len(subnets) < 2:
            raise pulumi.RunError(
                f"pypiserver:subnetIds: the default VPC {vpc.id} has {len(subnets)} default subnet(s); the load "
                "balancer needs 2 in different AZs: set pypiserver:vpcId and pypiserver:subnetIds")
    return NetworkPlacement(
        vpc_id=vpc.id,
        vpc_cidr=vpc.cidr_block,
        instance_subnet_ids=subnets,
        load_balancer_subnet_ids=list(cfg.load_balancer_subnet_ids or subnets),
    )


def security_groups(name: str, cfg: PypiServerConfig, net: NetworkPlacement, parent: pulumi.Resource,
                    tags: dict[str, str]) -> SecurityGroups:
    opts = pulumi.ResourceOptions(parent=parent)
    # Internal by default: only the VPC reaches the index unless the stack says otherwise.
    client_cidrs = cfg.allowed_cidrs or [net.vpc_cidr]
    listener_ports = (80, 443) if cfg.domain_enabled else (80,)
    alb_sg = aws.ec2.SecurityGroup(
        f"{name}-alb-sg",
        description="pypiserver load balancer: HTTP(S) from allowed clients",
        vpc_id=net.vpc_id,
        ingress=[{"protocol": "tcp", "from_port": p, "to_port": p, "cidr_blocks": client_cidrs,
                  "description": "clients"} for p in listener_ports],
        egress=[{"protocol": "tcp", "from_port": EPHEMERAL_PORTS[0], "to_port": EPHEMERAL_PORTS[1],
                 "cidr_blocks": [net.vpc_cidr], "description": "to task host ports"}],
        tags={**tags, "Name": f"{name}-alb"},
        opts=opts,
    )
    instance_sg = aws.ec2.SecurityGroup(
        f"{name}-instance-sg",
        description="pypiserver ECS instances: task host ports from the load balancer only",
        vpc_id=net.vpc_id,
        ingress=[{"protocol": "tcp", "from_port": EPHEMERAL_PORTS[0], "to_port": EPHEMERAL_PORTS[1],
                  "security_groups": [alb_sg.id], "description": "from the load balancer"}],
        # Instances pull images and talk to the ECS, Secrets Manager and CloudWatch endpoints.
        egress=[{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"],
                 "description": "AWS endpoints and image registries"}],
        tags={**tags, "Name": f"{name}-instances"},
        opts=opts,
    )
    efs_sg = aws.ec2.SecurityGroup(
        f"{name}-efs-sg",
        description="pypiserver EFS: NFS from the ECS instances only",
        vpc_id=net.vpc_id,
        ingress=[{"protocol": "tcp", "from_port": NFS_PORT, "to_port": NFS_PORT,
                  "security_groups": [instance_sg.id], "description": "NFS from ECS instances"}],
        egress=[],
        tags={**tags, "Name": f"{name}-efs"},
        opts=opts,
    )
    return SecurityGroups(load_balancer=alb_sg, instances=instance_sg, efs=efs_sg)
