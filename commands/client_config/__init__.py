"""`make client-config STACK=heavy USER=reader`: ready settings for uv, pip, poetry, twine and
keyring/.netrc, for one user of a stack, that install safely from the private index.

Safe means: the private index is where private names resolve, always. pip gets `index-url`
and never `extra-index-url` (with an extra index pip takes the highest version from any
index, so a public package with a private name wins: dependency confusion); uv lists the
private index first (its default strategy, first-index, never looks further for a name the
first index has) with `authenticate = "always"` (no anonymous probe that would answer 401
and send uv to the next index); poetry makes the private source `explicit` (only the
dependencies that name it) and keeps PyPI for the rest. No password is printed: each form
reads it from the user's secret, an environment variable or the keyring.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Client:
    index: str  # short name for the index in the clients' configs
    base_url: str  # https://host (the stack's url output)
    user: str  # the login (a rotated user's current login is in its secret)
    publishes: bool
    fallback_to_pypi: bool

    @property
    def simple(self) -> str:
        return self.base_url.rstrip("/") + "/simple/"

    @property
    def upload(self) -> str:
        return self.base_url.rstrip("/") + "/"

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    @property
    def netloc(self) -> str:
        return urlsplit(self.base_url).netloc

    @property
    def variable(self) -> str:
        return self.index.upper().replace("-", "_")


def uv(c: Client) -> str:
    publish = f'publish-url = "{c.upload}"\n' if c.publishes else ""
    return f"""# pyproject.toml (or uv.toml without the tool.uv prefix). Listed first: uv's default strategy
# (first-index) takes a name from the first index that has it, so a private name never
# resolves on pypi.org; authenticate = "always" sends credentials without an anonymous probe.
[[tool.uv.index]]
name = "{c.index}"
url = "{c.simple}"
authenticate = "always"
{publish}
# Credentials, in the environment (never in the file):
#   export UV_INDEX_{c.variable}_USERNAME={c.user}
#   export UV_INDEX_{c.variable}_PASSWORD=<the password in the user's secret>
"""


def pip(c: Client) -> str:
    reach = (
        "unknown names redirect to pypi.org (fallbackToPypi)"
        if c.fallback_to_pypi
        else "public packages need a mirror behind this index, or uv/poetry, which take them from pypi.org"
    )
    return f"""# pip.conf (~/.config/pip/pip.conf), or PIP_INDEX_URL. index-url only, never extra-index-url:
# with an extra index pip takes the highest version from any index, so a public package
# named like a private one would win (dependency confusion). Here {reach}.
[global]
index-url = {urlsplit(c.simple).scheme}://{c.user}@{c.netloc}{urlsplit(c.simple).path}
# The password comes from the keyring (below) or ~/.netrc; pip never needs it in this file.
"""


def poetry(c: Client) -> str:
    return f"""# pyproject.toml: the private source is explicit (used only by the dependencies that name
# it); PyPI stays the primary source for everything else.
[[tool.poetry.source]]
name = "{c.index}"
url = "{c.simple}"
priority = "explicit"

[tool.poetry.dependencies]
# your-private-package = {{ version = "^1.0", source = "{c.index}" }}

# Credentials, once per machine:
#   poetry config http-basic.{c.index} {c.user} <the password in the user's secret>
"""


def twine(c: Client) -> str:
    if not c.publishes:
        return f"# {c.user} may not publish (no update action): no twine settings.\n"
    return f"""# ~/.pypirc. The password from the keyring or TWINE_PASSWORD, never in this file.
[distutils]
index-servers = {c.index}

[{c.index}]
repository = {c.upload}
username = {c.user}
# uv publish: uv publish --index {c.index} (with the publish-url above)
"""


def keyring_and_netrc(c: Client) -> str:
    return f"""# keyring (pip with --keyring-provider import, twine and poetry read it):
#   keyring set {c.simple} {c.user}
#   keyring set {c.upload} {c.user}
# or ~/.netrc (mode 600; pip, uv and twine read it):
machine {c.host}
login {c.user}
password <the password in the user's secret>
"""


SECTIONS = (("uv", uv), ("pip", pip), ("poetry", poetry), ("twine", twine), ("keyring / .netrc", keyring_and_netrc))


def render(c: Client) -> str:
    return "\n".join(f"## {title}\n{make(c)}" for title, make in SECTIONS)
