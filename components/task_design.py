"""What runs inside one ECS task, rendered by pure functions (no Pulumi imports).

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
  the index package (components/task/pypi_index): atomically, first writer wins, pages
  rewritten before the response returns.

Both images are stock and pinned. The rendered files reach them through the environment
(nginx.conf, gunicorn.conf.py and the index package's modules, each shipped from its own
file) and Secrets Manager (htpasswd lines), and a short entry command writes them out before
exec'ing the image's usual process. The local run of the task (tools/serve.py) starts the
same commands, config and modules with loopback ports and local paths (`Layout`), so what is
benchmarked is what is deployed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import bcrypt

from components.task.pypi_index import scan as index_scan

HEALTH_PATH = "/health"

PYPISERVER_IMAGE_REPOSITORY = "pypiserver/pypiserver"
# Pinned: a moving tag would change what runs without a diff. Debian's nginx (1.22, used
# by the local run) and this image both accept every directive rendered below.
NGINX_IMAGE = "nginx:1.28.0-alpine"

PYPISERVER_CONTAINER = "pypiserver"
FRONT_CONTAINER = "nginx"
# The port the load balancer targets: pypiserver's when alone, nginx's when in front.
SERVICE_PORT = 8080
# pypiserver's port behind nginx; no host port, reached over the task's bridge link.
PYPISERVER_BEHIND_FRONT_PORT = 8081
PACKAGES_DIR = "/data/packages"  # the EFS volume, as the Terraform module mounts it
PYPISERVER_HTPASSWD_PATH = "/data/.htpasswd"
NGINX_HTPASSWD_PATH = "/etc/nginx/htpasswd"
NGINX_CONF_PATH = "/etc/nginx/nginx.conf"
PACKAGES_VOLUME = "packages"

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
OUT_OF_BAND_BOUND_SECONDS = INDEX_SCAN_SECONDS + index_scan.SETTLE_SECONDS + INDEX_SCAN_SECONDS
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
class TaskSpec:
    """What the component knows about the task; everything else is derived here."""

    image_tag: str
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
    nginx_htpasswd: str = NGINX_HTPASSWD_PATH
    nginx_user: str | None = "nginx"  # the stock image's worker user; None when not root
    pid_path: str = "/var/run/nginx.pid"
    state_dir: str = "/var/cache/nginx"  # request-body temp files
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
    # stale, at the price of a full directory walk on every request. Behind nginx too, but
    # there pypiserver serves no reads, and simple-dir walks nothing unless asked (the
    # index package replaces its storage for writes).
    return "simple-dir"


TASK_MODULES_DIR = Path(__file__).resolve().parent / "task"
# Where the modules land in the pypiserver container (/data is the image's working
# directory, where gunicorn finds gunicorn.conf.py); `site` is put on sys.path by it.
DATA_DIR = "/data"
GUNICORN_CONF_PATH = "/data/gunicorn.conf.py"


def runtime_files(spec: TaskSpec) -> dict[str, str]:
    """Files written into pypiserver's /data at start, by path relative to it: the real
    modules of components/task/, read from their files (front on only)."""
    if not spec.front_enabled:
        return {}
    files = {"gunicorn.conf.py": (TASK_MODULES_DIR / "gunicorn_conf.py").read_text()}
    for module in sorted((TASK_MODULES_DIR / "pypi_index").glob("*.py")):
        files[f"site/pypi_index/{module.name}"] = module.read_text()
    return files


def runtime_environment(spec: TaskSpec) -> dict[str, str]:
    """Settings gunicorn_conf.py reads (front on only)."""
    if not spec.front_enabled:
        return {}
    return {"PYPI_INDEX_WORKERS": str(spec.workers), "PYPI_INDEX_UPLOAD_TIMEOUT": str(UPLOAD_TIMEOUT_SECONDS),
            "PYPI_INDEX_SCAN_SECONDS": str(INDEX_SCAN_SECONDS)}


def _file_variable(path: str) -> str:
    return "TASK_FILE_" + "".join(c if c.isalnum() else "_" for c in path).upper()


def gunicorn_config(spec: TaskSpec) -> str:
    """gunicorn.conf.py for the image's documented override path, /data/gunicorn.conf.py
    (pypi-server passes gunicorn no argv, so this file is where its settings live)."""
    if spec.front_enabled:
        return runtime_files(spec)["gunicorn.conf.py"]
    # The Terraform module's files/gunicorn.conf.py.
    return ("# Rendered by components/task_design.py; do not edit by hand.\n"
            f"workers = {spec.workers}\nworker_class = \"gevent\"\npreload_app = True\nerrorlog = \"-\"\n")


def pypiserver_entry_command(spec: TaskSpec) -> str:
    """Shell command for the stock image: write the gunicorn config and the index modules
    (environment) and the htpasswd line (secret), then run the image's own entrypoint (which
    drops to the pypiserver user) with our arguments."""
    steps = [f'printf "%s" "$GUNICORN_CONF" > {GUNICORN_CONF_PATH}']
    files = {p: c for p, c in runtime_files(spec).items() if p != "gunicorn.conf.py"}
    for directory in sorted({str(Path(DATA_DIR, p).parent) for p in files}):
        steps.append(f"mkdir -p {directory}")
    for path in files:
        steps.append(f'printf "%s" "${_file_variable(path)}" > {DATA_DIR}/{path}')
    if pypiserver_authenticate(spec):
        steps.append(f'printf "%s\\n" "$PYPISERVER_HTPASSWD" > {PYPISERVER_HTPASSWD_PATH}')
    return " && ".join(steps) + " && exec /entrypoint.sh " + shlex.join(pypiserver_args(spec))


# -- nginx ------------------------------------------------------------------------

def _auth(realm: str | None, layout: Layout) -> str:
    if realm is None:
        return "auth_basic off;"
    return f'auth_basic "{realm}";\n            auth_basic_user_file {layout.nginx_htpasswd};'


# PEP 691 content negotiation, in nginx's map: JSON when the client names the JSON type
# (v1 or latest) without q=0; HTML otherwise (pip, uv and poetry name JSON first when they
# support it). An explicit HTML type listed first, with no q, keeps HTML.
_ACCEPT_MAP = r"""    map $http_accept $simple_format {
        default html;
        "~*^\s*(text/html|application/vnd\.pypi\.simple\.(v1|latest)\+html)\s*(,|$)" html;
        "~*application/vnd\.pypi\.simple\.(v1|latest)\+json(?!\s*;\s*q\s*=\s*0(\.0*)?\s*(,|$))" json;
    }"""


def nginx_config(spec: TaskSpec, layout: Layout | None = None) -> str:
    """The whole nginx.conf for the front (the image's default config is replaced)."""
    layout = layout or FRONTED_CONTAINER_LAYOUT
    realm = "pypiserver"
    download = realm if "download" in spec.authenticate else None
    listing = realm if "list" in spec.authenticate else None
    update = realm if "update" in spec.authenticate else None
    user = f"user {layout.nginx_user};\n" if layout.nginx_user else ""
    state = layout.state_dir
    packages = layout.packages_dir.rstrip("/")
    access_log = f"access_log {layout.access_log} main buffer=64k flush=5s;" if layout.access_log else "access_log off;"
    # Unknown projects: 404, or pypi.org's page when the stack falls back to it.
    missing = ("error_page 404 = @pypi;" if spec.fallback_to_pypi else "")
    fallback = ("""
        location @pypi {
            return 302 https://pypi.org$request_uri;
        }
""" if spec.fallback_to_pypi else "")
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
    # Every file is a download unless a location says otherwise: an uploaded name never
    # picks its own content type.
    default_type application/octet-stream;
    types {{
    }}
    log_format main '$remote_addr "$request" $status $body_bytes_sent $request_time';
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
    # Redirects keep the client's own host: no Location built from request headers.
    absolute_redirect off;

{_ACCEPT_MAP}

    upstream pypiserver {{
        server {layout.upstream};
        keepalive 16;
    }}

    server {{
        listen {layout.listen} backlog=4096;

        # Answered here, without auth (the ALB and container checks).
        location = {HEALTH_PATH} {{
            access_log off;
            auth_basic off;
            default_type text/plain;
            return 200 "Ok\\n";
        }}

        # Pages, written by the index at each change: .index/simple/<project>/index.html|json.
        location ^~ /simple/ {{
            {_auth(listing, layout)}
            root {packages}/.index;
            index index.$simple_format;
            types {{
                text/html html;
                application/vnd.pypi.simple.v1+json json;
            }}
            charset utf-8;
            add_header Vary Accept always;
            add_header Cache-Control "no-cache" always;
            add_header X-Content-Type-Options nosniff always;
            {missing}
            location ~ /\\. {{
                return 404;
            }}
        }}
{fallback}
        # Package files straight from the volume, always as downloads.
        location ^~ /packages/ {{
            {_auth(download, layout)}
            alias {packages}/;
            add_header X-Content-Type-Options nosniff always;
            location ~ /\\. {{
                return 404;
            }}
            # PEP 658: core metadata of <file> at <file>.metadata.
            location ~ ^/packages/([^/]+)\\.metadata$ {{
                alias {packages}/.index/metadata/$1.metadata;
                add_header X-Content-Type-Options nosniff always;
            }}
        }}

        # GET /: a short public note. POST /: uploads, removals and yanks, checked here and
        # again by pypiserver.
        location = / {{
            auth_basic off;
            error_page 418 = @update;
            if ($request_method = POST) {{
                return 418;
            }}
            default_type text/plain;
            return 200 "pypiserver: the index is at /simple/\\n";
        }}

        location @update {{
            {_auth(update, layout)}
            proxy_pass http://pypiserver;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            # pypiserver sees no client-chosen host (it builds URLs from these).
            proxy_set_header Host pypiserver;
            proxy_set_header X-Forwarded-Host "";
            proxy_set_header X-Forwarded-Proto "";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_connect_timeout 5s;
            proxy_read_timeout {UPLOAD_TIMEOUT_SECONDS}s;
            proxy_send_timeout {UPLOAD_TIMEOUT_SECONDS}s;
        }}

        # pypiserver's /<project>/ shortcut (the guide's stress test uses it). A redirect
        # reveals nothing, so it needs no auth (return runs before the auth check anyway).
        location ~ ^/([^/.][^/]*)/$ {{
            return 301 /simple/$1/;
        }}

        location / {{
            return 404;
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


def _pypiserver_environment(spec: TaskSpec) -> list[dict]:
    env = {"GUNICORN_CONF": gunicorn_config(spec), **runtime_environment(spec)}
    for path, content in runtime_files(spec).items():
        if path != "gunicorn.conf.py":
            env[_file_variable(path)] = content
    return [{"name": k, "value": v} for k, v in sorted(env.items())]


def _pypiserver_container(spec: TaskSpec) -> dict:
    layout = layout_for(spec)
    probe = f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{layout.pypiserver_port}{HEALTH_PATH}', timeout=4)"
    container: dict = {
        "name": PYPISERVER_CONTAINER,
        "image": f"{PYPISERVER_IMAGE_REPOSITORY}:{spec.image_tag}",
        "essential": True,
        "cpu": spec.pypiserver_cpu,
        "memory": spec.pypiserver_memory,
        "memoryReservation": spec.pypiserver_memory_reservation,
        "entryPoint": ["/bin/sh", "-c"],
        "command": [pypiserver_entry_command(spec)],
        "environment": _pypiserver_environment(spec),
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
        "image": NGINX_IMAGE,
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
        # Read-only: only pypiserver writes packages and pages.
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
