"""What runs inside one ECS task, rendered by pure functions (no Pulumi imports).

Two designs, chosen by `frontEnabled`:

- front off: the guide's original design, pypiserver alone, as infrahouse's Terraform
  module runs it (simple-dir backend, gunicorn + gevent, bcrypt htpasswd checked on every
  protected request), except that health checks use `--health-endpoint` instead of `/`
  (which walks every package on each probe).
- front on: nginx and pypiserver in one task; only nginx gets the (dynamic) host port.
  nginx authenticates every protected action first (a fast salted hash, see
  `credentials_document`), serves `/packages/` straight from the EFS volume with sendfile,
  serves pages from a short-lived cache with a stated staleness bound, answers the health
  endpoint itself, and passes uploads to pypiserver, which keeps its own check on uploads.
  pypiserver lists from memory, refreshed on a timer, and never lists a file still being
  written (see the staleness bound below).

Both images are stock and pinned. The rendered files reach them through the environment
(nginx.conf, gunicorn.conf.py) and Secrets Manager (htpasswd lines), and a short entry
command writes them out before exec'ing the image's usual process. The local run of the task
(tools/serve.py) starts the same commands and config with loopback ports and local paths
(`Layout`), so what is benchmarked is what is deployed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, replace

import bcrypt

HEALTH_PATH = "/health"

# Image references come from the config (components/images.py: pinned by tag or digest,
# optionally through a registry mirror). Debian's nginx (1.22, used by the local run) and the
# default nginx image (1.28) both accept every directive rendered below.

PYPISERVER_CONTAINER = "pypiserver"
FRONT_CONTAINER = "nginx"
# The port the load balancer targets: pypiserver's when alone, nginx's when in front.
SERVICE_PORT = 8080
# pypiserver's port behind nginx; no host port, reached over the task's bridge link.
PYPISERVER_BEHIND_FRONT_PORT = 8081
# nginx's internal hop for page renders, on loopback inside the nginx container.
PAGE_RENDERS_PORT = 8082

PACKAGES_DIR = "/data/packages"  # the EFS volume, as the Terraform module mounts it
PYPISERVER_HTPASSWD_PATH = "/data/.htpasswd"
NGINX_HTPASSWD_PATH = "/etc/nginx/htpasswd"
NGINX_CONF_PATH = "/etc/nginx/nginx.conf"
PACKAGES_VOLUME = "packages"

# nginx's share of the task (the rest is pypiserver's). ECS CPU units are relative shares
# in bridge mode, so either container can use idle CPU beyond its share. Measured in the
# local run at 2000-2500 installs/s (510 clients, 500 hot pages): nginx ~0.25 CPU,
# pypiserver ~0.2 (keeping pages fresh), so under contention they split the task evenly.
# Memory covers the workers, the 10 MiB cache key zone and headroom (cached pages live on
# the container's disk).
FRONT_CPU_UNITS = 256
FRONT_MEMORY_MIB = 128
FRONT_MEMORY_RESERVATION_MIB = 64

# -- listing freshness and the staleness bound ----------------------------------------
# Behind nginx, pypiserver uses its cached-dir backend (a page costs ~4 ms instead of a
# ~45 ms walk of 2000 files), but not its inotify invalidation, which never fires for files
# written by other EFS clients (and dies in gunicorn's forked workers: pypiserver #449).
# The rendered gunicorn.conf.py instead, in every worker:
# - drops the listing and hash caches every LISTING_REFRESH_SECONDS;
# - leaves out of listings files modified in the last UPLOAD_SETTLE_SECONDS: pypiserver
#   writes uploads in place, and a file listed mid-write would carry the hash of a partial
#   file (and a client downloading it at the same size would accept a truncated file).
# nginx keeps a page fresh for PAGE_CACHE_SECONDS after storing it, then may serve it
# stale for PAGE_REVALIDATE_SECONDS more while one background request renders it again
# (stale-while-revalidate, so hot pages never make clients wait for a render); past that,
# requests wait (proxy_cache_lock) for the one render. nginx stores only renders that
# answered within PAGE_READ_TIMEOUT_SECONDS.
# nginx's cache clock ticks in whole seconds, which can stretch each of its lifetimes by up
# to NGINX_CLOCK_SECONDS.
# So an upload finished at time U is in every page served after U + STALENESS_BOUND_SECONDS
# (settle + refresh + render + fresh + stale + clock), while pypiserver answers. When it
# does not (crash, overload), nginx serves the last good page instead of an error.
UPLOAD_SETTLE_SECONDS = 3
LISTING_REFRESH_SECONDS = 2
PAGE_READ_TIMEOUT_SECONDS = 3
PAGE_CACHE_SECONDS = 5
PAGE_CACHE_MIN_SECONDS = 3  # lifetimes are spread between these (see nginx_config)
PAGE_REVALIDATE_SECONDS = 1
PAGE_CONNECT_TIMEOUT_SECONDS = 1
NGINX_CLOCK_SECONDS = 1
STALENESS_BOUND_SECONDS = (UPLOAD_SETTLE_SECONDS + LISTING_REFRESH_SECONDS + PAGE_READ_TIMEOUT_SECONDS
                           + PAGE_CACHE_SECONDS + PAGE_REVALIDATE_SECONDS + NGINX_CLOCK_SECONDS)
# 404s are cached briefly (a just-uploaded project must not stay "missing"); errors never.
NOT_FOUND_CACHE_SECONDS = 1
MAX_UPLOAD_MIB = 1024
UPLOAD_TIMEOUT_SECONDS = 300

# The hash pypiserver checks (front off: every protected request; front on: uploads only).
# Cost 10 is Terraform's bcrypt() default, what the module stores.
BCRYPT_COST = 10
# Credentials are machine-generated: 22 characters from [A-Za-z0-9] carry 131 bits.
MIN_PASSWORD_LENGTH = 22

Action = str  # "download" | "list" | "update"


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
    credentials_secret_arn: str

    def __post_init__(self) -> None:
        # Accept lists from the config model; keep the spec hashable and deterministic.
        object.__setattr__(self, "authenticate", tuple(self.authenticate))


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
    page_renders: str = f"127.0.0.1:{PAGE_RENDERS_PORT}"  # nginx's internal hop (see nginx_config)
    nginx_htpasswd: str = NGINX_HTPASSWD_PATH
    nginx_user: str | None = "nginx"  # the stock image's worker user; None when not root
    pid_path: str = "/var/run/nginx.pid"
    state_dir: str = "/var/cache/nginx"  # page cache and request-body temp files
    error_log: str = "stderr"
    access_log: str = "/dev/stdout"
    worker_processes: str = "auto"


CONTAINER_LAYOUT = Layout()
FRONTED_CONTAINER_LAYOUT = replace(CONTAINER_LAYOUT, pypiserver_port=PYPISERVER_BEHIND_FRONT_PORT)


def layout_for(spec: TaskSpec) -> Layout:
    return FRONTED_CONTAINER_LAYOUT if spec.front_enabled else CONTAINER_LAYOUT


# -- credentials ------------------------------------------------------------------

_BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_STD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_TO_BCRYPT = str.maketrans(_STD_ALPHABET, _BCRYPT_ALPHABET)


def _derived_salt(password: str, purpose: str, size: int) -> bytes:
    # Why a salt derived from the password is safe here: a salt exists to make equal
    # passwords hash differently and to defeat precomputed tables. The password is a
    # machine-generated token of >= 128 random bits, so it is already unique and no table
    # can cover its space; a salt computed from it (HMAC keyed by the password itself)
    # reveals nothing without the password and is just as unique. What we gain is
    # determinism: the component renders the document inside Output.apply, and a random
    # salt would change the secret on every `pulumi preview`/`up` (a perpetual diff).
    return hmac.new(password.encode(), f"pypiserver-htpasswd-salt:{purpose}".encode(), hashlib.sha256).digest()[:size]


def nginx_password_hash(password: str) -> str:
    """nginx's `{SSHA}` scheme: base64(SHA-1(password + salt) + salt).

    Fast on purpose: nginx checks it synchronously on every protected request, and a slow
    hash makes one nginx worker the bottleneck (SHA-512-crypt raised P95 above 10 s in our
    burst). For a 128-bit random token, hash speed does not matter: guessing 2^128
    candidates is out of reach at any rate, and SHA-1's collision weakness does not help
    find a preimage. Slow hashes protect human-chosen passwords, which these are not.
    """
    salt = _derived_salt(password, "nginx-ssha", 8)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def pypiserver_password_hash(password: str) -> str:
    """bcrypt, as the Terraform module stores it (pypiserver checks it through passlib)."""
    salt16 = _derived_salt(password, "pypiserver-bcrypt", 16)
    encoded = base64.b64encode(salt16).decode().rstrip("=").translate(_TO_BCRYPT)
    salt = f"$2b${BCRYPT_COST:02d}${encoded}".encode()
    return bcrypt.hashpw(password.encode(), salt).decode()


def htpasswd_line(username: str, password_hash: str) -> str:
    return f"{username}:{password_hash}"


def credentials_document(username: str, password: str) -> dict[str, str]:
    """What Secrets Manager stores: the credentials and the two rendered htpasswd lines.

    Deterministic for a given (username, password), so two renders are identical.
    """
    if not username or ":" in username or any(c.isspace() for c in username):
        raise ValueError(f"username {username!r}: must be non-empty, without ':' or whitespace")
    if len(password) < MIN_PASSWORD_LENGTH or not password.isascii() or not password.isalnum():
        raise ValueError(
            f"password: must be a machine-generated alphanumeric token of at least {MIN_PASSWORD_LENGTH} "
            "characters (>= 128 bits); the fast nginx hash is safe only for such tokens"
        )
    return {
        "username": username,
        "password": password,
        "nginx_htpasswd": htpasswd_line(username, nginx_password_hash(password)),
        "pypiserver_htpasswd": htpasswd_line(username, pypiserver_password_hash(password)),
    }


# -- pypiserver -------------------------------------------------------------------

def pypiserver_authenticate(spec: TaskSpec) -> tuple[Action, ...]:
    """Actions pypiserver itself checks: all configured ones when alone; behind nginx, only
    uploads (nginx checked everything already; a bcrypt check per cache miss would slow
    page renders, and pypiserver has no host port)."""
    if spec.front_enabled:
        return tuple(a for a in spec.authenticate if a == "update")
    return tuple(a for a in ("download", "list", "update") if a in spec.authenticate)


def pypiserver_args(spec: TaskSpec, layout: Layout | None = None) -> list[str]:
    """Arguments to `pypi-server` (the stock image's entrypoint runs `pypi-server "$@"`)."""
    layout = layout or layout_for(spec)
    actions = pypiserver_authenticate(spec)
    args = [
        "run",
        "-i", layout.pypiserver_host,
        "-p", str(layout.pypiserver_port),
        "--server", "gunicorn",
        "--backend", pypiserver_backend(spec),
        # sha256 in every link: pip verifies downloads against it, so a listing taken while
        # an upload is being written in place fails verification instead of installing a
        # truncated file (and poetry requires it).
        "--hash-algo", "sha256",
        "--health-endpoint", HEALTH_PATH,
    ]
    if actions:
        args += ["-a", ",".join(actions), "-P", layout.pypiserver_htpasswd]
    else:
        args += ["-a", ".", "-P", "."]
    if not spec.fallback_to_pypi:
        # Unknown names 404 instead of redirecting to pypi.org (dependency confusion).
        args.append("--disable-fallback")
    args.append(layout.packages_dir)
    return args


def pypiserver_backend(spec: TaskSpec) -> str:
    # Alone (the guide's design): simple-dir, as the module runs it, so listings never go
    # stale, at the price of a full directory walk on every request. Behind nginx:
    # cached-dir with the timer refresh of gunicorn_config (see LISTING_REFRESH_SECONDS).
    return "cached-dir" if spec.front_enabled else "simple-dir"


# Runs in every gunicorn worker. pypi-server builds the app (and its cache) before gunicorn
# forks, so the refresh must start per worker, after the fork. A missing attribute (another
# pypiserver version) fails the worker's boot loudly instead of serving a never-refreshed
# cache.
_LISTING_REFRESH_HOOK = """
def post_worker_init(worker):
    import itertools
    import os
    import threading
    import time

    from pypiserver.backend import listdir
    from pypiserver.pkg_helpers import normalize_pkgname

    # pypiserver keeps its config on the Bottle app it hands gunicorn.
    backend = worker.wsgi._pypiserver_config.backend.backend
    cache = backend.cache_manager
    roots, digest_lock, digests = list(backend.roots), cache.digest_lock, cache.digest_cache

    def settled(root):
        # Files still being written in place stay out of listings (and out of pages' hashes).
        cutoff = time.time() - UPLOAD_SETTLE_SECONDS
        found = []
        for pkg in listdir(root):
            try:
                if os.stat(pkg.fn).st_mtime <= cutoff:
                    found.append(pkg)
            except OSError:
                pass  # removed since the walk
        return found

    backend.get_all_packages = lambda: itertools.chain.from_iterable(
        cache.listdir(root, settled) for root in roots)

    # A project's files by name, rebuilt when the cached listing is replaced: pypiserver's
    # own lookup normalizes every file's name on every page (2 of a page's 3 ms at 2000 files).
    index = {"listings": None, "by_name": {}}

    def find_project_packages(project):
        listings = [cache.listdir(root, settled) for root in roots]
        known = index["listings"]
        if known is None or len(known) != len(listings) or any(a is not b for a, b in zip(known, listings)):
            by_name = {}
            for listing in listings:
                for pkg in listing:
                    by_name.setdefault(pkg.pkgname_norm, []).append(pkg)
            index.update(listings=listings, by_name=by_name)
        return iter(index["by_name"].get(normalize_pkgname(project), ()))

    backend.find_project_packages = find_project_packages

    def refresh():
        while True:
            time.sleep(LISTING_REFRESH_SECONDS)
            for root in roots:
                cache.invalidate_root_cache(root)
            # Hashes too: a file replaced on another host must not keep its old hash.
            with digest_lock:
                digests.clear()

    threading.Thread(target=refresh, name="listing-refresh", daemon=True).start()
"""


def gunicorn_config(spec: TaskSpec) -> str:
    """gunicorn.conf.py for the image's documented override path, /data/gunicorn.conf.py
    (pypi-server passes gunicorn no argv, so this file is where its settings live)."""
    header = "# Rendered by components/task_design.py; do not edit by hand.\n"
    if not spec.front_enabled:
        # The Terraform module's files/gunicorn.conf.py.
        return header + (f"workers = {spec.workers}\nworker_class = \"gevent\"\npreload_app = True\n"
                         "errorlog = \"-\"\n")
    # sync workers: behind nginx (which buffers upload bodies) each request is short CPU or
    # disk work, and real threads let the refresh timer run beside it.
    return header + (
        f"workers = {spec.workers}\nworker_class = \"sync\"\ntimeout = {UPLOAD_TIMEOUT_SECONDS}\n"
        f"errorlog = \"-\"\nLISTING_REFRESH_SECONDS = {LISTING_REFRESH_SECONDS}\n"
        f"UPLOAD_SETTLE_SECONDS = {UPLOAD_SETTLE_SECONDS}\n" + _LISTING_REFRESH_HOOK
    )


GUNICORN_CONF_PATH = "/data/gunicorn.conf.py"


def pypiserver_entry_command(spec: TaskSpec) -> str:
    """Shell command for the stock image: write the gunicorn config (environment) and the
    htpasswd line (secret), then run the image's own entrypoint (which drops to the
    pypiserver user) with our arguments."""
    write_conf = f'printf "%s" "$GUNICORN_CONF" > {GUNICORN_CONF_PATH} && '
    write_htpasswd = f'printf "%s\\n" "$PYPISERVER_HTPASSWD" > {PYPISERVER_HTPASSWD_PATH} && '
    needs_file = bool(pypiserver_authenticate(spec))
    return (write_conf + (write_htpasswd if needs_file else "") + "exec /entrypoint.sh "
            + shlex.join(pypiserver_args(spec)))


# -- nginx ------------------------------------------------------------------------

def _auth(realm: str | None, layout: Layout) -> str:
    if realm is None:
        return "auth_basic off;"
    return f'auth_basic "{realm}";\n            auth_basic_user_file {layout.nginx_htpasswd};'


def _fresh_lifetimes() -> str:
    """map entries: last millisecond digit -> max-age, evenly over PAGE_CACHE_MIN..PAGE_CACHE."""
    span = PAGE_CACHE_SECONDS - PAGE_CACHE_MIN_SECONDS + 1
    lines = [f"        ~{d}$ {PAGE_CACHE_MIN_SECONDS + d * span // 10};" for d in range(10)]
    return "\n".join(lines)


def nginx_config(spec: TaskSpec, layout: Layout | None = None) -> str:
    """The whole nginx.conf for the front (the image's default config is replaced)."""
    layout = layout or FRONTED_CONTAINER_LAYOUT
    realm = "pypiserver"
    download = realm if "download" in spec.authenticate else None
    listing = realm if "list" in spec.authenticate else None
    update = realm if "update" in spec.authenticate else None
    user = f"user {layout.nginx_user};\n" if layout.nginx_user else ""
    state = layout.state_dir
    access_log = f"access_log {layout.access_log} main buffer=64k flush=5s;" if layout.access_log else "access_log off;"
    return f"""# Rendered by components/task_design.py; do not edit by hand.
{user}worker_processes {layout.worker_processes};
daemon off;
pid {layout.pid_path};
error_log {layout.error_log} warn;
worker_rlimit_nofile 65536;

events {{
    worker_connections 8192;
}}

http {{
    default_type application/octet-stream;
    types {{
        text/html html;
        text/plain txt;
    }}
    log_format main '$remote_addr "$request" $status $body_bytes_sent $request_time $upstream_cache_status';
    {access_log}
    server_tokens off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65s;
    keepalive_requests 100000;
    client_max_body_size {MAX_UPLOAD_MIB}m;
    client_body_temp_path {state}/client_body;
    proxy_temp_path {state}/proxy;
    fastcgi_temp_path {state}/fastcgi;
    uwsgi_temp_path {state}/uwsgi;
    scgi_temp_path {state}/scgi;

    # Pages (/simple/...) are rendered by pypiserver and cached here: see the staleness
    # bound in task_design.py. Keyed by host and scheme because redirects are absolute.
    proxy_cache_path {state}/pages levels=1:2 keys_zone=pages:10m max_size=512m inactive=10m use_temp_path=off;

    upstream pypiserver {{
        server {layout.upstream};
        keepalive 16;
    }}

    # Cache misses go through this internal hop, which states the caching policy as
    # Cache-Control: nginx honours a time-limited stale-while-revalidate only from there.
    # Fresh lifetimes spread over {PAGE_CACHE_MIN_SECONDS}..{PAGE_CACHE_SECONDS} s (by the clock's last millisecond digit):
    # pages first cached together would otherwise expire together, and their re-renders
    # would arrive at pypiserver as one burst every cycle.
    map $msec $page_fresh_seconds {{
        default {PAGE_CACHE_SECONDS};
{_fresh_lifetimes()}
    }}

    upstream page_renders {{
        server {layout.page_renders};
        keepalive 16;
    }}

    server {{
        listen {layout.page_renders};
        access_log off;
        location / {{
            proxy_pass http://pypiserver;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $http_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;
            proxy_connect_timeout {PAGE_CONNECT_TIMEOUT_SECONDS}s;
            proxy_read_timeout {UPLOAD_TIMEOUT_SECONDS}s;
            proxy_hide_header Cache-Control;
            # 2xx/3xx only (no "always"): 404s keep proxy_cache_valid's short life.
            add_header Cache-Control "max-age=$page_fresh_seconds, stale-while-revalidate={PAGE_REVALIDATE_SECONDS}";
        }}
    }}

    server {{
        listen {layout.listen} backlog=4096;

        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;
        proxy_connect_timeout {PAGE_CONNECT_TIMEOUT_SECONDS}s;
        proxy_read_timeout {PAGE_READ_TIMEOUT_SECONDS}s;
        proxy_send_timeout {PAGE_READ_TIMEOUT_SECONDS}s;

        proxy_cache pages;
        proxy_cache_key $http_x_forwarded_proto$host$request_uri;
        # Fresh/stale lifetimes come from the hop's Cache-Control; these are for the rest.
        proxy_cache_valid 200 301 302 {PAGE_CACHE_SECONDS}s;
        proxy_cache_valid 404 {NOT_FOUND_CACHE_SECONDS}s;
        proxy_ignore_headers Expires;
        proxy_hide_header Cache-Control;
        proxy_cache_background_update on;
        # One render per expired page; the others wait for it instead of piling onto
        # pypiserver (past the stale-while-revalidate window, or on a first request).
        proxy_cache_lock on;
        proxy_cache_lock_timeout {PAGE_CONNECT_TIMEOUT_SECONDS + PAGE_READ_TIMEOUT_SECONDS}s;
        proxy_cache_lock_age {PAGE_CONNECT_TIMEOUT_SECONDS + PAGE_READ_TIMEOUT_SECONDS}s;
        # pypiserver down or failing: the last good page beats an error. ("updating" is
        # not here: the hop's stale-while-revalidate bounds it in time.)
        proxy_cache_use_stale error timeout http_500 http_502 http_503 http_504;
        add_header X-Cache-Status $upstream_cache_status always;

        # Answered here, without auth or pypiserver (the ALB and container checks).
        location = {HEALTH_PATH} {{
            access_log off;
            auth_basic off;
            default_type text/plain;
            return 200 "Ok\\n";
        }}

        # Package files straight from the volume. pypiserver writes uploads in place, but
        # pages list a file only once it has settled (see the bound), and pip checks the
        # sha256 from the page, so a copy read mid-write is refused, never installed.
        location /packages/ {{
            {_auth(download, layout)}
            alias {layout.packages_dir.rstrip("/")}/;
            location ~ /\\. {{
                return 404;
            }}
        }}

        # The listing of every file (pypiserver's /packages/ page).
        location = /packages/ {{
            {_auth(listing, layout)}
            proxy_pass http://page_renders;
        }}

        # GET /: pypiserver's public welcome page (cached: it counts every package).
        # POST /: uploads and removals, checked here and again by pypiserver.
        location = / {{
            auth_basic off;
            error_page 418 = @update;
            if ($request_method = POST) {{
                return 418;
            }}
            proxy_pass http://page_renders;
        }}

        location @update {{
            {_auth(update, layout)}
            proxy_cache off;
            proxy_read_timeout {UPLOAD_TIMEOUT_SECONDS}s;
            proxy_send_timeout {UPLOAD_TIMEOUT_SECONDS}s;
            proxy_pass http://pypiserver;
        }}

        location = /favicon.ico {{
            auth_basic off;
            proxy_pass http://page_renders;
        }}

        # Everything else is an index page (/simple/..., /<project>/json, redirects).
        location / {{
            {_auth(listing, layout)}
            proxy_pass http://page_renders;
        }}
    }}
}}
"""


def nginx_entry_command() -> str:
    """Shell command for the stock nginx image: write the rendered config and the htpasswd
    line (from the environment / the secret) where the config expects them, then exec nginx."""
    return (
        f'printf "%s" "$NGINX_CONF" > {NGINX_CONF_PATH} && '
        f'printf "%s\\n" "$NGINX_HTPASSWD" > {NGINX_HTPASSWD_PATH} && '
        "exec nginx"
    )


# -- ECS container definitions ------------------------------------------------------

def _log_configuration(spec: TaskSpec, container: str) -> dict:
    return {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": spec.log_group,
            "awslogs-region": spec.region,
            "awslogs-stream-prefix": container,
        },
    }


