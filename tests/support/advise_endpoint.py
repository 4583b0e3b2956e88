"""An AWS-compatible endpoint that goes wrong the way real ones do: a proxy in front of the moto
server that passes every request through, except the operations it is told to break, which get
a canned answer (a proxy's HTML error page, AWS refusing the credentials, ...).

The operation is read from the request as each protocol carries it: X-Amz-Target (JSON: ECS,
Application Auto Scaling), the path (CloudWatch's RPCv2 CBOR: /service/<svc>/operation/<op>;
EFS's REST paths), or the form body's Action (query: ELBv2).
"""

from __future__ import annotations

import http.client
import http.server
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tests.support.advise_fixtures import free_port

# The second half of the tests' ports (the moto server takes the first).
PROXY_PORTS = range(18150, 18200)


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes


# What an nginx in front of an endpoint sends when its upstream is down.
BAD_GATEWAY = Answer(
    502,
    "text/html",
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
)
# The same page, with the doctype a load balancer's or CDN's page often starts with.
BAD_GATEWAY_DOCTYPE = Answer(502, "text/html", b"<!DOCTYPE html>\n" + BAD_GATEWAY.body)


def aws_xml_error(code: str, message: str, status: int = 403) -> Answer:
    """AWS's query-protocol error document (as IAM, STS, ELBv2 and a refusing front end send it)."""
    body = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n'
        f"  <Error>\n    <Type>Sender</Type>\n    <Code>{code}</Code>\n    <Message>{message}</Message>\n"
        "  </Error>\n  <RequestId>4e2b5c1a-7f0d-4c1e-9d7a-2b1f0c3e5a6d</RequestId>\n</ErrorResponse>\n"
    )
    return Answer(status, "text/xml", body.encode())


def aws_json_error(code: str, message: str, status: int = 400) -> Answer:
    """AWS's JSON-protocol error document (ECS, Application Auto Scaling)."""
    return Answer(status, "application/x-amz-json-1.1", f'{{"__type":"{code}","message":"{message}"}}'.encode())


# EFS's REST operations the advisor calls, by method and path prefix.
_REST_OPERATIONS = {("GET", "/2015-02-01/file-systems"): "DescribeFileSystems"}


def operation(method: str, path: str, headers, body: bytes) -> str:
    target = headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1]
    if "/operation/" in path:
        return path.rsplit("/operation/", 1)[1].split("?")[0]
    for (verb, prefix), name in _REST_OPERATIONS.items():
        if method == verb and path.startswith(prefix):
            return name
    form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    return form.get("Action", ["?"])[0]


def _bind(handler) -> http.server.ThreadingHTTPServer:
    """Bind, trying the next port when another process took this one between look and bind."""
    for _ in range(5):
        try:
            return http.server.ThreadingHTTPServer(("127.0.0.1", free_port(PROXY_PORTS)), handler)
        except OSError:
            continue
    raise RuntimeError("no free port for the proxy")


Breaks = Callable[[str, bytes], bool]  # (operation, request body) -> answer it with the canned answer


@contextmanager
def broken_proxy(upstream: str, breaks: Breaks, answer: Answer) -> Iterator[tuple[str, list[str]]]:
    """Yields the proxy's URL and the operations it broke, in order."""
    upstream_host = urllib.parse.urlsplit(upstream).netloc
    broken: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _relay(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            name = operation(self.command, self.path, self.headers, body)
            if breaks(name, body):
                broken.append(name)
                status, content_type, payload = answer.status, answer.content_type, answer.body
            else:
                conn = http.client.HTTPConnection(upstream_host, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                conn.request(self.command, self.path, body=body, headers=headers)
                reply = conn.getresponse()
                status, content_type, payload = reply.status, reply.getheader("Content-Type", ""), reply.read()
                conn.close()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _relay

        def log_message(self, *args) -> None:  # quiet test output
            pass

    server = _bind(Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", broken
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
