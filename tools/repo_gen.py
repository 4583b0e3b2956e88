"""Generate a package repository of real, installable wheels, fast.

`python -m tools.repo_gen DIR --packages 500 --versions 4` writes DIR/<name>-<ver>-py3-none-any.whl
for every package and version: a valid wheel (METADATA, WHEEL, RECORD with hashes) that
`pip install` accepts. Contents are deterministic for a given seed, so two runs produce
byte-identical files (and benchmarks compare like with like).
"""

from __future__ import annotations

import base64
import hashlib
import os
import random
import sys
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from commands.cli import ArgumentParser, fail

DEFAULT_PREFIX = "bench-pkg"


@dataclass(frozen=True)
class Wheel:
    project: str  # normalized project name, as in /simple/<project>/
    version: str
    filename: str


def project_name(index: int, prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}-{index:03d}"


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def wheel_bytes_files(project: str, version: str, payload: bytes) -> dict[str, bytes]:
    """The files inside a minimal pure-Python wheel."""
    module = project.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": f'__version__ = "{version}"\n'.encode() + b"# " + payload + b"\n",
        f"{dist_info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {project}\nVersion: {version}\n"
            "Summary: generated for the pypiserver benchmark\n"
        ).encode(),
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: tools.repo_gen\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in files.items())
    files[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    return files


# Generated repositories look published long ago (the front leaves files modified in the
# last seconds out of listings, as uploads still being written).
PUBLISHED_AT = datetime(2024, 1, 1, tzinfo=UTC)


def write_wheel(directory: Path, project: str, version: str, payload: bytes, published: bool = True) -> Wheel:
    """One wheel; `published` dates its file (and contents) PUBLISHED_AT, else it is new."""
    filename = f"{project.replace('-', '_')}-{version}-py3-none-any.whl"
    # Fixed timestamps keep the bytes identical between runs.
    with zipfile.ZipFile(directory / filename, "w", compression=zipfile.ZIP_STORED) as zf:
        for path, data in wheel_bytes_files(project, version, payload).items():
            info = zipfile.ZipInfo(path, date_time=PUBLISHED_AT.timetuple()[:6])
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    if published:
        stamp = PUBLISHED_AT.timestamp()
        os.utime(directory / filename, (stamp, stamp))
    return Wheel(project=project, version=version, filename=filename)


def generate(
    directory: Path,
    packages: int = 500,
    versions: int = 4,
    payload_bytes: int = 8192,
    seed: int = 5,
    prefix: str = DEFAULT_PREFIX,
) -> list[Wheel]:
    """Write packages x versions wheels into `directory` (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    # Printable filler (it sits in a comment of __init__.py), from random bytes in one call.
    alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789"
    printable = bytes(alphabet[b % len(alphabet)] for b in range(256))
    wheels = []
    for i in range(packages):
        for v in range(versions):
            payload = rng.randbytes(payload_bytes).translate(printable)
            wheels.append(write_wheel(directory, project_name(i, prefix), f"1.0.{v}", payload))
    return wheels


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m tools.repo_gen", description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--packages", type=int, default=500)
    parser.add_argument("--versions", type=int, default=4)
    parser.add_argument("--payload-bytes", type=int, default=8192, help="bytes of filler per wheel (default 8192)")
    args = parser.parse_args(argv)
    for key in ("packages", "versions"):
        if getattr(args, key) < 1:
            fail(f"--{key} must be at least 1, got {getattr(args, key)}")
    if args.payload_bytes < 0:
        fail(f"--payload-bytes must be 0 or more, got {args.payload_bytes}")
    wheels = generate(args.directory, args.packages, args.versions, args.payload_bytes)
    print(f"wrote {len(wheels)} wheels ({args.packages} packages x {args.versions} versions) to {args.directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
