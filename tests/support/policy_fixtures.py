"""Hand-built stacks for the policy tests, and an in-process way to run the pack.

`happy_stack()` is a compliant heavy stack shaped like what components/ renders (camelCase
inputs, outputs = inputs + ids/ARNs, parents and per-property dependencies); each violation
test changes one property of it (`mutate`). `InProcessPack` runs the real pulumi-policy
servicer inside the test process through the same client code as the gRPC path, so the
fast tests exercise config reconciliation, proxies and unknowns exactly as the pack process does.
"""

from __future__ import annotations

import contextvars
import copy
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import _PolicyAnalyzerServicer  # private: pulumi-policy is pinned exactly

from commands.engine import RenderedResource
from commands.policy_client import PACK_DIR, AnalyzerClient, PolicyPackProcess, Verdict
from guide import alarms as guide_alarms
from guide.type_tokens import COMPONENT

sys.path.insert(0, str(PACK_DIR))  # the pack imports its modules as top-level packages, as the engine runs it

from policies import ALL_POLICIES  # noqa: E402

STACK_PROJECT = "pypiserver"
# What the engine sends for any value not known during preview (KeepUnknowns marshals every
# unknown as the string sentinel).
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def urn(stack: str, type_: str, name: str) -> str:
    if type_ == COMPONENT:
        return f"urn:pulumi:{stack}::{STACK_PROJECT}::{type_}::{name}"
    return f"urn:pulumi:{stack}::{STACK_PROJECT}::{COMPONENT}${type_}::{name}"


CONTAINERS_HEAVY = [
    {
        "name": "pypiserver",
        "image": "pypiserver/pypiserver:v2.4.2",
        "cpu": 640,
        "memory": 512,
        "memoryReservation": 384,
        "essential": True,
        "portMappings": [{"containerPort": 8080, "hostPort": 0}],
    },
]
GUIDE_ALARMS = [(a.suffix, a.namespace, a.metric) for a in guide_alarms.GUIDE_ALARMS]


