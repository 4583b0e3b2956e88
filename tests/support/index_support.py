"""Distributions built in memory for the index tests (wheels via tools.repo_gen, sdists here)."""

from __future__ import annotations

import io
import tarfile
import zipfile

from tools.repo_gen import wheel_bytes_files


def wheel(
    project: str,
    version: str,
    payload: bytes = b"x",
    metadata_name: str | None = None,
    metadata_version: str | None = None,
    requires_python: str | None = None,
    core_metadata_version: str = "2.1",
) -> bytes:
    files = wheel_bytes_files(project, version, payload)
    meta_key = next(k for k in files if k.endswith(".dist-info/METADATA"))
    meta = (
        f"Metadata-Version: {core_metadata_version}\nName: {metadata_name or project}\n"
        f"Version: {metadata_version or version}\n"
        + (f"Requires-Python: {requires_python}\n" if requires_python else "")
        + "Summary: test\n"
    )
    files[meta_key] = meta.encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return buf.getvalue()


def wheel_name(project: str, version: str) -> str:
    return f"{project.replace('-', '_')}-{version}-py3-none-any.whl"


def sdist(project: str, version: str, top: str | None = None) -> bytes:
    top = top or f"{project.replace('-', '_')}-{version}"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in (
            (f"{top}/PKG-INFO", f"Metadata-Version: 2.1\nName: {project}\nVersion: {version}\n".encode()),
            (f"{top}/setup.py", b""),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()
