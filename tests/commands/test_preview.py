"""`make preview`: the offline preview command, run as users run it (a real subprocess)."""

import json
import subprocess
import sys

import pytest

from tests.support.stacks import ROOT


def preview(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "commands.preview", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_human_output_shows_tree_settings_capacity_and_cost():
    run = preview("--stack", "heavy")
    assert run.returncode == 0, run.stderr
    for expected in (
        "aws:efs/fileSystem:FileSystem",
        "pypiserver-efs",
        "c6a.xlarge",
        "12 / 24",
        "limited by cpu",
        "$245.58",
        "pypiserver-ecs-cpu-high",
        "elastic",
        # the network it builds, and what that costs: $245.58 + one NAT's $37.40
        "aws:ec2/natGateway:NatGateway",
        "$37.40",
        "$282.98",
        "20 GB/month assumed",
    ):
        assert expected in run.stdout, f"preview should show {expected!r}"


def test_json_has_resources_capacity_and_cost():
    run = preview("--stack", "light", "--json")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    types = {r["type"] for r in doc["resources"]}
    assert "aws:autoscaling/group:Group" in types
    assert all({"urn", "type", "name", "parent", "inputs"} <= r.keys() for r in doc["resources"])
    assert (doc["capacity"]["taskMin"], doc["capacity"]["taskMax"]) == (6, 6), "light: 6 tasks, capped at 6"
    assert doc["cost"]["guideItems"] == pytest.approx(48, rel=0.03), "the guide's ~$48 (EC2, ALB, EFS)"
    # One NAT gateway ($0.045/h) with its public IPv4 address ($0.005/h), 730 h, 20 GB at $0.045.
    assert doc["cost"]["network"] == pytest.approx((0.045 + 0.005) * 730 + 20 * 0.045)
    assert doc["cost"]["total"] == pytest.approx(doc["cost"]["guideItems"] + doc["cost"]["network"])


def test_set_overrides_a_key():
    doc = json.loads(preview("--stack", "heavy", "--json", "--set", "instanceType=c6a.2xlarge").stdout)
    assert doc["settings"]["instanceType"] == "c6a.2xlarge"
    assert doc["capacity"]["tasksPerInstance"] == 12


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("--stack", "nope"), "unknown stack 'nope'"),
        (("--stack", "heavy", "--set", "asgMinSize=3", "--set", "asgMaxSize=2"), "pypiserver:asgMinSize"),
        (("--stack", "heavy", "--set", "bogusKey=1"), "pypiserver:bogusKey is not a known setting"),
        (("--stack", "heavy", "--set", "justakey"), "expected key=value"),
        (("--frobnicate",), "unrecognized arguments: --frobnicate"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(args, fragment):
    run = preview(*args)
    assert run.returncode == 2, f"expected exit 2, got {run.returncode}"
    assert fragment in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, f"expected one line, got: {run.stderr}"
    assert run.stdout == "", "nothing may be previewed on bad input"


def test_set_value_with_spaces_can_be_quoted():
    from commands.engine import parse_overrides

    assert parse_overrides(["backupSchedule='cron(0 3 ? * SUN *)' asgMaxSize=3"]) == {
        "backupSchedule": "cron(0 3 ? * SUN *)",
        "asgMaxSize": "3",
    }
    run = preview("--stack", "heavy", "--set", "backupSchedule='rate(12 hours)'")
    assert run.returncode == 2 and "pypiserver:backupSchedule" in run.stderr and "6-field cron" in run.stderr


def test_alarms_that_reach_nobody_are_said_in_one_line():
    run = preview("--stack", "heavy")
    lines = [line for line in run.stdout.splitlines() if line.startswith("alarms:")]
    assert len(lines) == 1 and "reach nobody" in lines[0] and "pypiserver:alarmEmails" in lines[0], lines
    subscribed = preview("--stack", "heavy", "--set", 'alarmEmails=["ops@example.com"]')
    assert subscribed.returncode == 0 and "reach nobody" not in subscribed.stdout
    doc = json.loads(preview("--stack", "heavy", "--json").stdout)
    assert doc["alarmsReachNobody"] == lines[0]