def happy_stack(stack: str = "heavy") -> list[RenderedResource]:
    """A compliant heavy stack: c6a.xlarge, ASG 2-4, tasks 12-24, elastic EFS with backups."""

    specs: list[tuple[str, str, dict, dict[str, list[str]]]] = [
        (
            "aws:ec2/securityGroup:SecurityGroup",
            "pypiserver-alb-sg",
            {
                "vpcId": "vpc-1",
                "ingress": [{"protocol": "tcp", "fromPort": 80, "toPort": 80, "cidrBlocks": ["0.0.0.0/0"]}],
                "egress": [{"protocol": "tcp", "fromPort": 32768, "toPort": 65535, "cidrBlocks": ["10.0.0.0/16"]}],
            },
            {},
        ),
        (
            "aws:ec2/securityGroup:SecurityGroup",
            "pypiserver-instance-sg",
            {
                "vpcId": "vpc-1",
                "ingress": [
                    {"protocol": "tcp", "fromPort": 32768, "toPort": 65535, "securityGroups": ["sg-pypiserver-alb-sg"]}
                ],
                "egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}],
            },
            {"ingress": ["pypiserver-alb-sg"]},
        ),
        (
            "aws:ec2/securityGroup:SecurityGroup",
            "pypiserver-efs-sg",
            {
                "vpcId": "vpc-1",
                "ingress": [
                    {
                        "protocol": "tcp",
                        "fromPort": 2049,
                        "toPort": 2049,
                        "securityGroups": ["sg-pypiserver-instance-sg"],
                    }
                ],
                "egress": [],
            },
            {"ingress": ["pypiserver-instance-sg"]},
        ),
        (
            "aws:ec2/launchTemplate:LaunchTemplate",
            "pypiserver-lt",
            {
                "instanceType": "c6a.xlarge",
                "imageId": "resolve:ssm:/aws/service/ecs/optimized-ami/x",
                "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": 1},
                "networkInterfaces": [
                    {
                        "associatePublicIpAddress": "false",
                        "deleteOnTermination": "true",
                        "securityGroups": ["sg-pypiserver-instance-sg"],
                    }
                ],
                "blockDeviceMappings": [
                    {"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeSize": 30, "volumeType": "gp3"}}
                ],
            },
            {"networkInterfaces": ["pypiserver-instance-sg"]},
        ),
        (
            "aws:autoscaling/group:Group",
            "pypiserver-asg",
            {
                "minSize": 2,
                "maxSize": 4,
                "vpcZoneIdentifiers": ["subnet-a", "subnet-b"],
                "launchTemplate": {"id": "lt-pypiserver-lt", "version": "1"},
                "instanceRefresh": {"strategy": "Rolling", "preferences": {"minHealthyPercentage": 100}},
                "protectFromScaleIn": True,
                "tags": [{"key": "AmazonECSManaged", "value": "true", "propagateAtLaunch": True}],
            },
            {"launchTemplate": ["pypiserver-lt"]},
        ),
        (
            "aws:ecs/cluster:Cluster",
            "pypiserver-cluster",
            {"settings": [{"name": "containerInsights", "value": "enabled"}]},
            {},
        ),
        (
            "aws:ecs/capacityProvider:CapacityProvider",
            "pypiserver-cp",
            {
                "autoScalingGroupProvider": {
                    "autoScalingGroupArn": "arn:asg",
                    "managedTerminationProtection": "ENABLED",
                    "managedScaling": {"status": "ENABLED", "targetCapacity": 100},
                }
            },
            {"autoScalingGroupProvider": ["pypiserver-asg"]},
        ),
        (
            "aws:efs/fileSystem:FileSystem",
            "pypiserver-efs",
            {
                "encrypted": True,
                "performanceMode": "generalPurpose",
                "throughputMode": "elastic",
                "lifecyclePolicies": [{"transitionToIa": "AFTER_30_DAYS"}],
            },
            {},
        ),
        (
            "aws:efs/accessPoint:AccessPoint",
            "pypiserver-efs-ap",
            {"fileSystemId": "fs-pypiserver-efs", "posixUser": {"uid": 9898, "gid": 9898}},
            {"fileSystemId": ["pypiserver-efs"]},
        ),
        ("aws:backup/vault:Vault", "pypiserver-backup-vault", {}, {}),
        (
            "aws:backup/plan:Plan",
            "pypiserver-backup-plan",
            {
                "rules": [
                    {
                        "ruleName": "daily",
                        "targetVaultName": "pypiserver-backup-vault",
                        "schedule": "cron(0 5 * * ? *)",
                        "lifecycle": {"deleteAfter": 14},
                    }
                ]
            },
            {"rules": ["pypiserver-backup-vault"]},
        ),
        (
            "aws:backup/selection:Selection",
            "pypiserver-backup-selection",
            {"planId": "id-pypiserver-backup-plan", "iamRoleArn": "arn:role", "resources": ["arn:pypiserver-efs"]},
            {"planId": ["pypiserver-backup-plan"], "resources": ["pypiserver-efs"]},
        ),
        (
            "aws:ecs/taskDefinition:TaskDefinition",
            "pypiserver-task",
            {
                "family": f"pypiserver-{stack}",
                "networkMode": "bridge",
                "requiresCompatibilities": ["EC2"],
                "containerDefinitions": json.dumps(CONTAINERS_HEAVY),
                "volumes": [
                    {
                        "name": "packages",
                        "efsVolumeConfiguration": {
                            "fileSystemId": "fs-pypiserver-efs",
                            "transitEncryption": "ENABLED",
                            "authorizationConfig": {"accessPointId": "fsap-1", "iam": "ENABLED"},
                        },
                    }
                ],
            },
            {"volumes": ["pypiserver-efs", "pypiserver-efs-ap"]},
        ),
        (
            "aws:lb/loadBalancer:LoadBalancer",
            "pypiserver-alb",
            {
                "loadBalancerType": "application",
                "internal": True,
                "dropInvalidHeaderFields": True,
                "securityGroups": ["sg-pypiserver-alb-sg"],
                "subnets": ["subnet-a", "subnet-b"],
                "accessLogs": {"bucket": "pypiserver-access-logs", "prefix": "alb", "enabled": True},
            },
            {"securityGroups": ["pypiserver-alb-sg"]},
        ),
        (
            "aws:lb/targetGroup:TargetGroup",
            "pypiserver-tg",
            {
                "targetType": "instance",
                "protocol": "HTTP",
                "port": 80,
                "deregistrationDelay": 30,
                "stickiness": {"type": "lb_cookie", "enabled": False},
                "healthCheck": {"enabled": True, "path": "/health", "matcher": "200"},
            },
            {},
        ),
        (
            "aws:lb/listener:Listener",
            "pypiserver-http",
            {
                "loadBalancerArn": "arn:alb",
                "port": 80,
                "protocol": "HTTP",
                "defaultActions": [{"type": "forward", "targetGroupArn": "arn:tg"}],
            },
            {"loadBalancerArn": ["pypiserver-alb"], "defaultActions": ["pypiserver-tg"]},
        ),
        (
            "aws:ecs/service:Service",
            "pypiserver-service",
            {
                "cluster": "arn:cluster",
                "taskDefinition": "arn:task",
                "desiredCount": 12,
                "capacityProviderStrategies": [{"capacityProvider": "pypiserver-cp", "weight": 100, "base": 1}],
                "deploymentCircuitBreaker": {"enable": True, "rollback": True},
                "loadBalancers": [{"targetGroupArn": "arn:tg", "containerName": "pypiserver", "containerPort": 8080}],
            },
            {
                "cluster": ["pypiserver-cluster"],
                "taskDefinition": ["pypiserver-task"],
                "capacityProviderStrategies": ["pypiserver-cp"],
                "loadBalancers": ["pypiserver-tg"],
            },
        ),
        (
            "aws:appautoscaling/target:Target",
            "pypiserver-scaling-target",
            {
                "serviceNamespace": "ecs",
                "scalableDimension": "ecs:service:DesiredCount",
                "resourceId": "service/pypiserver-cluster/pypiserver-service",
                "minCapacity": 12,
                "maxCapacity": 24,
            },
            {"resourceId": ["pypiserver-cluster", "pypiserver-service"]},
        ),
        ("aws:sns/topic:Topic", "pypiserver-alarms", {}, {}),
        # Someone on call: the alarms reach a person.
        (
            "aws:sns/topicSubscription:TopicSubscription",
            "pypiserver-alarm-email-0",
            {"topic": "arn:topic", "protocol": "email", "endpoint": "ops@example.com"},
            {"topic": ["pypiserver-alarms"]},
        ),
    ]
    specs += [
        (
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            f"pypiserver-{suffix}",
            {
                "namespace": namespace,
                "metricName": metric,
                "comparisonOperator": "GreaterThanThreshold",
                "threshold": 80,
                "alarmActions": ["arn:topic"],
            },
            {"alarmActions": ["pypiserver-alarms"]},
        )
        for suffix, namespace, metric in GUIDE_ALARMS
    ]

    component = RenderedResource(
        id=None,
        urn=urn(stack, COMPONENT, "pypiserver"),
        type=COMPONENT,
        name="pypiserver",
        parent=None,
        custom=False,
        inputs={},
        outputs={},
    )
    resources = [component]
    for type_, name, inputs, deps in specs:
        prop_deps = {k: tuple(urn(stack, _type_of(specs, n), n) for n in names) for k, names in deps.items()}
        resources.append(
            RenderedResource(
                id=None,
                urn=urn(stack, type_, name),
                type=type_,
                name=name,
                parent=component.urn,
                custom=True,
                inputs=inputs,
                outputs={**inputs, "id": f"id-{name}", "arn": f"arn:{name}"},
                dependencies=tuple(dict.fromkeys(u for us in prop_deps.values() for u in us)),
                property_dependencies=prop_deps,
                protect=type_ == "aws:efs/fileSystem:FileSystem",
            )
        )
    return resources


