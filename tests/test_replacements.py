"""offline/migrate/replacements.py: the table of properties that force replacement."""

from __future__ import annotations

import pytest

from offline.migrate.replacements import REPLACEMENT_RULES, forces_replacement


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
    assert not forces_replacement("aws:s3/bucket:Bucket", "bucket"), "unknown types default to in-place"


def test_every_rule_names_its_source():
    missing = [t for t, rule in REPLACEMENT_RULES.items() if "terraform-provider" not in rule.source]
    assert not missing, f"rules without a provider source: {missing}"
