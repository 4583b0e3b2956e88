"""The index package (pypi_index/), in process: validation, pages, publishing
first-wins under races and faults, removal, yank, and the out-of-band scanner."""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
import shutil
import time
from html.parser import HTMLParser

import pytest

from pypi_index import dist, limits, scan, store
from pypi_index.dist import Rejected
from tests.support.index_support import sdist, wheel, wheel_name


class Links(HTMLParser):
    """Every <a> of a page with its attributes, and the repository-version meta."""

    def __init__(self, text: str):
        super().__init__()
        self.links: list[dict] = []
        self.meta: dict[str, str] = {}
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a":
            self.links.append(attrs)
        elif tag == "meta":
            self.meta[attrs.get("name")] = attrs.get("content")


def body_file(tmp_path, data: bytes, name: str = "body") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def publish(s: store.Store, tmp_path, filename: str, data: bytes) -> dict:
    return s.publish(filename, body_file(tmp_path, data, "body-" + hashlib.sha1(data).hexdigest()))


def page(s: store.Store, project: str, fmt: str = "html") -> str:
    return open(os.path.join(s.simple, project, f"index.{fmt}")).read()


@pytest.fixture
def s(tmp_path):
    return store.Store(str(tmp_path / "packages"))


# -- names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filename, why",
    [
        ("index.html", "not a wheel or sdist"),
        ("demo-1.0.tar.bz2", "not a wheel or sdist"),
        ("demo-1.0-py3-none-any.zip.exe", "not a wheel or sdist"),
        ("demo-notaversion-py3-none-any.whl", "not a valid wheel filename"),
        ("demo-1.0-py3.whl", "not a valid wheel filename"),
        ("demo.tar.gz", "not a valid sdist filename"),
        ("../demo-1.0.tar.gz", "bad filename"),
        (".demo-1.0.tar.gz", "bad filename"),
    ],
)
def test_only_wheel_and_sdist_names_are_accepted(filename, why):
    with pytest.raises(Rejected) as err:
        dist.parse_filename(filename)
    assert err.value.status == 400 and why in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    "a, b",
    [
        ("Demo_Tool-1.0.tar.gz", "demo-tool-1.0.tar.gz"),
        ("demo-1.0.tar.gz", "demo-1.0.0.0.tar.gz"),
        ("demo-1.0.tar.gz", "demo-1.0.zip"),
        ("Demo-1.0-py3-none-any.whl", "demo-1.0.0-py3-none-any.whl"),
    ],
)
def test_spellings_of_one_release_file_have_one_key(a, b):
    assert dist.parse_filename(a).key == dist.parse_filename(b).key


def test_different_tags_or_versions_are_different_files():
    keys = {
        dist.parse_filename(f).key
        for f in (
            "demo-1.0-py3-none-any.whl",
            "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
            "demo-1.1-py3-none-any.whl",
            "demo-1.0.tar.gz",
        )
    }
    assert len(keys) == 4


# -- validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "filename, data, why",
    [
        (wheel_name("demo", "1.0"), b"", "empty file"),
        (wheel_name("demo", "1.0"), wheel("demo", "1.0")[:-40], "bad wheel"),
        (wheel_name("demo", "1.0"), b"PK\x03\x04" + b"\0" * 100, "bad wheel"),
        (wheel_name("demo", "1.0"), wheel("demo", "1.0", metadata_name="other"), "name mismatch"),
        (wheel_name("demo", "1.0"), wheel("demo", "1.0", metadata_version="2.0"), "version mismatch"),
        (wheel_name("demo", "1.0"), wheel("demo", "1.0", metadata_version="one"), "invalid version"),
        (wheel_name("demo", "1.0"), wheel("demo", "1.0", requires_python=">=3.x"), "invalid Requires-Python"),
        ("demo-1.0.tar.gz", sdist("demo", "1.0")[:-30], "bad sdist"),
        ("demo-1.0.tar.gz", sdist("demo", "2.0", top="demo-1.0"), "version mismatch"),
    ],
)
def test_bad_files_are_rejected_with_one_line(tmp_path, filename, data, why):
    with pytest.raises(Rejected) as err:
        dist.inspect(body_file(tmp_path, data), dist.parse_filename(filename))
    assert err.value.status == 400 and why in str(err.value) and "\n" not in str(err.value), str(err.value)


