"""The README's short sections say what the code and the tested docs say: its layout names
every package and module there is, its CI snippet is a config the stack accepts, its limits
and bounds are limits.py's and the task's, its advisor lines are the tested examples'."""

from __future__ import annotations

import json
import re
from typing import get_args

import pytest
import yaml

from commands.advise.recommend import Action
from components.config import load_config
from pypi_index import limits
from task.spec import IN_PLACE_CHANGE_BOUND_SECONDS, MAX_UPLOAD_MIB, OUT_OF_BAND_BOUND_SECONDS
from tests.commands.test_advise import documented_examples
from tests.support.stacks import ROOT

README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def unnamed(tree: str) -> list[str]:
    """Packages, and modules or sub-packages of the ones the layout details, the tree leaves out."""
    named = set(re.findall(r"[\w.]+", tree))
    packages = sorted(p.parent.name for p in ROOT.glob("*/__init__.py") if p.parent.name != "tests")
    missing = [f"{p}/" for p in packages if p not in named]
    for package in ("components", "task", "pypi_index", "oidc_exchange", "commands", "tools"):
        for child in sorted((ROOT / package).iterdir()):
            module = child.suffix == ".py" and not child.name.startswith("__")
            subpackage = (child / "__init__.py").exists()
            if (module or subpackage) and child.name not in named:
                missing.append(f"{package}/{child.name}")
    return missing


def test_the_layout_names_every_package_and_module():
    [tree] = blocks(section("Layout"), "")
    assert unnamed(tree) == [], "the README's layout must name them"


def test_the_layout_check_sees_a_module_left_out():
    [tree] = blocks(section("Layout"), "")
    assert unnamed(tree.replace("bundles.py", "")) == ["task/bundles.py"]
    assert unnamed(tree.replace("oidc_exchange/", "")) == ["oidc_exchange/"]


def test_the_trusted_publishing_snippet_is_a_config_the_stack_accepts():
    [config, jobs] = blocks(section("Publishing from CI with no stored secret"), "yaml")
    trusted = yaml.safe_load(config)["pypiserver:trustedPublishing"]
    cfg = load_config(
        {
            "pypiserver:profile": "heavy",
            "pypiserver:zoneId": "Z0123456789ABCDEFGHIJ",
            "pypiserver:trustedPublishing": json.dumps(trusted),
        }
    )
    tp = cfg.trusted_publishing
    assert {b["provider"] for b in tp.bindings()} == {"github", "gitlab"}
    audience = tp.audience_for("heavy")
    variable = re.sub(r"[^A-Z0-9]", "_", audience.upper()) + "_ID_TOKEN"
    assert f"{{{variable}: {{aud: {audience}}}}}" in jobs, "GitLab's variable and audience are the stack's"
    assert f"valid {tp.token_minutes} minutes" in " ".join(section("Publishing from CI with no stored secret").split())


def test_the_security_section_states_every_limit_with_its_value():
    text = section("Security")
    rows = {
        cells[0]: cells[1]
        for cells in (line.strip("|").split("|") for line in text.splitlines() if line.startswith("| "))
    }
    rows = {k.strip(): v.strip() for k, v in rows.items()}
    mib = limits.MIB
    assert rows["upload body"] == f"{MAX_UPLOAD_MIB} MiB"
    assert rows["filename (and a project name given to remove or yank)"] == f"{limits.MAX_FILENAME_BYTES} bytes, ASCII"
    assert rows["members of one archive"] == f"{limits.MAX_ARCHIVE_MEMBERS:,}"
    assert rows["zip central directory"] == f"{limits.MAX_ZIP_DIRECTORY_BYTES:,} bytes (512 per member)"
    assert rows["unpacked size, as declared"] == (
        f"{limits.UNPACK_RATIO} × the archive's size, at least {limits.UNPACK_FLOOR_BYTES // mib} MiB, "
        f"at most {limits.MAX_UNPACKED_BYTES // (1024 * mib)} GiB"
    )
    assert (
        rows["METADATA / PKG-INFO"] == f"{limits.MAX_METADATA_BYTES // mib} MiB ({limits.MAX_METADATA_BYTES:,} bytes)"
    )
    assert rows["a tar extended header (PAX, GNU long name)"] == (
        f"{limits.MAX_TAR_EXTENDED_HEADER_BYTES // 1024} KiB ({limits.MAX_TAR_EXTENDED_HEADER_BYTES:,} bytes)"
    )
    assert rows["yank reason"] == f"{limits.MAX_YANK_REASON_CHARS} characters"
    flat = " ".join(text.split())
    assert f"(reflected within {OUT_OF_BAND_BOUND_SECONDS} s)" in flat
    assert f"noticed within {IN_PLACE_CHANGE_BOUND_SECONDS} s in place" in flat


ADVISOR_ROWS = [
    (m.group(1), m.group(2))
    for m in re.finditer(r"^\| `([a-z0-9-]+)`: [^|]+\| `([^`]+)` \|$", section("The advisor"), re.M)
]


def test_the_advisor_section_shows_one_example_per_recommendation_kind():
    shown = {line.removeprefix("recommendation: ").split(" to ")[0].split(" (")[0] for _, line in ADVISOR_ROWS}
    assert shown == set(get_args(Action)), "every action the advisor can recommend, and only those"


@pytest.mark.parametrize("scenario, line", ADVISOR_ROWS)
def test_each_advisor_line_is_the_tested_examples(scenario, line):
    excerpts = dict(documented_examples())
    assert line in excerpts[scenario], f"docs/advisor.md's `{scenario}` example (checked against the advisor) prints it"
