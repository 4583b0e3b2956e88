"""pypi_index/archive.py: the end records and tar headers it reads itself, compared with what
`zipfile` and `tarfile` write."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile

import pytest

from pypi_index import archive
from tests.support.index_support import tar_gz_of


def test_zip64_end_records_give_the_real_member_count(tmp_path):
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        for i in range(0x10000 + 5):  # past the classic record's 16-bit count: zipfile writes zip64 records
            zf.writestr(f"m{i}", b"")
    members, directory = archive.zip_directory_size(str(path), path.stat().st_size)
    with zipfile.ZipFile(path) as zf:
        assert members == len(zf.infolist()) == 0x10005
        assert directory == sum(46 + len(i.filename) + len(i.extra) for i in zf.infolist())


@pytest.mark.parametrize("cut", [1, 22, 1000])
def test_a_zip_without_its_end_record_is_unreadable(tmp_path, cut):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a", b"x" * 2000)
    path = tmp_path / "cut.zip"
    path.write_bytes(buf.getvalue()[:-cut])
    with pytest.raises(archive.Unreadable), archive.open_zip(str(path), path.stat().st_size):
        pass


def members_of(tmp_path, data: bytes, wanted=lambda name: True) -> list[tuple[str, bytes]]:
    path = tmp_path / "a.tar.gz"
    path.write_bytes(data)
    return archive.tar_gz_members(str(path), len(data), wanted, 1 << 20)


@pytest.mark.parametrize("fmt", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_names_come_out_as_tarfile_wrote_them(tmp_path, fmt):
    names = ["pkg/PKG-INFO", "pkg/" + "long/" * 40 + "x.py", "pkg/" + "p" * 120 + "/y.py"]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=fmt) as tf:
        for name in names:
            info = tarfile.TarInfo(name)
            info.size = len(name)
            tf.addfile(info, io.BytesIO(name.encode()))
    assert members_of(tmp_path, buf.getvalue()) == [(n, n.encode()) for n in names]


def test_a_damaged_header_is_unreadable(tmp_path):
    raw = bytearray(tarfile.TarInfo("pkg/PKG-INFO").tobuf(tarfile.USTAR_FORMAT) + b"\0" * 1024)
    raw[0] ^= 0xFF  # the name changes, the checksum does not
    with pytest.raises(archive.Unreadable, match="checksum"):
        members_of(tmp_path, gzip.compress(bytes(raw)))


def test_nothing_after_the_end_marker_is_read(tmp_path):
    data = tar_gz_of([("pkg/PKG-INFO", b"x")])
    # A second gzip member after the archive's end: garbage that would fail if it were read.
    assert members_of(tmp_path, data + gzip.compress(b"\xff" * 4096)) == [("pkg/PKG-INFO", b"x")]
