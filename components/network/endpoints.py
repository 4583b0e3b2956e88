"""Interface endpoints for every AWS service the task and the instances need, for private
subnets without NAT (`vpcEndpoints: true`), and in a given VPC the S3 gateway endpoint that
image layers come through. Services that already have an endpoint with private DNS in a given
VPC use it (given.py looked them up)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ..config.aws_values import VPC_INTERFACE_ENDPOINTS
from .placement import NetworkPlacement
from .security_groups import HTTPS_PORT


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
    endpoints = [
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
        if service not in net.existing_endpoints
    ]
    if net.tables_without_s3_gateway:
        # Free: ECR's image layers come from S3 ("as well as the Amazon S3 gateway endpoint").
        endpoints.append(
            aws.ec2.VpcEndpoint(
                f"{name}-s3",
                vpc_id=net.vpc_id,
                service_name=f"com.amazonaws.{region}.s3",
                vpc_endpoint_type="Gateway",
                route_table_ids=list(net.tables_without_s3_gateway),
                tags={**tags, "Name": f"{name}-s3"},
                opts=opts,
            )
        )
    return endpoints
