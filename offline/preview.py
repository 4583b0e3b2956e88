"""`make preview STACK=heavy`: what a stack would build and what it costs, offline.

    python -m offline.preview --stack heavy [--json] [--set key=value ...] [--policy-config FILE]

Ends with the policy pack's verdicts; exits 1 when a mandatory policy is violated (as
`pulumi preview --policy-pack policy` fails), 2 on bad input.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from .analyzer import EXAMPLE_POLICY_CONFIG, PolicyError, blocked, check_preview, load_policy_config, render_verdicts
from .cli import ArgumentParser, fail
from .engine import COMPONENT_TYPE, EngineError, StackPreview, parse_overrides, run_program, stack_config
from .engine import PROJECT_ROOT as ROOT


def summary(preview: StackPreview) -> dict[str, Any]:
    """Key settings, capacity and cost: what a reviewer checks before `pulumi up`."""
    cfg = preview.config
    cost = cfg.monthly_cost
    alarms = [r.name for r in preview.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")]
    return {
        "settings": {
            "profile": cfg.profile,
            "instanceType": cfg.instance_type,
            "instanceClass": cfg.instance_spec.instance_class,
            "architecture": cfg.instance_spec.arch,
            "asgMinSize": cfg.asg_min_size,
            "asgMaxSize": cfg.asg_max_size,
            "taskMin": cfg.task_min,
            "taskMax": cfg.task_max,
            "workersPerTask": cfg.workers,
            "taskCpuUnits": cfg.task_cpu_units,
            "containerMemoryMib": cfg.container_memory,
            "nginxFront": cfg.front_enabled,
            "efsThroughputMode": cfg.efs_throughput_mode,
            "backups": cfg.backup_enabled,
            "loadBalancerScheme": cfg.load_balancer_scheme,
            "network": network_summary(cfg),
            "alarms": alarms,
        },
        "capacity": cfg.capacity_summary(),
        "cost": {
            "ec2": cost.ec2,
            "loadBalancer": cost.load_balancer,
            "efs": cost.efs,
            "network": cost.network,
            "total": cost.total,
            "guideItems": cost.guide_items,
            "basis": f"{cfg.asg_min_size} x {cfg.instance_type} on demand, 730 h/month, us-east-1",
            "networkBasis": network_cost_basis(cfg),
        },
    }


def network_summary(cfg) -> str:
    if cfg.builds_network:
        return (
            f"built: VPC {cfg.vpc_cidr} over {cfg.availability_zone_count} AZs, {cfg.nat_gateway_count} NAT "
            f"gateway(s) ({cfg.nat_gateways}), S3 gateway endpoint"
            + (", interface endpoints" if cfg.vpc_endpoints else "")
        )
    return (
        f"given: {cfg.vpc_id}, {len(cfg.subnet_ids or [])} instance subnet(s) checked for egress"
        + (", instances with public IPs" if cfg.instance_public_ip else "")
        + (", interface endpoints" if cfg.vpc_endpoints else "")
    )


def network_cost_basis(cfg) -> str:
    from components import sizing

    parts = []
    if cfg.nat_gateway_count:
        parts.append(
            f"{cfg.nat_gateway_count} NAT x (${sizing.NAT_GATEWAY_USD_PER_HOUR}/h + public IPv4 "
            f"${sizing.PUBLIC_IPV4_USD_PER_HOUR}/h) + {cfg.expected_nat_gb_per_month:g} GB/month assumed x "
            f"${sizing.NAT_USD_PER_GB}/GB"
        )
    if cfg.vpc_endpoints:
        parts.append(f"interface endpoints at ${sizing.INTERFACE_ENDPOINT_USD_PER_AZ_HOUR}/AZ-hour")
    return "; ".join(parts) or "none (the given VPC's own egress is not counted)"


def as_json(preview: StackPreview) -> dict[str, Any]:
    return {
        "stack": preview.stack,
        "resources": [
            {"urn": r.urn, "type": r.type, "name": r.name, "parent": r.parent, "inputs": r.inputs}
            for r in preview.resources
        ],
        **summary(preview),
        "outputs": preview.outputs,
    }


def render(preview: StackPreview, console: Console) -> None:
    info = summary(preview)
    console.print(
        f"[bold]Stack {preview.stack}[/] (profile {preview.config.profile}): "
        f"{len(preview.resources)} resources, offline preview under mocks"
    )
    console.print(_tree(preview))

    counts = Counter(r.type for r in preview.resources)
    by_type = Table("type", "count", title="Resources by type")
    for typ, n in sorted(counts.items()):
        by_type.add_row(typ, str(n))
    console.print(by_type)

    settings = Table("setting", "value", title="Key settings")
    for key, value in info["settings"].items():
        settings.add_row(key, ", ".join(value) if isinstance(value, list) else str(value))
    console.print(settings)

    cap = info["capacity"]
    capacity = Table("capacity", "value", title="Capacity math (sizing guide)")
    capacity.add_row("tasks per instance by CPU", f"{cap['tasksByCpu']}  ({cap['taskCpuUnits']} CPU units per task)")
    capacity.add_row(
        "tasks per instance by RAM",
        f"{cap['tasksByMemory']}  ({cap['taskMemoryReservationMib']} MiB reserved per task)",
    )
    capacity.add_row("tasks per instance", f"{cap['tasksPerInstance']}  (limited by {cap['limitedBy']})")
    capacity.add_row("task min / max", f"{cap['taskMin']} / {cap['taskMax']}")
    capacity.add_row("gunicorn workers", f"{cap['workersPerTask']} per task, {cap['totalWorkers']} at task min")
    console.print(capacity)

    cost = info["cost"]
    bill = Table("monthly cost (USD)", "estimate", title=f"Cost: {cost['basis']}")
    for label, key in (
        ("EC2", "ec2"),
        ("ALB (base + LCU)", "loadBalancer"),
        ("EFS", "efs"),
        ("subtotal: the guide's items", "guideItems"),
        ("network", "network"),
        ("total", "total"),
    ):
        bill.add_row(label, f"${cost[key]:,.2f}")
    console.print(bill)
    console.print(f"network cost: {cost['networkBasis']}")


def _tree(preview: StackPreview) -> Tree:
    children: dict[str | None, list] = {}
    for r in preview.resources:
        children.setdefault(r.parent, []).append(r)
    roots = [r for r in preview.resources if r.type == COMPONENT_TYPE]
    tree = Tree(f"stack {preview.stack}")

    def add(node: Tree, resource) -> None:
        branch = node.add(f"{resource.type}  [bold]{resource.name}[/]")
        for child in sorted(children.get(resource.urn, []), key=lambda c: (c.type, c.name)):
            add(branch, child)

    for root in roots:
        add(tree, root)
    return tree


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="offline.preview", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="heavy", help="stack file Pulumi.<stack>.yaml (default: heavy)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a pypiserver:* key, e.g. --set instanceType=c6a.2xlarge",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--policy-config",
        metavar="FILE",
        help="the organization's policy pack config (default: policy/config.example.json)",
    )
    args = parser.parse_args(argv)
    policy_config_path = args.policy_config or str(EXAMPLE_POLICY_CONFIG.relative_to(ROOT))
    try:
        policy_config = load_policy_config(args.policy_config or EXAMPLE_POLICY_CONFIG)
        overrides = parse_overrides(args.set)
        preview = run_program(args.stack, overrides)
        verdicts = check_preview(preview, policy_config, stack_config(args.stack, overrides))
    except (EngineError, PolicyError) as err:
        fail(str(err))
    if args.json:
        doc = {
            **as_json(preview),
            "policy": {
                "config": policy_config_path,
                "blocked": blocked(verdicts),
                "verdicts": [v.as_dict() for v in verdicts],
            },
        }
        json.dump(doc, sys.stdout, indent=1, sort_keys=True, default=str)
        print()
    else:
        console = Console(width=140)
        render(preview, console)
        render_verdicts(verdicts, policy_config_path, console)
    return 1 if blocked(verdicts) else 0


if __name__ == "__main__":
    sys.exit(main())
