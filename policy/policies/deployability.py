"""Deployability: what renders as valid AWS input but would not work once deployed.

- instances-have-egress: ECS instances in private subnets need a route out (NAT, transit
  gateway, firewall) or interface endpoints, or no task ever starts.
- alarm-topic-deliverable: CloudWatch can publish to an encrypted topic only when the key's
  policy admits it; the AWS-managed `alias/aws/sns` key never does.
- internet-facing-https: an internet-facing load balancer that forwards plain HTTP sends the
  index's credentials over the internet in clear text.
- alarms-notify-someone: an alarm whose topic nobody subscribes to fires into the void (advisory
  by default: an organization may make it mandatory).
"""

from __future__ import annotations

import json
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from guide.type_tokens import (
    ASG,
    KMS_KEY,
    LAUNCH_TEMPLATE,
    LISTENERS,
    LOAD_BALANCERS,
    METRIC_ALARM,
    NAT_GATEWAY,
    ROUTE_TABLE,
    ROUTE_TABLE_ASSOCIATION,
    SNS_TOPIC,
    SNS_TOPIC_SUBSCRIPTION,
    SUBNET,
    TRANSIT_GATEWAY,
    VPC_ENDPOINT,
)
from policies.common import (
    about,
    current_stack,
    is_true,
    items,
    mapping,
    redirects_to_https,
    schema,
    settings,
    text,
)
from policies.graph import dependencies, dependents, of_type

DEFAULT_ROUTE = "0.0.0.0/0"
# Route targets that give a private subnet a way out.
EGRESS_ROUTE_KEYS = ("natGatewayId", "transitGatewayId", "vpcEndpointId", "networkInterfaceId")
INTERFACE_SERVICES = ("ecs", "ecs-agent", "ecs-telemetry", "ecr.api", "ecr.dkr", "secretsmanager", "logs")

# --- instances-have-egress (stack) -------------------------------------------------------


def _tables_of(subnet: PolicyResource, resources: list[PolicyResource]) -> list[PolicyResource]:
    """Route tables associated with the subnet through association resources (by dependency)."""
    tables = []
    for assoc in dependents(subnet, resources, ROUTE_TABLE_ASSOCIATION):
        tables += [d for d in dependencies(assoc) if d.resource_type == ROUTE_TABLE]
    return tables


def _default_route(table: PolicyResource) -> Any:
    return next(
        (mapping(r) for r in items(table.props.get("routes")) if mapping(r).get("cidrBlock") == DEFAULT_ROUTE), None
    )


def _egress(table: PolicyResource, public_ip: bool) -> bool:
    route = _default_route(table)
    if route is None:
        return False
    # Key presence is enough: ids of gateways made in the same stack are unknown at preview,
    # but the route table then depends on them.
    if any(k in route for k in EGRESS_ROUTE_KEYS):
        return True
    if any(d.resource_type in (NAT_GATEWAY, TRANSIT_GATEWAY) for d in dependencies(table)):
        return True
    return public_ip and "gatewayId" in route


def _public_ip(asg: PolicyResource) -> bool:
    for template in (d for d in dependencies(asg) if d.resource_type == LAUNCH_TEMPLATE):
        if any(
            is_true(mapping(i).get("associatePublicIpAddress")) for i in items(template.props.get("networkInterfaces"))
        ):
            return True
    return False


def _interface_endpoints(resources: list[PolicyResource]) -> set[str]:
    found = set()
    for endpoint in of_type(resources, VPC_ENDPOINT):
        name = text(endpoint.props.get("serviceName")) or ""
        if text(endpoint.props.get("vpcEndpointType")) == "Interface":
            found.add(name.split(".", 3)[-1] if name.startswith("com.amazonaws.") else name)
    return found


