"""The PypiServer component, rendered from the shipped stack files under the offline engine."""

import base64
import itertools
import json
import re
from collections import Counter

import pytest

from commands.engine import EngineError, mocks
from commands.log_filter import matches
from pypi_index import audit, contract
from tests.support.stacks import SHIPPED_STACKS, containers, render, shipped_files

LT = "aws:ec2/launchTemplate:LaunchTemplate"
ASG = "aws:autoscaling/group:Group"
EFS = "aws:efs/fileSystem:FileSystem"
ALB = "aws:lb/loadBalancer:LoadBalancer"
CLUSTER = "aws:ecs/cluster:Cluster"
SG = "aws:ec2/securityGroup:SecurityGroup"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
TARGET = "aws:appautoscaling/target:Target"
TG = "aws:lb/targetGroup:TargetGroup"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"

# What every stack without a domain builds, by type.
EXPECTED_INVENTORY = {
    "pypiserver:index:PypiServer": 1,
    SG: 3,
    LT: 1,
    ASG: 1,
    CLUSTER: 1,
    "aws:ecs/capacityProvider:CapacityProvider": 1,
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": 1,
    EFS: 1,
    "aws:efs/mountTarget:MountTarget": 2,
    "aws:efs/accessPoint:AccessPoint": 1,
    "aws:efs/fileSystemPolicy:FileSystemPolicy": 1,
    "aws:backup/vault:Vault": 1,
    "aws:backup/plan:Plan": 1,
    # One secret and one token per default user (a reader and a publisher).
    "aws:backup/selection:Selection": 1,
    "random:index/randomPassword:RandomPassword": 2,
    # One per user (reader, pypi), and the task's credential bundle.
    "aws:secretsmanager/secret:Secret": 3,
    "aws:secretsmanager/secretVersion:SecretVersion": 3,
    # Failed logins, scan failures, published files changed.
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": 3,
    # Load balancer access logs: a private, encrypted bucket that expires them.
    "aws:s3/bucket:Bucket": 1,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 1,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 1,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 1,
    "aws:s3/bucketPolicy:BucketPolicy": 1,
    "aws:cloudwatch/logGroup:LogGroup": 1,
    TASK: 1,
    SERVICE: 1,
    TARGET: 1,
    "aws:appautoscaling/policy:Policy": 1,
    ALB: 1,
    TG: 1,
    "aws:lb/listener:Listener": 1,
    "aws:sns/topic:Topic": 1,
    # The guide's five, unhealthy hosts, three that see an outage (the load balancer's own
    # 5xx, no running task, too few healthy tasks), and three on the index's audit lines
    # (failed logins, scan failures, published files changed).
    ALARM: 12,
    "aws:sns/topicPolicy:TopicPolicy": 1,
    "aws:kms/key:Key": 1,
    # The network the component builds: 2 AZs, one NAT gateway, an S3 gateway endpoint.
    "aws:ec2/vpc:Vpc": 1,
    "aws:ec2/subnet:Subnet": 4,
    "aws:ec2/internetGateway:InternetGateway": 1,
    "aws:ec2/routeTable:RouteTable": 3,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": 4,
    "aws:ec2/eip:Eip": 1,
    "aws:ec2/natGateway:NatGateway": 1,
    "aws:ec2/vpcEndpoint:VpcEndpoint": 1,
    "aws:cloudwatch/dashboard:Dashboard": 1,
    "aws:iam/role:Role": 4,
    "aws:iam/rolePolicy:RolePolicy": 2,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 5,
    "aws:iam/instanceProfile:InstanceProfile": 1,
}

# stack: (instance type, ASG min/max, task min/max, task CPU units, workers per task)
EXPECTED_SIZING = {
    "light": ("t3.small", (2, 2), (6, 6), 640, 4),
    "medium": ("c6a.large", (2, 4), (6, 12), 640, 4),
    "heavy": ("c6a.xlarge", (2, 4), (12, 24), 640, 4),
    "very-heavy": ("c6a.2xlarge", (2, 4), (12, 24), 1240, 8),
}


