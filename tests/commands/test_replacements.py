"""commands/migrate/replacements.py: the table of properties that force replacement."""

from __future__ import annotations

import pytest

from commands.migrate.replacements import REPLACEMENT_RULES, VOLATILE_OUTPUTS, forces_replacement


@pytest.mark.parametrize(
    "type_, path",
    [
        ("aws:efs/fileSystem:FileSystem", "performanceMode"),
        ("aws:efs/fileSystem:FileSystem", "encrypted"),
        ("aws:efs/accessPoint:AccessPoint", "posixUser.uid"),
        ("aws:efs/mountTarget:MountTarget", "subnetId"),
        ("aws:ecs/taskDefinition:TaskDefinition", "containerDefinitions[0].cpu"),
        ("aws:ecs/capacityProvider:CapacityProvider", "autoScalingGroupProvider.autoScalingGroupArn"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", "name"),
        ("random:index/randomPassword:RandomPassword", "length"),
    ],
)
def test_force_new_properties_replace(type_, path):
    assert forces_replacement(type_, path), f"{type_} {path} is ForceNew in the provider"


@pytest.mark.parametrize(
    "type_, path",
    [
        ("aws:efs/fileSystem:FileSystem", "throughputMode"),
        ("aws:efs/fileSystem:FileSystem", "lifecyclePolicies[0].transitionToIa"),
        ("aws:ec2/launchTemplate:LaunchTemplate", "instanceType"),
        ("aws:ec2/launchTemplate:LaunchTemplate", "imageId"),
        ("aws:autoscaling/group:Group", "maxSize"),
        ("aws:ecs/service:Service", "taskDefinition"),
        ("aws:ecs/taskDefinition:TaskDefinition", "tags.Stack"),
        ("aws:appautoscaling/target:Target", "minCapacity"),
        ("aws:ecs/capacityProvider:CapacityProvider", "autoScalingGroupProvider.managedScaling.targetCapacity"),
    ],
)
def test_other_properties_update_in_place(type_, path):
    assert not forces_replacement(type_, path), f"{type_} {path} updates in place"


def test_types_outside_the_table_are_not_replaced():
    assert not forces_replacement("aws:sqs/queue:Queue", "name"), "unknown types default to in-place"


def test_every_rule_names_its_source():
    missing = [t for t, rule in REPLACEMENT_RULES.items() if "terraform-provider" not in rule.source]
    assert not missing, f"rules without a provider source: {missing}"


# The provider's replace-forcing properties per type, as commands/migrate/replacements.py cites
# them (terraform-provider-aws ForceNew flags): a change to the table must show up here on purpose.
FORCE_NEW = {
    "aws:efs/fileSystem:FileSystem": (
        "availabilityZoneName",
        "creationToken",
        "encrypted",
        "kmsKeyId",
        "performanceMode",
    ),
    "aws:efs/mountTarget:MountTarget": ("fileSystemId", "subnetId", "ipAddress", "ipAddressType", "ipv6Address"),
    "aws:efs/accessPoint:AccessPoint": ("fileSystemId", "posixUser", "rootDirectory"),
    "aws:efs/fileSystemPolicy:FileSystemPolicy": ("fileSystemId",),
    "aws:backup/vault:Vault": ("name", "kmsKeyArn"),
    "aws:backup/plan:Plan": (),
    "aws:secretsmanager/secret:Secret": ("name", "namePrefix"),
    "aws:secretsmanager/secretVersion:SecretVersion": (
        "secretId",
        "secretString",
        "secretBinary",
        "secretStringWoVersion",
    ),
    "aws:cloudwatch/logGroup:LogGroup": ("name", "namePrefix", "logGroupClass"),
    "aws:ec2/launchTemplate:LaunchTemplate": ("name", "namePrefix"),
    "aws:autoscaling/group:Group": ("name", "namePrefix"),
    "aws:ecs/cluster:Cluster": ("name",),
    "aws:ecs/capacityProvider:CapacityProvider": (
        "name",
        "cluster",
        "autoScalingGroupProvider.autoScalingGroupArn",
        "managedInstancesProvider",
    ),
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": ("clusterName",),
    "aws:ecs/service:Service": (
        "name",
        "cluster",
        "iamRole",
        "launchType",
        "schedulingStrategy",
        "deploymentController.type",
    ),
    "aws:appautoscaling/target:Target": ("resourceId", "scalableDimension", "serviceNamespace"),
    "aws:appautoscaling/policy:Policy": ("name", "resourceId", "scalableDimension", "serviceNamespace"),
    "aws:ec2/securityGroup:SecurityGroup": ("name", "namePrefix", "description", "vpcId"),
    "aws:ec2/vpc:Vpc": ("cidrBlock", "instanceTenancy", "ipv4IpamPoolId", "ipv4NetmaskLength"),
    "aws:ec2/subnet:Subnet": (
        "vpcId",
        "cidrBlock",
        "availabilityZone",
        "availabilityZoneId",
        "outpostArn",
        "ipv6Native",
    ),
    "aws:ec2/internetGateway:InternetGateway": (),
    "aws:ec2/routeTable:RouteTable": ("vpcId",),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ("subnetId", "gatewayId"),
    "aws:ec2/eip:Eip": (
        "domain",
        "address",
        "customerOwnedIpv4Pool",
        "networkBorderGroup",
        "publicIpv4Pool",
        "ipamPoolId",
    ),
    "aws:ec2/natGateway:NatGateway": ("allocationId", "subnetId", "connectivityType", "privateIp"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": (
        "vpcId",
        "serviceName",
        "vpcEndpointType",
        "serviceRegion",
        "resourceConfigurationArn",
        "serviceNetworkArn",
    ),
    "aws:kms/key:Key": ("customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"),
    "aws:secretsmanager/secretPolicy:SecretPolicy": ("secretArn",),
    "aws:iam/role:Role": ("name", "namePrefix", "path"),
    "aws:iam/rolePolicy:RolePolicy": ("name", "namePrefix", "role"),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("role", "policyArn"),
    "aws:iam/instanceProfile:InstanceProfile": ("name", "namePrefix", "path"),
    "aws:lb/loadBalancer:LoadBalancer": ("name", "namePrefix", "internal", "loadBalancerType"),
    "aws:lb/targetGroup:TargetGroup": (
        "name",
        "namePrefix",
        "port",
        "protocol",
        "protocolVersion",
        "vpcId",
        "targetType",
        "ipAddressType",
    ),
    "aws:lb/listener:Listener": ("loadBalancerArn",),
    "aws:acm/certificate:Certificate": (
        "domainName",
        "subjectAlternativeNames",
        "keyAlgorithm",
        "certificateAuthorityArn",
    ),
    "aws:acm/certificateValidation:CertificateValidation": ("certificateArn", "validationRecordFqdns"),
    "aws:route53/record:Record": ("name", "zoneId"),
    "aws:sns/topic:Topic": ("name", "namePrefix", "fifoTopic"),
    "aws:sns/topicPolicy:TopicPolicy": ("arn",),
    "aws:sns/topicSubscription:TopicSubscription": ("topic", "protocol", "endpoint"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("name",),
    "aws:cloudwatch/dashboard:Dashboard": ("dashboardName",),
    # The access-log bucket and its settings, the failed-login metric filter (provider docs).
    "aws:s3/bucket:Bucket": ("bucket", "bucketPrefix", "objectLockEnabled"),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ("bucket",),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "bucket",
        "expectedBucketOwner",
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": ("bucket", "expectedBucketOwner"),
    "aws:s3/bucketPolicy:BucketPolicy": ("bucket",),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": ("name", "logGroupName"),
}
# Types with no in-place update: every input replaces, except these.
NO_UPDATE_EXCEPT = {
    "aws:backup/selection:Selection": (),
    "random:index/randomPassword:RandomPassword": (),
    "aws:ecs/taskDefinition:TaskDefinition": ("tags", "tagsAll", "skipDestroy", "trackLatest"),
}


@pytest.mark.parametrize("type_", sorted(FORCE_NEW))
def test_each_types_force_new_properties_are_exactly_the_providers(type_):
    rule = REPLACEMENT_RULES[type_]
    assert rule.all_inputs_except is None
    assert set(rule.properties) == set(FORCE_NEW[type_])
    for prop in FORCE_NEW[type_]:
        assert forces_replacement(type_, prop), f"{type_} {prop}"
        assert forces_replacement(type_, f"{prop}.nested[0].value"), "a rule covers what is below it"


@pytest.mark.parametrize("type_", sorted(NO_UPDATE_EXCEPT))
def test_types_without_update_replace_on_any_other_input(type_):
    rule = REPLACEMENT_RULES[type_]
    assert rule.all_inputs_except == NO_UPDATE_EXCEPT[type_]
    assert forces_replacement(type_, "anything.below[2]")
    for prop in NO_UPDATE_EXCEPT[type_]:
        assert not forces_replacement(type_, f"{prop}.Stack")


def test_the_table_has_every_type_and_no_other():
    assert set(REPLACEMENT_RULES) == set(FORCE_NEW) | set(NO_UPDATE_EXCEPT)


def test_a_property_only_sharing_a_prefix_is_not_covered():
    assert not forces_replacement("aws:efs/fileSystem:FileSystem", "encryptedAtRest")
    assert not forces_replacement("aws:efs/fileSystem:FileSystem", "kmsKeyIdentifier")


def test_list_indices_are_ignored_and_dots_nest():
    assert forces_replacement("aws:ecs/service:Service", "deploymentController[0].type")
    assert not forces_replacement("aws:ecs/service:Service", "deploymentController[0].other")


def test_the_launch_templates_version_is_volatile():
    assert VOLATILE_OUTPUTS == {"aws:ec2/launchTemplate:LaunchTemplate": ("latestVersion",)}
