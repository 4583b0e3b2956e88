"""A first start over an existing folder of 2,000 files: while the first pass runs, no page of
a project that exists answers 404 (pip would fail, uv would move on to the next index); once it
is complete, unknown projects answer 404 again. tools/first_pass.py measures it (and `make
bench` at 100k files); the pass itself is checked in tests/pypi_index/test_scan.py."""

from __future__ import annotations

from tests.support.local_run_support import auth_header, heavy_spec, http
from tests.support.real_parts import nginx_available, require_real_part
from tools import first_pass, repo_gen
from tools.local_task import LocalTask, free_port

FILES, VERSIONS = 2000, 4


def test_no_existing_project_answers_404_during_the_first_pass(tmp_path):
    require_real_part(nginx_available(), "nginx")
    packages = tmp_path / "packages"
    wheels = repo_gen.generate(packages, FILES // VERSIONS, VERSIONS, payload_bytes=1024, prefix="demo")
    projects = sorted({w.project for w in wheels})
    # Clients ask for the projects the pass writes last first: the longest wait.
    projects.reverse()
    task = LocalTask(heavy_spec(), packages, tmp_path / "run", free_port()).start()
    try:
        auth = (task.credentials["username"], task.credentials["password"])
        seen = first_pass.watch(task, projects, auth)
        print(f"\nfirst pass over {FILES} files: {seen.as_dict()}")
        assert sum(seen.statuses.values()) > 0, "the pass was over before any client asked: nothing was shown"
        assert seen.not_found == 0, "a project that exists answered 404 during the first pass"
        assert set(seen.statuses) <= {200, 503}
        headers = auth_header(*auth)
        assert http("GET", f"{task.url}/simple/{projects[0]}/", headers)[0] == 200
        status, _, answer = http("GET", f"{task.url}/simple/no-such-project/", headers)
        assert status == 404, "once the pass is complete, an unknown project is a 404 again"
    finally:
        task.stop()


def test_while_the_pass_runs_a_missing_page_asks_to_retry(tmp_path):
    require_real_part(nginx_available(), "nginx")
    task = LocalTask(heavy_spec(), tmp_path / "packages", tmp_path / "run", free_port()).start()
    try:
        headers = auth_header(task.credentials["username"], task.credentials["password"])
        first_pass.marker(task).unlink(missing_ok=True)  # .index rebuilt: no pass complete yet
        task.kill_pypiserver()  # and none running to write it
        status, _, answer = http("GET", f"{task.url}/simple/no-such-project/", headers)
        assert status == 503 and answer.get("Retry-After") == "10", (status, answer)
    finally:
        task.stop()
