"""The credentials document (Secrets Manager, one per user) and its htpasswd lines: a fast
salted hash for nginx, bcrypt for pypiserver."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac

import bcrypt

from pypi_index.contract import ROTATION_MARK
from task.spec import BCRYPT_COST, MIN_PASSWORD_LENGTH

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


@functools.lru_cache(maxsize=4096)
def pypiserver_password_hash(password: str) -> str:
    """bcrypt, as the Terraform module stores it (pypiserver checks it through passlib).
    Deterministic (its salt derives from the password), so a render computes each once: the
    user's document and the task's bundle carry the same line."""
    salt16 = _derived_salt(password, "pypiserver-bcrypt", 16)
    encoded = base64.b64encode(salt16).decode().rstrip("=").translate(_TO_BCRYPT)
    salt = f"$2b${BCRYPT_COST:02d}${encoded}".encode()
    return bcrypt.hashpw(password.encode(), salt).decode()


def htpasswd_line(username: str, password_hash: str) -> str:
    return f"{username}:{password_hash}"


def login_name(user: str, generation: int) -> str:
    """The username a token of `generation` logs in with: the user's name, then `name+rN`.

    A token is a (username, password) pair, and each generation has its own username because
    an htpasswd file holds one hash per username (nginx and passlib use one and ignore the
    rest): two generations valid at once need two usernames. Clients read both from the
    secret. Generation 0 keeps the bare name, so a user never rotated logs in as before."""
    return user if generation == 0 else f"{user}{ROTATION_MARK}{generation}"


def user_document(user: str, tokens: list[tuple[int, str]]) -> dict:
    """What a user's secret stores: the current token (the last of `tokens`, (generation,
    password) pairs, oldest first) and the htpasswd lines of every valid token, one line
    each, newline-separated. Deterministic for given arguments, so two renders are identical."""
    if not tokens:
        raise ValueError(f"user {user!r}: needs at least one token")
    lines = [_one_token(login_name(user, g), p) for g, p in tokens]
    generation, password = tokens[-1]
    return {
        "username": login_name(user, generation),
        "password": password,
        "user": user,
        "rotation": generation,
        "nginx_htpasswd": "\n".join(x["nginx_htpasswd"] for x in lines),
        "pypiserver_htpasswd": "\n".join(x["pypiserver_htpasswd"] for x in lines),
    }


def credentials_document(username: str, password: str) -> dict:
    """The document of a user with one token of generation 0."""
    return user_document(username, [(0, password)])


def _one_token(username: str, password: str) -> dict[str, str]:
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
