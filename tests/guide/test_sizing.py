"""The sizing guide's capacity and cost math (guide/sizing.py + the catalog)."""

import pytest

from guide import sizing
from guide.catalog import catalog


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


# --- exact figures: each constant and operator of the math pinned by a hand-computed value --


def test_instance_keeps_800_mib_and_128_cpu_units_for_the_system():
    # The module: 300 MiB OS + ECS agent, 500 MiB page cache; 128 CPU units; 1024 units per vCPU.
    assert sizing.available_memory_mib(8192) == 8192 - 800 == 7392
    assert sizing.available_cpu_units(4) == 4 * 1024 - 128 == 3968


def test_limiting_factor_names_the_resource_that_runs_out_first():
    assert sizing.InstanceCapacity(tasks_by_memory=19, tasks_by_cpu=6).limited_by == "cpu"
    assert sizing.InstanceCapacity(tasks_by_memory=3, tasks_by_cpu=5).limited_by == "memory"
    assert sizing.InstanceCapacity(tasks_by_memory=4, tasks_by_cpu=4).limited_by == "cpu and memory"


def test_task_max_is_twice_min_when_the_asg_has_more_room():
    # 4 tasks at min, 6 per instance x 4 instances = 24 slots: the guide's 2 x min = 8 binds.
    assert sizing.default_task_max(task_min=4, tasks_per_instance=6, asg_max_size=4) == 8


def test_guide_items_and_total_add_up_and_round_to_cents():
    cost = sizing.MonthlyCost(ec2=1.111, load_balancer=2.222, efs=3.333, network=4.444)
    assert cost.guide_items == 6.67  # 6.666 to the cent
    assert cost.total == 11.11  # 11.11 exactly: 1.111 + 2.222 + 3.333 + 4.444
    assert sizing.MonthlyCost(ec2=1.0004, load_balancer=0, efs=0, network=0.0003).total == 1.0


def test_each_line_of_the_estimate_is_rounded_to_cents():
    cost = sizing.monthly_cost(0.0123, 1, 1.111, 1.234)
    # 0.0123 x 730 = 8.979; 16.20 + 1.234 = 17.434; 1.111 GB x $0.30 = 0.3333
    assert (cost.ec2, cost.load_balancer, cost.efs) == (8.98, 17.43, 0.33)


def test_the_readme_network_figure_one_nat_and_20_gb():
    # README: one NAT gateway and its IPv4 address, 730 h, 20 GB: ($0.045 + $0.005) x 730 + 20 x $0.045
    cost = sizing.monthly_cost(0, 0, 0, 0, nat_gateways=1, nat_gb_per_month=sizing.DEFAULT_NAT_GB_PER_MONTH)
    assert cost.network == 36.50 + 0.90 == 37.40


def test_network_counts_every_nat_its_traffic_and_every_endpoint_az():
    cost = sizing.monthly_cost(0, 0, 0, 0, nat_gateways=2, nat_gb_per_month=100, interface_endpoint_azs=3)
    # 2 x $0.05 x 730 = 73.00; 100 GB x $0.045 = 4.50; 3 AZ x $0.01 x 730 = 21.90
    assert cost.network == 99.40


def test_an_endpoint_only_network_rounds_to_cents():
    cost = sizing.monthly_cost(0, 0, 0, 0, interface_endpoint_azs=1)
    assert cost.network == 7.30  # 1 AZ x $0.01 x 730 h


def test_no_nat_means_no_nat_traffic_cost():
    assert sizing.monthly_cost(0, 0, 0, 0, nat_gateways=0, nat_gb_per_month=20).network == 0.0


def test_traffic_through_nat_is_rounded_to_cents():
    cost = sizing.monthly_cost(0, 0, 0, 0, nat_gateways=1, nat_gb_per_month=0.1)
    assert cost.network == 36.50  # 36.50 + 0.1 x 0.045 = 36.5045
