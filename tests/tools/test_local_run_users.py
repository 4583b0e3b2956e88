"""Named users on the local run of the task: a reader reads but cannot write (403), unknown
users and wrong tokens get 401, every write and refused write leaves one audit line, and a
token rotation in two steps fails no request of the current token's holders."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time

import pytest

from commands.log_filter import matches
from components.observability import FAILED_LOGIN_FILTER  # the alarm's filter, as rendered
from task.credentials import user_document
from tests.support.index_support import wheel, wheel_name
from tests.support.local_run_support import auth_header, heavy_spec, http, multipart, multipart_upload, start_task
from tools.local_task import generate_password

USERS = json.dumps(
    [{"name": "ci", "actions": ["download", "list"]}, {"name": "release", "actions": ["download", "list", "update"]}]
)


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    t = start_task(tmp_path_factory.mktemp("users"), heavy_spec(True, users=USERS))
    yield t
    t.stop()


def as_user(task, name: str, password: str | None = None) -> dict[str, str]:
    return auth_header(task.users[name]["username"], password or task.users[name]["password"])


def post_as(task, headers: dict[str, str], body: bytes, ctype: str):
    return http("POST", task.url + "/", {**headers, "Content-Type": ctype}, body, timeout=60)


def audit_until(task, seen, limit: float = 10) -> list[dict]:
    """The audit lines once one satisfies `seen` (nginx writes its line after the response)."""
    deadline = time.monotonic() + limit
    while True:
        lines = task.audit_lines()
        if any(seen(x) for x in lines) or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def test_the_spec_knows_both_users(task):
    assert [(u.name, u.publishes) for u in task.spec.users] == [("ci", False), ("release", True)]


@pytest.mark.parametrize("path", ["/simple/demo-000/", "/packages/demo_000-1.0.0-py3-none-any.whl"])
def test_reader_reads(task, path):
    assert http("GET", task.url + path, as_user(task, "ci"))[0] == 200


def test_reader_gets_403_on_upload_delete_and_yank(task):
    name = wheel_name("reader-tries", "1.0")
    body, ctype = multipart_upload(name, wheel("reader-tries", "1.0"))
    status, text, _ = post_as(task, as_user(task, "ci"), body, ctype)
    assert status == 403, (status, text)
    assert not (task.packages_dir / name).exists(), "a refused upload must leave no file"
    for action in ("remove_pkg", "yank"):
        body, ctype = multipart({":action": action, "name": "demo-000", "version": "1.0.0"})
        status, text, _ = post_as(task, as_user(task, "ci"), body, ctype)
        assert status == 403, (action, status, text)
    assert (task.packages_dir / "demo_000-1.0.0-py3-none-any.whl").exists(), "the reader deleted nothing"


def answer_before_the_body(port: int, headers: dict[str, str], declared: int) -> bytes:
    """Send a POST's headers declaring `declared` body bytes and only 1 MiB of them, then read:
    a server that decides from the headers answers; one that reads the body first never does."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(
            f"POST / HTTP/1.1\r\nHost: x\r\n{head}Content-Length: {declared}\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\n\r\n".encode()
        )
        sock.sendall(b'--b\r\nContent-Disposition: form-data; name="comment"\r\n\r\n' + b"a" * (1 << 20))
        try:
            return sock.recv(4096)
        except TimeoutError:
            return b"no answer within 10 s: the body is being waited for"


@pytest.mark.parametrize("to", ["front", "index"])
def test_a_readers_write_is_refused_before_its_body_is_read(task, to):
    port = task.port if to == "front" else task.layout.pypiserver_port
    answer = answer_before_the_body(port, as_user(task, "ci"), 200 << 20)
    assert answer.startswith(b"HTTP/1.1 403"), answer[:200]
    assert b"may not publish" in answer


@pytest.mark.parametrize("who", ["unknown", "wrong-token"])
def test_unknown_user_or_wrong_token_gets_401(task, who):
    headers = auth_header("nobody", "x" * 32) if who == "unknown" else as_user(task, "ci", "y" * 32)
    body, ctype = multipart_upload(wheel_name("anyone", "1.0"), wheel("anyone", "1.0"))
    assert post_as(task, headers, body, ctype)[0] == 401
    assert http("GET", task.url + "/simple/demo-000/", headers)[0] == 401


def test_publisher_writes_and_the_audit_trail_names_user_file_and_hash(task):
    content = wheel("audited", "1.0")
    name = wheel_name("audited", "1.0")
    body, ctype = multipart_upload(name, content)
    headers = {**as_user(task, "release"), "X-Forwarded-For": "198.51.100.7"}
    assert post_as(task, headers, body, ctype)[0] == 200
    body, ctype = multipart({":action": "yank", "name": "audited", "version": "1.0"})
    assert post_as(task, headers, body, ctype)[0] == 200
    body, ctype = multipart_upload(wheel_name("refused", "1.0"), wheel("refused", "1.0"))
    assert post_as(task, {**as_user(task, "ci"), "X-Forwarded-For": "203.0.113.9"}, body, ctype)[0] == 403
    assert post_as(task, auth_header("mallory", "z" * 32), body, ctype)[0] == 401

    lines = audit_until(task, lambda x: x["user"] == "mallory")
    upload = [x for x in lines if x["action"] == "upload" and x["result"] == "ok" and x["filename"] == name]
    assert len(upload) == 1, lines
    assert (upload[0]["user"], upload[0]["project"], upload[0]["sha256"], upload[0]["size"], upload[0]["client"]) == (
        "release",
        "audited",
        hashlib.sha256(content).hexdigest(),
        len(content),
        "198.51.100.7",
    )
    assert any(x["action"] == "yank" and x["user"] == "release" and x["project"] == "audited" for x in lines)
    # Refused from the credentials alone, before the body is read: the line cannot name the file.
    refused = [x for x in lines if x["result"] == "refused" and x["client"] == "203.0.113.9"]
    assert [(x["user"], x["action"], x["status"], x["filename"]) for x in refused] == [("ci", "update", 403, "")]
    failed = [x for x in lines if x["result"] == "failed-login" and x["user"] == "mallory"]
    assert [(x["action"], x["status"]) for x in failed] == [("update", 401)]
    keys = {"time", "user", "action", "project", "filename", "sha256", "size", "client", "result"}
    assert all(keys <= set(x) for x in lines), "every audit line carries every field"


