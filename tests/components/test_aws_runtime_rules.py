"""AWS's runtime rules that mocks cannot see: each test names the documented rule it rests on.
Every one failed on the component before these rules were checked (rate() schedules, '.' in
names, private zones, digests, plain HTTP on the internet, a 60 s idle timeout, alarms to
alias/aws/sns). Network rules (egress, one mount target per AZ, public subnets for an
internet-facing load balancer) are in test_network.py."""

import json
import re
import shutil

import pytest

from commands.engine import EngineError, mocks, run_program
from components.config import ConfigError, load_config
from task import images
from tests.support.stacks import ROOT, containers, render

DIGEST = "sha256:" + "ab" * 32


def refused(**overrides) -> str:
    with pytest.raises(EngineError) as err:
        render("heavy", **overrides)
    assert "\n" not in str(err.value), "one line"
    return str(err.value)


# -- AWS Backup: "A CRON expression in UTC specifying when Backup initiates a backup job"
#    (botocore backup model, BackupRuleInput.ScheduleExpression); cron has six fields.


@pytest.mark.parametrize("schedule", ["rate(12 hours)", "cron(0 2 * * *)", "cron(0 2 * * * *)", "0 2 * * ? *"])
def test_backup_schedule_must_be_six_field_cron(schedule):
    message = refused(backupSchedule=schedule)
    assert "pypiserver:backupSchedule" in message and "6-field cron" in message


def test_six_field_cron_reaches_the_plan():
    rule = render("heavy", backupSchedule="cron(30 3 ? * SUN *)").one("aws:backup/plan:Plan").inputs["rules"][0]
    assert rule["schedule"] == "cron(30 3 ? * SUN *)"


# -- Names: "Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens
#    are allowed" (ECS RegisterTaskDefinition, family); DashboardName: "Valid characters are
#    A–Z, a–z, 0–9, '-', and '_'" (CloudWatch PutDashboard). Pulumi stack names may hold '.'.


def render_stack_named(stack: str, tmp_path):
    shutil.copy(ROOT / "Pulumi.heavy.yaml", tmp_path / f"Pulumi.{stack}.yaml")
    (tmp_path / "__main__.py").symlink_to(ROOT / "__main__.py")
    return run_program(stack, {}, root=tmp_path)


def test_dotted_stack_name_is_sanitized_in_family_and_dashboard(tmp_path):
    preview = render_stack_named("prod.eu-west.1", tmp_path)
    family = preview.one("aws:ecs/taskDefinition:TaskDefinition").inputs["family"]
    dashboard = preview.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardName"]
    assert family == dashboard == "pypiserver-prod-eu-west-1"
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,255}", family)


def test_names_beyond_aws_limits_are_one_line_errors():
    # Pulumi stack names stop at 100 characters, so only a long component name gets here.
    from components import names

    with pytest.raises(names.AwsNameError) as err:
        names.derived("task-definition-family", "c" * 200, "s" * 60)
    assert "261 characters" in str(err.value) and "at most 255" in str(err.value) and "\n" not in str(err.value)


def test_component_name_too_long_for_a_load_balancer_name():
    # ELBv2 CreateLoadBalancer Name: "maximum of 32 characters"; Pulumi appends 8 characters.
    from components import names

    names.check_autonamed("load-balancer", "pypiserver-alb")  # 22 characters: fine
    with pytest.raises(names.AwsNameError, match="at most 32"):
        names.check_autonamed("load-balancer", "my-company-pypiserver-alb")


# -- ACM DNS validation needs publicly resolvable records: a private hosted zone never validates.


def test_private_hosted_zone_is_refused():
    message = refused(zoneId=mocks.PRIVATE_ZONE_ID)
    assert mocks.PRIVATE_ZONE_ID in message and "private hosted zone" in message


# -- Image references: `repository:tag` or `repository@sha256:<64 hex>` (Docker reference grammar).


def test_digest_renders_with_at_for_both_images():
    preview = render("heavy", imageTag=DIGEST, nginxImageTag=DIGEST)
    by_name = {c["name"]: c["image"] for c in containers(preview)}
    assert by_name == {"pypiserver": f"pypiserver/pypiserver@{DIGEST}", "nginx": f"nginx@{DIGEST}"}


