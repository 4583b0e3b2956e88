"""The package folder as an index: publish, remove and yank, and the static pages they keep.

Layout inside the package folder (the shared volume; every task mounts the same one):

    <file>                         published distributions, served by nginx as-is
    .index/lock                    one POSIX lock (NFSv4 locks on EFS) held across tasks
    .index/incoming/               upload bodies, private until published
    .index/projects/<p>.json       a project's file records (hashes computed once)
    .index/metadata/<file>.metadata   PEP 658 core metadata
    .index/simple/index.{html,json}, .index/simple/<p>/index.{html,json}   the pages
    .index/ready                   a pass has compared the whole folder with the records

Publishing hard-links a complete, validated body to its final name: `link` fails if the
name exists, so the first writer wins and nobody can overwrite or mix a published file.
Records and pages are rewritten (temp file + rename) under the lock before the request
returns, so a page never lists a file that is not complete, and every task that reads the
volume serves the new page at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from . import contract, pages
from .dist import CHUNK, DistName, Inspected, Rejected, inspect, parse_filename, sha256_file

FILE_MODE = 0o644  # nginx (another user, read-only mount) reads everything we write
DIR_MODE = 0o755


def utc_iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_for(dist: DistName, info: Inspected, st: os.stat_result, upload_time: float) -> dict:
    return {
        "filename": dist.filename,
        "sha256": info.sha256,
        "size": info.size,
        "upload_time": utc_iso(upload_time),
        "requires_python": info.requires_python,
        "metadata_sha256": None if info.metadata is None else hashlib.sha256(info.metadata).hexdigest(),
        "yanked": False,
        # What the scanner compares with the folder, to notice a file replaced out of band.
        "ino": st.st_ino,
        "mtime_ns": st.st_mtime_ns,
    }


@dataclass(frozen=True)
class Release:
    """A published file, as pypiserver's remove_pkg hands it back to `remove_package`."""

    filename: str
    project: NormalizedName


