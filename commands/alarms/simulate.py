"""Every rendered MetricAlarm of a stack, evaluated by CloudWatch's rules (evaluation.py) over
what AWS would emit in each scenario (scenarios.py): which alarm fires, when, and whether it
reaches someone."""

from __future__ import annotations

from dataclasses import dataclass

from guide.type_tokens import METRIC_ALARM

from .evaluation import ALARM, Alarm, Unsupported, run, statistic
from .notifications import reach
from .scenarios import SCENARIOS, START, Scenario, World, emitted

NAME_PREFIX = "pypiserver-"


@dataclass(frozen=True)
class Outcome:
    alarm: str
    fired_at: int | None  # minutes after the incident began (negative: before it), None: never
    notifies: bool


@dataclass(frozen=True)
class ScenarioResult:
    scenario: Scenario
    outcomes: tuple[Outcome, ...]

    @property
    def fired(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.fired_at is not None]

    @property
    def heard(self) -> bool:
        """A failure is heard when an alarm that notifies someone fires; a quiet time, when none fires."""
        if self.scenario.failure:
            return any(o.notifies for o in self.fired)
        return not self.fired


def rendered_alarms(preview) -> tuple[list[Alarm], list[str]]:
    """The stack's alarms, and what cannot be simulated (said, never skipped silently)."""
    alarms, unsupported = [], []
    for r in preview.of_type(METRIC_ALARM):
        try:
            alarms.append(Alarm.from_inputs(r.name, r.inputs))
        except Unsupported as err:
            unsupported.append(str(err))
    return alarms, unsupported


def datapoints(alarm: Alarm, samples: list[dict]) -> list[float | None]:
    """One datapoint per period: the statistic over the samples of its minutes."""
    per = max(1, alarm.period // 60)
    key = (alarm.namespace, alarm.metric, alarm.dimensions)
    return [
        statistic(alarm.statistic, [v for minute in samples[i : i + per] for v in minute.get(key, [])])
        for i in range(0, len(samples) - per + 1, per)
    ]


def simulate(preview) -> tuple[list[ScenarioResult], list[str]]:
    world = World.from_preview(preview)
    alarms, unsupported = rendered_alarms(preview)
    results = []
    for scenario in SCENARIOS:
        samples = [emitted(world, m) for m in scenario.minutes(world)]
        outcomes = []
        for alarm in alarms:
            states = run(alarm, datapoints(alarm, samples))
            per = max(1, alarm.period // 60)
            first = next((i for i, s in enumerate(states) if s == ALARM), None)
            # A state is known at the end of its period.
            fired = None if first is None else (first + 1) * per - START
            outcomes.append(Outcome(alarm.name, fired, reach(preview, alarm.actions).notified))
        results.append(ScenarioResult(scenario, tuple(outcomes)))
    return results, unsupported


def table(results: list[ScenarioResult]) -> list[list[str]]:
    """Rows of the scenario x alarm table: a header, then one row per scenario. A cell is the
    minute the alarm fired (after the incident began), '-' when it did not."""
    names = [o.alarm.removeprefix(NAME_PREFIX) for o in results[0].outcomes] if results else []
    rows = [["scenario", *names, "heard"]]
    for r in results:
        cells = ["-" if o.fired_at is None else f"+{o.fired_at}m" for o in r.outcomes]
        verdict = "yes" if r.heard else ("NO: nobody notified" if r.scenario.failure else "NO: false alarm")
        rows.append([r.scenario.name, *cells, verdict])
    return rows
