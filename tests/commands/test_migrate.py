"""commands.migrate end to end: both sides rendered by the engine, exact expectations per move.

Each move is rendered once per module (two engine runs and one policy-pack run each) and
shared by the tests that read it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from itertools import permutations

import pytest

from commands.engine import run_program, stack_config
from commands.migrate import __main__ as migrate_cli
from commands.migrate import plan as migrate_plan
from commands.migrate import report as migrate_report
from commands.migrate.plan import EXIT_BLOCKED, EXIT_DATA_AT_RISK, EXIT_OK, analyse, render_sides
from commands.migrate.replacements import REPLACEMENT_RULES
from commands.migrate.safety import NO_DATA_AT_RISK
from tests.support.stacks import ROOT, SHIPPED_STACKS, render

LT = ("LaunchTemplate", "pypiserver-lt")
ASG = ("Group", "pypiserver-asg")
SCALING = ("Target", "pypiserver-scaling-target")
TASK = ("TaskDefinition", "pypiserver-task")
SERVICE = ("Service", "pypiserver-service")
# Its threshold is the fewest healthy tasks a deploy leaves, which follows the task bounds.
HEALTHY_ALARM = ("MetricAlarm", "pypiserver-healthy-tasks-low")
# Identity the guide's moves must never touch: state, edge, cluster, ASG identity.
MUST_STAY = {
    ("FileSystem", "pypiserver-efs"),
    ("AccessPoint", "pypiserver-efs-ap"),
    ("LoadBalancer", "pypiserver-alb"),
    ("Cluster", "pypiserver-cluster"),
    ("Secret", "pypiserver-credentials"),
    ("RandomPassword", "pypiserver-password"),
    ("LogGroup", "pypiserver-logs"),
    ("Vault", "pypiserver-backup-vault"),
}


def changed(m, action: str) -> set[tuple[str, str]]:
    return {(c.type.split(":")[-1], c.name) for c in m.diff.changes if c.action == action}


def unchanged(m) -> set[tuple[str, str]]:
    return changed(m, "same")


def move(**kwargs):
    defaults = {"stack": None, "from_stack": None, "to_stack": None, "overrides": {}}
    return render_sides(**{**defaults, **kwargs})


@pytest.fixture(scope="module")
def light_to_heavy():
    return move(from_stack="light", to_stack="heavy")


@pytest.fixture(scope="module")
def heavy_to_very_heavy():
    return move(from_stack="heavy", to_stack="very-heavy")


@pytest.fixture(scope="module")
def heavy_to_light():
    return move(from_stack="heavy", to_stack="light")


@pytest.fixture(scope="module")
def heavy_instance_only():
    return move(stack="heavy", overrides={"instanceType": "c6a.2xlarge"})


@pytest.fixture(scope="module")
def light_to_graviton():
    return move(stack="light", overrides={"instanceType": "c6g.xlarge"})


# -- light -> heavy ------------------------------------------------------------------------


def test_light_to_heavy_updates_exactly_template_asg_and_scaling(light_to_heavy):
    m = light_to_heavy
    # The service changes only its deployment floor, set for each stack's task max with its ASG
    # full (light: 6 slots for 6 tasks, 83 %; heavy: 24 for 24, 95 %): one task stops first.
    assert changed(m, "update") == {LT, ASG, SCALING, SERVICE, HEALTHY_ALARM}, (
        "only the instance type, ASG max, task bounds and deployment floor change"
    )
    assert not (changed(m, "replace") | changed(m, "create") | changed(m, "delete"))
    assert MUST_STAY | {TASK} <= unchanged(m), "same container size: no new task definition revision"
    svc = {p.path: (p.old, p.new) for p in next(c for c in m.diff.changes if c.name == SERVICE[1]).properties}
    assert svc == {"deploymentMinimumHealthyPercent": (83, 95)}


def test_light_to_heavy_is_safe_and_exits_zero(light_to_heavy):
    assert light_to_heavy.safety.summary == NO_DATA_AT_RISK
    assert light_to_heavy.exit_code == EXIT_OK


def test_light_to_heavy_rolls_instances_and_doubles_tasks(light_to_heavy):
    r = light_to_heavy.rollout
    assert r.instance_refresh is not None and r.deployment is None
    assert (r.instance_refresh.min_healthy_percent, r.instance_refresh.instance_warmup_seconds) == (100, 300), (
        "read from the ASG's rendered instanceRefresh"
    )
    assert r.warnings == [], "the shipped ASG refreshes protected instances and has room for 12 tasks"
    cap = {c.field: (c.before, c.after) for c in r.capacity}
    assert cap["tasksPerInstance"] == (3, 6) and cap["taskMin"] == (6, 12) and cap["totalWorkers"] == (24, 48)


def test_light_to_heavy_cost_delta_matches_the_two_stacks(light_to_heavy):
    doc = migrate_report.as_json(light_to_heavy)
    cost = doc["cost"]
    # The guide's ~$48 and ~$245 count EC2, ALB and EFS; both stacks add the same network: one
    # NAT gateway and its public IPv4 address for 730 h, and 20 GB/month through it (by hand).
    network = (0.045 + 0.005) * 730 + 20 * 0.045
    assert cost["before"] - network == pytest.approx(48, rel=0.03), "the guide's ~$48 plus the network"
    assert cost["after"] - network == pytest.approx(245, rel=0.03), "the guide's ~$245 plus the network"
    assert cost["delta"] == pytest.approx(cost["after"] - cost["before"])


def test_target_is_rendered_under_the_source_stack_name(light_to_heavy):
    tags = light_to_heavy.after.one("aws:ecs/taskDefinition:TaskDefinition").inputs["tags"]
    assert tags["Stack"] == "light", "the stack keeps its name; only its settings change"
    assert light_to_heavy.kept_keys == [], "heavy sets every key light sets"


def test_policy_runs_on_the_target_as_the_to_stack(light_to_heavy):
    policy = light_to_heavy.policy
    assert policy.available, policy.message
    assert "stack heavy" in policy.message
    assert not policy.blocking, "the shipped heavy stack passes the shipped policy config"


# -- heavy -> very-heavy ------------------------------------------------------------------------


def test_heavy_to_very_heavy_adds_a_task_revision_and_deployment(heavy_to_very_heavy):
    m = heavy_to_very_heavy
    assert changed(m, "replace") == {TASK}, "1024 MiB containers: a new task definition revision"
    assert changed(m, "update") == {LT, ASG, SERVICE}
    assert SCALING in unchanged(m), "12 min / 24 max on both"
    assert unchanged(m) >= MUST_STAY
    d = m.rollout.deployment
    assert d is not None and (d.min_healthy_percent, d.max_percent, d.circuit_breaker, d.rollback) == (
        95,
        200,
        True,
        True,
    )
    assert m.safety.summary == NO_DATA_AT_RISK and m.exit_code == EXIT_OK


# -- heavy -> light ---------------------------------------------------------------------------------


def test_heavy_to_light_advises_stages_and_warns_about_credits(heavy_to_light):
    m = heavy_to_light
    assert changed(m, "update") == {LT, ASG, SCALING, SERVICE, HEALTHY_ALARM} and not changed(m, "replace")
    by_topic = {a.topic: a for a in m.advice}
    assert "c6a.xlarge -> c6a.large -> t3.medium -> t3.small" in by_topic["stages"].message
    assert by_topic["burstable"].level == "warning"
    assert any("holds 6 tasks" in w for w in m.rollout.warnings), "12 running tasks do not fit 2 x t3.small"
    assert m.safety.summary == NO_DATA_AT_RISK


def test_heavy_to_light_policy_uses_lights_settings(heavy_to_light):
    blocking = [v.policy for v in heavy_to_light.policy.violations if v.enforcement_level == "mandatory"]
    assert "compute-optimized-instances" not in blocking, "the shipped config allows burstable on light"


# -- one setting on one stack ------------------------------------------------------------------------


def test_instance_type_only_keeps_the_task_definition(heavy_instance_only):
    m = heavy_instance_only
    # 12 per instance on c6a.2xlarge: the task bounds double, and with them the deployment floor
    # set for the task max (48 tasks in 48 slots: 97 %).
    assert changed(m, "update") == {LT, ASG, SCALING, SERVICE, HEALTHY_ALARM}
    assert {TASK} | MUST_STAY <= unchanged(m)
    svc = {p.path: (p.old, p.new) for p in next(c for c in m.diff.changes if c.name == SERVICE[1]).properties}
    assert svc == {"deploymentMinimumHealthyPercent": (95, 97)}
    lt = next(c for c in m.diff.changes if c.name == "pypiserver-lt")
    assert [(p.path, p.old, p.new) for p in lt.properties] == [("instanceType", "c6a.xlarge", "c6a.2xlarge")]
    assert m.safety.summary == NO_DATA_AT_RISK and m.exit_code == EXIT_OK


def test_graviton_move_switches_the_ami_parameter_to_arm64(light_to_graviton):
    m = light_to_graviton
    # c6g.xlarge holds 6 tasks per instance: light's task bounds and deployment floor change.
    assert changed(m, "update") == {LT, ASG, SCALING, SERVICE, HEALTHY_ALARM} and TASK in unchanged(m)
    lt = {p.path: p for p in next(c for c in m.diff.changes if c.name == "pypiserver-lt").properties}
    assert set(lt) == {"imageId", "instanceType", "tags.EcsAmiParameter"}, "the AMI of the arm64 parameter"
    assert "/arm64/" in lt["tags.EcsAmiParameter"].new and "/arm64/" not in lt["tags.EcsAmiParameter"].old
    images = [
        c["image"]
        for c in json.loads(m.after.one("aws:ecs/taskDefinition:TaskDefinition").inputs["containerDefinitions"])
    ]
    arch_notes = " ".join(a.message for a in m.advice if a.topic == "architecture")
    assert all(f"image {image} publishes arm64" in arch_notes for image in images), (
        "every rendered image is checked for an arm64 build"
    )
    assert not [a for a in m.advice if a.level == "error"] and m.exit_code == EXIT_OK


def test_a_move_into_a_forbidden_shape_is_blocked_by_the_policy_pack(capsys):
    code = migrate_cli.main(["--stack", "heavy", "--set", "instanceType=t3.medium"])
    err = capsys.readouterr().err
    assert code == EXIT_BLOCKED, err
    assert err.startswith("error: blocked: mandatory policy compute-optimized-instances"), err


# -- every move between the shipped profiles ------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped_renders():
    """Each shipped stack as it is, and as each other stack's settings would render it."""
    return {
        (src, dst): run_program(src, stack_config(dst) if dst != src else None)
        for src in SHIPPED_STACKS
        for dst in SHIPPED_STACKS
    }


