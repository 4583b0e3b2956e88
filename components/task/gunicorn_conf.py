"""gunicorn.conf.py for pypiserver behind the front (the stock image reads /data/gunicorn.conf.py).

Shipped as is; its settings come from the container's environment, and the index package
sits in ./site next to this file.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "site"))

workers = int(os.environ["PYPI_INDEX_WORKERS"])
# sync workers: nginx buffers upload bodies, so each request is short CPU or disk work, and
# real threads let the scanner run beside it.
worker_class = "sync"
timeout = int(os.environ["PYPI_INDEX_UPLOAD_TIMEOUT"])
errorlog = "-"


def post_worker_init(worker):
    # After the fork: pypi-server builds the app in the master, and each worker needs its
    # own backend wiring and (in one of them) the scanner thread.
    from pypi_index.server import install

    install(
        worker,
        os.environ["PYPI_INDEX_SCANNER_LOCK"],
        float(os.environ["PYPI_INDEX_SCAN_SECONDS"]),
        os.environ["PYPI_INDEX_PUBLISHERS"],
    )
