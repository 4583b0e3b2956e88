"""Pulumi mocks that answer like AWS would: realistic ids, ARNs, names and data sources.

Every answer is derived from the resource's type and logical name, so two runs of the same
stack produce identical state (determinism is tested), and nothing needs credentials.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import pulumi

from guide.catalog import catalog
from guide.type_tokens import (
    ACM_CERTIFICATE,
    ACM_CERTIFICATE_VALIDATION,
    ASG,
    BACKUP_PLAN,
    BACKUP_SELECTION,
    BACKUP_VAULT,
    ECS_CAPACITY_PROVIDER,
    ECS_CLUSTER,
    ECS_CLUSTER_CAPACITY_PROVIDERS,
    ECS_SERVICE,
    ECS_TASK_DEFINITION,
    EFS_ACCESS_POINT,
    EFS_FILE_SYSTEM,
    EFS_FILE_SYSTEM_POLICY,
    EFS_MOUNT_TARGET,
    EIP,
    GET_AVAILABILITY_ZONES,
    GET_CALLER_IDENTITY,
    GET_INSTANCE_TYPE,
    GET_PARTITION,
    GET_PREFIX_LIST,
    GET_REGION,
    GET_ROUTE_TABLE,
    GET_SSM_PARAMETER,
    GET_SUBNET,
    GET_SUBNETS,
    GET_VPC,
    GET_VPC_ENDPOINT,
    GET_ZONE,
    IAM_INSTANCE_PROFILE,
    IAM_ROLE,
    IAM_ROLE_POLICY_ATTACHMENT,
    INTERNET_GATEWAY,
    KMS_KEY,
    LAUNCH_TEMPLATE,
    LISTENER,
    LOAD_BALANCER,
    LOG_GROUP,
    LOG_METRIC_FILTER,
    NAT_GATEWAY,
    RANDOM_PASSWORD,
    ROUTE53_RECORD,
    ROUTE_TABLE,
    ROUTE_TABLE_ASSOCIATION,
    S3_BUCKET,
    S3_BUCKET_POLICY,
    S3_ENCRYPTION,
    S3_LIFECYCLE,
    S3_PUBLIC_ACCESS_BLOCK,
    SCALING_TARGET,
    SECRET,
    SECRET_POLICY,
    SECRET_VERSION,
    SECURITY_GROUP,
    SNS_TOPIC,
    SNS_TOPIC_POLICY,
    SNS_TOPIC_SUBSCRIPTION,
    SUBNET,
    TARGET_GROUP,
    VPC,
    VPC_ENDPOINT,
)

ACCOUNT = "123456789012"
REGION = "us-east-1"
# The partition every ARN the mocks make is in; a test that sets another (aws-cn, aws-us-gov)
# sees which ARNs the program builds without asking AWS.
PARTITION = "aws"
DEFAULT_VPC_ID = "vpc-0a1b2c3d4e5f60718"
DEFAULT_VPC_CIDR = "172.31.0.0/16"
DEFAULT_SUBNETS = {  # one default subnet per AZ, as in a real default VPC
    "subnet-0aa1111111111111a": "us-east-1a",
    "subnet-0bb2222222222222b": "us-east-1b",
    "subnet-0cc3333333333333c": "us-east-1c",
}
ZONE_NAME = "example.com"
# A private hosted zone: ACM cannot validate through it (the component must refuse it).
PRIVATE_ZONE_ID = "Z0PRIVATE0ZONE0000001"
AVAILABILITY_ZONES = ("us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d")

# An existing account network for stacks that give vpcId + subnetIds: each subnet's AZ and
# the target of its route table's default route ("nat", "igw", "tgw" or None). The default
# VPC's subnets are public, as in a real default VPC.
EXISTING_VPC_ID = "vpc-0e1e2e3e4e5e6e7e8"
EXISTING_VPC_CIDR = "10.20.0.0/16"
# Secondary IPv4 blocks associated with a VPC after it was made (the existing VPC grew one), with
# the association's state as DescribeVpcs reports it.
SECONDARY_CIDRS: dict[str, list[tuple[str, str]]] = {EXISTING_VPC_ID: [("100.64.0.0/16", "associated")]}
EXISTING_SUBNETS: dict[str, tuple[str, str, str | None]] = {
    "subnet-0a0000000000000a1": (EXISTING_VPC_ID, "us-east-1a", "nat"),
    "subnet-0b0000000000000b1": (EXISTING_VPC_ID, "us-east-1b", "nat"),
    "subnet-0c0000000000000c1": (EXISTING_VPC_ID, "us-east-1c", "tgw"),
    "subnet-0a0000000000000a2": (EXISTING_VPC_ID, "us-east-1a", "nat"),  # a second subnet in 1a
    "subnet-0a0000000000000a3": (EXISTING_VPC_ID, "us-east-1a", None),  # isolated: no default route
    "subnet-0a00000000000fa01": (EXISTING_VPC_ID, "us-east-1a", "igw"),  # public
    "subnet-0b00000000000fb01": (EXISTING_VPC_ID, "us-east-1b", "igw"),  # public
    **{s: (DEFAULT_VPC_ID, az, "igw") for s, az in DEFAULT_SUBNETS.items()},
}


# VPC attributes (enableDnsSupport, enableDnsHostnames) where they differ from AWS's defaults
# for these VPCs (both on).
VPC_DNS: dict[str, tuple[bool, bool]] = {}
# S3's prefix list in the region (what getPrefixList answers for com.amazonaws.<region>.s3), and
# the subnets whose route table already sends it to a gateway endpoint: the NAT subnets, as
# most VPCs have it; the isolated subnet has none.
S3_PREFIX_LIST = "pl-63a5400a"
S3_GATEWAY_SUBNETS = {
    "subnet-0a0000000000000a1",
    "subnet-0b0000000000000b1",
    "subnet-0c0000000000000c1",
    "subnet-0a0000000000000a2",
}
# Interface endpoints already in a VPC: (VPC id, service) -> private DNS enabled. None by default.
EXISTING_ENDPOINTS: dict[tuple[str, str], bool] = {}


class NotFound(Exception):
    """What a data source answers when AWS has nothing matching: the engine returns it to the
    program as the invoke's failure (which the program may catch), not as a crash."""


