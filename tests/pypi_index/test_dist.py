"""pypi_index/dist.py against hostile names and archives: every bad file is one 400 line,
nothing else escapes, and the limits (pypi_index/limits.py) hold before anything is inflated.

Bombs are built small: their members are zeros streamed through the compressor, or their
directories are crafted; none is ever written out at its unpacked size."""

from __future__ import annotations

import zipfile

import pytest

from pypi_index import dist, limits
from pypi_index.dist import Rejected
from tests.support.index_support import (
    patch_zip_member,
    sdist,
    tar_gz_of,
    wheel,
    wheel_files,
    wheel_name,
    zip_of,
)

META = "demo-1.0.dist-info/METADATA"


def inspect_bytes(tmp_path, filename: str, data: bytes) -> dist.Inspected:
    path = tmp_path / "body"
    path.write_bytes(data)
    return dist.inspect(str(path), dist.parse_filename(filename))


def rejected(tmp_path, filename: str, data: bytes) -> str:
    with pytest.raises(Rejected) as err:
        inspect_bytes(tmp_path, filename, data)
    message = str(err.value)
    assert err.value.status == 400 and "\n" not in message, message
    return message


@pytest.fixture
def inflations(monkeypatch):
    """Members opened for inflation (zip) during a test: a bomb refused from its directory
    opens none."""
    opened: list[str] = []
    real = zipfile.ZipFile.open

    def spy(self, name, mode="r", *args, **kwargs):
        if mode == "r":  # building the test's archive writes members: not an inflation
            opened.append(getattr(name, "filename", name))
        return real(self, name, mode, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    return opened


# -- names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filename",
    [
        "a+b-1.0.tar.gz",
        "_-1.0.tar.gz",
        "-lead-1.0.tar.gz",
        "requeſts-1.0.tar.gz",  # U+017F, which case-insensitive matching folds to 's'
        "pıp-1.0-py3-none-any.whl",  # U+0131, which folds to 'i'
        "requeſts-1.0-py3-none-any.whl",
    ],
)
def test_names_must_be_ascii_pep_508_names(filename):
    with pytest.raises(Rejected) as err:
        dist.parse_filename(filename)
    assert err.value.status == 400 and "\n" not in str(err.value)


def test_a_name_longer_than_the_limit_is_a_400_not_an_os_error():
    filename = "a" * (limits.MAX_FILENAME_BYTES + 1 - len("-1.0.tar.gz")) + "-1.0.tar.gz"
    with pytest.raises(Rejected) as err:
        dist.parse_filename(filename)
    assert err.value.status == 400 and str(limits.MAX_FILENAME_BYTES) in str(err.value)
    assert dist.parse_filename("a" * (limits.MAX_FILENAME_BYTES - len("-1.0.tar.gz")) + "-1.0.tar.gz")


def test_legacy_sdist_names_with_dashes_still_parse():
    assert dist.parse_filename("Foo-Bar-1.0.tar.gz").project == "foo-bar"


@pytest.mark.parametrize("name", ["/etc/passwd", "../x", "a\0b", "x" * 300, "requeſts", "-lead"])
def test_project_names_of_remove_and_yank_are_checked(name):
    with pytest.raises(Rejected) as err:
        dist.check_project_name(name)
    assert err.value.status == 400 and "\n" not in str(err.value)


# -- wheel structure -------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["WHEEL", "RECORD"])
def test_a_wheel_without_wheel_or_record_is_refused(tmp_path, missing):
    files = wheel_files("demo", "1.0")
    del files[f"demo-1.0.dist-info/{missing}"]
    assert missing in rejected(tmp_path, wheel_name("demo", "1.0"), zip_of(files))


def test_a_wheel_whose_dist_info_names_another_release_is_refused(tmp_path):
    files = {k.replace("demo-1.0.dist-info", "demo-2.0.dist-info"): v for k, v in wheel_files("demo", "1.0").items()}
    assert "does not match" in rejected(tmp_path, wheel_name("demo", "1.0"), zip_of(files))


def test_a_wheel_with_two_dist_info_folders_is_refused(tmp_path):
    files = {**wheel_files("demo", "1.0"), **wheel_files("other", "1.0")}
    assert "2 top-level .dist-info" in rejected(tmp_path, wheel_name("demo", "1.0"), zip_of(files))


# -- members zipfile cannot read: one 400, never another exception ----------------------------------


def test_an_encrypted_member_is_refused_from_the_directory(tmp_path, inflations):
    data = patch_zip_member(wheel("demo", "1.0"), "demo/__init__.py", flag_bits=0x1)
    assert "encrypted" in rejected(tmp_path, wheel_name("demo", "1.0"), data)
    assert inflations == []


def test_a_deflate64_member_is_refused_from_the_directory(tmp_path, inflations):
    data = patch_zip_member(wheel("demo", "1.0"), "demo/__init__.py", method=9)
    assert "method 9" in rejected(tmp_path, wheel_name("demo", "1.0"), data)
    assert inflations == []


