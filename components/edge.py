"""Edge: the load balancer, its target group and listeners, TLS + DNS when a domain is set, and
the bucket its access logs go to."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from task.timing import DEREGISTRATION_DELAY_SECONDS

from .config import PypiServerConfig
from .network import NetworkPlacement
from .partition import account_root, partition

# TLS 1.3 with 1.2 fallback and forward-secret ciphers only.
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


ACCESS_LOG_PREFIX = "alb"
# Who writes the access logs. AWS, "Enable access logs for your Application Load Balancer",
# step 2 (Elastic Load Balancing user guide): "Regions available as of August 2022 or later:
# ... grants permissions to the logdelivery.elasticloadbalancing.amazonaws.com service
# principal"; for "Regions available before August 2022", the policy names "the ID of the AWS
# account for Elastic Load Balancing for your Region" (the table there, copied below).
LOG_DELIVERY_PRINCIPAL = "logdelivery.elasticloadbalancing.amazonaws.com"
ELB_ACCOUNT_IDS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-southeast-3": "589379963580",
    "ap-south-1": "718504428378",
    "ap-northeast-3": "383597477331",
    "ap-northeast-2": "600734575887",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-south-1": "635631232127",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
}


def access_log_bucket_policy(bucket_arn: str, account_id: str, region: str, in_partition: str) -> dict[str, Any]:
    """Log delivery may put objects under the prefix the load balancer writes to
    (<prefix>/AWSLogs/<account>/...), nothing else; nobody may reach the bucket without TLS."""
    writer = (
        {"AWS": account_root(ELB_ACCOUNT_IDS[region], in_partition)}
        if region in ELB_ACCOUNT_IDS
        else {"Service": LOG_DELIVERY_PRINCIPAL}
    )
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "LoadBalancerLogDelivery",
                "Effect": "Allow",
                "Principal": writer,
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/{ACCESS_LOG_PREFIX}/AWSLogs/{account_id}/*",
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


@dataclass(frozen=True)
class Edge:
    load_balancer: aws.lb.LoadBalancer
    target_group: aws.lb.TargetGroup
    listeners: list[aws.lb.Listener]
    url: pulumi.Output[str]
    access_log_bucket: aws.s3.Bucket | None = None


def access_log_bucket(
    name: str, cfg: PypiServerConfig, region: str, parent: pulumi.Resource, tags: dict[str, str]
) -> tuple[aws.s3.Bucket, aws.s3.BucketPolicy]:
    """Private, encrypted, expiring. SSE-S3 only: "The only server-side encryption option
    that's supported is Amazon S3-managed keys (SSE-S3)" (same AWS page, "Access log files")."""
    opts = pulumi.ResourceOptions(parent=parent)
    bucket = aws.s3.Bucket(f"{name}-access-logs", force_destroy=False, tags=tags, opts=opts)
    child = pulumi.ResourceOptions(parent=bucket)
    block = aws.s3.BucketPublicAccessBlock(
        f"{name}-access-logs-private",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-access-logs-encryption",
        bucket=bucket.id,
        rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
        opts=child,
    )
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-access-logs-retention",
        bucket=bucket.id,
        rules=[
            {
                "id": "expire-access-logs",
                "status": "Enabled",
                "filter": {"prefix": f"{ACCESS_LOG_PREFIX}/"},
                "expiration": {"days": cfg.access_log_retention_days},
            }
        ],
        opts=child,
    )
    account_id, in_partition = aws.get_caller_identity().account_id, partition()
    policy = aws.s3.BucketPolicy(
        f"{name}-access-logs-delivery",
        bucket=bucket.id,
        policy=bucket.arn.apply(
            lambda arn: json.dumps(access_log_bucket_policy(arn, account_id, region, in_partition))
        ),
        # The public access block goes first: both change the bucket's policy state.
        opts=pulumi.ResourceOptions(parent=bucket, depends_on=[block]),
    )
    return bucket, policy


