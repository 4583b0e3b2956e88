"""commands/migrate/diff.py: matching by URN, property changes, replacements and knock-on changes."""

from __future__ import annotations

from commands.migrate.diff import UNKNOWN, diff_resources, diff_values
from tests.support.migrate_fixtures import (
    ASG,
    EFS,
    LAUNCH_TEMPLATE,
    LOG_GROUP,
    MOUNT_TARGET,
    SERVICE,
    TASK_DEFINITION,
    happy_stack,
    renamed,
    urn,
    with_inputs,
)


def actions(diff) -> dict[str, str]:
    return {c.name: c.action for c in diff.changes if c.action != "same"}


def test_identical_sides_change_nothing():
    diff = diff_resources(happy_stack(), happy_stack())
    assert actions(diff) == {}, "the same rendering twice must show no change"


def test_instance_type_updates_the_template_and_refreshes_the_asg_through_latest_version():
    diff = diff_resources(happy_stack(), happy_stack(instance_type="c6a.2xlarge"))
    assert actions(diff) == {"pypiserver-lt": "update", "pypiserver-asg": "update"}, (
        "only the launch template (new version) and the ASG (reads latestVersion) change"
    )
    version = next(p for p in diff.find(ASG)[0].properties if p.path == "launchTemplate.version")
    assert version.new is UNKNOWN and version.cause == urn(LAUNCH_TEMPLATE, "pypiserver-lt"), (
        "the ASG's version becomes known after apply because the template gets a new version"
    )


def test_asg_pinned_to_latest_is_not_touched_by_a_template_change():
    before = happy_stack(asg_version="$Latest")
    diff = diff_resources(before, happy_stack(instance_type="c6a.2xlarge", asg_version="$Latest"))
    assert actions(diff) == {"pypiserver-lt": "update"}, "'$Latest' does not read latestVersion: no ASG update"


def test_container_change_replaces_the_task_definition_and_updates_the_service():
    bigger = '[{"name": "pypiserver", "cpu": 1112, "memory": 896}]'
    diff = diff_resources(happy_stack(), happy_stack(containers=bigger))
    assert actions(diff) == {"pypiserver-task": "replace", "pypiserver-service": "update"}
    td = diff.find(TASK_DEFINITION)[0]
    assert set(td.replacing_paths) == {"containerDefinitions[0].cpu", "containerDefinitions[0].memory"}, (
        "the JSON string is compared by content, path by path"
    )
    service_paths = [p.path for p in diff.find(SERVICE)[0].properties]
    assert service_paths == ["taskDefinition"], "the service only picks up the new revision"


def test_efs_performance_mode_replaces_the_file_system_and_its_mount_targets():
    diff = diff_resources(happy_stack(), with_inputs(happy_stack(), EFS, performanceMode="maxIO"))
    assert diff.find(EFS)[0].replacing_paths == ("performanceMode",)
    assert diff.find(MOUNT_TARGET)[0].action == "replace", (
        "a mount target's fileSystemId forces replacement once the file system is new"
    )


def test_throughput_mode_updates_the_file_system_in_place():
    diff = diff_resources(happy_stack(), with_inputs(happy_stack(), EFS, throughputMode="provisioned"))
    assert actions(diff) == {"pypiserver-efs": "update"}, "throughputMode is not ForceNew"


def test_ignored_changes_are_dropped():
    diff = diff_resources(happy_stack(), with_inputs(happy_stack(), SERVICE, desiredCount=24.0))
    assert actions(diff) == {}, "desiredCount is in the service's ignoreChanges"


def test_a_rename_is_a_delete_and_a_create():
    diff = diff_resources(happy_stack(), renamed(happy_stack(), LOG_GROUP, "pypiserver-logs-v2"))
    assert actions(diff) == {"pypiserver-logs": "delete", "pypiserver-logs-v2": "create"}


def test_number_types_and_secret_wrappers_do_not_count_as_changes():
    secret = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "s3cret"}
    assert diff_values("", {"n": 2, "s": "s3cret"}, {"n": 2.0, "s": secret}) == [], (
        "2 == 2.0 and a secret-wrapped value equals its plain value"
    )


def test_nested_paths_name_the_leaf():
    changes = diff_values("", {"a": {"b": [1, {"c": "x"}]}}, {"a": {"b": [1, {"c": "y"}]}})
    assert changes == [("a.b[1].c", "x", "y")]
