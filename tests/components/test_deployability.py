"""The deployability layer: what every shipped stack (and the variants users reach for)
renders, checked against references that do not come from our mocks:

- pulumi-aws's own Python input types: every key, at every depth, is a property the
  provider declares (tests/provider_types.py);
- AWS's service models in botocore: the API calls the provider makes from those inputs
  (task definition, alarms, autoscaling, target group and load balancer and their
  attributes, launch template data, backup plan, EFS, endpoints, KMS key, dashboard) pass
  botocore's validator plus the enums and patterns it leaves to the service
  (tests/support/aws_api_shapes.py).
"""

import json

import pytest

from commands.engine import mocks
from tests.support import aws_api_shapes as api
from tests.support.provider_types import unknown_keys
from tests.support.stacks import SHIPPED_STACKS, render

REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub"
VARIANTS = {
    **{stack: (stack, {}) for stack in SHIPPED_STACKS},
    "heavy+domain": (
        "heavy",
        {"zoneId": "Z0123456789ABCDEFGHIJ", "dnsNames": ["pypi", "packages"], "alarmEmails": ["ops@example.com"]},
    ),
    "heavy+internet+per-az": (
        "heavy",
        {
            "loadBalancerScheme": "internet-facing",
            "allowedCidrs": ["203.0.113.0/24"],
            "zoneId": "Z0123456789ABCDEFGHIJ",
            "natGateways": "per-az",
            "availabilityZoneCount": 3,
        },
    ),
    "heavy+given-network+endpoints": (
        "heavy",
        {
            "vpcId": mocks.EXISTING_VPC_ID,
            "subnetIds": ["subnet-0a0000000000000a3", "subnet-0b0000000000000b1"],
            "vpcEndpoints": True,
            "imageRegistry": REGISTRY,
            "imageTag": "sha256:" + "ab" * 32,
            "secretReaders": ["arn:aws:iam::123456789012:role/ci"],
        },
    ),
    "heavy+trusted-publishing": (
        "heavy",
        {
            "zoneId": "Z0123456789ABCDEFGHIJ",
            "trustedPublishing": {
                "publishers": [
                    {
                        "provider": "github",
                        "repository": "acme/widgets",
                        "workflow": "release.yml",
                        "projects": ["acme-*"],
                    }
                ]
            },
            "users": [
                {"name": "reader", "actions": ["download", "list"]},
                {"name": "team-a", "actions": ["download", "list", "update"], "projects": ["team-a-*"]},
            ],
        },
    ),
    # Readers in other accounts: the whole stack's (administrators) and one user's own.
    "heavy+readers-in-other-accounts": (
        "heavy",
        {
            "secretReaders": ["arn:aws:iam::210987654321:role/platform-admins"],
            "users": [
                {"name": "ci", "actions": ["download", "list"], "secretReaders": ["arn:aws:iam::345678901234:role/ci"]},
                {"name": "release", "actions": ["download", "list", "update"]},
            ],
        },
    ),
    # The most users a stack may have: their lines travel in the task's credential bundles.
    "heavy+500-users": (
        "heavy",
        {
            "users": [
                {"name": f"user{i:03d}", "actions": ["download", "list"] + (["update"] if i % 10 == 0 else [])}
                for i in range(500)
            ]
        },
    ),
    # The largest task definition a stack may render: the most users, every one a publisher
    # limited to its own projects, and trusted publishing on.
    "heavy+500-users+trusted-publishing": (
        "heavy",
        {
            "zoneId": "Z0123456789ABCDEFGHIJ",
            "trustedPublishing": {
                "publishers": [
                    {
                        "provider": "github",
                        "repository": "acme/widgets",
                        "workflow": "release.yml",
                        "projects": ["acme-*"],
                    }
                ]
            },
            "users": [
                {"name": f"team{i:03d}", "actions": ["download", "list", "update"], "projects": [f"team{i:03d}-*"]}
                for i in range(500)
            ],
        },
    ),
    "light+front-off": (
        "light",
        {"frontEnabled": False, "efsThroughputMode": "provisioned", "efsProvisionedThroughputMibps": 64},
    ),
}


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def variant(request):
    stack, overrides = VARIANTS[request.param]
    return request.param, render(stack, **overrides)


def test_every_rendered_key_is_a_provider_input(variant):
    name, preview = variant
    bad = {r.name: list(unknown_keys(r.type, r.inputs)) for r in preview.resources if r.custom}
    assert not {k: v for k, v in bad.items() if v}, f"{name}: keys pulumi-aws does not declare"


