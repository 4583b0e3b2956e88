"""A published file's record (.index/projects/<project>.json holds one per file): what the
pages say about it, and what the scanner compares with the folder."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime

from .dist import DistName, Inspected


def utc_iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_for(
    dist: DistName, info: Inspected, st: os.stat_result, upload_time: float, yanked: str | None = None
) -> dict:
    return {
        "filename": dist.filename,
        "sha256": info.sha256,
        "size": info.size,
        "upload_time": utc_iso(upload_time),
        "requires_python": info.requires_python,
        "metadata_sha256": None if info.metadata is None else hashlib.sha256(info.metadata).hexdigest(),
        "yanked": False if yanked is None else yanked,
        # What the scanner compares with the folder, to notice a file replaced or changed
        # out of band (stat_key).
        "ino": st.st_ino,
        "mtime_ns": st.st_mtime_ns,
    }


def stat_key(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def record_key(record: dict) -> tuple[int, int, int]:
    return (record["ino"], record["size"], record["mtime_ns"])


# What every record holds, whatever else it has (pages.py reads the rest with defaults).
RECORD_KEYS = frozenset({"filename", "sha256", "size", "upload_time", "yanked", "ino", "mtime_ns"})