def test_a_corrupt_deflate_stream_is_a_400(tmp_path):
    files = wheel_files("demo", "1.0", payload=b"compressible " * 200)
    data = bytearray(zip_of(files))
    at = data.index(b"demo/__init__.py") + len("demo/__init__.py")  # the member's data follows its name
    data[at : at + 40] = b"\xff" * 40
    assert "bad wheel" in rejected(tmp_path, wheel_name("demo", "1.0"), bytes(data))


# -- bombs -----------------------------------------------------------------------------------------


def test_metadata_beyond_the_limit_is_refused_from_the_directory(tmp_path, inflations):
    files = wheel_files("demo", "1.0")
    files[META] = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n\n" + b"\0" * limits.MAX_METADATA_BYTES
    data = zip_of(files)
    assert len(data) < limits.MAX_METADATA_BYTES // 100, "deflate makes it small"
    message = rejected(tmp_path, wheel_name("demo", "1.0"), data)
    assert "METADATA" in message and str(limits.MAX_METADATA_BYTES) in message
    assert META not in inflations


def test_a_wheel_unpacking_beyond_the_ratio_is_refused_before_any_member_is_inflated(tmp_path, inflations):
    files = wheel_files("demo", "1.0")
    files["demo/zeros.bin"] = bytes(limits.UNPACK_FLOOR_BYTES + 1)  # ~65 KiB once deflated
    data = zip_of(files)
    assert "unpacks to" in rejected(tmp_path, wheel_name("demo", "1.0"), data)
    assert inflations == []


def test_a_wheel_with_more_members_than_the_limit_is_refused_from_its_end_record(tmp_path, monkeypatch):
    files = wheel_files("demo", "1.0")
    files.update({f"demo/m{i}.py": b"" for i in range(limits.MAX_ARCHIVE_MEMBERS)})
    data = zip_of(files, zipfile.ZIP_STORED)
    monkeypatch.setattr(zipfile, "ZipFile", None)  # never reached: the end record decides
    message = rejected(tmp_path, wheel_name("demo", "1.0"), data)
    assert f"{len(files)} members" in message


def test_an_sdist_with_more_members_than_the_limit_is_refused(tmp_path):
    pkg_info = ("demo-1.0/PKG-INFO", b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n")
    data = tar_gz_of([pkg_info], extra_empty_members=limits.MAX_ARCHIVE_MEMBERS)
    assert f"{limits.MAX_ARCHIVE_MEMBERS + 1} members" in rejected(tmp_path, "demo-1.0.tar.gz", data)


def test_an_sdist_unpacking_beyond_the_ratio_is_refused_at_that_header(tmp_path):
    pkg_info = ("demo-1.0/PKG-INFO", b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n")
    data = tar_gz_of([pkg_info], zeros=limits.UNPACK_FLOOR_BYTES + 1)
    assert len(data) < 1 << 20
    assert "unpacks to" in rejected(tmp_path, "demo-1.0.tar.gz", data)


def test_a_pkg_info_beyond_the_limit_is_refused(tmp_path):
    big = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n\n" + b"\0" * limits.MAX_METADATA_BYTES
    assert "PKG-INFO" in rejected(tmp_path, "demo-1.0.tar.gz", tar_gz_of([("demo-1.0/PKG-INFO", big)]))


def test_a_huge_extended_tar_header_is_refused_before_it_is_read(tmp_path):
    import io
    import tarfile

    info = tarfile.TarInfo("demo-1.0/PKG-INFO")
    info.pax_headers = {"comment": "x" * (limits.MAX_TAR_EXTENDED_HEADER_BYTES + 1)}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT) as tf:
        tf.addfile(info, io.BytesIO(b""))
    assert "extended tar header" in rejected(tmp_path, "demo-1.0.tar.gz", buf.getvalue())


# -- what still passes -------------------------------------------------------------------------


def test_real_archives_pass_with_their_metadata(tmp_path):
    info = inspect_bytes(tmp_path, wheel_name("demo", "1.0"), wheel("demo", "1.0", requires_python=">=3.11"))
    assert info.requires_python == ">=3.11" and b"Name: demo" in info.metadata
    assert inspect_bytes(tmp_path, "demo-1.0.tar.gz", sdist("demo", "1.0")).metadata is None


def test_a_pax_sdist_with_a_long_path_passes(tmp_path):
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT) as tf:
        for name, data in (
            ("demo-1.0/PKG-INFO", b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"),
            ("demo-1.0/" + "d/" * 80 + "deep.py", b"x = 1\n"),
            ("demo-1.0/é.txt", b"non-ASCII names need PAX records"),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    assert inspect_bytes(tmp_path, "demo-1.0.tar.gz", buf.getvalue()).size == len(buf.getvalue())
