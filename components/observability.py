"""Observability: the sizing guide's alarms (which the Terraform module only documents),
an SNS topic for them, and a dashboard of the same metrics."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from guide.alarms import stack_alarms
from pypi_index import contract

from . import names
from .config import PypiServerConfig, key
from .partition import account_root, key_policy, partition

# CloudWatch alarms publish to an encrypted topic only when the key admits them: "The default
# AWS KMS key policy for Amazon SNS doesn't allow CloudWatch alarms to perform kms:Decrypt and
# kms:GenerateDataKey API calls. You can't manually edit policies for AWS managed keys" (AWS
# re:Post knowledge center, "cloudwatch-configure-alarm-sns"). So the topic gets a
# customer-managed key whose policy admits CloudWatch, and a topic policy that lets it publish.
ALARM_PUBLISHER = "cloudwatch.amazonaws.com"
TOPIC_OWNER_ACTIONS = [
    "SNS:GetTopicAttributes",
    "SNS:SetTopicAttributes",
    "SNS:AddPermission",
    "SNS:RemovePermission",
    "SNS:DeleteTopic",
    "SNS:Subscribe",
    "SNS:ListSubscriptionsByTopic",
    "SNS:Publish",
]


# The audit trail's failed logins (nginx's and the index's audit lines: a request with
# credentials that matched no user or token), counted by a metric filter on the task's log
# group. CloudWatch Logs: "Metric filters ... for JSON log events: { $.key = value }" with
# "&&" between conditions ("Filter pattern syntax for metric filters", "Using metric filters
# to match terms in JSON log events").
FAILED_LOGIN_FILTER = f'{{ $.audit = "{contract.AUDIT_MARKER}" && $.result = "{contract.FAILED_LOGIN}" }}'
FAILED_LOGIN_METRIC = "FailedLogins"
# A burst: more than this many failed logins in 5 minutes (a brute force, or clients still on
# a retired token). A mistyped token in CI retries a few times, far below it.
FAILED_LOGIN_BURST = 20
FAILED_LOGIN_PERIOD_SECONDS = 300

# The index's scanner (pypi_index/scan.py) audits what it could not index (a file, a
# project's damaged records: retried at every pass, so a lasting failure keeps the alarm up)
# and every published name it found holding other bytes (quarantined). Any one alarms.
SCAN_FAILURE_FILTER = f'{{ $.audit = "{contract.AUDIT_MARKER}" && $.result = "{contract.SCAN_FAILED}" }}'
SCAN_FAILURE_METRIC = "IndexScanFailures"
QUARANTINE_FILTER = f'{{ $.audit = "{contract.AUDIT_MARKER}" && $.result = "{contract.QUARANTINED}" }}'
QUARANTINE_METRIC = "QuarantinedFiles"
INDEX_EVENT_PERIOD_SECONDS = 300


@dataclass(frozen=True)
class LogAlarm:
    """An alarm on a count of audit lines: its metric filter and its threshold (> threshold
    in one period)."""

    filter_suffix: str
    suffix: str
    pattern: str
    metric: str
    threshold: int
    period: int
    description: str


LOG_ALARMS = (
    LogAlarm(
        "failed-logins",
        "failed-login-burst",
        FAILED_LOGIN_FILTER,
        FAILED_LOGIN_METRIC,
        FAILED_LOGIN_BURST,
        FAILED_LOGIN_PERIOD_SECONDS,
        f"More than {FAILED_LOGIN_BURST} failed logins in {FAILED_LOGIN_PERIOD_SECONDS // 60} minutes: "
        "a brute force, or clients on a retired token (see the audit lines)",
    ),
    LogAlarm(
        "index-scan-failures",
        "index-scan-failures",
        SCAN_FAILURE_FILTER,
        SCAN_FAILURE_METRIC,
        0,
        INDEX_EVENT_PERIOD_SECONDS,
        "The index could not index a file or a project's records from the package folder (audit lines "
        "with result scan-failed name them; retried at every scan)",
    ),
    LogAlarm(
        "quarantined-files",
        "published-file-changed",
        QUARANTINE_FILTER,
        QUARANTINE_METRIC,
        0,
        INDEX_EVENT_PERIOD_SECONDS,
        "A published file's bytes changed out of band: it was quarantined under .ledger/quarantine/ and "
        "unlisted (audit lines with result quarantined give the published and the found sha256)",
    ),
)


def audit_namespace(stack: str) -> str:
    return f"pypiserver/{stack}"


@dataclass(frozen=True)
class Observability:
    topic: aws.sns.Topic
    alarms: list[aws.cloudwatch.MetricAlarm]
    failed_logins: aws.cloudwatch.LogMetricFilter
    index_events: list[aws.cloudwatch.LogMetricFilter]
    dashboard: aws.cloudwatch.Dashboard
    dashboard_url: str


def alarm_key_policy(account_id: str, in_partition: str) -> dict[str, Any]:
    """The account administers the key (AWS's default key policy); CloudWatch may encrypt
    and decrypt with it, which publishing to the topic needs, for this account's alarms only
    (aws:SourceAccount: no other account's alarm can make CloudWatch use the key)."""
    return key_policy(
        account_id,
        in_partition,
        {
            "Sid": "CloudWatchAlarmsPublish",
            "Effect": "Allow",
            "Principal": {"Service": ALARM_PUBLISHER},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        },
    )


def alarm_topic_policy(topic_arn: str, account_id: str, in_partition: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountOwns",
                "Effect": "Allow",
                "Principal": {"AWS": account_root(account_id, in_partition)},
                "Action": TOPIC_OWNER_ACTIONS,
                "Resource": topic_arn,
            },
            {
                "Sid": "CloudWatchAlarmsPublish",
                "Effect": "Allow",
                "Principal": {"Service": ALARM_PUBLISHER},
                "Action": "SNS:Publish",
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
        ],
    }


def _check_topics_in_region(topic_arns: list[str], region: str) -> None:
    """An alarm publishes only to topics in its own region: PutMetricAlarm refuses another
    ("ValidationError: Invalid region <r> specified. Only <alarm's region> is supported")."""
    for arn in topic_arns:
        topic_region = arn.split(":")[3]
        if topic_region != region:
            raise pulumi.RunError(
                f"{key('alarmTopicArns')}: {arn} is in {topic_region}, but the stack's alarms are in {region} and "
                f"CloudWatch alarms publish only to topics in their own region; give a topic in {region} "
                "(an SNS subscription may forward from it to another region)"
            )


def dashboard_url(region: str, dashboard_name: str) -> str:
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards/dashboard/{dashboard_name}"
    )


