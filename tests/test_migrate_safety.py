"""offline/migrate/safety.py: replacing or deleting a stateful resource is data at risk."""

from __future__ import annotations

from migrate_fixtures import EFS, LOG_GROUP, happy_stack, renamed, with_inputs

from offline.migrate.diff import diff_resources
from offline.migrate.safety import NO_DATA_AT_RISK, assess


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
