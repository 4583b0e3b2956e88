"""Project patterns: normalized as names are (PEP 503), `*` for any run of characters."""

import pytest

from pypi_index.rights import allows, canonical_pattern, refusal


@pytest.mark.parametrize(
    "pattern, project, expected",
    [
        ("acme-widgets", "Acme_Widgets", True),
        ("acme-widgets", "acme.widgets", True),
        ("acme-widgets", "acme-widgets-extra", False),
        ("acme-*", "acme-widgets", True),
        ("acme-*", "acme", False),
        ("acme-*", "ACME__tools", True),
        ("*-plugin", "x-plugin", True),
        ("*", "anything", True),
    ],
)
def test_patterns_match_normalized_names(pattern, project, expected):
    assert allows((canonical_pattern(pattern),), project) is expected


def test_patterns_are_stored_normalized():
    assert canonical_pattern("Acme_**.Tools") == "acme-*-tools"


@pytest.mark.parametrize("bad", ["", " acme", "acme widgets", "-acme", "acme-", "ac/me", "acme?"])
def test_a_pattern_no_name_could_match_is_refused(bad):
    with pytest.raises(ValueError) as err:
        canonical_pattern(bad)
    assert "\n" not in str(err.value) and repr(bad) in str(err.value)


def test_the_refusal_names_the_project_normalized():
    assert refusal("user ci", "Acme_Widgets") == "user ci may not publish project 'acme-widgets'"
