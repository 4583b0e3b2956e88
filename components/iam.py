"""IAM: the instance role, the task execution role and the task role, least privilege."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from task import images

from .partition import managed_policy_arn, partition


@dataclass(frozen=True)
class Roles:
    instance_profile: aws.iam.InstanceProfile
    execution: aws.iam.Role
    task: aws.iam.Role


def assume_role_policy(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )


def _role(
    name: str, service: str, managed: list[str], opts: pulumi.ResourceOptions, tags: dict[str, str]
) -> aws.iam.Role:
    role = aws.iam.Role(name, assume_role_policy=assume_role_policy(service), tags=tags, opts=opts)
    for short, arn in ((a.rsplit("/", 1)[-1], a) for a in managed):
        aws.iam.RolePolicyAttachment(
            f"{name}-{short}", role=role.name, policy_arn=arn, opts=pulumi.ResourceOptions(parent=role)
        )
    return role


def pull_through_cache_policy(registry: str, in_partition: str) -> dict | None:
    """A pull-through cache makes its repository on first pull, as the puller: "the IAM
    principal needs ecr:CreateRepository and ecr:BatchImportUpstreamImage" (Amazon ECR user
    guide, "IAM permissions required to sync an upstream registry with a private registry")."""
    ecr = images.ecr_registry(registry)
    if ecr is None:
        return None
    account, region = ecr
    prefix = registry.split("/", 1)[1] if "/" in registry else "*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["ecr:CreateRepository", "ecr:BatchImportUpstreamImage"],
                "Resource": f"arn:{in_partition}:ecr:{region}:{account}:repository/{prefix}/*",
            }
        ],
    }


def roles(
    name: str,
    file_system_arn: pulumi.Input[str],
    access_point_arn: pulumi.Input[str],
    task_secret_arns: Sequence[pulumi.Input[str]],
    image_registry: str | None,
    parent: pulumi.Resource,
    tags: dict[str, str],
) -> Roles:
    opts = pulumi.ResourceOptions(parent=parent)
    instance_role = _role(
        f"{name}-instance-role",
        "ec2.amazonaws.com",
        [
            managed_policy_arn("service-role/AmazonEC2ContainerServiceforEC2Role"),
            # Session Manager instead of SSH: no key pairs, no port 22.
            managed_policy_arn("AmazonSSMManagedInstanceCore"),
        ],
        opts,
        tags,
    )
    profile = aws.iam.InstanceProfile(f"{name}-instance-profile", role=instance_role.name, tags=tags, opts=opts)

    execution = _role(
        f"{name}-execution-role",
        "ecs-tasks.amazonaws.com",
        [
            managed_policy_arn("service-role/AmazonECSTaskExecutionRolePolicy"),
        ],
        opts,
        tags,
    )
    # The agent injects the users' htpasswd lines into the containers; only the task's credential
    # bundles are readable (the users' own secrets are for their clients).
    aws.iam.RolePolicy(
        f"{name}-execution-read-credentials",
        role=execution.id,
        policy=pulumi.Output.all(*task_secret_arns).apply(
            lambda arns: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "secretsmanager:GetSecretValue",
                            "Resource": arns[0] if len(arns) == 1 else sorted(arns),
                        }
                    ],
                }
            )
        ),
        opts=pulumi.ResourceOptions(parent=execution),
    )

    cache_policy = pull_through_cache_policy(image_registry or "", partition())
    if cache_policy is not None:
        aws.iam.RolePolicy(
            f"{name}-execution-pull-through-cache",
            role=execution.id,
            policy=json.dumps(cache_policy),
            opts=pulumi.ResourceOptions(parent=execution),
        )

    task = aws.iam.Role(
        f"{name}-task-role", assume_role_policy=assume_role_policy("ecs-tasks.amazonaws.com"), tags=tags, opts=opts
    )
    # EFS IAM authorization: the task may mount and write only through its access point.
    aws.iam.RolePolicy(
        f"{name}-task-efs-access",
        role=task.id,
        policy=pulumi.Output.all(file_system_arn, access_point_arn).apply(
            lambda a: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                            "Resource": a[0],
                            "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": a[1]}},
                        }
                    ],
                }
            )
        ),
        opts=pulumi.ResourceOptions(parent=task),
    )
    return Roles(instance_profile=profile, execution=execution, task=task)