def load_balancer(
    name: str,
    cfg: PypiServerConfig,
    net: NetworkPlacement,
    alb_security_group: aws.ec2.SecurityGroup,
    health_path: str,
    parent: pulumi.Resource,
    tags: dict[str, str],
    region: str,
) -> Edge:
    opts = pulumi.ResourceOptions(parent=parent)
    logs, log_policy = access_log_bucket(name, cfg, region, parent, tags) if cfg.access_logs else (None, None)
    alb = aws.lb.LoadBalancer(
        f"{name}-alb",
        load_balancer_type="application",
        internal=cfg.load_balancer_scheme == "internal",
        security_groups=[alb_security_group.id],
        subnets=net.load_balancer_subnet_ids,
        drop_invalid_header_fields=True,
        # Above the front's upload timeout: a large upload is never cut by the load balancer.
        idle_timeout=cfg.load_balancer_idle_timeout_seconds,
        # Who reached the index, when, with what status (the audit trail's other half); the
        # load balancer checks it may write there when logging is turned on: policy first.
        access_logs=({"bucket": logs.bucket, "prefix": ACCESS_LOG_PREFIX, "enabled": True} if logs else None),
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[log_policy] if log_policy else None),
    )
    target_group = aws.lb.TargetGroup(
        f"{name}-tg",
        vpc_id=net.vpc_id,
        target_type="instance",
        protocol="HTTP",
        port=80,  # ECS registers each task's dynamic host port; this is only the default
        # An upload in flight when its task is replaced completes; an idle target (reads
        # only) is released at once, so reads never wait for it (task/timing.py).
        deregistration_delay=DEREGISTRATION_DELAY_SECONDS,
        # Bursts come from few CI hosts on keep-alive connections: send each request to the
        # least busy task rather than round-robin, and never pin clients with cookies.
        load_balancing_algorithm_type="least_outstanding_requests",
        stickiness={"type": "lb_cookie", "enabled": False},
        # The health endpoint answers without auth and without scanning the package tree.
        health_check={
            "enabled": True,
            "path": health_path,
            "matcher": "200",
            "interval": 15,
            "timeout": 5,
            "healthy_threshold": 2,
            "unhealthy_threshold": 3,
        },
        tags=tags,
        opts=opts,
    )
    forward = [{"type": "forward", "target_group_arn": target_group.arn}]
    if not cfg.domain_enabled:
        http = aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=alb.arn,
            port=80,
            protocol="HTTP",
            default_actions=forward,
            tags=tags,
            opts=opts,
        )
        return Edge(alb, target_group, [http], pulumi.Output.concat("http://", alb.dns_name), logs)

    fqdns, certificate_arn = _certificate(name, cfg, parent, tags)
    https = aws.lb.Listener(
        f"{name}-https",
        load_balancer_arn=alb.arn,
        port=443,
        protocol="HTTPS",
        ssl_policy=TLS_POLICY,
        certificate_arn=certificate_arn,
        default_actions=forward,
        tags=tags,
        opts=opts,
    )
    http = aws.lb.Listener(
        f"{name}-http",
        load_balancer_arn=alb.arn,
        port=80,
        protocol="HTTP",
        default_actions=[
            {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}}
        ],
        tags=tags,
        opts=opts,
    )
    for fqdn in fqdns:
        aws.route53.Record(
            f"{name}-dns-{fqdn}",
            zone_id=cfg.zone_id,
            name=fqdn,
            type="A",
            aliases=[{"name": alb.dns_name, "zone_id": alb.zone_id, "evaluate_target_health": True}],
            opts=opts,
        )
    return Edge(alb, target_group, [https, http], pulumi.Output.from_input(f"https://{fqdns[0]}"), logs)


def _certificate(
    name: str, cfg: PypiServerConfig, parent: pulumi.Resource, tags: dict[str, str]
) -> tuple[list[str], pulumi.Output[str]]:
    zone = aws.route53.get_zone(zone_id=cfg.zone_id)
    if zone.private_zone:
        # ACM's DNS validation needs records the public internet resolves ("ACM does not
        # validate domains in private hosted zones", ACM user guide, "DNS validation").
        raise pulumi.RunError(
            f"pypiserver:zoneId: {cfg.zone_id} ({zone.name}) is a private hosted zone; ACM can "
            "only validate a certificate through a public zone: give a public hosted zone's id"
        )
    fqdns = [f"{label}.{zone.name.rstrip('.')}" for label in cfg.dns_names]
    cert = aws.acm.Certificate(
        f"{name}-cert",
        domain_name=fqdns[0],
        subject_alternative_names=fqdns[1:],
        validation_method="DNS",
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    # One validation record per name; their count is known now, so none is made inside apply().
    records = [
        aws.route53.Record(
            f"{name}-cert-validation-{i}",
            zone_id=cfg.zone_id,
            name=cert.domain_validation_options.apply(lambda o, i=i: o[i].resource_record_name),
            type=cert.domain_validation_options.apply(lambda o, i=i: o[i].resource_record_type),
            records=[cert.domain_validation_options.apply(lambda o, i=i: o[i].resource_record_value)],
            ttl=300,
            allow_overwrite=True,
            opts=pulumi.ResourceOptions(parent=cert),
        )
        for i in range(len(fqdns))
    ]
    validation = aws.acm.CertificateValidation(
        f"{name}-cert-validation",
        certificate_arn=cert.arn,
        validation_record_fqdns=[r.fqdn for r in records],
        opts=pulumi.ResourceOptions(parent=cert),
    )
    return fqdns, validation.certificate_arn
