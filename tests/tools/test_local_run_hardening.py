"""Hostile uploads, damaged index state and careless admins, against two local tasks sharing
one package folder (as the ECS service runs them on one EFS): availability and integrity
hold, and what the index noticed is in its audit lines, as the alarms' filters count them.

The sweep for files changed in place is shortened here (SWEEP_SECONDS instead of
CHANGE_SWEEP_SECONDS): the same code, a shorter round."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import threading
import time
import zipfile

import pytest

from commands.log_filter import matches
from components.observability import QUARANTINE_FILTER, SCAN_FAILURE_FILTER
from pypi_index import contract, limits
from task.spec import INDEX_SCAN_SECONDS, OUT_OF_BAND_BOUND_SECONDS
from tests.support.index_support import patch_zip_member, sdist, tar_gz_of, wheel, wheel_files, wheel_name, zip_of
from tests.support.local_run_support import (
    auth_header,
    heavy_spec,
    http,
    multipart,
    post,
    upload,
    upload_full,
    wait_until_listed,
)
from tools import repo_gen
from tools.local_task import LocalTask, free_port

SWEEP_SECONDS = 4
PROJECTS = 4
# A rebuild of this small folder: the out-of-band bound plus the pass itself, with margin for
# a busy machine.
REBUILD_BOUND_SECONDS = OUT_OF_BAND_BOUND_SECONDS + 10
IN_PLACE_BOUND_SECONDS = SWEEP_SECONDS + INDEX_SCAN_SECONDS + 10


def start(packages, workdir, credentials=None) -> LocalTask:
    kwargs = {"credentials": credentials} if credentials else {}
    return LocalTask(
        heavy_spec(),
        packages,
        workdir,
        free_port(),
        environment={contract.ENV_SWEEP_SECONDS: str(SWEEP_SECONDS)},
        **kwargs,
    ).start()


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    packages = tmp_path_factory.mktemp("shared") / "packages"
    repo_gen.generate(packages, PROJECTS, 2, payload_bytes=1024, prefix="demo")
    a = start(packages, tmp_path_factory.mktemp("task-a"))
    b = None
    try:
        last = repo_gen.project_name(PROJECTS - 1, "demo")
        assert wait_until_listed(a, last, "demo_", 30) is not None
        b = start(packages, tmp_path_factory.mktemp("task-b"), a.credentials)
        yield a, b
    finally:
        a.stop()
        if b is not None:
            b.stop()


def creds(task) -> dict[str, str]:
    return auth_header(task.credentials["username"], task.credentials["password"])


def page(task, project: str) -> tuple[int, dict]:
    status, body, _ = http("GET", f"{task.url}/simple/{project}/", {**creds(task), "Accept": contract.SIMPLE_JSON_TYPE})
    return status, (json.loads(body) if status == 200 else {})


def audit_lines(*tasks) -> list[dict]:
    return [line for task in tasks for line in task.audit_lines()]


def raw_lines(*tasks) -> list[str]:
    found = []
    for task in tasks:
        text = (task.workdir / "pypiserver.log").read_text(errors="replace")
        found += [line for line in text.splitlines() if line.startswith('{"audit"')]
    return found


def wait(predicate, limit: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started <= limit:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.1)
    return None


# -- damaged state heals, yanks stay -------------------------------------------------------------


ROUNDS = 5


def test_a_deleted_index_heals_while_uploads_through_both_tasks_never_fail(pair):
    a, b = pair
    body, ctype = multipart({":action": "yank", "name": "demo-000", "version": "1.0.0", "reason": "CVE-2099-1"})
    assert post(a.url, a, body, ctype)[0] == 200
    stop, statuses = threading.Event(), []

    def keep_uploading() -> None:
        i = 0
        while not stop.is_set():
            task = (a, b)[i % 2]
            statuses.append(upload(task, wheel_name("during-heal", f"1.{i}"), wheel("during-heal", f"1.{i}")))
            i += 1

    page_statuses: set[int] = set()

    def healed() -> bool:
        pages = [page(t, repo_gen.project_name(i, "demo")) for t in (a, b) for i in range(PROJECTS)]
        page_statuses.update(status for status, _ in pages)
        return all(status == 200 and len(doc["files"]) == 2 for status, doc in pages)

    uploader = threading.Thread(target=keep_uploading)
    uploader.start()
    took: list[float | None] = []
    try:
        for _ in range(ROUNDS):
            time.sleep(0.3)
            # As an admin would, while both tasks write into it (rm skips what vanished meanwhile).
            subprocess.run(["rm", "-rf", str(a.packages_dir / contract.INDEX_DIR)], check=False)
            took.append(wait(healed, REBUILD_BOUND_SECONDS))
    finally:
        stop.set()
        uploader.join(60)
    print(
        f"\n.index deleted {ROUNDS} times: every page back through both tasks after "
        f"{[t and round(t, 2) for t in took]} s; {len(statuses)} uploads meanwhile, statuses "
        f"{sorted(set(statuses))}; pages answered {sorted(page_statuses)}"
    )
    assert None not in took, f"pages must heal within {REBUILD_BOUND_SECONDS} s"
    assert set(statuses) == {200}, "no upload fails while the index rebuilds itself"
    assert 404 not in page_statuses, f"a page not rebuilt yet asks to retry: {sorted(page_statuses)}"
    _, doc = page(b, "demo-000")
    yanked = {f["filename"]: f["yanked"] for f in doc["files"]}
    assert yanked[wheel_name("demo-000", "1.0.0")] == "CVE-2099-1", "the yank survives the rebuild"
    listed_all = wait(lambda: len(page(a, "during-heal")[1].get("files", [])) == len(statuses), REBUILD_BOUND_SECONDS)
    assert listed_all is not None, "every upload made meanwhile is listed"


def test_a_truncated_records_file_heals_and_keeps_its_yank(pair):
    a, b = pair
    assert upload(a, wheel_name("trunc", "1.0"), wheel("trunc", "1.0")) == 200
    body, ctype = multipart({":action": "yank", "name": "trunc", "version": "1.0", "reason": "bad"})
    assert post(a.url, a, body, ctype)[0] == 200
    records = a.packages_dir / contract.INDEX_DIR / contract.RECORDS_DIR / "trunc.json"
    records.write_bytes(records.read_bytes()[:30])
    body, ctype = multipart({":action": "remove_pkg", "name": "trunc", "version": "1.0"})
    status, text, _ = post(b.url, b, body, ctype)
    assert status == 503 and b"retry" in text, (status, text)

    def healed() -> bool:
        try:
            return json.loads(records.read_text())["files"][wheel_name("trunc", "1.0")]["yanked"] == "bad"
        except (ValueError, KeyError):
            return False

    assert wait(healed, REBUILD_BOUND_SECONDS) is not None, "rebuilt from the folder, yank from the ledger"
    assert post(b.url, b, body, ctype)[0] == 200, "and the removal then goes through"


# -- published bytes never change under a name --------------------------------------------------------


def test_an_in_place_overwrite_is_quarantined_audited_and_alarmed(pair):
    a, b = pair
    filename, original = wheel_name("overwritten", "1.0"), wheel("overwritten", "1.0")
    assert upload(a, filename, original) == 200
    path = a.packages_dir / filename
    inode = path.stat().st_ino
    other = wheel("overwritten", "1.0", payload=b"replaced by hand")
    with open(path, "r+b") as f:  # same name, same inode: no listing shows it
        f.write(other)
        f.truncate()
    took = wait(lambda: page(b, "overwritten")[0] == 404, IN_PLACE_BOUND_SECONDS)
    print(f"\nin-place overwrite unlisted after {took and round(took, 2)} s (sweep {SWEEP_SECONDS} s)")
    assert took is not None, "no page keeps a hash the file no longer has"
    assert http("GET", f"{b.url}/packages/{filename}", creds(b))[0] == 404, "the changed bytes are not served"
    moved = a.packages_dir / contract.LEDGER_DIR / contract.LEDGER_QUARANTINE / f"{filename}.{sha(other)}"
    assert moved.stat().st_ino == inode, "the bytes are kept, out of service"
    lines = [json.loads(x) for x in raw_lines(a, b) if matches(QUARANTINE_FILTER, x)]
    mine = [x for x in lines if x["filename"] == filename]
    assert [(x["previous_sha256"], x["sha256"]) for x in mine] == [(sha(original), sha(other))], mine


def test_a_replace_by_rename_keeps_the_yank_when_the_bytes_are_the_published_ones(pair):
    a, b = pair
    filename, data = wheel_name("renamed", "1.0"), wheel("renamed", "1.0")
    assert upload(a, filename, data) == 200
    body, ctype = multipart({":action": "yank", "name": "renamed", "version": "1.0", "reason": "CVE-2099-2"})
    assert post(a.url, a, body, ctype)[0] == 200
    copy = a.packages_dir / ".restore-tmp"
    copy.write_bytes(data)
    os.replace(copy, a.packages_dir / filename)  # a restore from backup: same bytes, new inode
    inode = (a.packages_dir / filename).stat().st_ino

    def re_recorded() -> bool:
        records = json.loads((a.packages_dir / ".index/projects/renamed.json").read_text())["files"]
        return records[filename]["ino"] == inode

    assert wait(re_recorded, REBUILD_BOUND_SECONDS) is not None
    _, doc = page(b, "renamed")
    assert [(f["hashes"]["sha256"], f["yanked"]) for f in doc["files"]] == [(sha(data), "CVE-2099-2")]


def test_a_removed_filename_is_never_reused_with_other_bytes_through_either_task(pair):
    a, b = pair
    filename, data = wheel_name("reused", "1.0"), wheel("reused", "1.0")
    assert upload(a, filename, data) == 200
    body, ctype = multipart({":action": "remove_pkg", "name": "reused", "version": "1.0"})
    assert post(a.url, a, body, ctype)[0] == 200
    status, text, _ = upload_full(b, filename, wheel("reused", "1.0", payload=b"other bytes"))
    assert status == 409 and b"never reused" in text, (status, text)
    assert upload(b, filename, data) == 200, "the same bytes again: a restore"


# -- names are never paths ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["/tmp/evil", "evil\x00name", "n" * 300])
@pytest.mark.parametrize("action", ["remove_pkg", "yank"])
def test_remove_and_yank_names_are_a_400(pair, name, action):
    a, _ = pair
    body, ctype = multipart({":action": action, "name": name, "version": "1.0"})
    status, text, _ = post(a.url, a, body, ctype)
    assert status == 400 and text.count(b"\n") == 1, (status, text)


# -- hostile uploads --------------------------------------------------------------------------------------


def members_bomb() -> bytes:
    files = wheel_files("bomb", "1.0")
    files.update({f"bomb/m{i}.py": b"" for i in range(limits.MAX_ARCHIVE_MEMBERS)})
    return zip_of(files, zipfile.ZIP_STORED)


def metadata_bomb() -> bytes:
    files = wheel_files("bomb", "1.0")
    files["bomb-1.0.dist-info/METADATA"] = b"Name: bomb\nVersion: 1.0\n\n" + bytes(limits.MAX_METADATA_BYTES)
    return zip_of(files)


def zeros_bomb() -> bytes:
    files = wheel_files("bomb", "1.0")
    files["bomb/zeros.bin"] = bytes(limits.UNPACK_FLOOR_BYTES + 1)
    return zip_of(files)


@pytest.mark.parametrize(
    "kind, filename, build, why",
    [
        ("encrypted", wheel_name("bomb", "1.0"), lambda: encrypted("bomb"), "encrypted"),
        ("deflate64", wheel_name("bomb", "1.0"), lambda: deflate64("bomb"), "method 9"),
        ("metadata", wheel_name("bomb", "1.0"), metadata_bomb, "METADATA"),
        ("members", wheel_name("bomb", "1.0"), members_bomb, "members"),
        ("zeros", wheel_name("bomb", "1.0"), zeros_bomb, "unpacks to"),
        ("tar-members", "bomb-1.0.tar.gz", lambda: tar_members_bomb(), "members"),
    ],
)
def test_each_bomb_is_one_400_and_the_index_keeps_serving(pair, kind, filename, build, why):
    a, b = pair
    status, text, _ = upload_full(a, filename, build())
    assert status == 400 and why.encode() in text and text.count(b"\n") == 1, (kind, status, text[:300])
    assert upload(a, wheel_name(f"after-{kind}", "1.0"), wheel(f"after-{kind}", "1.0")) == 200


def encrypted(project: str) -> bytes:
    module = project.replace("-", "_")
    return patch_zip_member(wheel(project, "1.0"), f"{module}/__init__.py", flag_bits=0x1)


def deflate64(project: str) -> bytes:
    return patch_zip_member(wheel(project, "1.0"), f"{project}/__init__.py", method=9)


def tar_members_bomb() -> bytes:
    pkg_info = ("bomb-1.0/PKG-INFO", b"Metadata-Version: 2.1\nName: bomb\nVersion: 1.0\n")
    return tar_gz_of([pkg_info], extra_empty_members=limits.MAX_ARCHIVE_MEMBERS)


# -- the scanner never stops on one file -----------------------------------------------------------------


def test_one_broken_file_first_in_a_folder_of_good_ones_stops_no_first_start(tmp_path):
    packages = tmp_path / "packages"
    repo_gen.generate(packages, PROJECTS, 1, payload_bytes=256, prefix="late")
    (packages / wheel_name("aaa-broken", "1.0")).write_bytes(encrypted("aaa-broken"))
    (packages / "aaa_truncated-1.0.tar.gz").write_bytes(sdist("aaa-truncated", "1.0")[:-30])
    stamp = time.time() - 60
    for p in packages.iterdir():
        os.utime(p, (stamp, stamp))
    task = start(packages, tmp_path / "run")
    try:
        last = repo_gen.project_name(PROJECTS - 1, "late")
        assert wait_until_listed(task, last, "late_", 30) is not None, "every project after the broken ones"
        failed = [json.loads(x) for x in raw_lines(task) if matches(SCAN_FAILURE_FILTER, x)]
        assert {x["filename"] for x in failed} == {wheel_name("aaa-broken", "1.0"), "aaa_truncated-1.0.tar.gz"}
        # Later in a running task: a broken file and a good one in the same pass.
        (packages / wheel_name("aab-broken", "1.0")).write_bytes(encrypted("aab-broken"))
        (packages / wheel_name("zzz-good", "1.0")).write_bytes(wheel("zzz-good", "1.0"))
        assert wait_until_listed(task, "zzz-good", "zzz_good", OUT_OF_BAND_BOUND_SECONDS + 5) is not None
    finally:
        task.stop()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
