"""The index's entry point in the pypiserver image: `python -m pypi_index run <pypiserver args>`.

It runs pypiserver as `pypi-server run` would (gunicorn, the image's /data/gunicorn.conf.py),
with the index as pypiserver's backend (server.py), after checking that the image holds the
pypiserver release the index was tested with: any other one refuses to start, in one line,
before serving anything.
"""

from __future__ import annotations

import os
import sys

import pypiserver
from pypiserver.__main__ import init_logging
from pypiserver.bottle_wrapper import bottle

from . import contract
from .server import build_app


def version_problem(installed: str, tested: str | None) -> str | None:
    """Why this pypiserver cannot run the index, or None."""
    if not tested:
        return f"{contract.ENV_PYPISERVER_VERSION} is not set: the task names the pypiserver release it was tested with"
    if installed != tested:
        return (
            f"the index is tested with pypiserver {tested}, but the image has {installed}: "
            f"set imageTag to v{tested} (or a digest of that release)"
        )
    return None


def main(argv: list[str]) -> int:
    problem = version_problem(pypiserver.__version__, os.environ.get(contract.ENV_PYPISERVER_VERSION))
    if problem:
        print(f"pypi_index: {problem}", file=sys.stderr)
        return 1
    app = build_app(argv, dict(os.environ))
    config = app.config
    init_logging(level=config.log_level, filename=config.log_file, frmt=config.log_frmt, stream=config.log_stream)
    # gunicorn reads its own command line: give it none (pypi-server does the same).
    sys.argv = ["gunicorn"]
    bottle.run(app=app, host=config.host, port=config.port, server=config.server_method)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
