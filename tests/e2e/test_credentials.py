"""API keys and refresh tokens through the REST API: a key works as a bearer token within
its scopes (live updates too, through a ticket), is shown once and kept as a hash, and once
revoked is refused at once by every replica; the browser session goes on with refresh tokens,
each usable once."""

from __future__ import annotations

import hashlib
import uuid

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.e2e.test_gateway_api import API, STORY, create
from tests.support.gateway import RunningGateway

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery"


async def _login(gateway: RunningGateway) -> dict[str, object]:
    email = f"session-{uuid.uuid4().hex[:10]}@example.com"
    async with gateway.client() as http:
        await http.post("/api/auth/register", json={"email": email, "password": PASSWORD})
        answer = await http.post("/api/auth/token", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_a_key_works_within_its_scopes_and_a_revoked_key_is_refused_everywhere(
    gateway: RunningGateway, token: str
) -> None:
    story = await create(gateway, token)
    async with gateway.client(token) as session:
        made = await session.post(
            "/api/auth/keys/", json={"name": "nightly export", "scopes": ["read"]}
        )
        writer = await session.post(
            "/api/auth/keys/", json={"name": "automation", "scopes": ["write"]}
        )
        admin_key = await session.post(
            "/api/auth/keys/", json={"name": "sneaky", "scopes": ["admin"]}
        )
    assert made.status_code == 201, made.text
    key = made.json()["key"]
    assert key.startswith("vpk_") and admin_key.status_code == 422

    async with gateway.client(key) as bot, gateway.client(writer.json()["key"]) as automation:
        listed = await bot.get(f"{API}/stories/")
        detail = await bot.get(f"{API}/stories/{story['id']}/")
        refused = await bot.post(f"{API}/stories/", json=STORY)
        ticket = await automation.post(f"{API}/stories/{story['id']}/events/ticket/")
        created = await automation.post(f"{API}/stories/", json=STORY)
        keys_by_key = await automation.post(
            "/api/auth/keys/", json={"name": "more", "scopes": ["read"]}
        )
    assert listed.status_code == detail.status_code == 200
    assert refused.status_code == 403 and refused.json()["error"]["details"]["needed"] == "write"
    assert ticket.status_code == 200, ticket.text  # live updates: the ticket a key asks for
    assert created.status_code == 201 and keys_by_key.status_code == 403

    async with gateway.client(token) as session:
        keys = (await session.get("/api/auth/keys/")).json()
    mine = next(k for k in keys if k["id"] == made.json()["id"])
    assert "key" not in mine and mine["last_used_at"] is not None
    assert mine["scopes"] == ["read"]

    engine = create_async_engine(gateway.settings.database_url)
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT * FROM api_keys"))).all()
    await engine.dispose()
    secret = key.split("_", 2)[2]
    assert all(secret not in str(tuple(row)) for row in rows)  # a hash only, at rest
    assert hashlib.sha256(secret.encode()).hexdigest() in {row.secret_hash for row in rows}

    async with gateway.replica() as other:
        async with httpx.AsyncClient(
            base_url=other, headers={"Authorization": f"Bearer {key}"}
        ) as far:
            before = await far.get(f"{API}/stories/")
            async with gateway.client(token) as session:
                revoked = await session.delete(f"/api/auth/keys/{mine['id']}/")
            after = await far.get(f"{API}/stories/")
        async with gateway.client(key) as bot:
            here = await bot.get(f"{API}/stories/")
    assert before.status_code == 200 and revoked.status_code == 204
    assert after.status_code == here.status_code == 401
    assert "revoked" in after.json()["error"]["message"]


async def test_the_session_goes_on_with_refresh_tokens_each_used_once(
    gateway: RunningGateway,
) -> None:
    login = await _login(gateway)
    assert login["refresh_token"] and int(str(login["refresh_expires_in"])) > 86_400
    async with gateway.client() as http:
        renewed = await http.post(
            "/api/auth/refresh", json={"refresh_token": login["refresh_token"]}
        )
        fresh = renewed.json()
        async with gateway.client(fresh["access_token"]) as user:
            works = await user.get(f"{API}/stories/")
        replayed = await http.post(
            "/api/auth/refresh", json={"refresh_token": login["refresh_token"]}
        )
        after_theft = await http.post(
            "/api/auth/refresh", json={"refresh_token": fresh["refresh_token"]}
        )
    assert renewed.status_code == 200 and fresh["refresh_token"] != login["refresh_token"]
    assert works.status_code == 200
    assert replayed.status_code == 401 and "used already" in replayed.json()["error"]["message"]
    assert after_theft.status_code == 401  # the whole session ended with the replay

    again = await _login(gateway)
    async with gateway.client() as http:
        out = await http.post("/api/auth/logout", json={"refresh_token": again["refresh_token"]})
        gone = await http.post("/api/auth/refresh", json={"refresh_token": again["refresh_token"]})
    assert out.status_code == 204 and gone.status_code == 401
