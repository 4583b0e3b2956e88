"""Reliability: backups of the only state (EFS), deployments that roll back, health checks
that do not scan the package tree, and the guide's alarms."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from guide.alarms import required_by_pack
from guide.type_tokens import (
    BACKUP_SELECTION,
    ECS_SERVICE,
    EFS_BACKUP_POLICY,
    EFS_FILE_SYSTEM,
    METRIC_ALARM,
    TARGET_GROUPS,
)
from policies.common import (
    about,
    dig,
    is_true,
    items,
    mapping,
    schema,
    settings,
    text,
)
from policies.graph import dependents, of_type

# --- efs-backup-enabled (stack) ----------------------------------------------------------


def backed_up(fs: PolicyResource, resources: list[PolicyResource]) -> bool:
    """An AWS Backup selection or an enabled EFS backup policy points at the file system.
    Checked through dependencies (known during preview), then through ARN/id values."""
    if dependents(fs, resources, BACKUP_SELECTION):
        return True
    if any(
        text(dig(p.props, "backupPolicy", "status")) == "ENABLED" for p in dependents(fs, resources, EFS_BACKUP_POLICY)
    ):
        return True
    selections = of_type(resources, BACKUP_SELECTION)
    if not selections:
        return False
    arn = fs.props.get("arn")
    return bool(arn) and any(arn in items(s.props.get("resources")) for s in selections)


def check_efs_backup(args: StackValidationArgs, report: ReportViolation) -> None:
    for fs in of_type(args.resources, EFS_FILE_SYSTEM):
        if not backed_up(fs, args.resources):
            report(
                f"file system '{fs.name}' is in no AWS Backup selection and has no enabled backup policy: set "
                "pypiserver:backupEnabled to true. Uploaded packages exist nowhere else.",
                fs.urn,
            )


efs_backup_enabled = StackValidationPolicy(
    name="efs-backup-enabled",
    description="The EFS file system is backed up (AWS Backup selection or EFS backup policy).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_efs_backup,
    **about(
        "reliability",
        Severity.HIGH,
        "Set pypiserver:backupEnabled to true (an AWS Backup plan and selection for the file system), or "
        "enable an EFS backup policy on it.",
        "https://docs.aws.amazon.com/efs/latest/ug/awsbackup.html",
    ),
)

# --- ecs-deployment-circuit-breaker ------------------------------------------------------


def check_circuit_breaker(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != ECS_SERVICE:
        return
    controller = text(dig(args.props, "deploymentController", "type")) or "ECS"
    if controller != "ECS":
        return  # CodeDeploy and external controllers roll back by their own means.
    breaker = mapping(args.props.get("deploymentCircuitBreaker"))
    if not (is_true(breaker.get("enable")) and is_true(breaker.get("rollback"))):
        report(
            f"deploymentCircuitBreaker is enable={bool(is_true(breaker.get('enable')))}, "
            f"rollback={bool(is_true(breaker.get('rollback')))}: set both to true, so a deployment whose "
            "tasks never turn healthy rolls back instead of replacing healthy tasks forever."
        )


ecs_deployment_circuit_breaker = ResourceValidationPolicy(
    name="ecs-deployment-circuit-breaker",
    description="ECS deployments stop and roll back when new tasks fail (circuit breaker with rollback).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_circuit_breaker,
    **about(
        "reliability",
        Severity.MEDIUM,
        "Set deploymentCircuitBreaker to {enable: true, rollback: true} on the ECS service.",
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html",
    ),
)

# --- health-check-not-root ---------------------------------------------------------------


def check_health_path(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in TARGET_GROUPS or text(args.props.get("targetType")) == "lambda":
        return
    check = mapping(args.props.get("healthCheck"))
    if text(check.get("protocol")) == "TCP":
        return
    if check.get("enabled") is not None and not is_true(check.get("enabled")):
        report(
            "health checks are disabled: enable them on pypiserver's health endpoint (/health), or the load "
            "balancer keeps sending requests to dead tasks."
        )
        return
    # AWS checks "/" when no path is given.
    path = text(check.get("path")) or "/"
    if path == "/":
        report(
            'the health check requests "/", which makes pypiserver list every package on EFS every few '
            "seconds per task: point healthCheck.path at the health endpoint (/health)."
        )


health_check_not_root = ResourceValidationPolicy(
    name="health-check-not-root",
    description='Target group health checks use the health endpoint, not "/".',
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_health_path,
    **about(
        "reliability",
        Severity.MEDIUM,
        "Set the target group's healthCheck.path to pypiserver's health endpoint (/health) and keep "
        "health checks enabled.",
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html",
    ),
)

# --- required-alarms (stack) -------------------------------------------------------------

# The guide's alarms, from the list the component builds them from (a generated copy).
GUIDE_ALARMS = required_by_pack()
ALARMS_SCHEMA = schema(
    requiredAlarms={
        "type": "array",
        "default": GUIDE_ALARMS,
        "items": {
            "type": "object",
            "required": ["name", "namespace", "metrics"],
            "properties": {
                "name": {"type": "string"},
                "namespace": {"type": "string"},
                "metrics": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            },
        },
        "description": "Alarms that must exist: each on one of `metrics` in `namespace`.",
    },
)


def alarmed_metrics(alarm: PolicyResource) -> set[tuple[str | None, str | None]]:
    """(namespace, metric) pairs an alarm watches: its own metric, or its metric-math queries'."""
    props = alarm.props
    pairs = {(text(props.get("namespace")), text(props.get("metricName")))}
    for query in items(props.get("metricQueries")):
        metric = mapping(dig(query, "metric"))
        pairs.add((text(metric.get("namespace")), text(metric.get("metricName"))))
    return pairs


def check_required_alarms(args: StackValidationArgs, report: ReportViolation) -> None:
    required = settings(args, ALARMS_SCHEMA)["requiredAlarms"]
    watched = set().union(*(alarmed_metrics(a) for a in of_type(args.resources, METRIC_ALARM)))
    missing = [
        mapping(r).get("name")
        for r in required
        if not any((mapping(r).get("namespace"), m) in watched for m in items(mapping(r).get("metrics")))
    ]
    if missing:
        report(
            f"no alarm for: {', '.join(map(str, missing))}. Add CloudWatch alarms for the sizing guide's "
            "metrics (EFS PercentIOLimit > 80 %, ECS CPU > 80 % for 10 min, ECS memory > 90 %, ALB P95 "
            "TargetResponseTime > 5 s, ALB 5xx > 10/hour), so overload is seen before users report it."
        )


required_alarms = StackValidationPolicy(
    name="required-alarms",
    description="The sizing guide's alarms exist.",
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=ALARMS_SCHEMA,
    validate=check_required_alarms,
    **about(
        "reliability",
        Severity.MEDIUM,
        "Add the missing CloudWatch alarms (the component builds them all; keep them, or add your own on "
        "the same namespace and metric), or adjust requiredAlarms in the policy config.",
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html",
    ),
)

POLICIES = [efs_backup_enabled, ecs_deployment_circuit_breaker, health_check_not_root, required_alarms]
