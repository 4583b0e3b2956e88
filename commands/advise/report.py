"""The advisor's report: text for people, JSON for machines; both from the same evaluation and
recommendation, so they say the same (each rule's verdict, every reasoning line, the rules
that could not be judged and why)."""

from __future__ import annotations

from typing import Any

from guide.thresholds import NORMAL_LOAD_MAX_CONCURRENCY

from .recommend import Recommendation
from .resources import StackResources
from .rules import MIN_DATA_DAYS, Evaluation
from .traffic import BURST_REQUEST_FACTOR


def as_json(
    stack: str,
    region: str,
    days: float,
    period: int,
    found: StackResources,
    evaluation: Evaluation,
    rec: Recommendation,
    notes: list[str],
) -> dict[str, Any]:
    return {
        "stack": stack,
        "region": region,
        "window": {
            "days": days,
            "periodSeconds": period,
            "daysWithData": round(evaluation.days_with_data, 2),
            "minimumDays": MIN_DATA_DAYS,
            "enoughData": evaluation.enough_data,
            "normalPeriods": evaluation.normal_periods,
            "burstPeriods": evaluation.burst_periods,
        },
        "resources": {
            "foundBy": found.found_by,
            "clusterName": found.cluster_name,
            "serviceName": found.service_name,
            "serviceArn": found.service_arn,
            "loadBalancerArn": found.load_balancer_arn,
            "targetGroupArn": found.target_group_arn,
            "efsId": found.file_system_id,
        },
        "rules": [
            {
                "rule": r.key,
                "group": r.group,
                "guide": r.guide,
                "measured": r.measured,
                "unit": r.unit.strip(),
                "comparison": r.comparison,
                "threshold": r.threshold,
                "fires": r.fires,
                "verdict": r.verdict,
                "applicable": r.applicable,
                "couldNotJudge": r.could_not_judge,
                "detail": r.detail,
            }
            for r in evaluation.rules
        ],
        "facts": evaluation.facts,
        "recommendation": {
            "action": rec.action,
            "settings": rec.settings,
            "reasoning": rec.reasoning,
            "command": rec.command,
            "couldNotJudge": [{"rule": k, "reason": v} for k, v in rec.could_not_judge.items()],
            "monthlyCostUsd": {"before": rec.cost_before, "after": rec.cost_after, "delta": rec.cost_delta},
        },
        "notes": notes,
    }


def _or_dash(value) -> str:
    if value is None:
        return "-"
    return f"{value:g}" if isinstance(value, float) else str(value)


def render(
    stack: str,
    region: str,
    days: float,
    period: int,
    found: StackResources,
    evaluation: Evaluation,
    rec: Recommendation,
    notes: list[str],
) -> None:
    print(f"Right-sizing advice for stack {stack} ({region}): last {days:g} days, {period} s periods")
    print(
        f"resources (from {found.found_by}): cluster {found.cluster_name}, service {found.service_name}, "
        f"load balancer {found.load_balancer_dimension}, EFS {found.file_system_id}"
    )
    print(
        f"data: {evaluation.days_with_data:.1f} of {evaluation.window_days:g} days have service metrics "
        f"(at least {MIN_DATA_DAYS:g} needed); {evaluation.normal_periods} normal-traffic and "
        f"{evaluation.burst_periods} burst periods (burst: requests > {BURST_REQUEST_FACTOR:g} x the median "
        f"and >= {NORMAL_LOAD_MAX_CONCURRENCY:g} concurrent)"
    )
    f = evaluation.facts
    print(
        f"traffic: {f['requests']:.0f} requests ({f['burstRequests']:.0f} in bursts); healthy hosts min "
        f"{_or_dash(f['healthyHostsMin'])}, unhealthy max {_or_dash(f['unhealthyHostsMax'])}; tasks now "
        f"{_or_dash(f['runningTasksNow'])} running of {_or_dash(f['desiredTasksNow'])} desired, scaling "
        f"{_or_dash(f['taskMin'])}-{_or_dash(f['taskMax'])}; EFS {f['efsThroughputMode'] or '-'} throughput, "
        f"{f['efsPerformanceMode'] or '-'} mode"
    )
    print()
    print(f"{'group':<15}{'the guide says':<72}{'measured':>12}  {'rule':<13}{'verdict'}")
    for r in evaluation.rules:
        rule = f"{r.comparison} {r.threshold:g}{r.unit}"
        print(f"{r.group:<15}{r.guide:<72}{r.describe_measured():>12}  {rule:<13}{r.verdict}")
        print(f"{'':<15}  {f'could not judge: {r.could_not_judge}' if r.could_not_judge else r.detail}")
    print()
    target = f" to {rec.settings['instanceType']}" if "instanceType" in rec.settings else ""
    unjudged = len(rec.could_not_judge)
    caveat = f" ({unjudged} rule{'s' if unjudged > 1 else ''} could not be judged, see below)" if unjudged else ""
    print(f"recommendation: {rec.action}{target}{caveat}")
    for line in rec.reasoning:
        print(f"  - {line}")
    if rec.command:
        print(f"  preview it: {rec.command}")
        print(f"  then: pulumi up --stack {stack}; 48 h later: make advise STACK={stack} DAYS=2")
    if rec.cost_delta is not None and rec.command:
        print(f"  monthly cost: ${rec.cost_before:.2f} -> ${rec.cost_after:.2f} ({rec.cost_delta:+.2f} USD)")
    elif rec.cost_before is not None:
        print(f"  monthly cost: ${rec.cost_before:.2f} (no change)")
    for note in notes:
        print(f"note: {note}")
