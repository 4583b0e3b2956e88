"""policy/vendored/: generated copies of the component's sizing facts, never hand-edited.

The pack is published alone (only policy/ is uploaded), so it cannot import components/;
`make vendor-policy` copies the files, and this test fails the moment they drift."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENDORED = (
    "sizing.py",
    "catalog.py",
    "instance_types.py",
    "instance_catalog.json",
    "type_tokens.py",
    "guide_alarms.py",
)


@pytest.mark.parametrize("name", VENDORED)
def test_vendored_copy_is_byte_identical(name):
    source = (ROOT / "components" / name).read_bytes()
    copy = (ROOT / "policy" / "vendored" / name).read_bytes()
    assert copy == source, f"policy/vendored/{name} differs from components/{name}: run `make vendor-policy`"


def test_vendored_modules_need_only_the_standard_library():
    """What the pack imports from vendored/ must not reach back into components/ or Pulumi;
    a relative import may name only another vendored module."""
    siblings = {name.removesuffix(".py") for name in VENDORED if name.endswith(".py")}
    for name in (n for n in VENDORED if n.endswith(".py")):
        text = (ROOT / "policy" / "vendored" / name).read_text()
        imports = [line for line in text.splitlines() if line.startswith(("import ", "from "))]
        outside = [
            i
            for i in imports
            if "components" in i
            or "pulumi" in i
            or (i.startswith("from .") and i.split()[1].removeprefix(".") not in siblings)
        ]
        assert not outside, f"policy/vendored/{name} imports outside the standard library: {outside}"
