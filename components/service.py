"""Service: logs, the task definition, the ECS service and its autoscaling."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import pulumi
import pulumi_aws as aws

from task.containers import container_definitions_json, load_balanced_container, task_volumes
from task.spec import PACKAGES_VOLUME, SecretRef

from . import names
from .config import PypiServerConfig
from .trusted_publishing import SigningKey

SCALING_CPU_TARGET_PERCENT = 60
SCALING_COOLDOWN_SECONDS = 300


@dataclass(frozen=True)
class Service:
    log_group: aws.cloudwatch.LogGroup
    task_definition: aws.ecs.TaskDefinition
    service: aws.ecs.Service
    scaling_target: aws.appautoscaling.Target


def service(
    name: str,
    cfg: PypiServerConfig,
    region: str,
    *,
    cluster: aws.ecs.Cluster,
    capacity_provider: aws.ecs.CapacityProvider,
    ready: list[pulumi.Resource],
    file_system_id: pulumi.Input[str],
    access_point_id: pulumi.Input[str],
    bundle_arns: Sequence[pulumi.Input[str]],
    bundle_versions: Sequence[pulumi.Input[str]],
    signing_key: SigningKey | None,
    execution_role: aws.iam.Role,
    task_role: aws.iam.Role,
    target_group: aws.lb.TargetGroup,
    parent: pulumi.Resource,
    tags: dict[str, str],
) -> Service:
    opts = pulumi.ResourceOptions(parent=parent)
    log_group = aws.cloudwatch.LogGroup(f"{name}-logs", retention_in_days=cfg.log_retention_days, tags=tags, opts=opts)
    spec = cfg.task_spec(region, stack=pulumi.get_stack())
    count = len(bundle_arns)
    key = [signing_key.secret.arn, signing_key.version.version_id] if signing_key else []
    container_definitions = pulumi.Output.all(log_group.name, *bundle_arns, *bundle_versions, *key).apply(
        lambda a: container_definitions_json(
            replace(
                spec,
                log_group=a[0],
                bundles=tuple(SecretRef(arn=a[1 + i], version=a[1 + count + i]) for i in range(count)),
                trusted_publishing=replace(spec.trusted_publishing, key_secret_arn=a[-2], key_secret_version=a[-1])
                if spec.trusted_publishing
                else None,
            )
        )
    )
    task_definition = aws.ecs.TaskDefinition(
        f"{name}-task",
        family=names.derived("task-definition-family", name, pulumi.get_stack()),
        network_mode="bridge",
        requires_compatibilities=["EC2"],
        execution_role_arn=execution_role.arn,
        task_role_arn=task_role.arn,
        container_definitions=container_definitions,
        volumes=[
            {
                "name": PACKAGES_VOLUME,
                "efs_volume_configuration": {
                    "file_system_id": file_system_id,
                    "transit_encryption": "ENABLED",
                    "authorization_config": {"access_point_id": access_point_id, "iam": "ENABLED"},
                },
            },
            *task_volumes(spec),
        ],
        tags=tags,
        opts=opts,
    )
    container_name, container_port = load_balanced_container(spec)
    ecs_service = aws.ecs.Service(
        f"{name}-service",
        cluster=cluster.arn,
        task_definition=task_definition.arn,
        desired_count=cfg.task_min,
        capacity_provider_strategies=[{"capacity_provider": capacity_provider.name, "weight": 100, "base": 1}],
        # Spread over AZs first, then instances: losing one of either never takes the index down.
        ordered_placement_strategies=[
            {"type": "spread", "field": "attribute:ecs.availability-zone"},
            {"type": "spread", "field": "instanceId"},
        ],
        deployment_circuit_breaker={"enable": True, "rollback": True},
        deployment_minimum_healthy_percent=cfg.deployment_minimum_healthy_percent,
        deployment_maximum_percent=200,
        health_check_grace_period_seconds=60,
        load_balancers=[
            {"target_group_arn": target_group.arn, "container_name": container_name, "container_port": container_port}
        ],
        enable_ecs_managed_tags=True,
        propagate_tags="SERVICE",
        tags=tags,
        # Autoscaling owns the running count once the service exists.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=ready, ignore_changes=["desiredCount"]),
    )
    target = aws.appautoscaling.Target(
        f"{name}-scaling-target",
        service_namespace="ecs",
        scalable_dimension="ecs:service:DesiredCount",
        resource_id=pulumi.Output.concat("service/", cluster.name, "/", ecs_service.name),
        min_capacity=cfg.task_min,
        max_capacity=cfg.task_max,
        opts=opts,
    )
    aws.appautoscaling.Policy(
        f"{name}-cpu-scaling",
        policy_type="TargetTrackingScaling",
        service_namespace=target.service_namespace,
        scalable_dimension=target.scalable_dimension,
        resource_id=target.resource_id,
        target_tracking_scaling_policy_configuration={
            "target_value": SCALING_CPU_TARGET_PERCENT,
            "predefined_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"},
            "scale_in_cooldown": SCALING_COOLDOWN_SECONDS,
            "scale_out_cooldown": 60,
        },
        opts=pulumi.ResourceOptions(parent=target),
    )
    return Service(log_group=log_group, task_definition=task_definition, service=ecs_service, scaling_target=target)
