"""The service's auto-scaling history: which activities were scale-outs, and whether they came
with bursts (pure; metrics.py reads the activities).

The guide's scale-out signals include "ECS service auto-scaling is frequently triggered". Its
profiles keep auto-scaling headroom on purpose (task_max = 2 x task_min) and size each type
to absorb its bursts, so a scale-out during a burst is that headroom at work. What the guide
warns about is the service scaling out for its everyday traffic. "Frequently" is read
against the guide's own request patterns: a stack may have "daily peaks" (its medium
profile), which can take one scale-out a day; more than one scale-out a day, on average,
outside bursts means normal traffic keeps outgrowing the capacity the stack runs at rest.

Application Auto Scaling records an activity when a policy's alarm (or a change of the
target's minimum or maximum, or a schedule) moves the desired count, and keeps six weeks of
them. Only alarm-triggered activities that raised the count are scale-outs here: changes of
min/max are not auto-scaling being triggered, and a scale-in follows every scale-out. A
running-task count would also move for deployments and replaced tasks, so it is not used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

# "Provides descriptive information about the scaling activities ... from the previous six weeks."
ACTIVITY_RETENTION_DAYS = 42
SCALE_OUTS_PER_DAY = 1.0  # more than the one a day a daily peak may take (see above)
# Activities that set (or are setting) the count; Failed, Unfulfilled and Overridden did not.
TAKEN_STATUSES = frozenset({"Successful", "InProgress", "Pending"})
# "monitor alarm <name> in state ALARM triggered policy <policy>"
POLICY_CAUSE = "monitor alarm"
_DESIRED = re.compile(r"desired count to (\d+)")


@dataclass(frozen=True)
class ScalingActivity:
    start: datetime
    desired: int | None  # the count it sets, from its description
    status: str
    cause: str

    @property
    def policy_triggered(self) -> bool:
        return self.cause.startswith(POLICY_CAUSE)


def desired_count(description: str) -> int | None:
    """'Setting desired count to 14.' -> 14."""
    found = _DESIRED.search(description)
    return int(found.group(1)) if found else None


def scale_outs(activities: Iterable[ScalingActivity], at_rest: int | None) -> list[ScalingActivity]:
    """Alarm-triggered activities that raised the desired count, oldest first. The count
    before the oldest activity is taken as `at_rest` (the scaling target's minimum, where
    target tracking scales back to)."""
    count, found = at_rest, []
    for activity in sorted(activities, key=lambda a: a.start):
        if activity.status not in TAKEN_STATUSES or activity.desired is None:
            continue
        if activity.policy_triggered and count is not None and activity.desired > count:
            found.append(activity)
        count = activity.desired
    return found


def period_start(ts: datetime, period_s: int) -> datetime:
    return datetime.fromtimestamp(int(ts.timestamp()) // period_s * period_s, UTC)


def with_bursts(activity: ScalingActivity, bursts: set[datetime], period_s: int) -> bool:
    """Started in a burst period or next to one: a burst's first minutes may fall in the
    period before it, and its scale-out may land just after a short one."""
    here = period_start(activity.start, period_s).timestamp()
    return any(datetime.fromtimestamp(here + k * period_s, UTC) in bursts for k in (-1, 0, 1))
