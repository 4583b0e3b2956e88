"""Rendered inputs as the AWS API calls the provider makes from them, validated against AWS's
own service models (botocore, pinned): required members, types, ranges and lengths through
botocore's ParamValidator, plus the enums and patterns that validator leaves to the service.

Each `*_call` function maps a rendered resource's Pulumi inputs to the parameters of the API
call that creates it, the way terraform-provider-aws's expanders do (camelCase input ->
PascalCase API member). Only the members we render are mapped: a mapping error shows up as
an unknown member, so the mapping cannot hide a mistake.
"""

from __future__ import annotations

import json
import re
from typing import Any

import botocore.session
from botocore.validate import ParamValidator

_SESSION = botocore.session.get_session()


def operation_shape(service: str, operation: str):
    return _SESSION.get_service_model(service).operation_model(operation).input_shape


def problems(service: str, operation: str, params: dict[str, Any]) -> list[str]:
    """Everything AWS's model refuses in these parameters (empty when valid)."""
    shape = operation_shape(service, operation)
    params = _wire_numbers(params, shape)
    report = ParamValidator().validate(params, shape)
    found = [report.generate_report()] if report.has_errors() else []
    found += list(_enums_and_patterns(params, shape, operation))
    return found


def _wire_numbers(value: Any, shape) -> Any:
    """The engine sends every number as a float; the provider sends integers where the API's
    shape is an integer. Do the same, so only a real fraction is reported."""
    if shape.type_name == "structure" and isinstance(value, dict):
        return {k: _wire_numbers(v, shape.members[k]) if k in shape.members else v for k, v in value.items()}
    if shape.type_name == "list" and isinstance(value, list):
        return [_wire_numbers(v, shape.member) for v in value]
    if shape.type_name in ("integer", "long") and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:  # a few models use Java-only syntax; ParamValidator skips patterns too
        return None


def _enums_and_patterns(value: Any, shape, path: str):
    if shape.type_name == "structure" and isinstance(value, dict):
        for key, item in value.items():
            if key in shape.members:
                yield from _enums_and_patterns(item, shape.members[key], f"{path}.{key}")
    elif shape.type_name == "list" and isinstance(value, list):
        for i, item in enumerate(value):
            yield from _enums_and_patterns(item, shape.member, f"{path}[{i}]")
    elif shape.type_name == "string" and isinstance(value, str):
        if shape.enum and value not in shape.enum:
            yield f"{path}: {value!r} is not one of {shape.name}'s values"
        longest = shape.metadata.get("max")
        if longest is not None and len(value) > longest:
            yield f"{path}: {len(value)} characters, more than {shape.name}'s maximum length {longest}"
        pattern = shape.metadata.get("pattern")
        compiled = _compiled(pattern) if pattern else None
        if compiled is not None and not compiled.fullmatch(value):
            yield f"{path}: {value!r} does not match {shape.name}'s pattern {pattern}"


def attribute_range(service: str, shape_name: str, key: str) -> tuple[int, int] | None:
    """A numeric attribute's range as the model documents it ("The valid range is 1-4000")."""
    doc = _SESSION.get_service_model(service).shape_for(shape_name).members["Key"].documentation
    match = re.search(re.escape(key) + r"</code> - [^<]*?range is (\d+)-(\d+)", doc)
    return (int(match.group(1)), int(match.group(2))) if match else None


def documented_keys(service: str, shape_name: str) -> set[str]:
    doc = _SESSION.get_service_model(service).shape_for(shape_name).members["Key"].documentation
    return set(re.findall(r"<code>([a-z0-9_.]+)</code> -", doc))


# -- mappings: Pulumi inputs -> API parameters ---------------------------------------------


def _pascal(key: str) -> str:
    return key[0].upper() + key[1:]


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _bool(value: Any) -> bool:
    return value is True or value == "true"


