"""commands.advise against a moto server: one deployed stack per test, synthetic CloudWatch series
per scenario, the advisor's real boto3 calls over HTTP to AWS_ENDPOINT_URL, as a user runs it
(its main(), or `python -m commands.advise` where the process boundary matters). Expected
values come from the guide's numbers (thresholds, $/h) and from the series each test puts in,
not from the advisor's code."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws

from commands.advise.__main__ import main
from commands.advise.aws_errors import describe
from commands.advise.metrics import Query, ResultFailed, read_series, scaling_activities
from guide.profiles import PROFILE_DEFAULTS
from tests.support.advise_demo import SCENARIOS
from tests.support.advise_endpoint import (
    BAD_GATEWAY,
    BAD_GATEWAY_DOCTYPE,
    Answer,
    aws_json_error,
    aws_xml_error,
    broken_proxy,
)
from tests.support.advise_fixtures import (
    NO_P95,
    PERIOD,
    REGION,
    Hour,
    ScalingHistory,
    deploy,
    moto_percentiles,
    moto_scaling_activities,
    moto_server,
    period_starts,
    publish,
    quiet_with_daily_bursts,
    reset,
    scaling_at,
)
from tests.support.stacks import ROOT

HOURS = 72  # a 3-day window of hourly periods keeps moto fast
ARGS = ["--stack", "heavy", "--days", "3", "--period", str(PERIOD)]
# The guide's prices: c6a.xlarge $0.153/h, c6a.2xlarge $0.306/h, 730 h a month, 2 instances.
HOURS_PER_MONTH = 730


@pytest.fixture(scope="module")
def server():
    with moto_server() as url:
        yield url


@dataclass
class Endpoint:
    url: str
    scaling: ScalingHistory


def _point_at(url: str, monkeypatch, tmp_path) -> None:
    """The environment a user's shell would have, aimed at the endpoint."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_ENDPOINT_URL": url,
        # The test endpoints answer the same every time: no retries (and no back-off sleeps).
        "AWS_MAX_ATTEMPTS": "1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def aws(server, monkeypatch, tmp_path) -> Endpoint:
    """A fresh account on the moto server, taught percentiles and scaling activities."""
    reset(server)
    _point_at(server, monkeypatch, tmp_path)
    moto_percentiles(monkeypatch)
    return Endpoint(server, moto_scaling_activities(monkeypatch))


@pytest.fixture
def aws_without_percentiles(server, monkeypatch, tmp_path) -> Endpoint:
    """The same, except that CloudWatch answers pNN as moto alone does (HTTP 500, an HTML page)."""
    reset(server)
    _point_at(server, monkeypatch, tmp_path)
    return Endpoint(server, moto_scaling_activities(monkeypatch))


