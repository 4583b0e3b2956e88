"""The index behind the front: uploads published atomically, pages written as static files.

Shipped into the stock pypiserver image as a package next to gunicorn.conf.py (see
components/task_design.py `runtime_files`), and imported from there by the local run.
"""
