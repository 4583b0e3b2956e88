"""pypiserver, kept for its upload API and its auth check, publishing through the Store.

pypiserver's app is built through its public API (`app_from_config`,
`setup_routes_from_config`) from its own command line, with `IndexBackend` as the backend: an
implementation of pypiserver's `Backend` (its `IBackend` base) that `IndexConfig.get_backend`
hands out. So `:action=file_upload` and `remove_pkg` keep pypiserver's routing, form parsing
and password check but store through the Store (atomic, first-wins, pages rewritten before
the response). `:action=yank` and `:action=unyank` (PEP 592; not part of pypiserver) are
answered by `YankMiddleware` after the same password check. Every write needs a publisher:
a user with valid credentials who is not one gets 403, and so does a write to a project
outside the writer's patterns (identity.py: named users, and trusted publishers' upload
tokens, which only upload). Each write, and each refused one, leaves an audit line
(audit.py). Errors are one line of text, also carried in the status line, which is what
twine and uv print.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time

import pypiserver
from pypiserver.backend import Backend, BackendProxy
from pypiserver.bottle_wrapper import bottle
from pypiserver.config import RunConfig, get_parser
from pypiserver.core import PkgFile

from . import audit, contract, rights, upload_tokens
from .dist import Rejected, parse_filename, try_parse_filename
from .identity import Identities, Writer
from .scan import Scanner
from .store import Release, Store

log = logging.getLogger("pypi_index")

# Where the middleware leaves the checked writer for the backend's audit lines.
WRITER_KEY = "pypi_index.writer"
SIGNATURE_SUFFIX = ".asc"


def _reject(err: Rejected) -> bottle.HTTPResponse:
    line = " ".join(str(err).split())
    reason = line.encode("latin-1", "replace").decode("latin-1")[:200]
    return bottle.HTTPResponse(
        body=line + "\n", status=f"{err.status} {reason}", headers={"Content-Type": "text/plain; charset=utf-8"}
    )


class IndexBackend(Backend):
    """pypiserver's backend interface over the Store. Behind the front pypiserver answers only
    POST / (uploads and removals); its reads, were they ever reached, list the records."""

    def __init__(self, config: RunConfig):
        super().__init__(config)
        self.store = Store(str(config.package_root))

    def get_all_packages(self):
        for project in self.store.project_names():
            for filename in self.store.records_or_empty(project):
                dist = try_parse_filename(filename)
                if dist is not None:
                    yield PkgFile(
                        pkgname=dist.project,
                        version=str(dist.version),
                        fn=os.path.join(self.store.root, filename),
                        root=self.store.root,
                        relfn=filename,
                    )

    def exists(self, filename: str) -> bool:
        return False  # publish() decides, atomically, under the lock

    def add_package(self, filename: str, stream) -> None:
        if filename.endswith(SIGNATURE_SUFFIX):
            # pypiserver hands a `gpg_signature` part over after its file was published; PyPI
            # ignores signatures ("your package uploads will continue to succeed, but any PGP
            # signatures will be silently ignored", PyPI blog, "Removing PGP from PyPI", 2023).
            log.info("ignored the signature %s", filename)
            return
        try:
            # The name and a conflict with a published file cost no copy of the body.
            self.store.check_free(parse_filename(filename))
            body = self.store.receive(stream)
        except Rejected as err:
            _audit("upload", "rejected", err.status, filename=filename, detail=str(err))
            raise _reject(err) from None
        try:
            record = self.store.publish(filename, body)
        except Rejected as err:
            _audit("upload", "rejected", err.status, filename=filename, detail=str(err))
            raise _reject(err) from None
        finally:
            os.unlink(body)
        _audit("upload", "ok", 200, filename=filename, sha256=record["sha256"], size=record["size"])
        log.info("published %s", filename)

    def find_version(self, name: str, version: str) -> list[Release]:
        try:
            return self.store.find_version(name, version)
        except Rejected as err:
            raise _reject(err) from None

    def remove_package(self, pkg: Release) -> None:
        self.store.remove(pkg)
        _audit("delete", "ok", 200, project=pkg.project, filename=pkg.filename)
        log.info("removed %s", pkg.filename)


class IndexConfig(RunConfig):
    """pypiserver's run configuration, with the index as its backend (`get_backend` is the
    config's hook for choosing one)."""

    index: IndexBackend

    def get_backend(self, arg: str) -> BackendProxy:
        self.index = IndexBackend(self)
        return BackendProxy(self.index)