def test_failed_login_filter_counts_the_real_failed_login_lines_only(task):
    http("GET", task.url + "/simple/demo-000/", auth_header("eve", "e" * 32))  # a failed login
    http("GET", task.url + "/simple/demo-000/")  # pip's first, anonymous request: no failed login
    audit_until(task, lambda x: x["user"] == "eve")
    raw = (task.nginx_dir / "audit.log").read_text().splitlines() + (task.workdir / "pypiserver.log").read_text(
        errors="replace"
    ).splitlines()
    counted = [json.loads(r) for r in raw if matches(FAILED_LOGIN_FILTER, r)]
    assert counted and all(x["result"] == "failed-login" for x in counted)
    assert any(x["user"] == "eve" for x in counted)
    assert not any(x["user"] == "" for x in counted), "a challenge without credentials is no failed login"
    assert not any(matches(FAILED_LOGIN_FILTER, r) for r in raw if '"result": "ok"' in r or '"result":"ok"' in r)


def test_rotation_in_two_steps_fails_no_request_of_the_current_token(task):
    old = task.users["ci"]["password"]
    new = generate_password()
    old_login, new_login = "ci", "ci+r1"
    failures: dict[str, int] = {"old-before-retire": 0, "new": 0}
    done: dict[str, int] = {"old": 0, "new": 0}
    stop = threading.Event()
    phase = {"retired": False}

    def client(password: str, key: str) -> None:
        while not stop.is_set():
            login = old_login if key == "old" else new_login
            retired_before = phase["retired"]
            try:
                status = http("GET", task.url + "/simple/demo-000/", auth_header(login, password))[0]
            except OSError:
                status = 0  # a failed request too
            done[key] += 1
            if key == "old" and retired_before:
                continue
            if key == "old" and status != 200:
                failures["old-before-retire"] += 1
            if key == "new" and status != 200:
                failures["new"] += 1

    old_client = threading.Thread(target=client, args=(old, "old"))
    old_client.start()
    try:
        # Step one: the new token is valid, the previous one stays valid.
        task.set_user(user_document("ci", [(0, old), (1, new)]))
        new_client = threading.Thread(target=client, args=(new, "new"))
        new_client.start()
        for _ in range(50):
            assert http("GET", task.url + "/simple/demo-000/", auth_header(old_login, old))[0] == 200
            assert http("GET", task.url + "/simple/demo-000/", auth_header(new_login, new))[0] == 200
        # Step two: retire the previous token.
        phase["retired"] = True
        task.set_user(user_document("ci", [(1, new)]))
        for _ in range(50):
            assert http("GET", task.url + "/simple/demo-000/", auth_header(new_login, new))[0] == 200
    finally:
        stop.set()
        old_client.join(30)
        new_client.join(30)
    assert failures == {"old-before-retire": 0, "new": 0}
    assert min(done.values()) > 10, f"both clients must have run throughout: {done}"
    assert http("GET", task.url + "/simple/demo-000/", auth_header(old_login, old))[0] == 401, "retired token refused"
    assert task.users["ci"]["username"] == new_login, "the secret now hands out the new token's username"


def test_publisher_rotation_uploads_with_both_tokens_during_step_one(task):
    old = task.users["release"]["password"]
    new = generate_password()
    task.set_user(user_document("release", [(0, old), (1, new)]))
    for login, password, version in (("release", old, "1.0"), ("release+r1", new, "2.0")):
        body, ctype = multipart_upload(wheel_name("rotated-upload", version), wheel("rotated-upload", version))
        status, text, _ = post_as(task, auth_header(login, password), body, ctype)
        assert status == 200, (login, status, text)
    task.set_user(user_document("release", [(1, new)]))
    body, ctype = multipart_upload(wheel_name("rotated-upload", "3.0"), wheel("rotated-upload", "3.0"))
    assert post_as(task, auth_header("release", old), body, ctype)[0] == 401, "the retired token is refused"
    lines = audit_until(task, lambda x: x["user"] == "release+r1")
    assert any(x["user"] == "release+r1" and x["result"] == "ok" for x in lines), "the audit names the token's login"


def test_concurrent_writes_each_leave_one_whole_audit_line(task):
    """Eight uploads at once (gunicorn workers writing to one pipe): every line parses, one per upload."""
    names = [wheel_name(f"concurrent-audit-{i}", "1.0") for i in range(8)]
    statuses: list[int] = []

    def upload_one(i: int) -> None:
        body, ctype = multipart_upload(names[i], wheel(f"concurrent-audit-{i}", "1.0"))
        statuses.append(post_as(task, as_user(task, "release"), body, ctype)[0])

    threads = [threading.Thread(target=upload_one, args=(i,)) for i in range(len(names))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert statuses == [200] * len(names)
    raw = [r for r in (task.workdir / "pypiserver.log").read_text(errors="replace").splitlines() if '"audit"' in r]
    assert all(r.startswith('{"audit"') and json.loads(r) for r in raw), "no line is cut or interleaved"
    lines = [json.loads(r) for r in raw]
    assert sorted(x["filename"] for x in lines if x["filename"] in names and x["result"] == "ok") == sorted(names)
