"""What the package folder must remember that its files cannot say: yanks, the names of
removed files, and bytes that replaced a published file out of band.

    <folder>/.ledger/yanked/<file>       the file is yanked (PEP 592); content: the reason
    <folder>/.ledger/removed/<file>      a tombstone: the sha256 the name was published with
    <folder>/.ledger/quarantine/<file>.<sha256>   bytes found under a published name that
                                         were not the published ones, moved out of service

Everything under .index/ is derived from the files and this ledger, and rebuilds itself when
lost; the ledger is not derived from anything, so it lives beside the files, where a restore
of the folder brings it back with them. Writers hold the store's lock; each entry is one
small file written by temp file + rename, so a reader sees it whole or not at all.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import suppress

from . import contract

Write = Callable[[str, bytes], None]


class Ledger:
    def __init__(self, root: str, write: Write):
        self.dir = os.path.join(root, contract.LEDGER_DIR)
        self.yanked_dir = os.path.join(self.dir, contract.LEDGER_YANKED)
        self.removed_dir = os.path.join(self.dir, contract.LEDGER_REMOVED)
        self.quarantine_dir = os.path.join(self.dir, contract.LEDGER_QUARANTINE)
        self._write = write

    @staticmethod
    def _entry(directory: str, filename: str) -> str:
        # Callers pass parsed distribution names; this keeps any other name from becoming a path.
        if not filename or "/" in filename or filename.startswith(".") or "\0" in filename:
            raise ValueError(f"not a distribution filename: {filename!r}")
        return os.path.join(directory, filename)

    @staticmethod
    def _read(path: str) -> bytes | None:
        try:
            with open(path, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    # -- yanks ---------------------------------------------------------------------------

    def yank_reason(self, filename: str) -> str | None:
        """The reason `filename` is yanked ("" for none given), or None when it is not."""
        data = self._read(self._entry(self.yanked_dir, filename))
        return None if data is None else data.decode("utf-8", "replace")

    def set_yank(self, filename: str, reason: str | None) -> None:
        path = self._entry(self.yanked_dir, filename)
        if reason is None:
            with suppress(FileNotFoundError):
                os.unlink(path)
        else:
            self._write(path, reason.encode())

    def yanked(self) -> dict[str, str]:
        """Every yanked file and its reason: one listing, and one read per yanked file."""
        try:
            names = os.listdir(self.yanked_dir)
        except FileNotFoundError:
            return {}
        found = {}
        for name in names:
            if not name.startswith("."):
                reason = self.yank_reason(name)
                if reason is not None:
                    found[name] = reason
        return found

    # -- tombstones ------------------------------------------------------------------------

    def tombstone(self, filename: str) -> str | None:
        """The sha256 a removed `filename` was published with, or None."""
        data = self._read(self._entry(self.removed_dir, filename))
        return None if data is None else data.decode("ascii", "replace").strip()

    def bury(self, filename: str, sha256: str) -> None:
        """Remember that `filename` named these bytes: it never names other bytes again."""
        self._write(self._entry(self.removed_dir, filename), sha256.encode() + b"\n")

    # -- quarantine ------------------------------------------------------------------------

    def quarantine(self, path: str, filename: str, sha256: str) -> str:
        """Move the file at `path` (same filesystem) out of service; returns where it went."""
        os.makedirs(self.quarantine_dir, mode=0o755, exist_ok=True)
        target = self._entry(self.quarantine_dir, f"{filename}.{sha256}")
        os.replace(path, target)
        return target
