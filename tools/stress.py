"""`make stress URL=... PROFILE=burst`: validate a deployed (or local) index under load.

Like the Terraform module's stress tests: pip-like installs (page + download, sha256
checked), and for `with-uploads` 30 % twine-like uploads of throwaway projects named
`stress-upload-<run>-<n>` (they stay in the index: remove them afterwards). Bounded in
operations and time; prints a progress bar and a summary with pass/fail against the
guide's criteria and ours; writes JSON and a latency plot (PNG).

Credentials: --username/--password, else PYPI_USERNAME/PYPI_PASSWORD (or TWINE_*).
A bad URL or refused credentials stop it before the load starts, with one line.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from commands.cli import ArgumentParser, fail
from tools import loadgen, plots
from tools.loadgen import basic_auth_headers

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROJECT_LINK = re.compile(r'href="([^"/]+)/"')
EXIT_TARGETS_MISSED = 1
EXIT_UNREACHABLE = 3


def check_url(url: str) -> str:
    if not url:
        fail("URL is required, e.g. make stress URL=http://127.0.0.1:8080 PROFILE=burst")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        fail(f"URL {url!r}: expected http(s)://host[:port][/path], e.g. URL=http://127.0.0.1:8080")
    return url.rstrip("/")


def credentials_from(args) -> loadgen.Credentials | None:
    user = args.username or os.environ.get("PYPI_USERNAME") or os.environ.get("TWINE_USERNAME")
    password = args.password or os.environ.get("PYPI_PASSWORD") or os.environ.get("TWINE_PASSWORD")
    if bool(user) != bool(password):
        fail("give both a username and a password (--username/--password or PYPI_USERNAME/PYPI_PASSWORD)")
    return (user, password) if user and password else None


def preflight(url: str, credentials: loadgen.Credentials | None, timeout: float = 10) -> list[str]:
    """One request to the index page: reachable, credentials accepted, projects to install."""
    request = urllib.request.Request(f"{url}/simple/", headers=basic_auth_headers(credentials))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            body = resp.read().decode(errors="replace")
    except urllib.error.HTTPError as err:
        if err.code in (401, 403):
            given = "credentials were refused" if credentials else "the index needs credentials"
            fail(
                f"{url}/simple/ answered {err.code}: {given} (--username/--password or PYPI_USERNAME/PYPI_PASSWORD)",
                EXIT_UNREACHABLE,
            )
        fail(f"{url}/simple/ answered {err.code} {err.reason}: is this a pypiserver index?", EXIT_UNREACHABLE)
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        fail(f"cannot reach {url}: {reason}", EXIT_UNREACHABLE)
    projects = [p for p in PROJECT_LINK.findall(body) if not p.startswith("stress-upload-")]
    if projects:
        check_download(url, projects[0], credentials, timeout)
    return projects


def check_download(url: str, project: str, credentials: loadgen.Credentials | None, timeout: float) -> None:
    """One install before the load: downloads may be protected when listing is not."""
    headers = basic_auth_headers(credentials)
    try:
        page_url = f"{url}/simple/{project}/"
        with urllib.request.urlopen(urllib.request.Request(page_url, headers=headers), timeout=timeout) as resp:
            links = loadgen.LINK.findall(resp.read().decode(errors="replace"))
            page_url = resp.url
        if links:
            file_url = urllib.parse.urljoin(page_url, links[-1][0])
            with urllib.request.urlopen(urllib.request.Request(file_url, headers=headers), timeout=timeout) as resp:
                resp.read()
    except urllib.error.HTTPError as err:
        if err.code in (401, 403):
            fail(
                f"{err.url} answered {err.code}: credentials refused for downloads "
                "(--username/--password or PYPI_USERNAME/PYPI_PASSWORD)",
                EXIT_UNREACHABLE,
            )
        fail(f"{err.url} answered {err.code} {err.reason} before the load started", EXIT_UNREACHABLE)
    except (urllib.error.URLError, OSError) as err:
        fail(f"cannot reach {url}: {getattr(err, 'reason', err)}", EXIT_UNREACHABLE)


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="make stress", description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the index root, e.g. https://pypiserver.example.com")
    parser.add_argument("--profile", default="burst", choices=sorted(loadgen.PROFILES))
    parser.add_argument("--username")
    parser.add_argument("--password")
    parser.add_argument("--clients", type=int, help="override the profile's concurrency")
    parser.add_argument("--max-operations", type=int, help="override the profile's operation bound")
    parser.add_argument("--max-seconds", type=float, help="override the profile's time bound")
    parser.add_argument("--timeout", type=float, default=60.0, help="per-operation timeout in seconds (default 60)")
    parser.add_argument("--output-dir", type=Path, default=PROJECT_ROOT / "results" / "stress")
    args = parser.parse_args(argv)
    url = check_url(args.url)
    base = loadgen.PROFILES[args.profile]
    overrides = {"clients": args.clients, "max_operations": args.max_operations, "max_seconds": args.max_seconds}
    for key, value in overrides.items():
        if value is not None and value <= 0:
            fail(f"--{key.replace('_', '-')} must be positive, got {value}")
    if args.timeout <= 0:
        fail(f"--timeout must be positive, got {args.timeout}")
    profile = loadgen.Profile(**{**base.__dict__, **{k: v for k, v in overrides.items() if v is not None}})
    credentials = credentials_from(args)

    projects = preflight(url, credentials)
    if not projects and profile.upload_fraction < 1:
        fail(f"{url}/simple/ lists no projects to install; upload some first", EXIT_UNREACHABLE)
    print(
        f"{args.profile}: {profile.clients} clients, at most {profile.max_operations} operations or "
        f"{profile.max_seconds:.0f} s, over {len(projects)} projects at {url}",
        flush=True,
    )
    result = asyncio.run(
        loadgen.run_load(
            url, projects, profile, credentials, timeout=args.timeout, progress=True, label=f"{args.profile} "
        )
    )
    summary = loadgen.summarize(result.operations, result.duration)
    guide = loadgen.verdict(summary, loadgen.GUIDE_CRITERIA)
    ours = loadgen.verdict(summary, loadgen.OUR_CRITERIA)

    print(
        f"\n{summary['operations']} operations in {summary['durationSeconds']} s: "
        f"{summary['operationsPerSecond']} ops/s ({summary['requestsPerSecond']} requests/s)"
    )
    print(
        f"latency per operation: P50 {summary['p50Seconds']} s, P95 {summary['p95Seconds']} s, "
        f"P99 {summary['p99Seconds']} s, max {summary['maxSeconds']} s"
    )
    errors = ", ".join(f"{k}: {v}" for k, v in summary["errorsByKind"].items()) or "none"
    print(f"errors: {summary['errors']} ({summary['errorRate']:.2%}); by kind: {errors}; 5xx: {summary['http5xx']}")
    for title, v in (("guide's criteria", guide), ("our criteria", ours)):
        checks = "; ".join(
            f"{name} {'ok' if c['pass'] else 'MISSED'} ({c['measured']})" for name, c in v["checks"].items()
        )
        print(f"{title}: {'PASS' if v['pass'] else 'FAIL'}  [{checks}]")

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.output_dir / f"{args.profile}-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "url": url,
                "profile": args.profile,
                "settings": profile.__dict__,
                "summary": summary,
                "guideCriteria": guide,
                "ourCriteria": ours,
                "startedAt": stamp,
                **result.to_dict(),
            }
        )
        + "\n"
    )
    ops = result.operations
    png = plots.latency_over_time(
        [o.started for o in ops],
        [o.latency for o in ops],
        [o.error is not None for o in ops],
        out.with_suffix(".png"),
        f"{args.profile} against {url}",
    )
    print(f"wrote {out} and {png.name}")
    return 0 if guide["pass"] else EXIT_TARGETS_MISSED


if __name__ == "__main__":
    sys.exit(main())
