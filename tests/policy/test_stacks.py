"""The pack on the real rendered stacks (offline engine) and through `commands.preview`, with
the shipped organization config policy/config.example.json."""

import copy
import json
import subprocess
import sys

import pytest

from commands.policy_client import EXAMPLE_POLICY_CONFIG, load_policy_config
from commands.preview.__main__ import main as preview_main
from tests.support.policy_fixtures import named
from tests.support.stacks import ROOT, SHIPPED_STACKS, render

EXAMPLE = load_policy_config(EXAMPLE_POLICY_CONFIG)


def verdicts_for(pack_pool, stack, policy_config=EXAMPLE, **overrides):
    preview = render(stack, **overrides)
    process = pack_pool(stack)
    process.configure(policy_config)
    return process.analyze(preview.resources)


def mandatory(verdicts):
    return [(v.policy, v.resource) for v in verdicts if v.level == "mandatory"]


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_shipped_stack_passes_every_mandatory_policy(pack_pool, stack):
    assert mandatory(verdicts_for(pack_pool, stack)) == [], f"{stack} must pass with the shipped config"


def test_light_passes_only_because_the_config_names_it(pack_pool):
    without_allowance = copy.deepcopy(EXAMPLE)
    del without_allowance["compute-optimized-instances"]["burstableStacks"]
    assert mandatory(verdicts_for(pack_pool, "light", without_allowance)) == [
        ("compute-optimized-instances", "pypiserver-lt")
    ], "light runs t3.small: blocked unless the config allows it"


def test_allowance_for_light_does_not_cover_other_stacks(pack_pool):
    found = named(verdicts_for(pack_pool, "medium", instanceType="t3.medium"), "compute-optimized-instances")
    assert [v.level for v in found] == ["mandatory"], "burstable on medium is blocked even though light may"


# --- the preview command -----------------------------------------------------------------


def preview(capsys, *args):
    """Run `python -m commands.preview` in-process: (exit code, stdout, stderr)."""
    try:
        code = preview_main(list(args))
    except SystemExit as exit_:
        code = exit_.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize(
    "override,policy",
    [
        ("asgMinSize=1", "asg-min-instances"),
        ("instanceType=m6i.large", "compute-optimized-instances"),
        ("efsThroughputMode=bursting", "efs-throughput-mode"),
        ("taskMaxCount=100", "ecs-task-max-fits-instances"),
        ("taskMaxCount=100", "ecs-task-max-bounded"),
    ],
)
def test_variant_breaking_a_principle_fails_the_preview(capsys, override, policy):
    code, out, err = preview(capsys, "--stack", "heavy", "--set", override, "--json")
    assert code == 1, f"{override}: expected exit 1 (mandatory violation), got {code}: {err}"
    doc = json.loads(out)
    assert doc["policy"]["blocked"] is True
    assert (policy, "mandatory") in {(v["policy"], v["level"]) for v in doc["policy"]["verdicts"]}, (
        f"{override} must be blocked by {policy}"
    )


def test_human_output_ends_with_the_verdicts(capsys):
    code, out, _ = preview(capsys, "--stack", "heavy", "--set", "asgMinSize=1")
    lines = out.rstrip().splitlines()
    assert code == 1
    assert "asg-min-instances" in out and "pypiserver-asg" in out
    assert lines[-1].startswith("Policy: 1 mandatory violation"), lines[-1]


