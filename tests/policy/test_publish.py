"""policy/ is published alone (`pulumi policy publish` uploads only that folder): a copy of
it, anywhere, starts and judges a stack exactly like the one in the repository, and its
version and changelog agree."""

import re
import shutil

import pytest
import yaml

from commands.policy_client import EXAMPLE_POLICY_CONFIG, PACK_DIR, PolicyPackProcess, load_policy_config
from tests.support.policy_fixtures import STACK_PROJECT, happy_stack, mutate


@pytest.fixture
def pack_alone(tmp_path, monkeypatch):
    """Only policy/, copied elsewhere, with nothing of the repository on the import path."""
    copy = tmp_path / "elsewhere" / "pypiserver-guide"
    shutil.copytree(PACK_DIR, copy, ignore=shutil.ignore_patterns(".venv", "__pycache__", "*.pyc"))
    monkeypatch.delenv("PYTHONPATH", raising=False)
    with PolicyPackProcess(stack="heavy", project=STACK_PROJECT, pack_dir=copy) as process:
        yield process


def test_copy_of_policy_alone_starts_and_judges_like_the_repositorys(pack_alone, pack_pool):
    stack = mutate(
        mutate(happy_stack(), "pypiserver-asg", "minSize", 1), "pypiserver-lt", "instanceType", "c7i-flex.xlarge"
    )
    config = load_policy_config(EXAMPLE_POLICY_CONFIG)
    pack_alone.configure(config)
    alone = sorted((v.policy, v.level, v.urn, v.message) for v in pack_alone.analyze(stack))
    in_repo = pack_pool("heavy")
    in_repo.configure(config)
    assert alone == sorted((v.policy, v.level, v.urn, v.message) for v in in_repo.analyze(stack))
    assert ("asg-min-instances", "mandatory") in {(p, level) for p, level, _, _ in alone}, alone


def test_copy_lists_every_policy_with_its_metadata(pack_alone, pack_pool):
    assert [(p.name, p.severity, p.url) for p in pack_alone.policies] == [
        (p.name, p.severity, p.url) for p in pack_pool("heavy").policies
    ]


def test_changelog_has_an_entry_for_the_pack_version():
    version = str(yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())["version"])
    headings = re.findall(r"^## (\d+\.\d+\.\d+)$", (PACK_DIR / "CHANGELOG.md").read_text(), flags=re.M)
    assert headings and headings[0] == version, f"CHANGELOG.md's newest entry {headings[:1]} must be {version}"
    assert headings == sorted(headings, key=lambda v: tuple(map(int, v.split("."))), reverse=True)
