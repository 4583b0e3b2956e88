"""Distributions built in memory for the index tests (wheels via tools.repo_gen, sdists here)."""

from __future__ import annotations

import gzip
import io
import struct
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


def zip_of(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return buf.getvalue()


def wheel_files(project: str, version: str, payload: bytes = b"x") -> dict[str, bytes]:
    """The members of a valid wheel (METADATA, WHEEL, RECORD), to add to or take from."""
    return wheel_bytes_files(project, version, payload)


def patch_zip_member(data: bytes, name: str, *, flag_bits: int | None = None, method: int | None = None) -> bytes:
    """`data` with one member's flags or method changed, in its local header and its central
    directory entry alike (as a hostile tool would write them)."""
    out = bytearray(data)
    at = out.find(b"PK\x01\x02")
    while at >= 0:
        name_length = struct.unpack_from("<H", out, at + 28)[0]
        if out[at + 46 : at + 46 + name_length] == name.encode():
            local = struct.unpack_from("<L", out, at + 42)[0]
            for header, flags_at in ((at, 8), (local, 6)):
                if flag_bits is not None:
                    struct.pack_into("<H", out, header + flags_at, flag_bits)
                if method is not None:
                    struct.pack_into("<H", out, header + flags_at + 2, method)
            return bytes(out)
        at = out.find(b"PK\x01\x02", at + 46)
    raise KeyError(name)


def tar_gz_of(members: list[tuple[str, bytes]], extra_empty_members: int = 0, zeros: int = 0) -> bytes:
    """A tar.gz of `members`, then `extra_empty_members` empty files, then one member of
    `zeros` zero bytes streamed through gzip (never held whole)."""

    def header(name: str, size: int) -> bytes:
        info = tarfile.TarInfo(name)
        info.size = size
        return info.tobuf(tarfile.USTAR_FORMAT)

    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=1, mtime=0) as gz:
        for name, data in members:
            gz.write(header(name, len(data)) + data + b"\0" * (-len(data) % 512))
        for i in range(extra_empty_members):
            gz.write(header(f"pkg/m{i}", 0))
        if zeros:
            gz.write(header("pkg/zeros", zeros))
            chunk, left = b"\0" * (1 << 20), zeros + (-zeros % 512)
            while left:
                gz.write(chunk[: min(left, len(chunk))])
                left -= min(left, len(chunk))
        gz.write(b"\0" * 1024)  # the end-of-archive marker
    return buf.getvalue()
