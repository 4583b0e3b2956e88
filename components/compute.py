"""Compute: launch template, Auto Scaling group, ECS cluster and its capacity provider.

Changing the instance type only makes a new launch template version; the ASG rolls its
instances with an instance refresh and keeps its identity (no resource is replaced).

New ECS-optimized AMIs arrive the same way. The AMI id is read from AWS's public parameter
when the program runs, so a newer image is a new launch template version at the next
`pulumi up` (the preview shows it), and that version starts an instance refresh which also
replaces instances protected from scale in ("Refresh: Amazon EC2 Auto Scaling replaces
instances that are protected from scale in", EC2 Auto Scaling API RefreshPreferences). A
maximum instance lifetime would not: ECS keeps scale-in protection on every instance running a
task (managed termination protection), and the EC2 Auto Scaling user guide names scale-in
protection as the way "to temporarily prevent individual instances from being terminated" by
it ("Replace Auto Scaling instances based on maximum instance lifetime").
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from guide.catalog import Architecture
from task.timing import STOP_TIMEOUT_SECONDS

from .config import ConfigError, Hardware, PypiServerConfig
from .network import NetworkPlacement

# AWS's public parameters naming the recommended ECS-optimized AMI; the stack controls the
# architecture (the parameter), AWS the image.
ECS_AMI_PARAMETER = {
    "x86_64": "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id",
    "arm64": "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id",
}
# The launch template names the parameter its AMI came from (an AMI id alone does not say
# which image family or architecture it is).
AMI_PARAMETER_TAG = "EcsAmiParameter"
ROOT_VOLUME_GIB = 30
INSTANCE_WARMUP_SECONDS = 300


@dataclass(frozen=True)
class Compute:
    launch_template: aws.ec2.LaunchTemplate
    auto_scaling_group: aws.autoscaling.Group
    cluster: aws.ecs.Cluster
    capacity_provider: aws.ecs.CapacityProvider
    cluster_capacity_providers: aws.ecs.ClusterCapacityProviders


def describe_instance_type(instance_type: str) -> Hardware:
    """vCPU, memory and architecture as AWS reports them (the getInstanceType data source,
    ec2:DescribeInstanceTypes), asked while the program runs: any type AWS sells can be sized,
    not only the catalog's. A type AWS does not know stops the program with one line."""
    try:
        found = aws.ec2.get_instance_type(instance_type=instance_type)
    except Exception as e:  # the provider's error, whatever its class: shown, not a traceback
        reason = next((line.strip() for line in str(e).splitlines() if line.strip()), type(e).__name__)
        raise ConfigError(
            f"pypiserver:instanceType: getInstanceType has no vCPU and memory for {instance_type!r}: {reason}"
        ) from None
    architectures = list(found.supported_architectures or [])
    # Graviton types list only arm64; x86 types list x86_64 (some also i386).
    arch: Architecture = "arm64" if "arm64" in architectures and "x86_64" not in architectures else "x86_64"
    return Hardware(vcpu=int(found.default_vcpus), memory_mib=int(found.memory_size), arch=arch)


def ami_image_id(arch: str) -> str:
    """The recommended AMI now: read at each run, so a new image is a visible change."""
    return aws.ssm.get_parameter(name=ECS_AMI_PARAMETER[arch]).value


def user_data(cluster_name: str) -> str:
    """Joins the cluster; the ECS agent drains tasks before the ASG terminates an instance."""
    script = "\n".join(
        [
            "#!/bin/bash",
            "cat >> /etc/ecs/ecs.config <<'EOF'",
            f"ECS_CLUSTER={cluster_name}",
            "ECS_ENABLE_CONTAINER_METADATA=true",
            # Task roles in bridge mode (the EFS IAM mount uses the task role): said explicitly
            # rather than relying on the AMI's default.
            "ECS_ENABLE_TASK_IAM_ROLE=true",
            # The task's containers set no stopTimeout (capped below the longest upload): the
            # agent's applies, after their own graceful stop (task/timing.py).
            f"ECS_CONTAINER_STOP_TIMEOUT={STOP_TIMEOUT_SECONDS}s",
            # "If prefer-cached is specified, the image will be pulled remotely if there is no
            # cached image, otherwise the cached image in the instance will be used" (ECS agent
            # configuration): a task start or restart on an instance that ran the task before
            # pulls nothing from the registry. Images are pinned (a release tag or a digest).
            "ECS_IMAGE_PULL_BEHAVIOR=prefer-cached",
            "EOF",
            "",
        ]
    )
    return base64.b64encode(script.encode()).decode()