def gunicorn_workers(preview) -> int:
    """Workers from the gunicorn.conf.py the pypiserver container is handed (behind the front,
    the shipped config reads them from the container's environment)."""
    (server,) = [c for c in containers(preview) if c["name"] == "pypiserver"]
    env = {e["name"]: e["value"] for e in server["environment"]}
    if "GUNICORN_CONF" not in env:
        conf = shipped_files(server)["gunicorn.conf.py"]
        assert "workers = int(os.environ[contract.ENV_WORKERS])" in conf
        return int(env[contract.ENV_WORKERS])
    return int(re.search(r"^workers = (\d+)$", env["GUNICORN_CONF"], re.MULTILINE).group(1))


def sg(preview, suffix):
    return preview.one(SG, f"pypiserver-{suffix}-sg")


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_shipped_stack_builds_the_full_inventory(stack):
    counts = Counter(r.type for r in render(stack).resources)
    assert dict(counts) == EXPECTED_INVENTORY, f"{stack} should build exactly the expected resources"


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_shipped_stack_is_sized_by_the_guide(stack):
    preview = render(stack)
    instance_type, asg, tasks, cpu, workers = EXPECTED_SIZING[stack]
    group, target = preview.one(ASG).inputs, preview.one(TARGET).inputs
    task_cpu = sum(c["cpu"] for c in containers(preview))
    assert preview.one(LT).inputs["instanceType"] == instance_type
    assert (group["minSize"], group["maxSize"]) == asg, f"{stack}: ASG should be {asg}"
    assert (target["minCapacity"], target["maxCapacity"]) == tasks, f"{stack}: tasks should scale {tasks}"
    assert task_cpu == cpu, f"{stack}: the task should reserve {cpu} CPU units in all, got {task_cpu}"
    assert gunicorn_workers(preview) == workers, f"{stack}: gunicorn should run {workers} workers"
    assert preview.one(EFS).inputs["throughputMode"] == "elastic"


def test_heavy_matches_the_guides_validated_configuration():
    preview = render("heavy")
    assert preview.outputs["capacity"]["tasksPerInstance"] == 6
    assert preview.outputs["capacity"]["limitedBy"] == "cpu"
    assert preview.outputs["capacity"]["totalWorkers"] == 48, "2 x c6a.xlarge x 6 tasks x 4 workers"
    # The guide's ~$245 counts EC2, ALB and EFS; the network it never priced comes on top:
    # one NAT gateway with its public IPv4 address for 730 h and 20 GB/month through it.
    network = (0.045 + 0.005) * 730 + 20 * 0.045
    assert preview.outputs["monthlyCostUsd"] - network == pytest.approx(245, rel=0.03)


# Every shipped stack's ASG at its max holds exactly its task max (light: 2 x 3 = 6, medium:
# 4 x 3 = 12, heavy and very-heavy: 4 x 6 = 24), so at peak one task must stop first:
# floor(100 x (max - 1) / max). Whether a deploy then progresses at every task count is in
# test_aws_runtime_rules.py.
@pytest.mark.parametrize("stack, percent", [("light", 83), ("medium", 91), ("heavy", 95), ("very-heavy", 95)])
def test_deployments_have_room_to_place_a_new_task(stack, percent):
    svc = render(stack).one(SERVICE).inputs
    assert svc["deploymentMinimumHealthyPercent"] == percent, (
        f"{stack}: a full ASG must let one task stop first so the new revision can be placed"
    )


def test_service_starts_at_task_min():
    assert render("heavy").one(SERVICE).inputs["desiredCount"] == 12


# -- security defaults -----------------------------------------------------------------


def test_launch_template_requires_imdsv2_with_hop_limit_1():
    meta = render("heavy").one(LT).inputs["metadataOptions"]
    assert meta["httpTokens"] == "required", "IMDSv1 must be off"
    assert meta["httpPutResponseHopLimit"] == 1, "containers must not reach the instance role via IMDS"


def test_root_volume_is_encrypted():
    ebs = render("heavy").one(LT).inputs["blockDeviceMappings"][0]["ebs"]
    assert ebs["encrypted"] == "true"


def test_instances_get_no_public_ip():
    nic = render("heavy").one(LT).inputs["networkInterfaces"][0]
    assert nic["associatePublicIpAddress"] == "false"


def test_user_data_joins_the_rendered_cluster():
    preview = render("heavy")
    script = base64.b64decode(preview.one(LT).inputs["userData"]).decode()
    assert f"ECS_CLUSTER={preview.one(CLUSTER).outputs['name']}" in script