def test_provider_type_check_catches_an_unknown_nested_key():
    """The checker itself: a misspelled nested key must be reported, with its path."""
    found = list(
        unknown_keys(
            "aws:ec2/launchTemplate:LaunchTemplate",
            {
                "metadataOptions": {"httpTokens": "required", "httpTokenz": "x"},
                "networkInterfaces": [{"associatePublicIp": "false"}],
            },
        )
    )
    assert found == ["metadataOptions.httpTokenz", "networkInterfaces[0].associatePublicIp"]


def calls(preview):
    """(service, operation, params) for each API call the provider makes from these inputs."""
    one = preview.one
    yield (
        "ecs",
        "RegisterTaskDefinition",
        api.register_task_definition(one("aws:ecs/taskDefinition:TaskDefinition").inputs),
    )
    for alarm in preview.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        yield "cloudwatch", "PutMetricAlarm", api.put_metric_alarm(alarm.outputs["name"], alarm.inputs)
    yield (
        "application-autoscaling",
        "RegisterScalableTarget",
        api.register_scalable_target(one("aws:appautoscaling/target:Target").inputs),
    )
    yield (
        "application-autoscaling",
        "PutScalingPolicy",
        api.put_scaling_policy("cpu", one("aws:appautoscaling/policy:Policy").inputs),
    )
    tg = one("aws:lb/targetGroup:TargetGroup")
    yield "elbv2", "CreateTargetGroup", api.create_target_group(tg.outputs["name"], tg.inputs)
    yield "elbv2", "ModifyTargetGroupAttributes", api.target_group_attributes(tg.inputs)
    lb = one("aws:lb/loadBalancer:LoadBalancer")
    yield "elbv2", "CreateLoadBalancer", api.create_load_balancer(lb.outputs["name"], lb.inputs)
    yield "elbv2", "ModifyLoadBalancerAttributes", api.load_balancer_attributes(lb.inputs)
    yield (
        "ec2",
        "CreateLaunchTemplate",
        api.create_launch_template("pypiserver", one("aws:ec2/launchTemplate:LaunchTemplate").inputs),
    )
    for plan in preview.of_type("aws:backup/plan:Plan"):
        yield "backup", "CreateBackupPlan", api.create_backup_plan(plan.inputs)
    fs = one("aws:efs/fileSystem:FileSystem").inputs
    yield "efs", "CreateFileSystem", api.create_file_system(fs)
    yield "efs", "PutLifecycleConfiguration", api.put_lifecycle_configuration(fs)
    for endpoint in preview.of_type("aws:ec2/vpcEndpoint:VpcEndpoint"):
        yield "ec2", "CreateVpcEndpoint", api.create_vpc_endpoint(endpoint.inputs)
    for key in preview.of_type("aws:kms/key:Key"):
        yield "kms", "CreateKey", api.create_key(key.inputs)
    yield "cloudwatch", "PutDashboard", api.put_dashboard(one("aws:cloudwatch/dashboard:Dashboard").inputs)


def test_api_calls_pass_aws_service_models(variant):
    name, preview = variant
    found = [f"{op}: {p}" for service, op, params in calls(preview) for p in api.problems(service, op, params)]
    assert not found, f"{name}: {found}"


def test_load_balancer_and_target_group_attributes_are_documented_keys(variant):
    name, preview = variant
    lb_keys = api.documented_keys("elbv2", "LoadBalancerAttribute")
    tg_keys = api.documented_keys("elbv2", "TargetGroupAttribute")
    one = preview.one
    assert {
        a["Key"] for a in api.load_balancer_attributes(one("aws:lb/loadBalancer:LoadBalancer").inputs)["Attributes"]
    } <= lb_keys
    assert {
        a["Key"] for a in api.target_group_attributes(one("aws:lb/targetGroup:TargetGroup").inputs)["Attributes"]
    } <= tg_keys
    low, high = api.attribute_range("elbv2", "LoadBalancerAttribute", "idle_timeout.timeout_seconds")
    assert low <= one("aws:lb/loadBalancer:LoadBalancer").inputs["idleTimeout"] <= high


@pytest.mark.parametrize(
    "service, operation, params, fragment",
    [
        (
            "ec2",
            "CreateLaunchTemplate",
            {"LaunchTemplateName": "x", "LaunchTemplateData": {"InstanceType": "c99.huge"}},
            "InstanceType's values",
        ),
        (
            "cloudwatch",
            "PutMetricAlarm",
            {"AlarmName": "a", "EvaluationPeriods": 1, "ComparisonOperator": "Above", "Threshold": 1},
            "ComparisonOperator's values",
        ),
        (
            "ecs",
            "RegisterTaskDefinition",
            {"family": "f", "containerDefinitions": [{"name": "c", "cpu": "lots"}]},
            "Invalid type",
        ),
        ("secretsmanager", "PutSecretValue", {"SecretId": "s", "SecretString": "x" * 65537}, "maximum length"),
        (
            "backup",
            "CreateBackupPlan",
            {"BackupPlan": {"BackupPlanName": "p", "Rules": [{"RuleName": "r", "TargetBackupVaultName": "a vault"}]}},
            "pattern",
        ),
    ],
)
def test_model_check_catches_what_aws_would_refuse(service, operation, params, fragment):
    """The checker itself: an enum, a type and a pattern AWS refuses are each reported."""
    assert any(fragment in p for p in api.problems(service, operation, params))


