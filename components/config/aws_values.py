"""The values AWS accepts for settings of the stack (ids, names, retention periods, cron), and
the interface endpoints a network without NAT needs, each with where the rule comes from."""

from __future__ import annotations

import ipaddress
import re

# Interface endpoints the task and the instances need when subnets have no NAT route
# ("Amazon ECS interface VPC endpoints (AWS PrivateLink)"; SSM for the AMI parameter and
# Session Manager). ECR's layers come from S3, through the gateway endpoint.
VPC_INTERFACE_ENDPOINTS = (
    "ecs",
    "ecs-agent",
    "ecs-telemetry",
    "ecr.api",
    "ecr.dkr",
    "secretsmanager",
    "logs",
    "ssm",
    "ssmmessages",
    "ec2messages",
)

# pypiserver needs two gunicorn workers of ~128 MiB each to serve and upload at once.
MIN_CONTAINER_MEMORY_MIB = 256
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
DNS_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# An IAM principal a resource policy can name: an account root, a role or a user.
IAM_PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(root|role/[\w+=,.@/-]{1,512}|user/[\w+=,.@/-]{1,512})$")
# AWS Backup takes cron expressions only: "A CRON expression in UTC specifying when Backup
# initiates a backup job" (botocore backup model, BackupRuleInput.ScheduleExpression), with the
# six fields of EventBridge's cron (minutes hours day-of-month month day-of-week year), one of
# day-of-month and day-of-week being '?'.
CRON_FIELD = re.compile(r"^[0-9A-Za-z*?,/#L-]+$")


def check_principals(v: list[str]) -> list[str]:
    bad = [p for p in v if not IAM_PRINCIPAL.match(p)]
    if bad:
        raise ValueError(
            f"{bad[0]!r} is not an IAM principal ARN (arn:aws:iam::<account>:role/<name>, :user/<name> or :root)"
        )
    return v


def check_subnet_ids(v: list[str] | None) -> list[str] | None:
    if v is None:
        return v
    bad = [s for s in v if not SUBNET_ID.match(s)]
    if bad:
        raise ValueError(f"{bad[0]!r} is not a subnet id (subnet-xxxxxxxx)")
    if len(set(v)) < 2:
        raise ValueError(f"the load balancer needs at least 2 subnets in different AZs, got {len(set(v))}")
    return v


def check_cidr_blocks(v: list[str] | None) -> list[str] | None:
    for cidr in v or []:
        try:
            ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            raise ValueError(f"{cidr!r} is not a CIDR block such as 10.0.0.0/16") from None
    return v


def check_dns_labels(v: list[str]) -> list[str]:
    if not v:
        raise ValueError("give at least one name, e.g. ['pypiserver']")
    bad = [n for n in v if not DNS_LABEL.match(n)]
    if bad:
        raise ValueError(f"{bad[0]!r} is not a DNS label (a-z, 0-9, '-', at most 63 characters)")
    return v


def check_email_addresses(v: list[str]) -> list[str]:
    bad = [e for e in v if not EMAIL.match(e)]
    if bad:
        raise ValueError(f"{bad[0]!r} is not an email address")
    return v


def check_backup_schedule(v: str) -> str:
    expected = "expected a 6-field cron expression such as 'cron(0 2 * * ? *)' (AWS Backup takes no rate())"
    match = re.match(r"^cron\((.+)\)$", v)
    fields = match.group(1).split() if match else []
    if len(fields) != 6 or not all(CRON_FIELD.match(f) for f in fields):
        raise ValueError(expected)
    if "?" not in (fields[2], fields[4]):
        raise ValueError(f"{expected}; one of day-of-month and day-of-week must be '?'")
    # One minute of the hour, or jobs would start less than an hour apart: "The interval
    # between backup jobs shouldn't be less than 60 minutes" (what CreateBackupPlan answers).
    if not re.fullmatch(r"[0-5]?[0-9]", fields[0]):
        raise ValueError(
            f"the minutes field {fields[0]!r} starts jobs less than an hour apart; AWS Backup needs at "
            "least 60 minutes between jobs: give one minute of the hour, e.g. 'cron(0 2 * * ? *)'"
        )
    return v


def check_vpc_cidr(v: str) -> str:
    try:
        net = ipaddress.ip_network(v, strict=True)
    except ValueError:
        raise ValueError("is not an IPv4 CIDR block such as 10.0.0.0/16") from None
    # VPC CIDR blocks are /16 to /28 (Amazon VPC user guide, "VPC CIDR blocks"); six /(n+3)
    # subnets must still leave room for instances, EFS and the load balancer's nodes.
    if net.version != 4 or not 16 <= net.prefixlen <= 22:
        raise ValueError("needs an IPv4 block from /16 to /22 (subnets are carved as /(n+3))")
    return v


def check_log_retention(v: int) -> int:
    if v not in LOG_RETENTION_DAYS:
        raise ValueError(f"{v} is not a CloudWatch retention; allowed: {', '.join(map(str, LOG_RETENTION_DAYS))}")
    return v
