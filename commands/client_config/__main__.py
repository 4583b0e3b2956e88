"""`make client-config STACK=heavy USER=reader [URL=https://pypi.example.com]`: settings for
uv, pip, poetry, twine and keyring/.netrc for one user of a stack (see __init__.py).

The URL is the deployed stack's `url` output; without URL=, the offline preview's. Exits 2,
in one line, for an unknown stack or user or a URL that is no index URL; a plain-HTTP URL is
printed with a warning.
"""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

from commands.cli import ArgumentParser, fail
from commands.engine import EngineError, parse_overrides, run_program

from . import Client, render


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="make client-config", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="heavy")
    parser.add_argument("--user", required=True, help="one of the stack's users (pypiserver:users[].name)")
    parser.add_argument("--url", help="the deployed stack's url output (default: the offline preview's)")
    parser.add_argument("--index-name", default="private", help="the index's name in the clients' configs")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a stack setting")
    args = parser.parse_args(argv)
    try:
        preview = run_program(args.stack, parse_overrides(args.set))
    except EngineError as err:
        fail(str(err))
    cfg = preview.config
    user = next((u for u in cfg.users if u.name == args.user), None)
    if user is None:
        users = ", ".join(u.name for u in cfg.users)
        fail(f"--user {args.user!r} is not a user of stack {args.stack}; its users: {users}")
    url = args.url or str(preview.outputs.get("url") or "")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        fail(f"--url {url!r}: give the stack's url output, https://host")
    if parts.scheme == "http":
        # Still printed (an internal stack without a domain serves HTTP), but said loudly.
        print(
            "warning: plain HTTP: the password crosses the network in clear text; set pypiserver:zoneId",
            file=sys.stderr,
        )
    client = Client(
        index=args.index_name,
        base_url=url,
        user=user.login,
        publishes=user.publishes,
        fallback_to_pypi=cfg.fallback_to_pypi,
    )
    sys.stdout.write(render(client))
    return 0


if __name__ == "__main__":
    sys.exit(main())