class Store:
    def __init__(self, root: str):
        self.root = os.path.abspath(root)
        self.index = os.path.join(self.root, contract.INDEX_DIR)
        self.incoming = os.path.join(self.index, contract.INCOMING_DIR)
        self.projects = os.path.join(self.index, contract.RECORDS_DIR)
        self.metadata = os.path.join(self.index, contract.METADATA_DIR)
        self.simple = os.path.join(self.index, contract.PAGES_DIR)
        self._thread_lock = threading.Lock()
        self._local = threading.local()  # .batch: this thread defers fsync to the end of a batch
        self.prepare()

    def prepare(self) -> None:
        """.index's folders and the project list, made where missing (a first start, or .index
        deleted while serving)."""
        for d in (self.index, self.incoming, self.projects, self.metadata, self.simple):
            os.makedirs(d, mode=DIR_MODE, exist_ok=True)
        if not os.path.exists(self._page(self.simple, contract.HTML_SUFFIX)):
            with self.lock():
                self._write_root()

    # -- the lock -------------------------------------------------------------------

    @contextmanager
    def lock(self) -> Iterator[None]:
        # POSIX locks belong to the process, so threads of one process (a request and the
        # scanner) also need a thread lock; closing the file releases the POSIX lock.
        with self._thread_lock:
            fd = os.open(os.path.join(self.index, contract.LOCK_FILE), os.O_RDWR | os.O_CREAT, FILE_MODE)
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Many writes (the scanner indexing a folder): one sync at the end instead of an
        fsync per file, which would make a first start on 100k files take many minutes."""
        self._local.batch, self._local.wrote = True, False
        try:
            yield
        finally:
            self._local.batch = False
            if self._local.wrote:
                os.sync()

    # -- atomic files ---------------------------------------------------------------

    def _write_atomic(self, path: str, data: bytes) -> None:
        directory = os.path.dirname(path)
        os.makedirs(directory, mode=DIR_MODE, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                if getattr(self._local, "batch", False):
                    self._local.wrote = True
                else:
                    os.fsync(f.fileno())
            os.chmod(tmp, FILE_MODE)
            os.replace(tmp, path)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    @staticmethod
    def _page(directory: str, suffix: str) -> str:
        return os.path.join(directory, f"{contract.PAGE_NAME}.{suffix}")

    # -- records --------------------------------------------------------------------

    def _project_path(self, project: str) -> str:
        return os.path.join(self.projects, f"{project}.json")

    def read_project(self, project: str) -> dict[str, dict]:
        try:
            with open(self._project_path(project), "rb") as f:
                return json.load(f)["files"]
        except FileNotFoundError:
            return {}

    def project_names(self) -> list[NormalizedName]:
        return sorted(NormalizedName(n[:-5]) for n in os.listdir(self.projects) if n.endswith(".json"))

    def _save_project(self, project: NormalizedName, records: dict[str, dict], root: bool = True) -> bool:
        """Records and both pages of a project; the project list when it appears or goes
        (unless `root` is False: the caller writes it once for many projects). True if the
        project appeared or went."""
        page_dir = os.path.join(self.simple, project)
        existed = os.path.exists(self._project_path(project))
        if records:
            values = list(records.values())
            self._write_atomic(self._page(page_dir, contract.HTML_SUFFIX), pages.project_html(project, values).encode())
            self._write_atomic(self._page(page_dir, contract.JSON_SUFFIX), pages.project_json(project, values).encode())
            self._write_atomic(
                self._project_path(project), json.dumps({"project": project, "files": records}, sort_keys=True).encode()
            )
            appeared_or_went = not existed
        else:
            for path in (
                self._page(page_dir, contract.HTML_SUFFIX),
                self._page(page_dir, contract.JSON_SUFFIX),
                self._project_path(project),
            ):
                with suppress(FileNotFoundError):
                    os.unlink(path)
            with suppress(OSError):
                os.rmdir(page_dir)
            appeared_or_went = existed
        if appeared_or_went and root:
            self._write_root()
        return appeared_or_went

    def write_root(self) -> None:
        with self.lock():
            self._write_root()

    def _write_root(self) -> None:
        names = self.project_names()
        self._write_atomic(self._page(self.simple, contract.HTML_SUFFIX), pages.root_html(names).encode())
        self._write_atomic(self._page(self.simple, contract.JSON_SUFFIX), pages.root_json(names).encode())

    def _write_metadata(self, filename: str, metadata: bytes | None) -> None:
        if metadata is not None:
            self._write_atomic(os.path.join(self.metadata, filename + contract.METADATA_SUFFIX), metadata)

    def _drop_metadata(self, filename: str) -> None:
        with suppress(FileNotFoundError):
            os.unlink(os.path.join(self.metadata, filename + contract.METADATA_SUFFIX))

    # -- uploads --------------------------------------------------------------------

    def receive(self, stream: BinaryIO) -> str:
        """Copy an upload body into a private file on the volume (same filesystem as the
        folder, so publishing is a link). The caller removes it."""
        fd, path = tempfile.mkstemp(dir=self.incoming, prefix="upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                while chunk := stream.read(CHUNK):
                    f.write(chunk)
                f.flush()
                # On disk before it gets a public name: a crash after the link must not
                # leave a published name over unwritten blocks.
                os.fsync(f.fileno())
        except BaseException:
            os.unlink(path)
            raise
        return path

    def clean_incoming(self, older_than_seconds: float) -> int:
        """Remove bodies left by uploads killed mid-way (a body being received is written to
        continually, so an old mtime means nobody owns it). Returns how many."""
        removed, cutoff = 0, time.time() - older_than_seconds
        with os.scandir(self.incoming) as entries:
            for e in entries:
                try:
                    if e.stat(follow_symlinks=False).st_mtime < cutoff:
                        os.unlink(e.path)
                        removed += 1
                except FileNotFoundError:
                    pass
        return removed

    def publish(self, filename: str, body_path: str, now: float | None = None) -> dict:
        """Publish a complete body under `filename`, first writer wins. Rejected(400/409)."""
        dist = parse_filename(filename)
        info = inspect(body_path, dist)  # outside the lock: it reads the whole file
        os.chmod(body_path, FILE_MODE)
        with self.lock():
            records = self.read_project(dist.project)
            for other in records:
                if other == filename or _key(other) == dist.key:
                    raise Rejected(409, f"{filename} already exists (as {other})")
            final = os.path.join(self.root, filename)
            try:
                os.link(body_path, final)
                linked = True
            except FileExistsError:
                # The name exists but is not recorded: a publish killed between its link and
                # its records, or a file copied in that the scanner has not indexed yet. Adopt
                # it only if it is this very body.
                if not os.path.samefile(body_path, final) and sha256_file(final)[0] != info.sha256:
                    raise Rejected(409, f"{filename} already exists") from None
                linked = False
            try:
                self._write_metadata(filename, info.metadata)
                records[filename] = record_for(dist, info, os.stat(final), time.time() if now is None else now)
                self._save_project(dist.project, records)
            except BaseException:
                # Failed half-way (disk full): take back the name and restore the pages, so
                # that nothing is half-published and a retry starts clean.
                records.pop(filename, None)
                if linked:
                    os.unlink(final)
                self._drop_metadata(filename)
                # A page may then name the file taken back: a 404, never a wrong file.
                with suppress(OSError):
                    self._save_project(dist.project, records)
                raise
            return records[filename]

    # -- removal and yank ---------------------------------------------------------------

    def find_version(self, name: str, version: str) -> list[Release]:
        project = canonicalize_name(name)
        try:
            wanted = Version(version)
        except InvalidVersion:
            raise Rejected(400, f"invalid version: {version}") from None
        found = []
        for filename in self.read_project(project):
            dist = _parse(filename)
            if dist is not None and dist.version == wanted:
                found.append(Release(filename, project))
        return found

    def remove(self, release: Release) -> None:
        with self.lock():
            records = self.read_project(release.project)
            records.pop(release.filename, None)
            with suppress(FileNotFoundError):
                os.unlink(os.path.join(self.root, release.filename))
            self._drop_metadata(release.filename)
            self._save_project(release.project, records)

    def yank(self, name: str, version: str, reason: str | None) -> int:
        """Mark every file of a release yanked (PEP 592) with `reason`, or un-yank (None)."""
        releases = self.find_version(name, version)
        if not releases:
            raise Rejected(404, f"{name} {version} not found")
        project = releases[0].project
        with self.lock():
            records = self.read_project(project)
            for r in releases:
                if r.filename in records:
                    records[r.filename]["yanked"] = False if reason is None else reason
            self._save_project(project, records)
        return len(releases)

    # -- completeness -------------------------------------------------------------------

    @property
    def ready_marker(self) -> str:
        return os.path.join(self.index, contract.READY_MARKER)

    def is_ready(self) -> bool:
        """Whether every file of the folder has been compared with the records at least once
        since .index was made: only then is a missing page a project that does not exist."""
        return os.path.exists(self.ready_marker)

    def mark_ready(self) -> None:
        self._write_atomic(self.ready_marker, (utc_iso(time.time()) + "\n").encode())

    # -- out-of-band changes (see scan.py) -------------------------------------------------

    def apply(
        self, project: NormalizedName, found: dict[str, tuple[dict, bytes | None]], gone: set[str]
    ) -> tuple[bool, bool]:
        """Under the lock: add records of files found in the folder, drop records of files
        gone from it, each only if the folder still says so. Returns (records changed,
        project appeared or went); the caller then writes the project list once."""
        with self.lock():
            records = self.read_project(project)
            changed = False
            for filename in gone:
                if filename in records and not os.path.lexists(os.path.join(self.root, filename)):
                    del records[filename]
                    self._drop_metadata(filename)
                    changed = True
            for filename, (record, metadata) in found.items():
                try:
                    st = os.stat(os.path.join(self.root, filename))
                except FileNotFoundError:
                    continue
                known = records.get(filename)
                if (st.st_ino, st.st_mtime_ns) != (record["ino"], record["mtime_ns"]):
                    continue  # changed again since it was read: next pass
                if known is not None and known["ino"] == record["ino"]:
                    continue  # recorded meanwhile (an upload through another task)
                if known is None and any(_key(o) == _key(filename) for o in records if o != filename):
                    continue  # a spelling variant of a published file is not listed
                self._write_metadata(filename, metadata)
                records[filename] = record
                changed = True
            if not changed:
                return False, False
            return True, self._save_project(project, records, root=False)


def _parse(filename: str) -> DistName | None:
    try:
        return parse_filename(filename)
    except Rejected:
        return None


def _key(filename: str) -> tuple | None:
    dist = _parse(filename)
    return dist.key if dist else None