def register_task_definition(inputs: dict[str, Any]) -> dict[str, Any]:
    volumes = []
    for v in inputs["volumes"]:
        if "efsVolumeConfiguration" not in v:  # a Docker-managed task volume: a name alone
            volumes.append({"name": v["name"]})
            continue
        efs = v["efsVolumeConfiguration"]
        volumes.append(
            {
                "name": v["name"],
                "efsVolumeConfiguration": {
                    "fileSystemId": efs["fileSystemId"],
                    "transitEncryption": efs["transitEncryption"],
                    "authorizationConfig": {
                        "accessPointId": efs["authorizationConfig"]["accessPointId"],
                        "iam": efs["authorizationConfig"]["iam"],
                    },
                },
            }
        )
    return {
        "family": inputs["family"],
        "taskRoleArn": inputs["taskRoleArn"],
        "executionRoleArn": inputs["executionRoleArn"],
        "networkMode": inputs["networkMode"],
        "requiresCompatibilities": inputs["requiresCompatibilities"],
        # ECS takes the container definitions' JSON as the API's own shape.
        "containerDefinitions": json.loads(inputs["containerDefinitions"]),
        "volumes": volumes,
    }


def put_metric_alarm(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    params = {"AlarmName": name}
    for key in (
        "alarmDescription",
        "namespace",
        "metricName",
        "statistic",
        "extendedStatistic",
        "comparisonOperator",
        "threshold",
        "period",
        "evaluationPeriods",
        "datapointsToAlarm",
        "treatMissingData",
    ):
        if inputs.get(key) is not None:
            params[_pascal(key)] = inputs[key]
    params["AlarmActions"] = inputs.get("alarmActions", [])
    params["OKActions"] = inputs.get("okActions", [])
    params["Dimensions"] = [{"Name": k, "Value": v} for k, v in inputs.get("dimensions", {}).items()]
    return params


def register_scalable_target(inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "ServiceNamespace": inputs["serviceNamespace"],
        "ResourceId": inputs["resourceId"],
        "ScalableDimension": inputs["scalableDimension"],
        "MinCapacity": inputs["minCapacity"],
        "MaxCapacity": inputs["maxCapacity"],
    }


def put_scaling_policy(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    cfg = inputs["targetTrackingScalingPolicyConfiguration"]
    return {
        "PolicyName": name,
        "ServiceNamespace": inputs["serviceNamespace"],
        "ResourceId": inputs["resourceId"],
        "ScalableDimension": inputs["scalableDimension"],
        "PolicyType": inputs["policyType"],
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": cfg["targetValue"],
            "ScaleInCooldown": cfg["scaleInCooldown"],
            "ScaleOutCooldown": cfg["scaleOutCooldown"],
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": cfg["predefinedMetricSpecification"]["predefinedMetricType"]
            },
        },
    }


