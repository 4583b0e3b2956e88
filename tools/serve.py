"""`make serve STACK=heavy`: run a stack's task locally on loopback until Ctrl-C.

pypiserver (gunicorn, from .venv) and, when the stack's front is on, nginx (Debian's),
started from the same rendered commands and config as the task definition, over a local
package folder (default .serve/<stack>/packages). Credentials are generated on the first
run, kept in .serve/<stack>/credentials.json and printed.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from commands.cli import ArgumentParser, fail
from commands.engine import EngineError, parse_overrides, stack_config
from components.config import ConfigError, load_config
from tools import repo_gen
from tools.local_task import LOCAL_REGION, LocalRunError, LocalTask, load_or_create_credentials

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="make serve", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="heavy")
    parser.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 for clients (default 8080)")
    parser.add_argument("--packages", type=Path, help="package folder (default .serve/<stack>/packages)")
    parser.add_argument(
        "--generate",
        type=int,
        default=0,
        metavar="N",
        help="first write N generated packages x 4 versions into the folder",
    )
    parser.add_argument("--workdir", type=Path, help="credentials and run files (default .serve/<stack>)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a stack setting, e.g. --set frontEnabled=false",
    )
    args = parser.parse_args(argv)
    if not 1024 <= args.port <= 65535:
        fail(f"--port {args.port}: use an unprivileged port, 1024-65535")
    if args.generate < 0:
        fail(f"--generate {args.generate}: must be 0 or more")
    try:
        cfg = load_config(stack_config(args.stack, parse_overrides(args.set)))
    except (EngineError, ConfigError) as err:
        fail(str(err))

    home = args.workdir or PROJECT_ROOT / ".serve" / args.stack
    packages = args.packages or home / "packages"
    if args.generate:
        repo_gen.generate(packages, args.generate, 4)
    task = LocalTask(
        cfg.task_spec(LOCAL_REGION),
        packages,
        home / "run",
        args.port,
        credentials=load_or_create_credentials(home / "credentials.json"),
    )
    stop = threading.Event()
    # Ctrl-C (SIGINT) and SIGTERM only set the flag: a KeyboardInterrupt raised between two
    # statements could skip the cleanup and leave nginx and pypiserver running.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        try:
            task.start()
        except LocalRunError as err:
            fail(str(err))
        info = task.describe()
        design = "nginx front + pypiserver" if cfg.front_enabled else "pypiserver alone (the guide's design)"
        print(f"stack {args.stack}: {design}, {cfg.workers} gunicorn workers, auth on {', '.join(cfg.authenticate)}")
        print(f"  index:     {info['url']}/simple/")
        print(f"  username:  {info['username']}")
        print(f"  password:  {info['password']}")
        print(f"  packages:  {info['packages']}")
        print(f"  logs:      {info['workdir']}")
        print(
            f"  pip:       pip install --index-url http://{info['username']}:{info['password']}@127.0.0.1:"
            f"{args.port}/simple/ <project>"
        )
        print(
            f"  uv:        uv publish --publish-url {info['url']}/ --check-url {info['url']}/simple/ "
            f"--username {info['username']} --password {info['password']} dist/*"
        )
        print(
            f"  twine:     twine upload --repository-url {info['url']}/ -u {info['username']} "
            f"-p {info['password']} dist/*   (a current twine: see the README)"
        )
        print("Ctrl-C stops both processes.", flush=True)
        while not stop.wait(0.5):
            if not task.pypiserver_alive:
                print("pypiserver exited; stopping", file=sys.stderr)
                return 1
    finally:
        task.stop()
        if stop.is_set():
            print("stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
