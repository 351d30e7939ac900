"""A fact the read model cannot apply is parked: every other story keeps flowing, the story is
shown as stale, an admin sees why, and once the cause is fixed a replay (or a rebuild)
applies it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from vp_gateway.adapters.db.engine import make_engine, sync_url
from vp_gateway.adapters.db.readmodel import ReadModel

from tests.support.gateway import ADMIN, RunningGateway

pytestmark = pytest.mark.e2e
API = "/api/ai-video"
POISON = "Poison pill"
STORY = {"character_prompt": "a fox", "background_prompt": "a forest", "duration_seconds": 7}


@pytest.fixture
def database(gateway: RunningGateway) -> Iterator[Engine]:
    engine = create_engine(sync_url(gateway.settings.database_url))
    yield engine
    engine.dispose()


def install_fault(engine: Engine) -> None:
    """A real failure inside the database: any write of a story titled POISON is refused."""
    with engine.begin() as db:
        db.execute(
            text(
                f"""
                CREATE OR REPLACE FUNCTION refuse_poison() RETURNS trigger AS $$
                BEGIN
                  IF NEW.title = '{POISON}' THEN RAISE EXCEPTION 'poison title refused'; END IF;
                  RETURN NEW;
                END $$ LANGUAGE plpgsql
                """
            )
        )
        db.execute(
            text(
                "CREATE TRIGGER refuse_poison BEFORE INSERT OR UPDATE ON stories "
                "FOR EACH ROW EXECUTE FUNCTION refuse_poison()"
            )
        )


def remove_fault(engine: Engine) -> None:
    with engine.begin() as db:
        db.execute(text("DROP TRIGGER refuse_poison ON stories"))


async def _until(check: Any, timeout: float = 15) -> Any:
    """The projector parks after its retries (about 1.5 s): look until it has."""
    for _ in range(int(timeout / 0.1)):
        if found := await check():
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"not reached within {timeout}s")


def _parked_gauge(metrics: str) -> float:
    for line in metrics.splitlines():
        if line.startswith("projector_parked_facts "):
            return float(line.split()[1])
    raise AssertionError("projector_parked_facts is not exported")


async def test_a_fact_that_cannot_be_applied_is_parked_and_the_rest_keep_flowing(
    gateway: RunningGateway, database: Engine
) -> None:
    token, admin = await gateway.user(), await gateway.user(ADMIN)
    async with gateway.client(token) as http, gateway.client(admin) as ops:
        stuck = (await http.post(f"{API}/stories/", json={**STORY, "title": "Fine"})).json()
        install_fault(database)
        changed = await http.patch(f"{API}/stories/{stuck['id']}/", json={"title": POISON})
        assert changed.status_code == 200  # the log has it: the write is not lost
        behind = await http.patch(f"{API}/stories/{stuck['id']}/", json={"description": "later"})
        assert behind.status_code == 200
        other = (await http.post(f"{API}/stories/", json={**STORY, "title": "Other"})).json()

        async def parked() -> list[dict[str, Any]]:
            rows = (await ops.get(f"{API}/admin/parked/")).json()
            return list(rows) if len(rows) == 2 else []

        rows = await _until(parked)
        assert [row["story"] for row in rows] == [stuck["id"], stuck["id"]]
        assert "poison title refused" in rows[0]["error"] and rows[0]["blocked_by"] is None
        assert rows[1]["blocked_by"] == rows[0]["sequence"]
        assert _parked_gauge((await http.get("/metrics")).text) == 2

        listed = {s["id"]: s for s in (await http.get(f"{API}/stories/")).json()["results"]}
        assert listed[other["id"]]["title"] == "Other" and not listed[other["id"]]["stale"]
        assert listed[stuck["id"]]["stale"] and listed[stuck["id"]]["title"] == "Fine"
        detail = (await http.get(f"{API}/stories/{stuck['id']}/")).json()
        assert detail["title"] == POISON and detail["description"] == "later"
        forbidden = await http.get(f"{API}/admin/parked/")
        assert forbidden.status_code == 403

        still = (await ops.post(f"{API}/admin/parked/replay/")).json()
        assert still["parked_left"] == 2 and "poison" in still["results"][0]["error"]

        remove_fault(database)
        replayed = (await ops.post(f"{API}/admin/parked/replay/")).json()
        assert replayed == {
            "results": [{"story": stuck["id"], "applied": 3, "error": None}],
            "parked_left": 0,
        }
        listed = {s["id"]: s for s in (await http.get(f"{API}/stories/")).json()["results"]}
        assert listed[stuck["id"]]["title"] == POISON and not listed[stuck["id"]]["stale"]
        history = (await http.get(f"{API}/stories/{stuck['id']}/history/")).json()
        assert [row["type"].split(".")[2] for row in history] == ["created", "updated", "updated"]
        assert _parked_gauge((await http.get("/metrics")).text) == 0


async def test_a_rebuild_parks_what_fails_and_applies_it_once_fixed(
    gateway: RunningGateway, database: Engine
) -> None:
    token = await gateway.user()
    async with gateway.client(token) as http:
        story = (await http.post(f"{API}/stories/", json={**STORY, "title": POISON})).json()
        await http.get(f"{API}/stories/")  # wait until projected
    engine, sessions = make_engine(gateway.settings.database_url)
    readmodel = ReadModel(sessions)
    try:
        install_fault(database)
        await readmodel.rebuild(gateway.store.replay())
        assert story["id"] in {row.story_id for row in await readmodel.parked()}
        remove_fault(database)
        await readmodel.rebuild(gateway.store.replay())
        assert await readmodel.parked() == []
        page = await readmodel.stories(None, None, 100, None)
        assert [view.spec.title for view, _ in page.items if view.story_id == story["id"]] == [
            POISON
        ]
    finally:
        await engine.dispose()
