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
# How long one round of the sweep for files changed in place takes (CHANGE_SWEEP_SECONDS).
ENV_SWEEP_SECONDS = "PYPI_INDEX_SWEEP_SECONDS"
# One scanner per task: the worker holding this task-local lock file.
ENV_SCANNER_LOCK = "PYPI_INDEX_SCANNER_LOCK"
# Who may upload, remove and yank, comma-separated (others with valid credentials get 403).
ENV_PUBLISHERS = "PYPI_INDEX_PUBLISHERS"
# The pypiserver release the index was tested with: it refuses to start on any other.
ENV_PYPISERVER_VERSION = "PYPI_INDEX_PYPISERVER_VERSION"
# Publishers limited to some projects, a line each: `<user> <pattern>[,<pattern>...]`
# (normalized patterns; the others: every project). It grows with users, so the task composes
# it at start from its credential bundles.
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
# Upload bodies until published: beside .index/, not in it, so that deleting .index/ (it
# rebuilds itself) never takes an upload in flight with it.
INCOMING_DIR = ".incoming"
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
# A request that finds a project's records damaged leaves .index/rebuild/<project> for the
# scanner, which rebuilds them from the folder at its next pass.
REBUILD_DIR = "rebuild"
# .index/<this>: written when a full pass (a first start, a rebuild) has compared the whole
# folder with the records and left every project's records and pages in place; a pass that
# finds it gone or replaced (.index/ deleted, even in part) compares the whole folder again.
READY_MARKER = "ready"

# <folder>/.ledger/: what the folder remembers beside its files and .index/ is rebuilt from
# (ledger.py): yanks, tombstones of removed names, quarantined bytes. Never derived, never
# served (nginx serves distribution names only).
LEDGER_DIR = ".ledger"
LEDGER_YANKED = "yanked"
LEDGER_REMOVED = "removed"
LEDGER_QUARANTINE = "quarantine"

# A file copied in out of band enters the index once unchanged this long (a copy in progress
# is never listed).
SETTLE_SECONDS = 2
# A published file changed in place keeps its name and inode, so no folder listing shows it:
# the scanner stats every recorded file once per this period, a slice at each pass.
CHANGE_SWEEP_SECONDS = 300

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
# credentials of a user who may not publish), failed-login (wrong user or token); and the
# scanner's: scan-failed (a file or a project's records it could not index: retried),
# quarantined (a published name found with other bytes: moved out of service).
AUDIT_RESULTS = ("ok", "rejected", "refused", "failed-login", "scan-failed", "quarantined")
FAILED_LOGIN = "failed-login"
SCAN_FAILED = "scan-failed"
QUARANTINED = "quarantined"

# -- credentials ----------------------------------------------------------------------------
# A token of a rotated user logs in as <user>+r<generation>; what it may do belongs to <user>.
ROTATION_MARK = "+r"