def monitoring(
    name: str,
    cfg: PypiServerConfig,
    region: str,
    *,
    file_system_id: pulumi.Input[str],
    cluster_name: pulumi.Input[str],
    service_name: pulumi.Input[str],
    load_balancer_arn_suffix: pulumi.Input[str],
    target_group_arn_suffix: pulumi.Input[str],
    log_group_name: pulumi.Input[str],
    parent: pulumi.Resource,
    tags: dict[str, str],
) -> Observability:
    opts = pulumi.ResourceOptions(parent=parent)
    _check_topics_in_region(cfg.alarm_topic_arns, region)
    account_id, in_partition = aws.get_caller_identity().account_id, partition()
    alarm_key = aws.kms.Key(
        f"{name}-alarms-key",
        description="pypiserver alarm topic: CloudWatch alarms may publish",
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=json.dumps(alarm_key_policy(account_id, in_partition)),
        tags=tags,
        opts=opts,
    )
    topic = aws.sns.Topic(f"{name}-alarms", kms_master_key_id=alarm_key.arn, tags=tags, opts=opts)
    aws.sns.TopicPolicy(
        f"{name}-alarms-policy",
        arn=topic.arn,
        policy=topic.arn.apply(lambda arn: json.dumps(alarm_topic_policy(arn, account_id, in_partition))),
        opts=pulumi.ResourceOptions(parent=topic),
    )
    for i, email in enumerate(cfg.alarm_emails):
        aws.sns.TopicSubscription(
            f"{name}-alarm-email-{i}",
            topic=topic.arn,
            protocol="email",
            endpoint=email,
            opts=pulumi.ResourceOptions(parent=topic),
        )
    actions = [topic.arn, *cfg.alarm_topic_arns]
    dimension_sets = {
        "efs": {"FileSystemId": file_system_id},
        "service": {"ClusterName": cluster_name, "ServiceName": service_name},
        "alb": {"LoadBalancer": load_balancer_arn_suffix, "TargetGroup": target_group_arn_suffix},
        "load-balancer": {"LoadBalancer": load_balancer_arn_suffix},
    }
    alarms = [
        aws.cloudwatch.MetricAlarm(
            f"{name}-{a.suffix}",
            alarm_description=a.description,
            namespace=a.namespace,
            metric_name=a.metric,
            statistic=a.statistic,
            extended_statistic=a.extended_statistic,
            comparison_operator=a.comparison,
            threshold=a.threshold,
            period=a.period,
            evaluation_periods=a.evaluation_periods,
            datapoints_to_alarm=a.datapoints_to_alarm,
            dimensions=dimension_sets[a.dimensions],
            treat_missing_data=a.treat_missing_data,
            alarm_actions=actions,
            ok_actions=actions,
            tags=tags,
            opts=opts,
        )
        for a in stack_alarms(cfg.healthy_task_floor)
    ]
    namespace = audit_namespace(pulumi.get_stack())
    filters = []
    for log_alarm in LOG_ALARMS:
        log_filter = aws.cloudwatch.LogMetricFilter(
            f"{name}-{log_alarm.filter_suffix}",
            log_group_name=log_group_name,
            pattern=log_alarm.pattern,
            metric_transformation={
                "name": log_alarm.metric,
                "namespace": namespace,
                "value": "1",
                "default_value": "0",
            },
            opts=opts,
        )
        filters.append(log_filter)
        alarms.append(
            aws.cloudwatch.MetricAlarm(
                f"{name}-{log_alarm.suffix}",
                alarm_description=log_alarm.description,
                namespace=namespace,
                metric_name=log_alarm.metric,
                statistic="Sum",
                comparison_operator="GreaterThanThreshold",
                threshold=log_alarm.threshold,
                period=log_alarm.period,
                evaluation_periods=1,
                treat_missing_data="notBreaching",
                alarm_actions=actions,
                ok_actions=actions,
                tags=tags,
                opts=pulumi.ResourceOptions(parent=parent, depends_on=[log_filter]),
            )
        )
    body = pulumi.Output.all(
        file_system_id, cluster_name, service_name, load_balancer_arn_suffix, target_group_arn_suffix
    ).apply(lambda a: json.dumps(dashboard_body(region, *a)))
    dashboard_name = names.derived("dashboard", name, pulumi.get_stack())
    dashboard = aws.cloudwatch.Dashboard(
        f"{name}-dashboard", dashboard_name=dashboard_name, dashboard_body=body, opts=opts
    )
    return Observability(
        topic=topic,
        alarms=alarms,
        failed_logins=filters[0],
        index_events=filters[1:],
        dashboard=dashboard,
        dashboard_url=dashboard_url(region, dashboard_name),
    )