def test_efs_is_encrypted_and_protected():
    fs = render("heavy").one(EFS)
    assert fs.inputs["encrypted"] is True
    assert fs.protect, "the package store must be protected against accidental deletion"


def test_task_mounts_efs_with_transit_encryption_access_point_and_iam():
    preview = render("heavy")
    efs_volume = preview.one(TASK).inputs["volumes"][0]["efsVolumeConfiguration"]
    access_point = preview.one("aws:efs/accessPoint:AccessPoint")
    assert efs_volume["transitEncryption"] == "ENABLED"
    assert efs_volume["authorizationConfig"] == {"accessPointId": access_point.id, "iam": "ENABLED"}


def test_access_point_maps_clients_to_pypiservers_uid():
    ap = render("heavy").one("aws:efs/accessPoint:AccessPoint").inputs
    assert ap["posixUser"] == {"uid": 9898, "gid": 9898}


def test_instance_sg_admits_only_the_load_balancer_sg():
    preview = render("heavy")
    rules = sg(preview, "instance").inputs["ingress"]
    assert [r["securityGroups"] for r in rules] == [[sg(preview, "alb").id]]
    assert not any(r.get("cidrBlocks") for r in rules), "no CIDR may reach the instances directly"


def test_efs_sg_admits_only_nfs_from_instances():
    preview = render("heavy")
    (rule,) = sg(preview, "efs").inputs["ingress"]
    assert (rule["fromPort"], rule["toPort"], rule["securityGroups"]) == (2049, 2049, [sg(preview, "instance").id])


def test_internal_load_balancer_admits_only_the_vpc_by_default():
    preview = render("heavy")
    (rule,) = sg(preview, "alb").inputs["ingress"]
    assert preview.one(ALB).inputs["internal"] is True
    assert (rule["fromPort"], rule["cidrBlocks"]) == (80, ["10.0.0.0/16"]), "HTTP from the VPC CIDR only"


def test_allowed_cidrs_replace_the_vpc_default():
    preview = render(
        "heavy", loadBalancerScheme="internet-facing", allowedCidrs=["203.0.113.0/24"], zoneId="Z0123456789ABCDEFGHIJ"
    )
    rules = sg(preview, "alb").inputs["ingress"]
    assert {tuple(r["cidrBlocks"]) for r in rules} == {("203.0.113.0/24",)}
    assert preview.one(ALB).inputs["internal"] is False


def test_load_balancer_drops_invalid_headers():
    assert render("heavy").one(ALB).inputs["dropInvalidHeaderFields"] is True


def test_fallback_to_pypi_is_off():
    commands = json.dumps([c.get("command") for c in containers(render("heavy"))])
    assert "--disable-fallback" in commands, "unknown names must not be fetched from pypi.org"


def test_health_checks_use_the_health_endpoint_never_root():
    preview = render("heavy")
    assert preview.one(TG).inputs["healthCheck"]["path"] == "/health"
    for c in containers(preview):
        probe = " ".join(c["healthCheck"]["command"])
        assert "/health" in probe, f"{c['name']} health check should call /health: {probe}"


def test_password_never_appears_in_the_task_definition():
    preview = render("heavy")
    passwords = [p.outputs["result"] for p in preview.of_type("random:index/randomPassword:RandomPassword")]
    assert len(passwords) == 2 and not any(p in preview.one(TASK).inputs["containerDefinitions"] for p in passwords)
    secrets = {s.name: s.id for s in preview.of_type("aws:secretsmanager/secret:Secret")}
    referenced = {s["valueFrom"].rsplit(":", 3)[0] for c in containers(preview) for s in c.get("secrets", [])}
    assert referenced == {secrets["pypiserver-task-credentials-0"]}, "the task reads its bundle, no user's secret"
    policy = next(p for p in preview.of_type("aws:iam/rolePolicy:RolePolicy") if p.name.endswith("read-credentials"))
    assert (
        json.loads(policy.inputs["policy"])["Statement"][0]["Resource"] == secrets["pypiserver-task-credentials-0"]
    ), "the execution role reads the bundle alone (the users' secrets are their clients')"


def test_target_group_has_no_stickiness():
    # Its deregistration delay is checked against the other layers' waits in tests/task/test_timing.py.
    tg = render("heavy").one(TG).inputs
    assert tg["stickiness"]["enabled"] is False


