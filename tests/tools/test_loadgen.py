"""The pip-like load client (tools/loadgen.py): statistics, verdicts, hash checks, bounds."""

from __future__ import annotations

import asyncio
import hashlib
import time

import pytest
from aiohttp import web

from tools import loadgen
from tools.loadgen import Operation


def op(latency: float, error: str | None = None, status: int | None = 200) -> Operation:
    return Operation(kind="install", started=0.0, latency=latency, error=error, status=status)


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert (loadgen.percentile(values, 50), loadgen.percentile(values, 95), loadgen.percentile(values, 100)) == (
        50.0,
        95.0,
        100.0,
    )
    assert loadgen.percentile([], 95) == 0.0


def test_summary_counts_errors_by_kind_and_5xx():
    ops = [op(0.1), op(0.2, "http 503", 503), op(0.3, "timeout", None), op(0.4, "http 503", 503)]
    s = loadgen.summarize(ops, duration=2.0)
    assert s["errorsByKind"] == {"http 503": 2, "timeout": 1}
    assert (s["errors"], s["http5xx"], s["errorRate"], s["operationsPerSecond"]) == (3, 2, 0.75, 2.0)


def test_guide_criteria_are_strict_limits():
    at_limit = {"errorRate": 0.01, "p95Seconds": 1.0, "p99Seconds": 1.0, "http5xx": 0, "errors": 1}
    assert loadgen.verdict(at_limit, loadgen.GUIDE_CRITERIA)["checks"]["error rate < 1 %"]["pass"] is False, (
        "exactly 1 % errors misses 'error rate < 1 %'"
    )
    assert loadgen.verdict({**at_limit, "http5xx": 10}, loadgen.GUIDE_CRITERIA)["pass"] is False, "10 5xx is too many"


def test_our_criteria_allow_no_errors_at_all():
    good = {"errorRate": 0.0, "p95Seconds": 0.5, "p99Seconds": 1.0, "http5xx": 0, "errors": 0}
    assert loadgen.verdict(good, loadgen.OUR_CRITERIA)["pass"] is True, "P95 0.5 s and P99 1 s are within"
    assert loadgen.verdict({**good, "errors": 1}, loadgen.OUR_CRITERIA)["pass"] is False, "one error fails"


class FakeIndex:
    """A tiny index on loopback: one project, one file, optionally served corrupted."""

    def __init__(self, corrupt: bool = False):
        self.content = b"wheel bytes"
        self.corrupt = corrupt
        self.requests = 0

    async def page(self, request):
        self.requests += 1
        sha = hashlib.sha256(self.content).hexdigest()
        return web.Response(
            text=f'<a href="../../packages/p-1.0.whl#sha256={sha}">p-1.0.whl</a>', content_type="text/html"
        )

    async def package(self, request):
        self.requests += 1
        return web.Response(body=self.content + (b"!" if self.corrupt else b""))

    async def run(self, profile: loadgen.Profile) -> loadgen.LoadResult:
        app = web.Application()
        app.router.add_get("/simple/p/", self.page)
        app.router.add_get("/packages/p-1.0.whl", self.package)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        try:
            return await loadgen.run_load(f"http://127.0.0.1:{port}", ["p"], profile)
        finally:
            await runner.cleanup()


def test_install_checks_the_sha256_like_pip():
    result = asyncio.run(FakeIndex(corrupt=True).run(loadgen.Profile(clients=2, max_operations=4, max_seconds=10)))
    assert [o.error for o in result.operations] == ["hash mismatch"] * 4, "a file not matching its link is an error"


def test_install_is_a_page_then_the_newest_file():
    index = FakeIndex()
    result = asyncio.run(index.run(loadgen.Profile(clients=1, max_operations=3, max_seconds=10)))
    assert [o.error for o in result.operations] == [None] * 3
    assert [what for what, _, _ in result.operations[0].requests] == ["page", "download"]
    assert index.requests == 6, "two requests per install"


def test_load_is_bounded_in_count():
    index = FakeIndex()
    result = asyncio.run(index.run(loadgen.Profile(clients=5, max_operations=12, max_seconds=30)))
    assert len(result.operations) == 12, "exactly max_operations operations"


def test_load_is_bounded_in_time():
    start = time.monotonic()
    result = asyncio.run(
        FakeIndex().run(loadgen.Profile(clients=2, max_operations=10**9, max_seconds=0.5, think_seconds=0.01))
    )
    assert time.monotonic() - start < 5 and len(result.operations) < 10**9, "stops at max_seconds"


@pytest.mark.parametrize("name", sorted(loadgen.PROFILES))
def test_profiles_are_bounded(name):
    p = loadgen.PROFILES[name]
    assert p.max_operations > 0 and 0 < p.max_seconds <= 600 and 0 <= p.upload_fraction < 1


def test_burst_is_the_guides_510_clients_and_with_uploads_is_30_percent():
    assert loadgen.PROFILES["burst"].clients == 510
    assert loadgen.PROFILES["with-uploads"].upload_fraction == 0.3


def test_throwaway_wheel_is_a_valid_zip_named_for_its_project():
    import io
    import zipfile

    name, data = loadgen.throwaway_wheel("stress-upload-1-2", "1.0.0")
    assert name == "stress_upload_1_2-1.0.0-py3-none-any.whl"
    assert "stress_upload_1_2-1.0.0.dist-info/METADATA" in zipfile.ZipFile(io.BytesIO(data)).namelist()
