"""The static pages of the simple repository API, rendered from a project's file records.

HTML (PEP 503 + 629 + 592 + 658/714) and JSON (PEP 691 with the PEP 700 fields, API 1.1).
Links are relative to the page, so no request header can change what a page says.
A record is a dict: filename, sha256, size, upload_time (ISO 8601 UTC), requires_python,
metadata_sha256 (None when no .metadata file is served), yanked (False or the reason).
"""

from __future__ import annotations

import html
import json
from urllib.parse import quote

from packaging.utils import NormalizedName
from packaging.version import Version

from .dist import try_parse_filename

API_VERSION = "1.1"
# From /simple/<project>/ to /packages/<file>.
FILES_FROM_PROJECT_PAGE = "../../packages/"


def _order(record: dict) -> tuple:
    # Oldest version first, as pypiserver lists them (clients that pick "the last link"
    # rely on it); unparsable names (never published by uploads) sort first.
    dist = try_parse_filename(record["filename"])
    return (dist is not None, dist.version if dist else Version("0"), record["filename"])


def ordered(records: list[dict]) -> list[dict]:
    return sorted(records, key=_order)


def _url(record: dict) -> str:
    return FILES_FROM_PROJECT_PAGE + quote(record["filename"])


def project_html(project: NormalizedName, records: list[dict]) -> str:
    links = []
    for r in ordered(records):
        attrs = [f'href="{html.escape(_url(r))}#sha256={r["sha256"]}"']
        if r.get("requires_python"):
            attrs.append(f'data-requires-python="{html.escape(r["requires_python"])}"')
        if r.get("metadata_sha256"):
            # PEP 714's name, and PEP 658's for clients from before it.
            attrs.append(f'data-core-metadata="sha256={r["metadata_sha256"]}"')
            attrs.append(f'data-dist-info-metadata="sha256={r["metadata_sha256"]}"')
        if r.get("yanked") is not False and r.get("yanked") is not None:
            attrs.append(f'data-yanked="{html.escape(r["yanked"])}"')
        links.append(f"    <a {' '.join(attrs)}>{html.escape(r['filename'])}</a><br/>")
    title = html.escape(f"Links for {project}")
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">\n'
        f"    <title>{title}</title>\n  </head>\n  <body>\n    <h1>{title}</h1>\n"
        + "".join(line + "\n" for line in links)
        + "  </body>\n</html>\n"
    )


def project_json(project: NormalizedName, records: list[dict]) -> str:
    files, versions = [], set()
    for r in ordered(records):
        dist = try_parse_filename(r["filename"])
        if dist is not None:
            versions.add(dist.version)
        entry = {
            "filename": r["filename"],
            "url": _url(r),
            "hashes": {"sha256": r["sha256"]},
            "requires-python": r.get("requires_python"),
            "size": r["size"],
            "upload-time": r["upload_time"],
            # PEP 691: a reason must be non-empty; yanked without one is plain true.
            "yanked": (r["yanked"] or True) if isinstance(r.get("yanked"), str) else False,
        }
        meta = {"sha256": r["metadata_sha256"]} if r.get("metadata_sha256") else False
        entry["core-metadata"] = meta
        entry["dist-info-metadata"] = meta
        files.append(entry)
    doc = {
        "meta": {"api-version": API_VERSION},
        "name": project,
        "files": files,
        "versions": [str(v) for v in sorted(versions)],
    }
    return json.dumps(doc, separators=(",", ":")) + "\n"


def root_html(projects: list[NormalizedName]) -> str:
    links = "".join(f'    <a href="{quote(p)}/">{html.escape(p)}</a><br/>\n' for p in sorted(projects))
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">\n'
        "    <title>Simple index</title>\n  </head>\n  <body>\n" + links + "  </body>\n</html>\n"
    )


def root_json(projects: list[NormalizedName]) -> str:
    doc = {"meta": {"api-version": API_VERSION}, "projects": [{"name": p} for p in sorted(projects)]}
    return json.dumps(doc, separators=(",", ":")) + "\n"
