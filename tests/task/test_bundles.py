"""task/bundles.py: the users' lines travel to the task in a few secrets, so the task
definition keeps its size whatever the number of users, and each secret fits Secrets Manager."""

from __future__ import annotations

import string
from dataclasses import replace

import botocore.session
import pytest

from task import bundles
from task.containers import bundle_members, container_definitions_json
from task.credentials import user_document
from task.spec import SecretRef, TaskUser
from tests.task.test_rendering import spec

# What ECS accepts: "Task definition size: 64 KiB" (Amazon ECS service quotas); we keep a
# quarter of it free for what other settings add.
TASK_DEFINITION_LIMIT = 64 * 1024
MARGIN = 0.75


def users(count: int, name_length: int = 12) -> tuple[TaskUser, ...]:
    """Users as a large organization has them: every third one publishes."""
    return tuple(
        TaskUser(f"u{i:0{name_length - 1}d}", ("download", "list", "update") if i % 3 == 0 else ("download", "list"))
        for i in range(count)
    )


def with_bundles(count: int, **more):
    s = spec(users=users(count), **more)
    refs = tuple(
        SecretRef(
            f"arn:aws:secretsmanager:us-east-1:123456789012:secret:pypiserver-task-credentials-{k}-AbCdEf",
            "5fd642e0-44ed-d79e-1c62-960f310fd30b",
        )
        for k in range(len(bundles.chunks(s)))
    )
    return replace(s, bundles=refs)


def test_the_secret_value_limit_is_secrets_managers():
    model = botocore.session.get_session().get_service_model("secretsmanager")
    shape = model.operation_model("CreateSecret").input_shape.members["SecretString"]
    assert shape.metadata["max"] == bundles.MAX_SECRET_STRING_BYTES


def test_a_full_bundle_of_the_longest_names_mid_rotation_fits_one_secret():
    longest = [f"{c * 63}{i % 10}" for i, c in zip(range(bundles.USERS_PER_BUNDLE), string.ascii_letters * 2)]
    s = spec(users=tuple(TaskUser(n, ("download", "list", "update")) for n in longest))
    password = "Zq3xT9mR2vL8kP4wN6yB1cH5Zq3xT9mR"
    # Two valid tokens each, of the highest generation a user may have (login names grow with it).
    documents = {n: user_document(n, [(9999, password), (10000, password[::-1])]) for n in longest}
    (chunk,) = bundles.chunks(s)
    value = bundles.document(chunk, bundle_members(s), documents)
    print(f"\nworst-case bundle of {len(chunk)} users: {len(value.encode())} bytes")
    assert len(value.encode()) <= bundles.MAX_SECRET_STRING_BYTES


def test_users_are_split_into_bundles_in_order_and_a_new_user_changes_the_last_only():
    s = spec(users=users(120))
    assert [len(c) for c in bundles.chunks(s)] == [50, 50, 20]
    grown = spec(users=users(121))
    assert bundles.chunks(grown)[:2] == bundles.chunks(s)[:2]


@pytest.mark.parametrize("front", [True, False])
def test_the_task_definition_keeps_its_size_whatever_the_number_of_users(front):
    sizes = {n: len(container_definitions_json(with_bundles(n, front_enabled=front)).encode()) for n in (2, 100, 500)}
    print(f"\nfront={front}: container definitions by users: {sizes}")
    assert sizes[bundles.MAX_USERS] < MARGIN * TASK_DEFINITION_LIMIT
    per_user = (sizes[500] - sizes[100]) / 400
    # Two references (one per container) per 50 users: about 6 bytes a user.
    assert per_user < 12, f"{per_user:.0f} bytes per user: the task definition must not grow with each user"


def test_a_bundle_holds_hashes_and_names_never_a_password():
    s = spec()
    password = "Zq3xT9mR2vL8kP4wN6yB1cH5Zq3xT9mR"
    documents = {u.name: user_document(u.name, [(0, password)]) for u in s.users}
    value = bundles.document(bundles.chunks(s)[0], bundle_members(s), documents)
    assert password not in value
    keys = [line.split(" ", 1)[0] for line in value.splitlines()]
    assert set(keys) == {"nginx_download", "nginx_list", "nginx_update", "pypiserver", "publishers"}
    assert [line for line in value.splitlines() if line.startswith("publishers ")] == ["publishers release"]
    assert all(len(line.split(" ")) == 2 for line in value.splitlines()), "a key, then one value without spaces"
