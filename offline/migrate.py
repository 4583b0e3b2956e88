"""`make migrate FROM=light TO=heavy`: what a move does, before anyone touches production.

    python -m offline.migrate --from light --to heavy [--json]
    python -m offline.migrate --stack heavy --set instanceType=c6a.2xlarge [--set key=value ...] [--json]

Both sides are rendered by the offline engine. A move between stack files renders the
target as the FROM stack with the TO stack's settings applied (the stack keeps its name,
so nothing changes just because the name differs); keys only FROM sets are kept, and said.
Exit codes: 0 safe, 2 bad input, 3 data at risk, 4 blocked (the target cannot work or a
mandatory policy fails).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table

from . import migrate_advice, migrate_policy, migrate_safety
from .cli import ArgumentParser, fail
from .engine import PROJECT, EngineError, StackPreview, parse_overrides, run_program, stack_config
from .migrate_advice import Advice
from .migrate_diff import MISSING, UNKNOWN, MigrationDiff, diff_resources
from .migrate_policy import PolicyReport
from .migrate_rollout import RolloutPlan, plan_rollout
from .migrate_safety import SafetyVerdict

EXIT_OK, EXIT_DATA_AT_RISK, EXIT_BLOCKED = 0, 3, 4
REGION_KEY = "aws:region"


@dataclass
class Migration:
    source: str  # "light", or "heavy" for a --stack move
    target: str  # "heavy", or "heavy + instanceType=c6a.2xlarge"
    before: StackPreview
    after: StackPreview
    diff: MigrationDiff
    safety: SafetyVerdict
    rollout: RolloutPlan
    advice: list[Advice]
    policy: PolicyReport
    kept_keys: list[str] = field(default_factory=list)

    @property
    def blocking_reasons(self) -> list[str]:
        return [a.message for a in self.advice if a.level == "error"] + [
            f"mandatory policy {v.policy} fails on the target"
            for v in self.policy.violations
            if v.enforcement_level == "mandatory"
        ]

    @property
    def blocked(self) -> bool:
        return bool(self.blocking_reasons)

    @property
    def exit_code(self) -> int:
        if self.safety.at_risk:
            return EXIT_DATA_AT_RISK
        return EXIT_BLOCKED if self.blocked else EXIT_OK


def analyse(
    before: StackPreview,
    after: StackPreview,
    *,
    source: str,
    target: str,
    region_before: str | None = None,
    region_after: str | None = None,
    kept_keys: list[str] | None = None,
    policy: PolicyReport | None = None,
) -> Migration:
    """Everything migrate reports, from two rendered sides (tests hand in mutated ones)."""
    diff = diff_resources(before.resources, after.resources)
    advice = migrate_advice.guide_advice(before.config, after.config, after.stack) + migrate_advice.architecture_checks(
        before, after
    )
    return Migration(
        source=source,
        target=target,
        before=before,
        after=after,
        diff=diff,
        safety=migrate_safety.assess(diff, region_before, region_after),
        rollout=plan_rollout(diff, before, after),
        advice=advice,
        policy=policy or PolicyReport(False, "policy check not requested"),
        kept_keys=kept_keys or [],
    )


def _full_key(key: str) -> str:
    return key if ":" in key else f"{PROJECT}:{key}"


def render_sides(
    *,
    stack: str | None,
    from_stack: str | None,
    to_stack: str | None,
    overrides: dict[str, str],
    policy_config: str | None = None,
) -> Migration:
    """Run the engine for both sides (and the policy pack on the target).

    Raises EngineError for an unknown stack, a key config does not know or a value it rejects.
    """
    label = "".join(f" + {k}={v}" for k, v in overrides.items())
    if stack is not None:
        source, target, policy_stack = stack, stack + label, stack
        target_settings = dict(overrides)
    elif from_stack is not None and to_stack is not None:
        stack, source, target, policy_stack = from_stack, from_stack, to_stack + label, to_stack
        target_settings = {**stack_config(to_stack), **overrides}
    else:
        raise EngineError("give --from STACK --to STACK, or --stack STACK --set KEY=VALUE")
    current = stack_config(stack)
    target_config = stack_config(stack, target_settings)
    # Keys only the source sets stay as they are: the move changes what the target sets.
    set_by_target = {_full_key(k) for k in target_settings}
    kept = sorted(k for k in current if k not in set_by_target) if to_stack else []
    before = run_program(stack)
    after = run_program(stack, target_settings)
    policy = migrate_policy.evaluate(after, policy_stack, target_config, policy_config)
    return analyse(
        before,
        after,
        source=source,
        target=target,
        region_before=current.get(REGION_KEY),
        region_after=target_config.get(REGION_KEY),
        kept_keys=kept,
        policy=policy,
    )


# -- output ---------------------------------------------------------------------------------------


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
                        "old": _json_value(p.old),
                        "new": _json_value(p.new),
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
            f"{p.path}: {_change_text(p.old, p.new)}"
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


# -- command line ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="offline.migrate", description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="from_stack", metavar="STACK", help="current stack file, e.g. light")
    parser.add_argument("--to", dest="to_stack", metavar="STACK", help="target stack file, e.g. heavy")
    parser.add_argument("--stack", help="one stack, changed by --set")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="change a pypiserver:* key on the target (repeatable, or space-separated)",
    )
    parser.add_argument(
        "--policy-config",
        metavar="FILE",
        help="policy pack config for the target (default: policy/config.example.json)",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    if args.stack and (args.from_stack or args.to_stack):
        fail("give either --stack (with --set) or --from and --to, not both")
    if not args.stack and not (args.from_stack and args.to_stack):
        fail("give --from STACK --to STACK, or --stack STACK --set KEY=VALUE")
    try:
        migration = render_sides(
            stack=args.stack,
            from_stack=args.from_stack,
            to_stack=args.to_stack,
            overrides=parse_overrides(args.set),
            policy_config=args.policy_config,
        )
    except EngineError as err:
        fail(str(err))
    except Exception as err:  # the analyzer's PolicyError: a bad --policy-config file
        if type(err).__name__ != "PolicyError":
            raise
        fail(str(err))
    if args.json:
        json.dump(as_json(migration), sys.stdout, indent=1, sort_keys=True, default=str)
        print()
    else:
        render(migration, Console(width=160))
    if migration.safety.at_risk:
        print(
            f"error: {migration.safety.summary}: " + "; ".join(r.describe() for r in migration.safety.risks),
            file=sys.stderr,
        )
    elif migration.blocked:
        print("error: blocked: " + "; ".join(migration.blocking_reasons), file=sys.stderr)
    return migration.exit_code


if __name__ == "__main__":
    sys.exit(main())
