"""The audit trail: one JSON line per write (upload, delete, yank, unyank), per refused
write and per event the scanner meets (a file it could not index, a published file found
with other bytes), on the process's standard output, which the container's log driver
(awslogs) sends to the task's log group. nginx writes the same fields for failed logins
(task/nginx.py); the marker, fields and results are the contract's.
"""

from __future__ import annotations

import json
import os
import time

from .contract import AUDIT_MARKER, AUDIT_RESULTS, ROTATION_MARK


def principal(login: str) -> str:
    """The user a login belongs to: a rotated token logs in as <user>+r<generation>."""
    return login.split(ROTATION_MARK, 1)[0]


def client_address(environ: dict) -> str:
    """The client as the load balancer saw it: the last X-Forwarded-For entry nginx received,
    which is the one the load balancer appended (anything before it came from the client).
    nginx appends its own peer (the load balancer) after it, so that is the second to last
    entry here; without a load balancer the chain has nginx's peer alone.

    AWS: "If the request already includes an X-Forwarded-For header, the load balancer
    appends the client IP address to the existing header value" (Elastic Load Balancing,
    Application Load Balancers, "HTTP headers and Application Load Balancers",
    X-Forwarded-For, processing mode "append", the default)."""
    chain = [p.strip() for p in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
    if len(chain) >= 2:
        return chain[-2]
    return chain[-1] if chain else environ.get("REMOTE_ADDR", "")


def line(
    *,
    user: str,
    action: str,
    result: str,
    status: int,
    client: str,
    project: str = "",
    filename: str = "",
    sha256: str = "",
    size: int = 0,
    detail: str = "",
    publisher: dict | None = None,
    previous_sha256: str = "",
) -> str:
    if result not in AUDIT_RESULTS:
        raise ValueError(f"result {result!r}: allowed {', '.join(AUDIT_RESULTS)}")
    # nginx's $time_iso8601 format, so both sources' lines sort and parse alike.
    record = {
        "audit": AUDIT_MARKER,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "user": user,
        "action": action,
        "project": project,
        "filename": filename,
        "sha256": sha256,
        "size": size,
        "client": client,
        "status": status,
        "result": result,
        "publisher": publisher,
    }
    if previous_sha256:  # a published file found with other bytes: what it was published with
        record["previous_sha256"] = previous_sha256
    if detail:
        record["detail"] = detail
    return json.dumps(record, sort_keys=False)


def write(**fields) -> None:
    """One line, in one write(2) call (atomic on a pipe up to PIPE_BUF, so lines of
    concurrent workers never interleave)."""
    os.write(1, (line(**fields) + "\n").encode())
