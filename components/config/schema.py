"""The stack's configuration: one pydantic model, the single source of truth.

A stack file sets `pypiserver:profile` and only what differs from it; the profile fills
the sizing guide's defaults and explicit keys override them. Everything derived (workers,
CPU units, tasks per instance, task min/max, cost) is a property computed from the model,
never a stored second copy.

Principles ("at least 2 instances", "compute-optimized only") are NOT validated here: a
stack that breaks them still previews and the policy pack flags it. This module rejects
only what cannot work or is not a valid AWS value.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator
from pydantic.alias_generators import to_camel

from guide import sizing
from guide.catalog import InstanceSpec, catalog
from guide.instance_types import InstanceTypeNameError, instance_class, parse
from guide.profiles import PROFILE_DEFAULTS, Profile
from task import images
from task.spec import (
    FRONT_CPU_UNITS,
    FRONT_MEMORY_MIB,
    FRONT_MEMORY_RESERVATION_MIB,
    OIDC_CPU_UNITS,
    OIDC_MEMORY_RESERVATION_MIB,
    TaskSpec,
    TaskUser,
)
from task.timing import LOAD_BALANCER_IDLE_TIMEOUT_SECONDS

from .aws_values import (
    MIN_CONTAINER_MEMORY_MIB,
    VPC_INTERFACE_ENDPOINTS,
    check_backup_schedule,
    check_cidr_blocks,
    check_dns_labels,
    check_email_addresses,
    check_log_retention,
    check_principals,
    check_subnet_ids,
    check_vpc_cidr,
)
from .errors import NAMESPACE, ConfigError, key
from .instance import Hardware, InstanceSpecs
from .trusted_publishing import TrustedPublishing
from .users import DEFAULT_USERS, Action, User


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
    # CI jobs that publish with their provider's identity token instead of a stored secret.
    trusted_publishing: TrustedPublishing | None = None

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
        return check_subnet_ids(v)

    @field_validator("allowed_cidrs")
    @classmethod
    def _cidrs(cls, v: list[str] | None) -> list[str] | None:
        return check_cidr_blocks(v)

    @field_validator("dns_names")
    @classmethod
    def _dns_names(cls, v: list[str]) -> list[str]:
        return check_dns_labels(v)

    @field_validator("alarm_emails")
    @classmethod
    def _emails(cls, v: list[str]) -> list[str]:
        return check_email_addresses(v)

    @field_validator("backup_schedule")
    @classmethod
    def _schedule(cls, v: str) -> str:
        return check_backup_schedule(v)

    @field_validator("vpc_cidr")
    @classmethod
    def _vpc_cidr(cls, v: str) -> str:
        return check_vpc_cidr(v)

    @field_validator("secret_readers")
    @classmethod
    def _secret_readers(cls, v: list[str]) -> list[str]:
        return check_principals(v)

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
        return check_log_retention(v)

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
        return self

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
        exchange = OIDC_CPU_UNITS if self.trusted_publishing else 0
        return self.task_cpu_units - (FRONT_CPU_UNITS if self.front_enabled else 0) - exchange

    @property
    def pypiserver_memory_mib(self) -> int:
        return self.container_memory - (FRONT_MEMORY_MIB if self.front_enabled else 0)

    @property
    def pypiserver_memory_reservation_mib(self) -> int:
        front = FRONT_MEMORY_RESERVATION_MIB if self.front_enabled else 0
        exchange = OIDC_MEMORY_RESERVATION_MIB if self.trusted_publishing else 0
        return self.task_memory_reservation_mib - front - exchange

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
        """Chosen for the most tasks the service runs (its task max, with the ASG at its max): a
        deploy at peak must progress too. At fewer tasks ECS rounds the floor up, so it never
        stops more than one task at a time."""
        slots = self.capacity.tasks_per_instance * self.asg_max_size
        return sizing.deployment_minimum_healthy_percent(self.task_max, slots)

    @property
    def healthy_task_floor(self) -> int:
        """The fewest healthy tasks a deploy at task min leaves serving; fewer means tasks are
        lost, not replaced (ECS rounds the percentage up)."""
        return math.ceil(self.task_min * self.deployment_minimum_healthy_percent / 100)

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
        return LOAD_BALANCER_IDLE_TIMEOUT_SECONDS

    @property
    def pypiserver_image(self) -> str:
        return images.reference(images.PYPISERVER_REPOSITORY, self.image_tag, self.image_registry)

    @property
    def nginx_image(self) -> str:
        return images.reference(images.NGINX_REPOSITORY, self.nginx_image_tag, self.image_registry)

    def task_spec(self, region: str, log_group: str = "", stack: str = "local") -> TaskSpec:
        """What the task's containers need from this config: the one place both the component
        and the local run build it. The log group's name is known only once it exists (the
        component fills it in; the local run logs to files); the stack names the default
        trusted-publishing audience."""
        return TaskSpec(
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
            users=tuple(TaskUser(u.name, tuple(u.actions), projects=tuple(u.projects)) for u in self.users),
            trusted_publishing=self.trusted_publishing.task_spec(stack) if self.trusted_publishing else None,
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
