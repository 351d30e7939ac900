"""A creator's uploads through the REST API on the local backend: the presigned PUT to the
gateway's own upload route, the content checked, listing and deleting, and nobody else's."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.assets import picture, sound
from tests.support.gateway import RunningGateway

pytestmark = pytest.mark.e2e
API = "/api/ai-video/assets"


async def _upload(
    gateway: RunningGateway, token: str, kind: str, name: str, kind_of: str, body: bytes
) -> tuple[httpx.Response, dict[str, Any]]:
    """Start an upload, PUT the bytes where the API says; the PUT's answer and the start's."""
    async with gateway.client(token) as http:
        started = await http.post(
            f"{API}/",
            json={"kind": kind, "filename": name, "content_type": kind_of, "size_bytes": len(body)},
        )
        assert started.status_code == 201, started.text
        upload = started.json()
        async with httpx.AsyncClient() as anonymous:  # the link is the authorisation
            put = await anonymous.request(
                upload["method"], upload["url"], content=body, headers=upload["headers"]
            )
    return put, upload


async def test_an_upload_goes_up_is_checked_listed_and_deleted(
    gateway: RunningGateway, token: str
) -> None:
    put, upload = await _upload(gateway, token, "character", "fox.png", "image/png", picture())
    assert put.status_code == 204, put.text
    asset_id = upload["asset"]["id"]
    async with gateway.client(token) as http:
        done = await http.post(f"{API}/{asset_id}/complete/")
        listed = (await http.get(f"{API}/", params={"kind": "character"})).json()["results"]
        deleted = await http.delete(f"{API}/{asset_id}/")
        after = await http.get(f"{API}/{asset_id}/")
    assert done.status_code == 200, done.text
    ready = done.json()
    assert (ready["status"], ready["content_type"], ready["width"], ready["height"]) == (
        "ready",
        "image/png",
        320,
        200,
    )
    assert [a["id"] for a in listed] == [asset_id]
    assert deleted.status_code == 204 and after.status_code == 404


async def test_a_file_pretending_to_be_a_png_is_refused_and_not_kept(
    gateway: RunningGateway, token: str
) -> None:
    put, upload = await _upload(
        gateway, token, "background", "forest.png", "image/png", b"<html>not a picture</html>"
    )
    assert put.status_code == 204
    async with gateway.client(token) as http:
        done = await http.post(f"{API}/{upload['asset']['id']}/complete/")
        listed = (await http.get(f"{API}/")).json()["results"]
    assert done.status_code == 422
    error = done.json()["error"]
    assert error["details"]["errors"][0]["field"] == "file" and "text" in error["message"]
    assert upload["asset"]["id"] not in {a["id"] for a in listed}


async def test_a_wrong_type_and_an_oversized_file_are_refused(
    gateway: RunningGateway, token: str
) -> None:
    async with gateway.client(token) as http:
        wrong = await http.post(
            f"{API}/",
            json={
                "kind": "music",
                "filename": "a.gif",
                "content_type": "image/gif",
                "size_bytes": 9,
            },
        )
    assert wrong.status_code == 422
    assert wrong.json()["error"]["details"]["errors"][0]["field"] == "content_type"
    # Declared small, sent large: the upload route stops at the signed limit, stores nothing.
    put, upload = await _upload(gateway, token, "narration", "line.wav", "audio/wav", sound(1.0))
    assert put.status_code == 204
    big = sound(1.0) + bytes(31 * 2**20)
    async with httpx.AsyncClient() as anonymous:
        refused = await anonymous.put(upload["url"], content=big, headers=upload["headers"])
    assert refused.status_code == 413
    async with gateway.client(token) as http:
        done = await http.post(f"{API}/{upload['asset']['id']}/complete/")
    assert done.status_code == 200 and done.json()["duration_seconds"] == 1.0  # the first file


async def test_another_user_s_asset_is_not_found(gateway: RunningGateway, token: str) -> None:
    _, upload = await _upload(gateway, token, "music", "song.wav", "audio/wav", sound())
    asset_id = upload["asset"]["id"]
    stranger = await gateway.user()
    async with gateway.client(stranger) as http:
        answers = [
            await http.get(f"{API}/{asset_id}/"),
            await http.post(f"{API}/{asset_id}/complete/"),
            await http.delete(f"{API}/{asset_id}/"),
        ]
        listed = (await http.get(f"{API}/")).json()["results"]
    assert [answer.status_code for answer in answers] == [404, 404, 404]
    assert listed == []
    forged = upload["url"].replace("max_bytes=", "max_bytes=9")  # a bigger limit: not signed
    async with httpx.AsyncClient() as anonymous:
        assert (await anonymous.put(forged, content=b"x")).status_code == 403


async def test_stories_and_scenes_use_only_their_owner_s_ready_assets_of_the_right_kind(
    gateway: RunningGateway, token: str
) -> None:
    _, music = await _upload(gateway, token, "music", "song.wav", "audio/wav", sound(2.0))
    _, picture_upload = await _upload(
        gateway, token, "background", "bg.png", "image/png", picture()
    )
    music_id, picture_id = music["asset"]["id"], picture_upload["asset"]["id"]
    async with gateway.client(token) as http:
        pending = await http.post(
            "/api/ai-video/stories/", json={**STORY, "music": {"asset_id": music_id}}
        )
        for asset_id in (music_id, picture_id):
            assert (await http.post(f"{API}/{asset_id}/complete/")).status_code == 200
        made = await http.post(
            "/api/ai-video/stories/", json={**STORY, "music": {"asset_id": music_id}}
        )
        wrong_kind = await http.post(
            "/api/ai-video/stories/", json={**STORY, "music": {"asset_id": picture_id}}
        )
        not_a_character = await http.post(
            "/api/ai-video/stories/", json={**STORY, "character_asset_id": music_id}
        )
    stranger = await gateway.user()
    async with gateway.client(stranger) as http:
        theirs = await http.post(
            "/api/ai-video/stories/", json={**STORY, "music": {"asset_id": music_id}}
        )
    assert pending.status_code == 422 and "not complete" in pending.json()["error"]["message"]
    assert made.status_code == 201, made.text
    assert made.json()["music"]["asset_id"] == music_id and made.json()["music"]["track"] is None
    assert wrong_kind.status_code == 422
    assert wrong_kind.json()["error"]["details"]["errors"][0]["field"] == "music.asset_id"
    assert not_a_character.json()["error"]["details"]["errors"][0]["field"] == "character_asset_id"
    assert theirs.status_code == 404


STORY = {
    "title": "My own sounds",
    "description": "A fox walks. The sun sets.",
    "character_prompt": "a fox",
    "background_prompt": "a field",
}