def _secret(spec: TaskSpec, env_name: str, json_key: str) -> dict:
    # ECS resolves one JSON key of the secret: <arn>:<json-key>:<version-stage>:<version-id>
    return {"name": env_name, "valueFrom": f"{spec.credentials_secret_arn}:{json_key}::"}


def _health_check(command: Sequence[str]) -> dict:
    return {"command": ["CMD", *command], "interval": 30, "timeout": 5, "retries": 3, "startPeriod": 15}


def _pypiserver_container(spec: TaskSpec) -> dict:
    layout = layout_for(spec)
    probe = f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{layout.pypiserver_port}{HEALTH_PATH}', timeout=4)"
    container: dict = {
        "name": PYPISERVER_CONTAINER,
        "image": spec.pypiserver_image,
        "essential": True,
        "cpu": spec.pypiserver_cpu,
        "memory": spec.pypiserver_memory,
        "memoryReservation": spec.pypiserver_memory_reservation,
        "entryPoint": ["/bin/sh", "-c"],
        "command": [pypiserver_entry_command(spec)],
        "environment": [{"name": "GUNICORN_CONF", "value": gunicorn_config(spec)}],
        "mountPoints": [{"sourceVolume": PACKAGES_VOLUME, "containerPath": PACKAGES_DIR, "readOnly": False}],
        "healthCheck": _health_check(["python", "-c", probe]),
        "logConfiguration": _log_configuration(spec, PYPISERVER_CONTAINER),
    }
    if pypiserver_authenticate(spec):
        container["secrets"] = [_secret(spec, "PYPISERVER_HTPASSWD", "pypiserver_htpasswd")]
    if not spec.front_enabled:
        container["portMappings"] = [{"containerPort": SERVICE_PORT, "hostPort": 0, "protocol": "tcp"}]
    return container


