"""Keep-alive and draining: the rendered settings of every layer (load balancer, target group,
instance agent, containers, nginx, gunicorn) checked against each other, each relation on the
AWS documentation sentence it rests on (task/timing.py quotes them). Values are read back
from what the offline engine renders, never from the constants that produced them."""

from __future__ import annotations

import base64
import os
import re

import pytest

from tests.support.stacks import containers, render, shipped_files

# nginx's defaults for the waits of one request it does not set (nginx docs: 60s each).
NGINX_DEFAULT_WAITS = {"client_header_timeout": 60, "client_body_timeout": 60, "send_timeout": 60}
# Waits of one request: between two reads or writes, or for the upstream's answer.
REQUEST_WAITS = (*NGINX_DEFAULT_WAITS, "proxy_read_timeout", "proxy_send_timeout", "proxy_connect_timeout")


def seconds(conf: str, directive: str) -> list[int]:
    return [int(v) for v in re.findall(rf"^\s*{directive}\s+(\d+)s;", conf, re.MULTILINE)]


class Rendered:
    """One stack's rendered timing settings."""

    def __init__(self, stack: str, **overrides: object) -> None:
        preview = render(stack, **overrides)
        self.front = preview.config.front_enabled
        self.idle = preview.one("aws:lb/loadBalancer:LoadBalancer").inputs["idleTimeout"]
        self.deregistration = preview.one("aws:lb/targetGroup:TargetGroup").inputs["deregistrationDelay"]
        user_data = base64.b64decode(preview.one("aws:ec2/launchTemplate:LaunchTemplate").inputs["userData"]).decode()
        self.agent = dict(re.findall(r"^(ECS_[A-Z_]+)=(.*)$", user_data, re.MULTILINE))
        self.containers = {c["name"]: c for c in containers(preview)}
        env = {e["name"]: e["value"] for c in self.containers.values() for e in c.get("environment", [])}
        self.nginx = env.get("NGINX_CONF", "")
        self.gunicorn = gunicorn_settings(self.containers["pypiserver"], env)

    def nginx_wait(self, directive: str) -> int:
        found = seconds(self.nginx, directive)
        return max(found) if found else NGINX_DEFAULT_WAITS[directive]

    @property
    def longest_upload(self) -> int:
        """How long one upload may take at most, as rendered: the front's wait on pypiserver
        and gunicorn's per-request timeout (the worker publishing it)."""
        front = max(seconds(self.nginx, "proxy_read_timeout"), default=0)
        return max(front, int(self.gunicorn["timeout"]))

    def stop_timeout(self, container: str) -> int:
        """What ECS waits between a container's stop signal and SIGKILL: its stopTimeout, else
        the agent's ECS_CONTAINER_STOP_TIMEOUT, else 30 s (ECS API ContainerDefinition.stopTimeout)."""
        if "stopTimeout" in self.containers[container]:
            return int(self.containers[container]["stopTimeout"])
        value = self.agent.get("ECS_CONTAINER_STOP_TIMEOUT", "30s")
        match = re.fullmatch(r"(\d+)([sm]?)", value)
        assert match, f"agent stop timeout {value!r} is not seconds or minutes"
        return int(match[1]) * (60 if match[2] == "m" else 1)


def gunicorn_settings(container: dict, env: dict[str, str]) -> dict:
    """The gunicorn.conf.py the container writes, executed as gunicorn loads it (with the
    container's environment), read through gunicorn's own settings."""
    from gunicorn.config import Config

    source = shipped_files(container)["gunicorn.conf.py"] if "TASK_FILES" in env else env["GUNICORN_CONF"]
    namespace: dict = {"__file__": "/data/gunicorn.conf.py"}
    saved = dict(os.environ)
    try:
        os.environ.update(env)
        exec(compile(source, "gunicorn.conf.py", "exec"), namespace)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    cfg = Config()
    for key, value in namespace.items():
        if key in cfg.settings:
            cfg.set(key, value)
    return {k: cfg.settings[k].get() for k in ("timeout", "graceful_timeout", "keepalive")}


