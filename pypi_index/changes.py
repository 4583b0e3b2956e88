"""What one look at a project's files found (scan.py), applied to its records and pages under
the store's lock, each change only if the folder still says so.

- found: files to list, new ones (valid, settled, not a tombstoned name with other bytes),
  or a published name holding its published bytes under a new inode or time (a restore by
  rename, a touch): listed again with their yank from the ledger.
- gone: published names no longer in the folder: their tombstone is written, then the record
  goes.
- foreign: names whose bytes are not the ones they were published with (changed in place,
  replaced by rename, or a removed name copied back with other bytes): the bytes are moved
  to the ledger's quarantine, the record goes, so no page ever lists a hash the file no
  longer has and nginx no longer serves the name.
- yanks: records whose yank differs from the ledger's (full passes only): the ledger wins,
  except that a yank recorded before the ledger existed moves into it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from packaging.utils import NormalizedName

from .records import record_key, stat_key
from .store import DamagedRecords, Store, key_of


@dataclass(frozen=True)
class Foreign:
    key: tuple[int, int, int]  # the file's stat_key when its bytes were hashed
    sha256: str  # of the bytes found
    published: str  # the sha256 the name was published with


@dataclass(frozen=True)
class Quarantined:
    filename: str
    foreign: Foreign
    moved_to: str


@dataclass
class Changes:
    found: dict[str, tuple[dict, bytes | None]] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    foreign: dict[str, Foreign] = field(default_factory=dict)
    yanks: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.found or self.gone or self.foreign or self.yanks)


@dataclass(frozen=True)
class Applied:
    changed: bool = False
    appeared_or_went: bool = False
    quarantined: tuple[Quarantined, ...] = ()


def _regular_file(path: str) -> bool:
    """What the folder's listing counts as a file: a symlink put in a file's place is none
    (nginx never follows one), so the file is gone."""
    return os.path.isfile(path) and not os.path.islink(path)


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def apply(store: Store, project: NormalizedName, changes: Changes) -> Applied:
    """Returns what changed; the caller writes the project list once for many projects."""
    with store.lock():
        try:
            records = store.read_project(project)
        except DamagedRecords:
            records = {}  # the look that found these changes rebuilt them whole
        changed = False
        for filename in changes.gone:
            record = records.get(filename)
            if record is not None and not _regular_file(os.path.join(store.root, filename)):
                store.ledger.bury(filename, record["sha256"])
                del records[filename]
                store.drop_metadata(filename)
                changed = True
        for filename, (record, metadata) in changes.found.items():
            changed = _list(store, records, filename, record, metadata) or changed
        quarantined = []
        for filename, foreign in changes.foreign.items():
            path = os.path.join(store.root, filename)
            st = _stat(path)
            known = records.get(filename)
            if st is None or stat_key(st) != foreign.key:
                continue  # changed again since it was hashed: the next pass looks again
            if known is not None and known["sha256"] != foreign.published:
                continue  # recorded anew meanwhile (another task): the next pass looks again
            store.ledger.bury(filename, foreign.published)
            quarantined.append(Quarantined(filename, foreign, store.ledger.quarantine(path, filename, foreign.sha256)))
            if known is not None:
                del records[filename]
                store.drop_metadata(filename)
            changed = True
        for filename in changes.yanks:
            changed = _sync_yank(store, records.get(filename), filename) or changed
        if not changed:
            return Applied(quarantined=tuple(quarantined))
        return Applied(True, store.save_project(project, records, root=False), tuple(quarantined))


def _list(store: Store, records: dict[str, dict], filename: str, record: dict, metadata: bytes | None) -> bool:
    st = _stat(os.path.join(store.root, filename))
    if st is None or stat_key(st) != record_key(record):
        return False  # changed again since it was read: the next pass looks again
    known = records.get(filename)
    if known is not None:
        if known["sha256"] != record["sha256"] or record_key(known) == record_key(record):
            return False  # other bytes are a quarantine's case; the same stat: recorded meanwhile
        records[filename] = {**known, "ino": st.st_ino, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
        return True
    if any(key_of(other) == key_of(filename) for other in records):
        return False  # a spelling variant of a published file is not listed
    reason = store.ledger.yank_reason(filename)
    store.write_metadata(filename, metadata)
    records[filename] = {**record, "yanked": False if reason is None else reason}
    return True


def _sync_yank(store: Store, record: dict | None, filename: str) -> bool:
    if record is None:
        return False
    reason = store.ledger.yank_reason(filename)
    if reason is None and record["yanked"] is not False:
        store.ledger.set_yank(filename, record["yanked"])  # yanked before the ledger existed
        return False
    wanted = False if reason is None else reason
    if record["yanked"] == wanted:
        return False
    record["yanked"] = wanted
    return True
