"""AWS names the component derives from the stack and the component's own name.

Pulumi stack names may contain `.` ("Stack names may only contain alphanumeric characters,
hyphens, underscores, or periods", Pulumi docs, "Stacks"), which several AWS names refuse.
Every name built here is sanitized to the characters AWS allows and checked against AWS's
length limit, so a bad name is a one-line error at preview instead of a failed `pulumi up`.
Pure: no Pulumi imports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Pulumi's auto-naming appends "-" and 7 random characters to a logical name.
AUTONAME_SUFFIX_LENGTH = 8


@dataclass(frozen=True)
class NameRule:
    max_length: int
    invalid: re.Pattern[str]  # characters AWS refuses (replaced by '-')
    source: str  # the AWS documentation sentence the rule rests on


RULES = {
    # ECS RegisterTaskDefinition, family: "Up to 255 letters (uppercase and lowercase),
    # numbers, underscores, and hyphens are allowed."
    "task-definition-family": NameRule(255, re.compile(r"[^A-Za-z0-9_-]"), "ECS API RegisterTaskDefinition: family"),
    # CloudWatch PutDashboard, DashboardName: "Valid characters are A–Z, a–z, 0–9, '-', and
    # '_'. This parameter is required." (maximum 255 characters).
    "dashboard": NameRule(255, re.compile(r"[^A-Za-z0-9_-]"), "CloudWatch API PutDashboard: DashboardName"),
    # ELBv2 CreateLoadBalancer / CreateTargetGroup, Name: "maximum of 32 characters, must
    # contain only alphanumeric characters or hyphens, and must not begin or end with a hyphen".
    "load-balancer": NameRule(32, re.compile(r"[^A-Za-z0-9-]"), "ELBv2 API CreateLoadBalancer: Name"),
    "target-group": NameRule(32, re.compile(r"[^A-Za-z0-9-]"), "ELBv2 API CreateTargetGroup: Name"),
    # KMS CreateAlias, AliasName: "alphanumeric characters, forward slashes (/), underscores
    # (_), and dashes (-)", up to 256 characters including the `alias/` prefix.
    "kms-alias": NameRule(256, re.compile(r"[^A-Za-z0-9/_-]"), "KMS API CreateAlias: AliasName"),
}


class AwsNameError(ValueError):
    """A derived name AWS would refuse. str() is one line naming the name and the limit."""


def derived(kind: str, *parts: str) -> str:
    """Join parts with '-', replace characters AWS refuses with '-', check the length."""
    rule = RULES[kind]
    name = rule.invalid.sub("-", "-".join(parts))
    if len(name) > rule.max_length:
        raise AwsNameError(
            f"{kind} name {name!r} has {len(name)} characters; AWS allows at most {rule.max_length} "
            f"({rule.source}): use a shorter stack or component name"
        )
    return name


def check_autonamed(kind: str, logical_name: str) -> None:
    """A logical name whose Pulumi auto-name (name + '-' + 7 characters) AWS would refuse."""
    rule = RULES[kind]
    length = len(logical_name) + AUTONAME_SUFFIX_LENGTH
    if length > rule.max_length or rule.invalid.search(logical_name) or logical_name.startswith("-"):
        raise AwsNameError(
            f"{kind} name from {logical_name!r} would be {length} characters of "
            f"[{rule.invalid.pattern[2:-1]}]; AWS allows at most {rule.max_length} ({rule.source}): "
            "give the component a shorter name"
        )