@pytest.mark.parametrize(
    "key, value",
    [
        ("imageTag", "sha256:abc"),
        ("nginxImageTag", "latest"),
        ("nginxImageTag", "alpine"),
        ("imageTag", "v2.4.2:latest"),
    ],
)
def test_unpinned_or_malformed_image_refused(key, value):
    assert f"pypiserver:{key}" in refused(**{key: value})


def test_registry_mirror_prefixes_both_images_with_docker_hubs_library_path():
    registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub"
    by_name = {c["name"]: c["image"] for c in containers(render("heavy", imageRegistry=registry))}
    assert by_name["pypiserver"] == f"{registry}/pypiserver/pypiserver:{images.DEFAULT_PYPISERVER_TAG}"
    assert by_name["nginx"] == f"{registry}/library/nginx:{images.DEFAULT_NGINX_TAG}"


def test_pull_through_cache_lets_the_execution_role_create_cached_repositories():
    registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub"
    policies = render("heavy", imageRegistry=registry).of_type("aws:iam/rolePolicy:RolePolicy")
    (cache,) = [p for p in policies if p.name.endswith("pull-through-cache")]
    statement = json.loads(cache.inputs["policy"])["Statement"][0]
    assert set(statement["Action"]) == {"ecr:CreateRepository", "ecr:BatchImportUpstreamImage"}
    assert statement["Resource"] == "arn:aws:ecr:us-east-1:123456789012:repository/docker-hub/*"


# -- Plain HTTP on the internet: refused unless the stack says so.


def test_internet_facing_without_domain_is_refused():
    message = refused(loadBalancerScheme="internet-facing", allowedCidrs=["0.0.0.0/0"])
    assert "pypiserver:allowPlainHttp" in message and "pypiserver:zoneId" in message


def test_internet_facing_plain_http_when_said_explicitly():
    preview = render("heavy", loadBalancerScheme="internet-facing", allowedCidrs=["0.0.0.0/0"], allowPlainHttp=True)
    assert preview.one("aws:lb/loadBalancer:LoadBalancer").inputs["internal"] is False


# -- Keep-alive and draining relations (the ALB's idle timeout among them): tests/task/test_timing.py.


# -- Alarms to an encrypted topic: "The default AWS KMS key policy for Amazon SNS doesn't allow
#    CloudWatch alarms to perform kms:Decrypt and kms:GenerateDataKey API calls" (AWS re:Post,
#    "cloudwatch-configure-alarm-sns").


