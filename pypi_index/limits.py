"""What the index accepts at most, in one place (docs/security.md lists the same values).

Every limit is checked before the work it bounds: archive limits from the archive's directory
(a zip's central directory, a tar's member headers) before any member is inflated, so a small
hostile file costs a small read; text limits before anything is written.
"""

from __future__ import annotations

MIB = 1 << 20

# A filename (and a project name given to remove or yank). The folder's filesystem allows
# 255 bytes per name; the index keeps names of its own derived from a filename (the PEP 658
# `<file>.metadata`, a quarantined `<file>.<sha256>`), which must fit too.
MAX_FILENAME_BYTES = 180

# Core metadata (a wheel's METADATA, an sdist's PKG-INFO): it is read into memory and served
# as `<file>.metadata` to every resolver that considers the file. Long descriptions with a
# changelog stay far below this.
MAX_METADATA_BYTES = 8 * MIB

# Members of one archive: the zip's central directory, or the tar's member headers, is read
# whole before anything else; wheels with the most files (tens of thousands of generated
# modules) stay below it.
MAX_ARCHIVE_MEMBERS = 50_000
# A zip's central directory, read into memory at once: 512 bytes per member on average (a
# directory entry is 46 bytes plus its name and extra fields).
MAX_ZIP_DIRECTORY_BYTES = MAX_ARCHIVE_MEMBERS * 512
# A tar's extended header (PAX records, a GNU long name) is read into memory.
MAX_TAR_EXTENDED_HEADER_BYTES = 64 * 1024

# The sum of the members' sizes once unpacked, as the directory declares them (every member
# is inflated once to check its CRC or the gzip stream): at most UNPACK_RATIO times the
# archive's own size (compressed text reaches 10:1; 100:1 is padding, a bomb), or
# UNPACK_FLOOR_BYTES for small archives, and never more than MAX_UNPACKED_BYTES.
UNPACK_RATIO = 100
UNPACK_FLOOR_BYTES = 64 * MIB
MAX_UNPACKED_BYTES = 4 * 1024 * MIB

# A yank's reason (PEP 592), in characters: written into both pages of the project for every
# yanked file, so it is a sentence and a link, not a document.
MAX_YANK_REASON_CHARS = 1000


def max_unpacked_bytes(archive_size: int) -> int:
    """What an archive of `archive_size` bytes may unpack to."""
    return min(MAX_UNPACKED_BYTES, max(UNPACK_FLOOR_BYTES, UNPACK_RATIO * archive_size))