def cluster(name: str, parent: pulumi.Resource, tags: dict[str, str]) -> aws.ecs.Cluster:
    return aws.ecs.Cluster(
        f"{name}-cluster",
        settings=[{"name": "containerInsights", "value": "enabled"}],
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def instances(
    name: str,
    cfg: PypiServerConfig,
    net: NetworkPlacement,
    ecs_cluster: aws.ecs.Cluster,
    instance_security_group: aws.ec2.SecurityGroup,
    instance_profile: aws.iam.InstanceProfile,
    parent: pulumi.Resource,
    tags: dict[str, str],
) -> Compute:
    opts = pulumi.ResourceOptions(parent=parent)
    template = aws.ec2.LaunchTemplate(
        f"{name}-lt",
        instance_type=cfg.instance_type,
        image_id=ami_image_id(cfg.instance_spec.arch),
        iam_instance_profile={"arn": instance_profile.arn},
        # IMDSv2 only; hop limit 1 keeps bridge-mode containers away from the instance role.
        metadata_options={
            "http_endpoint": "enabled",
            "http_tokens": "required",
            "http_put_response_hop_limit": 1,
            "instance_metadata_tags": "disabled",
        },
        network_interfaces=[
            {
                "associate_public_ip_address": str(cfg.instance_public_ip).lower(),
                "delete_on_termination": "true",
                "security_groups": [instance_security_group.id],
            }
        ],
        block_device_mappings=[
            {
                "device_name": "/dev/xvda",
                "ebs": {
                    "encrypted": "true",
                    "volume_size": ROOT_VOLUME_GIB,
                    "volume_type": "gp3",
                    "delete_on_termination": "true",
                },
            }
        ],
        monitoring={"enabled": True},
        user_data=ecs_cluster.name.apply(user_data),
        update_default_version=True,
        tag_specifications=[
            {"resource_type": t, "tags": {**tags, "Name": f"{name}-ecs"}} for t in ("instance", "volume")
        ],
        tags={**tags, AMI_PARAMETER_TAG: ECS_AMI_PARAMETER[cfg.instance_spec.arch]},
        opts=opts,
    )
    group = aws.autoscaling.Group(
        f"{name}-asg",
        min_size=cfg.asg_min_size,
        max_size=cfg.asg_max_size,
        vpc_zone_identifiers=net.instance_subnet_ids,
        launch_template={"id": template.id, "version": template.latest_version.apply(str)},
        health_check_type="EC2",
        health_check_grace_period=INSTANCE_WARMUP_SECONDS,
        # Managed termination protection requires it: ECS decides which instance may go.
        protect_from_scale_in=True,
        # A launch template change (instance type, a new AMI) rolls every instance, protected
        # ones included; ECS's managed draining moves their tasks first.
        instance_refresh={
            "strategy": "Rolling",
            "preferences": {
                # Launch the replacement before terminating the old instance: no capacity dip.
                "min_healthy_percentage": 100,
                "max_healthy_percentage": 200,
                "instance_warmup": str(INSTANCE_WARMUP_SECONDS),
                "scale_in_protected_instances": "Refresh",
                "standby_instances": "Terminate",
                "skip_matching": True,
            },
        },
        tags=[{"key": "AmazonECSManaged", "value": "true", "propagate_at_launch": True}]
        + [{"key": k, "value": v, "propagate_at_launch": True} for k, v in sorted(tags.items())],
        # The capacity provider owns the desired count once the group exists.
        opts=pulumi.ResourceOptions(parent=parent, ignore_changes=["desiredCapacity"]),
    )
    provider = aws.ecs.CapacityProvider(
        f"{name}-cp",
        auto_scaling_group_provider={
            "auto_scaling_group_arn": group.arn,
            "managed_scaling": {
                "status": "ENABLED",
                "target_capacity": 100,
                "minimum_scaling_step_size": 1,
                "maximum_scaling_step_size": 10,
                "instance_warmup_period": INSTANCE_WARMUP_SECONDS,
            },
            "managed_termination_protection": "ENABLED",
            "managed_draining": "ENABLED",
        },
        tags=tags,
        opts=opts,
    )
    attachment = aws.ecs.ClusterCapacityProviders(
        f"{name}-cluster-capacity",
        cluster_name=ecs_cluster.name,
        capacity_providers=[provider.name],
        default_capacity_provider_strategies=[{"capacity_provider": provider.name, "weight": 100, "base": 1}],
        opts=opts,
    )
    return Compute(
        launch_template=template,
        auto_scaling_group=group,
        cluster=ecs_cluster,
        capacity_provider=provider,
        cluster_capacity_providers=attachment,
    )