def create_target_group(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    hc = inputs["healthCheck"]
    return {
        "Name": name,
        "Protocol": inputs["protocol"],
        "Port": inputs["port"],
        "VpcId": inputs["vpcId"],
        "TargetType": inputs["targetType"],
        "HealthCheckEnabled": hc["enabled"],
        "HealthCheckPath": hc["path"],
        "HealthCheckIntervalSeconds": hc["interval"],
        "HealthCheckTimeoutSeconds": hc["timeout"],
        "HealthyThresholdCount": hc["healthyThreshold"],
        "UnhealthyThresholdCount": hc["unhealthyThreshold"],
        "Matcher": {"HttpCode": hc["matcher"]},
    }


def target_group_attributes(inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "TargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/0123456789abcdef",
        "Attributes": [
            {"Key": "deregistration_delay.timeout_seconds", "Value": str(inputs["deregistrationDelay"])},
            {"Key": "load_balancing.algorithm.type", "Value": inputs["loadBalancingAlgorithmType"]},
            {"Key": "stickiness.enabled", "Value": str(inputs["stickiness"]["enabled"]).lower()},
            {"Key": "stickiness.type", "Value": inputs["stickiness"]["type"]},
        ],
    }


def create_load_balancer(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "Name": name,
        "Subnets": inputs["subnets"],
        "SecurityGroups": inputs["securityGroups"],
        "Scheme": "internal" if inputs["internal"] else "internet-facing",
        "Type": inputs["loadBalancerType"],
        "Tags": _tags(inputs.get("tags", {})),
    }


def load_balancer_attributes(inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "LoadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/lb/0123456789abcdef",
        "Attributes": [
            {"Key": "idle_timeout.timeout_seconds", "Value": str(inputs["idleTimeout"])},
            {
                "Key": "routing.http.drop_invalid_header_fields.enabled",
                "Value": str(inputs["dropInvalidHeaderFields"]).lower(),
            },
        ],
    }


def create_launch_template(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    md = inputs["metadataOptions"]
    data = {
        "InstanceType": inputs["instanceType"],
        "ImageId": inputs["imageId"],
        "IamInstanceProfile": {"Arn": inputs["iamInstanceProfile"]["arn"]},
        "MetadataOptions": {
            "HttpEndpoint": md["httpEndpoint"],
            "HttpTokens": md["httpTokens"],
            "HttpPutResponseHopLimit": md["httpPutResponseHopLimit"],
            "InstanceMetadataTags": md["instanceMetadataTags"],
        },
        "NetworkInterfaces": [
            {
                "AssociatePublicIpAddress": _bool(n["associatePublicIpAddress"]),
                "DeleteOnTermination": _bool(n["deleteOnTermination"]),
                "DeviceIndex": 0,
                "Groups": n["securityGroups"],
            }
            for n in inputs["networkInterfaces"]
        ],
        "BlockDeviceMappings": [
            {
                "DeviceName": b["deviceName"],
                "Ebs": {
                    "Encrypted": _bool(b["ebs"]["encrypted"]),
                    "VolumeSize": b["ebs"]["volumeSize"],
                    "VolumeType": b["ebs"]["volumeType"],
                    "DeleteOnTermination": _bool(b["ebs"]["deleteOnTermination"]),
                },
            }
            for b in inputs["blockDeviceMappings"]
        ],
        "Monitoring": {"Enabled": inputs["monitoring"]["enabled"]},
        "UserData": inputs["userData"],
        "TagSpecifications": [
            {"ResourceType": t["resourceType"], "Tags": _tags(t["tags"])} for t in inputs["tagSpecifications"]
        ],
    }
    return {"LaunchTemplateName": name, "LaunchTemplateData": data}


def create_backup_plan(inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "BackupPlan": {
            "BackupPlanName": "pypiserver",
            "Rules": [
                {
                    "RuleName": r["ruleName"],
                    "TargetBackupVaultName": r["targetVaultName"],
                    "ScheduleExpression": r["schedule"],
                    "Lifecycle": {"DeleteAfterDays": r["lifecycle"]["deleteAfter"]},
                }
                for r in inputs["rules"]
            ],
        }
    }


def create_file_system(inputs: dict[str, Any]) -> dict[str, Any]:
    params = {
        "CreationToken": "pypiserver",
        "Encrypted": inputs["encrypted"],
        "PerformanceMode": inputs["performanceMode"],
        "ThroughputMode": inputs["throughputMode"],
    }
    if inputs.get("provisionedThroughputInMibps") is not None:
        params["ProvisionedThroughputInMibps"] = inputs["provisionedThroughputInMibps"]
    return params


def put_lifecycle_configuration(inputs: dict[str, Any]) -> dict[str, Any]:
    policies = []
    for p in inputs.get("lifecyclePolicies", []):
        policies.append({_pascal(k).replace("Ia", "IA"): v for k, v in p.items()})
    return {"FileSystemId": "fs-0123456789abcdef0", "LifecyclePolicies": policies}


def create_vpc_endpoint(inputs: dict[str, Any]) -> dict[str, Any]:
    params = {
        "VpcId": inputs["vpcId"],
        "ServiceName": inputs["serviceName"],
        "VpcEndpointType": inputs["vpcEndpointType"],
    }
    for key in ("routeTableIds", "subnetIds"):
        if key in inputs:
            params[_pascal(key)] = inputs[key]
    if "securityGroupIds" in inputs:
        params["SecurityGroupIds"] = inputs["securityGroupIds"]
    if "privateDnsEnabled" in inputs:
        params["PrivateDnsEnabled"] = inputs["privateDnsEnabled"]
    return params


def create_key(inputs: dict[str, Any]) -> dict[str, Any]:
    return {"Description": inputs["description"], "Policy": inputs["policy"]}


def put_dashboard(inputs: dict[str, Any]) -> dict[str, Any]:
    return {"DashboardName": inputs["dashboardName"], "DashboardBody": inputs["dashboardBody"]}