def test_json_carries_every_verdict_field(capsys):
    code, out, _ = preview(capsys, "--stack", "light", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["policy"]["blocked"] is False
    by_policy = {v["policy"]: v for v in doc["policy"]["verdicts"]}
    # The shipped stacks serve plain HTTP and subscribe nobody to their alarms: both advised.
    assert set(by_policy) == {"alb-https-only", "alarms-notify-someone"}
    https = by_policy["alb-https-only"]
    assert https == {
        "policy": "alb-https-only",
        "level": "advisory",
        "severity": "medium",
        "resource": "pypiserver-http",
        "urn": next(r["urn"] for r in doc["resources"] if r["name"] == "pypiserver-http"),
        "description": https["description"],
        "message": https["message"],
    }
    assert "HTTPS" in https["message"]
    assert by_policy["alarms-notify-someone"]["level"] == "advisory"
    assert "pypiserver:alarmEmails" in by_policy["alarms-notify-someone"]["message"]


def write_config(tmp_path, config):
    path = tmp_path / "policy-config.json"
    path.write_text(json.dumps(config) if not isinstance(config, str) else config)
    return str(path)


def test_disabled_policy_reports_nothing(capsys, tmp_path):
    path = write_config(tmp_path, {**EXAMPLE, "asg-min-instances": "disabled"})
    code, out, _ = preview(capsys, "--stack", "heavy", "--set", "asgMinSize=1", "--json", "--policy-config", path)
    assert code == 0, "the only violated policy is disabled"
    assert "asg-min-instances" not in {v["policy"] for v in json.loads(out)["policy"]["verdicts"]}


def test_advisory_policy_does_not_fail_the_exit_code(capsys, tmp_path):
    path = write_config(tmp_path, {**EXAMPLE, "asg-min-instances": {"enforcementLevel": "advisory"}})
    code, out, _ = preview(capsys, "--stack", "heavy", "--set", "asgMinSize=1", "--json", "--policy-config", path)
    assert code == 0, "an advisory violation is reported but does not block"
    assert ("asg-min-instances", "advisory") in {
        (v["policy"], v["level"]) for v in json.loads(out)["policy"]["verdicts"]
    }


@pytest.mark.parametrize(
    "config,fragment",
    [
        (
            {"asg-min-instances": {"minInstances": "two"}},
            "asg-min-instances: minInstances: 'two' is not of type 'integer'",
        ),
        (
            {"asg-min-instances": {"minInstances": 0}},
            "asg-min-instances: minInstances: 0 is less than the minimum of 1",
        ),
        (
            {"efs-throughput-mode": {"allowedModes": ["fast"]}},
            "efs-throughput-mode: allowedModes.0: 'fast' is not one of",
        ),
        ({"asg-min-instance": "mandatory"}, "unknown policy 'asg-min-instance'"),
        (
            {"asg-min-instances": {"minSize": 2}},
            "asg-min-instances: unknown setting 'minSize' (settings: minInstances)",
        ),
        ({"all": "strict"}, "all: 'strict' is not an enforcement level"),
        ({"asg-min-instances": {"enforcementLevel": "blocking"}}, "'blocking' is not an enforcement level"),
        ({"asg-min-instances": 3}, "asg-min-instances: 3 is not valid"),
        ("[1, 2]", "must be a JSON object of policy names"),
    ],
)
def test_invalid_policy_config_is_one_line_and_non_zero(capsys, tmp_path, config, fragment):
    code, out, err = preview(capsys, "--stack", "heavy", "--policy-config", write_config(tmp_path, config))
    assert code == 2, f"expected exit 2 for bad policy config, got {code}"
    assert fragment in err, err
    assert len(err.strip().splitlines()) == 1 and out == "", f"one line on stderr, nothing previewed: {err}"


@pytest.mark.parametrize(
    "args,fragment",
    [
        (("--stack", "nope"), "unknown stack 'nope'"),
        (("--stack", "heavy", "--policy-config", "no/such/file.json"), "policy config no/such/file.json: no such file"),
        (("--stack", "heavy", "--policy-config", "MALFORMED"), "not valid JSON (Expecting ',' delimiter at line 1"),
    ],
)
def test_bad_preview_input_is_one_line_and_non_zero(capsys, tmp_path, args, fragment):
    args = tuple(write_config(tmp_path, '{"all": "mandatory" "x": 1}') if a == "MALFORMED" else a for a in args)
    code, out, err = preview(capsys, *args)
    assert code == 2, f"expected exit 2, got {code}"
    assert fragment in err, err
    assert len(err.strip().splitlines()) == 1 and out == ""


def test_real_command_exits_non_zero_on_a_mandatory_violation():
    """End to end, as CI runs it: a subprocess, the pack in its own process, the exit code."""
    run = subprocess.run(
        [sys.executable, "-m", "commands.preview", "--stack", "heavy", "--set", "efsThroughputMode=bursting"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 1, run.stderr
    assert "efs-throughput-mode" in run.stdout and "Traceback" not in run.stderr
