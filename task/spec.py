"""What the task is made of: images, containers, ports, paths, sizes and time bounds, the
spec the component hands over, and where things live (`Layout`)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from pypi_index import contract

HEALTH_PATH = "/health"

# Image references come from the config (task/images.py: pinned by tag or digest,
# optionally through a registry mirror). Debian's nginx (1.22, used by the local run) and the
# default nginx image (1.28) both accept every directive rendered below.

PYPISERVER_CONTAINER = "pypiserver"
FRONT_CONTAINER = "nginx"
# The trusted-publishing exchange (oidc_exchange/), when the stack binds trusted publishers.
OIDC_CONTAINER = "oidc"
OIDC_PORT = 8082
# Its share of the task, carved out of pypiserver's (component config, schema.py): a mint is
# a signature check and a file create; pip at start is the most it does.
OIDC_CPU_UNITS = 64
OIDC_MEMORY_RESERVATION_MIB = 64
# The port the load balancer targets: pypiserver's when alone, nginx's when in front.
SERVICE_PORT = 8080
# pypiserver's port behind nginx; no host port, reached over the task's bridge link.
PYPISERVER_BEHIND_FRONT_PORT = 8081
PACKAGES_DIR = "/data/packages"  # the EFS volume, as the Terraform module mounts it
# pypiserver's /data (the image's working directory, where gunicorn finds gunicorn.conf.py);
# the index modules land in /data/site, which gunicorn.conf.py puts on sys.path.
DATA_DIR = "/data"
# Where the index package is unpacked under /data (gunicorn.conf.py puts it on sys.path).
SITE_DIR = "site"
SITE_PATH = f"{DATA_DIR}/{SITE_DIR}"
GUNICORN_CONF_PATH = "/data/gunicorn.conf.py"
# The image's unprivileged user (its entrypoint drops to it with gosu).
PYPISERVER_USER = "pypiserver"
PYPISERVER_HTPASSWD_PATH = "/data/.htpasswd"
NGINX_HTPASSWD_PATH = "/etc/nginx/htpasswd"
NGINX_CONF_PATH = "/etc/nginx/nginx.conf"
NGINX_PUBLISHERS_MAP_PATH = "/etc/nginx/publishers.map"
PACKAGES_VOLUME = "packages"
# The index's unpacked modules (/data/site), shared with the exchange container (a task
# volume, Docker-managed, empty at each task start).
SITE_VOLUME = "site"

# nginx's share of the task (the rest is pypiserver's). ECS CPU units are relative shares
# in bridge mode, so either container can use idle CPU beyond its share. nginx serves every
# read; pypiserver only handles writes, which are rare but read whole files once (hash and
# validation), so under contention they split the task evenly. Memory covers the workers
# and headroom.
FRONT_CPU_UNITS = 256
FRONT_MEMORY_MIB = 128
FRONT_MEMORY_RESERVATION_MIB = 64

# -- freshness -------------------------------------------------------------------
# Uploads, removals and yanks rewrite the project's pages before their response returns, so
# they are visible to every request that starts after it (nginx keeps no page cache and no
# open-file cache). Files changed out of band (restored from backup, copied in by an admin)
# are noticed by one stat of the folder every INDEX_SCAN_SECONDS and indexed once unchanged
# for SETTLE_SECONDS (a copy in progress is not listed), so they are listed within
# OUT_OF_BAND_BOUND_SECONDS (plus a scan's own time and, across EFS clients, the NFS
# attribute cache of the folder's mtime: see the README).
INDEX_SCAN_SECONDS = 2
OUT_OF_BAND_BOUND_SECONDS = INDEX_SCAN_SECONDS + contract.SETTLE_SECONDS + INDEX_SCAN_SECONDS
# While the first pass over a folder runs, a page not written yet is a 503 with this
# Retry-After (pip retries 503s, honouring it): a pass over 100k files takes about 90 s.
FIRST_PASS_RETRY_AFTER_SECONDS = 10
# A published file changed in place (same name and inode: no listing shows it) is noticed by
# the sweep, which stats every recorded file once per CHANGE_SWEEP_SECONDS, and quarantined
# at that pass.
IN_PLACE_CHANGE_BOUND_SECONDS = contract.CHANGE_SWEEP_SECONDS + INDEX_SCAN_SECONDS
MAX_UPLOAD_MIB = 1024
# How long the front waits for an upload (body and publishing); the ALB's idle timeout must
# be at least this.
UPLOAD_TIMEOUT_SECONDS = 300

# The hash pypiserver checks (front off: every protected request; front on: uploads only).
# Cost 10 is Terraform's bcrypt() default, what the module stores.
BCRYPT_COST = 10
# Credentials are machine-generated: 22 characters from [A-Za-z0-9] carry 131 bits.
MIN_PASSWORD_LENGTH = 22

Action = str  # "download" | "list" | "update"


@dataclass(frozen=True)
class TaskUser:
    """A user as the task sees it: its name and its actions."""

    name: str
    actions: tuple[Action, ...]
    # The projects it may write (normalized patterns, pypi_index/rights.py).
    projects: tuple[str, ...] = ("*",)

    @property
    def publishes(self) -> bool:
        return "update" in self.actions


@dataclass(frozen=True)
class SecretRef:
    """A secret the task reads, pinned to a version: a new version (a user added, a token
    rotated) is a new task definition revision, which ECS rolls out; without it running tasks
    keep the old lines."""

    arn: str = ""
    version: str = ""


@dataclass(frozen=True)
class TrustedPublishingSpec:
    """The exchange's part of the task: the bindings (JSON, contract.ENV_TRUSTED_PUBLISHERS),
    the audience, the upload tokens' lifetime and the signing key's secret."""

    bindings: str
    audience: str
    token_lifetime_seconds: int
    key_secret_arn: str = ""
    key_secret_version: str = ""


@dataclass(frozen=True)
class TaskSpec:
    """What the component knows about the task; everything else is derived here."""

    pypiserver_image: str
    nginx_image: str
    workers: int
    pypiserver_cpu: int
    pypiserver_memory: int
    pypiserver_memory_reservation: int
    authenticate: tuple[Action, ...]
    fallback_to_pypi: bool
    front_enabled: bool
    log_group: str
    region: str
    users: tuple[TaskUser, ...]
    # The secrets holding the users' lines for the task, a few users each (task/bundles.py);
    # known once they exist (the component fills them in).
    bundles: tuple[SecretRef, ...] = ()
    trusted_publishing: TrustedPublishingSpec | None = None

    def __post_init__(self) -> None:
        # Accept lists from the config model; keep the spec hashable and deterministic.
        object.__setattr__(self, "authenticate", tuple(self.authenticate))
        object.__setattr__(self, "users", tuple(self.users))
        object.__setattr__(self, "bundles", tuple(self.bundles))

    def users_for(self, action: Action) -> tuple[TaskUser, ...]:
        return tuple(u for u in self.users if action in u.actions)

    @property
    def publishers(self) -> tuple[str, ...]:
        return tuple(u.name for u in self.users if u.publishes)


@dataclass(frozen=True)
class Layout:
    """Where things live: in the container (defaults) or in the local run (loopback, temp dirs)."""

    pypiserver_host: str = "0.0.0.0"
    pypiserver_port: int = SERVICE_PORT
    packages_dir: str = PACKAGES_DIR
    pypiserver_htpasswd: str = PYPISERVER_HTPASSWD_PATH
    # nginx
    listen: str = f"0.0.0.0:{SERVICE_PORT}"
    upstream: str = f"{PYPISERVER_CONTAINER}:{PYPISERVER_BEHIND_FRONT_PORT}"
    oidc_listen: str = f"0.0.0.0:{OIDC_PORT}"
    oidc_upstream: str = f"{OIDC_CONTAINER}:{OIDC_PORT}"
    nginx_htpasswd: str = NGINX_HTPASSWD_PATH
    # Who may write (nginx's map of publishers, written at start from the bundles).
    publishers_map: str = NGINX_PUBLISHERS_MAP_PATH
    nginx_user: str | None = "nginx"  # the stock image's worker user; None when not root
    pid_path: str = "/var/run/nginx.pid"
    state_dir: str = "/var/cache/nginx"  # request-body temp files
    error_log: str = "stderr"
    access_log: str = "/dev/stdout"
    # Failed logins, one JSON line each (awslogs sends the container's output to the log group).
    audit_log: str = "/dev/stdout"
    worker_processes: str = "auto"


CONTAINER_LAYOUT = Layout()
FRONTED_CONTAINER_LAYOUT = replace(CONTAINER_LAYOUT, pypiserver_port=PYPISERVER_BEHIND_FRONT_PORT)


def layout_for(spec: TaskSpec) -> Layout:
    return FRONTED_CONTAINER_LAYOUT if spec.front_enabled else CONTAINER_LAYOUT
