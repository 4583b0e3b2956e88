"""Upload tokens: HMAC-signed claims that any task checks with the standard library."""

import base64
import json

import pytest

from pypi_index import upload_tokens as tokens

KEY = "k" * 64
NOW = 1_800_000_000


def claims(**over):
    return {
        "pub": "github:acme/w/release.yml",
        "projects": ["acme-*"],
        "nbf": NOW,
        "exp": NOW + 900,
        "jti": "ab12",
    } | over


def test_a_minted_token_verifies_within_its_period():
    token = tokens.mint(KEY, claims())
    assert token.startswith("pypi-"), "PyPI's prefix: secret scanners and the GitHub action expect it"
    assert tokens.verify(KEY, token, NOW)["pub"] == "github:acme/w/release.yml"
    assert tokens.verify(KEY, token, NOW + 899)["projects"] == ["acme-*"]


@pytest.mark.parametrize("when, reason", [(NOW - 1, "upload token not valid yet"), (NOW + 900, "upload token expired")])
def test_outside_its_period_a_token_is_refused(when, reason):
    with pytest.raises(tokens.TokenRefused, match=reason):
        tokens.verify(KEY, tokens.mint(KEY, claims()), when)


def test_another_key_or_a_changed_claim_breaks_the_signature():
    token = tokens.mint(KEY, claims())
    with pytest.raises(tokens.TokenRefused, match="bad signature"):
        tokens.verify("x" * 64, token, NOW)
    payload, mac = token.removeprefix("pypi-").split(".")
    widened = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    widened["projects"] = ["*"]
    forged = "pypi-" + base64.urlsafe_b64encode(json.dumps(widened).encode()).rstrip(b"=").decode() + "." + mac
    with pytest.raises(tokens.TokenRefused, match="bad signature"):
        tokens.verify(KEY, forged, NOW)


@pytest.mark.parametrize("junk", ["", "pypi-", "pypi-abc", "hunter2", "pypi-!!.!!", "pypi-e30.AAAA"])
def test_junk_is_refused_in_one_line(junk):
    with pytest.raises(tokens.TokenRefused) as err:
        tokens.verify(KEY, junk, NOW)
    assert "\n" not in str(err.value)


def test_without_a_key_nothing_verifies():
    with pytest.raises(tokens.TokenRefused, match="not enabled"):
        tokens.verify("", tokens.mint(KEY, claims()), NOW)


def test_a_short_key_cannot_mint():
    with pytest.raises(ValueError, match="at least 32"):
        tokens.mint("short", claims())


def test_revocation_is_a_marker_on_the_shared_volume(tmp_path):
    assert not tokens.is_revoked(str(tmp_path), "ab12")
    tokens.revoke(str(tmp_path), "ab12")
    tokens.revoke(str(tmp_path), "ab12")  # idempotent
    assert tokens.is_revoked(str(tmp_path), "ab12")
    assert not tokens.is_revoked(str(tmp_path), "cd34")
    assert tokens.revoked_path(str(tmp_path), "../../etc/passwd").startswith(str(tmp_path / ".index"))
