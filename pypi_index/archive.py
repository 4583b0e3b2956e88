"""Reading a distribution archive within the limits (limits.py): the directory first, then
only what is needed, and never more than declared.

A zip's end-of-central-directory record says how many members it has and how large its
central directory is: both are checked before `zipfile` reads that directory. The directory
then gives every member's declared size, method and flags: an encrypted member, a method
`zipfile` cannot inflate (deflate64, ...) or an unpacked total beyond the limit is refused
before any member is inflated; members are then inflated once each, in chunks, to check their
CRCs (`zipfile` stops every member at its declared size).

A tar is read header by header from its gzip stream, without `tarfile` (which reads extended
headers and the member list into memory whatever their size): each header's checksum, size
and count are checked before its data is skipped or read.

Every way a hostile or damaged archive can fail to read is raised as `Unreadable` (one line);
an error of the disk itself (EIO) is not the archive's fault and propagates.
"""

from __future__ import annotations

import errno
import gzip
import lzma
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from . import limits

CHUNK = 1 << 20

# What `zipfile` can inflate; wheels use deflate (or store).
ZIP_METHODS = {
    zipfile.ZIP_STORED: "stored",
    zipfile.ZIP_DEFLATED: "deflate",
    zipfile.ZIP_BZIP2: "bzip2",
    zipfile.ZIP_LZMA: "lzma",
}
_EOCD = struct.Struct("<4s4H2LH")
_EOCD_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"
_MAX_COMMENT = 0xFFFF


class Unreadable(Exception):
    """The archive is damaged, hostile or beyond a limit; str() is one line saying how."""


def _is_archive_fault(err: BaseException) -> bool:
    if isinstance(err, OSError) and not isinstance(err, gzip.BadGzipFile):
        # A seek before the start (a lying offset) is the archive's; EIO and friends are not.
        return err.errno in (None, errno.EINVAL)
    return isinstance(
        err,
        zipfile.BadZipFile
        | gzip.BadGzipFile
        | zlib.error
        | lzma.LZMAError
        | EOFError
        | NotImplementedError
        | RuntimeError
        | ValueError
        | struct.error,
    )


@contextmanager
def _as_unreadable() -> Iterator[None]:
    try:
        yield
    except Unreadable:
        raise
    except Exception as err:
        if not _is_archive_fault(err):
            raise
        raise Unreadable(" ".join(f"{type(err).__name__}: {err}".split())) from None


def _check_count(members: int) -> None:
    if members > limits.MAX_ARCHIVE_MEMBERS:
        raise Unreadable(f"{members} members (at most {limits.MAX_ARCHIVE_MEMBERS})")


def _check_unpacked(total: int, archive_size: int) -> None:
    allowed = limits.max_unpacked_bytes(archive_size)
    if total > allowed:
        raise Unreadable(
            f"unpacks to {total} bytes, more than {allowed} for a {archive_size}-byte archive "
            f"({limits.UNPACK_RATIO}:1, at least {limits.UNPACK_FLOOR_BYTES}, at most {limits.MAX_UNPACKED_BYTES})"
        )


# -- zip ---------------------------------------------------------------------------------


def zip_directory_size(path: str, archive_size: int) -> tuple[int, int]:
    """(members, central directory bytes) from the end records, read without `zipfile`."""
    tail_size = min(archive_size, _EOCD.size + _MAX_COMMENT + _ZIP64_LOCATOR.size)
    with open(path, "rb") as f:
        f.seek(archive_size - tail_size)
        tail = f.read(tail_size)
        at = tail.rfind(_EOCD_SIGNATURE)
        if at < 0 or len(tail) - at < _EOCD.size:
            raise Unreadable("no zip end-of-central-directory record (truncated, or not a zip)")
        _, _, _, _, members, directory_size, _, _ = _EOCD.unpack_from(tail, at)
        if at >= _ZIP64_LOCATOR.size and tail[at - _ZIP64_LOCATOR.size :].startswith(_ZIP64_LOCATOR_SIGNATURE):
            _, _, offset, _ = _ZIP64_LOCATOR.unpack_from(tail, at - _ZIP64_LOCATOR.size)
            if offset + _ZIP64_EOCD.size > archive_size:
                raise Unreadable("zip64 end record beyond the end of the file")
            f.seek(offset)
            record = f.read(_ZIP64_EOCD.size)
            if not record.startswith(_ZIP64_EOCD_SIGNATURE):
                raise Unreadable("zip64 end record missing")
            fields = _ZIP64_EOCD.unpack(record)
            members, directory_size = fields[7], fields[8]
    return members, directory_size


def _check_zip_directory(path: str, archive_size: int) -> None:
    members, directory_size = zip_directory_size(path, archive_size)
    _check_count(members)
    if directory_size > limits.MAX_ZIP_DIRECTORY_BYTES:
        raise Unreadable(f"zip central directory of {directory_size} bytes (at most {limits.MAX_ZIP_DIRECTORY_BYTES})")


def _check_zip_members(zf: zipfile.ZipFile, archive_size: int) -> None:
    infos = zf.infolist()
    _check_count(len(infos))
    for info in infos:
        if info.flag_bits & 0x1:
            raise Unreadable(f"{info.filename} is encrypted")
        if info.compress_type not in ZIP_METHODS:
            raise Unreadable(
                f"{info.filename} uses zip method {info.compress_type} (allowed: {', '.join(ZIP_METHODS.values())})"
            )
    _check_unpacked(sum(i.file_size for i in infos), archive_size)


