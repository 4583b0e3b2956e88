"""Print `commands.advise`'s report for one of the test scenarios, against a moto server (no AWS):

    .venv/bin/python tests/support/advise_demo.py SCENARIO [--json]

The same deployed stack, series and scaling history as tests/commands/test_advise.py; the arguments
after the scenario go to the advisor (default: --stack <the scenario's> --days 3 --period 3600
--outputs FILE). The advisor runs as `python -m commands.advise`, its own process, pointed at
the server with AWS_ENDPOINT_URL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from guide.profiles import PROFILE_DEFAULTS  # noqa: E402
from tests.support.advise_fixtures import (  # noqa: E402
    Activity,
    Hour,
    deploy,
    moto_percentiles,
    moto_scaling_activities,
    moto_server,
    period_starts,
    publish,
    quiet_with_daily_bursts,
    scaling_at,
)

HOURS = 72
NORMAL = Hour(cpu=45, memory=65)
BURST = Hour(requests=200_000, response_s=1.5, slow_s=12, cpu=97, memory=65, target_5xx=1500, elb_5xx=1500, running=20)
Series = Callable[[list[datetime]], list[tuple[datetime, Hour]]]


@dataclass(frozen=True)
class Scenario:
    series: Series
    stack: str = "heavy"
    deploy: dict = field(default_factory=dict)
    activities: Callable[[list[datetime]], list[Activity]] = lambda ts: []


SCENARIOS = {
    "cpu": Scenario(lambda ts: [(t, Hour(cpu=88)) for t in ts]),
    "bursts": Scenario(lambda ts: [(t, BURST if i % 7 in (0, 3) else NORMAL) for i, t in enumerate(ts)]),
    "memory": Scenario(lambda ts: [(t, Hour(cpu=50, memory=93)) for t in ts]),
    "tasks": Scenario(lambda ts: [(t, Hour(cpu=70, running=24 if i % 2 else 16)) for i, t in enumerate(ts)]),
    "tasks-light": Scenario(
        lambda ts: [(t, Hour(cpu=70, running=6 if i % 2 else 5)) for i, t in enumerate(ts)],
        stack="light",
        deploy={"task_min": 6, "task_max": 6},
    ),
    "scaling": Scenario(lambda ts: [(t, Hour(cpu=55)) for t in ts], activities=lambda ts: scaling_at(ts, (9, 13))),
    "efs": Scenario(
        lambda ts: [(t, Hour(efs_io=92, slow_s=6, efs_bytes=(36 if i == 5 else 4) * 2**30)) for i, t in enumerate(ts)]
    ),
    "idle": Scenario(lambda ts: [(t, Hour(requests=500, cpu=12, memory=30)) for t in ts]),
    "no-traffic": Scenario(lambda ts: [(t, Hour(requests=0, cpu=3, memory=25)) for t in ts]),
    "quiet-bursts": Scenario(lambda ts: quiet_with_daily_bursts(ts, burst_cpu=97)),
    "quiet": Scenario(lambda ts: [(t, Hour(cpu=55, memory=50)) for t in ts]),
    "no-p95": Scenario(lambda ts: [(t, Hour(response_s=7, slow_s=7.5, response_as_statistic_set=True)) for t in ts]),
    "new": Scenario(lambda ts: [(t, Hour()) for t in ts[-30:]]),
}


class _Patch:
    def setattr(self, target, name, value, raising=True):
        setattr(target, name, value)


def demo(name: str, extra: list[str]) -> int:
    scenario = SCENARIOS.get(name)
    if scenario is None:
        print(f"error: scenario {name!r}: allowed {', '.join(SCENARIOS)}", file=sys.stderr)
        return 2
    with moto_server() as url:
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_ENDPOINT_URL": url,
        }
        os.environ.update(env)
        moto_percentiles(_Patch())
        history = moto_scaling_activities(_Patch())
        stack = deploy(stack=scenario.stack, **scenario.deploy)
        hours = period_starts(HOURS)
        publish(stack, scenario.series(hours))
        history.record(stack, scenario.activities(hours))
        # The outputs name the type the stack runs, as the component exports it.
        deployed = {"instanceType": PROFILE_DEFAULTS[scenario.stack]["instanceType"]}
        outputs = stack.outputs_file(Path(tempfile.mkdtemp()), capacity=deployed)
        args = ["--stack", scenario.stack, "--days", "3", "--period", "3600", "--outputs", outputs, *extra]
        return subprocess.run([sys.executable, "-m", "commands.advise", *args], cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(demo(sys.argv[1] if len(sys.argv) > 1 else "", sys.argv[2:]))