def test_alarm_topic_key_admits_cloudwatch_and_rotates():
    preview = render("heavy")
    key = preview.one("aws:kms/key:Key")
    topic = preview.one("aws:sns/topic:Topic")
    assert topic.inputs["kmsMasterKeyId"] == key.outputs["arn"], "the topic uses the stack's own key"
    assert key.inputs["enableKeyRotation"] is True
    statements = json.loads(key.inputs["policy"])["Statement"]
    granted = [s for s in statements if s["Principal"].get("Service") == "cloudwatch.amazonaws.com"]
    assert granted and {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(granted[0]["Action"])
    admins = [s for s in statements if s["Principal"].get("AWS") == f"arn:aws:iam::{mocks.ACCOUNT}:root"]
    assert admins and admins[0]["Action"] == "kms:*", "the account keeps control of the key (no lock-out)"


def test_alarm_topic_policy_lets_cloudwatch_publish():
    preview = render("heavy")
    policy = json.loads(preview.one("aws:sns/topicPolicy:TopicPolicy").inputs["policy"])
    publish = [s for s in policy["Statement"] if s["Principal"].get("Service") == "cloudwatch.amazonaws.com"]
    assert publish and publish[0]["Action"] == "SNS:Publish"
    assert publish[0]["Condition"]["StringEquals"]["aws:SourceAccount"] == mocks.ACCOUNT


# -- Outputs users look for.


def test_outputs_users_look_for():
    preview = render("heavy", secretReaders=["arn:aws:iam::123456789012:role/ci"])
    out = preview.outputs
    assert out["dashboardUrl"].endswith("#dashboards/dashboard/pypiserver-heavy")
    assert out["alarmTopicArn"] == preview.one("aws:sns/topic:Topic").outputs["arn"]
    assert out["loadBalancerArn"] == preview.one("aws:lb/loadBalancer:LoadBalancer").outputs["arn"]
    assert out["serviceArn"] == preview.one("aws:ecs/service:Service").id
    assert out["credentialsSecretReaders"] == ["arn:aws:iam::123456789012:role/ci"], (
        "the stack's readers; the task's execution role reads its bundles, not the users' secrets"
    )


def test_secret_readers_get_a_resource_policy():
    preview = render("heavy", secretReaders=["arn:aws:iam::123456789012:role/ci"])
    policies = preview.of_type("aws:secretsmanager/secretPolicy:SecretPolicy")
    assert len(policies) == 2, "the stack's readers may read every user's secret"
    for p in policies:
        (statement,) = json.loads(p.inputs["policy"])["Statement"]
        assert statement["Principal"]["AWS"] == ["arn:aws:iam::123456789012:role/ci"]
        assert statement["Action"] == "secretsmanager:GetSecretValue"
    assert not render("heavy").of_type("aws:secretsmanager/secretPolicy:SecretPolicy"), "none without readers"


def test_a_users_secret_readers_read_that_users_secret_alone():
    ci_role, release_role = "arn:aws:iam::123456789012:role/ci", "arn:aws:iam::123456789012:role/release"
    users = [
        {"name": "ci", "actions": ["download", "list"], "secretReaders": [ci_role]},
        {"name": "release", "actions": ["download", "list", "update"], "secretReaders": [release_role]},
    ]
    preview = render("heavy", users=users)
    secrets = {s.id: s.name for s in preview.of_type("aws:secretsmanager/secret:Secret")}
    readers = {
        secrets[p.inputs["secretArn"]]: json.loads(p.inputs["policy"])["Statement"][0]["Principal"]["AWS"]
        for p in preview.of_type("aws:secretsmanager/secretPolicy:SecretPolicy")
    }
    assert readers == {"pypiserver-ci-credentials": [ci_role], "pypiserver-release-credentials": [release_role]}
    out = preview.outputs
    assert set(out["userSecretArns"]) == {"ci", "release"}
    assert out["userSecretReaders"]["ci"] == [ci_role], "the user's readers (and the stack's, none here)"


def test_secret_readers_must_be_iam_principals():
    with pytest.raises(ConfigError, match="pypiserver:secretReaders"):
        load_config({"pypiserver:profile": "heavy", "pypiserver:secretReaders": '["ci"]'})


# -- Instances: task IAM roles in bridge mode need ECS_ENABLE_TASK_IAM_ROLE (AWS re:Post,
#    "ecs-iam-task-roles-config-errors"); the EFS IAM mount uses the task role.


def test_user_data_enables_task_roles():
    import base64

    user_data = render("heavy").one("aws:ec2/launchTemplate:LaunchTemplate").inputs["userData"]
    assert "ECS_ENABLE_TASK_IAM_ROLE=true" in base64.b64decode(user_data).decode()


# -- Image pulls: the agent's default "the image will be pulled remotely, if the pull fails then
#    the cached image in the instance will be used"; "If prefer-cached is specified, the image
#    will be pulled remotely if there is no cached image, otherwise the cached image in the
#    instance will be used" (ECS agent configuration, ECS_IMAGE_PULL_BEHAVIOR).


def test_task_starts_use_the_instances_cached_images():
    import base64

    user_data = render("heavy").one("aws:ec2/launchTemplate:LaunchTemplate").inputs["userData"]
    settings = dict(line.split("=", 1) for line in base64.b64decode(user_data).decode().splitlines() if "=" in line)
    assert settings.get("ECS_IMAGE_PULL_BEHAVIOR") == "prefer-cached"


# -- Access logs: "Regions available as of August 2022 or later" grant the
# logdelivery.elasticloadbalancing.amazonaws.com service principal; older regions the
# Elastic Load Balancing account of the region (ELB user guide, "Enable access logs for your
# Application Load Balancer"); SSE-S3 is the only encryption ALB log delivery supports.


def test_access_log_bucket_is_private_encrypted_expiring_and_admits_log_delivery():
    preview = render("heavy", accessLogRetentionDays=30)
    bucket = preview.one("aws:s3/bucket:Bucket")
    alb = preview.one("aws:lb/loadBalancer:LoadBalancer").inputs
    assert alb["accessLogs"] == {"enabled": True, "bucket": bucket.outputs["bucket"], "prefix": "alb"}
    sse = preview.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert sse.inputs["rules"] == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}], "SSE-S3 only"
    block = preview.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    (rule,) = preview.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    assert rule["expiration"]["days"] == 30 and rule["status"] == "Enabled"
    policy = json.loads(preview.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    write = next(s for s in policy["Statement"] if s["Effect"] == "Allow")
    # us-east-1 is older than August 2022: its ELB account (AWS's table) writes the logs.
    assert write["Principal"] == {"AWS": "arn:aws:iam::127311923021:root"} and write["Action"] == "s3:PutObject"
    assert write["Resource"] == f"{bucket.outputs['arn']}/alb/AWSLogs/123456789012/*"


def test_access_log_writer_in_a_region_launched_after_august_2022():
    from components.edge import access_log_bucket_policy

    policy = access_log_bucket_policy("arn:aws:s3:::b", "123456789012", "eu-central-2", "aws")  # Zurich, Nov 2022
    assert policy["Statement"][0]["Principal"] == {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
    older = access_log_bucket_policy("arn:aws:s3:::b", "123456789012", "eu-west-1", "aws")
    assert older["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::156460612806:root"}


# -- New AMIs. ECS keeps scale-in protection on instances running tasks, and scale-in
#    protection is how "to temporarily prevent individual instances from being terminated" by a
#    maximum instance lifetime (EC2 Auto Scaling user guide): an instance refresh with
#    "Refresh: Amazon EC2 Auto Scaling replaces instances that are protected from scale in"
#    (EC2 Auto Scaling API RefreshPreferences) replaces them instead, on a new AMI.


def test_a_newer_ecs_ami_rolls_every_instance_protected_ones_included(monkeypatch):
    parameter = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
    before = render("heavy")
    monkeypatch.setitem(mocks.PUBLISHED_PARAMETERS, parameter, "ami-0123456789abcdef0")
    after = render("heavy")
    lt_before = before.one("aws:ec2/launchTemplate:LaunchTemplate").inputs
    lt_after = after.one("aws:ec2/launchTemplate:LaunchTemplate").inputs
    assert lt_before["imageId"].startswith("ami-") and lt_before["imageId"] != "ami-0123456789abcdef0"
    assert lt_after["imageId"] == "ami-0123456789abcdef0", "the AMI AWS publishes now is a launch template change"
    asg = after.one("aws:autoscaling/group:Group").inputs
    assert asg["launchTemplate"]["version"] == str(
        after.one("aws:ec2/launchTemplate:LaunchTemplate").outputs["latestVersion"]
    ), "the group follows the template's newest version, which starts an instance refresh"
    assert asg["protectFromScaleIn"] is True
    assert asg["instanceRefresh"]["preferences"]["scaleInProtectedInstances"] == "Refresh"
    assert "maxInstanceLifetime" not in asg, "a lifetime never replaces protected instances"


# -- Deployments at peak: minimumHealthyPercent is "a lower limit on the number of your
#    service's tasks that must remain in the RUNNING state during a deployment, as a
#    percentage of the desiredCount (rounded up to the nearest integer)"; maximumPercent "an
#    upper limit on the number of your service's tasks that are allowed in the RUNNING or
#    PENDING state" (ECS API DeploymentConfiguration). A task that fits no instance stays
#    PROVISIONING, which the circuit breaker does not count as a failure: the deploy stalls.


@pytest.mark.parametrize("stack", ["light", "medium", "heavy", "very-heavy"])
def test_a_deploy_progresses_at_every_task_count_up_to_task_max(stack):
    import math

    preview = render(stack)
    service = preview.one("aws:ecs/service:Service").inputs
    capacity = preview.outputs["capacity"]
    slots = int(capacity["tasksPerInstance"] * preview.one("aws:autoscaling/group:Group").inputs["maxSize"])
    stalled = []
    for desired in range(int(capacity["taskMin"]), int(capacity["taskMax"]) + 1):
        may_stop = desired - math.ceil(desired * service["deploymentMinimumHealthyPercent"] / 100)
        may_start = min(math.floor(desired * service["deploymentMaximumPercent"] / 100), slots) - desired
        if may_stop < 1 and may_start < 1:
            stalled.append(desired)
        assert may_stop <= 1, f"{stack} at {desired} tasks: a deploy stops {may_stop} tasks at once"
    assert stalled == [], f"{stack}: a deploy at {stalled} tasks can neither stop an old task nor place a new one"


# -- Smaller rules.


def test_the_alarm_key_admits_cloudwatch_for_this_accounts_alarms_only():
    # The confused-deputy guard AWS recommends for service principals in resource policies:
    # aws:SourceAccount names the account on whose behalf the service may act.
    statements = json.loads(render("heavy").one("aws:kms/key:Key").inputs["policy"])["Statement"]
    (cloudwatch,) = [s for s in statements if s["Principal"].get("Service") == "cloudwatch.amazonaws.com"]
    assert cloudwatch["Condition"] == {"StringEquals": {"aws:SourceAccount": mocks.ACCOUNT}}


def test_alarm_topics_in_another_region_are_refused():
    # PutMetricAlarm: "ValidationError: Invalid region <topic's> specified. Only <alarm's> is supported".
    message = refused(alarmTopicArns=["arn:aws:sns:eu-west-1:123456789012:ops"])
    assert "pypiserver:alarmTopicArns" in message and "eu-west-1" in message and "us-east-1" in message
    same_region = render("heavy", alarmTopicArns=["arn:aws:sns:us-east-1:123456789012:ops"])
    alarm = same_region.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")[0]
    assert "arn:aws:sns:us-east-1:123456789012:ops" in alarm.inputs["alarmActions"]


@pytest.mark.parametrize("schedule", ["cron(0,30 2 * * ? *)", "cron(*/15 * * * ? *)", "cron(* 2 * * ? *)"])
def test_backup_jobs_less_than_an_hour_apart_are_refused(schedule):
    # AWS Backup: "The interval between backup jobs shouldn't be less than 60 minutes".
    message = refused(backupSchedule=schedule)
    assert "pypiserver:backupSchedule" in message and "60 minutes" in message


def test_hourly_backups_are_accepted():
    rule = render("heavy", backupSchedule="cron(15 * ? * * *)").one("aws:backup/plan:Plan").inputs["rules"][0]
    assert rule["schedule"] == "cron(15 * ? * * *)"


def test_every_arn_the_program_builds_is_in_the_stacks_partition(monkeypatch):
    # The partition comes from getPartition (aws, aws-cn, aws-us-gov), never assumed.
    monkeypatch.setattr(mocks, "PARTITION", "aws-us-gov")
    preview = render("heavy", backupEnabled=True, accessLogs=True)
    rendered = json.dumps([r.inputs for r in preview.resources if r.custom])
    assert "arn:aws-us-gov:iam::aws:policy/" in rendered, "managed policies are named in the partition"
    assert re.findall(r"arn:aws:[^\"]{0,60}", rendered) == []


# -- Readers in another account: "you can't use the AWS managed key (aws/secretsmanager) for
#    cross-account access" (Secrets Manager user guide, "Access AWS Secrets Manager secrets
#    from a different account").


def test_secrets_read_from_another_account_are_encrypted_with_a_key_of_the_stack():
    other = "arn:aws:iam::210987654321:role/ci"
    users = [
        {"name": "ci", "actions": ["download", "list"], "secretReaders": [other]},
        {"name": "release", "actions": ["download", "list", "update"]},
    ]
    preview = render("heavy", users=users)
    (key,) = [k for k in preview.of_type("aws:kms/key:Key") if k.name == "pypiserver-secrets-key"]
    secrets = {s.name: s.inputs for s in preview.of_type("aws:secretsmanager/secret:Secret")}
    assert secrets["pypiserver-ci-credentials"]["kmsKeyId"] == key.outputs["arn"]
    assert "kmsKeyId" not in secrets["pypiserver-release-credentials"], "read in this account only: AWS's key"
    (readers,) = [s for s in json.loads(key.inputs["policy"])["Statement"] if s["Principal"]["AWS"] == [other]]
    assert readers["Action"] == ["kms:Decrypt", "kms:DescribeKey"]
    assert readers["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}
    version = next(
        v
        for v in preview.of_type("aws:secretsmanager/secretVersion:SecretVersion")
        if v.name.startswith("pypiserver-ci")
    )
    assert version.replacement_trigger == key.outputs["arn"], (
        "a secret given a key needs a new version: the current one stays encrypted with the old key"
    )


def test_readers_in_the_stacks_account_need_no_key_of_its_own():
    preview = render("heavy", secretReaders=["arn:aws:iam::123456789012:role/ci"])
    assert [k.name for k in preview.of_type("aws:kms/key:Key")] == ["pypiserver-alarms-key"]
