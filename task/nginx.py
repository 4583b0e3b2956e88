"""The front's nginx.conf and the entry command of the stock nginx image."""

from __future__ import annotations

import json
import re

from pypi_index import contract
from task import bundles
from task.negotiation import accept_maps
from task.spec import (
    FIRST_PASS_RETRY_AFTER_SECONDS,
    FRONTED_CONTAINER_LAYOUT,
    HEALTH_PATH,
    MAX_UPLOAD_MIB,
    NGINX_CONF_PATH,
    UPLOAD_TIMEOUT_SECONDS,
    Layout,
    TaskSpec,
)
from task.timing import GRACEFUL_STOP_SECONDS, KEEPALIVE_TIMEOUT_SECONDS


def htpasswd_path(layout: Layout, action: str) -> str:
    """nginx's file for one action: the users allowed it (`update`: every user, so that a
    known user who may not publish reaches the index, which answers 403, not 401)."""
    return f"{layout.nginx_htpasswd}-{action}"


def htpasswd_files(spec: TaskSpec) -> dict[str, tuple[str, ...]]:
    """action -> names of the users whose lines its file holds."""
    return {
        "download": tuple(u.name for u in spec.users_for("download")),
        "list": tuple(u.name for u in spec.users_for("list")),
        "update": tuple(u.name for u in spec.users),
    }


def _auth(realm: str | None, layout: Layout, action: str) -> str:
    if realm is None:
        return "auth_basic off;"
    return f'auth_basic "{realm}";\n            auth_basic_user_file {htpasswd_path(layout, action)};'


# The audit line of a failed login: a 401 to a request that carried credentials (clients such
# as pip first ask without any and expect the 401 challenge: that is no failed login). Same
# fields as the index's audit lines (pypi_index/audit.py); the Authorization header itself is
# never logged. Field -> nginx's value: variables, or JSON literals.
# A reader's write refused by nginx itself (no upstream answered) is audited here too, as
# "refused".
_AUDIT_VALUES = {
    "audit": json.dumps(contract.AUDIT_MARKER),
    "time": '"$time_iso8601"',
    "user": '"$remote_user"',
    "action": '"$audit_action"',
    "project": '""',
    "filename": '""',
    "sha256": '""',
    "size": "0",
    "client": '"$audit_client"',
    "status": "$status",
    "result": '"$audit_result"',
    "publisher": "null",
}
_AUDIT_FORMAT = "{" + ",".join(f'"{k}":{v}' for k, v in _AUDIT_VALUES.items()) + "}"

_AUDIT_LOG = (
    r"""    map "$status:$http_authorization" $failed_login {
        default 0;
        "~^401:." 1;
    }
    map "$status:$request_method:$uri:$upstream_status" $audit_line {
        default $failed_login;
        "403:POST:/:" 1;
    }
    map $status $audit_result {
        default """
    + json.dumps(contract.FAILED_LOGIN)
    + r""";
        403 refused;
    }
    # The client: the last X-Forwarded-For entry, the one the load balancer appended (what a
    # client sends itself comes before it); without a load balancer, the peer.
    map $http_x_forwarded_for $audit_client {
        default $remote_addr;
        "~(?<last>[^,\s]+)\s*$" $last;
    }
    map $uri $audit_action {
        default other;
        "~^/simple/" list;
        "~^/packages/" download;
        "/" update;
    }
    log_format audit escape=json '"""
    + _AUDIT_FORMAT
    + "';"
)


# What nginx serves by name, nothing else (it never builds a header or a path from anything
# but these): distribution names (PEP 427 wheels: name-version[-build]-python-abi-platform;
# sdists: name-version.tar.gz or .zip, legacy names with dashes included), a wheel's PEP 658
# metadata, normalized project names (PEP 503) for pages, and PEP 508 names for the
# /<project>/ shortcut. Plain ASCII classes: no CR, LF, '/' or '..' can ever match.
WHEEL_NAME = r"[A-Za-z0-9][A-Za-z0-9_.]*-[A-Za-z0-9_.+!]+(?:-[0-9][A-Za-z0-9_]*)?(?:-[A-Za-z0-9_.]+){3}\.whl"
SDIST_NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]*-[vV]?[0-9][A-Za-z0-9_.+!]*\.(?:tar\.gz|zip)"
NORMALIZED_PROJECT = r"[a-z0-9]+(?:-[a-z0-9]+)*"
PROJECT_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
# After the access phase (unlike `return`, which runs before it): a path that names nothing
# gets its 404 only once the request has passed the location's auth check, so without
# credentials a protected path answers 401 like any other. The path tried never exists.
NOT_SERVED = "try_files /.not-served =404;"


