"""The AWS partition the stack deploys to (`aws`, `aws-cn`, `aws-us-gov`): every ARN the
component builds starts with it, read from AWS (getPartition) rather than assumed."""

from __future__ import annotations

import pulumi_aws as aws


def partition() -> str:
    return aws.get_partition().partition


def managed_policy_arn(path: str) -> str:
    """An AWS managed policy, e.g. `service-role/AmazonECSTaskExecutionRolePolicy`."""
    return f"arn:{partition()}:iam::aws:policy/{path}"


def account_root(account_id: str, in_partition: str) -> str:
    """The principal that stands for a whole account in a policy."""
    return f"arn:{in_partition}:iam::{account_id}:root"


def key_policy(account_id: str, in_partition: str, *grants: dict) -> dict:
    """A KMS key policy the account administers (AWS's default key policy: the account never
    locks itself out of the key), plus `grants`."""
    administers = {
        "Sid": "AccountAdministers",
        "Effect": "Allow",
        "Principal": {"AWS": account_root(account_id, in_partition)},
        "Action": "kms:*",
        "Resource": "*",
    }
    return {"Version": "2012-10-17", "Statement": [administers, *grants]}