def check_instances_have_egress(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = args.resources
    endpoints = _interface_endpoints(resources)
    if all(s in endpoints for s in INTERFACE_SERVICES):
        return
    for asg in of_type(resources, ASG):
        public_ip = _public_ip(asg)
        # Subnets made in this stack; given subnets were checked by the component at preview.
        for subnet in (d for d in dependencies(asg) if d.resource_type == SUBNET):
            tables = _tables_of(subnet, resources)
            if tables and any(_egress(t, public_ip) for t in tables):
                continue
            missing = ", ".join(s for s in INTERFACE_SERVICES if s not in endpoints)
            report(
                f"Auto Scaling group '{asg.name}' launches into subnet '{subnet.name}', whose route table has no "
                "default route to a NAT gateway, transit gateway or firewall: ECS instances there cannot reach "
                "ECS, the image registry, Secrets Manager or CloudWatch Logs, so no task starts. Route 0.0.0.0/0 "
                f"through a NAT gateway, or add interface endpoints for {missing}.",
                asg.urn,
            )


instances_have_egress = StackValidationPolicy(
    name="instances-have-egress",
    description="ECS instances can reach AWS's endpoints and the image registry (NAT, transit gateway or "
    "interface endpoints).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_instances_have_egress,
    **about(
        "deployability",
        Severity.CRITICAL,
        "Add a default route (0.0.0.0/0) to a NAT gateway or transit gateway in the route table of every "
        "subnet the Auto Scaling group launches into, or interface VPC endpoints for every service the "
        "task needs.",
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/vpc-endpoints.html",
    ),
)

# --- alarm-topic-deliverable (stack) -----------------------------------------------------

ALARM_PUBLISHER = "cloudwatch.amazonaws.com"
PUBLISH_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*")


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def key_admits_cloudwatch(policy: Any) -> bool:
    """Whether a key policy lets CloudWatch alarms use the key (kms:Decrypt and
    kms:GenerateDataKey*), by an Allow statement naming its service principal."""
    try:
        doc = json.loads(policy) if isinstance(policy, str) else None
    except ValueError:
        return False
    granted: set[str] = set()
    for statement in _as_list(mapping(doc).get("Statement")) if isinstance(doc, dict) else []:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        services = _as_list(mapping(statement.get("Principal")).get("Service"))
        if ALARM_PUBLISHER not in services:
            continue
        for action in _as_list(statement.get("Action")):
            granted.add(str(action))
    if "kms:*" in granted:
        return True
    return "kms:Decrypt" in granted and ("kms:GenerateDataKey*" in granted or "kms:GenerateDataKey" in granted)


def topic_problem(topic: PolicyResource) -> str | None:
    key_id = topic.props.get("kmsMasterKeyId")
    if key_id is None:
        return None
    keys = [d for d in dependencies(topic) if d.resource_type == KMS_KEY]
    if keys:
        if all(key_admits_cloudwatch(k.props.get("policy")) for k in keys):
            return None
        return (
            f"is encrypted with key '{keys[0].name}', whose policy does not allow {ALARM_PUBLISHER} "
            f"{' and '.join(PUBLISH_ACTIONS)}: add a key policy statement granting them to that service "
            "principal"
        )
    key = text(key_id) or ""
    if key.startswith("alias/aws/") or ":alias/aws/" in key:
        return (
            f"is encrypted with the AWS-managed key {key}, whose policy admits no CloudWatch alarm and cannot "
            "be edited: encrypt the topic with a customer-managed key whose policy grants "
            f"{ALARM_PUBLISHER} {' and '.join(PUBLISH_ACTIONS)}"
        )
    return None  # a key outside the stack: its policy cannot be seen here


def check_alarm_topic_deliverable(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = args.resources
    for topic in of_type(resources, SNS_TOPIC):
        alarms = dependents(topic, resources, METRIC_ALARM)
        if not alarms:
            continue
        problem = topic_problem(topic)
        if problem:
            report(f"alarm topic '{topic.name}' {problem}. Until then {len(alarms)} alarm(s) notify nobody.", topic.urn)


alarm_topic_deliverable = StackValidationPolicy(
    name="alarm-topic-deliverable",
    description="CloudWatch alarms can publish to their SNS topic (its KMS key admits CloudWatch).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_alarm_topic_deliverable,
    **about(
        "deployability",
        Severity.HIGH,
        "Set the alarm topic's kmsMasterKeyId to a customer-managed key whose policy allows "
        "cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*.",
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html",
    ),
)

# --- internet-facing-https (stack) -------------------------------------------------------

PLAIN_HTTP_SCHEMA = schema(
    allowPlainHttpStacks={
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Stacks allowed an internet-facing load balancer that serves plain HTTP.",
    },
)


def check_internet_facing_https(args: StackValidationArgs, report: ReportViolation) -> None:
    allowed = settings(args, PLAIN_HTTP_SCHEMA)["allowPlainHttpStacks"]
    stack = current_stack()
    if stack in allowed:
        return
    resources = args.resources
    for lb in of_type(resources, *LOAD_BALANCERS):
        # Unset means internet-facing, AWS's default scheme.
        if is_true(lb.props.get("internal")):
            continue
        for listener in dependents(lb, resources, *LISTENERS):
            if text(listener.props.get("protocol")) != "HTTP":
                continue
            actions = items(listener.props.get("defaultActions"))
            if actions and all(redirects_to_https(a) for a in actions):
                continue
            report(
                f"internet-facing load balancer '{lb.name}' serves plain HTTP on listener '{listener.name}': "
                "the index's credentials and packages cross the internet in clear text. Set pypiserver:zoneId "
                "(HTTPS with a redirect), make the load balancer internal, or, if this is accepted, list stack "
                f"'{stack}' in this policy's allowPlainHttpStacks.",
                listener.urn,
            )


internet_facing_https = StackValidationPolicy(
    name="internet-facing-https",
    description="An internet-facing load balancer serves HTTPS only (plain HTTP only redirects).",
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PLAIN_HTTP_SCHEMA,
    validate=check_internet_facing_https,
    **about(
        "deployability",
        Severity.HIGH,
        "Set pypiserver:zoneId so the load balancer serves HTTPS and redirects HTTP, or make it internal; "
        "an accepted exception goes in allowPlainHttpStacks.",
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/create-https-listener.html",
    ),
)

# --- alarms-notify-someone (stack) -------------------------------------------------------

NOTIFY_SCHEMA = schema(
    acceptTopicsOutsideStack={
        "type": "boolean",
        "default": True,
        "description": "Count an alarm action to an SNS topic outside the stack as reaching someone (its "
        "subscriptions cannot be seen from the stack).",
    },
)


def check_alarms_notify_someone(args: StackValidationArgs, report: ReportViolation) -> None:
    """Alarms notify through SNS subscriptions: a topic of the stack reaches someone only if the
    stack subscribes to it; a topic outside the stack counts when the organization accepts it."""
    accept_outside = settings(args, NOTIFY_SCHEMA)["acceptTopicsOutsideStack"]
    resources = args.resources
    topic_arns = {text(t.props.get("arn")) for t in of_type(resources, SNS_TOPIC)}
    silent: dict[str, list[PolicyResource]] = {}
    for alarm in of_type(resources, METRIC_ALARM):
        topics = [d for d in dependencies(alarm) if d.resource_type == SNS_TOPIC]
        if any(dependents(t, resources, SNS_TOPIC_SUBSCRIPTION) for t in topics):
            continue
        outside = [
            a
            for a in items(alarm.props.get("alarmActions"))
            if isinstance(a, str) and ":sns:" in a and a not in topic_arns
        ]
        if outside and accept_outside:
            continue
        for key in [t.name for t in topics] or [""]:
            silent.setdefault(key, []).append(alarm)
    for topic, alarms in silent.items():
        where = f"topic '{topic}' has no subscription" if topic else "they have no SNS topic action"
        report(
            f"{len(alarms)} alarm(s) notify nobody ({where}), e.g. '{alarms[0].name}'. Set pypiserver:alarmEmails "
            "(email subscriptions) or pypiserver:alarmTopicArns (a topic your on-call tooling subscribes to).",
            alarms[0].urn,
        )


alarms_notify_someone = StackValidationPolicy(
    name="alarms-notify-someone",
    description="Every alarm reaches someone: an SNS topic with a subscription, or a topic outside the stack.",
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=NOTIFY_SCHEMA,
    validate=check_alarms_notify_someone,
    **about(
        "deployability",
        Severity.MEDIUM,
        "Set pypiserver:alarmEmails (email subscriptions to the alarm topic), or pypiserver:alarmTopicArns to a "
        "topic your on-call tooling already subscribes to.",
        "https://docs.aws.amazon.com/sns/latest/dg/sns-create-subscribe-endpoint-to-topic.html",
    ),
)

POLICIES = [instances_have_egress, alarm_topic_deliverable, internet_facing_https, alarms_notify_someone]
