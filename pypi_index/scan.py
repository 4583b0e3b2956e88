"""Notice changes made to the package folder out of band (a restore from backup, an admin's
copy, a file overwritten, .index/ deleted) and bring records and pages in line.

Idle cost is one stat of the folder per interval, plus a slice of the sweep: a directory's
mtime changes whenever an entry is added, removed or renamed, so the folder is listed again
only after a change. A listing (names and inode numbers, no per-file stat) is diffed against
the previous one, and only the projects of changed names are read and rewritten. The first
pass after a start compares the whole folder with the stored records, so hashes of known
files are not computed again: a pass killed half-way resumes where it stopped, not from
nothing. Once a whole pass has completed, the store's ready marker says so (nginx answers 503,
not 404, for a page not written before it); if the marker goes (.index deleted or rebuilt), the
next poll compares the whole folder again and writes it back.

A file overwritten in place keeps its name and inode, so no listing shows it: the sweep stats
every recorded file once per CHANGE_SWEEP_SECONDS (a slice at each pass) and compares inode,
size and mtime with its record. A published name whose bytes are no longer the published ones
is quarantined (changes.py), audited with both hashes and counted for the alarm.

A file enters the index only once it is complete: unchanged for SETTLE_SECONDS and a valid
distribution (a copy still in progress fails validation or is too recent, and is checked
again at each pass while pending, cheaply by size and mtime).

Nothing stops a pass but the folder itself being unreadable: a file that cannot be indexed is
logged, audited (scan-failed) and looked at again when it changes (invalid) or at the next
pass (an error reading it); a project that fails is retried at the next pass. A lost or
replaced .index/ (a new inode) makes the next pass a full one, which rebuilds records and
pages from the folder, with yanks from the ledger.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections import defaultdict

from packaging.utils import NormalizedName

from . import audit, contract
from .changes import Applied, Changes, Foreign, apply
from .dist import Rejected, inspect, sha256_file, try_parse_filename
from .records import record_for, record_key, stat_key
from .store import DamagedRecords, Store

log = logging.getLogger("pypi_index.scan")

SETTLE_SECONDS = contract.SETTLE_SECONDS
# Upload bodies untouched this long belong to no live upload (the front's upload timeout is
# 300 s); the first pass after a start removes them.
ABANDONED_UPLOAD_SECONDS = 3600
# What run_scanner's interval is unless told (the task passes INDEX_SCAN_SECONDS).
DEFAULT_INTERVAL_SECONDS = 2.0


def _project(filename: str) -> NormalizedName:
    """The project of a name already known to parse (pending and invalid hold only those)."""
    dist = try_parse_filename(filename)
    assert dist is not None, filename
    return dist.project


def _event(result: str, *, project: str = "", filename: str = "", **fields) -> None:
    audit.write(
        user="", action="scan", result=result, status=0, client="", project=project, filename=filename, **fields
    )


class Scanner:
    def __init__(
        self,
        store: Store,
        settle_seconds: float = SETTLE_SECONDS,
        sweep_seconds: float = contract.CHANGE_SWEEP_SECONDS,
        interval: float = DEFAULT_INTERVAL_SECONDS,
    ):
        self.store = store
        self.settle_ns = int(settle_seconds * 1e9)
        self.sweep_seconds, self.interval = sweep_seconds, interval
        self.dir_key: tuple | None = None
        self.index_key: tuple | None = None
        # project -> {filename: inode} as last listed; None before the first (full) pass.
        self.listed: dict[NormalizedName, dict[str, int]] | None = None
        # filename -> (size, mtime_ns) of files waiting to settle, or found invalid at that state.
        self.pending: dict[str, tuple[int, int]] = {}
        self.invalid: dict[str, tuple[int, int]] = {}
        self.failed: set[NormalizedName] = set()  # looked at again at the next pass
        # filename -> stat_key as recorded, for the sweep; names the sweep found changed.
        self.recorded: dict[str, tuple[int, int, int]] = {}
        self.suspects: set[str] = set()
        self._sweep_queue: list[str] = []
        self._project_of: dict[str, NormalizedName | None] = {}
        self._buried: set[str] | None = None  # the ledger's tombstones, listed once per pass
        self._with_records: set[NormalizedName] = set()  # projects this pass left records for
        self.full_passes = 0

    def _index_key(self) -> tuple | None:
        """Which .index/ this is: its folder, its records' folder and the mark of its last
        full pass (a deletion that leaves folders behind still takes the mark)."""
        try:
            return tuple(os.stat(p).st_ino for p in (self.store.index, self.store.projects, self.store.ready_marker))
        except FileNotFoundError:
            return None

    def _list(self) -> dict[NormalizedName, dict[str, int]]:
        by_project: dict[NormalizedName, dict[str, int]] = defaultdict(dict)
        # Names are parsed once: listing 100k names is cheap, parsing them all is not.
        known, projects = self._project_of, {}
        with os.scandir(self.store.root) as entries:
            for e in entries:
                if e.name.startswith(".") or not e.is_file(follow_symlinks=False):
                    continue
                if e.name in known:
                    project = known[e.name]
                else:
                    dist = try_parse_filename(e.name)
                    project = dist.project if dist else None
                projects[e.name] = project
                if project is not None:  # anything else is never listed (and never served as a page)
                    by_project[project][e.name] = e.inode()
        self._project_of = projects
        return by_project

    def poll(self) -> bool:
        """One pass; True if records changed."""
        if self._index_key() != self.index_key:
            if self.listed is not None:
                log.warning("%s was deleted or replaced: rebuilding it from the folder", self.store.index)
            self.listed = None
        st = os.stat(self.store.root)
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        # Timestamps are coarse (a clock tick): a change in the same tick as our listing
        # would leave the mtime equal, so keep listing while the last change is recent.
        recent = time.time_ns() - st.st_mtime_ns < self.settle_ns
        full = self.listed is None
        self._buried = None
        if full:
            self.store.prepare()
            removed = self.store.clean_incoming(ABANDONED_UPLOAD_SECONDS)
            if removed:
                log.warning("removed %d abandoned upload bodies", removed)
            listed = self._list()
            projects = set(listed) | set(self.store.project_names())
        elif key == self.dir_key and not recent and self.listed is not None:
            # Nothing added or removed: only files waiting to settle, or found invalid
            # (a copy that stalled), are looked at again, by one stat each.
            listed = self.listed
            waiting = {
                n
                for n, state in {**self.invalid, **self.pending}.items()
                if self._state(n) != state or n in self.pending
            }
            projects = {_project(n) for n in waiting}
        else:
            previous = self.listed or {}
            listed = self._list()
            projects = {p for p in set(listed) | set(previous) if listed.get(p) != previous.get(p)}
            projects |= {_project(n) for n in {**self.pending, **self.invalid}}
        rebuilds = self.store.rebuild_requests()
        projects |= self.failed | rebuilds | self._sweep()
        self.failed = set()
        changed = self._reconcile_all(projects, listed, full, rebuilds)
        self.dir_key, self.listed = key, listed
        if full and self._complete():
            self.store.mark_ready()
            self.index_key = self._index_key()
            self.full_passes += 1
        elif full:
            self.listed = None  # something was deleted while the pass ran: another full pass
        return changed

    def _complete(self) -> bool:
        """Every project the pass left records for still has them, and its pages."""
        try:
            records, pages = set(os.listdir(self.store.projects)), set(os.listdir(self.store.simple))
        except FileNotFoundError:
            return False
        wanted = self._with_records
        return {f"{p}.json" for p in wanted} <= records and wanted <= pages

    def _sweep(self) -> set[NormalizedName]:
        """Stat this pass's slice of the recorded files: one round per sweep_seconds."""
        if not self.recorded:
            return set()
        budget = min(len(self.recorded), math.ceil(len(self.recorded) * self.interval / self.sweep_seconds))
        projects = set()
        for _ in range(budget):
            if not self._sweep_queue:
                self._sweep_queue = list(self.recorded)
            filename = self._sweep_queue.pop()
            expected = self.recorded.get(filename)
            try:
                st = os.stat(os.path.join(self.store.root, filename))
            except FileNotFoundError:
                continue  # removals show in the listing
            if expected is not None and stat_key(st) != expected:
                self.suspects.add(filename)
                projects.add(_project(filename))
        return projects

    def _reconcile_all(
        self,
        projects: set[NormalizedName],
        listed: dict[NormalizedName, dict[str, int]],
        full: bool,
        rebuilds: set[NormalizedName],
    ) -> bool:
        changed = root = False
        self._with_records = set()
        yanked = self.store.ledger.yanked() if full else None
        with self.store.batch():
            for project in sorted(projects):
                try:
                    applied = self._reconcile(project, listed.get(project, {}), yanked)
                except Exception as err:  # this project at the next pass; the others now
                    log.exception("scan of %s failed", project)
                    _event(contract.SCAN_FAILED, project=project, detail=f"{type(err).__name__}: {err}")
                    self.failed.add(project)
                    continue
                if project in rebuilds:
                    self.store.rebuilt(project)
                changed, root = changed or applied.changed, root or applied.appeared_or_went
            if root or full:
                self.store.write_root()  # once per pass, not once per new project
        return changed

    def _state(self, filename: str) -> tuple[int, int] | None:
        try:
            st = os.stat(os.path.join(self.store.root, filename))
        except FileNotFoundError:
            return None
        return (st.st_size, st.st_mtime_ns)

    def _reconcile(self, project: NormalizedName, on_disk: dict[str, int], yanked: dict[str, str] | None) -> Applied:
        try:
            records = self.store.read_project(project)
        except DamagedRecords as err:
            _event(contract.SCAN_FAILED, project=project, detail=f"{err}: rebuilt from the folder")
            records = {}
        changes = Changes(gone={f for f in records if f not in on_disk})
        for filename, ino in on_disk.items():
            known = records.get(filename)
            if known is not None and known["ino"] == ino and filename not in self.suspects:
                self.pending.pop(filename, None)
                self.invalid.pop(filename, None)
                continue
            try:
                self._look(filename, known, changes)
            except Exception as err:  # unreadable now (EIO, gone mid-read): the next pass
                log.warning("could not index %s: %s", filename, err)
                _event(contract.SCAN_FAILED, project=project, filename=filename, detail=f"{type(err).__name__}: {err}")
                self.failed.add(project)
        if yanked is not None:
            changes.yanks = {f for f, r in records.items() if r.get("yanked", False) != yanked.get(f, False)}
        for filename in changes.gone:
            self.pending.pop(filename, None)
            self.invalid.pop(filename, None)
        applied = apply(self.store, project, changes) if changes else Applied()
        for q in applied.quarantined:
            log.error("%s changed out of band: quarantined as %s", q.filename, q.moved_to)
            _event(
                contract.QUARANTINED,
                project=project,
                filename=q.filename,
                sha256=q.foreign.sha256,
                previous_sha256=q.foreign.published,
                detail=f"bytes are not the published ones: moved to {os.path.relpath(q.moved_to, self.store.root)}",
            )
        self._remember(project, records, on_disk, changes)
        return applied

    def _remember(
        self, project: NormalizedName, records: dict[str, dict], on_disk: dict[str, int], changes: Changes
    ) -> None:
        """The sweep's view of the project: its records with this look's changes (what the
        lock refused to apply shows as a change at a later sweep, and is looked at again)."""
        now = {**records, **{f: r for f, (r, _) in changes.found.items()}}
        for filename in on_disk:
            self.suspects.discard(filename)
            if filename in now and filename not in changes.foreign:
                self.recorded[filename] = record_key(now[filename])
                self._with_records.add(project)
            else:
                self.recorded.pop(filename, None)
        for filename in changes.gone:
            self.recorded.pop(filename, None)

    def _tombstoned(self, filename: str) -> str | None:
        if self._buried is None:
            try:
                self._buried = set(os.listdir(self.store.ledger.removed_dir))
            except FileNotFoundError:
                self._buried = set()
        return self.store.ledger.tombstone(filename) if filename in self._buried else None

    def _look(self, filename: str, known: dict | None, changes: Changes) -> None:
        """One name of the folder that its record does not vouch for."""
        path = os.path.join(self.store.root, filename)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return  # the next listing drops it
        if known is not None:
            if stat_key(st) == record_key(known):
                return  # as recorded (the sweep saw it mid-change, or the records moved on)
            # The published name under another inode, size or time: its bytes decide.
            sha, _ = sha256_file(path)
            if sha == known["sha256"]:
                changes.found[filename] = ({**known, **_stat_fields(st)}, None)
            else:
                changes.foreign[filename] = Foreign(stat_key(st), sha, known["sha256"])
            return
        state = (st.st_size, st.st_mtime_ns)
        if time.time_ns() - st.st_mtime_ns < self.settle_ns:
            self.pending[filename] = state  # still being written, perhaps
            return
        self.pending.pop(filename, None)
        dist = try_parse_filename(filename)
        if self.invalid.get(filename) == state or dist is None:
            return
        digest = sha256_file(path)
        buried = self._tombstoned(filename)
        if buried is not None and buried != digest[0]:
            changes.foreign[filename] = Foreign(stat_key(st), digest[0], buried)
            return
        try:
            info = inspect(path, dist, digest)
        except Rejected as err:
            self.invalid[filename] = state
            log.warning("not indexed: %s", err)
            _event(contract.SCAN_FAILED, project=dist.project, filename=filename, detail=str(err))
            return
        self.invalid.pop(filename, None)
        changes.found[filename] = (record_for(dist, info, st, st.st_mtime), info.metadata)


def _stat_fields(st: os.stat_result) -> dict:
    return {"ino": st.st_ino, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
