"""Per-stack configuration: one pydantic model, the single source of truth.

A stack file sets `pypiserver:profile` and only what differs from it; the profile fills
the sizing guide's defaults and explicit keys override them. Everything derived (workers,
CPU units, tasks per instance, task min/max, cost) is a property computed from the model,
never a stored second copy.

Principles ("at least 2 instances", "compute-optimized only") are NOT validated here: a
stack that breaks them still previews and the policy pack flags it. This module rejects
only what cannot work or is not a valid AWS value.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from . import images, sizing, task_design
from .catalog import Architecture, InstanceSpec, catalog
from .instance_types import InstanceTypeNameError, instance_class, parse

NAMESPACE = "pypiserver"

Profile = Literal["light", "medium", "heavy", "very-heavy"]
Action = Literal["download", "list", "update"]

# The guide's four profiles (docs/SIZING.md "Quick Recommendations"), plus the storage and
# LCU figures its cost breakdown assumes for each.
PROFILE_DEFAULTS: dict[str, dict[str, Any]] = {
    "light": {
        "instanceType": "t3.small",
        "asgMinSize": 2,
        "asgMaxSize": 2,
        "containerMemory": 512,
        "expectedStorageGb": 1,
        "expectedLcuUsdPerMonth": 1,
    },
    "medium": {
        "instanceType": "c6a.large",
        "asgMinSize": 2,
        "asgMaxSize": 4,
        "containerMemory": 512,
        "expectedStorageGb": 5,
        "expectedLcuUsdPerMonth": 2,
    },
    "heavy": {
        "instanceType": "c6a.xlarge",
        "asgMinSize": 2,
        "asgMaxSize": 4,
        "containerMemory": 512,
        "expectedStorageGb": 10,
        "expectedLcuUsdPerMonth": 3,
    },
    "very-heavy": {
        "instanceType": "c6a.2xlarge",
        "asgMinSize": 2,
        "asgMaxSize": 4,
        "containerMemory": 1024,
        "expectedStorageGb": 50,
        "expectedLcuUsdPerMonth": 5,
    },
}

# The ALB's idle timeout sits this far above the front's upload timeout, so nginx answers a
# stalled upload with its own 504 before the load balancer drops the connection.
LOAD_BALANCER_IDLE_MARGIN_SECONDS = 30
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

_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
_DNS_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# An IAM principal a resource policy can name: an account root, a role or a user.
_IAM_PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(root|role/[\w+=,.@/-]{1,512}|user/[\w+=,.@/-]{1,512})$")
# AWS Backup takes cron expressions only: "A CRON expression in UTC specifying when Backup
# initiates a backup job" (botocore backup model, BackupRuleInput.ScheduleExpression), with the
# six fields of EventBridge's cron (minutes hours day-of-month month day-of-week year), one of
# day-of-month and day-of-week being '?'.
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*?,/#L-]+$")


class ConfigError(Exception):
    """A stack configuration that cannot be deployed. str() is one line for the user."""


# A user name travels in HTTP Basic auth (no ':'), in htpasswd lines and in resource names.
_USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class User(BaseModel):
    """A named principal: what it may do, who may read its secret, and its token's generation.

    Rotation: bumping `rotation` adds a new token while the one of `rotation - 1` stays valid;
    setting `retiredRotation` to `rotation - 1` retires it (the second, explicit step)."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)

    name: str
    actions: list[Action]
    secret_readers: list[str] = []
    rotation: Annotated[int, Field(ge=0, le=10000)] = 0
    retired_rotation: Annotated[int, Field(ge=0)] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _USER_NAME.match(v):
            raise ValueError(
                "a user name is 1-64 of A-Z a-z 0-9 . _ - (no ':' or whitespace: it travels in "
                "HTTP Basic auth and htpasswd lines)"
            )
        return v

    @field_validator("actions")
    @classmethod
    def _actions(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("give at least one of download, list, update")
        if len(set(v)) != len(v):
            raise ValueError("lists an action twice")
        return v

    @field_validator("secret_readers")
    @classmethod
    def _readers(cls, v: list[str]) -> list[str]:
        return _check_principals(v)

    @model_validator(mode="after")
    def _rotation(self) -> User:
        if self.retired_rotation is not None and self.retired_rotation >= self.rotation:
            raise ValueError(
                f"retiredRotation ({self.retired_rotation}) must be below rotation ({self.rotation}): "
                "only a previous token can be retired"
            )
        return self

    @property
    def generations(self) -> tuple[int, ...]:
        """Token generations valid now, oldest first: the current one, and the previous one
        until it is retired."""
        previous = self.rotation - 1
        if previous >= 0 and self.retired_rotation != previous:
            return (previous, self.rotation)
        return (self.rotation,)

    @property
    def publishes(self) -> bool:
        return "update" in self.actions


def _check_principals(v: list[str]) -> list[str]:
    bad = [p for p in v if not _IAM_PRINCIPAL.match(p)]
    if bad:
        raise ValueError(
            f"{bad[0]!r} is not an IAM principal ARN (arn:aws:iam::<account>:role/<name>, :user/<name> or :root)"
        )
    return v


# One reader (CI jobs that install) and one publisher (release jobs); the publisher keeps the
# name of the single user of earlier versions, so its clients' username does not change.
DEFAULT_USERS = [
    User(name="reader", actions=["download", "list"]),
    User(name="pypi", actions=["download", "list", "update"]),
]


class InstanceSpecs(BaseModel):
    """Facts for an instance type outside the built-in catalog: its on-demand price, which
    AWS's DescribeInstanceTypes does not return (the cost estimate needs it), and optionally
    vCPU, memory and architecture, which a deployed stack asks AWS for (getInstanceType) and
    only the offline engine needs from here."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)

    hourly_usd: Annotated[float, Field(ge=0)]
    vcpu: Annotated[int, Field(ge=1, le=448)] | None = None
    memory_mib: Annotated[int, Field(ge=512)] | None = None
    arch: Literal["x86_64", "arm64"] | None = None


@dataclass(frozen=True)
class Hardware:
    """What AWS answers for an instance type (ec2:DescribeInstanceTypes)."""

    vcpu: int
    memory_mib: int
    arch: Architecture


# instance type -> its Hardware, or ConfigError (one line) when it cannot be described.
DescribeInstanceType = Callable[[str], Hardware]


class PypiServerConfig(BaseModel):
    """Everything a stack may set under the `pypiserver:` namespace."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)

    profile: Profile

    # Compute (profile defaults).
    instance_type: str
    instance_specs: InstanceSpecs | None = None
    asg_min_size: Annotated[int, Field(ge=1, le=100)]
    asg_max_size: Annotated[int, Field(ge=1, le=100)]

    # Task sizing; unset means "computed by the guide's formulas".
    container_memory: Annotated[int, Field(ge=MIN_CONTAINER_MEMORY_MIB, le=30720)]
    container_memory_reservation: Annotated[int, Field(ge=128, le=30720)] | None = None
    container_cpu: Annotated[int, Field(ge=128, le=4096)] | None = None
    gunicorn_workers: Annotated[int, Field(ge=1, le=16)] | None = None
    task_min_count: Annotated[int, Field(ge=1, le=1000)] | None = None
    task_max_count: Annotated[int, Field(ge=1, le=1000)] | None = None
    # nginx in front of pypiserver in the same task (serves packages, caches pages).
    front_enabled: bool = True

    # Storage.
    efs_throughput_mode: Literal["elastic", "provisioned", "bursting"] = "elastic"
    efs_provisioned_throughput_mibps: Annotated[float, Field(ge=1, le=3414)] | None = None
    efs_lifecycle_days: Literal[0, 7, 14, 30, 60, 90] = 30  # 0: never move to Infrequent Access
    backup_enabled: bool = True
    backup_retention_days: Annotated[int, Field(ge=1, le=35)] = 7
    backup_schedule: str = "cron(0 2 * * ? *)"

    # Network. No vpcId: the component builds its own VPC (public subnets for the load
    # balancer, private subnets for instances and EFS, NAT egress, an S3 gateway endpoint).
    # With vpcId + subnetIds, the subnets are looked up and checked at preview.
    vpc_id: Annotated[str, Field(pattern=r"^vpc-[0-9a-f]{8,17}$")] | None = None
    subnet_ids: list[str] | None = None
    load_balancer_subnet_ids: list[str] | None = None
    vpc_cidr: str = "10.0.0.0/16"
    availability_zone_count: Annotated[int, Field(ge=2, le=3)] = 2
    # One NAT gateway by default: instances only need egress for the ECS control plane, image
    # pulls, logs and secrets; clients never cross it. per-az keeps egress through an AZ outage.
    nat_gateways: Literal["single", "per-az"] = "single"
    # Interface endpoints for every AWS service the task needs (private subnets with no NAT).
    vpc_endpoints: bool = False
    # Instances with public IPs in public subnets (e.g. the default VPC): the pack's
    # no-public-ip policy flags it unless the organization allows it.
    instance_public_ip: bool = False
    load_balancer_scheme: Literal["internal", "internet-facing"] = "internal"
    allowed_cidrs: list[str] | None = None
    # Internet-facing without a domain serves plain HTTP: refused unless said explicitly.
    allow_plain_http: bool = False
    zone_id: Annotated[str, Field(pattern=r"^Z[0-9A-Z]{4,32}$")] | None = None
    dns_names: list[str] = ["pypiserver"]

    # Observability.
    alarm_emails: list[str] = []
    alarm_topic_arns: list[Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$")]] = []
    log_retention_days: int = 90
    # Load balancer access logs, to an encrypted S3 bucket that expires them.
    access_logs: bool = True
    access_log_retention_days: Annotated[int, Field(ge=1, le=3650)] = 90

    # Images: a release tag or a digest (sha256:<64 hex>); an optional registry mirror, such as
    # an ECR pull-through cache for Docker Hub (every task behind one NAT shares Docker Hub's
    # anonymous pull limit).
    image_tag: str = images.DEFAULT_PYPISERVER_TAG
    nginx_image_tag: str = images.DEFAULT_NGINX_TAG
    image_registry: str | None = None
    # IAM principals (role, user or account root ARNs) that may read every user's secret
    # (administrators); users[].secretReaders name the readers of one user's secret.
    secret_readers: list[str] = []
    # Named principals, each with its own token and secret (see User).
    users: list[User] = DEFAULT_USERS

    # pypiserver behaviour.
    authenticate: list[Action] = ["download", "list", "update"]
    # Off by default: falling back to pypi.org for unknown names invites dependency confusion.
    fallback_to_pypi: bool = False

    tags: dict[str, str] = {}

    # Cost-estimate assumptions (profile defaults, from the guide's breakdown).
    expected_storage_gb: Annotated[float, Field(ge=0)]
    expected_lcu_usd_per_month: Annotated[float, Field(ge=0)]
    expected_nat_gb_per_month: Annotated[float, Field(ge=0)] = sizing.DEFAULT_NAT_GB_PER_MONTH

    # -- validation ---------------------------------------------------------------

    @model_validator(mode="before")
    @classmethod
    def _apply_profile(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        profile = data.get("profile")
        if profile is None:
            raise ValueError(f"{NAMESPACE}:profile is required; allowed: {', '.join(PROFILE_DEFAULTS)}")
        if profile not in PROFILE_DEFAULTS:
            raise ValueError(
                f"{NAMESPACE}:profile: {profile!r} is not a profile; allowed: {', '.join(PROFILE_DEFAULTS)}"
            )
        return {**PROFILE_DEFAULTS[profile], **data}

    @field_validator("subnet_ids", "load_balancer_subnet_ids")
    @classmethod
    def _subnets(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        bad = [s for s in v if not _SUBNET_ID.match(s)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a subnet id (subnet-xxxxxxxx)")
        if len(set(v)) < 2:
            raise ValueError(f"the load balancer needs at least 2 subnets in different AZs, got {len(set(v))}")
        return v

    @field_validator("allowed_cidrs")
    @classmethod
    def _cidrs(cls, v: list[str] | None) -> list[str] | None:
        for cidr in v or []:
            try:
                ipaddress.ip_network(cidr, strict=True)
            except ValueError:
                raise ValueError(f"{cidr!r} is not a CIDR block such as 10.0.0.0/16") from None
        return v

    @field_validator("dns_names")
    @classmethod
    def _dns_names(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("give at least one name, e.g. ['pypiserver']")
        bad = [n for n in v if not _DNS_LABEL.match(n)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a DNS label (a-z, 0-9, '-', at most 63 characters)")
        return v

    @field_validator("alarm_emails")
    @classmethod
    def _emails(cls, v: list[str]) -> list[str]:
        bad = [e for e in v if not _EMAIL.match(e)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not an email address")
        return v

    @field_validator("backup_schedule")
    @classmethod
    def _schedule(cls, v: str) -> str:
        expected = "expected a 6-field cron expression such as 'cron(0 2 * * ? *)' (AWS Backup takes no rate())"
        match = re.match(r"^cron\((.+)\)$", v)
        fields = match.group(1).split() if match else []
        if len(fields) != 6 or not all(_CRON_FIELD.match(f) for f in fields):
            raise ValueError(expected)
        if "?" not in (fields[2], fields[4]):
            raise ValueError(f"{expected}; one of day-of-month and day-of-week must be '?'")
        return v

    @field_validator("vpc_cidr")
    @classmethod
    def _vpc_cidr(cls, v: str) -> str:
        try:
            net = ipaddress.ip_network(v, strict=True)
        except ValueError:
            raise ValueError("is not an IPv4 CIDR block such as 10.0.0.0/16") from None
        # VPC CIDR blocks are /16 to /28 (Amazon VPC user guide, "VPC CIDR blocks"); six /(n+3)
        # subnets must still leave room for instances, EFS and the load balancer's nodes.
        if net.version != 4 or not 16 <= net.prefixlen <= 22:
            raise ValueError("needs an IPv4 block from /16 to /22 (subnets are carved as /(n+3))")
        return v

    @field_validator("secret_readers")
    @classmethod
    def _secret_readers(cls, v: list[str]) -> list[str]:
        return _check_principals(v)

    @field_validator("users")
    @classmethod
    def _users(cls, v: list[User]) -> list[User]:
        if not v:
            raise ValueError("give at least one user with the update action (a publisher)")
        seen: set[str] = set()
        for user in v:
            if user.name in seen:
                raise ValueError(f"names {user.name!r} twice; each user needs its own name")
            seen.add(user.name)
        if not any(u.publishes for u in v):
            raise ValueError("no user has the update action; give at least one publisher")
        return v

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, v: int) -> int:
        if v not in LOG_RETENTION_DAYS:
            raise ValueError(f"{v} is not a CloudWatch retention; allowed: {', '.join(map(str, LOG_RETENTION_DAYS))}")
        return v

    @field_validator("image_tag", "nginx_image_tag")
    @classmethod
    def _image_tag(cls, v: str) -> str:
        return images.check_tag(v)

    @field_validator("image_registry")
    @classmethod
    def _image_registry(cls, v: str | None) -> str | None:
        return v if v is None else images.check_registry(v)

    @field_validator("authenticate")
    @classmethod
    def _authenticate(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("lists an action twice")
        if "update" not in v:
            raise ValueError("must include 'update': anonymous uploads would let anyone publish packages")
        return v

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> PypiServerConfig:
        key = _key
        if self.instance_type not in catalog() and self.instance_specs is None:
            families = sorted({t.split(".")[0] for t in catalog()})
            raise ConfigError(
                f"{key('instanceType')}: {self.instance_type!r} has no price in the built-in catalog "
                f"({', '.join(families)}); set {key('instanceSpecs')} {{hourlyUsd}} (its on-demand $/h: AWS "
                "reports vCPU and memory, not prices)"
            )
        describe = (info.context or {}).get("describe_instance_type")
        if describe is not None:
            # At deploy time AWS is the source of vCPU and memory, for any type it sells.
            self._hardware = describe(self.instance_type)
        elif self._offline_hardware() is None:
            raise ConfigError(
                f"{key('instanceSpecs')}: give vcpu, memoryMib and arch for {self.instance_type!r} "
                "to size it without asking AWS (offline)"
            )
        if self.asg_min_size > self.asg_max_size:
            raise ConfigError(
                f"{key('asgMinSize')} ({self.asg_min_size}) must not exceed {key('asgMaxSize')} ({self.asg_max_size})"
            )
        if self.container_memory_reservation is not None and self.container_memory_reservation > self.container_memory:
            raise ConfigError(
                f"{key('containerMemoryReservation')} ({self.container_memory_reservation} MiB) must "
                f"not exceed {key('containerMemory')} ({self.container_memory} MiB)"
            )
        if (
            self.task_min_count is not None
            and self.task_max_count is not None
            and self.task_min_count > self.task_max_count
        ):
            raise ConfigError(
                f"{key('taskMinCount')} ({self.task_min_count}) must not exceed "
                f"{key('taskMaxCount')} ({self.task_max_count})"
            )
        if self.efs_throughput_mode == "provisioned" and self.efs_provisioned_throughput_mibps is None:
            raise ConfigError(
                f"{key('efsProvisionedThroughputMibps')} is required when {key('efsThroughputMode')} "
                "is 'provisioned' (1-3414 MiB/s)"
            )
        if self.efs_throughput_mode != "provisioned" and self.efs_provisioned_throughput_mibps is not None:
            raise ConfigError(
                f"{key('efsProvisionedThroughputMibps')} applies only when {key('efsThroughputMode')} "
                f"is 'provisioned' (it is {self.efs_throughput_mode!r})"
            )
        self._check_network()
        if self.load_balancer_scheme == "internet-facing" and not self.allowed_cidrs:
            raise ConfigError(
                f"{key('allowedCidrs')} is required when {key('loadBalancerScheme')} is "
                "'internet-facing'; list your clients' CIDRs (['0.0.0.0/0'] opens it to the world)"
            )
        if self.load_balancer_scheme == "internet-facing" and not self.domain_enabled and not self.allow_plain_http:
            raise ConfigError(
                f"{key('loadBalancerScheme')}: an internet-facing index without {key('zoneId')} serves plain HTTP, "
                f"so credentials and packages cross the internet in clear text; set {key('zoneId')} (HTTPS) or "
                f"{key('allowPlainHttp')}: true to accept that"
            )
        if self.front_enabled and (self.pypiserver_cpu_units < 128 or self.pypiserver_memory_reservation_mib < 128):
            raise ConfigError(
                f"{key('containerCpu')}/{key('containerMemory')}: with the nginx front on, the task needs at least "
                f"{task_design.FRONT_CPU_UNITS + 128} CPU units and {task_design.FRONT_MEMORY_MIB + 256} MiB "
                "(nginx's share plus 128 for pypiserver)"
            )
        self._check_task_fits()
        return self

    def _check_network(self) -> None:
        key, given = _key, self.model_fields_set
        if self.subnet_ids is not None and self.vpc_id is None:
            raise ConfigError(f"{key('vpcId')} is required when {key('subnetIds')} is set (the VPC of those subnets)")
        if self.vpc_id is not None and self.subnet_ids is None:
            raise ConfigError(
                f"{key('subnetIds')} is required when {key('vpcId')} is set (the instance subnets, "
                "one per AZ, at least 2); leave both unset to let the component build its network"
            )
        if self.load_balancer_subnet_ids is not None and self.subnet_ids is None:
            raise ConfigError(f"{key('loadBalancerSubnetIds')} needs {key('subnetIds')} and {key('vpcId')} too")
        own_network_only = ("vpcCidr", "availabilityZoneCount", "natGateways")
        if self.vpc_id is not None:
            for alias in own_network_only:
                if _field_name(alias) in given:
                    raise ConfigError(
                        f"{key(alias)} applies only when the component builds the VPC "
                        f"(unset {key('vpcId')} and {key('subnetIds')}, or drop {key(alias)})"
                    )
        if self.instance_public_ip and self.vpc_id is None:
            raise ConfigError(
                f"{key('instancePublicIp')} needs {key('vpcId')} and public {key('subnetIds')}; the "
                "network the component builds keeps instances private behind NAT"
            )

    def _check_task_fits(self) -> None:
        """A task that no instance can hold would never be placed: reject it before AWS does."""
        spec = self.instance_spec
        free_mib = sizing.available_memory_mib(spec.memory_mib)
        free_cpu = sizing.available_cpu_units(spec.vcpu)
        if self.task_memory_reservation_mib > free_mib:
            raise ConfigError(
                f"{_key('containerMemory')}: a task reserves {self.task_memory_reservation_mib} MiB but "
                f"{self.instance_type} has {free_mib} MiB for tasks ({sizing.SYSTEM_RESERVED_MIB} MiB are kept "
                "for the system); choose a larger instance or less memory"
            )
        if self.task_cpu_units > free_cpu:
            raise ConfigError(
                f"{_key('containerCpu')}: a task reserves {self.task_cpu_units} CPU units but "
                f"{self.instance_type} has {free_cpu} for tasks; choose a larger instance or fewer workers"
            )

    # -- instance type: name, hardware (AWS's or offline), price ------------------

    @field_validator("instance_type")
    @classmethod
    def _instance_type_name(cls, v: str) -> str:
        # The name is what classifies the type (instance_types.py): refuse what it cannot read.
        try:
            parse(v)
        except InstanceTypeNameError as e:
            raise ValueError(str(e)) from None
        return v

    _hardware: Hardware | None = PrivateAttr(default=None)

    def _offline_hardware(self) -> Hardware | None:
        """vCPU, memory and architecture without AWS: instanceSpecs, then the catalog."""
        s, known = self.instance_specs, catalog().get(self.instance_type)
        if s is not None and s.vcpu is not None and s.memory_mib is not None and s.arch is not None:
            return Hardware(vcpu=s.vcpu, memory_mib=s.memory_mib, arch=s.arch)
        if known is not None:
            return Hardware(vcpu=known.vcpu, memory_mib=known.memory_mib, arch=known.arch)
        return None

    @property
    def instance_spec(self) -> InstanceSpec:
        """Hardware from AWS when the program asked it (deploy time), else offline facts; the
        price from instanceSpecs or the catalog; the class from the type's name."""
        hardware = self._hardware or self._offline_hardware()
        assert hardware is not None  # _consistent refused the config otherwise
        price = (
            self.instance_specs.hourly_usd
            if self.instance_specs is not None
            else catalog()[self.instance_type].hourly_usd
        )
        return InstanceSpec(
            vcpu=hardware.vcpu,
            memory_mib=hardware.memory_mib,
            hourly_usd=price,
            arch=hardware.arch,
            instance_class=instance_class(self.instance_type),
        )

    # -- derived values (computed, never stored) ----------------------------------

    @property
    def workers(self) -> int:
        return self.gunicorn_workers or sizing.gunicorn_workers(self.container_memory)

    # The guide's formulas size the whole TASK. With the nginx front on, nginx's share is
    # carved out of that budget (pypiserver does far less work behind it), so the guide's
    # task counts per instance still hold and the math still counts nginx's reservation.

    @property
    def task_cpu_units(self) -> int:
        return self.container_cpu or sizing.container_cpu_units(self.workers)

    @property
    def task_memory_reservation_mib(self) -> int:
        return self.container_memory_reservation or sizing.memory_reservation_mib(self.container_memory)

    @property
    def pypiserver_cpu_units(self) -> int:
        return self.task_cpu_units - (task_design.FRONT_CPU_UNITS if self.front_enabled else 0)

    @property
    def pypiserver_memory_mib(self) -> int:
        return self.container_memory - (task_design.FRONT_MEMORY_MIB if self.front_enabled else 0)

    @property
    def pypiserver_memory_reservation_mib(self) -> int:
        front = task_design.FRONT_MEMORY_RESERVATION_MIB if self.front_enabled else 0
        return self.task_memory_reservation_mib - front

    @property
    def capacity(self) -> sizing.InstanceCapacity:
        spec = self.instance_spec
        return sizing.instance_capacity(
            spec.vcpu, spec.memory_mib, self.task_cpu_units, self.task_memory_reservation_mib
        )

    @property
    def task_min(self) -> int:
        return self.task_min_count or sizing.default_task_min(self.capacity.tasks_per_instance, self.asg_min_size)

    @property
    def task_max(self) -> int:
        if self.task_max_count is not None:
            return self.task_max_count
        return sizing.default_task_max(self.task_min, self.capacity.tasks_per_instance, self.asg_max_size)

    @property
    def deployment_minimum_healthy_percent(self) -> int:
        slots = self.capacity.tasks_per_instance * self.asg_max_size
        return sizing.deployment_minimum_healthy_percent(self.task_min, slots)

    @property
    def total_workers(self) -> int:
        """Gunicorn workers serving at the ASG's minimum size with task_min tasks."""
        return self.task_min * self.workers

    @property
    def monthly_cost(self) -> sizing.MonthlyCost:
        return sizing.monthly_cost(
            instance_hourly_usd=self.instance_spec.hourly_usd,
            instance_count=self.asg_min_size,
            efs_storage_gb=self.expected_storage_gb,
            alb_lcu_usd=self.expected_lcu_usd_per_month,
            efs_provisioned_mibps=self.efs_provisioned_throughput_mibps,
            nat_gateways=self.nat_gateway_count,
            nat_gb_per_month=self.expected_nat_gb_per_month if self.builds_network else 0,
            interface_endpoint_azs=len(VPC_INTERFACE_ENDPOINTS) * self.network_az_count if self.vpc_endpoints else 0,
        )

    @property
    def network_az_count(self) -> int:
        """AZs the instances span (own network: the configured count; given subnets: one per subnet)."""
        return self.availability_zone_count if self.builds_network else len(set(self.subnet_ids or []))

    @property
    def domain_enabled(self) -> bool:
        return self.zone_id is not None

    @property
    def builds_network(self) -> bool:
        return self.vpc_id is None

    @property
    def nat_gateway_count(self) -> int:
        if not self.builds_network:
            return 0
        return self.availability_zone_count if self.nat_gateways == "per-az" else 1

    @property
    def load_balancer_idle_timeout_seconds(self) -> int:
        """The load balancer must not cut a slow upload before the front's own timeout does:
        the ALB closes a connection idle for this long, while nginx still waits on pypiserver."""
        return task_design.UPLOAD_TIMEOUT_SECONDS + LOAD_BALANCER_IDLE_MARGIN_SECONDS

    @property
    def pypiserver_image(self) -> str:
        return images.reference(images.PYPISERVER_REPOSITORY, self.image_tag, self.image_registry)

    @property
    def nginx_image(self) -> str:
        return images.reference(images.NGINX_REPOSITORY, self.nginx_image_tag, self.image_registry)

    def task_spec(self, region: str, log_group: str = "") -> task_design.TaskSpec:
        """What the task's containers need from this config: the one place both the component
        and the local run build it. The log group's name is known only once it exists (the
        component fills it in; the local run logs to files)."""
        return task_design.TaskSpec(
            pypiserver_image=self.pypiserver_image,
            nginx_image=self.nginx_image,
            workers=self.workers,
            pypiserver_cpu=self.pypiserver_cpu_units,
            pypiserver_memory=self.pypiserver_memory_mib,
            pypiserver_memory_reservation=self.pypiserver_memory_reservation_mib,
            authenticate=tuple(self.authenticate),
            fallback_to_pypi=self.fallback_to_pypi,
            front_enabled=self.front_enabled,
            log_group=log_group,
            region=region,
            users=tuple(task_design.TaskUser(u.name, tuple(u.actions)) for u in self.users),
        )

    def capacity_summary(self) -> dict[str, Any]:
        """The capacity math as the component exports it (camelCase, like every output)."""
        cap = self.capacity
        return {
            "instanceType": self.instance_type,
            "tasksByCpu": cap.tasks_by_cpu,
            "tasksByMemory": cap.tasks_by_memory,
            "tasksPerInstance": cap.tasks_per_instance,
            "limitedBy": cap.limited_by,
            "taskCpuUnits": self.task_cpu_units,
            "taskMemoryReservationMib": self.task_memory_reservation_mib,
            "taskMin": self.task_min,
            "taskMax": self.task_max,
            "workersPerTask": self.workers,
            "totalWorkers": self.total_workers,
        }


# -- loading from the engine's config ---------------------------------------------


def _key(field_alias: str) -> str:
    return f"{NAMESPACE}:{field_alias}"


def _field_name(alias: str) -> str:
    return next(n for n, f in PypiServerConfig.model_fields.items() if f.alias == alias)


def _alias_of(field_name: str) -> str:
    return PypiServerConfig.model_fields[field_name].alias or field_name


_STRING_FIELDS = {
    name
    for name, f in PypiServerConfig.model_fields.items()
    if f.annotation is str
    or (get_origin(f.annotation) is Literal and all(isinstance(a, str) for a in get_args(f.annotation)))
}


def _parse_value(alias: str, raw: Any) -> Any:
    """The engine passes every value as a string (objects and lists as JSON): decode it."""
    field = next((n for n, f in PypiServerConfig.model_fields.items() if f.alias == alias), None)
    if not isinstance(raw, str) or field in _STRING_FIELDS:
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw  # a bare word: let the model say what it expected


def load_config(raw: Mapping[str, Any], describe_instance_type: DescribeInstanceType | None = None) -> PypiServerConfig:
    """Build the model from `pypiserver:*` config entries (other namespaces are ignored).
    `describe_instance_type` answers vCPU, memory and architecture (the program passes AWS's
    getInstanceType; without it they come from instanceSpecs or the catalog).

    Raises ConfigError with one line naming the key, the value and what is allowed.
    """
    ours = {k.split(":", 1)[1]: v for k, v in raw.items() if k.startswith(f"{NAMESPACE}:")}
    known = [f.alias for f in PypiServerConfig.model_fields.values() if f.alias]
    for k in ours:
        if k not in known:
            close = difflib.get_close_matches(k, known, n=1)
            hint = f"; did you mean {_key(close[0])}?" if close else f"; allowed keys: {', '.join(sorted(known))}"
            raise ConfigError(f"{_key(k)} is not a known setting{hint}")
    data = {k: _parse_value(k, v) for k, v in ours.items()}
    try:
        return PypiServerConfig.model_validate(data, context={"describe_instance_type": describe_instance_type})
    except ConfigError:
        raise
    except ValidationError as e:
        raise ConfigError(_one_line(e, data)) from None


def _one_line(err: ValidationError, data: Mapping[str, Any]) -> str:
    first = err.errors()[0]
    msg = first["msg"].removeprefix("Value error, ")
    loc = [str(p) for p in first["loc"]]
    if not loc:  # raised by a model validator: its message already names the key
        return msg
    top = loc[0]
    alias = top if top in {f.alias for f in PypiServerConfig.model_fields.values()} else _alias_of(top)
    path = _key(alias) + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in loc[1:])
    value = first.get("input")
    shown = json.dumps(value) if not isinstance(value, str) else repr(value)
    if first["type"] == "missing":
        return f"{path} is required"
    if first["type"] == "extra_forbidden":
        return f"{path} is not a known setting"
    return f"{path}: got {shown}; {msg[0].lower() + msg[1:]}"
