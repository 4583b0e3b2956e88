"""commands/migrate/safety.py: replacing or deleting a stateful resource is data at risk."""

from __future__ import annotations

import pytest

from commands.migrate.diff import diff_resources
from commands.migrate.safety import NO_DATA_AT_RISK, assess
from tests.support.migrate_fixtures import EFS, LOG_GROUP, happy_stack, renamed, resource, with_inputs


def test_a_stateless_replacement_is_not_a_risk():
    bigger = '[{"name": "pypiserver", "cpu": 1112}]'
    verdict = assess(diff_resources(happy_stack(), happy_stack(containers=bigger)))
    assert not verdict.at_risk and verdict.summary == NO_DATA_AT_RISK, "a new task definition revision holds no data"


def test_replacing_the_file_system_is_a_risk_and_names_the_property():
    verdict = assess(diff_resources(happy_stack(), with_inputs(happy_stack(), EFS, encrypted=False)))
    efs = [r for r in verdict.risks if r.type == EFS]
    assert verdict.at_risk and len(efs) == 1
    assert efs[0].action == "replace" and efs[0].because_of == ("encrypted",)
    assert efs[0].protected, "the rendered file system is protected: the report says pulumi up would stop"


def test_the_mount_targets_that_follow_a_new_file_system_are_risks_too():
    verdict = assess(diff_resources(happy_stack(), with_inputs(happy_stack(), EFS, performanceMode="maxIO")))
    assert {r.name for r in verdict.risks} == {"pypiserver-efs", "pypiserver-efs-mt-subnet-a"}


def test_renaming_the_file_system_deletes_it():
    verdict = assess(diff_resources(happy_stack(), renamed(happy_stack(), EFS, "packages")))
    assert [(r.name, r.action) for r in verdict.risks] == [
        ("pypiserver-efs", "delete"),
        ("pypiserver-efs-mt-subnet-a", "replace"),
    ], "the old file system is deleted; its mount target must follow the new one"


def test_deleting_the_log_group_is_a_risk():
    stack = happy_stack()
    verdict = assess(diff_resources(stack, [r for r in stack if r.type != LOG_GROUP]))
    assert [(r.name, r.action) for r in verdict.risks] == [("pypiserver-logs", "delete")]


def test_moving_region_is_a_risk_even_when_inputs_match():
    verdict = assess(diff_resources(happy_stack(), happy_stack()), "us-east-1", "eu-west-1")
    assert verdict.at_risk and verdict.risks[0].action == "move region"


# What holds data or access to it (README, "Data safety"): losing any of them is data at risk.
STATEFUL = [
    ("aws:efs/fileSystem:FileSystem", "packages"),
    ("aws:efs/mountTarget:MountTarget", "mount"),
    ("aws:efs/accessPoint:AccessPoint", "access"),
    ("aws:backup/vault:Vault", "vault"),
    ("aws:secretsmanager/secret:Secret", "credentials"),
    ("random:index/randomPassword:RandomPassword", "password"),
    ("aws:cloudwatch/logGroup:LogGroup", "logs"),
]


@pytest.mark.parametrize("type_, name", STATEFUL, ids=[t.split(":")[-1] for t, _ in STATEFUL])
def test_deleting_each_stateful_resource_is_a_risk(type_, name):
    verdict = assess(diff_resources([resource(type_, name, {"a": 1})], []))
    assert [(r.type, r.name, r.action) for r in verdict.risks] == [(type_, name, "delete")]


def test_an_unprotected_risk_says_nothing_about_protection():
    risk = assess(diff_resources([resource("aws:backup/vault:Vault", "vault", {"a": 1})], [])).risks[0]
    assert risk.protected is False
    assert risk.describe() == "delete Vault vault: holds the EFS recovery points"


def test_moving_region_is_described_with_both_regions():
    risk = assess(diff_resources(happy_stack(), happy_stack()), "us-east-1", "eu-west-1").risks[0]
    assert risk.protected is False, "no resource option stops a region move: the report must not say it does"
    assert risk.describe() == (
        "move region us-east-1 -> eu-west-1: every resource, the EFS file system included, is recreated empty "
        "in the new region"
    )


@pytest.mark.parametrize("before, after", [("us-east-1", "us-east-1"), (None, "eu-west-1"), ("us-east-1", None)])
def test_the_same_or_an_unknown_region_is_no_move(before, after):
    assert assess(diff_resources(happy_stack(), happy_stack()), before, after).risks == ()
