"""Find a deployed stack's AWS resources: from its outputs (a file saved from
`pulumi stack output --json`, or the Pulumi CLI when it is installed), or from the tags the
component puts on everything (Service=pypiserver, Stack=<stack>, ManagedBy=pulumi).

The outputs name the cluster, service, file system and the load balancer's DNS name;
ARNs (loadBalancerArn, serviceArn, targetGroupArn) are used when a stack exports them and
looked up from the names otherwise, so older and newer stacks both work.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from commands.engine import PROJECT_ROOT

TAG_SERVICE = ("Service", "pypiserver")
REQUIRED_OUTPUTS = ("clusterName", "serviceName", "efsId", "albDnsName")


class FinderError(Exception):
    """One line for the user; `code` is the exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


BAD_INPUT, AWS_PROBLEM = 2, 3


@dataclass(frozen=True)
class StackResources:
    cluster_name: str
    service_name: str
    service_arn: str
    load_balancer_arn: str
    target_group_arn: str | None
    file_system_id: str
    found_by: str  # "outputs file", "pulumi CLI", "tags"
    deployed_instance_type: str | None = None

    @property
    def load_balancer_dimension(self) -> str:
        """CloudWatch's LoadBalancer dimension: the ARN's suffix, app/<name>/<id>."""
        return self.load_balancer_arn.split(":loadbalancer/", 1)[1]

    @property
    def target_group_dimension(self) -> str | None:
        """CloudWatch's TargetGroup dimension: targetgroup/<name>/<id>."""
        if not self.target_group_arn:
            return None
        return "targetgroup/" + self.target_group_arn.split(":targetgroup/", 1)[1]

    @property
    def scaling_resource_id(self) -> str:
        return f"service/{self.cluster_name}/{self.service_name}"


# -- outputs ---------------------------------------------------------------------------------------


def read_outputs_file(path: str) -> dict[str, Any]:
    file = Path(path)
    if not file.is_file():
        raise FinderError(
            f"--outputs {path}: no such file (save one with: pulumi stack output --json > {path})", BAD_INPUT
        )
    try:
        data = json.loads(file.read_text() or "{}")
    except json.JSONDecodeError as err:
        raise FinderError(
            f"--outputs {path}: not JSON ({err.msg} at line {err.lineno}); expected the output of "
            "pulumi stack output --json",
            BAD_INPUT,
        ) from None
    if not isinstance(data, dict):
        raise FinderError(f"--outputs {path}: expected a JSON object of outputs, got {type(data).__name__}", BAD_INPUT)
    return data


