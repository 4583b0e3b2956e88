"""`make preview STACK=heavy`: what a stack would build and what it costs, offline.

    python -m commands.preview --stack heavy [--json] [--set key=value ...] [--policy-config FILE]

Ends with the policy pack's verdicts; exits 1 when a mandatory policy is violated (as
`pulumi preview --policy-pack policy` fails), 2 on bad input.
"""

from __future__ import annotations

import json
import sys

from rich.console import Console

from commands.cli import ArgumentParser, fail
from commands.engine import PROJECT_ROOT, EngineError, parse_overrides, run_program, stack_config
from commands.policy_client import EXAMPLE_POLICY_CONFIG, PolicyError, blocked, check_preview, load_policy_config

from .report import as_json, render, render_verdicts


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="commands.preview", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="heavy", help="stack file Pulumi.<stack>.yaml (default: heavy)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a pypiserver:* key, e.g. --set instanceType=c6a.2xlarge",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--policy-config",
        metavar="FILE",
        help="the organization's policy pack config (default: policy/config.example.json)",
    )
    args = parser.parse_args(argv)
    policy_config_path = args.policy_config or str(EXAMPLE_POLICY_CONFIG.relative_to(PROJECT_ROOT))
    try:
        policy_config = load_policy_config(args.policy_config or EXAMPLE_POLICY_CONFIG)
        overrides = parse_overrides(args.set)
        preview = run_program(args.stack, overrides)
        verdicts = check_preview(preview, policy_config, stack_config(args.stack, overrides))
    except (EngineError, PolicyError) as err:
        fail(str(err))
    if args.json:
        doc = {
            **as_json(preview),
            "policy": {
                "config": policy_config_path,
                "blocked": blocked(verdicts),
                "verdicts": [v.as_dict() for v in verdicts],
            },
        }
        json.dump(doc, sys.stdout, indent=1, sort_keys=True, default=str)
        print()
    else:
        console = Console(width=140)
        render(preview, console)
        render_verdicts(verdicts, policy_config_path, console)
    return 1 if blocked(verdicts) else 0


if __name__ == "__main__":
    sys.exit(main())