@pytest.fixture(scope="module", params=["heavy", "light+front-off"])
def stack(request) -> Rendered:
    if request.param == "heavy":
        return Rendered("heavy")
    return Rendered("light", frontEnabled=False)


# -- keep-alive: "we also recommend that you configure the idle timeout of your application to
#    be larger than the idle timeout configured for the load balancer" (ELB user guide,
#    "Connection idle timeout"): the target never closes a connection the ALB may reuse.


def test_the_load_balancer_closes_idle_connections_before_the_target_does(stack):
    if stack.front:
        keepalive = seconds(stack.nginx, "keepalive_timeout")
        assert keepalive and min(keepalive) > stack.idle, f"nginx keepalive {keepalive} vs ALB idle {stack.idle}"
    else:
        assert stack.gunicorn["keepalive"] > stack.idle, (
            f"gunicorn keepalive {stack.gunicorn['keepalive']} s faces the ALB (idle {stack.idle} s)"
        )


def test_the_load_balancer_waits_longer_than_any_wait_of_one_request():
    # "If no data has been sent or received by the time that the idle timeout period elapses,
    # the load balancer closes the front-end connection": nginx gives up first, with its own answer.
    heavy = Rendered("heavy")
    waits = {d: heavy.nginx_wait(d) for d in REQUEST_WAITS if d in NGINX_DEFAULT_WAITS or seconds(heavy.nginx, d)}
    assert waits["proxy_read_timeout"] == heavy.longest_upload
    assert heavy.idle > max(waits.values()), f"ALB idle {heavy.idle} s vs nginx waits {waits}"


# -- draining: an upload in flight when its task is deregistered and stopped completes.


def test_the_target_group_drains_for_longer_than_the_longest_upload(stack):
    # "Do not set the value to 5 seconds when you have a service with long-lived requests,
    # such as slow file uploads" (ECS developer guide, load balancer connection draining); the
    # range is 0-3600 seconds (botocore elbv2, TargetGroupAttribute).
    assert stack.longest_upload < stack.deregistration <= 3600


def test_a_stopping_process_finishes_the_longest_upload_first(stack):
    if stack.front:
        # SIGQUIT (the nginx image's stop signal): "graceful shutdown", bounded by
        # worker_shutdown_timeout (nginx docs).
        (shutdown,) = seconds(stack.nginx, "worker_shutdown_timeout")
        assert shutdown > stack.longest_upload
    assert stack.gunicorn["graceful_timeout"] > stack.longest_upload >= stack.gunicorn["timeout"]


def test_ecs_kills_no_container_before_its_graceful_stop_ends(stack):
    graceful = [stack.gunicorn["graceful_timeout"]]
    if stack.front:
        graceful += seconds(stack.nginx, "worker_shutdown_timeout")
    for name in stack.containers:
        assert stack.stop_timeout(name) > max(graceful), f"{name}: SIGKILL after {stack.stop_timeout(name)} s"


def test_no_container_sets_a_stop_timeout_above_the_documented_cap(stack):
    # "the max stop timeout value is 120 seconds" (ECS API ContainerDefinition.stopTimeout),
    # below the longest upload: the agent's setting carries the stop instead.
    for name, container in stack.containers.items():
        assert container.get("stopTimeout", 0) <= 120, name


def test_nginx_stops_after_pypiserver_would_so_uploads_can_still_publish():
    # "When a dependency is defined for container startup, for container shutdown it is
    # reversed" (ECS API ContainerDefinition.dependsOn): nginx drains while pypiserver serves.
    nginx = Rendered("heavy").containers["nginx"]
    assert {"containerName": "pypiserver", "condition": "START"} in nginx["dependsOn"]
    assert nginx["command"][0].endswith("exec nginx"), "nginx is PID 1 and gets the stop signal itself"
