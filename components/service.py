"""Service: credentials, logs, the task definition, the ECS service and its autoscaling."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from . import names, task_design
from .config import PypiServerConfig, User

# The single user of earlier versions: its resources keep their names (and so its token).
LEGACY_USER = "pypi"
# 32 alphanumerics: ~190 bits, far beyond the 128 bits that make a fast salted hash safe.
PASSWORD_LENGTH = 32
SCALING_CPU_TARGET_PERCENT = 60
SCALING_COOLDOWN_SECONDS = 300


@dataclass(frozen=True)
class UserCredentials:
    name: str
    secret: aws.secretsmanager.Secret
    version: aws.secretsmanager.SecretVersion
    # One per valid token generation, oldest first (the last one is the current token).
    passwords: tuple[random.RandomPassword, ...]


@dataclass(frozen=True)
class Credentials:
    users: tuple[UserCredentials, ...]

    @property
    def secret_arns(self) -> dict[str, pulumi.Output[str]]:
        return {u.name: u.secret.arn for u in self.users}

    @property
    def secret_versions(self) -> dict[str, pulumi.Output[str]]:
        return {u.name: u.version.version_id for u in self.users}


@dataclass(frozen=True)
class Service:
    log_group: aws.cloudwatch.LogGroup
    task_definition: aws.ecs.TaskDefinition
    service: aws.ecs.Service
    scaling_target: aws.appautoscaling.Target


def resource_prefix(name: str, user: str) -> str:
    return name if user == LEGACY_USER else f"{name}-{user}"


def password_name(name: str, user: str, generation: int) -> str:
    """One RandomPassword per token generation: rotating adds a resource and retiring deletes
    one, so `make migrate` shows each step as exactly that (plus a new secret version and a
    task definition revision)."""
    return f"{resource_prefix(name, user)}-password" + (f"-r{generation}" if generation else "")


def credentials(name: str, cfg: PypiServerConfig, parent: pulumi.Resource, tags: dict[str, str]) -> Credentials:
    """One secret per user, generated at deploy time and kept in state: later runs render
    identical inputs."""
    return Credentials(users=tuple(_user_credentials(name, cfg, user, parent, tags) for user in cfg.users))


def _user_credentials(
    name: str, cfg: PypiServerConfig, user: User, parent: pulumi.Resource, tags: dict[str, str]
) -> UserCredentials:
    """The principals in the user's `secretReaders` and the stack's may read the secret
    through its resource policy (IAM policies in their own accounts must allow it too, for
    readers in other accounts)."""
    prefix = resource_prefix(name, user.name)
    passwords = tuple(
        random.RandomPassword(
            password_name(name, user.name, g),
            length=PASSWORD_LENGTH,
            special=False,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for g in user.generations
    )
    secret = aws.secretsmanager.Secret(
        f"{prefix}-credentials",
        description=f"pypiserver user {user.name}: {', '.join(user.actions)}",
        tags={**tags, "PypiUser": user.name},
        opts=pulumi.ResourceOptions(parent=parent),
    )
    version = aws.secretsmanager.SecretVersion(
        f"{prefix}-credentials-version",
        secret_id=secret.id,
        secret_string=pulumi.Output.all(*[p.result for p in passwords]).apply(
            lambda ps: json.dumps(task_design.user_document(user.name, list(zip(user.generations, ps))), sort_keys=True)
        ),
        opts=pulumi.ResourceOptions(parent=secret),
    )
    readers = secret_readers(cfg, user)
    if readers:
        aws.secretsmanager.SecretPolicy(
            f"{prefix}-credentials-readers",
            secret_arn=secret.arn,
            policy=json.dumps(secret_readers_policy(readers)),
            block_public_policy=True,
            opts=pulumi.ResourceOptions(parent=secret),
        )
    return UserCredentials(name=user.name, secret=secret, version=version, passwords=passwords)


def secret_readers(cfg: PypiServerConfig, user: User) -> list[str]:
    """Who may read one user's secret besides the task's execution role: its own readers and
    the stack's (administrators)."""
    return sorted(set(user.secret_readers) | set(cfg.secret_readers))


def secret_readers_policy(readers: list[str]) -> dict:
    # "Resource": "*" in a secret's resource policy means the secret itself.
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NamedReaders",
                "Effect": "Allow",
                "Principal": {"AWS": sorted(readers)},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
            }
        ],
    }


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
    user_secret_arns: Mapping[str, pulumi.Input[str]],
    user_secret_versions: Mapping[str, pulumi.Input[str]],
    execution_role: aws.iam.Role,
    task_role: aws.iam.Role,
    target_group: aws.lb.TargetGroup,
    parent: pulumi.Resource,
    tags: dict[str, str],
) -> Service:
    opts = pulumi.ResourceOptions(parent=parent)
    log_group = aws.cloudwatch.LogGroup(f"{name}-logs", retention_in_days=cfg.log_retention_days, tags=tags, opts=opts)
    spec = cfg.task_spec(region)
    users = [u.name for u in spec.users]
    container_definitions = pulumi.Output.all(
        log_group.name, *[user_secret_arns[u] for u in users], *[user_secret_versions[u] for u in users]
    ).apply(
        lambda a: task_design.container_definitions_json(
            replace(
                spec,
                log_group=a[0],
                users=tuple(
                    replace(u, secret_arn=a[1 + i], secret_version=a[1 + len(users) + i])
                    for i, u in enumerate(spec.users)
                ),
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
                "name": task_design.PACKAGES_VOLUME,
                "efs_volume_configuration": {
                    "file_system_id": file_system_id,
                    "transit_encryption": "ENABLED",
                    "authorization_config": {"access_point_id": access_point_id, "iam": "ENABLED"},
                },
            }
        ],
        tags=tags,
        opts=opts,
    )
    container_name, container_port = task_design.load_balanced_container(spec)
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
