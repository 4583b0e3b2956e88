"""The data-safety verdict: does a move replace or delete anything that holds state?

Replacing or deleting one of these resources loses data or breaks every client, whatever
else the move does, so migrate reports it as an error and exits non-zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from guide.type_tokens import (
    BACKUP_VAULT,
    EFS_ACCESS_POINT,
    EFS_FILE_SYSTEM,
    EFS_MOUNT_TARGET,
    LOG_GROUP,
    RANDOM_PASSWORD,
    S3_BUCKET,
    SECRET,
)

from .diff import MigrationDiff

STATEFUL_TYPES: dict[str, str] = {
    EFS_FILE_SYSTEM: "holds every uploaded package; a new file system starts empty",
    EFS_MOUNT_TARGET: "tasks in that subnet lose their NFS mount of the packages",
    EFS_ACCESS_POINT: "the tasks' only way into the packages (uid/gid 9898, /packages)",
    BACKUP_VAULT: "holds the EFS recovery points",
    SECRET: "holds the credentials every pip and twine client uses",
    # Not a secret store, but replacing it generates a new password: every client breaks.
    RANDOM_PASSWORD: "a new password breaks every client's credentials",
    LOG_GROUP: "holds the service's log history",
    S3_BUCKET: "holds the load balancer's access logs (who reached the index, when, with what answer)",
}

NO_DATA_AT_RISK = "no data at risk"

PASSWORD_TYPE = "random:index/randomPassword:RandomPassword"
# A user's token generations: <prefix>-password (0), <prefix>-password-r<N> (components/service.py).
_GENERATION = re.compile(r"^(?P<prefix>.+-password)(?:-r(?P<n>\d+))?$")


def _generation(name: str) -> tuple[str, int] | None:
    m = _GENERATION.match(name)
    return (m["prefix"], int(m["n"] or 0)) if m else None


def _retired_tokens(diff: MigrationDiff) -> set[str]:
    """Passwords deleted while a newer generation of the same user stays: the second step of
    a rotation, which retires a token on purpose (its clients have moved to the new one)."""
    kept: dict[str, int] = {}
    for c in diff.changes:
        g = _generation(c.name) if c.type == PASSWORD_TYPE and c.action not in ("delete", "replace") else None
        if g is not None:
            kept[g[0]] = max(kept.get(g[0], -1), g[1])
    retired = set()
    for c in diff.changes:
        g = _generation(c.name) if c.type == PASSWORD_TYPE and c.action == "delete" else None
        if g is not None and kept.get(g[0], -1) > g[1]:
            retired.add(c.name)
    return retired


@dataclass(frozen=True)
class DataRisk:
    type: str
    name: str
    action: str  # "replace" | "delete" | "move region"
    reason: str
    because_of: tuple[str, ...] = ()  # properties (or causes) that force it
    protected: bool = False

    def describe(self) -> str:
        if self.action == "move region":
            return f"move region {self.name}: {self.reason}"
        cause = f" (changed: {', '.join(self.because_of)})" if self.because_of else ""
        guard = "; it is protected, so `pulumi up` stops with an error" if self.protected else ""
        return f"{self.action} {self.type.split(':')[-1]} {self.name}{cause}: {self.reason}{guard}"


@dataclass(frozen=True)
class SafetyVerdict:
    risks: tuple[DataRisk, ...]

    @property
    def at_risk(self) -> bool:
        return bool(self.risks)

    @property
    def summary(self) -> str:
        if not self.risks:
            return NO_DATA_AT_RISK
        return f"DATA AT RISK: {len(self.risks)} stateful resource(s) would be replaced or deleted"


def assess(diff: MigrationDiff, region_before: str | None = None, region_after: str | None = None) -> SafetyVerdict:
    risks = []
    retired = _retired_tokens(diff)
    for change in diff.changes:
        reason = STATEFUL_TYPES.get(change.type)
        if reason is None or change.action not in ("replace", "delete") or change.name in retired:
            continue
        causes = change.replacing_paths if change.action == "replace" else ()
        risks.append(DataRisk(change.type, change.name, change.action, reason, causes, change.protected))
    if region_before and region_after and region_before != region_after:
        risks.append(
            DataRisk(
                "aws:region",
                f"{region_before} -> {region_after}",
                "move region",
                "every resource, the EFS file system included, is recreated empty in the new region",
                ("aws:region",),
            )
        )
    return SafetyVerdict(tuple(risks))
