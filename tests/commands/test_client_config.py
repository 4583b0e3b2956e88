"""`make client-config`: the printed settings parse as their clients read them, say what is
safe, and work: pip and uv install from the local run over HTTPS with nothing but them."""

from __future__ import annotations

import configparser
import netrc
import os
import subprocess
import sys
import tomllib

import pytest

from commands.client_config import Client, render
from commands.client_config.__main__ import main
from tests.support.client_envs import client_env
from tests.support.index_support import wheel, wheel_name
from tests.support.local_run_support import start_task, upload
from tools.local_lb import LocalBalancer
from tools.local_tls import generate

CLIENT = Client(
    index="acme", base_url="https://pypi.acme.example", user="reader", publishes=False, fallback_to_pypi=False
)


def sections(text: str) -> dict[str, str]:
    parts = {}
    for block in text.split("## ")[1:]:
        title, _, body = block.partition("\n")
        parts[title] = body
    return parts


def test_uv_lists_the_private_index_with_authenticate_always():
    (index,) = tomllib.loads(sections(render(CLIENT))["uv"])["tool"]["uv"]["index"]
    assert index == {"name": "acme", "url": "https://pypi.acme.example/simple/", "authenticate": "always"}


def test_pip_uses_index_url_and_never_an_extra_index():
    text = render(CLIENT)
    parser = configparser.ConfigParser()
    parser.read_string(sections(text)["pip"])
    assert parser["global"]["index-url"] == "https://reader@pypi.acme.example/simple/"
    assert not [line for line in text.splitlines() if "extra-index-url" in line and not line.startswith("#")]


def test_poetry_makes_the_private_source_explicit():
    (source,) = tomllib.loads(sections(render(CLIENT))["poetry"])["tool"]["poetry"]["source"]
    assert source["priority"] == "explicit" and source["url"].endswith("/simple/")


def test_twine_only_for_publishers_and_netrc_names_the_host(tmp_path):
    assert "may not publish" in sections(render(CLIENT))["twine"]
    publisher = Client("acme", "https://pypi.acme.example", "pypi", True, False)
    pypirc = configparser.ConfigParser()
    pypirc.read_string(sections(render(publisher))["twine"])
    assert pypirc["acme"]["repository"] == "https://pypi.acme.example/" and pypirc["acme"]["username"] == "pypi"
    path = tmp_path / "netrc"
    path.write_text(sections(render(CLIENT))["keyring / .netrc"].replace("<the password in the user's secret>", "pw"))
    assert netrc.netrc(str(path)).authenticators("pypi.acme.example") == ("reader", "", "pw")


def test_no_password_is_ever_printed(capsys):
    assert main(["--stack", "heavy", "--user", "pypi", "--url", "https://pypi.acme.example"]) == 0
    out = capsys.readouterr().out
    assert "<the password in the user's secret>" in out and "password = " not in out


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--user", "nobody"], "--user 'nobody' is not a user of stack heavy; its users: reader, pypi"),
        (["--user", "reader", "--url", "ftp://x"], "--url 'ftp://x': give the stack's url output"),
        (["--stack", "nope", "--user", "reader"], "unknown stack 'nope'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, fragment):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err.strip()
    assert exit_.value.code == 2 and fragment in err and "\n" not in err


def test_plain_http_is_printed_with_a_warning(capsys):
    assert main(["--stack", "heavy", "--user", "reader"]) == 0
    assert "warning: plain HTTP" in capsys.readouterr().err


@pytest.fixture(scope="module")
def https_index(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("client-config")
    tls = generate(tmp / "tls")
    task = start_task(tmp, projects=0)
    balancer = LocalBalancer(tmp / "lb", targets=[task.port], tls=tls)
    try:
        balancer.start()
        yield task, balancer, tls
    finally:
        balancer.stop()
        task.stop()


def test_pip_and_uv_install_with_the_printed_settings_alone(https_index, tmp_path, capsys):
    task, balancer, tls = https_index
    assert upload(task, wheel_name("acme-lib", "1.0"), wheel("acme-lib", "1.0")) == 200
    reader = task.users["reader"]
    assert main(["--stack", "heavy", "--user", "reader", "--url", balancer.url, "--index-name", "acme"]) == 0
    printed = sections(capsys.readouterr().out)
    (tmp_path / "pip.conf").write_text(printed["pip"])
    (tmp_path / "netrc").write_text(
        printed["keyring / .netrc"].replace("<the password in the user's secret>", reader["password"])
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env |= {
        "PIP_CONFIG_FILE": str(tmp_path / "pip.conf"),
        "NETRC": str(tmp_path / "netrc"),
        "SSL_CERT_FILE": str(tls.ca),
    }
    pip_install = [client_env("pip-current") / "pip", "install", "--no-cache-dir", "--cert", tls.ca]
    pip = subprocess.run(
        [*pip_install, "--target", tmp_path / "p", "acme-lib"], capture_output=True, text=True, env=env, timeout=300
    )
    assert pip.returncode == 0, pip.stderr[-800:]
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "consumer"\nversion = "0"\nrequires-python = ">=3.9"\ndependencies = ["acme-lib"]\n\n'
        + printed["uv"]
    )
    env |= {
        "UV_INDEX_ACME_USERNAME": reader["username"],
        "UV_INDEX_ACME_PASSWORD": reader["password"],
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        "UV_PYTHON": sys.executable,
        # No user or system uv.toml: the project's settings alone (pyproject's tool.uv is read).
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
    }
    lock = subprocess.run(
        [client_env("uv") / "uv", "lock"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert lock.returncode == 0, lock.stderr[-800:]
    assert (
        'name = "acme-lib"' in (project / "uv.lock").read_text() and balancer.url in (project / "uv.lock").read_text()
    )
