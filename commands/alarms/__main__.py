"""`make alarms STACK=heavy`: every alarm the stack renders, evaluated as CloudWatch would over
the datapoints AWS would emit in each scenario; prints the scenario x alarm table.

    python -m commands.alarms --stack heavy [--set key=value ...]

Exits 1 when a failure scenario reaches nobody or a quiet one fires an alarm, 2 on bad input.
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table

from commands.cli import ArgumentParser, fail
from commands.engine import EngineError, parse_overrides, run_program

from .notifications import unheard_line
from .scenarios import INCIDENT_MINUTES, MINUTES, START
from .simulate import simulate, table


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="commands.alarms", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="heavy", help="stack file Pulumi.<stack>.yaml (default: heavy)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a pypiserver:* key")
    args = parser.parse_args(argv)
    try:
        preview = run_program(args.stack, parse_overrides(args.set))
    except EngineError as err:
        fail(str(err))
    results, unsupported = simulate(preview)
    rows = table(results)
    console = Console(width=240)
    grid = Table(*rows[0], title=f"Stack {args.stack}: alarms by scenario (minutes after the incident began)")
    for row in rows[1:]:
        grid.add_row(*row)
    console.print(grid)
    console.print(
        f"{MINUTES} minutes each, incidents from minute {START} for {INCIDENT_MINUTES}; "
        "CloudWatch's evaluation with each alarm's period, datapoints to alarm and treatMissingData"
    )
    for line in [*unsupported, unheard_line(preview)]:
        if line:
            console.print(line)
    return 0 if all(r.heard for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
