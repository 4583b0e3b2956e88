"""CloudWatch's alarm evaluation, as the CloudWatch user guide documents it ("Evaluating an
alarm", "How alarm state is evaluated when data is missing"), over datapoints given per period.

- Period, evaluation periods (N), datapoints to alarm (M): "Datapoints to Alarm is the number
  of data points within the evaluation period that must be breaching to cause the alarm to go
  to the ALARM state. The breaching data points do not have to be consecutive, they just must
  all be within the last number of data points equal to Evaluation Period."
- The evaluation range: "CloudWatch attempts to retrieve a higher number of data points than
  specified by Evaluation Periods" (its example: 5 for 3); here N + 2.
- Missing data: with at least N existing datapoints in the range, the most recent N are
  evaluated ("the value you set for how to treat missing data is not needed and is ignored");
  with fewer, "CloudWatch fills in the missing data points with the result you specified ...
  However, any real data points in the evaluation range, no matter when they were reported,
  are included". `breaching` fills with breaching points, `notBreaching` with good ones;
  `missing` and `ignore` fill with nothing: INSUFFICIENT_DATA (or the current state) when no
  verdict can be reached, as the guide's tables show (tests/commands/test_alarm_evaluation.py
  checks every row of both).

Only ALARM transitions matter here: "Alarms invoke actions for sustained state changes only".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

OK, ALARM, INSUFFICIENT = "OK", "ALARM", "INSUFFICIENT_DATA"
COMPARISONS = {
    "GreaterThanThreshold": lambda v, t: v > t,
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}
TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")
# How many more periods than N the evaluation range holds (the user guide's example: 5 for 3).
EXTRA_RANGE = 2


class Unsupported(ValueError):
    """A rendered alarm the simulation cannot evaluate (metric math, anomaly bands). str() says which."""


@dataclass(frozen=True)
class Alarm:
    """A MetricAlarm as rendered: the fields CloudWatch evaluates it by."""

    name: str
    namespace: str
    metric: str
    dimensions: tuple[tuple[str, str], ...]
    statistic: str  # Sum, Average, Minimum, Maximum, SampleCount, or pNN
    comparison: str
    threshold: float
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    treat_missing_data: str
    actions: tuple[str, ...]

    @classmethod
    def from_inputs(cls, name: str, inputs: dict[str, Any]) -> Alarm:
        if inputs.get("metricQueries"):
            raise Unsupported(f"{name}: metric math alarms are not simulated")
        comparison = inputs.get("comparisonOperator", "")
        if comparison not in COMPARISONS:
            raise Unsupported(f"{name}: comparison {comparison!r} is not simulated")
        statistic = inputs.get("extendedStatistic") or inputs.get("statistic")
        if not statistic:
            raise Unsupported(f"{name}: no statistic")
        periods = int(inputs["evaluationPeriods"])
        return cls(
            name=name,
            namespace=inputs["namespace"],
            metric=inputs["metricName"],
            dimensions=tuple(sorted((inputs.get("dimensions") or {}).items())),
            statistic=statistic,
            comparison=comparison,
            threshold=float(inputs["threshold"]),
            period=int(inputs["period"]),
            evaluation_periods=periods,
            datapoints_to_alarm=int(inputs.get("datapointsToAlarm") or periods),
            # "If this parameter is omitted, the default behavior of missing is used."
            treat_missing_data=inputs.get("treatMissingData") or "missing",
            actions=tuple(inputs.get("alarmActions") or ()),
        )

    def breaches(self, value: float) -> bool:
        return COMPARISONS[self.comparison](value, self.threshold)


def statistic(name: str, samples: Sequence[float]) -> float | None:
    """One datapoint from the samples of a period (None: no sample, a missing datapoint)."""
    if not samples:
        return None
    if name == "Sum":
        return float(sum(samples))
    if name == "Average":
        return sum(samples) / len(samples)
    if name == "Minimum":
        return float(min(samples))
    if name == "Maximum":
        return float(max(samples))
    if name == "SampleCount":
        return float(len(samples))
    if name.startswith("p"):
        ordered = sorted(samples)  # nearest rank
        return float(ordered[max(0, math.ceil(float(name[1:]) / 100 * len(ordered)) - 1)])
    raise Unsupported(f"statistic {name!r} is not simulated")


def evaluate(alarm: Alarm, window: Sequence[float | None], current: str) -> str:
    """The state after one evaluation of `window`, the evaluation range oldest first."""
    n, m = alarm.evaluation_periods, alarm.datapoints_to_alarm
    existing = [alarm.breaches(d) for d in window if d is not None]
    if len(existing) >= n:
        return ALARM if sum(existing[-n:]) >= m else OK
    breaching, filled = sum(existing), n - len(existing)
    if alarm.treat_missing_data == "breaching":
        return ALARM if breaching + filled >= m else OK
    if alarm.treat_missing_data == "notBreaching":
        return ALARM if breaching >= m else OK
    # missing / ignore: no verdict for the missing points.
    if breaching >= m:
        return ALARM
    if len(existing) > breaching:
        return OK
    if alarm.treat_missing_data == "ignore":
        return current
    # The guide's sixth row: only breaching points, the oldest of the range among them (the
    # metric stopped after breaching) -> ALARM; otherwise there is not enough data.
    if existing and window[0] is not None:
        return ALARM
    return INSUFFICIENT


def run(alarm: Alarm, datapoints: Sequence[float | None]) -> list[str]:
    """The state after each period, starting INSUFFICIENT_DATA ("When this operation creates
    an alarm, the alarm state is immediately set to INSUFFICIENT_DATA", PutMetricAlarm)."""
    states, state = [], INSUFFICIENT
    span = alarm.evaluation_periods + EXTRA_RANGE
    for end in range(1, len(datapoints) + 1):
        state = evaluate(alarm, datapoints[max(0, end - span) : end], state)
        states.append(state)
    return states
