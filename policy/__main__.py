"""The pypiserver policy pack: the sizing guide's principles, security and reliability.

The engine runs this file with runpy (run_name "__main__") and the pack directory on
sys.path; building the PolicyPack starts the analyzer server and blocks, so it happens
only here, never on import.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies import ALL_POLICIES

PACK_NAME = "pypiserver-guide"

if __name__ == "__main__":
    PolicyPack(
        name=PACK_NAME,
        description="Sizing, security and reliability rules for pypiserver on ECS/EC2 + EFS + ALB.",
        enforcement_level=EnforcementLevel.MANDATORY,
        policies=ALL_POLICIES,
    )