def _hex(*parts: str, n: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:n]


def _physical_name(logical: str, typ: str) -> str:
    """Pulumi auto-naming: logical name plus a random-looking (here: stable) suffix."""
    return f"{logical}-{_hex(typ, logical, n=7)}"


class AwsMocks(pulumi.runtime.Mocks):
    """State per resource type: the inputs echoed back plus the computed outputs AWS adds.
    `stack_config` (the engine's PULUMI_CONFIG) lets getInstanceType answer from the stack's
    instanceSpecs, as a stack outside the catalog describes its type."""

    def __init__(self, stack_config: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.stack_config = dict(stack_config or {})

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        typ, name, inputs = args.typ, args.name, dict(args.inputs)
        if not args.custom:  # component resources have no cloud state of their own
            return "", {}
        service = typ.split(":")[1].split("/")[0]
        pname = inputs.get("name") or _physical_name(name, typ)
        rid = f"{name}-{_hex(typ, name, n=8)}"
        arn = f"arn:aws:{service}:{REGION}:{ACCOUNT}:{typ.split(':')[-1].lower()}/{pname}"
        state: dict[str, Any] = {**inputs, "arn": arn}
        extra = _COMPUTED.get(typ)
        if extra:
            rid, more = extra(name, pname, inputs)
            state.update(_in_partition(more))
            rid = _in_partition(rid)
        state["arn"] = _in_partition(state["arn"])
        if "name" not in inputs and typ.startswith("aws:") and typ not in _NAMELESS:
            state["name"] = pname
        return rid, state

    # The SDK also takes a bare dict (no failures), which its annotation leaves out.
    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any] | tuple[dict, list]:  # type: ignore[override]
        if args.token == GET_INSTANCE_TYPE:
            return self._instance_type(str(dict(args.args).get("instanceType")))
        answer = _INVOKES.get(args.token)
        if answer is None:
            raise NotImplementedError(f"offline engine has no answer for data source {args.token}")
        try:
            return _in_partition(answer(dict(args.args)))
        except NotFound as missing:
            return {}, [("", str(missing))]

    def _instance_type(self, instance_type: str) -> dict[str, Any] | tuple[dict, list]:
        """What DescribeInstanceTypes would say: the stack's instanceSpecs for its own type,
        else the catalog; otherwise a failure, as AWS fails for a type it does not offer."""
        specs = _json_object(self.stack_config.get("pypiserver:instanceSpecs"))
        known = catalog().get(instance_type)
        if self.stack_config.get("pypiserver:instanceType") == instance_type and all(
            k in specs for k in ("vcpu", "memoryMib", "arch")
        ):
            vcpu, memory, arch = specs["vcpu"], specs["memoryMib"], specs["arch"]
        elif known is not None:
            vcpu, memory, arch = known.vcpu, known.memory_mib, known.arch
        else:
            return {}, [
                (
                    "instanceType",
                    f"the offline engine knows vCPU and memory only for the catalog's types; "
                    f"set pypiserver:instanceSpecs {{vcpu, memoryMib, arch}} to preview "
                    f"{instance_type} offline",
                )
            ]
        return {
            "id": instance_type,
            "instanceType": instance_type,
            "defaultVcpus": vcpu,
            "memorySize": memory,
            "supportedArchitectures": [arch],
        }