def _front_container(spec: TaskSpec) -> dict:
    return {
        "name": FRONT_CONTAINER,
        "image": spec.nginx_image,
        "essential": True,
        "cpu": FRONT_CPU_UNITS,
        "memory": FRONT_MEMORY_MIB,
        "memoryReservation": FRONT_MEMORY_RESERVATION_MIB,
        "entryPoint": ["/bin/sh", "-c"],
        "command": [nginx_entry_command()],
        "environment": [{"name": "NGINX_CONF", "value": nginx_config(spec)}],
        "secrets": [_secret(spec, "NGINX_HTPASSWD", "nginx_htpasswd")],
        "portMappings": [{"containerPort": SERVICE_PORT, "hostPort": 0, "protocol": "tcp"}],
        "links": [PYPISERVER_CONTAINER],
        "dependsOn": [{"containerName": PYPISERVER_CONTAINER, "condition": "START"}],
        # Read-only: only pypiserver writes packages.
        "mountPoints": [{"sourceVolume": PACKAGES_VOLUME, "containerPath": PACKAGES_DIR, "readOnly": True}],
        "ulimits": [{"name": "nofile", "softLimit": 65536, "hardLimit": 65536}],
        "healthCheck": _health_check(["wget", "-q", "-O", "/dev/null", f"http://127.0.0.1:{SERVICE_PORT}{HEALTH_PATH}"]),
        "logConfiguration": _log_configuration(spec, FRONT_CONTAINER),
    }


def container_definitions(spec: TaskSpec) -> list[dict]:
    """ECS containerDefinitions (serialize with `container_definitions_json`)."""
    containers = [_pypiserver_container(spec)]
    if spec.front_enabled:
        containers.append(_front_container(spec))
    return containers


def container_definitions_json(spec: TaskSpec) -> str:
    return json.dumps(container_definitions(spec), sort_keys=True)


def load_balanced_container(spec: TaskSpec) -> tuple[str, int]:
    """(container name, container port) the target group forwards to."""
    return (FRONT_CONTAINER if spec.front_enabled else PYPISERVER_CONTAINER, SERVICE_PORT)