def dashboard_body(
    region: str, file_system_id: str, cluster: str, service: str, alb: str, target_group: str
) -> dict[str, Any]:
    def widget(title: str, metrics: list[list[Any]], x: int, y: int, **extra: Any) -> dict[str, Any]:
        return {
            "type": "metric",
            "x": x,
            "y": y,
            "width": 12,
            "height": 6,
            "properties": {"title": title, "region": region, "view": "timeSeries", "metrics": metrics, **extra},
        }

    threshold = lambda label, value: {"horizontal": [{"label": label, "value": value}]}  # noqa: E731
    return {
        "widgets": [
            widget(
                "ECS CPU and memory (%)",
                [
                    ["AWS/ECS", "CPUUtilization", "ClusterName", cluster, "ServiceName", service],
                    ["AWS/ECS", "MemoryUtilization", "ClusterName", cluster, "ServiceName", service],
                ],
                0,
                0,
                annotations=threshold("CPU alarm", 80),
            ),
            widget(
                "ALB target response time (s)",
                [
                    ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", alb, {"stat": s}]
                    for s in ("p50", "p95", "p99")
                ],
                12,
                0,
                annotations=threshold("P95 alarm", 5),
            ),
            widget(
                "ALB responses",
                [
                    ["AWS/ApplicationELB", m, "LoadBalancer", alb, {"stat": "Sum"}]
                    for m in (
                        "RequestCount",
                        "HTTPCode_Target_2XX_Count",
                        "HTTPCode_Target_4XX_Count",
                        "HTTPCode_Target_5XX_Count",
                        "HTTPCode_ELB_5XX_Count",
                    )
                ],
                0,
                6,
            ),
            widget(
                "Healthy and unhealthy tasks",
                [
                    ["AWS/ApplicationELB", m, "TargetGroup", target_group, "LoadBalancer", alb, {"stat": "Maximum"}]
                    for m in ("HealthyHostCount", "UnHealthyHostCount")
                ],
                12,
                6,
            ),
            widget(
                "EFS PercentIOLimit (%)",
                [["AWS/EFS", "PercentIOLimit", "FileSystemId", file_system_id]],
                0,
                12,
                annotations=threshold("alarm", 80),
            ),
            widget(
                "EFS throughput (bytes)",
                [
                    ["AWS/EFS", m, "FileSystemId", file_system_id, {"stat": "Sum"}]
                    for m in ("DataReadIOBytes", "DataWriteIOBytes", "MetadataIOBytes")
                ],
                12,
                12,
            ),
        ]
    }
