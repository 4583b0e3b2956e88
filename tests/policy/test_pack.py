"""policy/: a pack that can be published alone and is built only when run."""

import re
import runpy

import pytest
import yaml
from jsonschema import Draft7Validator

from commands.policy_client import EXAMPLE_POLICY_CONFIG, PACK_DIR, PolicyInfo, load_policy_config, reconcile
from tests.support.policy_fixtures import ALL_POLICIES

KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)+$")


def test_policy_project_file_declares_python_virtualenv_and_version():
    project = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["virtualenv"], "the pack has its own virtualenv"
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(project["version"])), "Python packs take their version from here"


def test_pack_requirements_are_pinned_exactly():
    lines = [
        line.strip()
        for line in (PACK_DIR / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines and all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.]*", line) for line in lines), lines
    assert any(line.startswith("pulumi-policy==") for line in lines)


def test_pack_imports_nothing_outside_policy():
    """`pulumi policy publish` uploads only policy/: components/ and commands/ are not there."""
    offenders = []
    for path in PACK_DIR.rglob("*.py"):
        for line in path.read_text().splitlines():
            if re.match(r"\s*(from|import)\s+(components|offline|tests)\b", line):
                offenders.append(f"{path.relative_to(PACK_DIR)}: {line.strip()}")
    assert offenders == []


def test_main_builds_no_pack_unless_run_as_main(capfd):
    """Building a PolicyPack starts a server and blocks; importing the pack must not."""
    namespace = runpy.run_path(str(PACK_DIR / "__main__.py"), run_name="imported")
    assert namespace["PACK_NAME"] == "pypiserver-guide"
    assert capfd.readouterr().out == "", "no port printed: no server started"


@pytest.mark.parametrize("policy", ALL_POLICIES, ids=lambda p: p.name)
def test_policy_is_kebab_case_and_described(policy):
    assert KEBAB.match(policy.name), f"{policy.name} must be kebab-case"
    assert policy.description.endswith("."), "a one-sentence description"
    assert policy.enforcement_level is not None, "each policy states its default level"


def test_policy_names_are_unique():
    names = [p.name for p in ALL_POLICIES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("policy", [p for p in ALL_POLICIES if p.config_schema], ids=lambda p: p.name)
def test_every_setting_has_a_default_and_a_description(policy):
    for key, prop in policy.config_schema.properties.items():
        assert "default" in prop and prop.get("description"), f"{policy.name}.{key}"


@pytest.mark.parametrize("policy", [p for p in ALL_POLICIES if p.config_schema], ids=lambda p: p.name)
def test_every_setting_is_typed_down_to_its_items_and_its_default_fits(policy):
    """The engine validates an organization's config against these schemas: an untyped setting
    would accept anything."""
    for key, prop in policy.config_schema.properties.items():
        assert "type" in prop, f"{policy.name}.{key}"
        if prop["type"] == "array":
            assert "type" in prop.get("items", {}), f"{policy.name}.{key} items"
        if prop["type"] == "object" and "additionalProperties" in prop:
            assert isinstance(prop["additionalProperties"], dict), f"{policy.name}.{key} values"
        assert Draft7Validator(prop).is_valid(prop["default"]), f"{policy.name}.{key} default"


def test_example_config_is_valid_for_the_pack():
    infos = [
        PolicyInfo(
            p.name, p.description, p.enforcement_level.value, p.config_schema.properties if p.config_schema else {}
        )
        for p in ALL_POLICIES
    ]
    reconciled = reconcile(infos, load_policy_config(EXAMPLE_POLICY_CONFIG))
    assert reconciled["compute-optimized-instances"].properties["burstableStacks"] == ["light"]
    assert {n for n, c in reconciled.items() if c.level == "advisory"} == {
        "instance-min-vcpu",
        "asg-max-instances",
        "alb-https-only",
        "alarms-notify-someone",
    }, "example: all mandatory except fewer-beefier/https/subscribers"


# --- metadata the Pulumi Cloud console and the CLI show ----------------------------------

from pulumi_policy import Severity  # noqa: E402

from policies import deployability, reliability, security, sizing  # noqa: E402

CONCERN_OF = {
    p.name: module.__name__.rsplit(".", 1)[-1]
    for module in (sizing, security, reliability, deployability)
    for p in module.POLICIES
}


@pytest.mark.parametrize("policy", ALL_POLICIES, ids=lambda p: p.name)
def test_policy_has_severity_remediation_and_url(policy):
    assert isinstance(policy.severity, Severity), f"{policy.name} needs a severity"
    steps = policy.remediation_steps or ""
    assert re.match(r"^(Set|Add|Remove|Lower)\b", steps) and steps.endswith("."), (
        f"{policy.name}: remediation steps say what to change, as a sentence: {steps!r}"
    )
    assert re.fullmatch(r"https://docs\.aws\.amazon\.com/[\w./#-]+", policy.url or ""), policy.url


@pytest.mark.parametrize("policy", ALL_POLICIES, ids=lambda p: p.name)
def test_policy_is_grouped_by_its_module(policy):
    concern = CONCERN_OF[policy.name]
    assert policy.tags == [concern], f"{policy.name} lives in {concern}.py"
    assert policy.framework is not None and policy.framework.name, policy.name


def test_mandatory_security_policies_are_at_least_high():
    weak = [
        p.name
        for p in security.POLICIES
        if p.enforcement_level.value == "mandatory" and p.severity not in (Severity.HIGH, Severity.CRITICAL)
    ]
    assert weak == []
