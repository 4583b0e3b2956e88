"""Trusted publishing's AWS part: the key that signs upload tokens, generated at deploy time
and kept in a Secrets Manager secret that only the task's execution role may read (ECS
injects it into the index and exchange containers at start, as it injects users' lines).

One key for the whole service: a token minted by one task is checked by any other. Replacing
the key (a new RandomPassword) voids every token minted before; they last minutes anyway.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from task.oidc_process import SIGNING_KEY_JSON_KEY

# 64 alphanumerics: ~380 bits; HMAC-SHA-256 needs no more than 256.
KEY_LENGTH = 64


@dataclass(frozen=True)
class SigningKey:
    secret: aws.secretsmanager.Secret
    version: aws.secretsmanager.SecretVersion


def signing_key(name: str, parent: pulumi.Resource, tags: dict[str, str]) -> SigningKey:
    opts = pulumi.ResourceOptions(parent=parent)
    key = random.RandomPassword(f"{name}-upload-token-key", length=KEY_LENGTH, special=False, opts=opts)
    secret = aws.secretsmanager.Secret(
        f"{name}-upload-token-key",
        description="pypiserver: the key that signs trusted publishers' upload tokens",
        tags={**tags, "PypiSecret": "upload-token-key"},
        opts=opts,
    )
    version = aws.secretsmanager.SecretVersion(
        f"{name}-upload-token-key-version",
        secret_id=secret.id,
        secret_string=key.result.apply(lambda k: json.dumps({SIGNING_KEY_JSON_KEY: k})),
        opts=pulumi.ResourceOptions(parent=secret),
    )
    return SigningKey(secret=secret, version=version)


def readers_only_policy(secret_arn: str, reader_arn: str) -> dict:
    """Deny reading the key to every principal but the execution role, whatever their IAM
    policies allow (an explicit deny wins: "an explicit deny in any of these policies overrides
    the allow", IAM user guide, policy evaluation logic). aws:PrincipalArn of a role session
    is the role's ARN."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OnlyTheTaskReadsTheSigningKey",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:PrincipalArn": reader_arn}},
            }
        ],
    }


def restrict_readers(name: str, key: SigningKey, execution_role: aws.iam.Role) -> None:
    aws.secretsmanager.SecretPolicy(
        f"{name}-upload-token-key-readers",
        secret_arn=key.secret.arn,
        policy=pulumi.Output.all(key.secret.arn, execution_role.arn).apply(
            lambda a: json.dumps(readers_only_policy(a[0], a[1]))
        ),
        block_public_policy=True,
        opts=pulumi.ResourceOptions(parent=key.secret),
    )
