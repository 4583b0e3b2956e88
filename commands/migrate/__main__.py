"""`make migrate FROM=light TO=heavy`: what a move does, before anyone touches production.

    python -m commands.migrate --from light --to heavy [--json]
    python -m commands.migrate --stack heavy --set instanceType=c6a.2xlarge [--set key=value ...] [--json]

Both sides are rendered by the offline engine. A move between stack files renders the
target as the FROM stack with the TO stack's settings applied (the stack keeps its name,
so nothing changes just because the name differs); keys only FROM sets are kept, and said.
Exit codes: 0 safe, 2 bad input, 3 data at risk, 4 blocked (the target cannot work or a
mandatory policy fails).
"""

from __future__ import annotations

import json
import sys

from rich.console import Console

from commands.cli import ArgumentParser, fail
from commands.engine import EngineError, parse_overrides
from commands.policy_client import PolicyError

from .plan import render_sides
from .report import as_json, render


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="commands.migrate", description=__doc__.splitlines()[0])
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
        "--deployed",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="with --stack: a key the deployed stack already has (both sides), e.g. a "
        "rotation's first step before showing its second",
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
    if args.deployed and not args.stack:
        fail("--deployed goes with --stack (a FROM stack file already says what is deployed)")
    try:
        migration = render_sides(
            stack=args.stack,
            from_stack=args.from_stack,
            to_stack=args.to_stack,
            overrides=parse_overrides(args.set),
            policy_config=args.policy_config,
            deployed=parse_overrides(args.deployed),
        )
    except (EngineError, PolicyError) as err:  # PolicyError: a bad --policy-config file
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
