""".github/workflows/policy.yml: the CI example stays in step with the stacks and the pack."""

import yaml

from commands.engine import available_stacks
from tests.support.stacks import ROOT

WORKFLOW = yaml.safe_load((ROOT / ".github/workflows/policy.yml").read_text())


def steps(job):
    return " ".join(str(s.get("run", "")) for s in WORKFLOW["jobs"][job]["steps"])


def test_every_stack_file_is_checked_in_both_jobs():
    stacks = available_stacks()
    for job in ("offline-policy-check", "pulumi-preview"):
        assert sorted(WORKFLOW["jobs"][job]["strategy"]["matrix"]["stack"]) == stacks, f"{job} must cover {stacks}"


def test_cli_job_runs_preview_with_the_pack_and_the_config():
    run = steps("pulumi-preview")
    assert "pulumi preview" in run and "--policy-pack policy" in run and '--policy-pack-config "$POLICY_CONFIG"' in run


def test_offline_job_runs_the_offline_preview_with_the_config():
    assert 'python -m commands.preview --stack ${{ matrix.stack }} --policy-config "$POLICY_CONFIG"' in steps(
        "offline-policy-check"
    )


def test_config_file_named_by_the_workflow_exists():
    assert (ROOT / WORKFLOW["env"]["POLICY_CONFIG"]).is_file()
