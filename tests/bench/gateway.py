"""The gateway under load: story detail and story lists at 500 requests per second.

The gateway runs as its own process (`vp-gateway serve`, PostgreSQL read model, its own NATS
server); this process sends the requests open-loop (one every 2 ms, whatever the answers do,
so a slow answer cannot slow the offered load) for 10 s, half detail, half a list page of 20,
for one user with 100 stories, and reports latency percentiles per route; with one gateway
process and with two (``VP_GATEWAY_WORKERS``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from vp_devtools import devnats

from tests.support.servers import postgres_database

Row = tuple[str, str, str]
RATE = 500
SECONDS = 10
STORIES = 100


async def run() -> list[Row]:
    rows = []
    for workers in (1, 2):
        with _gateway(workers) as url:
            rows += await _measure(url, workers)
    return rows


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
        latencies: dict[str, list[float]] = {"detail": [], "list": []}
        errors = 0

        async def one(kind: str, path: str) -> None:
            nonlocal errors
            started = time.perf_counter()
            try:
                answer = await http.get(path)
            except httpx.TransportError:
                errors += 1
                return
            latencies[kind].append(time.perf_counter() - started)
            errors += answer.status_code != 200

        tasks = []
        start = time.perf_counter()
        for index in range(RATE * SECONDS):
            await asyncio.sleep(max(0.0, start + index / RATE - time.perf_counter()))
            if index % 2:
                path = f"/api/ai-video/stories/{ids[index % STORIES]}/"
                tasks.append(asyncio.create_task(one("detail", path)))
            else:
                tasks.append(asyncio.create_task(one("list", "/api/ai-video/stories/?limit=20")))
        await asyncio.gather(*tasks)
        achieved = len(tasks) / (time.perf_counter() - start)
    rows: list[Row] = []
    for kind, values in latencies.items():
        cuts = statistics.quantiles(values, n=100)
        p99 = cuts[98] * 1000
        rows.append(
            (
                f"gateway {kind}, {workers} process(es), {RATE} req/s offered"
                f" ({achieved:.0f} done/s, {errors} errors)",
                f"p50 {cuts[49] * 1000:.0f} / p99 {p99:.0f} ms",
                f"{'met' if p99 <= 50 else 'MISSED'}: p99 <= 50 ms",
            )
        )
    return rows