def https_listener(ssl_policy: str | None, stack: str = "heavy") -> RenderedResource:
    """What a stack with a domain adds: an HTTPS listener (sslPolicy omitted when None)."""
    props: dict[str, Any] = {
        "port": 443,
        "protocol": "HTTPS",
        "certificateArn": "arn:cert",
        "defaultActions": [{"type": "forward", "targetGroupArn": "arn:tg"}],
    }
    if ssl_policy is not None:
        props["sslPolicy"] = ssl_policy
    type_ = "aws:lb/listener:Listener"
    return RenderedResource(
        id=None,
        urn=urn(stack, type_, "pypiserver-https"),
        type=type_,
        name="pypiserver-https",
        parent=urn(stack, COMPONENT, "pypiserver"),
        custom=True,
        inputs=props,
        outputs=props,
    )


def _type_of(specs: list, name: str) -> str:
    return next(t for t, n, _, _ in specs if n == name)


def find(resources: list[RenderedResource], name: str) -> RenderedResource:
    return next(r for r in resources if r.name == name)


def mutate(resources: list[RenderedResource], name: str, path: str, value: Any) -> list[RenderedResource]:
    """A copy of the stack with one property of one resource set (in inputs and outputs).
    `path` is dotted; list indices are numbers ("ingress.0.fromPort"). A value of `DELETE`
    removes the property."""
    out = []
    for r in resources:
        if r.name == name:
            inputs, outputs = copy.deepcopy(r.inputs), copy.deepcopy(r.outputs)
            for props in (inputs, outputs):
                _set(props, path.split("."), value)
            r = replace(r, inputs=inputs, outputs=outputs)
        out.append(r)
    if not any(r.name == name for r in resources):
        raise KeyError(name)
    return out


