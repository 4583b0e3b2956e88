"""pypi_index/scan.py against a damaged folder: nothing stops a pass, lost or damaged index
state rebuilds itself with its yanks, and bytes that change under a published name are
noticed, quarantined and audited. In process, one folder (the two-task runs are in
tests/tools/test_local_run_hardening.py)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import time

import pytest

from pypi_index import contract, scan, store
from tests.support.index_support import patch_zip_member, sdist, wheel, wheel_files, wheel_name, zip_of

GOOD = [f"good-{i}" for i in range(3)]


def put(root: str, filename: str, data: bytes, age: float = 60) -> str:
    path = os.path.join(root, filename)
    with open(path, "wb") as f:
        f.write(data)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def age_folder(s: store.Store) -> None:
    stamp = time.time() - 60
    os.utime(s.root, (stamp, stamp))


def listed(s: store.Store, project: str) -> list[str]:
    path = os.path.join(s.simple, project, "index.json")
    if not os.path.exists(path):
        return []
    return [f["filename"] for f in json.load(open(path))["files"]]


def hashes(s: store.Store, project: str) -> dict[str, str]:
    doc = json.load(open(os.path.join(s.simple, project, "index.json")))
    return {f["filename"]: f["hashes"]["sha256"] for f in doc["files"]}


def yanks(s: store.Store, project: str) -> dict[str, object]:
    doc = json.load(open(os.path.join(s.simple, project, "index.json")))
    return {f["filename"]: f["yanked"] for f in doc["files"]}


def audit_lines(capfd) -> list[dict]:
    out = capfd.readouterr().out
    return [json.loads(line) for line in out.splitlines() if line.startswith('{"audit"')]


def published(s: store.Store, tmp_path, filename: str, data: bytes) -> None:
    body = s.receive(io.BytesIO(data))
    s.publish(filename, body)
    os.unlink(body)


@pytest.fixture
def s(tmp_path):
    return store.Store(str(tmp_path / "packages"))


def good_folder(s: store.Store) -> None:
    for name in GOOD:
        put(s.root, wheel_name(name, "1.0"), wheel(name, "1.0"))


def broken(kind: str) -> tuple[str, bytes]:
    name = wheel_name("aaa-broken", "1.0")
    if kind == "encrypted":
        return name, patch_zip_member(wheel("aaa-broken", "1.0"), "aaa_broken/__init__.py", flag_bits=0x1)
    if kind == "deflate64":
        return name, patch_zip_member(wheel("aaa-broken", "1.0"), "aaa_broken/__init__.py", method=9)
    if kind == "corrupt-deflate":
        data = bytearray(zip_of(wheel_files("aaa-broken", "1.0", payload=b"compressible " * 200)))
        at = data.index(b"aaa_broken/__init__.py") + len("aaa_broken/__init__.py")
        data[at : at + 40] = b"\xff" * 40
        return name, bytes(data)
    assert kind == "truncated-sdist"
    return "aaa_broken-1.0.tar.gz", sdist("aaa-broken", "1.0")[:-30]


# -- nothing stops a pass --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["encrypted", "deflate64", "corrupt-deflate", "truncated-sdist"])
def test_one_unreadable_file_first_in_the_folder_stops_nothing(s, capfd, kind):
    good_folder(s)
    put(s.root, *broken(kind))
    age_folder(s)
    scan.Scanner(s).poll()
    assert all(listed(s, p) == [wheel_name(p, "1.0")] for p in GOOD), "every project after it is indexed"
    assert listed(s, "aaa-broken") == []
    failed = [x for x in audit_lines(capfd) if x["result"] == contract.SCAN_FAILED]
    assert [(x["project"], x["filename"]) for x in failed] == [("aaa-broken", broken(kind)[0])]


def test_a_truncated_records_file_is_rebuilt_from_the_folder(s, tmp_path, capfd):
    good_folder(s)
    published(s, tmp_path, wheel_name("aaa-records", "1.0"), wheel("aaa-records", "1.0"))
    s.yank("aaa-records", "1.0", "CVE-2099-1")
    records = os.path.join(s.projects, "aaa-records.json")
    open(records, "wb").write(open(records, "rb").read()[:40])
    age_folder(s)
    scan.Scanner(s).poll()
    assert all(listed(s, p) == [wheel_name(p, "1.0")] for p in GOOD)
    assert yanks(s, "aaa-records") == {wheel_name("aaa-records", "1.0"): "CVE-2099-1"}, "rebuilt, still yanked"
    assert [x["project"] for x in audit_lines(capfd) if x["result"] == contract.SCAN_FAILED] == ["aaa-records"]


def test_a_file_that_fails_to_read_is_retried_at_the_next_pass(s, monkeypatch):
    good_folder(s)
    age_folder(s)
    real, calls = scan.inspect, []

    def flaky(path, dist, digest=None):
        calls.append(dist.filename)
        if dist.project == "good-0" and calls.count(dist.filename) == 1:
            raise OSError(5, "Input/output error")
        return real(path, dist, digest)

    monkeypatch.setattr(scan, "inspect", flaky)
    scanner = scan.Scanner(s)
    scanner.poll()
    assert listed(s, "good-0") == [] and listed(s, "good-1") == [wheel_name("good-1", "1.0")]
    scanner.poll()  # nothing changed in the folder: the failure alone brings it back
    assert listed(s, "good-0") == [wheel_name("good-0", "1.0")]


def test_a_running_scanner_keeps_the_rest_of_a_pass_after_a_broken_file(s):
    scanner = scan.Scanner(s)
    scanner.poll()
    put(s.root, *broken("encrypted"))
    good_folder(s)
    age_folder(s)
    scanner.poll()
    assert all(listed(s, p) == [wheel_name(p, "1.0")] for p in GOOD)


# -- lost state rebuilds itself, with its yanks -------------------------------------------------------


def test_a_deleted_index_is_rebuilt_while_running_and_keeps_yanks(s, tmp_path):
    good_folder(s)
    scanner = scan.Scanner(s)
    scanner.poll()
    published(s, tmp_path, wheel_name("cve", "1.0"), wheel("cve", "1.0"))
    s.yank("cve", "1.0", "CVE-2099-1")
    put(s.root, wheel_name("cve", "1.0"), wheel("cve", "1.0"))  # settled (a rebuild lists new files once settled)
    shutil.rmtree(s.index)
    scanner.poll()
    assert yanks(s, "cve") == {wheel_name("cve", "1.0"): "CVE-2099-1"}
    assert all(listed(s, p) == [wheel_name(p, "1.0")] for p in GOOD)
    assert {p["name"] for p in json.load(open(os.path.join(s.simple, "index.json")))["projects"]} == {*GOOD, "cve"}


def test_a_restart_after_the_index_was_deleted_keeps_yanks(s, tmp_path):
    published(s, tmp_path, wheel_name("cve", "1.0"), wheel("cve", "1.0"))
    s.yank("cve", "1.0", "")
    put(s.root, wheel_name("cve", "1.0"), wheel("cve", "1.0"))  # settled
    shutil.rmtree(s.index)
    scan.Scanner(store.Store(s.root)).poll()
    assert yanks(s, "cve") == {wheel_name("cve", "1.0"): True}, "yanked without a reason: still yanked"


def test_yanks_recorded_before_the_ledger_move_into_it(s, tmp_path):
    published(s, tmp_path, wheel_name("old", "1.0"), wheel("old", "1.0"))
    records = s.read_project("old")
    records[wheel_name("old", "1.0")]["yanked"] = "from before"
    s.save_project("old", records)  # yanked in the records only, as before the ledger
    scan.Scanner(s).poll()
    assert s.ledger.yanked() == {wheel_name("old", "1.0"): "from before"}
    put(s.root, wheel_name("old", "1.0"), wheel("old", "1.0"))  # settled
    shutil.rmtree(s.index)
    scan.Scanner(store.Store(s.root)).poll()
    assert yanks(s, "old") == {wheel_name("old", "1.0"): "from before"}


# -- bytes changed under a published name ------------------------------------------------------------


def quarantined(capfd) -> list[dict]:
    return [x for x in audit_lines(capfd) if x["result"] == contract.QUARANTINED]


def test_a_file_overwritten_in_place_is_quarantined_within_the_sweep(s, tmp_path, capfd):
    filename, data = wheel_name("demo", "1.0"), wheel("demo", "1.0")
    published(s, tmp_path, filename, data)
    scanner = scan.Scanner(s, sweep_seconds=4, interval=2)  # every file once per two passes
    scanner.poll()
    ino = os.stat(os.path.join(s.root, filename)).st_ino
    other = wheel("demo", "1.0", payload=b"tampered")
    with open(os.path.join(s.root, filename), "r+b") as f:  # same inode, no folder change
        f.write(other)
        f.truncate()
    age_folder(s)
    scanner.poll()
    scanner.poll()
    assert listed(s, "demo") == [], "never a page whose hash the file no longer has"
    assert not os.path.exists(os.path.join(s.root, filename)), "nginx no longer serves the name"
    moved = os.path.join(s.ledger.quarantine_dir, f"{filename}.{hashlib.sha256(other).hexdigest()}")
    assert os.stat(moved).st_ino == ino and open(moved, "rb").read() == other
    [line] = quarantined(capfd)
    assert (line["filename"], line["previous_sha256"], line["sha256"]) == (
        filename,
        hashlib.sha256(data).hexdigest(),
        hashlib.sha256(other).hexdigest(),
    )


def test_a_file_replaced_by_rename_with_other_bytes_is_quarantined(s, tmp_path, capfd):
    filename = wheel_name("demo", "1.0")
    published(s, tmp_path, filename, wheel("demo", "1.0"))
    s.yank("demo", "1.0", "CVE-2099-1")
    scanner = scan.Scanner(s)
    scanner.poll()
    os.replace(put(s.root, "tmp-copy", wheel("demo", "1.0", payload=b"other")), os.path.join(s.root, filename))
    age_folder(s)
    scanner.poll()
    assert listed(s, "demo") == [] and len(quarantined(capfd)) == 1


def test_the_published_bytes_restored_by_rename_are_listed_again_still_yanked(s, tmp_path, capfd):
    filename, data = wheel_name("demo", "1.0"), wheel("demo", "1.0")
    published(s, tmp_path, filename, data)
    s.yank("demo", "1.0", "CVE-2099-1")
    scanner = scan.Scanner(s)
    scanner.poll()
    os.replace(put(s.root, "restored", data), os.path.join(s.root, filename))  # same bytes, new inode
    age_folder(s)
    scanner.poll()
    assert yanks(s, "demo") == {filename: "CVE-2099-1"} and quarantined(capfd) == []
    assert s.read_project("demo")[filename]["ino"] == os.stat(os.path.join(s.root, filename)).st_ino


def test_a_removed_name_copied_back_with_other_bytes_is_quarantined_and_the_same_bytes_listed(s, tmp_path, capfd):
    filename, data = wheel_name("demo", "1.0"), wheel("demo", "1.0")
    published(s, tmp_path, filename, data)
    scanner = scan.Scanner(s)
    scanner.poll()
    s.remove(s.find_version("demo", "1.0")[0])
    put(s.root, filename, wheel("demo", "1.0", payload=b"other"))
    age_folder(s)
    scanner.poll()
    assert listed(s, "demo") == [] and len(quarantined(capfd)) == 1
    put(s.root, filename, data)
    age_folder(s)
    scanner.poll()
    assert hashes(s, "demo") == {filename: hashlib.sha256(data).hexdigest()}


def test_an_out_of_band_removal_leaves_a_tombstone(s, tmp_path):
    filename, data = wheel_name("demo", "1.0"), wheel("demo", "1.0")
    published(s, tmp_path, filename, data)
    scanner = scan.Scanner(s)
    scanner.poll()
    os.unlink(os.path.join(s.root, filename))
    age_folder(s)
    scanner.poll()
    assert s.ledger.tombstone(filename) == hashlib.sha256(data).hexdigest()


def test_the_sweep_stats_a_slice_per_pass_and_every_file_per_period(s, monkeypatch):
    for i in range(40):
        put(s.root, wheel_name(f"p{i}", "1.0"), wheel(f"p{i}", "1.0"))
    age_folder(s)
    scanner = scan.Scanner(s, sweep_seconds=20, interval=2)  # 10 passes per round: 4 stats each
    scanner.poll()
    seen: list[str] = []
    real = scan.os.stat
    monkeypatch.setattr(scan.os, "stat", lambda p, *a, **k: seen.append(os.path.basename(p)) or real(p, *a, **k))
    for _ in range(10):
        scanner.poll()
    files = {n for n in seen if n.endswith(".whl")}
    assert len(files) == 40, "every recorded file once per round"
    assert len([n for n in seen if n.endswith(".whl")]) == 40, "and only once: a slice per pass"


def test_a_published_file_replaced_by_a_symlink_leaves_the_pages(s, tmp_path):
    filename, data = wheel_name("demo", "1.0"), wheel("demo", "1.0")
    published(s, tmp_path, filename, data)
    scanner = scan.Scanner(s)
    scanner.poll()
    elsewhere = put(str(tmp_path), "elsewhere.whl", data)
    os.unlink(os.path.join(s.root, filename))
    os.symlink(elsewhere, os.path.join(s.root, filename))  # nginx never follows it
    age_folder(s)
    scanner.poll()
    assert listed(s, "demo") == [], "the page lists nothing nginx would not serve"


def test_an_unyank_during_a_rebuild_pass_is_not_undone(s, tmp_path, monkeypatch):
    filename = wheel_name("demo", "1.0")
    published(s, tmp_path, filename, wheel("demo", "1.0"))
    s.yank("demo", "1.0", "CVE-2099-1")
    real = scan.apply

    def unyank_first(store_, project, changes):  # the unyank lands after the pass read the ledger
        s.yank("demo", "1.0", None)
        return real(store_, project, changes)

    monkeypatch.setattr(scan, "apply", unyank_first)
    records = s.read_project("demo")
    records[filename]["yanked"] = False  # records behind the ledger: the pass has a yank to bring over
    s.save_project("demo", records)
    scan.Scanner(s).poll()
    assert yanks(s, "demo") == {filename: False} and s.ledger.yanked() == {}, "the later unyank wins"


def test_a_deletion_that_leaves_the_folders_behind_is_still_rebuilt(s):
    good_folder(s)
    age_folder(s)
    scanner = scan.Scanner(s)
    scanner.poll()
    # What rm -rf leaves when writers keep a folder from being removed: the folders, empty.
    for directory in (s.projects, s.simple):
        for entry in os.listdir(directory):
            path = os.path.join(directory, entry)
            shutil.rmtree(path) if os.path.isdir(path) else os.unlink(path)
    os.unlink(s.ready_marker)
    scanner.poll()
    assert all(listed(s, p) == [wheel_name(p, "1.0")] for p in GOOD)


def test_records_deleted_while_a_rebuild_runs_make_it_run_again(s, monkeypatch):
    good_folder(s)
    age_folder(s)
    real, deleted = scan.apply, []

    def rm_still_running(store_, project, changes):
        applied = real(store_, project, changes)
        if not deleted:  # an rm -rf that reaches this project's records after the pass wrote them
            deleted.append(project)
            os.unlink(os.path.join(s.projects, f"{project}.json"))
        return applied

    monkeypatch.setattr(scan, "apply", rm_still_running)
    scanner = scan.Scanner(s)
    scanner.poll()
    assert not os.path.exists(s.ready_marker), "an incomplete pass is not marked ready"
    scanner.poll()
    assert all(listed(s, p) == [wheel_name(p, "1.0")] for p in GOOD) and os.path.exists(s.ready_marker)
