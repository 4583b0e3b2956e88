"""Print `commands.advise`'s report for one of the test scenarios, against moto (no AWS):

    .venv/bin/python tests/support/advise_demo.py cpu|bursts|memory|tasks|efs|idle|new [--json]

The same deployed stack and series as tests/commands/test_advise.py; the arguments after the
scenario go to the advisor (default: --stack heavy --days 3 --period 3600 --outputs FILE).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from anywhere

from moto import mock_aws  # noqa: E402

from commands.advise.__main__ import main  # noqa: E402
from tests.support.advise_fixtures import Hour, deploy, moto_percentiles, period_starts, publish  # noqa: E402

NORMAL = Hour(cpu=45, memory=65)
BURST = Hour(requests=200_000, response_s=1.5, slow_s=12, cpu=97, memory=65, target_5xx=1500, elb_5xx=1500, running=20)
SCENARIOS = {
    "cpu": lambda ts: [(t, Hour(cpu=88)) for t in ts],
    "bursts": lambda ts: [(t, BURST if i % 7 in (0, 3) else NORMAL) for i, t in enumerate(ts)],
    "memory": lambda ts: [(t, Hour(cpu=50, memory=93)) for t in ts],
    "tasks": lambda ts: [(t, Hour(cpu=70, running=24 if i % 2 else 16)) for i, t in enumerate(ts)],
    "efs": lambda ts: [
        (t, Hour(efs_io=92, slow_s=6, efs_bytes=(36 if i == 5 else 4) * 2**30)) for i, t in enumerate(ts)
    ],
    "idle": lambda ts: [(t, Hour(requests=500, cpu=12, memory=30)) for t in ts],
    "new": lambda ts: [(t, Hour()) for t in ts[-30:]],
}


class _Patch:
    def setattr(self, target, name, value):
        setattr(target, name, value)


def demo(scenario: str, extra: list[str]) -> int:
    if scenario not in SCENARIOS:
        print(f"error: scenario {scenario!r}: allowed {', '.join(SCENARIOS)}", file=sys.stderr)
        return 2
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ[key] = "testing"
    with mock_aws():
        moto_percentiles(_Patch())
        stack = deploy()
        publish(stack, SCENARIOS[scenario](period_starts(72)))
        outputs = stack.outputs_file(Path(tempfile.mkdtemp()))
        return main(["--stack", "heavy", "--days", "3", "--period", "3600", "--outputs", outputs, *extra])


if __name__ == "__main__":
    sys.exit(demo(sys.argv[1] if len(sys.argv) > 1 else "", sys.argv[2:]))