# A valid user who may not publish: 403 from here, decided from the verified user name before
# the body is read, so a reader's write costs what a rejected login costs. (try_files runs
# after the access phase, where the password is checked; `return` alone would run before it.)
_REFUSED_WRITE = r"""
        location @refused_write {
            default_type text/plain;
            return 403 "user $remote_user may not publish (read-only)\n";
        }
"""


def _write_map(spec: TaskSpec, layout: Layout) -> str:
    """$remote_user -> where its write goes: the index for publishers (and their rotated
    logins, <user>+r<generation>), a refusal for everyone else. The publishers' names come
    from the credential bundles at start (nginx_entry_command writes the file), so the task
    definition does not grow with them."""
    mark = re.escape(contract.ROTATION_MARK)
    return f"""    map $remote_user $writer {{
        default $remote_user;
        "~^(?<principal>.+?){mark}[0-9]+$" $principal;
    }}
    map $writer $write_target {{
        default @refused_write;
        include {layout.publishers_map};
    }}"""


# Package files: cacheable for good (a year, RFC 9111's usual ceiling) and never revalidated.
IMMUTABLE = "max-age=31536000, immutable"

# The request to the index, for uploads, removals and yanks (named users and upload tokens).
_PROXY_TO_INDEX = f"""            proxy_pass http://pypiserver;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            # pypiserver sees no client-chosen host (it builds URLs from these).
            proxy_set_header Host pypiserver;
            proxy_set_header X-Forwarded-Host "";
            proxy_set_header X-Forwarded-Proto "";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_connect_timeout 5s;
            proxy_read_timeout {UPLOAD_TIMEOUT_SECONDS}s;
            proxy_send_timeout {UPLOAD_TIMEOUT_SECONDS}s;"""

# Uploads with an upload token (HTTP Basic as `__token__`; "X190b2tlbl9f" is base64 of those
# nine bytes, so every such header starts with it) take their own path: no htpasswd file holds
# tokens, so nginx asks the index (auth_request) before it reads the body.
_TOKEN_MAP = r"""    map "$request_method:$http_authorization" $upload_token {
        default 0;
        "~^POST:Basic\s+X190b2tlbl9f" 1;
    }"""
_TOKEN_ROUTE = """error_page 419 = @token_update;
            if ($upload_token) {
                return 419;
            }
            """

# Trusted publishing off: PyPI's own answer, which the GitHub action reports as "disabled".
_OIDC_OFF = """
        location ^~ /_/oidc/ {
            auth_basic off;
            default_type application/json;
            return 403 '{"message": "Trusted publishing functionality not enabled"}';
        }
"""


def _oidc_locations(spec: TaskSpec, layout: Layout) -> str:
    """`/_/oidc/` (public, as on PyPI: the identity token is the credential) to the exchange,
    and the token path of uploads; or PyPI's 403 when trusted publishing is off."""
    if spec.trusted_publishing is None:
        return _OIDC_OFF
    return f"""
        location ^~ /_/oidc/ {{
            auth_basic off;
            client_max_body_size 64k;
            proxy_pass http://{layout.oidc_upstream};
            proxy_http_version 1.1;
            proxy_set_header Host oidc;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_connect_timeout 5s;
            proxy_read_timeout 30s;
        }}

        location @token_update {{
            auth_request {contract.TOKEN_CHECK_PATH};
{_PROXY_TO_INDEX}
        }}

        # The index checks the token alone (signature, expiry, revocation, binding): 204 or 401.
        location = {contract.TOKEN_CHECK_PATH} {{
            internal;
            proxy_pass http://pypiserver;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header Host pypiserver;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_connect_timeout 5s;
        }}
"""


