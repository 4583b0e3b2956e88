"""Storage: the EFS file system that holds every package, and its backups.

This is the only state in the stack. The file system is protected (`pulumi destroy` and
any replacement stop with an error), and nothing in its name or inputs depends on the
instance type or profile, so resizing compute never touches it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .config import PypiServerConfig
from .network import NetworkPlacement
from .partition import managed_policy_arn

# pypiserver's image runs as this uid/gid; the access point maps every client to it.
PYPISERVER_UID = 9898
PACKAGES_PATH = "/packages"


@dataclass(frozen=True)
class Storage:
    file_system: aws.efs.FileSystem
    access_point: aws.efs.AccessPoint
    mount_targets: list[aws.efs.MountTarget]
    backup_vault: aws.backup.Vault | None


def file_system(
    name: str,
    cfg: PypiServerConfig,
    net: NetworkPlacement,
    efs_security_group: aws.ec2.SecurityGroup,
    parent: pulumi.Resource,
    tags: dict[str, str],
) -> Storage:
    opts = pulumi.ResourceOptions(parent=parent)
    fs = aws.efs.FileSystem(
        f"{name}-efs",
        encrypted=True,
        performance_mode="generalPurpose",
        throughput_mode=cfg.efs_throughput_mode,
        provisioned_throughput_in_mibps=cfg.efs_provisioned_throughput_mibps,
        lifecycle_policies=(
            [
                {"transition_to_ia": f"AFTER_{cfg.efs_lifecycle_days}_DAYS"},
                {"transition_to_primary_storage_class": "AFTER_1_ACCESS"},
            ]
            if cfg.efs_lifecycle_days
            else []
        ),
        tags={**tags, "Name": f"{name}-packages"},
        opts=pulumi.ResourceOptions(parent=parent, protect=True),
    )
    # Refuse unencrypted NFS even from a client that forgets the TLS mount option.
    aws.efs.FileSystemPolicy(
        f"{name}-efs-policy",
        file_system_id=fs.id,
        policy=fs.arn.apply(
            lambda arn: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "DenyUnencryptedTransport",
                            "Effect": "Deny",
                            "Principal": {"AWS": "*"},
                            "Action": "*",
                            "Resource": arn,
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                }
            )
        ),
        opts=pulumi.ResourceOptions(parent=fs),
    )
    # One per AZ (the placement holds one instance subnet per AZ), named by a stable key
    # (the given subnet's id, or the AZ of a subnet the component built) so that adding or
    # reordering subnets keeps the others.
    mount_targets = [
        aws.efs.MountTarget(
            f"{name}-efs-mt-{key}",
            file_system_id=fs.id,
            subnet_id=subnet,
            security_groups=[efs_security_group.id],
            opts=pulumi.ResourceOptions(parent=fs),
        )
        for key, subnet in net.instance_subnets
    ]
    access_point = aws.efs.AccessPoint(
        f"{name}-efs-ap",
        file_system_id=fs.id,
        posix_user={"uid": PYPISERVER_UID, "gid": PYPISERVER_UID},
        root_directory={
            "path": PACKAGES_PATH,
            "creation_info": {"owner_uid": PYPISERVER_UID, "owner_gid": PYPISERVER_UID, "permissions": "0755"},
        },
        tags=tags,
        opts=pulumi.ResourceOptions(parent=fs),
    )
    vault = _backups(name, cfg, fs, opts, tags) if cfg.backup_enabled else None
    return Storage(file_system=fs, access_point=access_point, mount_targets=mount_targets, backup_vault=vault)


def _backups(
    name: str, cfg: PypiServerConfig, fs: aws.efs.FileSystem, opts: pulumi.ResourceOptions, tags: dict[str, str]
) -> aws.backup.Vault:
    vault = aws.backup.Vault(f"{name}-backup-vault", tags=tags, opts=opts)
    plan = aws.backup.Plan(
        f"{name}-backup-plan",
        rules=[
            {
                "rule_name": "daily",
                "target_vault_name": vault.name,
                "schedule": cfg.backup_schedule,
                "lifecycle": {"delete_after": cfg.backup_retention_days},
            }
        ],
        tags=tags,
        opts=opts,
    )
    role = aws.iam.Role(
        f"{name}-backup-role",
        assume_role_policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
        tags=tags,
        opts=opts,
    )
    for short in ("AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"):
        aws.iam.RolePolicyAttachment(
            f"{name}-backup-{short}",
            role=role.name,
            policy_arn=managed_policy_arn(f"service-role/{short}"),
            opts=pulumi.ResourceOptions(parent=role),
        )
    aws.backup.Selection(
        f"{name}-backup-selection",
        plan_id=plan.id,
        iam_role_arn=role.arn,
        resources=[fs.arn],
        opts=pulumi.ResourceOptions(parent=plan),
    )
    return vault