def _audit(action: str, result: str, status: int, environ: dict | None = None, **fields) -> None:
    environ = bottle.request.environ if environ is None else environ
    auth = bottle.BaseRequest(environ).auth
    if "project" not in fields and fields.get("filename"):
        fields["project"] = _project_of(fields["filename"])
    writer: Writer | None = environ.get(WRITER_KEY)
    if writer is not None:
        fields["publisher"] = writer.publisher
    for key in ("filename", "project"):
        if key in fields:
            fields[key] = _shown(fields[key])
    audit.write(
        user=writer.name if writer is not None else auth[0] if auth else "",
        action=action,
        result=result,
        status=status,
        client=audit.client_address(environ),
        **fields,
    )


def _project_of(filename: str) -> str:
    try:
        return parse_filename(filename).project
    except Exception:  # a name that is no distribution: the audit line still names the file
        return ""


# pypiserver's `:action` values -> the audit's action names.
_ACTIONS = {"file_upload": "upload", "remove_pkg": "delete", "yank": "yank", "unyank": "unyank"}


def _plain_error(res: bottle.HTTPError) -> str:
    bottle.response.content_type = "text/plain; charset=utf-8"
    return " ".join(str(res.body or res.status_line).split()) + "\n"


class YankMiddleware:
    """POST / with `:action=yank` (name, version, optional reason) or `:action=unyank`; and,
    for every POST /, the publisher check, decided from the Authorization header before the
    body is read: a reader's write costs what a rejected login costs, whatever its body."""

    def __init__(self, app, store: Store, config, identities: Identities):
        self.app, self.store, self.config, self.identities = app, store, config, identities

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == contract.TOKEN_CHECK_PATH:
            return self._check_token(environ, start_response)
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != "/":
            return self.app(environ, start_response)
        request = bottle.BaseRequest(environ)
        auth = request.auth  # the header alone: nothing of the body is read before the decision
        writer: Writer | None = None
        if "update" in self.config.authenticate:
            if not auth or auth[1] is None:
                return self.app(environ, start_response)  # pypiserver answers 401
            if not self.identities.may_write(auth[0]):
                # nginx has checked the password (its update file holds every user): no
                # bcrypt here, and the body is never parsed.
                _audit("update", "refused", 403, environ, detail="may not publish; body not read")
                return self._answer(start_response, Rejected(403, f"user {auth[0]} may not publish (read-only)"))
            if not self.config.auther(*auth):
                _audit("update", "failed-login", 403, environ)
                return self.app(environ, start_response)  # pypiserver answers 403
            writer = self.identities.writer(*auth)
        try:
            # A publisher's body, parsed once; pypiserver reuses it from the environ.
            forms = request.forms
        except Exception as err:  # bottle raises various errors on a malformed body
            return self._answer(start_response, Rejected(400, f"malformed multipart body: {err}"))
        action = forms.get(":action")
        if writer is not None and auth:
            # A publisher's rights on the project it names (the body's file or name field).
            environ[WRITER_KEY] = writer
            refusal = _refusal(writer, auth[0], action, request)
            if refusal:
                _audit(_ACTIONS.get(action, str(action)), "refused", 403, environ, **_refused_fields(request))
                return self._answer(start_response, Rejected(403, refusal))
        if action not in ("yank", "unyank"):
            return self.app(environ, start_response)
        name, version = forms.get("name"), forms.get("version")
        if not name or not version:
            return self._answer(start_response, Rejected(400, f"{action} needs name and version fields"))
        try:
            count = self.store.yank(name, version, (forms.getunicode("reason") or "") if action == "yank" else None)
        except Rejected as err:
            _audit(action, "rejected", err.status, environ, project=name, detail=f"{_shown(version)}: {err}")
            return self._answer(start_response, err)
        _audit(action, "ok", 200, environ, project=name, detail=f"{version}: {count} file(s)")
        return self._answer(start_response, None, f"{action}: {count} file(s) of {name} {version}")

    def _check_token(self, environ, start_response):
        """nginx asks before it reads an upload's body: 204 for a valid upload token, else 401
        (the one line says why, in the status line nginx logs)."""
        auth = bottle.BaseRequest(environ).auth
        try:
            if not auth or auth[0] != upload_tokens.USERNAME:
                raise upload_tokens.TokenRefused(f"upload tokens log in as {upload_tokens.USERNAME}")
            self.identities.token(auth[1] or "")
        except upload_tokens.TokenRefused as err:
            start_response(f"401 {err}", [("Content-Length", "0")])
            return [b""]
        start_response("204 No Content", [])
        return [b""]

    @staticmethod
    def _answer(start_response, err: Rejected | None, text: str = ""):
        if err is not None:
            resp = _reject(err)
            start_response(resp.status_line, list(resp.headerlist))
            return [resp.body.encode()]
        body = (text + "\n").encode()
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
        return [body]