def test_task_definition_fits_ecs_size_limit_with_margin(variant):
    # "Task definition size: 64 KiB" (Amazon ECS service quotas): the rendered files and index
    # modules travel inside the container definitions, so their size is checked here, with a
    # quarter left for what other settings add.
    name, preview = variant
    task = preview.one("aws:ecs/taskDefinition:TaskDefinition").inputs
    size = len(json.dumps(api.register_task_definition(task)).encode())
    print(f"\n{name}: task definition {size} bytes")
    assert size < 0.75 * 64 * 1024, f"{name}: task definition is {size} bytes"


def test_every_secret_value_fits_secrets_manager(variant):
    # CreateSecret/PutSecretValue SecretString: "Maximum length of 65536" (botocore).
    name, preview = variant
    for version in preview.of_type("aws:secretsmanager/secretVersion:SecretVersion"):
        params = {"SecretId": "s", "SecretString": version.inputs["secretString"]}
        assert not api.problems("secretsmanager", "PutSecretValue", params), f"{name}: {version.name}"


# -- key policies: what KMS and Secrets Manager check only when a key is used ----------------------


def statements(policy: str) -> list[dict]:
    found = json.loads(policy)["Statement"]
    return found if isinstance(found, list) else [found]


def principals(statement: dict) -> list[str]:
    """The AWS principals a statement names ("*" stands for every one)."""
    named = statement["Principal"]
    value = named if isinstance(named, str) else named.get("AWS", [])
    return value if isinstance(value, list) else [value]


def allows(key_policy: str, principal: str, action: str, via: str) -> bool:
    """An Allow statement naming the principal, granting the action, whose conditions (if any)
    admit a call made through the `via` service."""
    for st in statements(key_policy):
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        if st["Effect"] != "Allow" or principal not in principals(st):
            continue
        if action not in actions and "kms:*" not in actions:
            continue
        conditions = st.get("Condition", {})
        if all(
            k == "StringEquals" and set(v) == {"kms:ViaService"} and v["kms:ViaService"] == via
            for k, v in conditions.items()
        ):
            return True
    return False


def test_every_key_policy_keeps_the_account_in_control(variant):
    # KMS refuses a policy that would lock the account out of the key ("the key policy lockout
    # safety check", KMS API CreateKey BypassPolicyLockoutSafetyCheck): the account root keeps kms:*.
    name, preview = variant
    root = f"arn:aws:iam::{mocks.ACCOUNT}:root"
    for key in preview.of_type("aws:kms/key:Key"):
        assert any(root in principals(st) and st["Action"] == "kms:*" for st in statements(key.inputs["policy"])), (
            f"{name}: {key.name}"
        )


def test_readers_in_other_accounts_can_decrypt_the_secrets_they_may_read(variant):
    # "you can't use the AWS managed key (aws/secretsmanager) for cross-account access. Instead,
    # you must encrypt your secret with a KMS key that you create, and then attach a key policy to
    # it" (Secrets Manager user guide, "Access AWS Secrets Manager secrets from a different account").
    name, preview = variant
    keys = {k.outputs["arn"]: k.inputs["policy"] for k in preview.of_type("aws:kms/key:Key")}
    secrets = {s.id: s for s in preview.of_type("aws:secretsmanager/secret:Secret")}
    for policy in preview.of_type("aws:secretsmanager/secretPolicy:SecretPolicy"):
        secret = secrets[policy.inputs["secretArn"]]
        allowed = [st for st in statements(policy.inputs["policy"]) if st["Effect"] == "Allow"]
        readers = [p for st in allowed for p in principals(st)]
        for reader in (r for r in readers if r.split(":")[4] != mocks.ACCOUNT):
            key = secret.inputs.get("kmsKeyId")
            assert key in keys, (
                f"{name}: {secret.name} is read from account {reader.split(':')[4]}: needs a key of ours"
            )
            assert allows(keys[key], reader, "kms:Decrypt", "secretsmanager.us-east-1.amazonaws.com"), (
                f"{name}: {reader} may read {secret.name} but not decrypt it"
            )
