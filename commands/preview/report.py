"""What `make preview` prints: the resource tree, key settings, capacity, cost and the verdicts."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from commands.alarms.notifications import unheard_line
from commands.engine import StackPreview
from commands.engine.records import shown_inputs
from commands.policy_client import Verdict
from guide import sizing
from guide.type_tokens import COMPONENT, METRIC_ALARM


def summary(preview: StackPreview) -> dict[str, Any]:
    """Key settings, capacity and cost: what a reviewer checks before `pulumi up`."""
    cfg = preview.config
    cost = cfg.monthly_cost
    alarms = [r.name for r in preview.of_type(METRIC_ALARM)]
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
            **publish_rights(cfg, preview.stack),
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


def publish_rights(cfg, stack: str) -> dict[str, Any]:
    """Who may publish what: named publishers (with their projects) and trusted publishers."""
    rights: dict[str, Any] = {
        "publishers": [
            u.name + ("" if u.projects == ["*"] else f" ({', '.join(u.projects)})") for u in cfg.users if u.publishes
        ]
    }
    tp = cfg.trusted_publishing
    if tp is not None:
        rights["trustedPublishers"] = [f"{p.id} -> {', '.join(p.projects)}" for p in tp.publishers]
        rights["trustedPublishing"] = f"audience {tp.audience_for(stack)}, upload tokens last {tp.token_minutes} min"
    return rights


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
            {"urn": r.urn, "type": r.type, "name": r.name, "parent": r.parent, "inputs": shown_inputs(r.type, r.inputs)}
            for r in preview.resources
        ],
        **summary(preview),
        "alarmsReachNobody": unheard_line(preview),
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
    unheard = unheard_line(preview)
    if unheard:
        console.print(Text(unheard, style="yellow"), soft_wrap=True)

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
    roots = [r for r in preview.resources if r.type == COMPONENT]
    tree = Tree(f"stack {preview.stack}")

    def add(node: Tree, resource) -> None:
        branch = node.add(f"{resource.type}  [bold]{resource.name}[/]")
        for child in sorted(children.get(resource.urn, []), key=lambda c: (c.type, c.name)):
            add(branch, child)

    for root in roots:
        add(tree, root)
    return tree


def render_verdicts(verdicts: Sequence[Verdict], config_path: str | os.PathLike, console: Console) -> None:
    """The verdicts table and a closing line saying whether the CLI would block."""
    table = Table("level", "policy", "resource", "message", title=Text(f"Policy verdicts (config: {config_path})"))
    for v in verdicts:
        table.add_row(
            Text(v.level, style="bold red" if v.blocking else "yellow"),
            Text(v.policy),
            Text(v.resource),
            Text(v.message),
        )
    if verdicts:
        console.print(table)
    mandatory = sum(v.blocking for v in verdicts)
    if mandatory:
        console.print(
            f"[bold red]Policy: {mandatory} mandatory violation(s): `pulumi preview` with this pack would fail.[/]"
        )
    else:
        console.print(f"[bold green]Policy: no mandatory violation[/] ({len(verdicts)} advisory).")