def _refusal(writer: Writer | None, login: str, action, request) -> str:
    """Why this writer may not do this write, in one line; "" when it may."""
    if writer is None:
        return f"user {login} may not publish (read-only)"
    if writer.uploads_only and action != "file_upload":
        return f"{writer.name}: an upload token may only upload files, not {action}"
    project = _refused_fields(request).get("project", "")
    if project and not writer.may_write(project):
        return rights.refusal(f"{'trusted publisher' if writer.publisher else 'user'} {writer.name}", project)
    return ""


def _refused_fields(request) -> dict:
    """What a refused write names: the uploaded file (and its project), or the release."""
    upload = request.files.get("content")
    filename = getattr(upload, "raw_filename", "") or ""
    if filename:
        return {"filename": filename, "project": _project_of(filename)}
    return {"project": request.forms.get("name") or ""}


def _shown(text: str) -> str:
    """A client's text in an audit line: bounded (a name or version may be anything)."""
    return text if len(text) <= 200 else text[:200] + "..."


def run_scanner(store: Store, lock_path: str, interval: float, sweep_seconds: float) -> None:
    """Scan for out-of-band changes forever, in the one worker of this task that holds
    `lock_path` (a task-local file); the others wait to take over if it dies."""
    while True:
        try:
            _scan_while_elected(store, lock_path, interval, sweep_seconds)
        except Exception:  # never let the thread die quietly: say why, then try again
            log.exception("scanner stopped; restarting")
            time.sleep(interval)


def _scan_while_elected(store: Store, lock_path: str, interval: float, sweep_seconds: float) -> None:
    with open(lock_path, "a") as lock_file:
        while True:
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                time.sleep(interval)
        scanner = Scanner(store, sweep_seconds=sweep_seconds, interval=interval)
        started = time.monotonic()
        scanner.poll()
        log.warning("index built from the package folder in %.2f s", time.monotonic() - started)
        while True:
            time.sleep(interval)
            try:
                scanner.poll()
            except Exception:  # keep scanning after a transient error (a file vanished)
                log.exception("scan failed")


def build_app(argv: list[str], environ: dict[str, str]) -> YankMiddleware:
    """The WSGI app from pypiserver's own arguments (`run -i ... <folder>`) and the
    environment the task renders (who may write what)."""
    config = IndexConfig.from_namespace(get_parser().parse_args(argv))
    identities = Identities.from_environ(environ, config.index.store.root)
    config.auther = identities.auther(config.auther)
    app = pypiserver.setup_routes_from_config(pypiserver.app_from_config(config), config)
    app.default_error_handler = _plain_error
    return YankMiddleware(app, config.index.store, config, identities)


def start_scanner(store: Store, scanner_lock: str, scan_seconds: float, sweep_seconds: float) -> None:
    """In each gunicorn worker after the fork: one of them (the lock's holder) scans."""
    threading.Thread(
        target=run_scanner,
        args=(store, scanner_lock, scan_seconds, sweep_seconds),
        name="index-scanner",
        daemon=True,
    ).start()
