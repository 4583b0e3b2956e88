"""The guide's four profiles ("Quick Recommendations"): the instance type, ASG size and
container memory each starts from, plus the storage and LCU figures its cost breakdown
assumes. A stack file names a profile and overrides only what differs."""

from __future__ import annotations

from typing import Any, Literal

Profile = Literal["light", "medium", "heavy", "very-heavy"]

PROFILE_DEFAULTS: dict[str, dict[str, Any]] = {
    "light": {
        "instanceType": "t3.small",
        "asgMinSize": 2,
        "asgMaxSize": 2,
        "containerMemory": 512,
        "expectedStorageGb": 1,
        "expectedLcuUsdPerMonth": 1,
    },
    "medium": {
        "instanceType": "c6a.large",
        "asgMinSize": 2,
        "asgMaxSize": 4,
        "containerMemory": 512,
        "expectedStorageGb": 5,
        "expectedLcuUsdPerMonth": 2,
    },
    "heavy": {
        "instanceType": "c6a.xlarge",
        "asgMinSize": 2,
        "asgMaxSize": 4,
        "containerMemory": 512,
        "expectedStorageGb": 10,
        "expectedLcuUsdPerMonth": 3,
    },
    "very-heavy": {
        "instanceType": "c6a.2xlarge",
        "asgMinSize": 2,
        "asgMaxSize": 4,
        "containerMemory": 1024,
        "expectedStorageGb": 50,
        "expectedLcuUsdPerMonth": 5,
    },
}

# The guide's smallest configuration (2 x t3.small): no downgrade goes below it.
SMALLEST_INSTANCE_TYPE: str = PROFILE_DEFAULTS["light"]["instanceType"]