def without(resources: list[RenderedResource], *names: str) -> list[RenderedResource]:
    """The stack minus some resources (and the links to them)."""
    gone = {r.urn for r in resources if r.name in names}
    return [
        replace(
            r,
            dependencies=tuple(d for d in r.dependencies if d not in gone),
            property_dependencies={k: tuple(u for u in v if u not in gone) for k, v in r.property_dependencies.items()},
        )
        for r in resources
        if r.urn not in gone
    ]


DELETE = object()


def _set(props: Any, keys: list[str], value: Any) -> None:
    for key in keys[:-1]:
        props = props[int(key)] if isinstance(props, list) else props.setdefault(key, {})
    last = int(keys[-1]) if isinstance(props, list) else keys[-1]
    if value is DELETE:
        del props[last]
    else:
        props[last] = value


class ServicerStub:
    """Calls the servicer's methods the way the gRPC stub would, in a copy of the current
    context: the servicer reconfigures the Pulumi runtime settings (stack, project) from the
    environment on every call, and that must not leak into other tests."""

    def __init__(self, servicer: Any) -> None:
        self.servicer = servicer

    def __getattr__(self, method: str) -> Any:
        target = getattr(self.servicer, method)
        return lambda request, timeout=None: contextvars.copy_context().run(target, request, None)


class InProcessPack(AnalyzerClient):
    """The pack's real servicer in this process, behind the same client as the gRPC path."""

    def __init__(self) -> None:
        super().__init__(
            ServicerStub(_PolicyAnalyzerServicer("pypiserver-guide", "0.0.1", ALL_POLICIES, EnforcementLevel.MANDATORY))
        )


def run_in_process(
    resources: list[RenderedResource], policy_config: dict | None = None, stack: str = "heavy", monkeypatch: Any = None
) -> list[Verdict]:
    """Configure and analyze in-process. The stack name reaches the pack as the engine sends
    it: PULUMI_STACK in the environment (set through monkeypatch, restored after the test)."""
    monkeypatch.setenv("PULUMI_STACK", stack)
    monkeypatch.setenv("PULUMI_PROJECT", STACK_PROJECT)
    monkeypatch.setenv("PULUMI_DRY_RUN", "true")
    pack = InProcessPack()
    pack.configure(policy_config)
    return pack.analyze(resources)


@pytest.fixture
def analyze(monkeypatch: pytest.MonkeyPatch) -> Callable[..., list[Verdict]]:
    """analyze(resources, policy_config=None, stack="heavy") -> verdicts, in-process."""

    def run(
        resources: list[RenderedResource], policy_config: dict | None = None, stack: str = "heavy"
    ) -> list[Verdict]:
        return run_in_process(resources, policy_config, stack, monkeypatch)

    return run


@pytest.fixture(scope="module")
def pack_pool() -> Iterator[Callable[[str], PolicyPackProcess]]:
    """pack_pool(stack) -> the pack running in its own process for that stack name, started
    once per test module (PULUMI_STACK is fixed per process; start-up takes about a second)."""
    running: dict[str, PolicyPackProcess] = {}

    def get(stack: str = "heavy") -> PolicyPackProcess:
        if stack not in running:
            running[stack] = PolicyPackProcess(
                stack=stack, project=STACK_PROJECT, config={"pypiserver:profile": stack, "aws:region": "us-east-1"}
            )
        return running[stack]

    yield get
    for process in running.values():
        process.close()


def named(verdicts: list[Verdict], policy: str) -> list[Verdict]:
    return [v for v in verdicts if v.policy == policy]