@contextmanager
def open_zip(path: str, archive_size: int) -> Iterator[zipfile.ZipFile]:
    """The zip, once its directory is within the limits; errors reading it are Unreadable."""
    with _as_unreadable():
        _check_zip_directory(path, archive_size)
        with zipfile.ZipFile(path) as zf:
            _check_zip_members(zf, archive_size)
            yield zf


def verify_zip(zf: zipfile.ZipFile) -> None:
    """Inflate every member once, in chunks, checking its CRC (a truncated or mixed body
    fails here, not at install time)."""
    with _as_unreadable():
        for info in zf.infolist():
            try:
                with zf.open(info) as member:
                    while member.read(CHUNK):
                        pass
            except zipfile.BadZipFile as err:
                raise Unreadable(f"{info.filename}: {err}") from None


def check_zip_member_size(zf: zipfile.ZipFile, name: str, limit: int) -> None:
    """A member's declared size, from the directory."""
    size = zf.getinfo(name).file_size
    if size > limit:
        raise Unreadable(f"{name} is {size} bytes (at most {limit})")


def read_zip_member(zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """A member's bytes, reading at most limit + 1 of them."""
    with _as_unreadable():
        check_zip_member_size(zf, name, limit)
        with zf.open(zf.getinfo(name)) as member:
            data = member.read(limit + 1)
        if len(data) > limit:
            raise Unreadable(f"{name} is more than {limit} bytes")
        return data


# -- tar.gz ------------------------------------------------------------------------------

_BLOCK = 512
_REGULAR = (b"0", b"\0", b"7")
_NO_DATA = (b"1", b"2", b"3", b"4", b"5", b"6")  # links, devices, folders, FIFOs
_PAX = (b"x", b"g")
_GNU_LONG = (b"L", b"K")


def _number(field: bytes) -> int:
    if field[:1] in (b"\x80", b"\xff"):  # GNU base-256 (sizes of 8 GiB and more)
        value = int.from_bytes(field[1:], "big")
        return value if field[0] == 0x80 else value - (1 << (8 * (len(field) - 1)))
    text = field.split(b"\0", 1)[0].strip()
    return int(text, 8) if text else 0


def _checksum_ok(header: bytes) -> bool:
    return _number(header[148:156]) == sum(header[:148]) + 8 * 32 + sum(header[156:])


def _read_exact(stream, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise Unreadable("unexpected end of the archive (truncated)")
    return data


def _skip(stream, size: int) -> None:
    left = size
    while left:
        got = stream.read(min(CHUNK, left))
        if not got:
            raise Unreadable("unexpected end of the archive (truncated)")
        left -= len(got)


def _padded(size: int) -> int:
    return -(-size // _BLOCK) * _BLOCK


def _pax_records(data: bytes) -> dict[str, str]:
    records, at = {}, 0
    while at < len(data):
        length_text, _, _ = data[at : at + 20].partition(b" ")
        length = int(length_text)
        if length <= 0 or at + length > len(data):
            raise Unreadable("malformed PAX header")
        key, _, value = data[at + len(length_text) + 1 : at + length - 1].partition(b"=")
        records[key.decode("utf-8", "replace")] = value.decode("utf-8", "replace")
        at += length
    return records


def tar_gz_members(path: str, archive_size: int, wanted: Callable[[str], bool], limit: int) -> list[tuple[str, bytes]]:
    """The regular members whose names `wanted` accepts, read whole (each at most `limit`
    bytes), after every header of the archive has passed the limits."""
    found: list[tuple[str, bytes]] = []
    members = unpacked = 0
    with _as_unreadable(), gzip.open(path, "rb") as stream:
        override: dict[str, str] = {}
        while True:
            header = stream.read(_BLOCK)
            if len(header) < _BLOCK and header:
                raise Unreadable("unexpected end of the archive (truncated)")
            if not header or header == b"\0" * _BLOCK:
                break  # the end-of-archive marker: anything after it is never read
            if not _checksum_ok(header):
                raise Unreadable(f"bad tar header checksum after {members} members")
            kind, size = header[156:157], _number(header[124:136])
            if kind in _PAX or kind in _GNU_LONG:
                if size > limits.MAX_TAR_EXTENDED_HEADER_BYTES:
                    raise Unreadable(
                        f"extended tar header of {size} bytes (at most {limits.MAX_TAR_EXTENDED_HEADER_BYTES})"
                    )
                data = _read_exact(stream, _padded(size))[:size]
                if kind == b"x":
                    override = _pax_records(data)
                elif kind == b"L":
                    override = {**override, "path": data.rstrip(b"\0").decode("utf-8", "replace")}
                continue
            name = header[0:100].split(b"\0", 1)[0].decode("utf-8", "replace")
            if header[257:265] == b"ustar\x0000" and header[345:500].strip(b"\0"):
                name = header[345:500].split(b"\0", 1)[0].decode("utf-8", "replace") + "/" + name
            name = override.get("path", name)
            if "size" in override:
                size = int(override["size"])
            override = {}
            if kind in _NO_DATA:
                size = 0
            members += 1
            unpacked += size
            _check_count(members)
            _check_unpacked(unpacked, archive_size)
            if kind in _REGULAR and wanted(name):
                if size > limit:
                    raise Unreadable(f"{name} is {size} bytes (at most {limit})")
                found.append((name, _read_exact(stream, _padded(size))[:size]))
            else:
                _skip(stream, _padded(size))
    return found
