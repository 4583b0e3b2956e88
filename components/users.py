"""The users' secrets: one generated token per generation, a Secrets Manager secret per user
holding its document (task/credentials.py), and a resource policy naming who may read it; and
the task's credential bundles, the few secrets the task reads its users' lines from
(task/bundles.py), which only the task's execution role reads.

Readers in another account need more than the secret's policy: "you can't use the AWS managed
key (aws/secretsmanager) for cross-account access. Instead, you must encrypt your secret with a
KMS key that you create, and then attach a key policy to it" (Secrets Manager user guide,
"Access AWS Secrets Manager secrets from a different account"). Secrets with such readers are
encrypted with the stack's own key, whose policy lets those readers decrypt through Secrets
Manager only."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from task import bundles
from task.containers import bundle_members
from task.credentials import user_document
from task.pypiserver_process import limited_publishers

from .config import PypiServerConfig, User
from .partition import key_policy, partition

# The single user of earlier versions: its resources keep their names (and so its token).
LEGACY_USER = "pypi"
# 32 alphanumerics: ~190 bits, far beyond the 128 bits that make a fast salted hash safe.
PASSWORD_LENGTH = 32


@dataclass(frozen=True)
class UserCredentials:
    name: str
    secret: aws.secretsmanager.Secret
    version: aws.secretsmanager.SecretVersion
    # One per valid token generation, oldest first (the last one is the current token).
    passwords: tuple[random.RandomPassword, ...]


@dataclass(frozen=True)
class Bundle:
    secret: aws.secretsmanager.Secret
    version: aws.secretsmanager.SecretVersion


@dataclass(frozen=True)
class Credentials:
    users: tuple[UserCredentials, ...]
    bundles: tuple[Bundle, ...]

    @property
    def secret_arns(self) -> dict[str, pulumi.Output[str]]:
        return {u.name: u.secret.arn for u in self.users}

    @property
    def bundle_arns(self) -> list[pulumi.Output[str]]:
        return [b.secret.arn for b in self.bundles]

    @property
    def bundle_versions(self) -> list[pulumi.Output[str]]:
        return [b.version.version_id for b in self.bundles]


def resource_prefix(name: str, user: str) -> str:
    return name if user == LEGACY_USER else f"{name}-{user}"


def password_name(name: str, user: str, generation: int) -> str:
    """One RandomPassword per token generation: rotating adds a resource and retiring deletes
    one, so `make migrate` shows each step as exactly that (plus a new secret version and a
    task definition revision)."""
    return f"{resource_prefix(name, user)}-password" + (f"-r{generation}" if generation else "")


def credentials(
    name: str, cfg: PypiServerConfig, region: str, parent: pulumi.Resource, tags: dict[str, str]
) -> Credentials:
    """One secret per user, generated at deploy time and kept in state: later runs render
    identical inputs; and the task's bundles of the same users' lines."""
    account_id = aws.get_caller_identity().account_id
    foreign = {u.name: readers_in_other_accounts(secret_readers(cfg, u), account_id) for u in cfg.users}
    all_foreign = sorted({r for readers in foreign.values() for r in readers})
    key = None
    if all_foreign:
        key = aws.kms.Key(
            f"{name}-secrets-key",
            description="pypiserver users' secrets: their readers in other accounts may decrypt",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=json.dumps(secrets_key_policy(account_id, partition(), region, all_foreign)),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=parent),
        )
    users = tuple(
        _user_credentials(name, cfg, user, key if foreign[user.name] else None, parent, tags) for user in cfg.users
    )
    return Credentials(users=users, bundles=_bundles(name, cfg, region, users, parent, tags))


def readers_in_other_accounts(readers: list[str], account_id: str) -> list[str]:
    """Principals (arn:<partition>:iam::<account>:...) of an account other than the stack's."""
    return [r for r in readers if r.split(":")[4] != account_id]


def secrets_key_policy(account_id: str, in_partition: str, region: str, readers: list[str]) -> dict:
    """The account administers the key (AWS's default key policy: no lock-out); the readers in
    other accounts may decrypt with it, only as Secrets Manager does for them (kms:ViaService),
    and only the secrets whose own policy lets them read (their IAM policies must allow both)."""
    return key_policy(
        account_id,
        in_partition,
        {
            "Sid": "ReadersInOtherAccountsDecryptThroughSecretsManager",
            "Effect": "Allow",
            "Principal": {"AWS": sorted(readers)},
            "Action": ["kms:Decrypt", "kms:DescribeKey"],
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}},
        },
    )


def _bundles(
    name: str,
    cfg: PypiServerConfig,
    region: str,
    users: tuple[UserCredentials, ...],
    parent: pulumi.Resource,
    tags: dict[str, str],
) -> tuple[Bundle, ...]:
    spec = cfg.task_spec(region)
    members = bundle_members(spec)
    by_name = {u.name: u for u in cfg.users}
    passwords = {u.name: u.passwords for u in users}
    made = []
    for k, chunk in enumerate(bundles.chunks(spec)):
        secret = aws.secretsmanager.Secret(
            f"{name}-task-credentials-{k}",
            description="pypiserver task: its users' htpasswd lines, publishers and their projects (hashes only)",
            tags=tags,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        flat = [p.result for n in chunk for p in passwords[n]]

        def value(results: list[str], chunk: tuple[str, ...] = chunk) -> str:
            documents, i = {}, 0
            for n in chunk:
                generations = by_name[n].generations
                tokens = list(zip(generations, results[i : i + len(generations)]))
                documents[n], i = user_document(n, tokens), i + len(generations)
            return bundles.document(chunk, members, documents, limited_publishers(spec))

        version = aws.secretsmanager.SecretVersion(
            f"{name}-task-credentials-{k}-version",
            secret_id=secret.id,
            secret_string=pulumi.Output.all(*flat).apply(value),
            opts=pulumi.ResourceOptions(parent=secret),
        )
        made.append(Bundle(secret=secret, version=version))
    return tuple(made)


def _user_credentials(
    name: str,
    cfg: PypiServerConfig,
    user: User,
    key: aws.kms.Key | None,
    parent: pulumi.Resource,
    tags: dict[str, str],
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
        kms_key_id=key.arn if key else None,
        tags={**tags, "PypiUser": user.name},
        opts=pulumi.ResourceOptions(parent=parent),
    )
    version = aws.secretsmanager.SecretVersion(
        f"{prefix}-credentials-version",
        secret_id=secret.id,
        secret_string=pulumi.Output.all(*[p.result for p in passwords]).apply(
            lambda ps: json.dumps(user_document(user.name, list(zip(user.generations, ps))), sort_keys=True)
        ),
        # Changing a secret's key leaves its current version under the old one (readers in the
        # other account still cannot decrypt it): a new key makes a new version.
        opts=pulumi.ResourceOptions(parent=secret, replacement_trigger=key.arn if key else None),
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
