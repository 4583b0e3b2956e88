"""Who may write which project: project patterns, shared by the stack's config (which
validates them) and the index (which checks every write against them).

A pattern is a project name, or a name with `*` standing for any run of characters
(`acme-*`); both sides compare normalized names (PEP 503: lowercase, runs of `-_.` as one
`-`), so `Acme_Widgets` and `acme-widgets` are one project and one pattern.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

from packaging.utils import InvalidName, canonicalize_name

WILDCARD = "*"
# Every project: what a user without a `projects` list may publish.
ANY_PROJECT = (WILDCARD,)


def canonical_pattern(pattern: str) -> str:
    """The normalized pattern; ValueError (one line) when no project name could match it.

    Each run of characters between wildcards must be a valid name fragment: the pattern with
    every `*` replaced by a letter must be a valid project name (packaging's rule)."""
    if not pattern or pattern.strip() != pattern:
        raise ValueError(f"{pattern!r} is not a project name or pattern (empty or surrounded by spaces)")
    if pattern != WILDCARD:
        try:
            canonicalize_name(pattern.replace(WILDCARD, "x"), validate=True)
        except InvalidName:
            raise ValueError(
                f"{pattern!r} is not a project name or pattern: letters, digits, '.', '_', '-', "
                "starting and ending with a letter or digit, and '*' for any run of characters"
            ) from None
    # canonicalize_name leaves '*' alone; collapse repeated wildcards.
    return re.sub(r"\*+", WILDCARD, canonicalize_name(pattern))


def allows(patterns: tuple[str, ...] | list[str], project: str) -> bool:
    """Whether any of the (normalized) patterns covers the project."""
    name = canonicalize_name(project)
    return any(fnmatchcase(name, p) for p in patterns)


def refusal(who: str, project: str) -> str:
    """The one line a refused write gets (403), naming the project."""
    return f"{who} may not publish project {canonicalize_name(project)!r}"