def nginx_config(spec: TaskSpec, layout: Layout | None = None) -> str:
    """The whole nginx.conf for the front (the image's default config is replaced)."""
    layout = layout or FRONTED_CONTAINER_LAYOUT
    realm = "pypiserver"
    audit_log = f"access_log {layout.audit_log} audit if=$audit_line;" if layout.audit_log else ""
    download = realm if "download" in spec.authenticate else None
    listing = realm if "list" in spec.authenticate else None
    update = realm if "update" in spec.authenticate else None
    user = f"user {layout.nginx_user};\n" if layout.nginx_user else ""
    state = layout.state_dir
    packages = layout.packages_dir.rstrip("/")
    access_log = f"access_log {layout.access_log} main buffer=64k flush=5s;" if layout.access_log else "access_log off;"
    # Unknown projects: 404, or pypi.org's page when the stack falls back to it; but while the
    # first pass over the folder runs (no ready marker yet), a page not written yet may be a
    # project that exists: 503 with Retry-After, never a 404 that sends clients elsewhere.
    unknown = "return 302 https://pypi.org$request_uri;" if spec.fallback_to_pypi else "return 404;"
    ready = f"{packages}/{contract.INDEX_DIR}/{contract.READY_MARKER}"
    token_route = _TOKEN_ROUTE if spec.trusted_publishing is not None else ""
    # Who may write is decided after the password check, before the body is read.
    write_gate = "try_files /.write $write_target;" if update else "try_files /.write @publish;"
    refused_write = _REFUSED_WRITE if update else ""
    page = rf"{contract.PAGE_NAME}\.(?:{contract.HTML_SUFFIX}|{contract.JSON_SUFFIX})"
    metadata_suffix = re.escape(contract.METADATA_SUFFIX)
    return f"""# Rendered by task/nginx.py; do not edit by hand.
{user}worker_processes {layout.worker_processes};
daemon off;
pid {layout.pid_path};
error_log {layout.error_log} warn;
worker_rlimit_nofile 65536;
# The image stops nginx with SIGQUIT: requests in flight (an upload) finish first, within this.
worker_shutdown_timeout {GRACEFUL_STOP_SECONDS}s;

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
{_AUDIT_LOG}
    {audit_log}
    server_tokens off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    # Longer than the load balancer's idle timeout: it closes idle connections first, never
    # sends a request on one nginx is closing (a 502).
    keepalive_timeout {KEEPALIVE_TIMEOUT_SECONDS}s;
    keepalive_requests 100000;
    client_max_body_size {MAX_UPLOAD_MIB}m;
    client_body_temp_path {state}/client_body;
    proxy_temp_path {state}/proxy;
    fastcgi_temp_path {state}/fastcgi;
    uwsgi_temp_path {state}/uwsgi;
    scgi_temp_path {state}/scgi;
    # Redirects keep the client's own host: no Location built from request headers.
    absolute_redirect off;

{accept_maps()}
{_write_map(spec, layout)}
{_TOKEN_MAP if spec.trusted_publishing is not None else ""}
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

        # Pages, written by the index at each change: .index/simple/<project>/index.html|json,
        # and the project list; nothing else of .index/, and no symlink is ever followed.
        location ^~ /simple/ {{
            {_auth(listing, layout, "list")}
            root {packages}/{contract.INDEX_DIR};
            disable_symlinks on from={packages};
            index {contract.PAGE_NAME}.$simple_format;
            types {{
                text/html {contract.HTML_SUFFIX};
                {contract.SIMPLE_JSON_TYPE} {contract.JSON_SUFFIX};
            }}
            charset utf-8;
            add_header Vary Accept always;
            add_header Cache-Control "no-cache" always;
            add_header X-Content-Type-Options nosniff always;
            location ~ "^/simple/(?:|{NORMALIZED_PROJECT}/?|(?:{NORMALIZED_PROJECT}/)?{page})$" {{
                # 403: a project's folder made, its page not written yet (nginx refuses to list
                # a folder without its index file).
                error_page 403 404 = @not_listed;
            }}
            {NOT_SERVED}
        }}

        location @not_listed {{
            if (!-f {ready}) {{
                add_header Retry-After {FIRST_PASS_RETRY_AFTER_SECONDS} always;
                add_header Cache-Control "no-store" always;
                return 503;
            }}
            {unknown}
        }}

        # Package files straight from the volume, always as downloads: distribution names and
        # a wheel's PEP 658 core metadata (<file>.metadata) only, never through a symlink. A
        # published name never changes content (first wins, removed names never come back with
        # other bytes), so clients may keep them for good; `immutable` without `always`: a 401
        # or 404 is never cached that way.
        location ^~ /packages/ {{
            {_auth(download, layout, "download")}
            disable_symlinks on from={packages};
            add_header X-Content-Type-Options nosniff always;
            add_header Cache-Control "{IMMUTABLE}";
            location ~ "^/packages/(?<dist>{WHEEL_NAME}|{SDIST_NAME})$" {{
                alias {packages}/$dist;
            }}
            location ~ "^/packages/(?<wheel>{WHEEL_NAME}){metadata_suffix}$" {{
                alias {packages}/{contract.INDEX_DIR}/{contract.METADATA_DIR}/$wheel{contract.METADATA_SUFFIX};
            }}
            {NOT_SERVED}
        }}

        # GET /: a short public note. POST /: uploads, removals and yanks, checked here and
        # again by pypiserver.
        location = / {{
            auth_basic off;
            error_page 418 = @update;
            {token_route}if ($request_method = POST) {{
                return 418;
            }}
            if ($request_method !~ ^(?:GET|HEAD)$) {{
                return 405;
            }}
            add_header Allow "GET, HEAD, POST" always;
            default_type text/plain;
            return 200 "pypiserver: the index is at /simple/\\n";
        }}

        location @update {{
            {_auth(update, layout, "update")}
            {write_gate}
        }}
{refused_write}
        location @publish {{
{_PROXY_TO_INDEX}
        }}
{_oidc_locations(spec, layout)}
        # pypiserver's /<project>/ shortcut (the guide's stress test uses it). A redirect
        # reveals nothing, so it needs no auth (return runs before the auth check anyway).
        # Only a valid name goes into the Location header: anything else is a 404.
        location ~ "^/(?<shortcut>{PROJECT_NAME})/$" {{
            return 301 /simple/$shortcut/;
        }}

        location / {{
            return 404;
        }}
    }}
}}
"""


