"""What trusted publishing costs: the exchange's mint latency (warm key cache) and upload
throughput with minted tokens beside named users, side by side in one run.

One local task of the heavy stack with a trusted publisher bound to a local issuer (its keys
over HTTPS, tools/local_issuer.py). Mints: one first (the key cache fills), then N, each with
a fresh identity token (signed before the clock starts), timed at the task's front. Uploads:
the same number of new small wheels, with the same concurrency, alternating named-user and
token rounds; the run prints each side's uploads/s and their ratio.

    python -m tools.publish_cost [--mints 300] [--uploads 120] [--clients 4] [--rounds 3]
"""

from __future__ import annotations

import argparse
import base64
import json
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from commands.engine import stack_config
from components.config import load_config
from tools.loadgen import percentile, throwaway_wheel
from tools.local_issuer import LocalIssuer, github_claims
from tools.local_task import LOCAL_REGION, LocalTask, free_port
from tools.local_tls import generate

ZONE = "Z0123456789ABCDEFGHIJ"


def trusted_task(tmp: Path, issuer: LocalIssuer, ca: Path) -> LocalTask:
    binding = {"provider": "github", "repository": "acme/widgets", "workflow": "release.yml", "issuer": issuer.url}
    trusted = {"publishers": [binding | {"projects": ["bench-*"]}]}
    cfg = load_config(stack_config("heavy", {"zoneId": ZONE, "trustedPublishing": json.dumps(trusted)}))
    return LocalTask(cfg.task_spec(LOCAL_REGION), tmp / "packages", tmp / "run", free_port(), issuer_ca=ca).start()


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def audience(task: LocalTask) -> str:
    with urllib.request.urlopen(task.url + "/_/oidc/audience", timeout=10) as resp:
        return json.load(resp)["audience"]


def mint(task: LocalTask, identity_token: str) -> tuple[float, str]:
    start = time.perf_counter()
    request = urllib.request.Request(
        task.url + "/_/oidc/mint-token", data=json.dumps({"token": identity_token}).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        token = json.load(resp)["token"]
    return time.perf_counter() - start, token


def multipart(filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = "----publishcost"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name=":action"\r\n\r\nfile_upload\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="content"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def upload_round(task: LocalTask, user: str, password: str, prefix: str, count: int, clients: int) -> float:
    """Uploads/s for `count` new wheels with `clients` concurrent uploaders."""
    auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    bodies = [multipart(*throwaway_wheel(f"{prefix}-{i}", payload=16384)) for i in range(count)]

    def send(item: tuple[bytes, str]) -> int:
        body, ctype = item
        return post(task.url + "/", body, {"Authorization": auth, "Content-Type": ctype})

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        statuses = list(pool.map(send, bodies))
    elapsed = time.perf_counter() - start
    if any(s != 200 for s in statuses):
        raise SystemExit(f"{prefix}: uploads failed: {sorted(set(statuses))}")
    return count / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mints", type=int, default=300)
    parser.add_argument("--uploads", type=int, default=120)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        tls = generate(tmp / "tls")
        with LocalIssuer(tls) as issuer:
            issuer.claims = github_claims()
            task = trusted_task(tmp, issuer, tls.ca)
            try:
                aud = audience(task)
                mint(task, issuer.token(aud))  # the key cache fills
                tokens = [issuer.token(aud) for _ in range(args.mints)]
                latencies = [mint(task, t)[0] for t in tokens]
                ms = [x * 1000 for x in latencies]
                print(
                    f"mint-token, warm key cache, {args.mints} sequential mints: "
                    f"P50 {percentile(ms, 50):.1f} ms, P95 {percentile(ms, 95):.1f} ms, max {max(ms):.1f} ms"
                )
                publisher = task.credentials
                named, minted = [], []
                for r in range(args.rounds):
                    token = mint(task, issuer.token(aud))[1]
                    named.append(
                        upload_round(
                            task,
                            publisher["username"],
                            publisher["password"],
                            f"bench-n{r}",
                            args.uploads,
                            args.clients,
                        )
                    )
                    minted.append(upload_round(task, "__token__", token, f"bench-t{r}", args.uploads, args.clients))
                    print(
                        f"round {r + 1}: named user {named[-1]:.1f} uploads/s, minted token {minted[-1]:.1f} uploads/s"
                    )
                n, m = sorted(named)[len(named) // 2], sorted(minted)[len(minted) // 2]
                print(
                    f"uploads ({args.uploads} x 16 KiB wheels, {args.clients} clients, "
                    f"median of {args.rounds} rounds): "
                    f"named user {n:.1f}/s, minted token {m:.1f}/s, token/named = {m / n:.3f}"
                )
            finally:
                task.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