def read_outputs_cli(stack: str, pulumi: str = "pulumi") -> dict[str, Any]:
    try:
        done = subprocess.run(
            [pulumi, "stack", "output", "--json", "--stack", stack],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise FinderError(f"pulumi stack output --stack {stack} failed: {err}", AWS_PROBLEM) from None
    if done.returncode != 0:
        first = next((line for line in done.stderr.splitlines() if line.strip()), "no message")
        raise FinderError(f"pulumi stack output --stack {stack} failed: {first.strip()}", AWS_PROBLEM)
    try:
        data = json.loads(done.stdout or "{}")
    except json.JSONDecodeError:
        raise FinderError(f"pulumi stack output --stack {stack} printed no JSON", AWS_PROBLEM) from None
    return data if isinstance(data, dict) else {}


def pulumi_cli() -> str | None:
    return shutil.which("pulumi")


def check_outputs(stack: str, outputs: dict[str, Any], source: str) -> None:
    if not outputs:
        raise FinderError(
            f"stack {stack} has no outputs ({source}): it was never deployed or was destroyed; "
            "run pulumi up first, or find it by tags with --by-tags",
            BAD_INPUT,
        )
    missing = [k for k in REQUIRED_OUTPUTS if not outputs.get(k)]
    if missing:
        raise FinderError(
            f"stack {stack}'s outputs ({source}) lack {', '.join(missing)}; this advisor needs "
            f"{', '.join(REQUIRED_OUTPUTS)}",
            BAD_INPUT,
        )


# -- AWS lookups -------------------------------------------------------------------------------------


def _tags_match(tags: dict[str, str], stack: str) -> bool:
    return tags.get(TAG_SERVICE[0]) == TAG_SERVICE[1] and tags.get("Stack") == stack


def _load_balancer_by_dns(elbv2, dns_name: str) -> str | None:
    for page in elbv2.get_paginator("describe_load_balancers").paginate():
        for lb in page["LoadBalancers"]:
            if lb["DNSName"].lower() == dns_name.lower():
                return lb["LoadBalancerArn"]
    return None


def _service(ecs, cluster: str, service: str, region: str) -> dict[str, Any]:
    try:
        found = ecs.describe_services(cluster=cluster, services=[service])
    except ecs.exceptions.ClusterNotFoundException:
        raise FinderError(
            f"ECS cluster {cluster!r} not found in {region}: is the stack deployed in another "
            "region? (aws:region in the stack file, or --region)",
            AWS_PROBLEM,
        ) from None
    services = [s for s in found.get("services", []) if s.get("status") != "INACTIVE"]
    if not services:
        raise FinderError(
            f"ECS service {service!r} not found in cluster {cluster!r} in {region}: is the stack "
            "deployed in another region? (aws:region in the stack file, or --region)",
            AWS_PROBLEM,
        )
    return services[0]


def from_outputs(session, region: str, stack: str, outputs: dict[str, Any], source: str) -> StackResources:
    check_outputs(stack, outputs, source)
    ecs, elbv2, efs = (session.client(s, region_name=region) for s in ("ecs", "elbv2", "efs"))
    cluster = outputs["clusterName"]
    service = _service(ecs, cluster, outputs.get("serviceArn") or outputs["serviceName"], region)
    lb_arn = outputs.get("loadBalancerArn") or _load_balancer_by_dns(elbv2, outputs["albDnsName"])
    if not lb_arn:
        raise FinderError(
            f"no load balancer with DNS name {outputs['albDnsName']} in {region}: is the stack "
            "deployed in another region? (aws:region in the stack file, or --region)",
            AWS_PROBLEM,
        )
    tg_arn = outputs.get("targetGroupArn") or next(
        (lb.get("targetGroupArn") for lb in service.get("loadBalancers", []) if lb.get("targetGroupArn")), None
    )
    _file_system(efs, outputs["efsId"], region)
    capacity = outputs.get("capacity")
    if not isinstance(capacity, dict):
        capacity = {}
    return StackResources(
        cluster_name=cluster,
        service_name=service["serviceName"],
        service_arn=service["serviceArn"],
        load_balancer_arn=lb_arn,
        target_group_arn=tg_arn,
        file_system_id=outputs["efsId"],
        found_by=source,
        deployed_instance_type=capacity.get("instanceType"),
    )


def _file_system(efs, file_system_id: str, region: str) -> dict[str, Any]:
    try:
        return efs.describe_file_systems(FileSystemId=file_system_id)["FileSystems"][0]
    except efs.exceptions.FileSystemNotFound:
        raise FinderError(
            f"EFS file system {file_system_id} not found in {region}: is the stack deployed in "
            "another region? (aws:region in the stack file, or --region)",
            AWS_PROBLEM,
        ) from None


def from_tags(session, region: str, stack: str) -> StackResources:
    """The component tags every resource Service=pypiserver, Stack=<stack>."""
    ecs, elbv2, efs = (session.client(s, region_name=region) for s in ("ecs", "elbv2", "efs"))
    where = f"tagged Service=pypiserver, Stack={stack} in {region} (another region? --region)"

    def ecs_tags(arn: str) -> dict[str, str]:
        return {t["key"]: t["value"] for t in ecs.list_tags_for_resource(resourceArn=arn).get("tags", [])}

    cluster_arns = [a for page in ecs.get_paginator("list_clusters").paginate() for a in page["clusterArns"]]
    clusters = [a for a in cluster_arns if _tags_match(ecs_tags(a), stack)]
    if len(clusters) != 1:
        raise FinderError(f"expected one ECS cluster {where}, found {len(clusters)}", AWS_PROBLEM)
    service_arns = [
        a for page in ecs.get_paginator("list_services").paginate(cluster=clusters[0]) for a in page["serviceArns"]
    ]
    services = [a for a in service_arns if _tags_match(ecs_tags(a), stack)]
    if len(services) != 1:
        raise FinderError(f"expected one ECS service {where}, found {len(services)}", AWS_PROBLEM)
    cluster_name = clusters[0].rsplit("/", 1)[1]
    service = _service(ecs, cluster_name, services[0], region)

    lb_arns = [
        lb["LoadBalancerArn"]
        for page in elbv2.get_paginator("describe_load_balancers").paginate()
        for lb in page["LoadBalancers"]
    ]
    tagged_lbs = []
    for i in range(0, len(lb_arns), 20):  # DescribeTags takes at most 20 ARNs
        for desc in elbv2.describe_tags(ResourceArns=lb_arns[i : i + 20])["TagDescriptions"]:
            if _tags_match({t["Key"]: t["Value"] for t in desc.get("Tags", [])}, stack):
                tagged_lbs.append(desc["ResourceArn"])
    if len(tagged_lbs) != 1:
        raise FinderError(f"expected one load balancer {where}, found {len(tagged_lbs)}", AWS_PROBLEM)

    file_systems = [
        fs["FileSystemId"]
        for page in efs.get_paginator("describe_file_systems").paginate()
        for fs in page["FileSystems"]
        if _tags_match({t["Key"]: t["Value"] for t in fs.get("Tags", [])}, stack)
    ]
    if len(file_systems) != 1:
        raise FinderError(f"expected one EFS file system {where}, found {len(file_systems)}", AWS_PROBLEM)
    tg_arn = next(
        (lb.get("targetGroupArn") for lb in service.get("loadBalancers", []) if lb.get("targetGroupArn")), None
    )
    return StackResources(
        cluster_name=cluster_name,
        service_name=service["serviceName"],
        service_arn=service["serviceArn"],
        load_balancer_arn=tagged_lbs[0],
        target_group_arn=tg_arn,
        file_system_id=file_systems[0],
        found_by="tags",
    )
