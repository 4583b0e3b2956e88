"""The sizing guide's migration advice, applied to one move, and architecture checks.

From the guide's Migration Guide: upgrade during a low-traffic window and monitor; before a
downgrade check CPU < 50 % and memory < 60 %; change the instance type in stages
(c6a.xlarge -> c6a.large -> t3.medium), monitoring each for 24-48 hours. From its family
table: burstable t3 instances run on CPU credits (20-40 % baseline). From its FAQ: Graviton
(c6g/c7g) works if the images support ARM64; the AMI parameter must be the arm64 one too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal

from components.compute import AMI_PARAMETER_TAG
from guide.ladder import downgrade_stages, size_index
from guide.thresholds import DOWNGRADE_CPU_PERCENT, DOWNGRADE_MEMORY_PERCENT
from guide.type_tokens import ECS_TASK_DEFINITION, LAUNCH_TEMPLATE

Level = Literal["info", "warning", "error"]


# Architectures each image publishes, with where that was checked. Images not listed are
# reported as unknown rather than assumed to work.
MULTI_ARCH_IMAGES: dict[str, tuple[frozenset[str], str]] = {
    "pypiserver/pypiserver": (
        frozenset({"x86_64", "arm64"}),
        "pypiserver/pypiserver .github/workflows/ci.yml: build-push-action platforms linux/amd64,linux/arm64 "
        "(v2 releases)",
    ),
    "nginx": (
        frozenset({"x86_64", "arm64"}),
        "docker-library/official-images library/nginx: alpine tags list amd64 and arm64v8",
    ),
}
# ECS's names for the two architectures (task definition runtimePlatform.cpuArchitecture).
_ECS_ARCH = {"X86_64": "x86_64", "ARM64": "arm64"}


@dataclass(frozen=True)
class Advice:
    level: Level
    topic: str
    message: str


def _is_downgrade(before, after) -> bool:
    b, a = size_index(before.instance_type), size_index(after.instance_type)
    if b is not None and a is not None and a != b:
        return a < b
    return (after.instance_spec.vcpu, after.instance_spec.memory_mib) < (
        before.instance_spec.vcpu,
        before.instance_spec.memory_mib,
    )


def guide_advice(before, after, stack: str = "<stack>") -> list[Advice]:
    """`before`/`after` are the two sides' PypiServerConfig; `stack` is the one being changed."""
    if before.instance_type == after.instance_type:
        return []
    advice: list[Advice] = []
    if _is_downgrade(before, after):
        advice.append(
            Advice(
                "info",
                "downgrade",
                f"validate current usage first (guide): CPU < {DOWNGRADE_CPU_PERCENT:g}% sustained, "
                f"memory < {DOWNGRADE_MEMORY_PERCENT:g}%, low error rates; try the smaller type in a test environment",
            )
        )
        stages = downgrade_stages(before.instance_type, after.instance_type)
        if stages:
            path = " -> ".join([before.instance_type, *stages, after.instance_type])
            advice.append(
                Advice(
                    "warning",
                    "stages",
                    f"{before.instance_type} -> {after.instance_type} is {len(stages) + 1} size steps down: "
                    f"go in stages ({path}), monitoring each for 24-48 hours; next step: "
                    f'make migrate STACK={stack} SET="instanceType={stages[0]}"',
                )
            )
    else:
        advice.append(
            Advice(
                "info",
                "upgrade",
                "apply during a low-traffic window; afterwards watch CPU/memory "
                "utilization, error rates and EFS metrics (guide)",
            )
        )
    if after.instance_spec.instance_class == "burstable" and before.instance_spec.instance_class != "burstable":
        advice.append(
            Advice(
                "warning",
                "burstable",
                f"{after.instance_type} is burstable: it sustains only its baseline (20-40% per vCPU on t3) and "
                "spends CPU credits above it; sustained package serving drains them and throttles the tasks "
                "(or bills surplus credits in unlimited mode). The guide recommends compute-optimized types",
            )
        )
    return advice


# -- architecture ---------------------------------------------------------------------------------


def _image_repository(image: str) -> str:
    """'docker.io/library/nginx:1.28.0-alpine' -> 'nginx'."""
    ref = image.split("@", 1)[0]
    if ":" in ref.rsplit("/", 1)[-1]:
        ref = ref.rsplit(":", 1)[0]
    return re.sub(r"^(docker\.io|registry-1\.docker\.io)/", "", ref).removeprefix("library/")


def _ami_arch(image_id: str) -> str | None:
    """The architecture an ECS-optimized AMI SSM parameter (or resolve:ssm: reference) names."""
    if "/aws/service/ecs/optimized-ami/" not in image_id:
        return None
    return "arm64" if "/arm64/" in image_id else "x86_64"


def architecture_checks(before, after) -> list[Advice]:
    """On the target stack: AMI parameter, task platform and images must match the instance's arch."""
    arch = after.config.instance_spec.arch
    moved = before.config.instance_spec.arch != arch
    checks: list[Advice] = []
    lt = after.single(LAUNCH_TEMPLATE)
    image_id = str((lt.inputs.get("imageId") if lt else "") or "")
    # An AMI id read from the parameter at deploy time: the template names the parameter.
    parameter = str(((lt.inputs.get("tags") if lt else None) or {}).get(AMI_PARAMETER_TAG) or "")
    ami = _ami_arch(image_id) or _ami_arch(parameter)
    image_id = f"{image_id} ({parameter})" if parameter and parameter not in image_id else image_id
    if ami is None:
        checks.append(
            Advice(
                "warning",
                "architecture",
                f"cannot tell the AMI's architecture from imageId {image_id!r}; check it is an {arch} image",
            )
        )
    elif ami != arch:
        checks.append(
            Advice(
                "error",
                "architecture",
                f"{after.config.instance_type} is {arch} but the launch "
                f"template's AMI is {ami} ({image_id}): instances would not boot",
            )
        )
    elif moved:
        checks.append(Advice("info", "architecture", f"AMI parameter follows the move to {arch}: {image_id}"))

    td = after.single(ECS_TASK_DEFINITION)
    platform = ((td.inputs.get("runtimePlatform") if td else None) or {}).get("cpuArchitecture")
    if platform and _ECS_ARCH.get(str(platform).upper()) != arch:
        checks.append(
            Advice(
                "error",
                "architecture",
                f"the task definition pins runtimePlatform.cpuArchitecture "
                f"{platform} but the instances are {arch}: ECS could not place the tasks",
            )
        )
    try:
        containers = json.loads(td.inputs.get("containerDefinitions") or "[]") if td else []
    except ValueError:
        containers = []
    for container in containers:
        repo = _image_repository(str(container.get("image", "")))
        known = MULTI_ARCH_IMAGES.get(repo)
        if known is None:
            checks.append(
                Advice(
                    "warning" if arch == "arm64" else "info",
                    "architecture",
                    f"image {container.get('image')}: architectures unknown to this tool; check it publishes {arch}",
                )
            )
        elif arch not in known[0]:
            checks.append(
                Advice("error", "architecture", f"image {container.get('image')} has no {arch} build ({known[1]})")
            )
        elif moved:
            checks.append(
                Advice("info", "architecture", f"image {container.get('image')} publishes {arch} ({known[1]})")
            )
    return checks
