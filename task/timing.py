"""How long each layer waits, derived from two facts: the longest allowed upload and the load
balancer's idle timeout. Every keep-alive and draining setting the task, the target group and
the instances render comes from here, so the relations between them hold by construction
(tests/task/test_timing.py checks them on the rendered values).

Keep-alive. "We also recommend that you configure the idle timeout of your application to be
larger than the idle timeout configured for the load balancer" (Elastic Load Balancing user
guide, Application Load Balancers, "Connection idle timeout"): otherwise the target closes a
connection the load balancer is about to reuse, and the client gets a 502.

Draining. A task leaves in this order: the service deregisters its target, and "Amazon ECS
monitors the load balancer, and waits for the load balancer to report that the keep alive
connection is closed (the target is in an UNUSED state)" (Amazon ECS developer guide,
"Optimize load balancer connection draining parameters"); then ECS sends each container its
stop signal (nginx's image: SIGQUIT, a graceful stop; pypiserver's: SIGTERM, gunicorn's
graceful stop), nginx first ("When a dependency is defined for container startup, for
container shutdown it is reversed", ECS API ContainerDefinition.dependsOn), and SIGKILL after
the stop timeout. Each of these waits outlasts the longest upload, so an upload in flight when
a deploy, a scale-in or an instance refresh starts completes. Reads never wait for it: "If a
deregistering target has no in-flight requests and no active connections, Elastic Load
Balancing immediately completes the deregistration process, without waiting for the
deregistration delay to elapse" (ELB user guide, "Deregistration delay").

The container `stopTimeout` is left unset on purpose: its documented maximum is 120 s ("For
tasks that use the Fargate launch type, the max stop timeout value is 120 seconds", ECS API
ContainerDefinition.stopTimeout; ECS has long documented that cap for every launch type),
below the longest upload. Unset, "the value set for the Amazon ECS container agent
configuration variable ECS_CONTAINER_STOP_TIMEOUT is used" (same page), which the instances'
user data sets to STOP_TIMEOUT_SECONDS (the agent documents values such as `10m`).
"""

from __future__ import annotations

from .spec import UPLOAD_TIMEOUT_SECONDS

# Each relation keeps this much slack: the second layer must still be waiting when the first
# gives up, whatever the clocks and the scheduling of the two.
MARGIN_SECONDS = 30

# The load balancer closes a connection idle this long. Above the front's upload timeout:
# nginx answers a stalled upload with its own 504 before the load balancer drops it.
LOAD_BALANCER_IDLE_TIMEOUT_SECONDS = UPLOAD_TIMEOUT_SECONDS + MARGIN_SECONDS
# How long the target keeps an idle client connection (nginx's keepalive_timeout; gunicorn's
# keepalive when pypiserver faces the load balancer alone): longer than the load balancer's.
KEEPALIVE_TIMEOUT_SECONDS = LOAD_BALANCER_IDLE_TIMEOUT_SECONDS + MARGIN_SECONDS

# Target group deregistration delay: an upload that started just before deregistration has
# this long to finish (an idle target finishes at once).
DEREGISTRATION_DELAY_SECONDS = UPLOAD_TIMEOUT_SECONDS + MARGIN_SECONDS
# After its stop signal, a process finishes what is in flight within this (nginx's
# worker_shutdown_timeout, gunicorn's graceful_timeout): a task stopped without draining first
# still lets an upload that just started complete.
GRACEFUL_STOP_SECONDS = UPLOAD_TIMEOUT_SECONDS + MARGIN_SECONDS
# The agent's SIGKILL comes only after the processes' own graceful stop has ended.
STOP_TIMEOUT_SECONDS = GRACEFUL_STOP_SECONDS + MARGIN_SECONDS

# AWS's limits for the values above (botocore's elbv2 model, TargetGroupAttribute and
# LoadBalancerAttribute: "The range is 0-3600 seconds", "The valid range is 1-4000 seconds").
MAX_DEREGISTRATION_DELAY_SECONDS = 3600
MAX_LOAD_BALANCER_IDLE_TIMEOUT_SECONDS = 4000
# The documented stopTimeout cap that decides it stays unset (see above).
MAX_CONTAINER_STOP_TIMEOUT_SECONDS = 120
