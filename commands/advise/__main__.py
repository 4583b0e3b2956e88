"""`make advise STACK=heavy [DAYS=14]`: should this deployed stack move, and where to?

    python -m commands.advise --stack heavy [--days 14] [--period 300] [--outputs FILE | --by-tags]
                             [--region REGION] [--json]

Uses boto3's standard credential chain. Exit codes: 0 advice printed (including "not
enough data"), 2 bad input (arguments, stack file, outputs), 3 AWS could not answer
(credentials, region, resources not found, access denied).
"""

from __future__ import annotations

import json
import sys

import boto3
from botocore.exceptions import BotoCoreError, NoCredentialsError, NoRegionError

from commands.cli import ArgumentParser, fail
from commands.engine import EngineError, stack_config
from components.config import ConfigError, load_config

from . import metrics, resources
from .aws_errors import describe
from .recommend import Recommendation, downgrade_step, recommend
from .report import as_json, render
from .resources import AWS_PROBLEM, FinderError, StackResources
from .rules import MIN_DATA_DAYS, Evaluation, evaluate

# CloudWatch keeps 1-minute data 15 days, 5-minute data 63 days, 1-hour data 455 days.
RETENTION_DAYS = {60: 15, 300: 63, 3600: 455}
DEFAULT_DAYS, DEFAULT_PERIOD = 14, 300


def _regions(session) -> set[str]:
    return {r for p in session.get_available_partitions() for r in session.get_available_regions("ecs", p)}


def _resolve_region(session, stack: str, explicit: str | None) -> str:
    region = explicit or stack_config(stack).get("aws:region") or session.region_name
    if not region:
        fail(f"no region: set aws:region in Pulumi.{stack}.yaml or pass --region")
    if region not in _regions(session):
        fail(
            f"region {region!r} is not an AWS region; e.g. us-east-1, eu-west-1 "
            f"({len(_regions(session))} known to boto3)"
        )
    return region


def _find(session, region: str, stack: str, saved: dict | None, by_tags: bool) -> StackResources:
    if by_tags:
        return resources.from_tags(session, region, stack)
    if saved is not None:
        return resources.from_outputs(session, region, stack, saved, "outputs file")
    cli = resources.pulumi_cli()
    if cli:
        return resources.from_outputs(session, region, stack, resources.read_outputs_cli(stack, cli), "pulumi CLI")
    return resources.from_tags(session, region, stack)


def run(
    stack: str, days: float, period: int, outputs_file: str | None, by_tags: bool, region: str | None, session=None
) -> tuple[StackResources, str, Evaluation, Recommendation]:
    try:
        session = session or boto3.session.Session()
    except BotoCoreError as err:  # e.g. AWS_PROFILE names a profile ~/.aws does not have
        fail(f"AWS configuration: {err}", AWS_PROBLEM)
    try:
        # The stack file prices the advice and names the region: check it before asking AWS.
        load_config(stack_config(stack))
        region = _resolve_region(session, stack, region)
    except (EngineError, ConfigError) as err:
        fail(str(err))
    saved = None
    if outputs_file:  # a bad file is bad input, whatever the credentials
        try:
            saved = resources.read_outputs_file(outputs_file)
            resources.check_outputs(stack, saved, "outputs file")
        except FinderError as err:
            fail(str(err), err.code)
    try:
        if session.get_credentials() is None:
            raise NoCredentialsError()
        found = _find(session, region, stack, saved, by_tags)
        measured = metrics.read(session, region, found, days, period)
    except FinderError as err:
        fail(str(err), err.code)
    except (*metrics.READ_ERRORS, NoRegionError) as err:
        fail(describe(err, region), AWS_PROBLEM)
    evaluation = evaluate(measured, downgrade_step(stack))
    return found, region, evaluation, recommend(stack, evaluation)


def _notes(stack: str, found: StackResources, rec: Recommendation) -> list[str]:
    notes = []
    planned = load_config(stack_config(stack)).instance_type
    if found.deployed_instance_type and found.deployed_instance_type != planned:
        notes.append(
            f"the stack file sets instanceType {planned} but the deployed stack runs "
            f"{found.deployed_instance_type}: run pulumi up (or fix the file) before acting on this advice"
        )
    return notes


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="commands.advise", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True, help="the stack (and its Pulumi.<stack>.yaml), e.g. heavy")
    parser.add_argument("--days", type=float, default=DEFAULT_DAYS, help=f"window in days (default {DEFAULT_DAYS})")
    parser.add_argument(
        "--period",
        type=int,
        default=DEFAULT_PERIOD,
        help=f"seconds per datapoint: 60, 300 or 3600 (default {DEFAULT_PERIOD})",
    )
    parser.add_argument("--outputs", metavar="FILE", help="saved `pulumi stack output --json`")
    parser.add_argument("--by-tags", action="store_true", help="find the resources by their tags, not outputs")
    parser.add_argument("--region", help="default: aws:region of the stack file")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    if args.period not in RETENTION_DAYS:
        fail(f"--period {args.period}: allowed 60, 300 or 3600 seconds")
    limit = RETENTION_DAYS[args.period]
    if not MIN_DATA_DAYS <= args.days <= limit:
        fail(
            f"--days {args.days:g}: allowed {MIN_DATA_DAYS:g} to {limit} with {args.period} s periods "
            f"(CloudWatch keeps them {limit} days; the guide's rules need {MIN_DATA_DAYS:g})"
        )
    if args.outputs and args.by_tags:
        fail("give --outputs FILE or --by-tags, not both")
    found, region, evaluation, rec = run(args.stack, args.days, args.period, args.outputs, args.by_tags, args.region)
    notes = _notes(args.stack, found, rec)
    if args.json:
        json.dump(
            as_json(args.stack, region, args.days, args.period, found, evaluation, rec, notes),
            sys.stdout,
            indent=1,
            default=str,
        )
        print()
    else:
        render(args.stack, region, args.days, args.period, found, evaluation, rec, notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
