"""What `make migrate` prints, for people (rich) and machines (JSON)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from commands.engine import StackPreview
from commands.engine.records import shown

from .diff import MISSING, UNKNOWN
from .plan import Migration
from .rollout import RolloutPlan


def _value(value: Any, limit: int = 60) -> str:
    if value is UNKNOWN or value is MISSING:
        return repr(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _change_text(old: Any, new: Any, limit: int = 60) -> str:
    """`old -> new`; long strings (scripts, configs, ARNs) are shown where they differ."""
    if isinstance(old, str) and isinstance(new, str) and max(len(old), len(new)) > limit:
        old_lines, new_lines = old.splitlines() or [""], new.splitlines() or [""]
        for i, (a, b) in enumerate(zip(old_lines, new_lines)):
            if a != b:
                where = f"line {i + 1}: " if len(old_lines) > 1 or len(new_lines) > 1 else ""
                return f"{where}{_around_difference(a.strip(), b.strip(), limit)}"
        return f"{len(old_lines)} -> {len(new_lines)} lines"
    return f"{_value(old, limit)} -> {_value(new, limit)}"


def _around_difference(a: str, b: str, limit: int) -> str:
    start = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    cut = max(0, start - limit // 3) if max(len(a), len(b)) > limit else 0

    def clip(text: str) -> str:
        return ("…" if cut else "") + _value(text[cut:], limit)

    return f"{clip(a)} -> {clip(b)}"


def _json_value(value: Any) -> Any:
    if value is UNKNOWN:
        return {"unknown": True}
    if value is MISSING:
        return None
    return value


def as_json(m: Migration) -> dict[str, Any]:
    r = m.rollout
    cost_before, cost_after = _monthly_cost(m.before), _monthly_cost(m.after)
    return {
        "from": m.source,
        "to": m.target,
        "renderedAsStack": m.after.stack,
        "keptFromSource": m.kept_keys,
        "summary": m.diff.summary(),
        "resources": [
            {
                "urn": c.urn,
                "type": c.type,
                "name": c.name,
                "action": c.action,
                "changes": [
                    {
                        "path": p.path,
                        "old": _json_value(shown(c.type, p.path, p.old)),
                        "new": _json_value(shown(c.type, p.path, p.new)),
                        "forcesReplacement": p.forces_replacement,
                        "cause": p.cause,
                    }
                    for p in c.properties
                ],
            }
            for c in m.diff.changes
            if c.action != "same"
        ],
        "unchanged": sorted(f"{c.type}::{c.name}" for c in m.diff.changes if c.action == "same"),
        "typesWithoutReplacementRules": m.diff.unknown_types,
        "dataSafety": {
            "atRisk": m.safety.at_risk,
            "verdict": m.safety.summary,
            "risks": [
                {
                    "type": d.type,
                    "name": d.name,
                    "action": d.action,
                    "reason": d.reason,
                    "changed": list(d.because_of),
                    "protected": d.protected,
                }
                for d in m.safety.risks
            ],
        },
        "rollout": {
            "instanceRefresh": None
            if r.instance_refresh is None
            else {**_fields(r.instance_refresh), "launchBeforeTerminate": r.instance_refresh.launch_before_terminate},
            "ecsDeployment": None if r.deployment is None else _fields(r.deployment),
            "capacity": [{"field": c.field, "before": c.before, "after": c.after} for c in r.capacity],
            "partialCapacity": _fields(r.partial),
            "stalls": r.stalls,
            "warnings": r.warnings,
            "notes": r.notes,
        },
        "cost": {
            "before": cost_before,
            "after": cost_after,
            "delta": round(cost_after - cost_before, 2),
            "unit": "USD/month",
        },
        "policy": {
            "available": m.policy.available,
            "message": m.policy.message,
            "blocking": m.policy.blocking,
            "violations": [_fields(v) for v in m.policy.violations],
        },
        "advice": [_fields(a) for a in m.advice],
        "exitCode": m.exit_code,
    }


def _fields(obj: Any) -> dict[str, Any]:
    out = {}
    for name in obj.__dataclass_fields__:
        value = getattr(obj, name)
        out[_camel(name)] = list(value) if isinstance(value, tuple) else value
    return out


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.title() for w in rest)


def _monthly_cost(preview: StackPreview) -> float:
    value = preview.outputs.get("monthlyCostUsd")
    return round(float(value if value is not None else preview.config.monthly_cost.total), 2)


_ACTION_STYLE = {"create": "green", "delete": "red", "update": "yellow", "replace": "bold red"}


def render(m: Migration, console: Console) -> None:
    console.print(
        f"[bold]Migration preview: {m.source} -> {m.target}[/]  "
        f"(target rendered as stack {m.after.stack}, offline under mocks)"
    )
    if m.kept_keys:
        console.print(f"kept from {m.source} (not set by the target): {', '.join(m.kept_keys)}")

    table = Table("action", "resource", "changed inputs (old -> new)", title="Resources", show_lines=False)
    for c in m.diff.changes:
        if c.action == "same":
            continue
        lines = [
            f"{p.path}: {_change_text(shown(c.type, p.path, p.old), shown(c.type, p.path, p.new))}"
            + ("  [red](forces replacement)[/]" if p.forces_replacement else "")
            for p in c.properties
        ]
        table.add_row(
            f"[{_ACTION_STYLE[c.action]}]{c.action}[/]", f"{c.type.split(':')[-1]} {c.name}", "\n".join(lines)
        )
    s = m.diff.summary()
    table.caption = (
        f"{s['update']} updated in place, {s['replace']} replaced, {s['create']} created, "
        f"{s['delete']} deleted, {s['same']} unchanged"
    )
    console.print(table)
    if m.diff.unknown_types:
        console.print(
            f"[yellow]no replacement rules for: {', '.join(m.diff.unknown_types)} (treated as updated in place)[/]"
        )

    if m.safety.at_risk:
        console.print(f"[bold white on red] {m.safety.summary} [/]")
        for risk in m.safety.risks:
            console.print(f"[bold red]  x {risk.describe()}[/]")
    else:
        console.print(f"[bold green]Data safety: {m.safety.summary}[/] (no stateful resource is replaced or deleted)")

    _render_rollout(m.rollout, console)

    before, after = _monthly_cost(m.before), _monthly_cost(m.after)
    console.print(f"[bold]Cost[/] (estimate, USD/month): ${before:,.2f} -> ${after:,.2f} ({after - before:+,.2f})")

    if not m.policy.available:
        console.print(f"[bold]Policy[/]: {m.policy.message}")
    elif not m.policy.violations:
        console.print(f"[bold]Policy[/] ({m.policy.message}): target stack passes")
    else:
        console.print(f"[bold]Policy[/] ({m.policy.message}):")
        for v in m.policy.violations:
            style = "red" if v.enforcement_level == "mandatory" else "yellow"
            console.print(f"  [{style}]{v.enforcement_level} {v.policy}[/]: {v.message}")

    if m.advice:
        console.print("[bold]Advice[/]")
        for a in m.advice:
            style = {"error": "bold red", "warning": "yellow", "info": "default"}[a.level]
            console.print(f"  [{style}]{a.level} ({a.topic})[/]: {a.message}")


def _minutes(seconds: int) -> str:
    return f"~{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds}s"


def _render_rollout(r: RolloutPlan, console: Console) -> None:
    console.print("[bold]Rollout[/]")
    ir = r.instance_refresh
    if ir:
        mode = (
            f"launch before terminate (max healthy {ir.max_healthy_percent}%)"
            if ir.launch_before_terminate
            else f"terminate first, keeping {ir.min_healthy_percent}% healthy"
        )
        console.print(
            f"  instance refresh (rolling): {ir.why}; {ir.instances} instance(s) in {ir.batches} "
            f"batch(es) of {ir.batch_size}, {mode}, min healthy {ir.min_healthy_percent}%, "
            f"warm-up {ir.instance_warmup_seconds}s"
        )
    else:
        console.print("  instance refresh: none (launch template and ASG template reference unchanged)")
    d = r.deployment
    if d:
        breaker = (
            "circuit breaker with rollback"
            if d.circuit_breaker and d.rollback
            else "circuit breaker"
            if d.circuit_breaker
            else "no circuit breaker"
        )
        console.print(
            f"  ECS rolling deployment: {d.why}; min healthy {d.min_healthy_percent}%, "
            f"max {d.max_percent}%, {breaker}; {d.desired_tasks} tasks in {d.waves} wave(s)"
        )
    else:
        console.print("  ECS deployment: none (task definition unchanged)")
    if r.capacity:
        cap = Table("capacity", "before", "after", title="Capacity")
        for c in r.capacity:
            cap.add_row(c.field, str(c.before), str(c.after))
        console.print(cap)
    p = r.partial
    if r.stalls:
        dip = (
            f"down to {p.lowest_serving_tasks} of the {p.serving_now} tasks serving now"
            if p.lowest_serving_tasks < p.serving_now
            else f"the {p.serving_now} tasks keep serving"
        )
        console.print(
            f"  partial capacity: {dip} until the stall is resolved; the rollout does not finish as "
            "configured (see the warnings)"
        )
    elif p.seconds:
        console.print(
            f"  partial capacity: {_minutes(p.seconds)}, down to {p.lowest_serving_tasks} of the "
            f"{p.serving_now} tasks serving now; whole rollout {_minutes(p.rollout_seconds)}"
        )
    else:
        console.print(
            f"  partial capacity: none expected (never below the {p.serving_now} tasks serving now; "
            f"{p.desired_tasks} desired during the move); whole rollout {_minutes(p.rollout_seconds)}"
        )
    console.print("  assumptions: " + "; ".join(p.assumptions))
    for w in r.warnings:
        console.print(f"  [yellow]warning: {w}[/]")
    for n in r.notes:
        console.print(f"  note: {n}")
