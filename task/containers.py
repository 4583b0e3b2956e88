"""ECS container definitions of the task."""

from __future__ import annotations

import json
from collections.abc import Sequence

from task.nginx import nginx_entry_command, shipped_nginx_config
from task.pypiserver_process import (
    FILES_VARIABLE,
    gunicorn_config,
    pypiserver_authenticate,
    pypiserver_entry_command,
    pypiserver_users,
    runtime_environment,
    runtime_files,
    shipped_archive,
)
from task.spec import (
    FRONT_CONTAINER,
    FRONT_CPU_UNITS,
    FRONT_MEMORY_MIB,
    FRONT_MEMORY_RESERVATION_MIB,
    HEALTH_PATH,
    PACKAGES_DIR,
    PACKAGES_VOLUME,
    PYPISERVER_CONTAINER,
    SERVICE_PORT,
    TaskSpec,
    layout_for,
)


def _log_configuration(spec: TaskSpec, container: str) -> dict:
    return {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": spec.log_group,
            "awslogs-region": spec.region,
            "awslogs-stream-prefix": container,
        },
    }


def _user_secrets(spec: TaskSpec, prefix: str, json_key: str, users: Sequence[str]) -> list[dict]:
    # ECS resolves one JSON key of a user's secret, at task start: "arn:aws:secretsmanager:
    # region:aws_account_id:secret:secret-name:json-key:version-stage:version-id" (Amazon ECS
    # developer guide, "Pass Secrets Manager secrets through Amazon ECS environment
    # variables"). Pinned to a version id, so each new version is a new revision.
    by_name = {u.name: u for u in spec.users}
    return [
        {
            "name": spec.user_variable(prefix, name),
            "valueFrom": f"{by_name[name].secret_arn}:{json_key}::{by_name[name].secret_version}",
        }
        for name in users
    ]


def _health_check(command: Sequence[str]) -> dict:
    return {"command": ["CMD", *command], "interval": 30, "timeout": 5, "retries": 3, "startPeriod": 15}


def _pypiserver_environment(spec: TaskSpec) -> list[dict]:
    if spec.front_enabled:
        env = {FILES_VARIABLE: shipped_archive(runtime_files(spec)), **runtime_environment(spec)}
    else:
        env = {"GUNICORN_CONF": gunicorn_config(spec)}
    return [{"name": k, "value": v} for k, v in sorted(env.items())]


def _pypiserver_container(spec: TaskSpec) -> dict:
    layout = layout_for(spec)
    url = f"http://127.0.0.1:{layout.pypiserver_port}{HEALTH_PATH}"
    probe = f"import urllib.request; urllib.request.urlopen('{url}', timeout=4)"
    container: dict = {
        "name": PYPISERVER_CONTAINER,
        "image": spec.pypiserver_image,
        "essential": True,
        "cpu": spec.pypiserver_cpu,
        "memory": spec.pypiserver_memory,
        "memoryReservation": spec.pypiserver_memory_reservation,
        "entryPoint": ["/bin/sh", "-c"],
        "command": [pypiserver_entry_command(spec)],
        "environment": _pypiserver_environment(spec),
        "mountPoints": [{"sourceVolume": PACKAGES_VOLUME, "containerPath": PACKAGES_DIR, "readOnly": False}],
        "healthCheck": _health_check(["python", "-c", probe]),
        "logConfiguration": _log_configuration(spec, PYPISERVER_CONTAINER),
    }
    if pypiserver_authenticate(spec):
        container["secrets"] = _user_secrets(spec, "PYPISERVER_HTPASSWD", "pypiserver_htpasswd", pypiserver_users(spec))
    if not spec.front_enabled:
        container["portMappings"] = [{"containerPort": SERVICE_PORT, "hostPort": 0, "protocol": "tcp"}]
    return container


def _front_container(spec: TaskSpec) -> dict:
    return {
        "name": FRONT_CONTAINER,
        "image": spec.nginx_image,
        "essential": True,
        "cpu": FRONT_CPU_UNITS,
        "memory": FRONT_MEMORY_MIB,
        "memoryReservation": FRONT_MEMORY_RESERVATION_MIB,
        "entryPoint": ["/bin/sh", "-c"],
        "command": [nginx_entry_command(spec)],
        "environment": [{"name": "NGINX_CONF", "value": shipped_nginx_config(spec)}],
        "secrets": _user_secrets(spec, "NGINX_HTPASSWD", "nginx_htpasswd", [u.name for u in spec.users]),
        "portMappings": [{"containerPort": SERVICE_PORT, "hostPort": 0, "protocol": "tcp"}],
        "links": [PYPISERVER_CONTAINER],
        "dependsOn": [{"containerName": PYPISERVER_CONTAINER, "condition": "START"}],
        # Read-only: only pypiserver writes packages and pages.
        "mountPoints": [{"sourceVolume": PACKAGES_VOLUME, "containerPath": PACKAGES_DIR, "readOnly": True}],
        "ulimits": [{"name": "nofile", "softLimit": 65536, "hardLimit": 65536}],
        "healthCheck": _health_check(
            ["wget", "-q", "-O", "/dev/null", f"http://127.0.0.1:{SERVICE_PORT}{HEALTH_PATH}"]
        ),
        "logConfiguration": _log_configuration(spec, FRONT_CONTAINER),
    }


def container_definitions(spec: TaskSpec) -> list[dict]:
    """ECS containerDefinitions (serialize with `container_definitions_json`)."""
    containers = [_pypiserver_container(spec)]
    if spec.front_enabled:
        containers.append(_front_container(spec))
    return containers


def container_definitions_json(spec: TaskSpec) -> str:
    return json.dumps(container_definitions(spec), sort_keys=True)


def load_balanced_container(spec: TaskSpec) -> tuple[str, int]:
    """(container name, container port) the target group forwards to."""
    return (FRONT_CONTAINER if spec.front_enabled else PYPISERVER_CONTAINER, SERVICE_PORT)
