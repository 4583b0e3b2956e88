"""The front's nginx.conf and the entry command of the stock nginx image."""

from __future__ import annotations

import json
import re

from pypi_index import contract
from task.negotiation import accept_maps
from task.spec import (
    FRONTED_CONTAINER_LAYOUT,
    HEALTH_PATH,
    MAX_UPLOAD_MIB,
    NGINX_CONF_PATH,
    UPLOAD_TIMEOUT_SECONDS,
    Layout,
    TaskSpec,
)


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
# gets its 404 only once the request has passed the location's auth check.
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


def _write_map(spec: TaskSpec) -> str:
    """$remote_user -> where its write goes: the index for publishers (and their rotated
    logins, <user>+r<generation>), a refusal for everyone else."""
    names = "|".join(re.escape(name) for name in spec.publishers)
    publishers = f'"~^(?:{names})(?:{re.escape(contract.ROTATION_MARK)}[0-9]+)?$" @publish;' if names else ""
    return f"""    map $remote_user $write_target {{
        default @refused_write;
        {publishers}
    }}"""


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
    # Unknown projects: 404, or pypi.org's page when the stack falls back to it.
    missing = "error_page 404 = @pypi;" if spec.fallback_to_pypi else ""
    fallback = (
        """
        location @pypi {
            return 302 https://pypi.org$request_uri;
        }
"""
        if spec.fallback_to_pypi
        else ""
    )
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

{accept_maps()}
{_write_map(spec)}

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
            {missing}
            location ~ "^/simple/(?:|{NORMALIZED_PROJECT}/?|(?:{NORMALIZED_PROJECT}/)?{page})$" {{
            }}
            {NOT_SERVED}
        }}
{fallback}
        # Package files straight from the volume, always as downloads: distribution names and
        # a wheel's PEP 658 core metadata (<file>.metadata) only, never through a symlink.
        location ^~ /packages/ {{
            {_auth(download, layout, "download")}
            disable_symlinks on from={packages};
            add_header X-Content-Type-Options nosniff always;
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
            if ($request_method = POST) {{
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


def shipped_nginx_config(spec: TaskSpec, layout: Layout | None = None) -> str:
    """nginx.conf as it travels in the task definition, which has a size limit: the same
    directives, without comment lines, blank lines and indentation (read them here)."""
    lines = (line.strip() for line in nginx_config(spec, layout).splitlines())
    return "".join(line + "\n" for line in lines if line and not line.startswith("#"))


def nginx_entry_command(spec: TaskSpec) -> str:
    """Shell command for the stock nginx image: write the rendered config and one htpasswd
    file per action, composed from the users' lines (the users' secrets), then exec nginx."""
    steps = [f'printf "%s" "$NGINX_CONF" > {NGINX_CONF_PATH}']
    for action, users in htpasswd_files(spec).items():
        target = htpasswd_path(FRONTED_CONTAINER_LAYOUT, action)
        values = " ".join(f'"${spec.user_variable("NGINX_HTPASSWD", u)}"' for u in users)
        steps.append(f'printf "%s\\n" {values} > {target}' if users else f": > {target}")
    return " && ".join(steps) + " && exec nginx"
