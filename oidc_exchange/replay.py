"""Identity tokens used once: each `jti` is claimed by creating a file on the shared volume
with O_EXCL, which exactly one creator wins on every task (NFSv4 exclusive create on EFS).
Entries outlive the token's own expiry plus the leeway, then the sweep removes them; the
revocation markers of upload tokens (pypi_index/upload_tokens.py) are swept the same way.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time

from pypi_index import contract, upload_tokens

SWEEP_INTERVAL_SECONDS = 600


class Replayed(Exception):
    """This identity token was used before."""


class UsedTokens:
    def __init__(self, packages_dir: str, keep_after_expiry: float):
        self.dir = os.path.join(packages_dir, contract.INDEX_DIR, contract.USED_IDENTITY_TOKENS_DIR)
        self.revoked = os.path.join(packages_dir, contract.INDEX_DIR, upload_tokens.REVOKED_DIR)
        self.keep_after_expiry = keep_after_expiry
        self._last_sweep = 0.0
        os.makedirs(self.dir, mode=0o755, exist_ok=True)

    def claim(self, issuer: str, jti: str, expires: int) -> None:
        """Record the token as used; Replayed if any task recorded it before."""
        name = hashlib.sha256(f"{issuer}\n{jti}".encode()).hexdigest()
        try:
            fd = os.open(os.path.join(self.dir, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            raise Replayed from None
        with os.fdopen(fd, "w") as f:
            f.write(str(int(expires + self.keep_after_expiry)))
        self.sweep()

    def sweep(self, now: float | None = None) -> int:
        """Drop entries past their keep time (at most once per interval); how many went."""
        now = time.time() if now is None else now
        if now - self._last_sweep < SWEEP_INTERVAL_SECONDS:
            return 0
        self._last_sweep = now
        removed = 0
        for folder in (self.dir, self.revoked):
            with contextlib.suppress(FileNotFoundError):
                for entry in os.scandir(folder):
                    try:
                        with open(entry.path) as f:
                            until = int(f.read().strip() or 0)
                    except (OSError, ValueError):
                        continue
                    if until and until < now:
                        with contextlib.suppress(FileNotFoundError):
                            os.unlink(entry.path)
                            removed += 1
        return removed