@pytest.mark.parametrize("src, dst", list(permutations(SHIPPED_STACKS, 2)))
def test_moves_between_shipped_profiles_put_no_data_at_risk(shipped_renders, src, dst):
    before, after = shipped_renders[(src, src)], shipped_renders[(src, dst)]
    m = analyse(before, after, source=src, target=dst)
    assert m.safety.summary == NO_DATA_AT_RISK, [r.describe() for r in m.safety.risks]
    assert not (changed(m, "create") | changed(m, "delete")), "a profile move keeps every resource's identity"
    new_revision = before.config.container_memory != after.config.container_memory
    assert changed(m, "replace") == ({TASK} if new_revision else set()), (
        "only the task definition is replaced, and only when the container size changes"
    )


# -- unsafe moves -------------------------------------------------------------------------------------


def mutated_efs(preview, **inputs):
    return replace(
        preview,
        resources=[
            replace(r, inputs={**r.inputs, **inputs}) if r.type == "aws:efs/fileSystem:FileSystem" else r
            for r in preview.resources
        ],
    )


def test_efs_performance_mode_change_is_data_at_risk(heavy_instance_only):
    m0 = heavy_instance_only
    m = analyse(m0.before, mutated_efs(m0.after, performanceMode="maxIO"), source="heavy", target="mutated")
    at_risk = {(r.type.split(":")[-1], r.action) for r in m.safety.risks}
    assert ("FileSystem", "replace") in at_risk and ("MountTarget", "replace") in at_risk
    assert ("AccessPoint", "replace") in at_risk, "the access point's fileSystemId forces it to follow"
    assert m.exit_code == EXIT_DATA_AT_RISK


