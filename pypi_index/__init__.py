"""The index behind the front: uploads published atomically, pages written as static files.

Runs inside the stock pypiserver image and imports only the standard library, `packaging`
and `pypiserver` (tests/pypi_index/test_fence.py proves it). The task's renderer ships these
modules into the container's /data/site/pypi_index/ (task/pypiserver_process.py,
`runtime_files`); the local run writes them the same way.
"""