def test_service_rolls_back_failed_deployments_and_spreads_over_azs():
    svc = render("heavy").one(SERVICE).inputs
    assert svc["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert svc["orderedPlacementStrategies"][0]["field"] == "attribute:ecs.availability-zone"


def test_asg_is_managed_by_ecs():
    group = render("heavy").one(ASG).inputs
    assert {"key": "AmazonECSManaged", "value": "true", "propagateAtLaunch": True} in group["tags"]
    assert group["protectFromScaleIn"] is True
    assert group["instanceRefresh"]["strategy"] == "Rolling"


# -- alarms --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, metric, threshold",
    [
        ("efs-io-limit", "PercentIOLimit", 80),
        ("ecs-cpu-high", "CPUUtilization", 80),
        ("ecs-memory-high", "MemoryUtilization", 90),
        ("alb-p95-latency", "TargetResponseTime", 5),
        ("alb-5xx", "HTTPCode_Target_5XX_Count", 10),
        ("unhealthy-hosts", "UnHealthyHostCount", 0),
    ],
)
def test_guide_alarm_exists_with_its_threshold(name, metric, threshold):
    preview = render("heavy")
    alarm = preview.one(ALARM, f"pypiserver-{name}").inputs
    topic = preview.one("aws:sns/topic:Topic")
    assert (alarm["metricName"], alarm["threshold"]) == (metric, threshold)
    assert topic.outputs["arn"] in alarm["alarmActions"], "alarms must notify the stack's topic"


@pytest.mark.parametrize(
    "alarm_name, filter_name, result",
    [
        ("index-scan-failures", "index-scan-failures", contract.SCAN_FAILED),
        ("published-file-changed", "quarantined-files", contract.QUARANTINED),
    ],
)
def test_index_events_alarm_on_the_first_audit_line_of_their_kind(alarm_name, filter_name, result):
    preview = render("heavy")
    alarm = preview.one(ALARM, f"pypiserver-{alarm_name}").inputs
    log_filter = preview.one("aws:cloudwatch/logMetricFilter:LogMetricFilter", f"pypiserver-{filter_name}").inputs
    transformation = log_filter["metricTransformation"]
    assert (alarm["metricName"], alarm["namespace"]) == (transformation["name"], transformation["namespace"])
    assert (alarm["comparisonOperator"], alarm["threshold"], alarm["statistic"]) == ("GreaterThanThreshold", 0, "Sum")
    assert alarm["treatMissingData"] == "notBreaching", "no line, no alarm (quiet periods are fine)"
    line = json.loads(audit.line(user="", action="scan", result=result, status=0, client=""))
    assert matches(log_filter["pattern"], json.dumps(line))
    for other in contract.AUDIT_RESULTS:
        if other != result:
            assert not matches(log_filter["pattern"], json.dumps({**line, "result": other})), other
    assert preview.one("aws:sns/topic:Topic").outputs["arn"] in alarm["alarmActions"]


def test_ecs_cpu_alarm_spans_ten_minutes():
    alarm = render("heavy").one(ALARM, "pypiserver-ecs-cpu-high").inputs
    assert alarm["period"] * alarm["evaluationPeriods"] == 600


def test_5xx_alarm_counts_per_hour_and_p95_uses_the_percentile():
    preview = render("heavy")
    assert preview.one(ALARM, "pypiserver-alb-5xx").inputs["period"] == 3600
    assert preview.one(ALARM, "pypiserver-alb-p95-latency").inputs["extendedStatistic"] == "p95"


@pytest.mark.parametrize("stack, floor", [("light", 5), ("heavy", 12)])
def test_too_few_healthy_tasks_alarm_below_what_a_deploy_leaves(stack, floor):
    # By hand: light runs 6 tasks and deploys at 83 % (ECS rounds 4.98 up: 5 stay); heavy 12 at
    # 95 % (11.4 -> 12).
    alarm = render(stack).one(ALARM, "pypiserver-healthy-tasks-low").inputs
    assert (alarm["metricName"], alarm["comparisonOperator"], alarm["threshold"]) == (
        "HealthyHostCount",
        "LessThanThreshold",
        floor,
    )
    assert alarm["treatMissingData"] == "notBreaching", "an idle load balancer reports nothing"


