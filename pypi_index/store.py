"""The package folder as an index: publish, remove and yank, and the static pages they keep.

Layout inside the package folder (the shared volume; every task mounts the same one):

    <file>                         published distributions, served by nginx as-is
    .index/lock                    one POSIX lock (NFSv4 locks on EFS) held across tasks
    .incoming/                     upload bodies, private until published
    .index/projects/<p>.json       a project's file records (hashes computed once)
    .index/metadata/<file>.metadata   PEP 658 core metadata
    .index/simple/index.{html,json}, .index/simple/<p>/index.{html,json}   the pages
    .index/rebuild/<p>             a request found <p>'s records damaged: the scanner rebuilds them
    .index/ready                   a full pass has compared the whole folder with the records
    .ledger/                       yanks, tombstones, quarantined bytes (ledger.py): not derived

Everything under .index/ is derived from the files and .ledger/: a part that is lost (the
whole folder deleted) or damaged (a truncated records file) is recreated by the next write
that needs it and rebuilt from the folder by the scanner, with yanks from the ledger.

Publishing hard-links a complete, validated body to its final name: `link` fails if the
name exists, so the first writer wins and nobody can overwrite or mix a published file.
Records and pages are rewritten (temp file + rename) under the lock before the request
returns, so a page never lists a file that is not complete, and every task that reads the
volume serves the new page at once.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import BinaryIO, TypeVar

from packaging.utils import NormalizedName, is_normalized_name
from packaging.version import InvalidVersion, Version

from . import contract, limits, pages
from .dist import CHUNK, DistName, Rejected, check_project_name, inspect, parse_filename, sha256_file
from .ledger import Ledger
from .records import RECORD_KEYS, record_for

log = logging.getLogger("pypi_index.store")

FILE_MODE = 0o644  # nginx (another user, read-only mount) reads everything we write
DIR_MODE = 0o755
WRITE_ATTEMPTS = 5
T = TypeVar("T")


def again_if_vanished(action: Callable[[], T]) -> T:
    """The lock keeps writers apart, not an admin deleting .index/ (it rebuilds itself): an
    action whose folder vanished under it (it makes its folders) is done again."""
    for _ in range(WRITE_ATTEMPTS - 1):
        with suppress(FileNotFoundError):
            return action()
    return action()


def in_made_folder(directory: str, create: Callable[[], T]) -> T:
    """Create an entry in `directory`, making the folder first only when it is missing (.index/
    may have been deleted): a makedirs before every write would be a mkdir call per file."""
    try:
        return create()
    except FileNotFoundError:
        os.makedirs(directory, mode=DIR_MODE, exist_ok=True)
        return create()


class DamagedRecords(Exception):
    """A project's records file that cannot be read as records (truncated, edited)."""


@dataclass(frozen=True)
class Release:
    """A published file, as pypiserver's remove_pkg hands it back to `remove_package`."""

    filename: str
    project: NormalizedName


