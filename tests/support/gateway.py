"""A real gateway for end-to-end tests: uvicorn on a free port, real NATS and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from vp_contracts.ids import new_id
from vp_contracts.story import commands as c
from vp_contracts.values import ScenePrompt, SceneSpec
from vp_devtools import devnats
from vp_gateway.bootstrap import build_app
from vp_gateway.settings import GatewaySettings
from vp_runtime.eventstore import EventMeta, EventStore
from vp_runtime.messaging.connection import connect
from vp_runtime.messaging.declare import declare
from vp_runtime.messaging.topology import Topology, default_topology
from vp_runtime.settings import RuntimeSettings

from tests.support.servers import fresh_schema

ADMIN = "admin@example.com"
SECRET = "test-secret-" + "x" * 32


@dataclass
class RunningGateway:
    url: str
    settings: GatewaySettings
    topology: Topology
    store: EventStore
    server: _Server

    @contextlib.asynccontextmanager
    async def replica(self) -> AsyncIterator[str]:
        """A second gateway process's app on the same log and database; its base URL."""
        port = devnats.free_port()
        settings = self.settings.model_copy(
            update={"gateway_port": port, "media_url": f"http://127.0.0.1:{port}/media"}
        )
        server = await _Server.start(settings)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            await server.stop()

    async def restart(self) -> None:
        """Stop the gateway process's app and start a new one (empty caches) on the same port."""
        await self.server.stop()
        self.server = await _Server.start(self.settings)

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=30)

    async def user(self, email: str | None = None, password: str = "correct horse battery") -> str:
        """Register and log in; returns an access token."""
        email = email or f"u{uuid.uuid4().hex[:10]}@example.com"
        async with self.client() as http:
            await http.post("/api/auth/register", json={"email": email, "password": password})
            answer = await http.post("/api/auth/token", json={"email": email, "password": password})
            answer.raise_for_status()
            return str(answer.json()["access_token"])

    async def plan_as_the_planner(self, story_id: str, scene_count: int = 3) -> None:
        """Stand in for the planner service: record a plan for the running planning attempt."""
        view = await self.store.view(story_id)
        assert view.attempt is not None and view.spec is not None
        scenes = tuple(
            SceneSpec(
                scene_id=new_id(),
                position=index,
                duration_seconds=7,
                prompt=ScenePrompt(
                    character=view.spec.character_prompt, background=view.spec.background_prompt
                ),
                narration=f"Line {index}.",
                seed=index,
            )
            for index in range(scene_count)
        )
        command = c.RecordPlan(
            story_id=story_id, attempt_id=view.attempt.id, scenes=scenes, planner="rules"
        )
        await self.store.execute(
            command, EventMeta(command_id=new_id(), at=datetime.now(UTC), actor="planner")
        )


@contextlib.asynccontextmanager
async def running_gateway(
    nats: devnats.NatsServerProcess, database_url: str, **overrides: Any
) -> AsyncIterator[RunningGateway]:
    tag = uuid.uuid4().hex[:8]
    topology = default_topology(root=f"g{tag}", prefix=f"G{tag}_")
    client = await connect(RuntimeSettings(nats_url=nats.url), name="tests")
    js = client.jetstream()
    await declare(js, topology)
    port = devnats.free_port()
    with fresh_schema(database_url) as db_url:
        settings = GatewaySettings(
            nats_url=nats.url,
            subject_root=topology.root,
            stream_prefix=topology.prefix,
            database_url=db_url,
            jwt_secret=SECRET,
            admin_emails=ADMIN,
            gateway_port=port,
            media_url=f"http://127.0.0.1:{port}/media",
            **overrides,
        )
        server = await _Server.start(settings)
        running = RunningGateway(
            f"http://127.0.0.1:{port}",
            settings,
            topology,
            EventStore(client, topology, source="/tests"),
            server,
        )
        try:
            yield running
        finally:
            await running.server.stop()
            for stream in topology.streams():
                assert stream.name
                await js.delete_stream(stream.name)
            for bucket in topology.key_value_buckets():
                await js.delete_key_value(bucket.bucket)
            await client.close()


@dataclass
class _Server:
    server: uvicorn.Server
    task: asyncio.Task[None]

    @classmethod
    async def start(cls, settings: GatewaySettings) -> _Server:
        config = uvicorn.Config(
            build_app(settings),
            host="127.0.0.1",
            port=settings.gateway_port,
            log_level="warning",
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        return cls(server, task)

    async def stop(self) -> None:
        self.server.should_exit = True
        await self.task
