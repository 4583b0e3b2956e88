"""guide/instance_types.py: classification by AWS's naming convention.

The oracle for which families exist is botocore's EC2 service model (the `InstanceType`
enum of ec2/service-2.json, pinned in requirements.txt): every family AWS lists for the
classes c, m, r and t gets a case. The expected class of each comes from the series letter
as AWS's "Amazon EC2 instance type naming conventions" page defines it (c compute optimized,
m general purpose, r memory optimized, t burstable), not from the module under test.
"""

import botocore
import botocore.session
import pytest

from guide.instance_types import InstanceTypeNameError, instance_class, parse

# AWS's naming-convention page: the first letter(s) of a family name, for these classes.
EXPECTED_BY_LETTER = {"c": "compute", "m": "general", "r": "memory", "t": "burstable"}
# Series that start with those letters but are other series in the same convention
# (previous-generation "cluster" series, and macOS instances).
OTHER_SERIES = {
    "cc1": "compute",
    "cg1": "accelerated",
    "cr1": "memory",
    "mac1": "general",
    "mac2": "general",
    "mac2-m1ultra": "general",
    "mac2-m2": "general",
    "mac2-m2pro": "general",
    "mac-m3ultra": "general",
    "mac-m4": "general",
    "mac-m4max": "general",
    "mac-m4pro": "general",
    "cc2": "compute",
    "trn1": "accelerated",
    "trn1n": "accelerated",
    "trn2": "accelerated",
    "trn2u": "accelerated",
}


def botocore_instance_types() -> list[str]:
    loader = botocore.session.get_session().get_component("data_loader")
    return list(loader.load_service_model("ec2", "service-2")["shapes"]["InstanceType"]["enum"])


ALL_TYPES = botocore_instance_types()
FAMILIES = sorted({t.split(".", 1)[0] for t in ALL_TYPES})
# One real size per family (the first botocore lists), so each case is a type AWS sells.
EXAMPLE = {}
for _t in ALL_TYPES:
    EXAMPLE.setdefault(_t.split(".", 1)[0], _t)
CMRT_FAMILIES = [f for f in FAMILIES if f[0] in EXPECTED_BY_LETTER]


def expected_class(fam: str) -> str:
    return OTHER_SERIES.get(fam) or EXPECTED_BY_LETTER[fam[0]]


def test_the_oracle_is_botocores_current_model():
    assert botocore.__version__ == "1.44.8", "requirements.txt pins the model these cases were read from"
    assert len(CMRT_FAMILIES) > 100, f"botocore lists {len(CMRT_FAMILIES)} c/m/r/t families"
    for fam in ("c7i-flex", "c6gd", "c8i", "c5", "m7i-flex", "r7iz", "t4g"):
        assert fam in FAMILIES, f"{fam} is in AWS's list"


@pytest.mark.parametrize("fam", CMRT_FAMILIES)
def test_every_c_m_r_t_family_aws_lists_is_classified_by_its_letter(fam):
    assert instance_class(EXAMPLE[fam]) == expected_class(fam), EXAMPLE[fam]


@pytest.mark.parametrize("instance_type", ["c7i-flex.xlarge", "c6gd.xlarge", "c8i.xlarge"])
def test_the_three_false_positives_are_compute_optimized(instance_type):
    assert instance_class(instance_type) == "compute"


def test_every_type_aws_lists_follows_the_convention():
    """No type AWS sells is unparseable or of an unknown series."""
    unparsed, unknown = [], []
    for t in ALL_TYPES:
        try:
            if parse(t).instance_class == "unknown":
                unknown.append(t)
        except InstanceTypeNameError:
            unparsed.append(t)
    assert (unparsed, unknown) == ([], []), (unparsed[:5], unknown[:5])


def test_only_the_c_series_is_compute_optimized():
    compute = sorted({f for f in FAMILIES if instance_class(EXAMPLE[f]) == "compute"})
    assert compute and all(f.startswith("c") and not f.startswith(("cg", "cr")) for f in compute), compute


@pytest.mark.parametrize(
    "name,series,generation,options,variant,size",
    [
        # Examples from AWS's naming-convention page and the EC2 model.
        ("c7gn.xlarge", "c", 7, "gn", "", "xlarge"),
        ("c7i-flex.large", "c", 7, "i", "-flex", "large"),
        ("c6gd.metal", "c", 6, "gd", "", "metal"),
        ("r7iz.metal-32xl", "r", 7, "iz", "", "metal-32xl"),
        ("u7i-12tb.224xlarge", "u", 7, "i", "-12tb", "224xlarge"),
        ("u-6tb1.56xlarge", "u", None, "", "-6tb1", "56xlarge"),
        ("mac2-m2pro.metal", "mac", 2, "", "-m2pro", "metal"),
        ("hpc7g.16xlarge", "hpc", 7, "g", "", "16xlarge"),
        ("im4gn.large", "im", 4, "gn", "", "large"),
    ],
)
def test_name_parts(name, series, generation, options, variant, size):
    p = parse(name)
    assert (p.series, p.generation, p.options, p.variant, p.size) == (series, generation, options, variant, size)


def test_flex_and_capabilities():
    p = parse("c7i-flex.xlarge")
    assert p.flex and p.family == "c7i-flex" and p.capabilities == ("Intel processor",)
    assert parse("c6gd.xlarge").capabilities == ("AWS Graviton processor", "local NVMe instance store")
    assert not parse("c6gd.xlarge").flex


def test_a_future_compute_family_is_compute():
    assert instance_class("c9an.4xlarge") == "compute" and instance_class("m9gd.large") == "general"


@pytest.mark.parametrize(
    "bad", ["c6a", "C6A.large", "c6a.", ".large", "6a.large", "c6a.large.x", "c6a large", "", None, 42]
)
def test_unparseable_names_get_one_line_naming_the_format(bad):
    with pytest.raises(InstanceTypeNameError) as err:
        parse(bad)
    message = str(err.value)
    assert "\n" not in message and "is not an EC2 instance type name" in message and "c7i.large" in message
