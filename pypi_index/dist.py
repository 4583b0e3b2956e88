"""What a distribution file is: its name, its key for "the same file" and its core metadata.

Parsing is left to `packaging` (PEP 427 wheel names, PEP 625 sdist names, PEP 440 versions,
core metadata); this module only decides what the index accepts. Runs inside the stock
pypiserver image, whose pypiserver requires packaging >= 26.
"""

from __future__ import annotations

import hashlib
import tarfile
import zipfile
from dataclasses import dataclass

from packaging.metadata import parse_email
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

CHUNK = 1 << 20


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


def parse_filename(filename: str) -> DistName:
    """Raises Rejected(400) for anything but a wheel or sdist name."""
    if not filename or "/" in filename or "\\" in filename or filename.startswith(".") or not filename.isprintable():
        raise Rejected(400, f"bad filename {filename!r}")
    if filename.endswith(".whl"):
        try:
            name, version, build, tags = parse_wheel_filename(filename)
        except (InvalidWheelFilename, InvalidVersion) as err:
            raise Rejected(400, f"not a valid wheel filename (PEP 427): {filename}: {err}") from None
        return DistName(filename, name, version, "wheel", ("wheel", name, version, build, tags))
    if filename.endswith((".tar.gz", ".zip")):
        try:
            name, version = parse_sdist_filename(filename)
        except (InvalidSdistFilename, InvalidVersion) as err:
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


def _wheel_metadata(path: str, dist: DistName) -> bytes:
    try:
        with zipfile.ZipFile(path) as zf:
            # Every member's CRC: a truncated or mixed body fails here, not at install time.
            bad = zf.testzip()
            if bad is not None:
                raise Rejected(400, f"corrupt wheel: {dist.filename}: bad CRC in {bad}")
            found = [n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
            if len(found) != 1:
                raise Rejected(400, f"not a wheel: {dist.filename} has {len(found)} .dist-info/METADATA files")
            return zf.read(found[0])
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        raise Rejected(400, f"truncated or corrupt wheel: {dist.filename}: {err}") from None


def _sdist_metadata(path: str, dist: DistName) -> bytes:
    found: list[bytes] = []
    try:
        if dist.filename.endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                if zf.testzip() is not None:
                    raise Rejected(400, f"corrupt sdist: {dist.filename}")
                found = [zf.read(n) for n in zf.namelist() if n.count("/") == 1 and n.endswith("/PKG-INFO")]
        else:
            with tarfile.open(path, "r:gz") as tf:
                # Reading to the end checks the whole gzip stream (a truncated one raises).
                for member in tf:
                    if member.isfile() and member.name.count("/") == 1 and member.name.endswith("/PKG-INFO"):
                        data = tf.extractfile(member)  # None only for members that are not files
                        if data is not None:
                            found.append(data.read())
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as err:
        raise Rejected(400, f"truncated or corrupt sdist: {dist.filename}: {err}") from None
    if len(found) != 1:
        raise Rejected(400, f"not an sdist: {dist.filename} has {len(found)} top-level PKG-INFO files")
    return found[0]


def inspect(path: str, dist: DistName) -> Inspected:
    """Validate a complete file against its name; Rejected(400) says what is wrong."""
    sha, size = sha256_file(path)
    if size == 0:
        raise Rejected(400, f"empty file: {dist.filename}")
    raw_metadata = _wheel_metadata(path, dist) if dist.kind == "wheel" else _sdist_metadata(path, dist)
    raw, _ = parse_email(raw_metadata)
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
