"""A client of the Pulumi analyzer protocol: runs the policy pack as `pulumi preview
--policy-pack` does, with no CLI and no cloud. Printing verdicts is left to the commands."""

from .config import LEVELS, PolicyConfig, load_policy_config, reconcile
from .process import (
    EXAMPLE_POLICY_CONFIG,
    PACK_DIR,
    AnalyzerClient,
    PolicyPackProcess,
    blocked,
    check,
    check_preview,
    sort_verdicts,
)
from .records import PolicyError, PolicyInfo, Resource, Verdict

__all__ = [
    "EXAMPLE_POLICY_CONFIG",
    "LEVELS",
    "PACK_DIR",
    "AnalyzerClient",
    "PolicyConfig",
    "PolicyError",
    "PolicyInfo",
    "PolicyPackProcess",
    "Resource",
    "Verdict",
    "blocked",
    "check",
    "check_preview",
    "load_policy_config",
    "reconcile",
    "sort_verdicts",
]
