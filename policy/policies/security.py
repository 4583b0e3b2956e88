"""Security: encryption at rest and in transit, IMDSv2, no public addresses, no ingress open
to the world except HTTP(S) on the load balancer, modern TLS, credentials secrets that
only named principals may read, and trusted publishing only behind HTTPS."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

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

from guide.type_tokens import (
    EC2_INSTANCE,
    ECS_TASK_DEFINITION,
    EFS_FILE_SYSTEM,
    LAUNCH_TEMPLATE,
    LISTENERS,
    LOAD_BALANCERS,
    SECURITY_GROUP,
    SECURITY_GROUP_INGRESS_RULE,
    SECURITY_GROUP_RULE,
)
from policies.common import (
    about,
    current_stack,
    is_true,
    items,
    mapping,
    number,
    redirects_to_https,
    schema,
    settings,
    show,
    text,
)
from policies.graph import dependents, linked, of_type

# --- efs-encrypted -----------------------------------------------------------------------


def check_efs_encrypted(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == EFS_FILE_SYSTEM and not is_true(args.props.get("encrypted")):
        report(
            "encrypted is not true: set encrypted=True on the file system. Encryption at rest is chosen at "
            "creation, so this replaces it: copy the packages to the new file system first."
        )


efs_encrypted = ResourceValidationPolicy(
    name="efs-encrypted",
    description="The EFS file system is encrypted at rest.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_efs_encrypted,
    **about(
        "security",
        Severity.HIGH,
        "Set encrypted=True on the EFS file system (the component always does); encryption at rest is "
        "chosen at creation, so an existing unencrypted file system must be replaced and its data copied.",
        "https://docs.aws.amazon.com/efs/latest/ug/encryption-at-rest.html",
    ),
)

# --- efs-transit-encryption --------------------------------------------------------------


def check_efs_transit_encryption(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != ECS_TASK_DEFINITION:
        return
    for volume in items(args.props.get("volumes")):
        efs = mapping(mapping(volume).get("efsVolumeConfiguration"))
        if efs and text(efs.get("transitEncryption")) != "ENABLED":
            report(
                f"volume '{mapping(volume).get('name')}' mounts EFS with transitEncryption "
                f"{efs.get('transitEncryption') or 'unset'}: set transitEncryption to ENABLED (NFS traffic, "
                "package uploads included, would cross the VPC in clear text)."
            )


efs_transit_encryption = ResourceValidationPolicy(
    name="efs-transit-encryption",
    description="ECS tasks mount EFS with encryption in transit (TLS).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_efs_transit_encryption,
    **about(
        "security",
        Severity.HIGH,
        "Set efsVolumeConfiguration.transitEncryption to ENABLED on every EFS volume of the task definition.",
        "https://docs.aws.amazon.com/efs/latest/ug/encryption-in-transit.html",
    ),
)

# --- launch-template-imdsv2 --------------------------------------------------------------


def check_imdsv2(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in (LAUNCH_TEMPLATE, EC2_INSTANCE):
        return
    options = mapping(args.props.get("metadataOptions"))
    if text(options.get("httpEndpoint")) == "disabled" or text(options.get("httpTokens")) == "required":
        return
    report(
        f'metadataOptions.httpTokens is {options.get("httpTokens") or "unset"}: set it to "required" '
        "(IMDSv2), so a request forged through a container cannot read the instance role's credentials."
    )


launch_template_imdsv2 = ResourceValidationPolicy(
    name="launch-template-imdsv2",
    description="Instances require IMDSv2 session tokens for the metadata service.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_imdsv2,
    **about(
        "security",
        Severity.HIGH,
        "Set metadataOptions.httpTokens to required (and httpPutResponseHopLimit to 1) on the launch template.",
        "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-new-instances.html",
    ),
)

# --- no-public-ip ------------------------------------------------------------------------


PUBLIC_IP_SCHEMA = schema(
    allowPublicIpStacks={
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Stacks whose instances may have public IPs (e.g. in the default VPC, "
        "with pypiserver:instancePublicIp).",
    },
)


def check_no_public_ip(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if current_stack() in settings(args, PUBLIC_IP_SCHEMA)["allowPublicIpStacks"]:
        return
    if args.resource_type == LAUNCH_TEMPLATE:
        interfaces = [mapping(i) for i in items(args.props.get("networkInterfaces"))]
        values = [i.get("associatePublicIpAddress") for i in interfaces]
    elif args.resource_type == EC2_INSTANCE:
        values = [args.props.get("associatePublicIpAddress")]
    else:
        return
    # Unset means "whatever the subnet says", and default-VPC subnets hand out public IPs.
    if not values or any(v is None or is_true(v) for v in values):
        shown = ", ".join("unset" if v is None else str(v).lower() for v in values) or "unset"
        report(
            f"associatePublicIpAddress is {shown}: set it to false on every network interface; instances "
            "are reached through the load balancer only, and an unset value follows the subnet (public in "
            "the default VPC). An accepted exception goes in this policy's allowPublicIpStacks."
        )


no_public_ip = ResourceValidationPolicy(
    name="no-public-ip",
    description="Instances get no public IP address.",
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PUBLIC_IP_SCHEMA,
    validate=check_no_public_ip,
    **about(
        "security",
        Severity.HIGH,
        "Set associatePublicIpAddress to false on every network interface of the launch template; reach "
        "the instances through the load balancer and SSM.",
        "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-ip-addressing.html",
    ),
)

# --- no-open-ingress (stack) -------------------------------------------------------------

WORLD = ("0.0.0.0/0", "::/0")
OPEN_INGRESS_SCHEMA = schema(
    publicPorts={
        "type": "array",
        "items": {"type": "integer", "minimum": 0, "maximum": 65535},
        "default": [80, 443],
        "description": "Ports the load balancer's security group may open to 0.0.0.0/0 or ::/0.",
    },
)


def ports_within(protocol: Any, from_port: Any, to_port: Any, allowed: list[int]) -> bool:
    """Whether the rule opens only allowed ports ("-1" means every protocol and port)."""
    low, high = number(from_port), number(to_port)
    if str(protocol).lower() in ("-1", "all") or low is None or high is None:
        return False
    return high - low < len(allowed) and all(p in allowed for p in range(int(low), int(high) + 1))


def world_rules(sg: PolicyResource, resources: list[PolicyResource]) -> list[tuple[str, dict]]:
    """(urn, normalized rule) for every ingress rule of `sg` open to the world: inline rules
    and standalone rule resources attached to it."""
    found = []
    for rule in items(sg.props.get("ingress")):
        rule = mapping(rule)
        cidrs = [*items(rule.get("cidrBlocks")), *items(rule.get("ipv6CidrBlocks"))]
        found.append((sg.urn, rule.get("protocol"), rule.get("fromPort"), rule.get("toPort"), cidrs))
    for rule in of_type(resources, SECURITY_GROUP_RULE, SECURITY_GROUP_INGRESS_RULE):
        if sg not in linked(rule, resources, SECURITY_GROUP):
            continue
        p = rule.props
        if rule.resource_type == SECURITY_GROUP_RULE:
            if p.get("type") != "ingress":
                continue
            cidrs = [*items(p.get("cidrBlocks")), *items(p.get("ipv6CidrBlocks"))]
            found.append((rule.urn, p.get("protocol"), p.get("fromPort"), p.get("toPort"), cidrs))
        else:
            found.append(
                (
                    rule.urn,
                    p.get("ipProtocol"),
                    p.get("fromPort"),
                    p.get("toPort"),
                    [p.get("cidrIpv4"), p.get("cidrIpv6")],
                )
            )
    return [
        (urn, {"protocol": proto, "from": low, "to": high})
        for urn, proto, low, high, cidrs in found
        if any(c in WORLD for c in cidrs)
    ]


def check_no_open_ingress(args: StackValidationArgs, report: ReportViolation) -> None:
    allowed = [int(p) for p in settings(args, OPEN_INGRESS_SCHEMA)["publicPorts"]]
    resources = args.resources
    for sg in of_type(resources, SECURITY_GROUP):
        on_load_balancer = bool(dependents(sg, resources, *LOAD_BALANCERS))
        for urn, rule in world_rules(sg, resources):
            if on_load_balancer and ports_within(rule["protocol"], rule["from"], rule["to"], allowed):
                continue
            where = (
                "the load balancer's security group may open only ports " + ", ".join(map(str, allowed))
                if on_load_balancer
                else "only the load balancer's security group may be open to the world"
            )
            report(
                f"security group '{sg.name}' allows {rule['protocol']} {show(number(rule['from']))}-"
                f"{show(number(rule['to']))} from anywhere: {where}. Narrow the source to your clients "
                "(pypiserver:allowedCidrs) or to another security group.",
                urn,
            )


no_open_ingress = StackValidationPolicy(
    name="no-open-ingress",
    description="No security group admits the whole internet, except HTTP(S) on the load balancer's.",
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=OPEN_INGRESS_SCHEMA,
    validate=check_no_open_ingress,
    **about(
        "security",
        Severity.CRITICAL,
        "Remove 0.0.0.0/0 and ::/0 from every security group except the load balancer's on publicPorts "
        "(80, 443); list your clients in pypiserver:allowedCidrs.",
        "https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html",
    ),
)

# --- alb-modern-tls / alb-https-only -----------------------------------------------------

MODERN_TLS_POLICIES = [
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
]
TLS_SCHEMA = schema(
    allowedPolicies={
        "type": "array",
        "items": {"type": "string"},
        "default": MODERN_TLS_POLICIES,
        "description": "ELB security policies accepted on HTTPS/TLS listeners.",
    },
)


def check_modern_tls(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in LISTENERS or text(args.props.get("protocol")) not in ("HTTPS", "TLS"):
        return
    allowed = settings(args, TLS_SCHEMA)["allowedPolicies"]
    # Without sslPolicy, AWS applies ELBSecurityPolicy-2016-08, which still accepts TLS 1.0.
    policy = text(args.props.get("sslPolicy")) or "ELBSecurityPolicy-2016-08 (AWS default)"
    if policy not in allowed:
        report(
            f"sslPolicy is {policy}: use {allowed[0] if allowed else 'a TLS 1.2+ policy'} (TLS 1.2 minimum, "
            "forward-secret ciphers)."
        )


alb_modern_tls = ResourceValidationPolicy(
    name="alb-modern-tls",
    description="HTTPS listeners use a modern TLS policy (TLS 1.2 or later).",
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=TLS_SCHEMA,
    validate=check_modern_tls,
    **about(
        "security",
        Severity.HIGH,
        "Set sslPolicy on each HTTPS listener to a TLS 1.2+ policy from allowedPolicies, e.g. "
        "ELBSecurityPolicy-TLS13-1-2-2021-06.",
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html",
    ),
)


def check_https_only(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in LISTENERS or text(args.props.get("protocol")) != "HTTP":
        return
    actions = items(args.props.get("defaultActions"))
    if actions and all(redirects_to_https(a) for a in actions):
        return
    report(
        "the load balancer serves plain HTTP: package downloads and the basic-auth credentials cross the "
        "network in clear text. Set pypiserver:zoneId and pypiserver:dnsNames to get a certificate, an HTTPS "
        "listener with a modern TLS policy, and an HTTP-to-HTTPS redirect."
    )


alb_https_only = ResourceValidationPolicy(
    name="alb-https-only",
    description="Clients reach the index over HTTPS (advisory: a stack without a domain has only HTTP).",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=check_https_only,
    **about(
        "security",
        Severity.MEDIUM,
        "Set pypiserver:zoneId (and dnsNames) so the stack gets a certificate, an HTTPS listener and an "
        "HTTP listener that only redirects to HTTPS.",
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html",
    ),
)

# --- secret-readers-named ---------------------------------------------------------------

SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy"
ROLE_POLICIES = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy")
READ_ACTION = "secretsmanager:GetSecretValue"


def _policy_document(value: Any) -> Mapping:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return mapping(value)


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value] if value is not None else []


def _secret_read_statements(document: Mapping) -> list[Mapping]:
    found = []
    for statement in _listed(document.get("Statement")):
        statement = mapping(statement)
        actions = [text(a) or "" for a in _listed(statement.get("Action"))]
        if statement.get("Effect") == "Allow" and any(
            a == "*" or a.lower() in ("secretsmanager:*", READ_ACTION.lower()) for a in actions
        ):
            found.append(statement)
    return found


def check_secret_readers(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == SECRET_POLICY:
        if not is_true(args.props.get("blockPublicPolicy")):
            report(
                "blockPublicPolicy is not true: set blockPublicPolicy=True, so Secrets Manager refuses a "
                "policy that opens the credentials to everyone."
            )
        for statement in _secret_read_statements(_policy_document(args.props.get("policy"))):
            principal = statement.get("Principal")
            named = _listed(mapping(principal).get("AWS")) if isinstance(principal, Mapping) else []
            if not named or any("*" in (text(p) or "*") for p in named) or set(mapping(principal)) - {"AWS"}:
                report(
                    f"the secret's policy lets {json.dumps(principal)} read it: remove wildcard and service "
                    "principals; name the IAM roles that need the token (pypiserver:users[].secretReaders)."
                )
            actions = {text(a) for a in _listed(statement.get("Action"))}
            if actions - {READ_ACTION}:
                report(
                    f"the secret's policy allows {sorted(a or '' for a in actions)}: lower it to "
                    f"{READ_ACTION} alone (readers need the value, nothing else)."
                )
    elif args.resource_type in ROLE_POLICIES:
        for statement in _secret_read_statements(_policy_document(args.props.get("policy"))):
            resources = [text(r) or "" for r in _listed(statement.get("Resource"))]
            if any(r == "*" or r.endswith(":secret:*") for r in resources):
                report(
                    f"a role may read every secret ({', '.join(resources)}): set Resource to the ARNs of the "
                    "users' secrets it needs."
                )


secret_readers_named = ResourceValidationPolicy(
    name="secret-readers-named",
    description="Only named IAM principals may read the credentials secrets (GetSecretValue on named secrets).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_secret_readers,
    **about(
        "security",
        Severity.HIGH,
        "Set blockPublicPolicy=True on each secret policy, name the IAM roles allowed to read each user's "
        "secret (pypiserver:users[].secretReaders) instead of wildcards, and grant only "
        "secretsmanager:GetSecretValue on the named secrets' ARNs.",
        "https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_resource-policies.html",
    ),
)

# --- alb-access-logs -----------------------------------------------------------------------


def check_access_logs(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in LOAD_BALANCERS:
        return
    logs = mapping(args.props.get("accessLogs"))
    if not is_true(logs.get("enabled")) or not text(logs.get("bucket")):
        report(
            "access logs are off: nothing records which client reached the index, when, and with what answer. "
            "Set pypiserver:accessLogs to true (the default): the stack writes them to an encrypted bucket that "
            "expires them."
        )


alb_access_logs = ResourceValidationPolicy(
    name="alb-access-logs",
    description="The load balancer writes access logs to S3 (advisory by default).",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=check_access_logs,
    **about(
        "security",
        Severity.MEDIUM,
        "Set pypiserver:accessLogs to true (the default), or accessLogs {enabled, bucket} on the load balancer.",
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html",
    ),
)

# --- trusted-publishing-https -------------------------------------------------------------

# The environment variable that carries the trusted publishers into the task (the index's
# pypi_index/contract.py, ENV_TRUSTED_PUBLISHERS; the pack is published alone, so it names it
# here, and tests/policy/test_security.py checks the two agree).
TRUSTED_PUBLISHERS_VARIABLE = "PYPI_INDEX_TRUSTED_PUBLISHERS"


def _trusted_publishing_on(resources: list[PolicyResource]) -> list[PolicyResource]:
    return [
        t
        for t in of_type(resources, ECS_TASK_DEFINITION)
        if TRUSTED_PUBLISHERS_VARIABLE in (text(t.props.get("containerDefinitions")) or "")
    ]


def check_trusted_publishing_https(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = args.resources
    tasks = _trusted_publishing_on(resources)
    if not tasks:
        return
    for lb in of_type(resources, *LOAD_BALANCERS):
        listeners = dependents(lb, resources, *LISTENERS)
        https = [x for x in listeners if text(x.props.get("protocol")) == "HTTPS"]
        plain = [
            x
            for x in listeners
            if text(x.props.get("protocol")) == "HTTP"
            and not all(redirects_to_https(a) for a in items(x.props.get("defaultActions")) or [None])
        ]
        if https and not plain:
            continue
        report(
            f"task definition '{tasks[0].name}' turns trusted publishing on, but load balancer '{lb.name}' "
            + ("has no HTTPS listener" if not https else f"serves plain HTTP on '{plain[0].name}'")
            + ": uv and the GitHub action reach /_/oidc/ over https only, and upload tokens must never cross "
            "the network in clear text. Set pypiserver:zoneId (HTTPS, HTTP redirects) or unset "
            "pypiserver:trustedPublishing.",
            lb.urn,
        )


trusted_publishing_https = StackValidationPolicy(
    name="trusted-publishing-https",
    description="Trusted publishing is on only behind HTTPS (HTTP listeners only redirect).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_trusted_publishing_https,
    **about(
        "security",
        Severity.HIGH,
        "Set pypiserver:zoneId (and dnsNames) so the load balancer serves HTTPS and HTTP only redirects, or "
        "unset pypiserver:trustedPublishing.",
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/create-https-listener.html",
    ),
)

POLICIES = [
    efs_encrypted,
    efs_transit_encryption,
    launch_template_imdsv2,
    no_public_ip,
    no_open_ingress,
    alb_modern_tls,
    alb_https_only,
    secret_readers_named,
    alb_access_logs,
    trusted_publishing_https,
]
