"""ECS container definitions of the task."""

from __future__ import annotations

import json
from collections.abc import Sequence

from task import bundles
from task.nginx import htpasswd_files, nginx_entry_command, shipped_nginx_config
from task.oidc_process import oidc_entry_command, oidc_environment, signing_key_secret
from task.pypiserver_process import (
    FILES_VARIABLE,
    gunicorn_config,
    limited_publishers,
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
    OIDC_CONTAINER,
    OIDC_CPU_UNITS,
    OIDC_MEMORY_RESERVATION_MIB,
    OIDC_PORT,
    PACKAGES_DIR,
    PACKAGES_VOLUME,
    PYPISERVER_CONTAINER,
    SERVICE_PORT,
    SITE_PATH,
    SITE_VOLUME,
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


def bundle_members(spec: TaskSpec) -> dict[str, tuple[str, ...]]:
    """What each key of the task's credential bundles holds (task/bundles.py): the users of
    each nginx htpasswd file, pypiserver's users, and the publishers (front on)."""
    members = {bundles.NGINX_KEYS[action]: names for action, names in htpasswd_files(spec).items()}
    if pypiserver_authenticate(spec):
        members[bundles.PYPISERVER_KEY] = pypiserver_users(spec)
    if spec.front_enabled:
        members[bundles.PUBLISHERS_KEY] = spec.publishers
        members[bundles.PROJECTS_KEY] = tuple(limited_publishers(spec))
    return members


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
        "mountPoints": [{"sourceVolume": PACKAGES_VOLUME, "containerPath": PACKAGES_DIR, "readOnly": False}]
        + (
            [{"sourceVolume": SITE_VOLUME, "containerPath": SITE_PATH, "readOnly": False}]
            if spec.trusted_publishing
            else []
        ),
        "healthCheck": _health_check(["python", "-c", probe]),
        "logConfiguration": _log_configuration(spec, PYPISERVER_CONTAINER),
    }
    # Its htpasswd file and the publishers come from the bundles (every one, once each).
    refs = bundles.references(spec) if pypiserver_authenticate(spec) or spec.front_enabled else []
    if spec.trusted_publishing is not None:
        refs.append(signing_key_secret(spec.trusted_publishing))
    if refs:
        container["secrets"] = refs
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
        "secrets": bundles.references(spec),
        "portMappings": [{"containerPort": SERVICE_PORT, "hostPort": 0, "protocol": "tcp"}],
        "links": [PYPISERVER_CONTAINER, *([OIDC_CONTAINER] if spec.trusted_publishing else [])],
        "dependsOn": [{"containerName": PYPISERVER_CONTAINER, "condition": "START"}],
        # Read-only: only pypiserver writes packages and pages.
        "mountPoints": [{"sourceVolume": PACKAGES_VOLUME, "containerPath": PACKAGES_DIR, "readOnly": True}],
        "ulimits": [{"name": "nofile", "softLimit": 65536, "hardLimit": 65536}],
        "healthCheck": _health_check(
            ["wget", "-q", "-O", "/dev/null", f"http://127.0.0.1:{SERVICE_PORT}{HEALTH_PATH}"]
        ),
        "logConfiguration": _log_configuration(spec, FRONT_CONTAINER),
    }


def _oidc_container(spec: TaskSpec) -> dict:
    """The exchange: not essential (the index serves without it), its share of the task's
    CPU and memory taken from pypiserver's (mints are rare and light)."""
    assert spec.trusted_publishing is not None
    env = oidc_environment(spec, layout_for(spec))
    probe = f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{OIDC_PORT}{HEALTH_PATH}', timeout=4)"
    return {
        "name": OIDC_CONTAINER,
        "image": spec.pypiserver_image,
        "essential": False,
        "cpu": OIDC_CPU_UNITS,
        "memoryReservation": OIDC_MEMORY_RESERVATION_MIB,
        "entryPoint": ["/bin/sh", "-c"],
        "command": [oidc_entry_command()],
        "environment": [{"name": k, "value": v} for k, v in sorted(env.items())],
        "secrets": [signing_key_secret(spec.trusted_publishing)],
        # Read-write: the identity tokens it has used and revoked upload tokens (.index/).
        "mountPoints": [
            {"sourceVolume": PACKAGES_VOLUME, "containerPath": PACKAGES_DIR, "readOnly": False},
            {"sourceVolume": SITE_VOLUME, "containerPath": SITE_PATH, "readOnly": True},
        ],
        # Healthy: the index has unpacked the modules into the site volume.
        "dependsOn": [{"containerName": PYPISERVER_CONTAINER, "condition": "HEALTHY"}],
        "healthCheck": {**_health_check(["python", "-c", probe]), "startPeriod": 60},
        "logConfiguration": _log_configuration(spec, OIDC_CONTAINER),
    }


def task_volumes(spec: TaskSpec) -> list[dict]:
    """Volumes besides the packages' (EFS, the component's): the site folder the exchange
    shares with the index (no host path: Docker-managed, task-scoped)."""
    return [{"name": SITE_VOLUME}] if spec.trusted_publishing is not None else []


def container_definitions(spec: TaskSpec) -> list[dict]:
    """ECS containerDefinitions (serialize with `container_definitions_json`)."""
    containers = [_pypiserver_container(spec)]
    if spec.trusted_publishing is not None:
        containers.append(_oidc_container(spec))
    if spec.front_enabled:
        containers.append(_front_container(spec))
    return containers


def container_definitions_json(spec: TaskSpec) -> str:
    return json.dumps(container_definitions(spec), sort_keys=True)


def load_balanced_container(spec: TaskSpec) -> tuple[str, int]:
    """(container name, container port) the target group forwards to."""
    return (FRONT_CONTAINER if spec.front_enabled else PYPISERVER_CONTAINER, SERVICE_PORT)
