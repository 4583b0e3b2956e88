"""The benchmark's repository generator (tools/repo_gen.py)."""

from __future__ import annotations

import base64
import hashlib
import zipfile

import pytest

from tools import repo_gen


def test_generates_packages_times_versions_wheels(tmp_path):
    wheels = repo_gen.generate(tmp_path, packages=3, versions=2, payload_bytes=64)
    assert len(wheels) == 6 and len(list(tmp_path.glob("*.whl"))) == 6, "3 packages x 2 versions"
    assert {w.project for w in wheels} == {"bench-pkg-000", "bench-pkg-001", "bench-pkg-002"}


def test_wheels_carry_a_record_that_matches_their_contents(tmp_path):
    wheel = repo_gen.generate(tmp_path, packages=1, versions=1, payload_bytes=128)[0]
    with zipfile.ZipFile(tmp_path / wheel.filename) as zf:
        record = zf.read("bench_pkg_000-1.0.0.dist-info/RECORD").decode().splitlines()
        for line in record:
            path, digest, size = line.split(",")
            if not digest:
                continue  # RECORD lists itself without a hash
            data = zf.read(path)
            expected = "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert (digest, int(size)) == (expected, len(data)), f"RECORD entry for {path} must match the file"


def test_generation_is_deterministic(tmp_path):
    a = repo_gen.generate(tmp_path / "a", packages=2, versions=2, payload_bytes=256)
    repo_gen.generate(tmp_path / "b", packages=2, versions=2, payload_bytes=256)
    for w in a:
        assert (tmp_path / "a" / w.filename).read_bytes() == (tmp_path / "b" / w.filename).read_bytes(), (
            f"{w.filename} must be byte-identical between runs"
        )


def test_generated_files_look_published_long_ago(tmp_path):
    wheel = repo_gen.generate(tmp_path, packages=1, versions=1, payload_bytes=0)[0]
    assert (tmp_path / wheel.filename).stat().st_mtime == repo_gen.PUBLISHED_AT.timestamp(), (
        "an old mtime: the front lists only files that are no longer being written"
    )


def test_a_new_wheel_is_dated_now(tmp_path):
    wheel = repo_gen.write_wheel(tmp_path, "fresh", "1.0", b"", published=False)
    assert (tmp_path / wheel.filename).stat().st_mtime > repo_gen.PUBLISHED_AT.timestamp()


def test_bad_count_is_a_one_line_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        repo_gen.main(["/tmp/unused", "--packages", "0"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--packages" in err, f"one line naming the flag, got {err!r}"