class Store:
    def __init__(self, root: str):
        self.root = os.path.abspath(root)
        self.index = os.path.join(self.root, contract.INDEX_DIR)
        self.incoming = os.path.join(self.root, contract.INCOMING_DIR)
        self.projects = os.path.join(self.index, contract.RECORDS_DIR)
        self.metadata = os.path.join(self.index, contract.METADATA_DIR)
        self.simple = os.path.join(self.index, contract.PAGES_DIR)
        self.rebuild_dir = os.path.join(self.index, contract.REBUILD_DIR)
        self._thread_lock = threading.Lock()
        self._local = threading.local()  # .batch: this thread defers fsync to the end of a batch
        self.ledger = Ledger(self.root, self._write_atomic)
        self.prepare()

    @property
    def ready_marker(self) -> str:
        return os.path.join(self.index, contract.READY_MARKER)

    def prepare(self) -> None:
        """The .index folders and the project list, created again if they went missing."""
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
            fd = again_if_vanished(self._open_lock_file)
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)

    def _open_lock_file(self) -> int:
        path = os.path.join(self.index, contract.LOCK_FILE)
        return in_made_folder(self.index, lambda: os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE))

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
        again_if_vanished(lambda: self._write_once(path, data))

    def _write_once(self, path: str, data: bytes) -> None:
        directory = os.path.dirname(path)
        fd, tmp = in_made_folder(directory, lambda: tempfile.mkstemp(dir=directory, prefix=".tmp-"))
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
        # Only a normalized ASCII name becomes a path: nothing a client sends can point elsewhere.
        if not (project.isascii() and is_normalized_name(project)):
            raise ValueError(f"not a normalized project name: {project!r}")
        return os.path.join(self.projects, f"{project}.json")

    def read_project(self, project: str) -> dict[str, dict]:
        """The project's records ({} when it has none); DamagedRecords when unreadable."""
        try:
            with open(self._project_path(project), "rb") as f:
                files = json.load(f)["files"]
            if not isinstance(files, dict) or not all(
                isinstance(r, dict) and r.keys() >= RECORD_KEYS for r in files.values()
            ):
                raise ValueError("not a records file")
            return files
        except FileNotFoundError:
            return {}
        except (ValueError, KeyError, TypeError) as err:
            raise DamagedRecords(f"records of {project} are damaged ({type(err).__name__}: {err})") from None

    def records_or_empty(self, project: NormalizedName) -> dict[str, dict]:
        """The records, or {} when damaged, with a rebuild asked of the scanner: a request
        never fails on them, and the scanner lists the project's files again."""
        try:
            return self.read_project(project)
        except DamagedRecords as err:
            log.warning("%s: the scanner rebuilds them from the folder", err)
            self.request_rebuild(project)
            return {}

    def project_names(self) -> list[NormalizedName]:
        try:
            names = os.listdir(self.projects)
        except FileNotFoundError:
            return []
        return sorted(NormalizedName(n[:-5]) for n in names if n.endswith(".json") and is_normalized_name(n[:-5]))

    def request_rebuild(self, project: NormalizedName) -> None:
        self._write_atomic(os.path.join(self.rebuild_dir, project), b"")

    def rebuild_requests(self) -> set[NormalizedName]:
        try:
            names = os.listdir(self.rebuild_dir)
        except FileNotFoundError:
            return set()
        return {NormalizedName(n) for n in names if is_normalized_name(n)}

    def is_ready(self) -> bool:
        """Whether a full pass has compared every file of the folder with the records since
        .index was made: only then is a missing page a project that does not exist."""
        return os.path.exists(self.ready_marker)

    def mark_ready(self) -> None:
        self._write_atomic(self.ready_marker, b"")

    def rebuilt(self, project: NormalizedName) -> None:
        with suppress(FileNotFoundError):
            os.unlink(os.path.join(self.rebuild_dir, project))

    def save_project(self, project: NormalizedName, records: dict[str, dict], root: bool = True) -> bool:
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

    def write_metadata(self, filename: str, metadata: bytes | None) -> None:
        if metadata is not None:
            self._write_atomic(os.path.join(self.metadata, filename + contract.METADATA_SUFFIX), metadata)

    def drop_metadata(self, filename: str) -> None:
        with suppress(FileNotFoundError):
            os.unlink(os.path.join(self.metadata, filename + contract.METADATA_SUFFIX))

    # -- uploads --------------------------------------------------------------------

    def receive(self, stream: BinaryIO) -> str:
        """Copy an upload body into a private file on the volume (same filesystem as the
        folder, so publishing is a link). The caller removes it."""
        os.makedirs(self.incoming, mode=DIR_MODE, exist_ok=True)
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
        if not os.path.isdir(self.incoming):
            return 0
        with os.scandir(self.incoming) as entries:
            for e in entries:
                try:
                    if e.stat(follow_symlinks=False).st_mtime < cutoff:
                        os.unlink(e.path)
                        removed += 1
                except FileNotFoundError:
                    pass
        return removed

    def check_free(self, dist: DistName) -> None:
        """Rejected(409) if the name, or another spelling of the same file, is published:
        checked before the body is read or inspected (and again under the lock)."""
        records = self.records_or_empty(dist.project)
        for other in records:
            if other == dist.filename or key_of(other) == dist.key:
                raise Rejected(409, f"{dist.filename} already exists (as {other})")

    def publish(self, filename: str, body_path: str, now: float | None = None) -> dict:
        """Publish a complete body under `filename`, first writer wins. Rejected(400/409)."""
        dist = parse_filename(filename)
        self.check_free(dist)
        digest = sha256_file(body_path)
        buried = self.ledger.tombstone(filename)
        if buried is not None and buried != digest[0]:
            raise Rejected(
                409,
                f"{filename} was published with other bytes and removed: a filename is never reused "
                "(publish a new version)",
            )
        info = inspect(body_path, dist, digest)  # outside the lock: it reads the whole file
        os.chmod(body_path, FILE_MODE)
        with self.lock():
            records = self.records_or_empty(dist.project)
            for other in records:
                if other == filename or key_of(other) == dist.key:
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
                self.write_metadata(filename, info.metadata)
                # A name published again with its own bytes (a restore) keeps its yank.
                yanked = self.ledger.yank_reason(filename)
                at = time.time() if now is None else now
                records[filename] = record_for(dist, info, os.stat(final), at, yanked)
                self.save_project(dist.project, records)
            except BaseException:
                # Failed half-way (disk full): take back the name and restore the pages, so
                # that nothing is half-published and a retry starts clean.
                records.pop(filename, None)
                if linked:
                    os.unlink(final)
                self.drop_metadata(filename)
                # A page may then name the file taken back: a 404, never a wrong file.
                with suppress(OSError):
                    self.save_project(dist.project, records)
                raise
            return records[filename]

    # -- removal and yank ---------------------------------------------------------------

    def find_version(self, name: str, version: str) -> list[Release]:
        project = check_project_name(name)
        try:
            wanted = Version(version)
        except InvalidVersion:
            raise Rejected(400, f"invalid version: {version[:80]!r}") from None
        try:
            records = self.read_project(project)
        except DamagedRecords as err:
            self.request_rebuild(project)
            raise Rejected(503, f"{err}: being rebuilt from the folder, retry in a few seconds") from None
        found = []
        for filename in records:
            dist = _parse(filename)
            if dist is not None and dist.version == wanted:
                found.append(Release(filename, project))
        return found

    def remove(self, release: Release) -> None:
        with self.lock():
            records = self.records_or_empty(release.project)
            record = records.pop(release.filename, None)
            if record is not None:
                # Before the file goes: its name never names other bytes again.
                self.ledger.bury(release.filename, record["sha256"])
            with suppress(FileNotFoundError):
                os.unlink(os.path.join(self.root, release.filename))
            self.drop_metadata(release.filename)
            self.save_project(release.project, records)

    def yank(self, name: str, version: str, reason: str | None) -> int:
        """Mark every file of a release yanked (PEP 592) with `reason`, or un-yank (None).
        The ledger holds the state (a rebuild reads it); the records carry it to the pages."""
        if reason is not None and len(reason) > limits.MAX_YANK_REASON_CHARS:
            raise Rejected(400, f"yank reason of {len(reason)} characters: at most {limits.MAX_YANK_REASON_CHARS}")
        releases = self.find_version(name, version)
        if not releases:
            raise Rejected(404, f"{name} {version} not found")
        project = releases[0].project
        with self.lock():
            records = self.records_or_empty(project)
            for r in releases:
                if r.filename in records:
                    self.ledger.set_yank(r.filename, reason)
                    records[r.filename]["yanked"] = False if reason is None else reason
            self.save_project(project, records)
        return len(releases)


def _parse(filename: str) -> DistName | None:
    try:
        return parse_filename(filename)
    except Rejected:
        return None


def key_of(filename: str) -> tuple | None:
    dist = _parse(filename)
    return dist.key if dist else None
