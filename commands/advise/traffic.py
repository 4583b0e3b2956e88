"""Series arithmetic for the advisor: percentiles over time, and bursts told apart from
normal traffic (pure; no AWS).

The guide judges most of its scale-up signals "during normal traffic" and expects high
latency in bursts ("Normal Load (< 50 concurrent requests)", "Moderate Burst (50-200
concurrent requests)", "This is expected behavior"). CloudWatch does not publish
concurrency, so a period is a **burst** when both hold:

- its request count is more than BURST_REQUEST_FACTOR x the median request count of the
  periods that had traffic (a spike against this stack's own baseline), and
- its estimated concurrency, by Little's law (requests per second x average response
  time), is at least the guide's normal-load bound of NORMAL_LOAD_MAX_CONCURRENCY.

Both, because each alone misleads: a busy working day is several times the quiet night's
median yet well under 50 concurrent requests (normal for the guide), and an overloaded
stack answering its usual traffic slowly shows high concurrency without any more requests
(exactly the case the scale-up rules must see as normal traffic).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime

from guide.thresholds import NORMAL_LOAD_MAX_CONCURRENCY

BURST_REQUEST_FACTOR = 3.0

Series = Mapping[datetime, float]


def percentile(values: Iterable[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100): the smallest value with at least q % of the
    values at or below it. None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Iterable[float]) -> float | None:
    return percentile(values, 50)


def concurrency(requests: float, average_response_s: float, period_s: int) -> float:
    """Little's law: requests in flight = arrival rate x time each spends in the system."""
    return requests / period_s * average_response_s


def burst_periods(requests: Series, average_response_s: Series, period_s: int) -> set[datetime]:
    """Timestamps of the periods that are bursts (see the module's docstring)."""
    busy = [v for v in requests.values() if v > 0]
    baseline = median(busy)
    if baseline is None:
        return set()
    return {
        ts
        for ts, count in requests.items()
        if count > BURST_REQUEST_FACTOR * baseline
        and concurrency(count, average_response_s.get(ts, 0.0), period_s) >= NORMAL_LOAD_MAX_CONCURRENCY
    }


def values_at(series: Series, timestamps: Iterable[datetime]) -> list[float]:
    return [series[ts] for ts in timestamps if ts in series]


def share_above(values: list[float], threshold: float) -> float | None:
    """Fraction of values strictly above threshold."""
    if not values:
        return None
    return sum(1 for v in values if v > threshold) / len(values)
