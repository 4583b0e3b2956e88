"""The sizing guide's capacity and cost math, as pure functions.

The policy pack ships a copy of guide/ (checked identical by a test), so the pack and the
component can never disagree about capacity.

Formulas follow infrahouse/terraform-aws-pypiserver 2.3.0 (main.tf, locals.tf) except
the default task maximum, which the guide sets to 2 x min even when the ASG cannot hold
that many tasks (light: 12 tasks but room for 6). We cap it at what the ASG's maximum
size can hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# Per-instance overhead the module subtracts before packing tasks.
SYSTEM_RESERVED_MIB = 800  # 300 MiB for the OS and ECS agent + 500 MiB of page cache
SYSTEM_RESERVED_CPU_UNITS = 128
CPU_UNITS_PER_VCPU = 1024

# Gunicorn workers are derived from container memory: ~128 MiB each, clamped to 2..8.
WORKER_MEMORY_MIB = 128
MIN_WORKERS, MAX_WORKERS = 2, 8
CPU_UNITS_PER_WORKER = 150
CPU_UNITS_BASE = 40

HOURS_PER_MONTH = 730
# The guide's cost figures ("Monthly Cost Breakdown").
ALB_BASE_USD_PER_MONTH = 16.20
EFS_STANDARD_USD_PER_GB_MONTH = 0.30
EFS_PROVISIONED_USD_PER_MIBPS_MONTH = 6.00
# Network (AWS pricing pages, us-east-1, not in the guide, which assumes the default VPC):
# a NAT gateway is $0.045 per hour plus $0.045 per GB processed, and its Elastic IP is a
# public IPv4 address at $0.005 per hour; an interface VPC endpoint is $0.01 per AZ-hour.
NAT_GATEWAY_USD_PER_HOUR = 0.045
NAT_USD_PER_GB = 0.045
PUBLIC_IPV4_USD_PER_HOUR = 0.005
INTERFACE_ENDPOINT_USD_PER_AZ_HOUR = 0.01
# Assumed traffic through NAT: image pulls on every new instance and task, agent and log
# traffic. Clients never cross it (they reach the load balancer).
DEFAULT_NAT_GB_PER_MONTH = 20

LimitingFactor = Literal["cpu", "memory", "cpu and memory"]


def gunicorn_workers(container_memory_mib: int) -> int:
    """Workers per task: one per 128 MiB of container memory, between 2 and 8."""
    return max(MIN_WORKERS, min(MAX_WORKERS, container_memory_mib // WORKER_MEMORY_MIB))


def container_cpu_units(workers: int) -> int:
    """CPU units a pypiserver container reserves for its workers."""
    return workers * CPU_UNITS_PER_WORKER + CPU_UNITS_BASE


def memory_reservation_mib(container_memory_mib: int) -> int:
    """Soft memory limit: 75 % of the hard limit, rounded down."""
    return (container_memory_mib * 3) // 4


def available_memory_mib(instance_memory_mib: int) -> int:
    return instance_memory_mib - SYSTEM_RESERVED_MIB


def available_cpu_units(instance_vcpu: int) -> int:
    return instance_vcpu * CPU_UNITS_PER_VCPU - SYSTEM_RESERVED_CPU_UNITS


@dataclass(frozen=True)
class InstanceCapacity:
    """How many tasks one instance holds, and which resource runs out first."""

    tasks_by_memory: int
    tasks_by_cpu: int

    @property
    def tasks_per_instance(self) -> int:
        return min(self.tasks_by_memory, self.tasks_by_cpu)

    @property
    def limited_by(self) -> LimitingFactor:
        if self.tasks_by_cpu == self.tasks_by_memory:
            return "cpu and memory"
        return "cpu" if self.tasks_by_cpu < self.tasks_by_memory else "memory"


def instance_capacity(
    instance_vcpu: int,
    instance_memory_mib: int,
    task_cpu_units: int,
    task_memory_reservation_mib: int,
) -> InstanceCapacity:
    """Tasks per instance from RAM and from CPU, each at least 1 (as the module does)."""
    by_memory = available_memory_mib(instance_memory_mib) // task_memory_reservation_mib
    by_cpu = available_cpu_units(instance_vcpu) // task_cpu_units
    return InstanceCapacity(tasks_by_memory=max(1, by_memory), tasks_by_cpu=max(1, by_cpu))


def default_task_min(tasks_per_instance: int, asg_min_size: int) -> int:
    return tasks_per_instance * asg_min_size


def default_task_max(task_min: int, tasks_per_instance: int, asg_max_size: int) -> int:
    """2 x min for autoscaling headroom, but never more than the ASG at max size can hold
    (and never below min, which Application Auto Scaling rejects)."""
    return max(task_min, min(2 * task_min, tasks_per_instance * asg_max_size))


@dataclass(frozen=True)
class MonthlyCost:
    """Estimated USD per month at the ASG's minimum size (steady state)."""

    ec2: float
    load_balancer: float
    efs: float
    network: float = 0.0  # NAT gateways, their public IPs, traffic, interface endpoints

    @property
    def guide_items(self) -> float:
        """What the guide's breakdown counts (EC2, ALB, EFS): comparable with its totals."""
        return round(self.ec2 + self.load_balancer + self.efs, 2)

    @property
    def total(self) -> float:
        return round(self.ec2 + self.load_balancer + self.efs + self.network, 2)