def test_an_outage_is_seen_day_and_night():
    preview = render("heavy")
    none_running = preview.one(ALARM, "pypiserver-no-running-task").inputs
    assert (none_running["namespace"], none_running["metricName"]) == ("ECS/ContainerInsights", "RunningTaskCount")
    assert none_running["treatMissingData"] == "breaching", "no running task may mean no datapoint at all"
    cluster = preview.one(CLUSTER).inputs
    assert {"name": "containerInsights", "value": "enabled"} in cluster["settings"], "the metric needs them"
    own_5xx = preview.one(ALARM, "pypiserver-elb-5xx").inputs
    assert set(own_5xx["dimensions"]) == {"LoadBalancer"}, "the load balancer's own 5xx have no target group"


def test_alarm_emails_subscribe_to_the_topic():
    preview = render("heavy", alarmEmails=["ops@example.com", "sre@example.com"])
    subs = preview.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert sorted(s.inputs["endpoint"] for s in subs) == ["ops@example.com", "sre@example.com"]


def test_dashboard_charts_the_alarmed_metrics():
    body = render("heavy").one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"]
    for metric in (
        "PercentIOLimit",
        "CPUUtilization",
        "MemoryUtilization",
        "TargetResponseTime",
        "HTTPCode_Target_5XX_Count",
        "UnHealthyHostCount",
    ):
        assert metric in body, f"dashboard should chart {metric}"


# -- variants ------------------------------------------------------------------------


ARM64_AMI_PARAMETER = "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"
X86_AMI_PARAMETER = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"


def test_graviton_instances_use_the_arm64_ecs_ami():
    lt = render("heavy", instanceType="c6g.xlarge").one(LT).inputs
    assert lt["imageId"] == mocks.parameter_value(ARM64_AMI_PARAMETER) and lt["tags"]["EcsAmiParameter"] == (
        ARM64_AMI_PARAMETER
    )


def test_x86_instances_use_the_x86_ecs_ami():
    lt = render("heavy").one(LT).inputs
    assert lt["imageId"] == mocks.parameter_value(X86_AMI_PARAMETER) and lt["tags"]["EcsAmiParameter"] == (
        X86_AMI_PARAMETER
    )


