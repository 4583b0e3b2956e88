"""The built-in instance catalog."""

import pytest

from guide.catalog import catalog, family

REQUIRED_FAMILIES = ("t3", "t3a", "c5", "c6a", "c6i", "c6g", "c7a", "c7i", "c7g", "m6i", "m7i")


@pytest.mark.parametrize("fam", REQUIRED_FAMILIES)
def test_family_has_large_to_its_largest_listed_size(fam):
    # AWS makes no t3/t3a.4xlarge: burstable families stop at 2xlarge.
    sizes = ("large", "xlarge", "2xlarge") if fam.startswith("t") else ("large", "xlarge", "2xlarge", "4xlarge")
    for size in sizes:
        assert f"{fam}.{size}" in catalog(), f"catalog should list {fam}.{size}"


def test_t3_small_and_medium_are_listed():
    assert {"t3.small", "t3.medium"} <= set(catalog())


def test_graviton_families_are_arm64_and_others_x86():
    for name, spec in catalog().items():
        expected = "arm64" if family(name) in ("c6g", "c7g") else "x86_64"
        assert spec.arch == expected, f"{name} should be {expected}"


def test_classes_follow_the_family_letter():
    expected = {"c": "compute", "t": "burstable", "m": "general"}
    for name, spec in catalog().items():
        assert spec.instance_class == expected[name[0]], f"{name} should be {expected[name[0]]}"


def test_guide_prices_are_the_guides():
    assert catalog()["t3.small"].hourly_usd == 0.0208
    assert catalog()["c6a.xlarge"].hourly_usd == 0.153
    assert catalog()["c6a.2xlarge"].hourly_usd == 0.306


def test_memory_scales_with_size_within_a_family():
    for fam in (f for f in REQUIRED_FAMILIES if not f.startswith("t")):
        mems = [catalog()[f"{fam}.{s}"].memory_mib for s in ("large", "xlarge", "2xlarge", "4xlarge")]
        assert mems == sorted(mems) and mems[-1] == 8 * mems[0], f"{fam} memory should double per size"


def test_catalog_says_where_each_figure_comes_from():
    import json

    from guide.catalog import CATALOG_PATH, sources

    fields = {k for v in json.loads(CATALOG_PATH.read_text())["instanceTypes"].values() for k in v}
    assert fields == {"vcpu", "memoryMib", "hourlyUsd", "arch"}, "the class is read from the name, not stored"
    assert fields <= set(sources()), f"no source for {sorted(fields - set(sources()))}"
    assert "pricing" in sources()["hourlyUsd"] and "getInstanceType" in sources()["vcpu"]
