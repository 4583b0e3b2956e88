"""What a distribution file is: its name, its key for "the same file" and its core metadata.

Parsing is left to `packaging` (PEP 427 wheel names, PEP 625 sdist names, PEP 440 versions,
core metadata); this module only decides what the index accepts. Runs inside the stock
pypiserver image, whose pypiserver requires packaging >= 26.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

from packaging.metadata import parse_email
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (
    InvalidName,
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from . import archive, limits

CHUNK = archive.CHUNK
# What a wheel's .dist-info folder must hold (PEP 427).
WHEEL_FILES = ("METADATA", "WHEEL", "RECORD")


class Rejected(Exception):
    """A request the index refuses; `status` is the HTTP status, str() one line saying why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class DistName:
    filename: str
    project: NormalizedName
    version: Version
    kind: str  # "wheel" | "sdist"
    # Two files with equal keys are the same release file, whatever their spelling
    # (`Foo-1.0` and `foo-1.0.0.0`): the second one is a conflict.
    key: tuple


def check_project_name(name: str) -> NormalizedName:
    """A project name as a client gives it (remove, yank): ASCII, PEP 508, within the name
    limit; Rejected(400) otherwise. Its normalized form is also a safe path component."""
    if not name.isascii() or len(name) > limits.MAX_FILENAME_BYTES:
        raise Rejected(400, f"bad project name {_shown(name)}: ASCII letters, digits, '.', '_' and '-' only")
    try:
        return canonicalize_name(name, validate=True)
    except InvalidName:
        raise Rejected(400, f"bad project name {_shown(name)}: not a valid name (PEP 508)") from None


def _shown(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:80] + "...")


# A name is parsed where it is listed, ordered on a page and compared with its project's other
# files: cached, one parse per name instead of one per use (the cache holds valid names only).
@functools.lru_cache(maxsize=4096)
def parse_filename(filename: str) -> DistName:
    """Raises Rejected(400) for anything but a wheel or sdist name."""
    if (
        not filename
        or "/" in filename
        or "\\" in filename
        or filename.startswith(".")
        or not filename.isprintable()
        # PEP 427/625 names are ASCII: a look-alike letter (U+017F, U+0131) is another name.
        or not filename.isascii()
    ):
        raise Rejected(400, f"bad filename {_shown(filename)}: ASCII letters, digits and . _ - + ! only")
    if len(filename.encode()) > limits.MAX_FILENAME_BYTES:
        raise Rejected(400, f"filename of {len(filename)} bytes: at most {limits.MAX_FILENAME_BYTES}")
    if filename.endswith(".whl"):
        try:
            name, version, build, tags = parse_wheel_filename(filename)
        except (InvalidWheelFilename, InvalidVersion) as err:
            raise Rejected(400, f"not a valid wheel filename (PEP 427): {filename}: {err}") from None
        return DistName(filename, name, version, "wheel", ("wheel", name, version, build, tags))
    if filename.endswith((".tar.gz", ".zip")):
        try:
            raw_name, version = parse_sdist_filename(filename)
            # parse_sdist_filename splits at the last '-' and checks the version only.
            name = canonicalize_name(raw_name, validate=True)
        except (InvalidSdistFilename, InvalidVersion, InvalidName) as err:
            raise Rejected(400, f"not a valid sdist filename (PEP 625): {filename}: {err}") from None
        # One sdist per release, whatever its archive format (as PyPI).
        return DistName(filename, name, version, "sdist", ("sdist", name, version))
    raise Rejected(400, f"not a wheel or sdist (PEP 427/625 names, .whl or .tar.gz): {filename}")


def try_parse_filename(filename: str) -> DistName | None:
    try:
        return parse_filename(filename)
    except Rejected:
        return None


@dataclass(frozen=True)
class Inspected:
    sha256: str
    size: int
    requires_python: str | None
    metadata: bytes | None  # served as <file>.metadata (PEP 658); wheels only


