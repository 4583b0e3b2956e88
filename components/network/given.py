"""A network the stack names (`vpcId` + `subnetIds`), looked up at preview (AZ, VPC, route
table) and refused, with one line naming the subnet, when what `pulumi up` builds there
could not work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi_aws as aws

from task import images

from ..config import PypiServerConfig, key
from ..config.aws_values import VPC_INTERFACE_ENDPOINTS
from .placement import DEFAULT_ROUTE, EGRESS_TARGETS, NetworkError, NetworkPlacement


@dataclass(frozen=True)
class SubnetFacts:
    id: str
    vpc_id: str
    availability_zone: str
    default_route: dict[str, Any] | None  # the 0.0.0.0/0 route of its route table, if any
    route_table_id: str = ""
    # Prefix lists its route table sends to a gateway endpoint (S3's, DynamoDB's).
    gateway_prefix_lists: frozenset[str] = frozenset()


def _route_table(subnet_id: str, vpc_id: str) -> Any:
    """The subnet's route table: its explicit association, else the VPC's main table
    ("A subnet that's not explicitly associated with any route table is implicitly
    associated with the main route table", Amazon VPC user guide, "Route tables")."""
    try:
        return aws.ec2.get_route_table(subnet_id=subnet_id)
    except Exception:  # noqa: BLE001 - the provider reports "no matching route table" as a plain error
        return aws.ec2.get_route_table(vpc_id=vpc_id, filters=[{"name": "association.main", "values": ["true"]}])


def subnet_facts(subnet_id: str) -> SubnetFacts:
    try:
        subnet = aws.ec2.get_subnet(id=subnet_id)
    except Exception as err:  # noqa: BLE001 - the provider's error, whatever its class: shown in one line
        reason = next((line.strip() for line in str(err).splitlines() if line.strip()), type(err).__name__)
        raise NetworkError(f"{key('subnetIds')}: {subnet_id} cannot be read: {reason}") from None
    table = _route_table(subnet_id, subnet.vpc_id)
    routes = [{k: getattr(r, k, None) for k in ("cidr_block", "gateway_id", *EGRESS_TARGETS)} for r in table.routes]
    default = next((r for r in routes if r["cidr_block"] == DEFAULT_ROUTE), None)
    gateways = frozenset(
        str(r.destination_prefix_list_id)
        for r in table.routes
        if getattr(r, "destination_prefix_list_id", None)
        and str(getattr(r, "gateway_id", "") or "").startswith("vpce-")
    )
    return SubnetFacts(
        id=subnet_id,
        vpc_id=subnet.vpc_id,
        availability_zone=subnet.availability_zone,
        default_route=default,
        route_table_id=table.id,
        gateway_prefix_lists=gateways,
    )


def route_target(route: dict[str, Any] | None) -> str | None:
    """The kind of target of a default route: 'internet' (an internet gateway), 'egress' (NAT,
    transit gateway, firewall endpoint, NAT instance) or None (no default route)."""
    if not route:
        return None
    gateway = str(route.get("gateway_id") or "")
    if gateway.startswith("igw-"):
        return "internet"
    if any(route.get(k) for k in EGRESS_TARGETS):
        return "egress"
    return None


def check_existing(cfg: PypiServerConfig, region: str) -> NetworkPlacement:
    vpc = aws.ec2.get_vpc(id=cfg.vpc_id)
    _check_dns(vpc)
    instance_ids = list(dict.fromkeys(cfg.subnet_ids or []))
    lb_ids = list(dict.fromkeys(cfg.load_balancer_subnet_ids or instance_ids))
    facts = {sid: subnet_facts(sid) for sid in dict.fromkeys(instance_ids + lb_ids)}
    for f in facts.values():
        if f.vpc_id != vpc.id:
            raise NetworkError(f"{key('subnetIds')}: {f.id} is in {f.vpc_id}, not in {key('vpcId')} {vpc.id}")
    _one_per_az(key("subnetIds"), [facts[s] for s in instance_ids])
    _one_per_az(
        key("loadBalancerSubnetIds") if cfg.load_balancer_subnet_ids else key("subnetIds"), [facts[s] for s in lb_ids]
    )
    _targets_reachable([facts[s] for s in instance_ids], [facts[s] for s in lb_ids])
    for sid in instance_ids:
        _check_instance_egress(cfg, facts[sid], region)
    if cfg.load_balancer_scheme == "internet-facing":
        for sid in lb_ids:
            if route_target(facts[sid].default_route) != "internet":
                raise NetworkError(
                    f"{key('loadBalancerSubnetIds') if cfg.load_balancer_subnet_ids else key('subnetIds')}: {sid} "
                    f"({facts[sid].availability_zone}) has no route to an internet gateway, so an internet-facing "
                    "load balancer there is unreachable; give public subnets"
                )
    instance_facts = [facts[s] for s in instance_ids]
    return NetworkPlacement(
        vpc_id=vpc.id,
        vpc_cidrs=vpc_cidr_blocks(vpc),
        instance_subnets=[(sid, sid) for sid in instance_ids],
        load_balancer_subnet_ids=lb_ids,
        tables_without_s3_gateway=_tables_without_s3_gateway(instance_facts, region) if cfg.vpc_endpoints else (),
        existing_endpoints=_private_dns_endpoints(vpc.id, region) if cfg.vpc_endpoints else {},
    )


def _check_dns(vpc: Any) -> None:
    """EFS volumes mount by the file system's DNS name, and interface endpoints answer for the
    services' own names through private DNS: "To use a private hosted zone, you must set the
    following VPC attributes to true: enableDnsHostnames and enableDnsSupport" (EC2 API
    CreateVpcEndpoint, PrivateDnsEnabled)."""
    off = [
        name
        for name, on in (("enableDnsSupport", vpc.enable_dns_support), ("enableDnsHostnames", vpc.enable_dns_hostnames))
        if not on
    ]
    if off:
        raise NetworkError(
            f"{key('vpcId')}: {vpc.id} has {' and '.join(off)} off; EFS mounts by DNS name and interface endpoints "
            "need private DNS: set both VPC attributes to true (aws ec2 modify-vpc-attribute)"
        )


def _tables_without_s3_gateway(instance_subnets: list[SubnetFacts], region: str) -> list[str]:
    """Instances without NAT pull image layers from S3 ("Amazon ECR uses Amazon S3 to store your
    image layers", ECR user guide, interface VPC endpoints: the ECR endpoints are needed "as well
    as the Amazon S3 gateway endpoint"): the route tables that do not route S3's prefix list to
    a gateway endpoint yet. A route table takes one endpoint route per service, so tables that
    have one are left alone."""
    s3 = aws.ec2.get_prefix_list(name=f"com.amazonaws.{region}.s3").id
    return list(dict.fromkeys(f.route_table_id for f in instance_subnets if s3 not in f.gateway_prefix_lists))


def _private_dns_endpoints(vpc_id: str, region: str) -> dict[str, str]:
    """Services that already have an interface endpoint with private DNS in the VPC: their
    names resolve to it, and a second endpoint with private DNS would be refused (the name is
    taken), so the component uses the existing one."""
    found = {}
    for service in VPC_INTERFACE_ENDPOINTS:
        try:
            endpoint = aws.ec2.get_vpc_endpoint(
                vpc_id=vpc_id, service_name=f"com.amazonaws.{region}.{service}", vpc_endpoint_type="Interface"
            )
        except Exception:  # noqa: BLE001 - the provider reports "no matching EC2 VPC Endpoint found" as a plain error
            continue
        if endpoint.private_dns_enabled and endpoint.state == "available":
            found[service] = endpoint.id
    return found


def vpc_cidr_blocks(vpc: Any) -> list[str]:
    """The VPC's primary block and every secondary one still associated ("You can associate
    secondary IPv4 CIDR blocks with your VPC", Amazon VPC user guide, "VPC CIDR blocks")."""
    blocks = [vpc.cidr_block]
    for association in vpc.cidr_block_associations or []:
        if association.state == "associated" and association.cidr_block not in blocks:
            blocks.append(association.cidr_block)
    return blocks


def _one_per_az(key: str, subnets: list[SubnetFacts]) -> None:
    """EFS takes one mount target per AZ ("You can create one mount target in each
    Availability Zone in your VPC", EFS API CreateMountTarget); an ALB needs two AZs."""
    seen: dict[str, str] = {}
    for f in subnets:
        if f.availability_zone in seen:
            raise NetworkError(
                f"{key}: {seen[f.availability_zone]} and {f.id} are both in {f.availability_zone}; "
                "give one subnet per Availability Zone (EFS allows one mount target per AZ)"
            )
        seen[f.availability_zone] = f.id
    if len(seen) < 2:
        raise NetworkError(
            f"{key}: the subnets span {len(seen)} Availability Zone(s); the load balancer and the ASG need at least 2"
        )


def _targets_reachable(instances: list[SubnetFacts], balancers: list[SubnetFacts]) -> None:
    """The load balancer sends traffic only to targets in its own AZs ("If you register targets
    in an Availability Zone but do not enable the Availability Zone, these registered targets
    do not receive traffic from the load balancer", ELB user guide, "Availability Zones")."""
    enabled = {f.availability_zone for f in balancers}
    for f in instances:
        if f.availability_zone not in enabled:
            raise NetworkError(
                f"{key('subnetIds')}: {f.id} is in {f.availability_zone}, where "
                f"{key('loadBalancerSubnetIds')} has no subnet: tasks there would get no traffic; "
                f"give the load balancer a subnet in {f.availability_zone}"
            )


def _check_instance_egress(cfg: PypiServerConfig, f: SubnetFacts, region: str) -> None:
    target = route_target(f.default_route)
    where = f"{key('subnetIds')}: {f.id} ({f.availability_zone})"
    if cfg.instance_public_ip:
        if target != "internet":
            raise NetworkError(
                f"{where} has no route to an internet gateway, but {key('instancePublicIp')} is "
                "true: instances with public IPs need public subnets"
            )
        return
    if target == "egress":
        return
    if cfg.trusted_publishing is not None:
        raise NetworkError(
            f"{where} has no default route to a NAT gateway, transit gateway or firewall, but "
            f"{key('trustedPublishing')} needs the internet: the exchange fetches the CI providers' signing keys "
            "(JWKS) and installs its JWT library from PyPI; route 0.0.0.0/0 through NAT or unset it"
        )
    if cfg.vpc_endpoints and _images_reachable_through_endpoints(cfg, region):
        return
    reason = (
        "routes 0.0.0.0/0 to an internet gateway, but instances get no public IP"
        if target == "internet"
        else "has no default route to a NAT gateway, transit gateway or firewall"
    )
    raise NetworkError(
        f"{where} {reason}: ECS instances there could not reach ECS, the image registry, Secrets Manager or "
        f"CloudWatch Logs, and no task would start. Route 0.0.0.0/0 through NAT, or set {key('vpcEndpoints')}: "
        f"true (interface endpoints for {', '.join(VPC_INTERFACE_ENDPOINTS)}) with {key('imageRegistry')} an ECR "
        f"pull-through cache in {region}"
    )


def _images_reachable_through_endpoints(cfg: PypiServerConfig, region: str) -> bool:
    """Interface endpoints reach AWS services only: images must come from ECR in this region."""
    ecr = images.ecr_registry(cfg.image_registry)
    return ecr is not None and ecr[1] == region
