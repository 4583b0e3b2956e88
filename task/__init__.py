"""The ECS task as data: what runs inside one task, rendered by pure functions (no Pulumi
imports), for the component (the task definition) and the local run (real processes).

Modules: spec (sizes, ports, paths, time bounds, `TaskSpec`, `Layout`), images (references
by tag or digest, optional mirror), credentials (the users' secrets and htpasswd lines),
pypiserver_process (its arguments, gunicorn config and the shipped index modules), nginx,
containers (the ECS container definitions). The modules that run inside the stock
pypiserver image are the index's, in pypi_index/.

Two designs, chosen by `frontEnabled`:

- front off: the guide's original design, pypiserver alone, as infrahouse's Terraform
  module runs it (simple-dir backend, gunicorn + gevent, bcrypt htpasswd checked on every
  protected request), except that health checks use `--health-endpoint` instead of `/`
  (which walks every package on each probe).
- front on: nginx and pypiserver in one task; only nginx gets the (dynamic) host port.
  Reads never reach pypiserver: nginx authenticates every protected action (a fast salted
  hash, see `credentials_document`) and serves the project list, the project pages (HTML,
  or PEP 691 JSON by content negotiation), the package files and their PEP 658 `.metadata`
  files as static files from the shared volume. Uploads, removals and yanks go to
  pypiserver, which keeps its upload API and its own password check, and publishes through
  the index package (pypi_index/): atomically, first writer wins, pages rewritten before
  the response returns.

Both images are stock and pinned. The rendered files reach them through the environment
(nginx.conf, gunicorn.conf.py and the index package's modules, each shipped from its own
file) and Secrets Manager (htpasswd lines), and a short entry command writes them out before
exec'ing the image's usual process. The local run of the task (tools/serve.py) starts the
same commands, config and modules with loopback ports and local paths (`Layout`), so what is
benchmarked is what is deployed.
"""