def test_efs_rename_is_data_at_risk(heavy_instance_only):
    m0 = heavy_instance_only
    efs = m0.after.one("aws:efs/fileSystem:FileSystem")
    new_urn = efs.urn.replace("::pypiserver-efs", "::pypiserver-packages")
    resources = [replace(r, urn=new_urn, name="pypiserver-packages") if r is efs else r for r in m0.after.resources]
    m = analyse(m0.before, replace(m0.after, resources=resources), source="heavy", target="renamed")
    assert ("FileSystem", "delete") in {(r.type.split(":")[-1], r.action) for r in m.safety.risks}
    assert m.exit_code == EXIT_DATA_AT_RISK


def test_cli_exits_non_zero_on_data_at_risk_whatever_the_flags(heavy_instance_only, monkeypatch, capsys):
    m0 = heavy_instance_only
    sides = iter([m0.before, mutated_efs(m0.after, encrypted=False)])
    monkeypatch.setattr(migrate_plan, "run_program", lambda *a, **k: next(sides))
    code = migrate_cli.main(["--stack", "heavy", "--set", "instanceType=c6a.2xlarge", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == EXIT_DATA_AT_RISK and doc["exitCode"] == EXIT_DATA_AT_RISK
    efs = [r for r in doc["dataSafety"]["risks"] if r["type"] == "aws:efs/fileSystem:FileSystem"]
    assert efs and efs[0]["action"] == "replace" and efs[0]["changed"] == ["encrypted"]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "commands.migrate", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_region_change_is_data_at_risk_even_with_json(capsys):
    code = migrate_cli.main(["--stack", "heavy", "--set", "aws:region=eu-west-1", "--json"])
    err = capsys.readouterr().err
    assert code == EXIT_DATA_AT_RISK, err
    assert "DATA AT RISK" in err and "us-east-1 -> eu-west-1" in err


# -- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--from", "nope", "--to", "heavy"], "unknown stack 'nope'"),
        (["--stack", "heavy", "--set", "instanceTyp=c6a.large"], "pypiserver:instanceTyp is not a known setting"),
        (["--stack", "heavy", "--set", "asgMinSize=0"], "pypiserver:asgMinSize"),
        (["--stack", "heavy", "--set", "instanceType=t3.nano"], "pypiserver:instanceType"),
        (["--from", "light"], "--to"),
        (["--stack", "heavy", "--from", "light", "--to", "heavy"], "not both"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, expected, capsys):
    with pytest.raises(SystemExit) as exit_:
        migrate_cli.main(args)
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert expected in err and err.count("\n") == 1, f"one line naming the problem, got {err!r}"


def test_bad_input_through_the_real_cli_has_no_traceback():
    run = cli("--stack", "heavy", "--set", "efsThroughputMode=turbo")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.startswith("error: pypiserver:efsThroughputMode")


# -- coverage of the replacement table ------------------------------------------------------------------


def test_every_type_the_component_renders_has_replacement_rules():
    full = render("heavy", zoneId="Z0123456789ABCDEFGHIJ", dnsNames=["pypi"], alarmEmails=["ops@example.com"])
    missing = sorted({r.type for r in full.resources if r.custom} - set(REPLACEMENT_RULES))
    assert not missing, f"add these types to commands/migrate/replacements.py: {missing}"


def test_set_is_repeatable_and_space_separated(capsys):
    code = migrate_cli.main(
        ["--stack", "heavy", "--set", "instanceType=c6a.2xlarge asgMaxSize=6", "--set", "taskMaxCount=40", "--json"]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == EXIT_OK
    scaling = next(r for r in doc["resources"] if r["name"] == "pypiserver-scaling-target")
    assert {c["path"]: c["new"] for c in scaling["changes"]}["maxCapacity"] == 40
    asg = next(r for r in doc["resources"] if r["name"] == "pypiserver-asg")
    assert {c["path"]: c["new"] for c in asg["changes"]}["maxSize"] == 6


def test_make_migrate_runs_the_cli():
    run = subprocess.run(
        ["make", "-s", "migrate", "STACK=heavy", "SET=instanceType=c6a.2xlarge", "ARGS=--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["to"] == "heavy + instanceType=c6a.2xlarge" and doc["dataSafety"]["verdict"] == NO_DATA_AT_RISK


def test_long_values_are_shown_where_they_differ():
    old = "# rendered config\nbind = 0.0.0.0:8080\nworkers = 4\n"
    assert (
        migrate_report._change_text(old, old.replace("workers = 4", "workers = 8"), limit=20)
        == "line 3: workers = 4 -> workers = 8"
    )
    ami = "resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
    shown = migrate_report._change_text(ami, ami.replace("/recommended/", "/arm64/recommended/"))
    assert "arm64" in shown.split(" -> ")[1] and "arm64" not in shown.split(" -> ")[0]
