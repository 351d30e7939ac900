"""Korean first, end to end through the REST API with the real engines: a Korean story's final
video speaks (loudness measured where each line is said), its WebVTT has a cue per sentence
with Hangul text and positive durations, and the burned subtitles read back (tesseract's Korean
model) as the cue's text. The same for Japanese, English, and Korean with English words."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from nats.aio.client import Client
from vp_contracts.events import story as e
from vp_contracts.language import sentences
from vp_devtools import devnats
from vp_runtime.media import loudness, probe
from vp_runtime.messaging.connection import connect
from vp_runtime.settings import RuntimeSettings

from tests.support.gateway import RunningGateway, running_gateway
from tests.support.pipeline import stages
from tests.support.subtitles import READ_BACK, SPEECH_DB, found, letters, read_frame, vtt_cues
from tests.support.watch import has, wait_for

pytestmark = pytest.mark.e2e
API = "/api/ai-video"


@dataclass(frozen=True)
class Case:
    name: str
    story: dict[str, Any]
    language: str
    ocr: str


FOX_KO = {
    "title": "여우와 등불",
    "description": "작은 여우가 안개 낀 숲에서 오래된 등불을 찾습니다. 등불이 밝게 빛나기 시작합니다.",
    "character_prompt": "빨간 목도리를 한 작은 주황색 여우",
    "background_prompt": "밤의 안개 낀 소나무 숲",
}
CASES = [
    Case("korean", FOX_KO, "ko", "kor"),
    Case(
        "japanese",
        {
            "title": "狐とランタン",
            "description": "小さな狐が霧の森で古いランタンを見つけます。ランタンが光り始めます。",
            "character_prompt": "赤いマフラーをした小さなオレンジ色の狐",
            "background_prompt": "夜の霧の松林",
        },
        "ja",
        "jpn",
    ),
    Case(
        "english",
        {
            "title": "The fox and the lantern",
            "description": "A small fox finds an old lantern in the misty forest. It begins to glow.",
            "character_prompt": "a small orange fox with a red scarf",
            "background_prompt": "a misty pine forest at night",
        },
        "en",
        "eng",
    ),
    Case(
        "korean with english words",
        {
            "title": "로봇과 lantern",
            "description": "작은 로봇이 desert에서 lantern을 찾습니다. 로봇이 천천히 걸어갑니다.",
            "character_prompt": "빨간 눈을 가진 작은 은색 로봇",
            "background_prompt": "한낮의 뜨거운 모래 사막",
        },
        "ko",
        "kor+eng",
    ),
]


@pytest.fixture(scope="module")
async def pipeline(
    nats_server: devnats.NatsServerProcess,
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[RunningGateway, Client]]:
    storage = tmp_path_factory.mktemp("storage")
    async with running_gateway(nats_server, database_url, storage_dir=str(storage)) as gateway:
        settings = RuntimeSettings(
            nats_url=gateway.settings.nats_url,
            subject_root=gateway.settings.subject_root,
            stream_prefix=gateway.settings.stream_prefix,
        )
        client = await connect(settings, name="tests")
        try:
            async with stages(settings, storage):
                yield gateway, client
        finally:
            await client.close()


async def _final(gateway: RunningGateway, client: Client, story: dict[str, Any]) -> dict[str, Any]:
    token = await gateway.user()
    async with gateway.client(token) as http:
        created = await http.post(
            f"{API}/stories/",
            json={
                **story,
                "duration_seconds": 14,
                "resolution": "480p",
                "fps": 24,
                "narration": True,
                "burn_subtitles": True,
            },
        )
        assert created.status_code == 201, created.text
        story_id = created.json()["id"]
        path = f"{API}/stories/{story_id}"
        await http.post(f"{path}/transition/", json={"to": "planning"})
        await wait_for(client, gateway.topology, story_id, has(e.StoryPlanned))
        await http.post(f"{path}/generate_preview/")
        await wait_for(client, gateway.topology, story_id, has(e.PreviewComposed), 120)
        await http.post(f"{path}/render_final/")
        facts = await wait_for(
            client,
            gateway.topology,
            story_id,
            lambda facts: any(
                isinstance(f.event, e.RenderCompleted | e.StoryFailed) for f in facts
            ),
            180,
        )
        failed = [f.event for f in facts if isinstance(f.event, e.StoryFailed)]
        assert not failed, failed
        final = (await http.get(path + "/")).json()
        assert final["status"] == "completed"
        return dict(final)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_a_story_speaks_and_subtitles_in_its_own_language(
    pipeline: tuple[RunningGateway, Client], case: Case, tmp_path: Path
) -> None:
    gateway, client = pipeline
    story = await _final(gateway, client, case.story)
    assert story["language"] == case.language and story["language_detected"]
    async with httpx.AsyncClient() as http:
        video = tmp_path / "final.mp4"
        video.write_bytes((await http.get(story["final_url"])).content)
        vtt = (await http.get(story["subtitles_url"])).content.decode()

    facts = await probe(video)
    assert facts.audio_codec == "aac" and abs(facts.duration - 14) < 0.1
    cues = vtt_cues(vtt)
    spoken = sentences(case.story["description"])
    assert len(cues) >= len(spoken), vtt
    assert all(end - start >= 0.5 for start, end, _ in cues), vtt
    assert letters("".join(text for *_, text in cues)) == letters("".join(spoken))
    if case.language == "ko":
        assert all(re.search("[가-힣]", text) for *_, text in cues)

    for start, end, text in cues:
        level = await loudness(video, start, end - start)
        assert level.mean_db > SPEECH_DB, (text, level)  # speech where the line is said
        read = await asyncio.to_thread(read_frame, video, (start + end) / 2, case.ocr, tmp_path)
        print(f"{case.name}: {found(text, read):.2f} {text!r} -> {read.strip()!r}")
        assert found(text, read) >= READ_BACK, (text, read)
    quiet = await loudness(video, 0, 0.15)  # the lead-in before the first line
    assert quiet.mean_db < SPEECH_DB


async def test_the_voices_of_a_language_are_listed_and_a_chosen_voice_must_speak_it(
    pipeline: tuple[RunningGateway, Client],
) -> None:
    gateway, _ = pipeline
    token = await gateway.user()
    async with gateway.client(token) as http:
        korean = (await http.get(f"{API}/voices/", params={"language": "ko"})).json()
        english = (await http.get(f"{API}/voices/", params={"language": "en-us"})).json()
        bad = await http.get(f"{API}/voices/", params={"language": "not a language"})
        refused = await http.post(
            f"{API}/stories/",
            json={**FOX_KO, "generation_params": {"voice": "offline:hibari-heart"}},
        )
        chosen = await http.post(
            f"{API}/stories/",
            json={**FOX_KO, "generation_params": {"voice": "offline:espeak-ko"}},
        )
    assert korean["language"] == "ko" and korean["language_name"] == "Korean"
    assert korean["voices"][0]["id"] == "offline:espeak-ko"
    assert korean["voices"][0]["offline"] and korean["voices"][0]["price_per_1k_characters"] == "0"
    assert english["language"] == "en-US" and english["voices"][0]["id"] == "offline:hibari-heart"
    assert bad.status_code == 422
    assert (
        refused.status_code == 422 and "does not speak 'ko'" in refused.json()["error"]["message"]
    )
    assert chosen.status_code == 201
