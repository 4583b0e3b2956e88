"""One line for anything AWS, or whatever answers in its place, throws at the advisor.

botocore parses an error body by the service's protocol. When the body is not what the
protocol expects it keeps it whole as the message, under the HTTP status as the code: a
proxy's HTML page, or AWS's XML error document in front of a JSON service (ECS, Application
Auto Scaling, CloudWatch's CBOR), arrives as `403: <ErrorResponse>...` over many lines; an
XML service (ELBv2) given HTML cannot parse it at all and raises ResponseParserError, which
is not a botocore ClientError. Here an AWS error document is read wherever it sits, a page
that is not one is named by its title, and everything ends on one line.
"""

from __future__ import annotations

import html
import json
import re

from botocore.exceptions import ClientError, NoCredentialsError

# Codes AWS answers when it does not accept the credentials or the signature made with them
# (AWS's "Common Errors" list, plus the JSON services' spellings and STS's expired session).
CREDENTIAL_REFUSALS = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
        "IncompleteSignature",
        "MissingAuthenticationToken",
        "MissingAuthenticationTokenException",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidAccessKeyId",
        "AuthFailure",
    }
)
ACCESS_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "NotAuthorized", "UnauthorizedOperation"})
MAX_MESSAGE_CHARS = 200

_TAG = re.compile(r"<[^>]+>")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_HEADING = re.compile(r"<h1[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL)
_XML_CODE = re.compile(r"<Code>(.*?)</Code>", re.DOTALL)
_XML_MESSAGE = re.compile(r"<Message>(.*?)</Message>", re.DOTALL)


def one_line(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."


def _page_name(body: str) -> str | None:
    """An HTML page's title (or first heading), when the body is a page and not an AWS answer."""
    if not re.search(r"<(!doctype\s+html|html)[\s>]", body, re.IGNORECASE):
        return None
    found = _TITLE.search(body) or _HEADING.search(body)
    name = one_line(html.unescape(_TAG.sub(" ", found.group(1)))) if found else ""
    return name or "untitled"


def _aws_document(body: str) -> tuple[str, str] | None:
    """(code, message) from AWS's XML or JSON error document."""
    code = _XML_CODE.search(body)
    if code:
        message = _XML_MESSAGE.search(body)
        return html.unescape(code.group(1).strip()), html.unescape(message.group(1).strip()) if message else ""
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    if isinstance(doc, dict) and doc.get("__type"):
        # JSON protocols may prefix the code with its namespace: "ns#Code".
        return str(doc["__type"]).rsplit("#", 1)[-1], str(doc.get("message") or doc.get("Message") or "")
    return None


def describe(err: Exception, region: str) -> str:
    """The whole story in one line, for the user."""
    if isinstance(err, NoCredentialsError):
        return (
            "no AWS credentials found (boto3's chain: AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "~/.aws/credentials, SSO, instance or container role)"
        )
    if isinstance(err, ClientError):
        return _client_error(err, region)
    page = _page_name(str(err))
    if page is not None:  # botocore's ResponseParserError quotes the body it could not parse
        return (
            f"an AWS call in {region} got an HTML page ({page!r}), not an AWS answer: "
            "is a proxy or AWS_ENDPOINT_URL in the way?"
        )
    return f"AWS call failed in {region}: {one_line(str(err))}"


def _client_error(err: ClientError, region: str) -> str:
    info = err.response.get("Error", {})
    op = err.operation_name
    code, message = str(info.get("Code") or "error"), str(info.get("Message") or "")
    status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    document = _aws_document(message)
    if document:
        code, message = document
    else:
        page = _page_name(message)
        if page is not None:
            return (
                f"{op} in {region}: HTTP {status or code} with an HTML page ({page!r}), not an AWS answer: "
                "is a proxy or AWS_ENDPOINT_URL in the way?"
            )
        if code.isdigit():  # botocore's code for a body it could not read: the HTTP status
            return (
                f"{op} in {region}: HTTP {code} ({one_line(message) or 'no body'}), not an AWS answer: "
                "is a proxy or AWS_ENDPOINT_URL in the way?"
            )
    if code in CREDENTIAL_REFUSALS:
        return (
            f"AWS refused the credentials ({code} on {op}: {one_line(message)}): "
            "refresh them or pick another AWS_PROFILE"
        )
    if code in ACCESS_DENIED:
        return f"access denied for {op} in {region}: the credentials need read access to it ({one_line(message)})"
    return f"{op} failed in {region}: {code}: {one_line(message)}".rstrip(": ")