def _in_partition(value: Any) -> Any:
    """What the mocks compute, with its ARNs in PARTITION (the answers are written for `aws`)."""
    if isinstance(value, str):
        return value.replace("arn:aws:", f"arn:{PARTITION}:") if PARTITION != "aws" else value
    if isinstance(value, dict):
        return {k: _in_partition(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_in_partition(v) for v in value]
    return value


def _json_object(raw: Any) -> dict:
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


_NAMELESS = {
    EFS_MOUNT_TARGET,
    EFS_ACCESS_POINT,
    EFS_FILE_SYSTEM_POLICY,
    ECS_CLUSTER_CAPACITY_PROVIDERS,
    IAM_ROLE_POLICY_ATTACHMENT,
    SECRET_VERSION,
    LISTENER,
    ROUTE53_RECORD,
    ACM_CERTIFICATE,
    ACM_CERTIFICATE_VALIDATION,
    SNS_TOPIC_SUBSCRIPTION,
    SCALING_TARGET,
    BACKUP_SELECTION,
    LAUNCH_TEMPLATE,
    VPC,
    SUBNET,
    INTERNET_GATEWAY,
    ROUTE_TABLE,
    ROUTE_TABLE_ASSOCIATION,
    EIP,
    NAT_GATEWAY,
    VPC_ENDPOINT,
    KMS_KEY,
    SNS_TOPIC_POLICY,
    SECRET_POLICY,
    S3_BUCKET,
    S3_PUBLIC_ACCESS_BLOCK,
    S3_ENCRYPTION,
    S3_LIFECYCLE,
    S3_BUCKET_POLICY,
    LOG_METRIC_FILTER,
}


def _lb(name: str, pname: str, inputs: dict) -> tuple[str, dict]:
    suffix = f"app/{pname[:32]}/{_hex(name, n=16)}"
    arn = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/{suffix}"
    scheme = "internal-" if inputs.get("internal") else ""
    return arn, {
        "arn": arn,
        "arnSuffix": suffix,
        "zoneId": "Z35SXDOTRQ7X7K",
        "dnsName": f"{scheme}{pname[:32]}-{int(_hex(name, n=8), 16) % 10**10}.{REGION}.elb.amazonaws.com",
    }


def _tg(name: str, pname: str, inputs: dict) -> tuple[str, dict]:
    suffix = f"targetgroup/{pname[:32]}/{_hex(name, n=16)}"
    arn = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:{suffix}"
    return arn, {"arn": arn, "arnSuffix": suffix}


def _efs(name: str, pname: str, inputs: dict) -> tuple[str, dict]:
    fs_id = f"fs-{_hex(name, n=17)}"
    return fs_id, {
        "arn": f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:file-system/{fs_id}",
        "dnsName": f"{fs_id}.efs.{REGION}.amazonaws.com",
    }


def _access_point(name: str, pname: str, inputs: dict) -> tuple[str, dict]:
    ap = f"fsap-{_hex(name, n=17)}"
    return ap, {"arn": f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:access-point/{ap}"}


def _prefixed(prefix: str, arn_fmt: str):
    def make(name: str, pname: str, inputs: dict) -> tuple[str, dict]:
        rid = f"{prefix}-{_hex(name, n=17)}"
        return rid, {"arn": arn_fmt.format(id=rid, name=pname, region=REGION, account=ACCOUNT)}

    return make


def _named(arn_fmt: str):
    """Resources whose id is their (auto-generated) name."""

    def make(name: str, pname: str, inputs: dict) -> tuple[str, dict]:
        return pname, {"arn": arn_fmt.format(name=pname, region=REGION, account=ACCOUNT)}

    return make


def _launch_template(name: str, pname: str, inputs: dict) -> tuple[str, dict]:
    lt = f"lt-{_hex(name, n=17)}"
    return lt, {"arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:launch-template/{lt}", "latestVersion": 1, "defaultVersion": 1}


def _secret(name: str, pname: str, inputs: dict) -> tuple[str, dict]:
    arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{pname}-{_hex(name, n=6)}"
    return arn, {"arn": arn}


def _bucket(name: str, pname: str, inputs: dict) -> tuple[str, dict]:
    # S3 names are global and lowercase: the provider adds a random suffix to the logical name.
    bucket = inputs.get("bucket") or f"{pname.lower()[:40]}-{_hex(name, n=12)}"
    return bucket, {
        "bucket": bucket,
        "arn": f"arn:aws:s3:::{bucket}",
        "bucketDomainName": f"{bucket}.s3.amazonaws.com",
        "region": REGION,
    }


def _secret_version(name: str, pname: str, inputs: dict) -> tuple[str, dict]:
    # Secrets Manager gives each new secret value a new version id (a UUID): derived here from
    # the value, so a changed value shows as a new version, and the same value as the same.
    digest = hashlib.sha256(f"version/{inputs.get('secretString', '')}".encode()).hexdigest()
    version = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
    return f"{inputs.get('secretId', '')}|{version}", {"versionId": version, "arn": inputs.get("secretId", "")}


def _password(name: str, pname: str, inputs: dict) -> tuple[str, dict]:
    # Stable for a given logical name, like a password kept in state across runs.
    length = int(inputs.get("length", 32))
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    digest = hashlib.sha256(f"password/{name}".encode()).digest() * 4
    result = "".join(alphabet[b % len(alphabet)] for b in digest[:length])
    return f"{name}-password", {"result": result}


def _certificate(name: str, pname: str, inputs: dict) -> tuple[str, dict]:
    arn = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/{_hex(name, n=8)}-{_hex(name, 'c', n=4)}"
    domains = [inputs.get("domainName"), *inputs.get("subjectAlternativeNames", [])]
    options = [
        {
            "domainName": d,
            "resourceRecordName": f"_{_hex(d, n=32)}.{d}.",
            "resourceRecordType": "CNAME",
            "resourceRecordValue": f"_{_hex(d, 'v', n=32)}.acm-validations.aws.",
        }
        for d in domains
    ]
    return arn, {"arn": arn, "domainValidationOptions": options}


def _cert_validation(name: str, pname: str, inputs: dict) -> tuple[str, dict]:
    return inputs["certificateArn"], {"certificateArn": inputs["certificateArn"]}


def _record(name: str, pname: str, inputs: dict) -> tuple[str, dict]:
    return f"{inputs.get('zoneId')}_{inputs.get('name')}_{inputs.get('type')}", {
        "fqdn": str(inputs.get("name", "")).rstrip(".")
    }


def _cluster(name: str, pname: str, inputs: dict) -> tuple[str, dict]:
    arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{pname}"
    return arn, {"arn": arn}


def _service(name: str, pname: str, inputs: dict) -> tuple[str, dict]:
    arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{pname}"
    return arn, {"arn": arn}


def _task_definition(name: str, pname: str, inputs: dict) -> tuple[str, dict]:
    family = inputs.get("family", pname)
    arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:1"
    return family, {"arn": arn, "arnWithoutRevision": arn.rsplit(":", 1)[0], "revision": 1}


def _capacity_provider(name: str, pname: str, inputs: dict) -> tuple[str, dict]:
    arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:capacity-provider/{pname}"
    return arn, {"arn": arn}


def _scaling_target(name: str, pname: str, inputs: dict) -> tuple[str, dict]:
    return str(inputs.get("resourceId")), {
        "arn": f"arn:aws:application-autoscaling:{REGION}:{ACCOUNT}:scalable-target/{_hex(name, n=20)}"
    }


def _kms_key(name: str, pname: str, inputs: dict) -> tuple[str, dict]:
    parts = (_hex(name, n=8), _hex(name, "a", n=4), _hex(name, "b", n=4), _hex(name, "c", n=4), _hex(name, "d", n=12))
    key_id = "-".join(parts)
    return key_id, {"arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}", "keyId": key_id}


def _vpc(name: str, pname: str, inputs: dict) -> tuple[str, dict]:
    vpc_id = f"vpc-{_hex(name, n=17)}"
    return vpc_id, {
        "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{vpc_id}",
        "mainRouteTableId": f"rtb-{_hex(name, 'main', n=17)}",
    }


_COMPUTED = {
    KMS_KEY: _kms_key,
    VPC: _vpc,
    SUBNET: _prefixed("subnet", "arn:aws:ec2:{region}:{account}:subnet/{id}"),
    INTERNET_GATEWAY: _prefixed("igw", "arn:aws:ec2:{region}:{account}:internet-gateway/{id}"),
    ROUTE_TABLE: _prefixed("rtb", "arn:aws:ec2:{region}:{account}:route-table/{id}"),
    ROUTE_TABLE_ASSOCIATION: _prefixed("rtbassoc", "{id}"),
    EIP: _prefixed("eipalloc", "arn:aws:ec2:{region}:{account}:elastic-ip/{id}"),
    NAT_GATEWAY: _prefixed("nat", "arn:aws:ec2:{region}:{account}:natgateway/{id}"),
    VPC_ENDPOINT: _prefixed("vpce", "arn:aws:ec2:{region}:{account}:vpc-endpoint/{id}"),
    LOAD_BALANCER: _lb,
    TARGET_GROUP: _tg,
    LISTENER: _prefixed("listener", "arn:aws:elasticloadbalancing:{region}:{account}:listener/{id}"),
    EFS_FILE_SYSTEM: _efs,
    EFS_ACCESS_POINT: _access_point,
    EFS_MOUNT_TARGET: _prefixed("fsmt", "arn:aws:elasticfilesystem:{region}:{account}:mount-target/{id}"),
    SECURITY_GROUP: _prefixed("sg", "arn:aws:ec2:{region}:{account}:security-group/{id}"),
    LAUNCH_TEMPLATE: _launch_template,
    ASG: _named(
        "arn:aws:autoscaling:{region}:{account}:autoScalingGroup:"
        "00000000-0000-0000-0000-000000000000:autoScalingGroupName/{name}"
    ),
    IAM_ROLE: _named("arn:aws:iam::{account}:role/{name}"),
    IAM_INSTANCE_PROFILE: _named("arn:aws:iam::{account}:instance-profile/{name}"),
    ECS_CLUSTER: _cluster,
    ECS_SERVICE: _service,
    ECS_TASK_DEFINITION: _task_definition,
    ECS_CAPACITY_PROVIDER: _capacity_provider,
    SCALING_TARGET: _scaling_target,
    SECRET: _secret,
    SECRET_VERSION: _secret_version,
    S3_BUCKET: _bucket,
    RANDOM_PASSWORD: _password,
    ACM_CERTIFICATE: _certificate,
    ACM_CERTIFICATE_VALIDATION: _cert_validation,
    ROUTE53_RECORD: _record,
    LOG_GROUP: _named("arn:aws:logs:{region}:{account}:log-group:{name}"),
    SNS_TOPIC: _named("arn:aws:sns:{region}:{account}:{name}"),
    BACKUP_VAULT: _named("arn:aws:backup:{region}:{account}:backup-vault:{name}"),
    BACKUP_PLAN: _prefixed("plan", "arn:aws:backup:{region}:{account}:backup-plan:{id}"),
}


def _get_vpc(args: dict) -> dict:
    vpc_id = args.get("id") or DEFAULT_VPC_ID
    primary = DEFAULT_VPC_CIDR if vpc_id == DEFAULT_VPC_ID else EXISTING_VPC_CIDR
    blocks = [(primary, "associated"), *SECONDARY_CIDRS.get(vpc_id, [])]
    return {
        "id": vpc_id,
        "cidrBlock": primary,
        "cidrBlockAssociations": [
            {"associationId": f"vpc-cidr-assoc-{_hex(vpc_id, block, n=17)}", "cidrBlock": block, "state": state}
            for block, state in blocks
        ],
        "default": vpc_id == DEFAULT_VPC_ID,
        "enableDnsSupport": VPC_DNS.get(vpc_id, (True, True))[0],
        "enableDnsHostnames": VPC_DNS.get(vpc_id, (True, True))[1],
        "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{vpc_id}",
    }


def _get_availability_zones(args: dict) -> dict:
    return {
        "id": REGION,
        "names": list(AVAILABILITY_ZONES),
        "zoneIds": [f"use1-az{i + 1}" for i in range(4)],
        "groupNames": [REGION] * 4,
    }


def _get_subnet(args: dict) -> dict:
    subnet_id = args["id"]
    if subnet_id not in EXISTING_SUBNETS:
        # AWS answers InvalidSubnetID.NotFound; the provider surfaces it as an error.
        raise NotFound(f"reading EC2 Subnet ({subnet_id}): couldn't find resource")
    vpc_id, az, _ = EXISTING_SUBNETS[subnet_id]
    return {
        "id": subnet_id,
        "vpcId": vpc_id,
        "availabilityZone": az,
        "cidrBlock": "10.20.0.0/24",
        "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{subnet_id}",
        "mapPublicIpOnLaunch": vpc_id == DEFAULT_VPC_ID,
    }


_ROUTE_TARGET = {
    "nat": ("natGatewayId", "nat-0123456789abcdef0"),
    "igw": ("gatewayId", "igw-0123456789abcdef0"),
    "tgw": ("transitGatewayId", "tgw-0123456789abcdef0"),
}


def _get_route_table(args: dict) -> dict:
    subnet_id = args.get("subnetId")
    if subnet_id is None or subnet_id not in EXISTING_SUBNETS:
        raise NotFound("no matching EC2 Route Table found")
    target = EXISTING_SUBNETS[subnet_id][2]
    local = {"cidrBlock": EXISTING_VPC_CIDR, "gatewayId": "local"}
    routes = [local]
    if target:
        key, value = _ROUTE_TARGET[target]
        routes.append({"cidrBlock": "0.0.0.0/0", key: value})
    if subnet_id in S3_GATEWAY_SUBNETS:
        routes.append({"destinationPrefixListId": S3_PREFIX_LIST, "gatewayId": "vpce-0s3a1b2c3d4e5f607"})
    return {
        "id": f"rtb-{_hex(subnet_id, n=17)}",
        "routeTableId": f"rtb-{_hex(subnet_id, n=17)}",
        "subnetId": subnet_id,
        "vpcId": EXISTING_SUBNETS[subnet_id][0],
        "routes": routes,
    }


def _get_prefix_list(args: dict) -> dict:
    name = args.get("name", "")
    if name != f"com.amazonaws.{REGION}.s3":
        raise NotFound(f"no matching EC2 Prefix List found: {name}")
    return {"id": S3_PREFIX_LIST, "name": name, "cidrBlocks": ["16.182.0.0/16", "52.216.0.0/15"]}


def _get_vpc_endpoint(args: dict) -> dict:
    vpc_id, service_name = str(args.get("vpcId", "")), str(args.get("serviceName", ""))
    service = service_name.removeprefix(f"com.amazonaws.{REGION}.")
    if (vpc_id, service) not in EXISTING_ENDPOINTS:
        raise NotFound("no matching EC2 VPC Endpoint found")
    endpoint_id = f"vpce-{_hex(str(vpc_id), service, n=17)}"
    return {
        "id": endpoint_id,
        "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc-endpoint/{endpoint_id}",
        "vpcId": vpc_id,
        "serviceName": service_name,
        "vpcEndpointType": "Interface",
        "privateDnsEnabled": EXISTING_ENDPOINTS[(vpc_id, service)],
        "state": "available",
        "securityGroupIds": [f"sg-{_hex(endpoint_id, n=17)}"],
    }


def _get_subnets(args: dict) -> dict:
    return {"id": REGION, "ids": sorted(DEFAULT_SUBNETS), "filters": args.get("filters", [])}


def _get_zone(args: dict) -> dict:
    zone_id = args.get("zoneId", "Z0123456789ABCDEFGHIJ")
    return {"id": zone_id, "zoneId": zone_id, "name": f"{ZONE_NAME}.", "privateZone": zone_id == PRIVATE_ZONE_ID}


# Values of AWS's public parameters (the recommended ECS-optimized AMI ids), by name; a test
# that sets one publishes a newer image.
PUBLISHED_PARAMETERS: dict[str, str] = {}


def parameter_value(name: str) -> str:
    return PUBLISHED_PARAMETERS.get(name) or "ami-0" + _hex(name, n=16)


def _get_parameter(args: dict) -> dict:
    name = args["name"]
    value = parameter_value(name)
    return {"id": name, "name": name, "type": "String", "value": value, "insecureValue": value}


_INVOKES = {
    GET_VPC: _get_vpc,
    GET_SUBNETS: _get_subnets,
    GET_SUBNET: _get_subnet,
    GET_ROUTE_TABLE: _get_route_table,
    GET_PREFIX_LIST: _get_prefix_list,
    GET_VPC_ENDPOINT: _get_vpc_endpoint,
    GET_AVAILABILITY_ZONES: _get_availability_zones,
    GET_ZONE: _get_zone,
    GET_SSM_PARAMETER: _get_parameter,
    GET_REGION: lambda a: {"id": REGION, "name": REGION, "region": REGION},
    GET_PARTITION: lambda a: {"id": PARTITION, "partition": PARTITION, "dnsSuffix": "amazonaws.com"},
    GET_CALLER_IDENTITY: lambda a: {
        "id": ACCOUNT,
        "accountId": ACCOUNT,
        "arn": f"arn:aws:iam::{ACCOUNT}:root",
        "userId": ACCOUNT,
    },
}
