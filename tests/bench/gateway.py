"""The gateway under load: story detail and story lists at 500 requests per second.

The gateway runs as its own process (`vp-gateway serve`, PostgreSQL read model, its own NATS
server); h2load (C, so the load generator takes little of the two cores) sends the requests at
a fixed rate for 10 s after a second of warm-up: 25 connections x 10 requests/s of story
detail (100 stories, round robin) and 25 x 10 of a list page of 20, for one user, the
connections' timers spread evenly over each tenth of a second, and the latency percentiles
per route come from its per-request log; with one gateway process and with two
(``VP_GATEWAY_WORKERS``), and with two again in bursts (every connection's request at the
same moment, ten times a second: the same rate, the harshest shape). A connection sends its next request when the last one is answered,
so a slow gateway lowers the rate achieved (reported as done/s).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
from vp_devtools import devnats

from tests.support.servers import postgres_database

Row = tuple[str, str, str]
RATE = 500
CLIENTS = 50
SECONDS = 10
STORIES = 100


async def run() -> list[Row]:
    rows = []
    for workers in (1, 2):
        with _gateway(workers) as url:
            rows += await _measure(url, workers)
    return rows


def _load(
    uris: list[str], token: str, log: Path, seconds: int, *, bursts: bool = False
) -> subprocess.Popen[str]:
    """h2load sending half the offered rate to ``uris`` (round robin) on its own clients.

    Each client sends a request every 1/rps s; the clients start one every
    ``1 / (rps x clients)`` s, so that arrivals are spread evenly over each second. With
    ``bursts`` they start together instead: every client's request arrives at the same
    moment, ten times a second (the harshest shape of the same rate).
    """
    clients, rps = CLIENTS // 2, RATE // CLIENTS
    shape = (
        [f"--duration={seconds}"]
        if bursts
        else [
            f"--requests={clients * rps * seconds}",
            "--rate=1",
            f"--rate-period={1000 // (rps * clients)}ms",
        ]
    )
    return subprocess.Popen(
        [
            "h2load",
            "--h1",
            f"--clients={clients}",
            f"--rps={rps}",
            *shape,
            f"--header=Authorization: Bearer {token}",
            f"--log-file={log}",
            *uris,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _durations(log: Path) -> list[float]:
    """Seconds each request took (h2load's log: start, status, microseconds)."""
    return [int(line.split("\t")[2]) / 1e6 for line in log.read_text().splitlines() if line]


def _counts(output: str) -> tuple[float, int]:
    """Requests answered 2xx per second, and those that failed, errored or were not 2xx."""
    found = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded", output)
    took = re.search(r"finished in ([\d.]+)(m?s)", output)
    if found is None or took is None:
        raise RuntimeError(f"h2load did not run: {output}")
    done, succeeded = int(found[1]), int(found[2])
    statuses = re.search(r"status codes: (\d+) 2xx", output)
    ok = int(statuses[1]) if statuses else 0
    seconds = float(took[1]) / (1000 if took[2] == "ms" else 1)
    return ok / seconds, done - min(succeeded, ok)


@contextlib.contextmanager
def _gateway(workers: int) -> Iterator[str]:
    """A gateway process on its own NATS server and a fresh PostgreSQL database."""
    with tempfile.TemporaryDirectory() as name, postgres_database() as database:
        server = devnats.start(Path(name) / "nats")
        port = devnats.free_port()
        env = {
            **os.environ,
            "VP_NATS_URL": server.url,
            "VP_DATABASE_URL": database,
            "VP_GATEWAY_PORT": str(port),
            "VP_JWT_SECRET": "bench-secret-bench-secret-bench-secret",
            "VP_LOG_LEVEL": "WARNING",
            "VP_MAX_STORIES_IN_GENERATION": "0",
            "VP_GATEWAY_WORKERS": str(workers),
        }
        streams = Path(sys.executable).parent / "vp-streams"
        subprocess.run([str(streams), "declare"], env=env, check=True, capture_output=True)
        gateway = subprocess.Popen(
            [str(Path(sys.executable).parent / "vp-gateway"), "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            gateway.terminate()
            gateway.wait()
            server.stop()


async def _measure(url: str, workers: int) -> list[Row]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        for _ in range(300):
            try:
                if (await http.get("/readyz")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
        login = {"email": "bench@example.com", "password": "correct horse battery"}
        await http.post("/api/auth/register", json=login)
        token = (await http.post("/api/auth/token", json=login)).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        ids = []
        for number in range(STORIES):
            story = {
                "title": f"Story {number}",
                "character_prompt": "a fox",
                "background_prompt": "a forest",
                "duration_seconds": 21,
            }
            ids.append((await http.post("/api/ai-video/stories/", json=story)).json()["id"])
        await http.get("/api/ai-video/stories/")  # the read model has caught up
    detail = [f"{url}/api/ai-video/stories/{story_id}/" for story_id in ids]
    lists = [f"{url}/api/ai-video/stories/?limit=20"]
    rows = await _run(token, detail, lists, f"{workers} process(es)", bursts=False)
    if workers > 1:
        rows += await _run(token, detail, lists, f"{workers} process(es), in bursts", bursts=True)
    return rows


async def _run(
    token: str, detail: list[str], lists: list[str], label: str, *, bursts: bool
) -> list[Row]:
    with tempfile.TemporaryDirectory() as logs:
        for kind, uris in (("detail", detail), ("list", lists)):
            _load(uris, token, Path(logs) / f"warm-up-{kind}", 1).communicate()
        runs = {
            "detail": _load(detail, token, Path(logs) / "detail", SECONDS, bursts=bursts),
            "list": _load(lists, token, Path(logs) / "list", SECONDS, bursts=bursts),
        }
        outputs = {kind: run.communicate()[0] for kind, run in runs.items()}
        latencies = {kind: _durations(Path(logs) / kind) for kind in runs}
    rows: list[Row] = []
    for kind, values in latencies.items():
        per_second, errors = _counts(outputs[kind])
        cuts = statistics.quantiles(values, n=100)
        p99 = cuts[98] * 1000
        verdict = f"{'met' if p99 <= 50 else 'MISSED'}: p99 <= 50 ms"
        rows.append(
            (
                f"gateway {kind}, {label}, {RATE // 2} of {RATE} req/s"
                f" ({per_second:.0f} done/s, {errors} errors)",
                f"p50 {cuts[49] * 1000:.0f} / p99 {p99:.0f} ms",
                "(a harsher shape than the goal's)" if bursts else verdict,
            )
        )
    return rows