def monthly_cost(
    instance_hourly_usd: float,
    instance_count: int,
    efs_storage_gb: float,
    alb_lcu_usd: float,
    efs_provisioned_mibps: float | None = None,
    nat_gateways: int = 0,
    nat_gb_per_month: float = 0,
    interface_endpoint_azs: int = 0,
) -> MonthlyCost:
    """EC2 + ALB (base + LCU) + EFS (storage, plus provisioned throughput if any) + network
    (NAT gateways with their public IPv4 addresses and traffic, interface endpoints).

    Elastic throughput is billed per GB transferred; the guide folds it into its storage
    figure, and so do we.
    """
    ec2 = instance_count * instance_hourly_usd * HOURS_PER_MONTH
    efs = efs_storage_gb * EFS_STANDARD_USD_PER_GB_MONTH
    if efs_provisioned_mibps:
        efs += efs_provisioned_mibps * EFS_PROVISIONED_USD_PER_MIBPS_MONTH
    network = (
        nat_gateways * (NAT_GATEWAY_USD_PER_HOUR + PUBLIC_IPV4_USD_PER_HOUR) * HOURS_PER_MONTH
        + (nat_gb_per_month * NAT_USD_PER_GB if nat_gateways else 0)
        + interface_endpoint_azs * INTERFACE_ENDPOINT_USD_PER_AZ_HOUR * HOURS_PER_MONTH
    )
    return MonthlyCost(
        ec2=round(ec2, 2),
        load_balancer=round(ALB_BASE_USD_PER_MONTH + alb_lcu_usd, 2),
        efs=round(efs, 2),
        network=round(network, 2),
    )


def deployment_minimum_healthy_percent(desired_tasks: int, task_slots_at_asg_max: int) -> int:
    """ECS deployment floor for a service running `desired_tasks` (its most: the task max).
    With a free slot at the ASG's maximum size, every old task keeps serving while new ones
    start (100 %). Without one (light: 2 x t3.small hold exactly its 6 tasks; every stack at
    its task max), a new task could never be placed and the deployment would stall, so one old
    task must stop first: the floor is one task below, as ECS rounds it up ("as a percentage of
    the desiredCount (rounded up to the nearest integer)", ECS API DeploymentConfiguration)."""
    if task_slots_at_asg_max > desired_tasks:
        return 100
    return (100 * (desired_tasks - 1)) // desired_tasks
