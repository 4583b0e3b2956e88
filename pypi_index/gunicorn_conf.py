"""gunicorn.conf.py for pypiserver behind the front (the stock image reads /data/gunicorn.conf.py).

Shipped as is, as /data/gunicorn.conf.py; its settings come from the container's environment
(names in pypi_index/contract.py), and the index package sits in ./site next to it.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "site"))

from pypi_index import contract  # noqa: E402  (importable once ./site is on the path)

workers = int(os.environ[contract.ENV_WORKERS])
# sync workers: nginx buffers upload bodies, so each request is short CPU or disk work, and
# real threads let the scanner run beside it.
worker_class = "sync"
timeout = int(os.environ[contract.ENV_UPLOAD_TIMEOUT])
# On SIGTERM (the task stopping) a worker finishes the upload it is publishing first.
graceful_timeout = int(os.environ[contract.ENV_GRACEFUL_TIMEOUT])
errorlog = "-"


def post_worker_init(worker):
    # After the fork (threads do not survive it): every worker may become the task's scanner;
    # the one holding the lock scans. worker.wsgi is the app `python -m pypi_index` built.
    from pypi_index.server import start_scanner

    start_scanner(
        worker.wsgi.store,
        os.environ[contract.ENV_SCANNER_LOCK],
        float(os.environ[contract.ENV_SCAN_SECONDS]),
        float(os.environ[contract.ENV_SWEEP_SECONDS]),
    )