def test_inspect_reads_hash_size_metadata_and_requires_python(tmp_path):
    data = wheel("demo", "1.0", requires_python=">=3.12")
    info = dist.inspect(body_file(tmp_path, data), dist.parse_filename(wheel_name("demo", "1.0")))
    assert (info.sha256, info.size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert info.requires_python == ">=3.12"
    assert b"Name: demo\nVersion: 1.0\n" in info.metadata
    sd = dist.inspect(body_file(tmp_path, sdist("demo", "1.0"), "sd"), dist.parse_filename("demo-1.0.tar.gz"))
    assert sd.metadata is None, "no .metadata for sdists (their metadata may be dynamic)"


# -- publishing and pages -------------------------------------------------------------------


def test_publish_writes_the_file_its_metadata_and_both_pages(s, tmp_path):
    data = wheel("demo", "1.0", requires_python=">=3.12")
    filename = wheel_name("demo", "1.0")
    record = publish(s, tmp_path, filename, data)
    assert open(os.path.join(s.root, filename), "rb").read() == data
    metadata = open(os.path.join(s.metadata, filename + ".metadata"), "rb").read()
    assert record["metadata_sha256"] == hashlib.sha256(metadata).hexdigest()

    links = Links(page(s, "demo"))
    assert links.meta == {"pypi:repository-version": "1.1"}, "PEP 629"
    [link] = links.links
    assert link["href"] == f"../../packages/{filename}#sha256={hashlib.sha256(data).hexdigest()}", "relative link"
    assert link["data-requires-python"] == ">=3.12"
    assert link["data-core-metadata"] == link["data-dist-info-metadata"] == f"sha256={record['metadata_sha256']}"
    assert "data-yanked" not in link

    doc = json.loads(page(s, "demo", "json"))
    assert doc["meta"] == {"api-version": "1.1"} and doc["name"] == "demo" and doc["versions"] == ["1.0"]
    [entry] = doc["files"]
    assert entry["url"] == f"../../packages/{filename}" and entry["hashes"] == {
        "sha256": hashlib.sha256(data).hexdigest()
    }
    assert entry["size"] == len(data) and entry["upload-time"].endswith("Z") and entry["yanked"] is False
    assert entry["core-metadata"] == entry["dist-info-metadata"] == {"sha256": record["metadata_sha256"]}
    assert entry["requires-python"] == ">=3.12"

    root = json.loads(open(os.path.join(s.simple, "index.json")).read())
    assert root["projects"] == [{"name": "demo"}]
    assert [a["href"] for a in Links(open(os.path.join(s.simple, "index.html")).read()).links] == ["demo/"]


def test_published_files_and_pages_are_readable_by_another_user(s, tmp_path):
    publish(s, tmp_path, wheel_name("demo", "1.0"), wheel("demo", "1.0"))
    for path in (
        os.path.join(s.root, wheel_name("demo", "1.0")),
        os.path.join(s.simple, "demo", "index.html"),
        os.path.join(s.simple, "demo", "index.json"),
        os.path.join(s.simple, "index.html"),
    ):
        assert os.stat(path).st_mode & 0o004, f"{path} must be world-readable (nginx runs as another user)"


def test_pages_list_versions_oldest_first(s, tmp_path):
    for v in ("1.10", "1.9", "1.0.post1"):
        publish(s, tmp_path, wheel_name("demo", v), wheel("demo", v))
    assert [a["href"].split("#")[0].split("-")[1] for a in Links(page(s, "demo")).links] == ["1.0.post1", "1.9", "1.10"]
    assert json.loads(page(s, "demo", "json"))["versions"] == ["1.0.post1", "1.9", "1.10"]


@pytest.mark.parametrize("second", ["demo-1.0.tar.gz", "Demo-1.0.tar.gz", "demo-1.0.0.0.tar.gz", "demo-1.0.zip"])
def test_the_same_release_file_again_is_a_conflict_and_the_first_stays(s, tmp_path, second):
    first = sdist("demo", "1.0")
    publish(s, tmp_path, "demo-1.0.tar.gz", first)
    with pytest.raises(Rejected) as err:
        publish(s, tmp_path, second, sdist("Demo", "1.0.0.0") if second != "demo-1.0.zip" else b"zip")
    assert err.value.status in (409, 400) and (err.value.status == 409 or second.endswith(".zip"))
    assert open(os.path.join(s.root, "demo-1.0.tar.gz"), "rb").read() == first
    assert sorted(os.listdir(s.root)) == [".incoming", ".index", "demo-1.0.tar.gz"], "no extra file stored"
    assert os.listdir(s.incoming) == []


def _race(root: str, filename: str, data: bytes, barrier, results) -> None:
    st = store.Store(root)
    body = st.receive(io.BytesIO(data))
    barrier.wait()
    try:
        st.publish(filename, body)
        results.put((200, hashlib.sha256(data).hexdigest()))
    except Rejected as err:
        results.put((err.status, hashlib.sha256(data).hexdigest()))
    finally:
        os.unlink(body)


def test_two_processes_publishing_one_name_at_once_one_wins_whole(tmp_path):
    """Two writers as two tasks would be (separate processes, one folder), 20 rounds."""
    ctx = multiprocessing.get_context("fork")
    for i in range(20):
        root = str(tmp_path / f"round-{i}")
        store.Store(root)
        filename = wheel_name("raced", "1.0")
        bodies = [wheel("raced", "1.0", payload=os.urandom(64 * 1024).hex().encode()) for _ in range(2)]
        barrier, results = ctx.Barrier(2), ctx.Queue()
        procs = [ctx.Process(target=_race, args=(root, filename, b, barrier, results)) for b in bodies]
        for p in procs:
            p.start()
        for p in procs:
            p.join(30)
        outcomes = sorted(results.get(timeout=5) for _ in procs)
        assert [status for status, _ in outcomes] == [200, 409], f"round {i}: {outcomes}"
        winner = outcomes[0][1]
        stored = hashlib.sha256(open(os.path.join(root, filename), "rb").read()).hexdigest()
        assert stored == winner, f"round {i}: the stored bytes must be the winner's, whole"
        listed = json.loads(open(os.path.join(root, ".index", "simple", "raced", "index.json")).read())
        assert [f["hashes"]["sha256"] for f in listed["files"]] == [winner]


class FailingStream(io.RawIOBase):
    def __init__(self, data: bytes, fail_after: int):
        self.data, self.fail_after, self.pos = data, fail_after, 0

    def read(self, n=-1):
        if self.pos >= self.fail_after:
            raise OSError(28, "No space left on device")
        chunk = self.data[self.pos : min(self.pos + max(n, 1), self.fail_after)]
        self.pos += len(chunk)
        return chunk


def test_a_body_failing_half_way_leaves_nothing(s):
    data = wheel("demo", "1.0", payload=os.urandom(3 << 20).hex().encode())
    with pytest.raises(OSError):
        s.receive(FailingStream(data, len(data) // 2))
    assert os.listdir(s.incoming) == [] and sorted(os.listdir(s.root)) == [".incoming", ".index"]


def test_a_publish_failing_after_the_link_takes_everything_back_and_a_retry_succeeds(s, tmp_path, monkeypatch):
    filename, data = wheel_name("demo", "1.0"), wheel("demo", "1.0")
    real = s._write_atomic

    def disk_full(path, content):
        if path.endswith("index.json"):
            raise OSError(28, "No space left on device")
        real(path, content)

    monkeypatch.setattr(s, "_write_atomic", disk_full)
    with pytest.raises(OSError):
        publish(s, tmp_path, filename, data)
    assert not os.path.exists(os.path.join(s.root, filename)), "no half-published file"
    assert s.read_project("demo") == {}
    monkeypatch.setattr(s, "_write_atomic", real)
    publish(s, tmp_path, filename, data)
    assert [a["href"].split("#")[1] for a in Links(page(s, "demo")).links] == [
        f"sha256={hashlib.sha256(data).hexdigest()}"
    ]


def test_a_publish_killed_between_link_and_records_is_finished_by_the_same_retry(s, tmp_path):
    filename, data = wheel_name("demo", "1.0"), wheel("demo", "1.0")
    os.link(body_file(tmp_path, data, "earlier"), os.path.join(s.root, filename))  # the link, then the kill
    publish(s, tmp_path, filename, data)
    assert [a["href"].split("/")[-1].split("#")[0] for a in Links(page(s, "demo")).links] == [filename]
    other = wheel("demo", "1.0", payload=b"different")
    with pytest.raises(Rejected) as err:
        publish(s, tmp_path, wheel_name("demo", "1.0"), other)
    assert err.value.status == 409


def test_remove_and_yank(s, tmp_path):
    for v in ("1.0", "2.0"):
        publish(s, tmp_path, wheel_name("demo", v), wheel("demo", v))
    assert s.yank("Demo", "2.0.0", "broken build") == 1, "names normalized, versions compared by PEP 440"
    yanked = {a["href"].split("/")[-1].split("#")[0]: a.get("data-yanked") for a in Links(page(s, "demo")).links}
    assert yanked == {wheel_name("demo", "1.0"): None, wheel_name("demo", "2.0"): "broken build"}
    assert [f["yanked"] for f in json.loads(page(s, "demo", "json"))["files"]] == [False, "broken build"]
    s.yank("demo", "2.0", None)
    assert all("data-yanked" not in a for a in Links(page(s, "demo")).links)

    [release] = s.find_version("DEMO", "1.0.0")
    s.remove(release)
    assert not os.path.exists(os.path.join(s.root, wheel_name("demo", "1.0")))
    assert not os.path.exists(os.path.join(s.metadata, wheel_name("demo", "1.0") + ".metadata"))
    assert len(Links(page(s, "demo")).links) == 1
    s.remove(s.find_version("demo", "2.0")[0])
    assert json.loads(open(os.path.join(s.simple, "index.json")).read())["projects"] == []
    assert not os.path.exists(os.path.join(s.simple, "demo"))


def test_yank_of_an_unknown_release_is_404(s):
    with pytest.raises(Rejected) as err:
        s.yank("nothing", "1.0", "why")
    assert err.value.status == 404


# -- out-of-band changes ---------------------------------------------------------------------


def aged(path, seconds: float = 60) -> None:
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


def age_folder(s) -> None:
    aged(s.root)


def test_scanner_indexes_copied_in_files_and_drops_removed_ones(s):
    scanner = scan.Scanner(s)
    scanner.poll()
    path = os.path.join(s.root, wheel_name("copied", "1.0"))
    open(path, "wb").write(wheel("copied", "1.0"))
    aged(path)
    age_folder(s)
    assert scanner.poll() is True
    assert [f["filename"] for f in json.loads(page(s, "copied", "json"))["files"]] == [wheel_name("copied", "1.0")]
    os.unlink(path)
    age_folder(s)
    scanner.poll()
    assert not os.path.exists(os.path.join(s.simple, "copied")), "a removed file leaves the pages"


def test_scanner_waits_for_a_copy_in_progress(s):
    scanner = scan.Scanner(s, settle_seconds=0.5)
    scanner.poll()
    data = wheel("copying", "1.0")
    path = os.path.join(s.root, wheel_name("copying", "1.0"))
    open(path, "wb").write(data[: len(data) // 2])  # half copied, just now
    scanner.poll()
    assert s.read_project("copying") == {}, "a file still changing is not listed"
    aged(path, 5)
    scanner.poll()
    assert s.read_project("copying") == {}, "a truncated file is never listed"
    open(path, "wb").write(data)  # the copy resumes and completes (same folder mtime)
    aged(path, 5)
    age_folder(s)
    scanner.poll()
    assert list(s.read_project("copying")) == [wheel_name("copying", "1.0")]


def test_idle_scanner_does_not_list_the_folder(s, monkeypatch):
    for i in range(3):
        p = os.path.join(s.root, wheel_name(f"p{i}", "1.0"))
        open(p, "wb").write(wheel(f"p{i}", "1.0"))
        aged(p)
    age_folder(s)
    scanner = scan.Scanner(s)
    scanner.poll()
    listings = []
    real = os.scandir
    monkeypatch.setattr(scan.os, "scandir", lambda *a: listings.append(a) or real(*a))
    for _ in range(5):
        assert scanner.poll() is False
    assert listings == [], "no change, no listing: idle cost is one stat"


def test_restart_does_not_read_known_files_again(s, monkeypatch, tmp_path):
    publish(s, tmp_path, wheel_name("known", "1.0"), wheel("known", "1.0"))
    aged(os.path.join(s.root, wheel_name("known", "1.0")))
    age_folder(s)
    inspected = []
    monkeypatch.setattr(scan, "inspect", lambda *a: inspected.append(a))
    assert scan.Scanner(store.Store(s.root)).poll() is False
    assert inspected == [], "hashes are kept: a restart reads records, not package files"


def test_scanner_does_not_list_a_spelling_variant_of_a_published_file(s, tmp_path):
    publish(s, tmp_path, "demo-1.0.tar.gz", sdist("demo", "1.0"))
    variant = os.path.join(s.root, "Demo-1.0.0.tar.gz")
    open(variant, "wb").write(sdist("Demo", "1.0.0"))
    aged(variant)
    age_folder(s)
    scan.Scanner(s).poll()
    assert list(s.read_project("demo")) == ["demo-1.0.tar.gz"]


def test_first_pass_removes_abandoned_upload_bodies_only(s):
    old = os.path.join(s.incoming, "upload-old")
    fresh = os.path.join(s.incoming, "upload-fresh")
    for path in (old, fresh):
        open(path, "wb").write(b"partial body")
    aged(old, scan.ABANDONED_UPLOAD_SECONDS + 10)
    scan.Scanner(s).poll()
    assert os.listdir(s.incoming) == ["upload-fresh"], "a body still being received is left alone"


def test_a_yank_without_reason_is_true_in_json_and_empty_in_html(s, tmp_path):
    publish(s, tmp_path, wheel_name("demo", "1.0"), wheel("demo", "1.0"))
    s.yank("demo", "1.0", "")
    assert Links(page(s, "demo")).links[0]["data-yanked"] == ""
    assert json.loads(page(s, "demo", "json"))["files"][0]["yanked"] is True


def test_first_pass_writes_the_project_list_once(s, monkeypatch):
    for i in range(5):
        p = os.path.join(s.root, wheel_name(f"many-{i}", "1.0"))
        open(p, "wb").write(wheel(f"many-{i}", "1.0"))
        aged(p)
    age_folder(s)
    writes = []
    real = s._write_root
    monkeypatch.setattr(s, "_write_root", lambda: writes.append(1) or real())
    scan.Scanner(s).poll()
    assert len(writes) == 1, "one project list per pass, not one per new project (quadratic at 25k projects)"
    assert [p["name"] for p in json.loads(open(os.path.join(s.simple, "index.json")).read())["projects"]] == [
        f"many-{i}" for i in range(5)
    ]


# -- names never become paths ------------------------------------------------------------------


@pytest.mark.parametrize("how", ["absolute", "nul", "long"])
def test_remove_and_yank_names_never_become_paths(s, tmp_path, how):
    outside = tmp_path / "outside"
    outside.mkdir()
    # What a path-built name would reach: records and a page dir outside the package folder.
    planted = {"project": "x", "files": {wheel_name("demo", "1.0"): {"filename": wheel_name("demo", "1.0")}}}
    (outside / "evil.json").write_text(json.dumps(planted))
    name = {"absolute": str(outside / "evil"), "nul": "evil\0name", "long": "e" * 300}[how]
    for call in (lambda: s.find_version(name, "1.0"), lambda: s.yank(name, "1.0", "x")):
        with pytest.raises(Rejected) as err:
            call()
        assert err.value.status == 400 and "\n" not in str(err.value)
    assert json.loads((outside / "evil.json").read_text()) == planted, "nothing outside the folder is touched"
    assert sorted(p.name for p in outside.iterdir()) == ["evil.json"]


def test_a_yank_reason_beyond_the_limit_is_a_400(s, tmp_path):
    publish(s, tmp_path, wheel_name("demo", "1.0"), wheel("demo", "1.0"))
    with pytest.raises(Rejected) as err:
        s.yank("demo", "1.0", "r" * (limits.MAX_YANK_REASON_CHARS + 1))
    assert err.value.status == 400 and str(limits.MAX_YANK_REASON_CHARS) in str(err.value)
    assert "data-yanked" not in page(s, "demo")
    assert s.yank("demo", "1.0", "r" * limits.MAX_YANK_REASON_CHARS) == 1


# -- conflicts before work, filenames never reused -----------------------------------------------


def test_a_duplicate_is_refused_before_its_body_is_inspected(s, tmp_path, monkeypatch):
    publish(s, tmp_path, wheel_name("demo", "1.0"), wheel("demo", "1.0"))
    inspected = []
    monkeypatch.setattr(store, "inspect", lambda *a, **k: inspected.append(a))
    for name in (wheel_name("demo", "1.0"), wheel_name("Demo", "1.0.0")):
        with pytest.raises(Rejected) as err:
            publish(s, tmp_path, name, wheel("demo", "1.0", payload=b"other"))
        assert err.value.status == 409
    assert inspected == [], "the conflict is known from the records: the body is never read"


def test_a_removed_filename_is_never_reused_with_other_bytes(s, tmp_path):
    filename, first = wheel_name("demo", "1.0"), wheel("demo", "1.0")
    publish(s, tmp_path, filename, first)
    s.remove(s.find_version("demo", "1.0")[0])
    with pytest.raises(Rejected) as err:
        publish(s, tmp_path, filename, wheel("demo", "1.0", payload=b"other bytes"))
    assert err.value.status == 409 and "never reused" in str(err.value)
    assert not os.path.exists(os.path.join(s.root, filename))
    publish(s, tmp_path, filename, first)  # the same bytes again: a restore
    assert [a["href"].split("#")[1] for a in Links(page(s, "demo")).links] == [
        f"sha256={hashlib.sha256(first).hexdigest()}"
    ]


# -- damaged and lost state -------------------------------------------------------------------------


def test_a_deleted_index_folder_does_not_fail_an_upload(s, tmp_path):
    publish(s, tmp_path, wheel_name("demo", "1.0"), wheel("demo", "1.0"))
    shutil.rmtree(s.index)
    body = s.receive(io.BytesIO(wheel("demo", "2.0")))
    s.publish(wheel_name("demo", "2.0"), body)
    os.unlink(body)
    assert wheel_name("demo", "2.0") in page(s, "demo"), "the upload recreates what it needs"


def test_an_upload_in_flight_survives_the_index_folder_being_deleted(s):
    body = s.receive(io.BytesIO(wheel("demo", "1.0")))  # received, not yet published
    shutil.rmtree(s.index)
    s.publish(wheel_name("demo", "1.0"), body)
    os.unlink(body)
    assert wheel_name("demo", "1.0") in page(s, "demo")


def test_a_folder_deleted_under_a_write_is_made_again_and_the_write_done(s, tmp_path, monkeypatch):
    real, deleted = os.replace, []

    def admin_deletes_index_first(src, dst):
        if not deleted:  # rm -rf .index/ lands between the temp file and its rename
            deleted.append(dst)
            shutil.rmtree(s.index)
        return real(src, dst)

    monkeypatch.setattr(store.os, "replace", admin_deletes_index_first)
    publish(s, tmp_path, wheel_name("demo", "1.0"), wheel("demo", "1.0"))
    assert deleted and wheel_name("demo", "1.0") in page(s, "demo")


def test_damaged_records_fail_no_upload_and_a_removal_is_asked_to_retry(s, tmp_path):
    publish(s, tmp_path, wheel_name("demo", "1.0"), wheel("demo", "1.0"))
    records = os.path.join(s.projects, "demo.json")
    data = open(records, "rb").read()
    open(records, "wb").write(data[: len(data) // 2])
    with pytest.raises(Rejected) as err:
        s.find_version("demo", "1.0")
    assert err.value.status == 503 and "retry" in str(err.value)
    publish(s, tmp_path, wheel_name("demo", "2.0"), wheel("demo", "2.0"))
    assert s.rebuild_requests() == {"demo"}, "the scanner is asked to list the project's files again"


def test_yank_state_lives_in_the_ledger_beside_the_files(s, tmp_path):
    publish(s, tmp_path, wheel_name("demo", "1.0"), wheel("demo", "1.0"))
    s.yank("demo", "1.0", "CVE-2099-1")
    assert s.ledger.yanked() == {wheel_name("demo", "1.0"): "CVE-2099-1"}
    assert os.path.commonpath([s.ledger.dir, s.index]) != s.index, "not under .index/, which rebuilds"
    s.yank("demo", "1.0", None)
    assert s.ledger.yanked() == {}
