"""What the rendered task and the index agree on: one home for each name both sides use.

The task's renderer (task/) writes the environment, nginx.conf and the entry commands from
these names; the index reads them in the container; the component's log metric filter
(components/observability.py) selects audit lines by them. Standard library only: the
Pulumi program imports this module, and nothing else of the index.
"""

from __future__ import annotations

# -- the environment gunicorn_conf.py and the index read ------------------------------------
ENV_WORKERS = "PYPI_INDEX_WORKERS"
ENV_UPLOAD_TIMEOUT = "PYPI_INDEX_UPLOAD_TIMEOUT"
# How long a stopping worker may finish what is in flight (gunicorn's graceful_timeout).
ENV_GRACEFUL_TIMEOUT = "PYPI_INDEX_GRACEFUL_TIMEOUT"
ENV_SCAN_SECONDS = "PYPI_INDEX_SCAN_SECONDS"
# One scanner per task: the worker holding this task-local lock file.
ENV_SCANNER_LOCK = "PYPI_INDEX_SCANNER_LOCK"
# Who may upload, remove and yank, comma-separated (others with valid credentials get 403).
ENV_PUBLISHERS = "PYPI_INDEX_PUBLISHERS"
# The pypiserver release the index was tested with: it refuses to start on any other.
ENV_PYPISERVER_VERSION = "PYPI_INDEX_PYPISERVER_VERSION"
# Publishers limited to some projects: JSON {user: [normalized patterns]} (others: every project).
ENV_PROJECT_RIGHTS = "PYPI_INDEX_PROJECT_RIGHTS"

# -- trusted publishing (the index and the exchange container, oidc_exchange/) -------------
# The trusted publishers: JSON [{"id", "provider", "issuer", "projects", and the claims to
# match}], rendered from the stack's config; the exchange matches identity tokens against
# them, the index checks that a token's publisher is still bound (removing a binding
# revokes its tokens at the next deploy).
ENV_TRUSTED_PUBLISHERS = "PYPI_INDEX_TRUSTED_PUBLISHERS"
# The key both sides sign and check upload tokens with (from Secrets Manager).
ENV_UPLOAD_TOKEN_KEY = "PYPI_INDEX_UPLOAD_TOKEN_KEY"
# The exchange's settings: the audience identity tokens must name, the upload tokens'
# lifetime, where it listens and where the shared volume is.
ENV_OIDC_AUDIENCE = "PYPI_INDEX_OIDC_AUDIENCE"
ENV_TOKEN_LIFETIME = "PYPI_INDEX_TOKEN_LIFETIME_SECONDS"
ENV_OIDC_LISTEN = "PYPI_INDEX_OIDC_LISTEN"
ENV_PACKAGES_DIR = "PYPI_INDEX_PACKAGES_DIR"
# nginx asks the index here (auth_request, no body) whether an upload token is good: 204 or 401.
TOKEN_CHECK_PATH = "/_/upload-token"
# Where the exchange keeps the identity tokens it has used (replay), under .index/.
USED_IDENTITY_TOKENS_DIR = "used-identity-tokens"

# -- the package folder (the shared volume) -------------------------------------------------
# <folder>/<file> are the published distributions; everything the index keeps is under
# <folder>/.index/ (see store.py for what each part holds).
INDEX_DIR = ".index"
LOCK_FILE = "lock"
INCOMING_DIR = "incoming"
RECORDS_DIR = "projects"
METADATA_DIR = "metadata"
# The pages: .index/simple/index.{html,json} and .index/simple/<project>/index.{html,json};
# nginx serves /simple/ from .index/ and picks the file by content negotiation.
PAGES_DIR = "simple"
PAGE_NAME = "index"
HTML_SUFFIX = "html"
JSON_SUFFIX = "json"
# PEP 691's JSON content type, which nginx declares for the .json pages.
SIMPLE_JSON_TYPE = "application/vnd.pypi.simple.v1+json"
# PEP 658: the core metadata of <file> is served at <file>.metadata.
METADATA_SUFFIX = ".metadata"
# .index/<this> exists once a pass has compared the whole folder with the records (the first
# one after .index was made, or made again): until then a page not written yet may belong to a
# project that exists, and nginx answers 503 with Retry-After for it, never 404.
READY_MARKER = "ready"

# A file copied in out of band enters the index once unchanged this long (a copy in progress
# is never listed).
SETTLE_SECONDS = 2

# -- the audit trail ------------------------------------------------------------------------
# Every audit line carries this marker, so a metric filter can select audit lines alone.
AUDIT_MARKER = "pypi-index"
# The fields of an audit line, in order (nginx writes the same ones for failed logins).
AUDIT_FIELDS = (
    "audit",
    "time",
    "user",
    "action",
    "project",
    "filename",
    "sha256",
    "size",
    "client",
    "status",
    "result",
    # The trusted publisher behind an upload token ({"id", "repository", "workflow",
    # "run_id"}), or null for a named user.
    "publisher",
)
# ok (done), rejected (a bad or duplicate upload, an unknown release), refused (valid
# credentials of a user who may not publish), failed-login (wrong user or token).
AUDIT_RESULTS = ("ok", "rejected", "refused", "failed-login")
FAILED_LOGIN = "failed-login"

# -- credentials ----------------------------------------------------------------------------
# A token of a rotated user logs in as <user>+r<generation>; what it may do belongs to <user>.
ROTATION_MARK = "+r"
