"""Which binding a verified identity token speaks for: the claims PyPI compares for its
GitHub and GitLab publishers, against the bindings the task renders from the stack's config
(contract.ENV_TRUSTED_PUBLISHERS; keys as components/config/trusted_publishing.py dumps them).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Match:
    binding: dict
    repository: str
    workflow: str
    run_id: str


class NoPublisher(Exception):
    """Valid token, but no binding takes it. str() is the reason, one line."""


def _claim(claims: dict, name: str) -> str:
    value = claims.get(name)
    if value is None:
        raise NoPublisher(f"Missing claim {name!r}")
    if not isinstance(value, str):
        raise NoPublisher(f"Claim {name!r} is not a string")
    return value


def _github(binding: dict, claims: dict) -> Match:
    repository = _claim(claims, "repository")
    if repository.lower() != binding["repository"].lower():
        raise NoPublisher("Check failed for required claim 'repository'")
    if "repository_owner_id" in binding and claims.get("repository_owner_id") != binding["repository_owner_id"]:
        raise NoPublisher("Check failed for required claim 'repository_owner_id'")
    if claims.get("event_name") == "pull_request_target":
        raise NoPublisher("Publishing from pull_request_target events is not allowed")
    job_workflow_ref = _claim(claims, "job_workflow_ref")
    ref, sha = claims.get("ref") or "", claims.get("sha") or ""
    if not ref and not sha:
        raise NoPublisher("The ref and sha claims are both empty")
    expected = f"{binding['repository']}/.github/workflows/{binding['workflow']}".lower()
    path, _, at = job_workflow_ref.partition("@")
    if path.lower() != expected or at not in {r for r in (ref, sha) if r}:
        raise NoPublisher("Check failed for required claim 'job_workflow_ref'")
    if "environment" in binding and str(claims.get("environment", "")).lower() != binding["environment"].lower():
        raise NoPublisher("Check failed for optional claim 'environment'")
    if "ref" in binding and not fnmatchcase(ref, binding["ref"]):
        raise NoPublisher("Check failed for optional claim 'ref'")
    return Match(binding, repository, binding["workflow"], str(claims.get("run_id", "")))


def _gitlab(binding: dict, claims: dict) -> Match:
    project = _claim(claims, "project_path")
    if project.lower() != binding["project"].lower():
        raise NoPublisher("Check failed for required claim 'project_path'")
    sub = _claim(claims, "sub").split(":")
    if len(sub) < 2 or f"{sub[0]}:{sub[1]}".lower() != f"project_path:{binding['project']}".lower():
        raise NoPublisher("Check failed for required claim 'sub'")
    ref_path, sha = _claim(claims, "ref_path"), _claim(claims, "sha")
    if not ref_path or not sha:
        raise NoPublisher("The ref_path and sha claims must both be set")
    host = urlsplit(binding["issuer"]).netloc
    base = f"{host}/{binding['project']}//{binding['ci_config_path']}".lower()
    path, _, at = _claim(claims, "ci_config_ref_uri").partition("@")
    if path.lower() != base or at not in (ref_path, sha):
        raise NoPublisher("Check failed for required claim 'ci_config_ref_uri'")
    if "environment" in binding and claims.get("environment") != binding["environment"]:
        raise NoPublisher("Check failed for optional claim 'environment'")
    if "ref" in binding and not fnmatchcase(ref_path, binding["ref"]):
        raise NoPublisher("Check failed for optional claim 'ref'")
    return Match(binding, project, binding["ci_config_path"], str(claims.get("pipeline_id", "")))


_CHECKS = {"github": _github, "gitlab": _gitlab}
_OTHER_REPOSITORY = (
    "Check failed for required claim 'repository'",
    "Check failed for required claim 'project_path'",
)


def match(bindings: list[dict], issuer: str, claims: dict) -> Match:
    """The most specific binding (an environment, then a ref, pinned first) that takes the
    claims; NoPublisher with the reason of the closest miss otherwise."""
    candidates = [b for b in bindings if b["issuer"] == issuer]
    candidates.sort(key=lambda b: ("environment" not in b, "ref" not in b, b["id"]))
    reason = "Publisher with matching claims was not found"
    for binding in candidates:
        try:
            return _CHECKS[binding["provider"]](binding, claims)
        except NoPublisher as err:
            if str(err) not in _OTHER_REPOSITORY:
                reason = str(err)  # the same repository: say which claim differed
    raise NoPublisher(reason)