def nginx_entry_command(spec: TaskSpec) -> str:
    """Shell command for the stock nginx image: write the rendered config, one htpasswd file
    per action, composed from the users' lines (the credential bundles' lines of that
    action's key), and the publishers' map (their names, from the bundles), then exec nginx."""
    steps = [f'printf "%s" "$NGINX_CONF" > {NGINX_CONF_PATH}']
    for action in htpasswd_files(spec):
        target = htpasswd_path(FRONTED_CONTAINER_LAYOUT, action)
        steps.append(f"{bundles.lines_of(spec, bundles.NGINX_KEYS[action])} > {target}")
    steps.append(publishers_map_command(spec, FRONTED_CONTAINER_LAYOUT.publishers_map))
    return " && ".join(steps) + " && exec nginx"


def publishers_map(publishers: tuple[str, ...]) -> str:
    """nginx's map of publishers, as publishers_map_command writes it: `<name> @publish;` a
    line (user names hold no space, quote or semicolon: components/config/users.py)."""
    return "".join(f"{name} @publish;\n" for name in publishers)


def publishers_map_command(spec: TaskSpec, target: str) -> str:
    """Write nginx's map of publishers (publishers_map) from the bundles' names; busybox's
    sed in the stock (Alpine) image."""
    return f"{bundles.lines_of(spec, bundles.PUBLISHERS_KEY)} | sed -e 's/$/ @publish;/' > {target}"


def shipped_nginx_config(spec: TaskSpec, layout: Layout | None = None) -> str:
    """nginx.conf as it travels in the task definition, which has a size limit: the same
    directives, without comment lines, blank lines and indentation (read them here)."""
    lines = (line.strip() for line in nginx_config(spec, layout).splitlines())
    return "".join(line + "\n" for line in lines if line and not line.startswith("#"))
