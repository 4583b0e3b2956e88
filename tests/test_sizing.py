"""The sizing guide's capacity and cost math (components/sizing.py + the catalog)."""

import pytest

from components import sizing
from components.catalog import catalog


def guide_capacity(instance_type: str, container_memory: int) -> sizing.InstanceCapacity:
    """Tasks per instance the way the guide computes them: pypiserver alone in the task."""
    spec = catalog()[instance_type]
    workers = sizing.gunicorn_workers(container_memory)
    return sizing.instance_capacity(
        spec.vcpu, spec.memory_mib, sizing.container_cpu_units(workers), sizing.memory_reservation_mib(container_memory)
    )


@pytest.mark.parametrize("memory, workers", [(128, 2), (256, 2), (512, 4), (1024, 8), (4096, 8)])
def test_workers_are_one_per_128_mib_clamped_to_2_through_8(memory, workers):
    assert sizing.gunicorn_workers(memory) == workers, f"{memory} MiB should give {workers} workers"


def test_container_cpu_is_150_units_per_worker_plus_40():
    assert sizing.container_cpu_units(4) == 640, "4 workers should reserve 640 CPU units (guide: c6a.xlarge)"
    assert sizing.container_cpu_units(8) == 1240


def test_reservation_is_75_percent_rounded_down():
    assert sizing.memory_reservation_mib(512) == 384
    assert sizing.memory_reservation_mib(1001) == 750


@pytest.mark.parametrize(
    "instance_type, memory, expected",
    [
        ("t3.small", 512, 3),
        ("c6a.large", 512, 3),
        ("c6a.xlarge", 512, 6),
        ("c6a.2xlarge", 1024, 6),
    ],
)
def test_guide_vectors_tasks_per_instance(instance_type, memory, expected):
    got = guide_capacity(instance_type, memory).tasks_per_instance
    assert got == expected, f"{instance_type} at {memory} MiB should hold {expected} tasks, got {got}"


def test_c6a_xlarge_is_cpu_limited_19_by_ram_6_by_cpu():
    cap = guide_capacity("c6a.xlarge", 512)
    assert (cap.tasks_by_memory, cap.tasks_by_cpu, cap.limited_by) == (19, 6, "cpu")


def test_c6a_xlarge_pair_runs_12_to_24_tasks_and_48_workers():
    per_instance = guide_capacity("c6a.xlarge", 512).tasks_per_instance
    task_min = sizing.default_task_min(per_instance, asg_min_size=2)
    assert task_min == 12
    assert sizing.default_task_max(task_min, per_instance, asg_max_size=4) == 24
    assert task_min * sizing.gunicorn_workers(512) == 48, "2 x c6a.xlarge should run 48 workers in all"


def test_c6a_2xlarge_at_1024_mib_runs_8_workers_6_per_instance_12_min():
    cap = guide_capacity("c6a.2xlarge", 1024)
    assert sizing.gunicorn_workers(1024) == 8
    assert cap.tasks_per_instance == 6
    assert sizing.default_task_min(cap.tasks_per_instance, 2) == 12


def test_task_max_never_exceeds_what_the_asg_can_hold():
    # The guide says light's max is "2 x min = 12", but 2 x t3.small hold only 6 tasks.
    per_instance = guide_capacity("t3.small", 512).tasks_per_instance
    task_min = sizing.default_task_min(per_instance, 2)
    assert 2 * task_min == 12, "the guide's own formula gives 12 for light"
    assert sizing.default_task_max(task_min, per_instance, asg_max_size=2) == 6, (
        "light's default task max must be capped at the 6 tasks two t3.small can hold"
    )


def test_task_max_never_drops_below_min():
    assert sizing.default_task_max(task_min=10, tasks_per_instance=3, asg_max_size=2) == 10


def test_each_cap_is_at_least_one_task():
    cap = sizing.instance_capacity(1, 1024, task_cpu_units=4096, task_memory_reservation_mib=8192)
    assert (cap.tasks_by_memory, cap.tasks_by_cpu) == (1, 1)


# The guide's totals are "~$48" (light), "~$245" (heavy) and "~$478" (very heavy); we use the
# same EC2, ALB and EFS figures, so our estimate must land within 3 % of each.
@pytest.mark.parametrize(
    "instance_type, storage_gb, lcu, guide_total",
    [
        ("t3.small", 1, 1, 48),
        ("c6a.xlarge", 10, 3, 245),
        ("c6a.2xlarge", 50, 5, 478),
    ],
)
def test_monthly_cost_matches_the_guide_within_3_percent(instance_type, storage_gb, lcu, guide_total):
    cost = sizing.monthly_cost(catalog()[instance_type].hourly_usd, 2, storage_gb, lcu)
    assert abs(cost.total - guide_total) / guide_total <= 0.03, (
        f"{instance_type}: estimate ${cost.total} should be within 3 % of the guide's ${guide_total}"
    )


def test_ec2_cost_is_the_guides_line_item():
    assert sizing.monthly_cost(0.153, 2, 0, 0).ec2 == 223.38, "guide: 2 x $0.153/h x 730 h = $223.38"


def test_provisioned_throughput_is_billed_per_mibps():
    elastic = sizing.monthly_cost(0.153, 2, 10, 3)
    provisioned = sizing.monthly_cost(0.153, 2, 10, 3, efs_provisioned_mibps=100)
    assert provisioned.efs - elastic.efs == pytest.approx(600), "guide: 100 MiB/s provisioned ~ $600/month"


def test_deployment_keeps_every_task_when_the_asg_has_a_free_slot():
    assert sizing.deployment_minimum_healthy_percent(desired_tasks=12, task_slots_at_asg_max=24) == 100


def test_deployment_stops_one_task_first_when_the_asg_is_full():
    # light: 2 x t3.small hold exactly 6 tasks; at 100 % no new task could ever be placed.
    percent = sizing.deployment_minimum_healthy_percent(desired_tasks=6, task_slots_at_asg_max=6)
    assert -(-6 * percent // 100) == 5, "ECS should keep 5 of 6 tasks and free one slot for the new revision"
