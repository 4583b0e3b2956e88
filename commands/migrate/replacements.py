"""Which input properties force a resource to be replaced, per AWS type the component uses.

pulumi-aws is bridged from terraform-provider-aws: a property marked `ForceNew: true` in the
provider's schema ("changing this forces a new resource to be created" in the docs) makes
`pulumi up` delete and recreate the resource; any other change is an in-place update. This
table copies those markings for the types PypiServer renders, with the source noted per type.
Property names are Pulumi's camelCase input names (pulumi-aws 7.51.1), which sometimes differ
from Terraform's: MetricAlarm `name` is Terraform's `alarm_name`, TopicSubscription `topic` is
`topic_arn`. Nested paths use dots; a rule covers everything below it ("posixUser" covers
"posixUser.uid"). List indices are ignored when matching.

Sources are files in hashicorp/terraform-provider-aws (the schema's ForceNew flags), read for
this table unless marked "(not re-read)"; those entries come from the provider docs and the
well-known schema and should be checked first if a preview looks wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from guide.type_tokens import (
    ACM_CERTIFICATE,
    ACM_CERTIFICATE_VALIDATION,
    ASG,
    BACKUP_PLAN,
    BACKUP_SELECTION,
    BACKUP_VAULT,
    DASHBOARD,
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
    IAM_INSTANCE_PROFILE,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    IAM_ROLE_POLICY_ATTACHMENT,
    INTERNET_GATEWAY,
    KMS_KEY,
    LAUNCH_TEMPLATE,
    LISTENER,
    LOAD_BALANCER,
    LOG_GROUP,
    LOG_METRIC_FILTER,
    METRIC_ALARM,
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
    SCALING_POLICY,
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

TF = "hashicorp/terraform-provider-aws internal/service/"


@dataclass(frozen=True)
class ReplacementRule:
    """Properties that force replacement; `all_inputs_except` marks types with no in-place update."""

    properties: tuple[str, ...]
    source: str
    all_inputs_except: tuple[str, ...] | None = None

    def forces_replacement(self, path: str) -> bool:
        plain = _strip_indices(path)
        top = plain.split(".", 1)[0]
        if self.all_inputs_except is not None:
            return top not in self.all_inputs_except
        return any(plain == p or plain.startswith(p + ".") for p in self.properties)


_NAME = ("name", "namePrefix")

REPLACEMENT_RULES: dict[str, ReplacementRule] = {
    # -- storage (the state) ----------------------------------------------------------
    EFS_FILE_SYSTEM: ReplacementRule(
        ("availabilityZoneName", "creationToken", "encrypted", "kmsKeyId", "performanceMode"), TF + "efs/file_system.go"
    ),
    EFS_MOUNT_TARGET: ReplacementRule(
        ("fileSystemId", "subnetId", "ipAddress", "ipAddressType", "ipv6Address"),
        TF + "efs/mount_target.go (ipAddressType/ipv6Address: newer schema, not re-read)",
    ),
    EFS_ACCESS_POINT: ReplacementRule(("fileSystemId", "posixUser", "rootDirectory"), TF + "efs/access_point.go"),
    EFS_FILE_SYSTEM_POLICY: ReplacementRule(("fileSystemId",), TF + "efs/file_system_policy.go (not re-read)"),
    BACKUP_VAULT: ReplacementRule(("name", "kmsKeyArn"), TF + "backup/vault.go (not re-read)"),
    BACKUP_PLAN: ReplacementRule((), TF + "backup/plan.go (not re-read): updated in place"),
    # Backup selections have no update call: every argument is ForceNew.
    BACKUP_SELECTION: ReplacementRule(
        (), TF + "backup/selection.go (not re-read): no update, every argument ForceNew", all_inputs_except=()
    ),
    # -- credentials and logs -----------------------------------------------------------
    # terraform-provider-random: every argument of random_password has RequiresReplace.
    RANDOM_PASSWORD: ReplacementRule(
        (),
        "hashicorp/terraform-provider-random internal/provider/resource_password.go (not re-read): "
        "every argument RequiresReplace",
        all_inputs_except=(),
    ),
    SECRET: ReplacementRule(_NAME, TF + "secretsmanager/secret.go (not re-read)"),
    # Only versionStages updates in place: a new secret string is a new secret version.
    SECRET_VERSION: ReplacementRule(
        ("secretId", "secretString", "secretBinary", "secretStringWoVersion"), TF + "secretsmanager/secret_version.go"
    ),
    LOG_GROUP: ReplacementRule(
        (*_NAME, "logGroupClass"), TF + "logs/group.go (logGroupClass read; name/namePrefix not re-read)"
    ),
    # -- compute --------------------------------------------------------------------------
    # Every other launch template argument makes a new template version (in-place update).
    LAUNCH_TEMPLATE: ReplacementRule(_NAME, TF + "ec2/ec2_launch_template.go"),
    ASG: ReplacementRule(_NAME, TF + "autoscaling/group.go (not re-read)"),
    ECS_CLUSTER: ReplacementRule(("name",), TF + "ecs/cluster.go (not re-read)"),
    # The autoScalingGroupProvider block is ForceNew too, but plugin-sdk v2 (helper/schema
    # diffList) applies a list block's ForceNew to its item count only: adding or removing the
    # block replaces, its managed scaling/draining settings update in place.
    ECS_CAPACITY_PROVIDER: ReplacementRule(
        ("name", "cluster", "autoScalingGroupProvider.autoScalingGroupArn", "managedInstancesProvider"),
        TF + "ecs/capacity_provider.go (name not re-read)",
    ),
    ECS_CLUSTER_CAPACITY_PROVIDERS: ReplacementRule(
        ("clusterName",), TF + "ecs/cluster_capacity_providers.go (not re-read)"
    ),
    # A task definition revision is immutable: any change registers a new one (a replacement
    # in Pulumi's terms; the old revision is deregistered).
    ECS_TASK_DEFINITION: ReplacementRule(
        (),
        TF + "ecs/task_definition.go: resourceTaskDefinitionUpdate handles tags only (skipDestroy, "
        "trackLatest are provider-side settings)",
        all_inputs_except=("tags", "tagsAll", "skipDestroy", "trackLatest"),
    ),
    ECS_SERVICE: ReplacementRule(
        ("name", "cluster", "iamRole", "launchType", "schedulingStrategy", "deploymentController.type"),
        TF + "ecs/service.go",
    ),
    SCALING_TARGET: ReplacementRule(
        ("resourceId", "scalableDimension", "serviceNamespace"), TF + "appautoscaling/target.go (not re-read)"
    ),
    SCALING_POLICY: ReplacementRule(
        ("name", "resourceId", "scalableDimension", "serviceNamespace"), TF + "appautoscaling/policy.go (not re-read)"
    ),
    # -- network, IAM, edge ---------------------------------------------------------------
    SECURITY_GROUP: ReplacementRule((*_NAME, "description", "vpcId"), TF + "ec2/vpc_security_group.go (not re-read)"),
    VPC: ReplacementRule(
        ("cidrBlock", "instanceTenancy", "ipv4IpamPoolId", "ipv4NetmaskLength"), TF + "ec2/vpc_.go (not re-read)"
    ),
    SUBNET: ReplacementRule(
        ("vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId", "outpostArn", "ipv6Native"),
        TF + "ec2/vpc_subnet.go (not re-read)",
    ),
    # Attaching to another VPC detaches and re-attaches in place.
    INTERNET_GATEWAY: ReplacementRule((), TF + "ec2/vpc_internet_gateway.go (not re-read)"),
    ROUTE_TABLE: ReplacementRule(("vpcId",), TF + "ec2/vpc_route_table.go (not re-read)"),
    ROUTE_TABLE_ASSOCIATION: ReplacementRule(
        ("subnetId", "gatewayId"), TF + "ec2/vpc_route_table_association.go (not re-read): routeTableId updates"
    ),
    EIP: ReplacementRule(
        ("domain", "address", "customerOwnedIpv4Pool", "networkBorderGroup", "publicIpv4Pool", "ipamPoolId"),
        TF + "ec2/ec2_eip.go (not re-read)",
    ),
    NAT_GATEWAY: ReplacementRule(
        ("allocationId", "subnetId", "connectivityType", "privateIp"), TF + "ec2/vpc_nat_gateway.go (not re-read)"
    ),
    VPC_ENDPOINT: ReplacementRule(
        ("vpcId", "serviceName", "vpcEndpointType", "serviceRegion", "resourceConfigurationArn", "serviceNetworkArn"),
        TF + "ec2/vpc_endpoint.go (not re-read)",
    ),
    KMS_KEY: ReplacementRule(
        ("customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"),
        TF + "kms/key.go (not re-read)",
    ),
    SECRET_POLICY: ReplacementRule(("secretArn",), TF + "secretsmanager/secret_policy.go (not re-read)"),
    IAM_ROLE: ReplacementRule((*_NAME, "path"), TF + "iam/role.go (not re-read)"),
    IAM_ROLE_POLICY: ReplacementRule((*_NAME, "role"), TF + "iam/role_policy.go (not re-read)"),
    IAM_ROLE_POLICY_ATTACHMENT: ReplacementRule(
        ("role", "policyArn"), TF + "iam/role_policy_attachment.go (not re-read): no update"
    ),
    IAM_INSTANCE_PROFILE: ReplacementRule((*_NAME, "path"), TF + "iam/instance_profile.go (not re-read)"),
    LOAD_BALANCER: ReplacementRule(
        (*_NAME, "internal", "loadBalancerType"), TF + "elbv2/load_balancer.go (not re-read)"
    ),
    TARGET_GROUP: ReplacementRule(
        (*_NAME, "port", "protocol", "protocolVersion", "vpcId", "targetType", "ipAddressType"),
        TF + "elbv2/target_group.go (not re-read)",
    ),
    LISTENER: ReplacementRule(("loadBalancerArn",), TF + "elbv2/listener.go (not re-read)"),
    ACM_CERTIFICATE: ReplacementRule(
        ("domainName", "subjectAlternativeNames", "keyAlgorithm", "certificateAuthorityArn"),
        TF + "acm/certificate.go (not re-read)",
    ),
    ACM_CERTIFICATE_VALIDATION: ReplacementRule(
        ("certificateArn", "validationRecordFqdns"), TF + "acm/certificate_validation.go (not re-read): no update"
    ),
    ROUTE53_RECORD: ReplacementRule(("name", "zoneId"), TF + "route53/record.go"),
    # -- observability ----------------------------------------------------------------------
    SNS_TOPIC: ReplacementRule((*_NAME, "fifoTopic"), TF + "sns/topic.go (not re-read)"),
    SNS_TOPIC_POLICY: ReplacementRule(("arn",), TF + "sns/topic_policy.go (not re-read)"),
    SNS_TOPIC_SUBSCRIPTION: ReplacementRule(
        ("topic", "protocol", "endpoint"), TF + "sns/topic_subscription.go (not re-read)"
    ),
    METRIC_ALARM: ReplacementRule(("name",), TF + "cloudwatch/metric_alarm.go (alarm_name, `name` in Pulumi)"),
    DASHBOARD: ReplacementRule(("dashboardName",), TF + "cloudwatch/dashboard.go (not re-read)"),
    S3_BUCKET: ReplacementRule(("bucket", "bucketPrefix", "objectLockEnabled"), TF + "s3/bucket.go (not re-read)"),
    S3_PUBLIC_ACCESS_BLOCK: ReplacementRule(("bucket",), TF + "s3/bucket_public_access_block.go (not re-read)"),
    S3_ENCRYPTION: ReplacementRule(
        ("bucket", "expectedBucketOwner"), TF + "s3/bucket_server_side_encryption_configuration.go (not re-read)"
    ),
    S3_LIFECYCLE: ReplacementRule(
        ("bucket", "expectedBucketOwner"), TF + "s3/bucket_lifecycle_configuration.go (not re-read)"
    ),
    S3_BUCKET_POLICY: ReplacementRule(("bucket",), TF + "s3/bucket_policy.go (not re-read)"),
    LOG_METRIC_FILTER: ReplacementRule(("name", "logGroupName"), TF + "logs/metric_filter.go (not re-read)"),
}

# Outputs a provider recomputes on an in-place update, so inputs that reference them change
# too. A launch template marks latest_version as "known after apply" when anything but its
# name, description or default-version settings changes (CustomizeDiff ComputedIf in
# ec2_launch_template.go); an ASG whose launchTemplate.version reads it is then updated,
# which is what starts an instance refresh.
VOLATILE_OUTPUTS: dict[str, tuple[str, ...]] = {
    LAUNCH_TEMPLATE: ("latestVersion",),
}

_INDEX = re.compile(r"\[\d+\]")


def _strip_indices(path: str) -> str:
    return _INDEX.sub("", path)


def rule_for(resource_type: str) -> ReplacementRule | None:
    return REPLACEMENT_RULES.get(resource_type)


def forces_replacement(resource_type: str, path: str) -> bool:
    """True when changing `path` on a resource of this type recreates it.

    Types missing from the table are treated as updated in place; migrate reports them as
    unknown so a new type in the component cannot slip through unnoticed.
    """
    rule = rule_for(resource_type)
    return rule is not None and rule.forces_replacement(path)
