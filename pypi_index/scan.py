"""Notice files added to or removed from the package folder out of band (a restore from
backup, an admin's copy) and bring records and pages in line.

Idle cost is one stat of the folder per interval: a directory's mtime changes whenever an
entry is added, removed or renamed, so the folder is listed again only after a change. A
listing (names and inode numbers, no per-file stat) is diffed against the previous one, and
only the projects of changed names are read and rewritten. The first pass after a start
compares the whole folder with the stored records, so hashes of known files are not
computed again: a pass killed half-way resumes where it stopped, not from nothing. Once a
whole pass has completed, the store's ready marker says so (nginx answers 503, not 404, for a
page not written before it); if the marker goes (.index deleted or rebuilt), the next poll
compares the whole folder again and writes it back.

A file enters the index only once it is complete: unchanged for SETTLE_SECONDS and a valid
distribution (a copy still in progress fails validation or is too recent, and is checked
again at each pass while pending, cheaply by size and mtime).
"""

from __future__ import annotations

import logging
import os
import time
from collections import defaultdict

from packaging.utils import NormalizedName

from . import contract
from .dist import Rejected, inspect, try_parse_filename
from .store import Store, record_for

log = logging.getLogger("pypi_index.scan")

SETTLE_SECONDS = contract.SETTLE_SECONDS
# Upload bodies untouched this long belong to no live upload (the front's upload timeout is
# 300 s); the first pass after a start removes them.
ABANDONED_UPLOAD_SECONDS = 3600


def _project(filename: str) -> NormalizedName:
    """The project of a name already known to parse (pending and invalid hold only those)."""
    dist = try_parse_filename(filename)
    assert dist is not None, filename
    return dist.project


class Scanner:
    def __init__(self, store: Store, settle_seconds: float = SETTLE_SECONDS):
        self.store = store
        self.settle_ns = int(settle_seconds * 1e9)
        self.dir_key: tuple | None = None
        # project -> {filename: inode} as last listed; None before the first pass.
        self.listed: dict[NormalizedName, dict[str, int]] | None = None
        # filename -> (size, mtime_ns) of files waiting to settle, or found invalid at that state.
        self.pending: dict[str, tuple[int, int]] = {}
        self.invalid: dict[str, tuple[int, int]] = {}
        self._project_of: dict[str, NormalizedName | None] = {}

    def _list(self) -> dict[NormalizedName, dict[str, int]]:
        by_project: dict[NormalizedName, dict[str, int]] = defaultdict(dict)
        # Names are parsed once: listing 100k names is cheap, parsing them all is not.
        known, projects = self._project_of, {}
        with os.scandir(self.store.root) as entries:
            for e in entries:
                if e.name.startswith(".") or e.name == contract.INDEX_DIR or not e.is_file(follow_symlinks=False):
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
        if self.listed is not None and not self.store.is_ready():
            # The marker went, with .index perhaps: compare the whole folder again.
            self.store.prepare()
            self.listed = None
        full = self.listed is None
        changed = self._poll()
        if full and not self.store.is_ready():
            self.store.mark_ready()
        return changed

    def _poll(self) -> bool:
        st = os.stat(self.store.root)
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        # Timestamps are coarse (a clock tick): a change in the same tick as our listing
        # would leave the mtime equal, so keep listing while the last change is recent.
        recent = time.time_ns() - st.st_mtime_ns < self.settle_ns
        if key == self.dir_key and not recent and self.listed is not None:
            # Nothing added or removed: only files waiting to settle, or found invalid
            # (a copy that stalled), are looked at again, by one stat each.
            waiting = {
                n
                for n, state in {**self.invalid, **self.pending}.items()
                if self._state(n) != state or n in self.pending
            }
            projects = {_project(n) for n in waiting}
            return self._reconcile_all(projects, self.listed)
        listed = self._list()
        self.dir_key = key
        if self.listed is None:
            removed = self.store.clean_incoming(ABANDONED_UPLOAD_SECONDS)
            if removed:
                log.warning("removed %d abandoned upload bodies", removed)
            projects = set(listed) | set(self.store.project_names())
        else:
            projects = {p for p in set(listed) | set(self.listed) if listed.get(p) != self.listed.get(p)}
            projects |= {_project(n) for n in {**self.pending, **self.invalid}}
        self.listed = listed
        return self._reconcile_all(projects, listed)

    def _reconcile_all(self, projects: set[NormalizedName], listed: dict[NormalizedName, dict[str, int]]) -> bool:
        changed = root = False
        with self.store.batch():
            for project in sorted(projects):
                c, r = self._reconcile(project, listed.get(project, {}))
                changed, root = changed or c, root or r
            if root:
                self.store.write_root()  # once per pass, not once per new project
        return changed

    def _state(self, filename: str) -> tuple[int, int] | None:
        try:
            st = os.stat(os.path.join(self.store.root, filename))
        except FileNotFoundError:
            return None
        return (st.st_size, st.st_mtime_ns)

    def _reconcile(self, project: NormalizedName, on_disk: dict[str, int]) -> tuple[bool, bool]:
        records = self.store.read_project(project)
        gone = {f for f in records if f not in on_disk}
        found = {}
        for filename, ino in on_disk.items():
            known = records.get(filename)
            if known is not None and known["ino"] == ino:
                self.pending.pop(filename, None)
                self.invalid.pop(filename, None)
                continue
            path = os.path.join(self.store.root, filename)
            try:
                st = os.stat(path)
            except FileNotFoundError:
                continue
            state = (st.st_size, st.st_mtime_ns)
            if time.time_ns() - st.st_mtime_ns < self.settle_ns:
                self.pending[filename] = state  # still being written, perhaps
                continue
            self.pending.pop(filename, None)
            if self.invalid.get(filename) == state:
                continue
            dist = try_parse_filename(filename)
            if dist is None:  # not a distribution's name: never indexed
                continue
            try:
                info = inspect(path, dist)
            except Rejected as err:
                self.invalid[filename] = state
                log.warning("not indexed: %s", err)
                continue
            self.invalid.pop(filename, None)
            found[filename] = (record_for(dist, info, st, st.st_mtime), info.metadata)
        for filename in gone:
            self.pending.pop(filename, None)
            self.invalid.pop(filename, None)
        if not found and not gone:
            return False, False
        return self.store.apply(project, found, gone)