def advise(capsys, *args: str) -> dict:
    """Later arguments win (argparse), so a test may pass another --stack."""
    assert main([*ARGS, *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def advise_command(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m commands.advise` in its own process, with this test's environment."""
    return subprocess.run(
        [sys.executable, "-m", "commands.advise", *ARGS, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def rules(report: dict) -> dict[str, dict]:
    return {r["rule"]: r for r in report["rules"]}


def steady(hour: Hour, hours: int = HOURS):
    return [(ts, hour) for ts in period_starts(hours)]


def run_scenario(tmp_path, capsys, series, **deploy_kwargs) -> dict:
    stack = deploy(**deploy_kwargs)
    publish(stack, series)
    return advise(capsys, "--outputs", stack.outputs_file(tmp_path))


# -- scenarios -----------------------------------------------------------------------------------


def test_sustained_cpu_scales_up_one_size_with_the_guides_cost(aws, tmp_path, capsys):
    report = run_scenario(tmp_path, capsys, steady(Hour(cpu=88)))
    cpu = rules(report)["cpu-sustained"]
    assert (cpu["measured"], cpu["fires"]) == (88, True)
    rec = report["recommendation"]
    assert rec["action"] == "scale up"
    assert rec["settings"] == {"instanceType": "c6a.2xlarge"}
    assert rec["command"] == 'make migrate STACK=heavy SET="instanceType=c6a.2xlarge"'
    delta = 2 * (0.306 - 0.153) * HOURS_PER_MONTH  # 446.76 - 223.38
    assert rec["monthlyCostUsd"]["delta"] == pytest.approx(delta, abs=0.01)
    assert report["window"]["burstPeriods"] == 0


def test_cpu_only_in_bursts_is_not_a_reason_to_scale_up(aws, tmp_path, capsys):
    normal = Hour(cpu=45, memory=65)
    # 20 of 72 hours: 200 000 requests (> 3 x 3000), 2.55 s average -> ~140 concurrent.
    burst = Hour(
        requests=200_000, response_s=1.5, slow_s=12, cpu=97, memory=65, target_5xx=1500, elb_5xx=1500, running=20
    )
    series = [(ts, burst if i % 7 == 0 or i % 7 == 3 else normal) for i, ts in enumerate(period_starts(HOURS))]
    n_burst = sum(1 for _, h in series if h is burst)
    report = run_scenario(tmp_path, capsys, series)
    r = rules(report)
    assert report["window"]["burstPeriods"] == n_burst == 21
    assert report["window"]["normalPeriods"] == HOURS - n_burst
    # Counted over all periods, 29 % at 97 % CPU and a 1.4 % error rate would fire both rules.
    assert r["cpu-sustained"]["measured"] == 45 and r["cpu-sustained"]["fires"] is False
    assert r["error-rate-normal"]["measured"] == 0 and r["error-rate-normal"]["fires"] is False
    assert r["p95-latency-normal"]["measured"] == pytest.approx(0.3) and r["p95-latency-normal"]["fires"] is False
    assert report["facts"]["burstErrorRatePercent"] == pytest.approx(3000 / 200_000 * 100)
    # Memory 65 % keeps it off the downgrade path (guide: < 60 %).
    assert r["downgrade-memory"]["fires"] is False
    assert report["recommendation"]["action"] == "stay"


def test_memory_pressure_scales_up(aws, tmp_path, capsys):
    report = run_scenario(tmp_path, capsys, steady(Hour(cpu=50, memory=93)))
    r = rules(report)
    assert (r["memory-pressure"]["measured"], r["memory-pressure"]["fires"]) == (93, True)
    assert r["cpu-sustained"]["fires"] is False
    assert report["recommendation"]["action"] == "scale up"
    assert report["recommendation"]["settings"] == {"instanceType": "c6a.2xlarge"}
    assert any("raise containerMemory (now 512 MiB" in line for line in report["recommendation"]["reasoning"])


def test_tasks_pinned_at_max_scale_out_by_one_instance(aws, tmp_path, capsys):
    # light: 2-2 x t3.small, 6 tasks; at the scaling target's max (6) half of the time.
    stack = deploy(stack="light", task_min=6, task_max=6)
    publish(
        stack, [(ts, Hour(cpu=70, running=6 if i % 2 else 5, memory=65)) for i, ts in enumerate(period_starts(HOURS))]
    )
    report = advise(capsys, "--stack", "light", "--outputs", stack.outputs_file(tmp_path))
    r = rules(report)["tasks-at-max"]
    assert (r["measured"], r["threshold"], r["fires"]) == (6, 6, True)
    rec = report["recommendation"]
    assert rec["action"] == "scale out"
    assert rec["settings"] == {"asgMinSize": "3", "asgMaxSize": "3"}
    assert rec["command"] == 'make migrate STACK=light SET="asgMinSize=3 asgMaxSize=3"'
    assert rec["monthlyCostUsd"]["delta"] == pytest.approx(0.0208 * HOURS_PER_MONTH, abs=0.01)  # one t3.small


def test_tasks_pinned_at_max_on_four_instances_scale_up_instead(aws, tmp_path, capsys):
    """heavy's ASG already reaches 4, the guide's most: fewer, beefier."""
    series = [(ts, Hour(cpu=70, running=24 if i % 2 else 16)) for i, ts in enumerate(period_starts(HOURS))]
    report = run_scenario(tmp_path, capsys, series)
    r = rules(report)["tasks-at-max"]
    assert (r["measured"], r["threshold"], r["fires"]) == (24, 24, True)
    rec = report["recommendation"]
    assert (rec["action"], rec["settings"]) == ("scale up", {"instanceType": "c6a.2xlarge"})
    assert any("beyond the guide's 2-4 instances" in line for line in rec["reasoning"])


def test_efs_io_limit_on_elastic_goes_provisioned_sized_from_traffic(aws, tmp_path, capsys):
    # 36 GiB metered in the busiest hour = 10.24 MiB/s; P95 6 s in normal traffic as well.
    series = [
        (ts, Hour(efs_io=92, slow_s=6, efs_bytes=(36 if i == 5 else 4) * 2**30))
        for i, ts in enumerate(period_starts(HOURS))
    ]
    report = run_scenario(tmp_path, capsys, series)
    r = rules(report)
    assert (r["efs-io-limit"]["measured"], r["efs-io-limit"]["fires"]) == (92, True)
    assert (r["p95-latency-normal"]["measured"], r["p95-latency-normal"]["fires"]) == (6, True)
    rec = report["recommendation"]
    assert rec["action"] == "raise EFS throughput", "EFS at its limit explains the latency before the instance"
    assert rec["settings"] == {"efsThroughputMode": "provisioned", "efsProvisionedThroughputMibps": "21"}
    assert rec["monthlyCostUsd"]["delta"] == pytest.approx(21 * 6.00)  # the guide: ~$6/MiB/s/month


def test_efs_io_limit_on_bursting_goes_elastic(aws, tmp_path, capsys):
    report = run_scenario(tmp_path, capsys, steady(Hour(efs_io=85)), throughput_mode="bursting")
    rec = report["recommendation"]
    assert rec["action"] == "raise EFS throughput"
    assert rec["settings"] == {"efsThroughputMode": "elastic"}
    assert report["facts"]["efsThroughputMode"] == "bursting"


def test_burst_credits_draining_on_bursting_goes_elastic(aws, tmp_path, capsys):
    # 2000 GiB of credits falling by 20 GiB an hour: 71 h of data, 580 GiB left, 29 h to go (< 3 days).
    series = [(ts, Hour(efs_credits=(2000 - 20 * i) * 2**30)) for i, ts in enumerate(period_starts(HOURS))]
    report = run_scenario(tmp_path, capsys, series, throughput_mode="bursting")
    r = rules(report)["efs-burst-credits"]
    assert r["measured"] == pytest.approx(580 / 20 / 24) and r["fires"] is True
    assert rules(report)["efs-io-limit"]["fires"] is False
    rec = report["recommendation"]
    assert (rec["action"], rec["settings"]) == ("raise EFS throughput", {"efsThroughputMode": "elastic"})


def test_idle_stack_may_go_down_one_step(aws, tmp_path, capsys):
    report = run_scenario(tmp_path, capsys, steady(Hour(requests=500, cpu=12, memory=30)))
    r = rules(report)
    assert [r[k]["fires"] for k in ("downgrade-cpu", "downgrade-memory", "downgrade-errors")] == [True] * 3
    rec = report["recommendation"]
    assert rec["action"] == "downgrade"
    assert rec["settings"] == {"instanceType": "c6a.large"}  # the guide: c6a.xlarge -> c6a.large -> t3.medium
    # c6a.large is half a c6a.xlarge (the guide's medium: ~$110 for 2 x c6a.large).
    assert rec["monthlyCostUsd"]["delta"] == pytest.approx(-2 * 0.153 / 2 * HOURS_PER_MONTH, abs=0.01)


def test_a_quiet_but_not_idle_stack_stays(aws, tmp_path, capsys):
    report = run_scenario(tmp_path, capsys, steady(Hour(cpu=55, memory=50)))
    r = rules(report)
    assert not any(x["fires"] for x in report["rules"] if x["group"] != "downgrade")
    assert r["downgrade-cpu"]["fires"] is False  # 55 % is not under the guide's 50 %
    assert report["recommendation"]["action"] == "stay"
    assert report["recommendation"]["command"] is None


@pytest.mark.parametrize("hours, step, days", [(30, 1, 1.25), (72, 3, 1.0)])
def test_too_little_data_says_how_much_is_needed(aws, tmp_path, capsys, hours, step, days):
    """A new stack (30 h of data) and a window with gaps (every third hour)."""
    series = [(ts, Hour(cpu=95)) for ts in period_starts(hours)[::step]]
    report = run_scenario(tmp_path, capsys, series)
    assert report["window"]["daysWithData"] == days
    assert report["window"]["enoughData"] is False
    rec = report["recommendation"]
    assert rec["action"] == "not enough data"
    assert "at least 2 days" in rec["reasoning"][0] and f"run again in {2 - days:.1f} days" in rec["reasoning"][0]


# -- bursts a downgrade must carry -----------------------------------------------------------------


def test_a_quiet_stack_with_daily_bursts_keeps_the_size_its_bursts_need(aws, tmp_path):
    stack = deploy()
    publish(stack, quiet_with_daily_bursts(period_starts(HOURS), burst_cpu=97))
    done = advise_command("--outputs", stack.outputs_file(tmp_path), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    rec = report["recommendation"]
    assert (rec["action"], rec["settings"], rec["command"]) == ("stay", {}, None)
    r = rules(report)
    assert report["window"]["burstPeriods"] == 9
    # Outside the bursts it is as quiet as the guide's downgrade asks...
    assert [r[k]["verdict"] for k in ("downgrade-cpu", "downgrade-memory", "downgrade-errors")] == ["met"] * 3
    # ...but a c6a.large instance holds 3 tasks of 640 CPU units where a c6a.xlarge holds 6 (the
    # guide's capacity formula): the bursts' 97 % of the tasks' CPU is 194 % of c6a.large's.
    burst = r["downgrade-burst-cpu"]
    assert burst["measured"] == pytest.approx(97 * 6 / 3) and burst["verdict"] == "not met"
    assert any(
        "downgrade to c6a.large refused" in line and "bursts need c6a.xlarge" in line for line in rec["reasoning"]
    )


def test_bursts_the_smaller_type_can_carry_do_not_stop_a_downgrade(aws, tmp_path, capsys):
    # 35 % of c6a.xlarge's task CPU is 70 % of c6a.large's: under the guide's 80 %.
    report = run_scenario(tmp_path, capsys, quiet_with_daily_bursts(period_starts(HOURS), burst_cpu=35))
    assert rules(report)["downgrade-burst-cpu"]["measured"] == pytest.approx(70)
    rec = report["recommendation"]
    assert (rec["action"], rec["settings"]) == ("downgrade", {"instanceType": "c6a.large"})


# -- what could not be judged ----------------------------------------------------------------------


def test_a_missing_percentile_is_named_in_the_advice_and_is_no_clean_bill_of_health(aws, tmp_path):
    stack = deploy()
    publish(stack, steady(Hour(**NO_P95)))
    done = advise_command("--outputs", stack.outputs_file(tmp_path))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "recommendation: stay (1 rule could not be judged, see below)" in out
    assert "no scale-up, scale-out or EFS rule fires" not in out
    assert "not a clean bill of health" in out
    reason = next(line for line in out.splitlines() if "could not judge p95-latency-normal" in line)
    assert "no TargetResponseTime p95 for the 72 normal-traffic periods with requests" in reason
    assert "average response time: 7.05 s" in reason  # (18 x 7 + 2 x 7.5) / 20


def test_a_quiet_stack_is_not_downgraded_on_a_rule_it_could_not_judge(aws, tmp_path, capsys):
    """Idle enough to go down a step, but whether it is slow is unknown."""
    report = run_scenario(tmp_path, capsys, steady(Hour(requests=500, cpu=12, memory=30, **NO_P95)))
    assert report["recommendation"]["action"] == "stay"
    r = rules(report)
    assert [r[k]["verdict"] for k in ("downgrade-cpu", "downgrade-memory", "downgrade-errors")] == ["met"] * 3
    assert r["p95-latency-normal"]["verdict"] == "not judged" and r["p95-latency-normal"]["fires"] is None
    rec = report["recommendation"]
    assert rec["action"] == "stay"
    assert rec["couldNotJudge"] == [{"rule": "p95-latency-normal", "reason": r["p95-latency-normal"]["couldNotJudge"]}]
    assert any(
        "no downgrade to c6a.large while a rule that could call for more capacity is not judged" in x
        for x in rec["reasoning"]
    )


def test_a_stack_without_traffic_goes_down_a_step(aws, tmp_path, capsys):
    """No requests: the load balancer reports no request metrics at all, and nothing failed."""
    report = run_scenario(tmp_path, capsys, steady(Hour(requests=0, cpu=3, memory=25)))
    rec = report["recommendation"]
    assert (rec["action"], rec["settings"]) == ("downgrade", {"instanceType": "c6a.large"})
    assert report["facts"]["requests"] == 0
    r = rules(report)
    assert (r["downgrade-errors"]["measured"], r["downgrade-errors"]["verdict"]) == (0, "met")
    assert r["error-rate-normal"]["verdict"] == "no" and r["p95-latency-normal"]["verdict"] == "no"
    assert rec["couldNotJudge"] == []


def test_one_failing_query_costs_only_the_rules_that_read_it(aws_without_percentiles, tmp_path, capsys):
    """moto alone answers the p95 query with HTTP 500 and an HTML page; CPU is still judged."""
    report = run_scenario(tmp_path, capsys, steady(Hour(cpu=88)))
    r = rules(report)
    assert (r["cpu-sustained"]["measured"], r["cpu-sustained"]["verdict"]) == (88, "FIRES")
    reason = r["p95-latency-normal"]["couldNotJudge"]
    assert r["p95-latency-normal"]["verdict"] == "not judged"
    assert reason.startswith("AWS/ApplicationELB TargetResponseTime p95: GetMetricData in us-east-1: HTTP 500")
    assert "'500 Internal Server Error'" in reason
    assert "\n" not in reason and "<" not in reason
    judged = [x["rule"] for x in report["rules"] if x["couldNotJudge"]]
    assert judged == ["p95-latency-normal"], "only the rule reading the p95"
    rec = report["recommendation"]
    assert (rec["action"], rec["settings"]) == ("scale up", {"instanceType": "c6a.2xlarge"})
    assert [c["rule"] for c in rec["couldNotJudge"]] == ["p95-latency-normal"]


# -- auto-scaling triggered for everyday traffic ----------------------------------------------------


def test_scaling_out_for_everyday_traffic_more_than_daily_asks_for_capacity(aws, tmp_path, capsys):
    stack = deploy()
    publish(stack, steady(Hour(cpu=55)))
    aws.scaling.record(stack, scaling_at(period_starts(HOURS), hours=(9, 13)))  # twice a day, 6 in 3 days
    report = advise(capsys, "--outputs", stack.outputs_file(tmp_path))
    rec = report["recommendation"]
    # Scale out: one instance more would pass heavy's 4, so the guide's fewer-and-beefier.
    assert (rec["action"], rec["settings"]) == ("scale up", {"instanceType": "c6a.2xlarge"})
    r = rules(report)["scaling-frequent"]
    assert (r["measured"], r["verdict"]) == (2.0, "FIRES")
    assert any(line.startswith("ECS service auto-scaling is frequently triggered") for line in rec["reasoning"])
    assert any("beyond the guide's 2-4 instances" in line for line in rec["reasoning"])


def test_scaling_out_for_bursts_is_the_headroom_at_work(aws, tmp_path, capsys):
    stack = deploy()
    burst = Hour(requests=200_000, response_s=1.5, slow_s=12, cpu=70, running=16)
    publish(stack, [(ts, burst if ts.hour in (9, 13) else Hour(cpu=55)) for ts in period_starts(HOURS)])
    aws.scaling.record(stack, scaling_at(period_starts(HOURS), hours=(9, 13)))
    report = advise(capsys, "--outputs", stack.outputs_file(tmp_path))
    r = rules(report)["scaling-frequent"]
    assert (r["measured"], r["verdict"]) == (0, "no")
    assert "6 more with bursts" in r["detail"]
    assert report["recommendation"]["action"] == "stay"


# -- finding the stack ---------------------------------------------------------------------------


def test_resources_by_tags_match_the_outputs(aws, tmp_path, capsys):
    deploy(stack="light", suffix="-other")  # another stack in the same account
    stack = deploy()
    publish(stack, steady(Hour()))
    by_tags = advise(capsys, "--by-tags")["resources"]
    by_outputs = advise(capsys, "--outputs", stack.outputs_file(tmp_path))["resources"]
    assert by_tags["foundBy"] == "tags"
    assert {k: v for k, v in by_tags.items() if k != "foundBy"} == {
        k: v for k, v in by_outputs.items() if k != "foundBy"
    }
    assert by_tags["loadBalancerArn"] == stack.lb_arn and by_tags["targetGroupArn"] == stack.tg_arn


def test_arn_outputs_are_used_when_present(aws, tmp_path, capsys):
    stack = deploy()
    publish(stack, steady(Hour(cpu=88)))
    # A DNS name that matches nothing: only loadBalancerArn can find the load balancer.
    path = stack.outputs_file(
        tmp_path,
        albDnsName="elsewhere.example.com",
        loadBalancerArn=stack.lb_arn,
        serviceArn=stack.service_arn,
        targetGroupArn=stack.tg_arn,
    )
    report = advise(capsys, "--outputs", path)
    # The ALB's series are found under that load balancer's dimension: 72 hours x 3000 requests.
    assert report["facts"]["requests"] == HOURS * 3000
    assert rules(report)["cpu-sustained"]["measured"] == 88


def test_the_pulumi_cli_is_asked_when_no_file_is_given(aws, tmp_path, capsys, monkeypatch):
    stack = deploy()
    publish(stack, steady(Hour()))
    fake = tmp_path / "bin" / "pulumi"
    fake.parent.mkdir()
    (tmp_path / "out.json").write_text(json.dumps(stack.outputs()))
    fake.write_text(
        f"#!/bin/sh\n[ \"$*\" = 'stack output --json --stack heavy' ] || exit 9\ncat {tmp_path / 'out.json'}\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    assert advise(capsys)["resources"]["foundBy"] == "pulumi CLI"


# -- one line and a non-zero exit ------------------------------------------------------------------


def fails(capsys, *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main([*ARGS, *args])
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return exc.value.code, err


def test_a_stack_with_no_outputs(aws, tmp_path, capsys):
    empty = tmp_path / "outputs.json"
    empty.write_text("{}")
    code, err = fails(capsys, "--outputs", str(empty))
    assert code == 2 and "stack heavy has no outputs" in err and "pulumi up" in err


def test_the_wrong_region(aws, tmp_path, capsys):
    stack = deploy()
    code, err = fails(capsys, "--outputs", stack.outputs_file(tmp_path), "--region", "eu-west-1")
    assert code == 3 and "not found in eu-west-1" in err and "another region" in err


def test_not_a_region(aws, tmp_path, capsys):
    code, err = fails(capsys, "--by-tags", "--region", "us-east-9")
    assert code == 2 and "'us-east-9' is not an AWS region" in err


def test_no_outputs_key_the_advisor_needs(aws, tmp_path, capsys):
    stack = deploy()
    path = tmp_path / "partial.json"
    path.write_text(json.dumps({k: v for k, v in stack.outputs().items() if k != "efsId"}))
    code, err = fails(capsys, "--outputs", str(path))
    assert code == 2 and "lack efsId" in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--days", "1"], "--days 1: allowed 2 to 15 with 60 s periods"),
        (["--period", "120"], "--period 120: allowed 60, 300 or 3600"),
    ],
)
def test_bad_arguments(capsys, args, message):
    with pytest.raises(SystemExit) as exc:
        main(["--stack", "heavy", "--period", "60", *args])
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_unknown_stack(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--stack", "nosuch", "--by-tags"])
    assert exc.value.code == 2 and "unknown stack 'nosuch'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra_env, message",
    [
        ({}, "error: no AWS credentials found"),
        ({"AWS_PROFILE": "nosuch"}, "error: AWS configuration: The config profile (nosuch) could not be found"),
    ],
)
def test_missing_credentials_is_one_line_without_traceback(tmp_path, extra_env, message):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
        **extra_env,
    )
    done = subprocess.run(
        [sys.executable, "-m", "commands.advise", "--stack", "heavy", "--by-tags"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3
    assert done.stderr.startswith(message) and len(done.stderr.splitlines()) == 1, done.stderr


def test_moto_alone_cannot_answer_percentiles(monkeypatch, tmp_path):
    """Pins the moto limit the fixture works around; if this fails, moto computes
    percentiles itself and moto_percentiles can go."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with mock_aws():
        stack = deploy()
        publish(stack, steady(Hour(slow_s=6), hours=3))
        cw = boto3.client("cloudwatch", region_name=REGION)
        start = period_starts(3)[0]
        metric = {
            "Namespace": "AWS/ApplicationELB",
            "MetricName": "TargetResponseTime",
            "Dimensions": [{"Name": "LoadBalancer", "Value": stack.lb_dim}],
        }
        with pytest.raises(TypeError):
            cw.get_metric_data(
                MetricDataQueries=[{"Id": "p", "MetricStat": {"Metric": metric, "Period": PERIOD, "Stat": "p95"}}],
                StartTime=start,
                EndTime=start + timedelta(hours=3),
            )
        points = cw.get_metric_statistics(
            **metric, StartTime=start, EndTime=start + timedelta(hours=3), Period=PERIOD, ExtendedStatistics=["p95"]
        )["Datapoints"]
        assert points and all("ExtendedStatistics" not in p for p in points)


def test_moto_alone_answers_a_percentile_with_an_html_500(aws_without_percentiles, tmp_path):
    """The same limit over HTTP: what the advisor meets when the server is not taught."""
    stack = deploy()
    publish(stack, steady(Hour(slow_s=6), hours=3))
    start = period_starts(3)[0]
    metric = {
        "Namespace": "AWS/ApplicationELB",
        "MetricName": "TargetResponseTime",
        "Dimensions": [{"Name": "LoadBalancer", "Value": stack.lb_dim}],
    }
    with pytest.raises(ClientError) as caught:
        boto3.client("cloudwatch", region_name=REGION).get_metric_data(
            MetricDataQueries=[{"Id": "p", "MetricStat": {"Metric": metric, "Period": PERIOD, "Stat": "p95"}}],
            StartTime=start,
            EndTime=start + timedelta(hours=3),
        )
    error = caught.value.response["Error"]
    assert error["Code"] == "500" and "<title>500 Internal Server Error</title>" in error["Message"]


def test_moto_alone_cannot_describe_scaling_activities(server, monkeypatch, tmp_path):
    """Pins the moto limit moto_scaling_activities works around; if this fails, moto answers
    DescribeScalingActivities itself and the teaching can go."""
    reset(server)
    _point_at(server, monkeypatch, tmp_path)
    deploy()
    with pytest.raises(ClientError) as caught:
        boto3.client("application-autoscaling", region_name=REGION).describe_scaling_activities(ServiceNamespace="ecs")
    assert caught.value.response["Error"]["Code"] == "500"


def test_text_output_shows_each_rule_the_recommendation_command_and_cost(aws, tmp_path, capsys):
    stack = deploy()
    publish(stack, steady(Hour(cpu=88)))
    assert main([*ARGS, "--outputs", stack.outputs_file(tmp_path)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    cpu_row = next(line for line in lines if "CPU utilization > 80% sustained" in line)
    assert cpu_row.split()[-1] == "FIRES" and "88.00 %" in cpu_row
    memory_row = next(line for line in lines if "consistent memory pressure" in line)
    assert memory_row.split()[-1] == "no"
    assert (
        sum(1 for line in lines if line.startswith(("scale up ", "scale out ", "EFS throughput ", "downgrade "))) == 13
    ), "every rule gets a row: the guide's 4 scale-up, 2 scale-out, 2 EFS, 3 downgrade, and 2 for the bursts"
    assert "recommendation: scale up to c6a.2xlarge" in out
    assert '  preview it: make migrate STACK=heavy SET="instanceType=c6a.2xlarge"' in lines
    # The README's heavy ($245.58 for EC2, ALB, EFS, plus $37.40 for one NAT gateway, its IPv4
    # address and 20 GB); c6a.2xlarge costs 2 x ($0.306 - $0.153) x 730 = $223.38 more.
    assert "monthly cost: $282.98 -> $506.36 (+223.38 USD)" in out


@pytest.mark.parametrize(
    "series",
    [
        pytest.param(
            lambda: quiet_with_daily_bursts(period_starts(HOURS), burst_cpu=97), id="downgrade refused for bursts"
        ),
        pytest.param(lambda: steady(Hour(requests=500, cpu=12, memory=30, **NO_P95)), id="stay with a rule not judged"),
        pytest.param(lambda: steady(Hour(requests=500, cpu=12, memory=30)), id="downgrade"),
    ],
)
def test_the_text_report_and_json_say_the_same(aws, tmp_path, capsys, series):
    stack = deploy()
    publish(stack, series())
    outputs = stack.outputs_file(tmp_path)
    report = advise(capsys, "--outputs", outputs)
    assert main([*ARGS, "--outputs", outputs]) == 0
    lines = capsys.readouterr().out.splitlines()
    rec = report["recommendation"]
    target = f" to {rec['settings']['instanceType']}" if "instanceType" in rec["settings"] else ""
    unjudged = len(rec["couldNotJudge"])
    caveat = f" ({unjudged} rule could not be judged, see below)" if unjudged else ""
    assert f"recommendation: {rec['action']}{target}{caveat}" in lines
    assert [line[4:] for line in lines if line.startswith("  - ")] == rec["reasoning"]
    for rule in report["rules"]:
        at = next(i for i, line in enumerate(lines) if rule["guide"] in line)
        assert lines[at].endswith(rule["verdict"]), (lines[at], rule["verdict"])
        said = f"could not judge: {rule['couldNotJudge']}" if rule["couldNotJudge"] else rule["detail"]
        assert lines[at + 1].strip() == said
    assert (f"  preview it: {rec['command']}" in lines) is (rec["command"] is not None)


def documented_examples() -> list[tuple[str, list[str]]]:
    """(scenario, excerpt lines) for each report excerpt in docs/advisor.md: a plain code block
    right after a paragraph naming its scenario as (`name`..."""
    found: list[tuple[str, list[str]]] = []
    prose: list[str] = []
    block: list[str] | None = None
    language = ""
    for line in (ROOT / "docs" / "advisor.md").read_text().splitlines():
        if line.startswith("```") and block is None:
            block, language = [], line[3:]
        elif line.startswith("```"):
            named = re.findall(r"\(`([a-z0-9-]+)`", " ".join(prose))
            if named and not language:
                found.append((named[-1], block))
            block, prose = None, []
        elif block is not None:
            block.append(line)
        else:
            prose.append(line)
    return found


@pytest.mark.parametrize("name, excerpt", documented_examples(), ids=lambda x: x if isinstance(x, str) else "")
def test_the_documented_examples_are_what_the_advisor_prints(aws, tmp_path, capsys, name, excerpt):
    scenario = SCENARIOS[name]
    stack = deploy(stack=scenario.stack, **scenario.deploy)
    hours = period_starts(HOURS)
    publish(stack, scenario.series(hours))
    aws.scaling.record(stack, scenario.activities(hours))
    outputs = stack.outputs_file(tmp_path, capacity={"instanceType": PROFILE_DEFAULTS[scenario.stack]["instanceType"]})
    assert main([*ARGS, "--stack", scenario.stack, "--outputs", outputs]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert [line for line in excerpt if line and line not in printed] == []


def test_a_stack_file_ahead_of_the_deployment_is_said(aws, tmp_path, capsys):
    """The outputs' capacity names the deployed type; Pulumi.heavy.yaml's profile gives c6a.xlarge."""
    stack = deploy()
    publish(stack, steady(Hour()))
    path = stack.outputs_file(tmp_path, capacity={"instanceType": "c6a.2xlarge"})
    notes = advise(capsys, "--outputs", path)["notes"]
    assert len(notes) == 1 and "sets instanceType c6a.xlarge but the deployed stack runs c6a.2xlarge" in notes[0]
    assert advise(capsys, "--outputs", stack.outputs_file(tmp_path))["notes"] == []


# -- an endpoint that goes wrong: one line each, and only the rules that needed it pay ---------------


def through_proxy(aws: Endpoint, tmp_path, breaks: str, answer: Answer, *args: str):
    """The advisor, as its own process, through a proxy that answers `breaks` with `answer`."""
    stack = deploy()
    publish(stack, steady(Hour()))
    with broken_proxy(aws.url, lambda op, body: op == breaks, answer) as (url, broken):
        done = advise_command("--outputs", stack.outputs_file(tmp_path), *args, env={"AWS_ENDPOINT_URL": url})
    assert broken, f"the advisor never called {breaks}"
    return done


def one_line_error(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 3, (done.returncode, done.stdout, done.stderr)
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("error: "), done.stderr
    assert "Traceback" not in done.stderr and "<" not in done.stderr
    return done.stderr.strip()


@pytest.mark.parametrize(
    "operation, page",
    [
        ("DescribeServices", BAD_GATEWAY),  # JSON protocol: botocore keeps the page as the message
        ("DescribeLoadBalancers", BAD_GATEWAY_DOCTYPE),  # XML protocol: botocore cannot parse it at all
    ],
)
def test_an_html_error_page_is_named_in_one_line(aws, tmp_path, operation, page):
    err = one_line_error(through_proxy(aws, tmp_path, operation, page))
    assert "Bad Gateway" in err and "not an AWS answer: is a proxy or AWS_ENDPOINT_URL in the way?" in err


@pytest.mark.parametrize(
    "operation, answer",
    [
        # XML in front of a JSON service: botocore sees only "403" and the document.
        (
            "DescribeServices",
            aws_xml_error("InvalidClientTokenId", "The security token included in the request is invalid."),
        ),
        ("DescribeServices", aws_xml_error("ExpiredToken", "The security token included in the request is expired")),
        (
            "DescribeLoadBalancers",
            aws_xml_error(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            ),
        ),
        (
            "DescribeServices",
            aws_json_error("UnrecognizedClientException", "The security token included in the request is invalid."),
        ),
    ],
)
def test_refused_credentials_are_recognised_in_any_shape(aws, tmp_path, operation, answer):
    err = one_line_error(through_proxy(aws, tmp_path, operation, answer))
    code = re.search(rb"<Code>(\w+)</Code>|\"__type\":\"(\w+)\"", answer.body)
    assert code
    named = (code.group(1) or code.group(2)).decode()
    assert err.startswith(f"error: AWS refused the credentials ({named} on {operation}: ")
    assert err.endswith("refresh them or pick another AWS_PROFILE")


def test_cloudwatch_refusing_every_query_is_the_answer(aws, tmp_path):
    denied = aws_xml_error(
        "AccessDenied",
        "User: arn:aws:iam::123456789012:user/advisor is not authorized to perform: cloudwatch:GetMetricData",
    )
    err = one_line_error(through_proxy(aws, tmp_path, "GetMetricData", denied))
    assert err.startswith("error: access denied for GetMetricData in us-east-1")


def test_a_missing_scaling_permission_costs_one_rule(aws, tmp_path):
    """DescribeScalingActivities is the advisor's newest read permission: a policy that lacks
    it must still get advice."""
    denied = aws_json_error(
        "AccessDeniedException",
        "User: arn:aws:iam::123456789012:user/advisor is not authorized to perform: "
        "application-autoscaling:DescribeScalingActivities",
    )
    done = through_proxy(aws, tmp_path, "DescribeScalingActivities", denied, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [(c["rule"], c["reason"][:52]) for c in report["recommendation"]["couldNotJudge"]] == [
        ("scaling-frequent", "access denied for DescribeScalingActivities in us-ea")
    ]
    assert rules(report)["cpu-sustained"]["verdict"] == "no"


def cloudwatch_answering(*results: dict):
    """A real CloudWatch client whose answers, checked against AWS's model, are `results`."""
    client = boto3.client("cloudwatch", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    for result in results:
        stubber.add_response("get_metric_data", {"MetricDataResults": [{"Id": "q", **result}]})
    stubber.activate()
    return client


QUERIES = [
    Query("cpu_avg", "AWS/ECS", "CPUUtilization", "Average", (("ClusterName", "c"),)),
    Query("response_p95", "AWS/ApplicationELB", "TargetResponseTime", "p95", (("LoadBalancer", "app/a/1"),)),
]


def test_a_result_cloudwatch_marks_failed_costs_only_its_series():
    start = period_starts(2)[0]
    client = cloudwatch_answering(
        {"Timestamps": [start], "Values": [42.0], "StatusCode": "Complete"},
        {"Timestamps": [], "Values": [], "StatusCode": "Forbidden", "Messages": [{"Code": "Forbidden", "Value": "no"}]},
    )
    series, failed = read_series(client, QUERIES, start, start + timedelta(hours=2), PERIOD, REGION)
    assert series["cpu_avg"] == {start: 42.0}
    assert failed == {"response_p95": "AWS/ApplicationELB TargetResponseTime p95: CloudWatch answered Forbidden: no"}


def test_every_series_failing_is_the_answer():
    start = period_starts(2)[0]
    failing = {"Timestamps": [], "Values": [], "StatusCode": "InternalError"}
    with pytest.raises(ResultFailed, match="CloudWatch answered InternalError"):
        read_series(cloudwatch_answering(failing, failing), QUERIES, start, start + timedelta(hours=2), PERIOD, REGION)


def test_scaling_history_is_read_across_pages_down_to_the_window_start(aws):
    """AWS answers 50 activities a page, newest first; the reader stops at the first one before
    the window (it tells the count the window began with)."""
    stack = deploy()
    hours = period_starts(24 * 5)  # 5 days of an hourly scale-out and scale-in: 240 activities
    aws.scaling.record(stack, scaling_at(hours, hours=tuple(range(24))))
    start = hours[-HOURS]
    client = boto3.client("application-autoscaling", region_name=REGION)
    found = scaling_activities(client, f"service/{stack.cluster}/{stack.service}", start)
    in_window = [a for a in found if a.start >= start]
    # 72 scale-outs and 72 scale-ins of the window's hours, and the scale-ins of the two hours before it.
    assert len(in_window) == 2 * HOURS + 2
    assert len(found) == len(in_window) + 1 and found[-1].start < start


@pytest.mark.parametrize(
    "code, expected",
    [
        (
            "UnrecognizedClientException",
            "AWS refused the credentials (UnrecognizedClientException on DescribeServices: nope)",
        ),
        ("AccessDeniedException", "access denied for DescribeServices in us-east-1"),
    ],
)
def test_aws_refusals_name_the_call(code, expected):
    err = ClientError({"Error": {"Code": code, "Message": "nope"}}, "DescribeServices")
    assert describe(err, "us-east-1").startswith(expected)