def test_domain_adds_https_with_a_modern_tls_policy_and_redirects_http():
    preview = render("heavy", zoneId="Z0123456789ABCDEFGHIJ", dnsNames=["pypi", "packages"])
    listeners = {r.name: r.inputs for r in preview.of_type("aws:lb/listener:Listener")}
    assert listeners["pypiserver-https"]["sslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    assert listeners["pypiserver-http"]["defaultActions"][0]["redirect"]["statusCode"] == "HTTP_301"
    cert = preview.one("aws:acm/certificate:Certificate").inputs
    assert (cert["domainName"], cert["subjectAlternativeNames"]) == ("pypi.example.com", ["packages.example.com"])
    assert preview.outputs["url"] == "https://pypi.example.com"


def test_domain_opens_443_on_the_load_balancer_sg():
    preview = render("heavy", zoneId="Z0123456789ABCDEFGHIJ")
    assert sorted(r["fromPort"] for r in sg(preview, "alb").inputs["ingress"]) == [80, 443]


def test_explicit_network_puts_a_mount_target_in_each_given_subnet():
    subnets = ["subnet-0a0000000000000a1", "subnet-0b0000000000000b1"]
    preview = render("heavy", vpcId=mocks.EXISTING_VPC_ID, subnetIds=subnets)
    assert sorted(m.inputs["subnetId"] for m in preview.of_type("aws:efs/mountTarget:MountTarget")) == subnets
    assert preview.one(ASG).inputs["vpcZoneIdentifiers"] == subnets


def test_provisioned_throughput_is_passed_to_efs():
    fs = render("heavy", efsThroughputMode="provisioned", efsProvisionedThroughputMibps=64).one(EFS).inputs
    assert (fs["throughputMode"], fs["provisionedThroughputInMibps"]) == ("provisioned", 64)


def test_backups_off_removes_the_backup_plan():
    preview = render("heavy", backupEnabled=False)
    assert not preview.of_type("aws:backup/plan:Plan")


def test_backup_retention_and_schedule_reach_the_plan():
    rule = render("heavy", backupRetentionDays=30).one("aws:backup/plan:Plan").inputs["rules"][0]
    assert (rule["lifecycle"]["deleteAfter"], rule["schedule"]) == (30, "cron(0 2 * * ? *)")


def test_front_off_renders_the_guides_single_container_design():
    preview = render("heavy", frontEnabled=False)
    (only,) = containers(preview)
    assert only["name"] == "pypiserver" and only["cpu"] == 640


# -- determinism and identity ----------------------------------------------------------


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_two_runs_render_identical_inputs(stack):
    first, second = render(stack), render(stack)
    assert {r.urn: r.inputs for r in first.resources} == {r.urn: r.inputs for r in second.resources}, (
        "a second run must not show a diff (credentials and hashes must be stable)"
    )


KEPT = (EFS, ALB, CLUSTER, ASG)


@pytest.mark.parametrize("a, b", list(itertools.combinations(SHIPPED_STACKS, 2)))
def test_moving_between_profiles_keeps_stateful_and_edge_urns(a, b):
    # The stack name is part of every URN, so compare one stack file rendered with either
    # profile: that is what editing pypiserver:profile in place does.
    before, after = render("heavy", profile=a), render("heavy", profile=b)
    for typ in KEPT:
        assert before.one(typ).urn == after.one(typ).urn, f"{typ} must keep its URN from {a} to {b}"


@pytest.mark.parametrize("a, b", list(itertools.combinations(SHIPPED_STACKS, 2)))
def test_moving_between_profiles_leaves_efs_inputs_untouched(a, b):
    before, after = render("heavy", profile=a), render("heavy", profile=b)
    assert before.one(EFS).inputs == after.one(EFS).inputs, f"EFS inputs must not change from {a} to {b}"


def test_changing_only_the_instance_type_keeps_every_urn():
    before, after = render("heavy"), render("heavy", instanceType="c6a.2xlarge")
    assert [r.urn for r in before.resources] == [r.urn for r in after.resources]


# --- instance size from AWS (getInstanceType) ---------------------------------------------


def test_instance_size_comes_from_the_get_instance_type_data_source(monkeypatch):
    """The program asks getInstanceType; whatever it answers sizes the stack (here the mock
    claims 16 vCPU for c6a.xlarge: CPU no longer limits, memory does)."""
    from commands.engine.mocks import AwsMocks

    asked = []

    def answer(self, instance_type):
        asked.append(instance_type)
        return {
            "instanceType": instance_type,
            "defaultVcpus": 16,
            "memorySize": 8192,
            "supportedArchitectures": ["x86_64"],
        }

    monkeypatch.setattr(AwsMocks, "_instance_type", answer)
    capacity = render("heavy").outputs["capacity"]
    assert asked and set(asked) == {"c6a.xlarge"}
    # (16 x 1024 - 128) // 640 = 25 by CPU; (8192 - 800) // 384 = 19 by memory.
    assert (capacity["tasksByCpu"], capacity["tasksPerInstance"], capacity["limitedBy"]) == (25, 19, "memory")


def test_arm64_answer_picks_the_arm64_ami():
    """c7g is Graviton: the offline answer (catalog) says arm64, as AWS's does."""
    lt = render("heavy", instanceType="c7g.xlarge").one(LT).inputs
    assert lt["imageId"] == mocks.parameter_value(ARM64_AMI_PARAMETER)
    assert lt["tags"]["EcsAmiParameter"].endswith("/arm64/recommended/image_id")


def test_type_outside_the_catalog_previews_with_instance_specs():
    preview = render(
        "heavy",
        instanceType="c8i.xlarge",
        instanceSpecs={"hourlyUsd": 0.1785, "vcpu": 4, "memoryMib": 8192, "arch": "x86_64"},
    )
    assert preview.one(LT).inputs["instanceType"] == "c8i.xlarge"
    assert preview.outputs["capacity"]["tasksPerInstance"] == 6
    assert preview.outputs["monthlyCostUsd"] == preview.config.monthly_cost.total


def test_type_the_offline_engine_cannot_describe_is_one_line():
    with pytest.raises(EngineError) as err:
        render("heavy", instanceType="c8i.xlarge", instanceSpecs={"hourlyUsd": 0.1785})
    message = str(err.value)
    assert "\n" not in message and "pypiserver:instanceType" in message and "instanceSpecs" in message, message
