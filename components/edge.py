"""Edge: the load balancer, its target group and listeners, and TLS + DNS when a domain is set."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .config import PypiServerConfig
from .network import NetworkPlacement

# TLS 1.3 with 1.2 fallback and forward-secret ciphers only.
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
# Short: a replaced task stops receiving requests quickly (pip retries idempotent GETs).
DEREGISTRATION_DELAY_SECONDS = 30


@dataclass(frozen=True)
class Edge:
    load_balancer: aws.lb.LoadBalancer
    target_group: aws.lb.TargetGroup
    listeners: list[aws.lb.Listener]
    url: pulumi.Output[str]


def load_balancer(
    name: str,
    cfg: PypiServerConfig,
    net: NetworkPlacement,
    alb_security_group: aws.ec2.SecurityGroup,
    health_path: str,
    parent: pulumi.Resource,
    tags: dict[str, str],
) -> Edge:
    opts = pulumi.ResourceOptions(parent=parent)
    alb = aws.lb.LoadBalancer(
        f"{name}-alb",
        load_balancer_type="application",
        internal=cfg.load_balancer_scheme == "internal",
        security_groups=[alb_security_group.id],
        subnets=net.load_balancer_subnet_ids,
        drop_invalid_header_fields=True,
        # Above the front's upload timeout: a large upload is never cut by the load balancer.
        idle_timeout=cfg.load_balancer_idle_timeout_seconds,
        tags=tags,
        opts=opts,
    )
    target_group = aws.lb.TargetGroup(
        f"{name}-tg",
        vpc_id=net.vpc_id,
        target_type="instance",
        protocol="HTTP",
        port=80,  # ECS registers each task's dynamic host port; this is only the default
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
        return Edge(alb, target_group, [http], pulumi.Output.concat("http://", alb.dns_name))

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
    return Edge(alb, target_group, [https, http], pulumi.Output.from_input(f"https://{fqdns[0]}"))


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