def sha256_file(path: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _dist_info_matches(directory: str, dist: DistName) -> bool:
    name, _, version = directory.removesuffix(".dist-info").rpartition("-")
    try:
        return canonicalize_name(name, validate=True) == dist.project and Version(version) == dist.version
    except (InvalidName, InvalidVersion):
        return False


def _wheel_metadata(path: str, dist: DistName, size: int) -> bytes:
    with archive.open_zip(path, size) as zf:
        names = zf.namelist()
        dist_infos = sorted({n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")})
        if len(dist_infos) != 1:
            raise archive.Unreadable(f"{len(dist_infos)} top-level .dist-info folders (a wheel has one)")
        [dist_info] = dist_infos
        if not _dist_info_matches(dist_info, dist):
            raise archive.Unreadable(f"{dist_info} does not match the filename's name and version")
        missing = [f for f in WHEEL_FILES if f"{dist_info}/{f}" not in names]
        if missing:
            raise archive.Unreadable(f"{dist_info} lacks {', '.join(missing)}")
        metadata = f"{dist_info}/METADATA"
        archive.check_zip_member_size(zf, metadata, limits.MAX_METADATA_BYTES)
        archive.verify_zip(zf)
        return archive.read_zip_member(zf, metadata, limits.MAX_METADATA_BYTES)


def _is_pkg_info(name: str) -> bool:
    return name.count("/") == 1 and name.endswith("/PKG-INFO")


def _sdist_metadata(path: str, dist: DistName, size: int) -> bytes:
    if dist.filename.endswith(".zip"):
        with archive.open_zip(path, size) as zf:
            pkg_infos = [n for n in zf.namelist() if _is_pkg_info(n)]
            for name in pkg_infos:
                archive.check_zip_member_size(zf, name, limits.MAX_METADATA_BYTES)
            archive.verify_zip(zf)
            found = [archive.read_zip_member(zf, n, limits.MAX_METADATA_BYTES) for n in pkg_infos]
    else:
        # Every header is read (the whole gzip stream up to the archive's end): a truncated
        # body fails here.
        found = [data for _, data in archive.tar_gz_members(path, size, _is_pkg_info, limits.MAX_METADATA_BYTES)]
    if len(found) != 1:
        raise archive.Unreadable(f"{len(found)} top-level PKG-INFO files (an sdist has one)")
    return found[0]


def inspect(path: str, dist: DistName, digest: tuple[str, int] | None = None) -> Inspected:
    """Validate a complete file against its name; Rejected(400) says what is wrong.
    `digest`: its (sha256, size), when the caller has hashed it already."""
    sha, size = digest or sha256_file(path)
    if size == 0:
        raise Rejected(400, f"empty file: {dist.filename}")
    try:
        raw_metadata = _wheel_metadata(path, dist, size) if dist.kind == "wheel" else _sdist_metadata(path, dist, size)
    except archive.Unreadable as err:
        raise Rejected(400, f"bad {dist.kind} {dist.filename}: {err}") from None
    try:
        raw, _ = parse_email(raw_metadata)
    except (ValueError, LookupError) as err:  # undecodable bytes, a bad charset
        raise Rejected(400, f"unparsable metadata in {dist.filename}: {' '.join(str(err).split())}") from None
    name, version = raw.get("name"), raw.get("version")
    if not name or not version:
        raise Rejected(400, f"metadata of {dist.filename} lacks Name or Version")
    if canonicalize_name(name) != dist.project:
        raise Rejected(400, f"name mismatch: {dist.filename} but metadata says Name: {name}")
    try:
        meta_version = Version(version)
    except InvalidVersion:
        raise Rejected(400, f"invalid version in metadata of {dist.filename}: {version}") from None
    if meta_version != dist.version:
        raise Rejected(400, f"version mismatch: {dist.filename} but metadata says Version: {version}")
    requires_python = raw.get("requires_python")
    if requires_python is not None:
        try:
            SpecifierSet(requires_python)
        except InvalidSpecifier:
            raise Rejected(400, f"invalid Requires-Python in {dist.filename}: {requires_python}") from None
    return Inspected(sha, size, requires_python, raw_metadata if dist.kind == "wheel" else None)
