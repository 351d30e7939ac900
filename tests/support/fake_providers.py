"""Local HTTP servers that answer as the real provider APIs do (Stability AI v1, Runway,
Replicate, OpenAI-compatible chat, Google Cloud Text-to-Speech, CLOVA Voice, OpenAI-compatible
speech), with scripted failures: 429 with Retry-After, 5xx,
content-filter refusals, slow jobs, timeouts. Every request is recorded."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import itertools
import json
import subprocess
import tempfile
import time
import wave
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import numpy as np
import uvicorn
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from vp_contracts.language import detect, expected_seconds
from vp_devtools import devnats
from vp_runtime.media import ffmpeg_binary

KEY = "test-key"
VIOLENT_WORDS = ("violence", "massacre", "폭력", "학살")
Behaviour = tuple[Any, ...]


def tiny_png(
    colour: tuple[int, int, int] = (30, 200, 60), size: tuple[int, int] = (64, 36)
) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, colour)
    for x in range(size[0] // 3, 2 * size[0] // 3):
        for y in range(size[1] // 4, size[1]):
            image.putpixel((x, y), (200, 80, 40))
    image.save(buffer, "PNG")
    return buffer.getvalue()


FAKE_MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64
_REAL_MP4: list[bytes] = []


def speech_wav(seconds: float, rate: int = 24_000, silent: bool = False) -> bytes:
    """A WAV that sounds like speech to a level meter: voiced bursts at a syllable rate."""
    t = np.arange(int(max(0.3, seconds) * rate)) / rate
    voice = np.sin(2 * np.pi * 180 * t) + 0.5 * np.sin(2 * np.pi * 360 * t)
    syllables = 0.5 + 0.5 * np.sin(2 * np.pi * 5 * t)
    samples = np.zeros_like(t) if silent else 0.4 * voice * syllables
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def _speech(behaviour: Behaviour, text: str, language: str) -> bytes:
    """The audio a scripted behaviour gives: speech as long as the text needs, or silence, or
    a blip (what an English-only voice makes of Hangul)."""
    if behaviour[0] == "silent":
        return speech_wav(expected_seconds(text, language), silent=True)
    if behaviour[0] == "blip":
        return speech_wav(0.05)
    return speech_wav(max(0.8, expected_seconds(text, language)))


def real_mp4() -> bytes:
    """A real 20-second H.264 clip (made once with ffmpeg): what a video model hands back."""
    if not _REAL_MP4:
        with tempfile.TemporaryDirectory() as folder:
            out = f"{folder}/clip.mp4"
            subprocess.run(
                [
                    ffmpeg_binary(),
                    "-loglevel",
                    "error",
                    "-f",
                    "lavfi",
                    "-i",
                    "testsrc2=size=1280x720:rate=24:duration=20",
                    "-c:v",
                    "libx264",
                    "-preset",
                    "ultrafast",
                    "-pix_fmt",
                    "yuv420p",
                    out,
                ],
                check=True,
            )
            _REAL_MP4.append(Path(out).read_bytes())
    return _REAL_MP4[0]


@dataclass
class FakeProviders:
    """State of the fake servers: scripted behaviours per API and the requests seen."""

    url: str = ""
    script: dict[str, deque[Behaviour]] = field(default_factory=lambda: defaultdict(deque))
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    chat_answers: deque[Behaviour] = field(default_factory=deque)
    chat_default: Behaviour = ("status", 500)
    """The answer when ``chat_answers`` is empty."""
    chat_delay: float = 0.0
    """Seconds every chat completion takes (a slow model)."""
    prediction_seconds: float = 0.0
    """Seconds every Replicate prediction takes to finish (a model at work)."""
    real_video: bool = False
    """Hand back a real (decodable) video instead of a few bytes with an MP4 header."""
    image_delay: float = 0.0
    """Seconds every Stability image takes (a paid model at work)."""
    list_page: int = 100
    """Predictions per page of ``GET /v1/predictions`` (Replicate's is 100)."""
    images_in_flight: int = 0
    images_peak: int = 0
    """Most Stability requests answered at once."""
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def then(self, api: str, *behaviours: Behaviour) -> None:
        """Queue behaviours for ``api`` ('stability', 'runway', 'replicate', 'chat')."""
        self.script[api].extend(behaviours)

    def stability_provider(self) -> dict[str, Any]:
        """A ``VP_PROVIDERS`` entry for the fake Stability API (key in FAKE_PROVIDER_KEY)."""
        return {
            "name": "stability",
            "kind": "stability",
            "api_key_env": "FAKE_PROVIDER_KEY",
            "settings": {"base_url": self.url},
        }

    def paid_predictions(self) -> int:
        """Predictions created (each one billed by the real service)."""
        return self.seen("POST", "/v1/models/")

    def seen(self, method: str, prefix: str) -> int:
        return sum(1 for m, path, _ in self.requests if m == method and path.startswith(prefix))

    def _next(self, api: str) -> Behaviour:
        return self.script[api].popleft() if self.script[api] else ("ok",)

    # -- endpoints -----------------------------------------------------------------------

    async def _check(self, request: Request) -> Response | None:
        body: Any = None
        if request.method == "POST":
            raw = await request.body()
            body = json.loads(raw) if raw else None
        self.requests.append((request.method, request.url.path, body))
        if request.headers.get("authorization") != f"Bearer {KEY}":
            return JSONResponse({"message": "unauthorized"}, status_code=401)
        return None

    async def _failure(self, behaviour: Behaviour) -> Response | None:
        kind = behaviour[0]
        if kind == "status":
            status = behaviour[1]
            headers = {"Retry-After": str(behaviour[2])} if len(behaviour) > 2 else {}
            return JSONResponse(
                {"message": f"scripted {status}"}, status_code=status, headers=headers
            )
        if kind == "sleep":
            await asyncio.sleep(behaviour[1])
        return None

    async def stability(self, request: Request) -> Response:
        if (denied := await self._check(request)) is not None:
            return denied
        behaviour = self._next("stability")
        self.images_in_flight += 1
        self.images_peak = max(self.images_peak, self.images_in_flight)
        try:
            await asyncio.sleep(self.image_delay)
            failure = await self._failure(behaviour)
        finally:
            self.images_in_flight -= 1
        if failure is not None:
            return failure
        if behaviour[0] == "invalid_prompts":
            return JSONResponse(
                {"id": "x", "name": "invalid_prompts", "message": "prompt flagged"}, status_code=400
            )
        body = self.requests[-1][2]
        finish = "CONTENT_FILTERED" if behaviour[0] == "filter" else "SUCCESS"
        image = tiny_png(size=(body["width"] // 16, body["height"] // 16))
        return JSONResponse(
            {
                "artifacts": [
                    {
                        "base64": base64.b64encode(image).decode(),
                        "seed": body["seed"],
                        "finishReason": finish,
                    }
                ]
            }
        )

    async def runway_submit(self, request: Request) -> Response:
        if (denied := await self._check(request)) is not None:
            return denied
        behaviour = self._next("runway")
        if (failure := await self._failure(behaviour)) is not None:
            return failure
        task_id = f"task-{next(self._ids)}"
        polls = behaviour[1] if behaviour[0] == "slow" else 1
        outcome = "FAILED" if behaviour[0] == "unsafe" else "SUCCEEDED"
        self.tasks[task_id] = {"polls_left": polls, "outcome": outcome}
        return JSONResponse({"id": task_id})

    async def runway_task(self, request: Request) -> Response:
        if (denied := await self._check(request)) is not None:
            return denied
        task_id = request.path_params["task_id"]
        task = self.tasks[task_id]
        task["polls_left"] -= 1
        if task["polls_left"] > 0:
            return JSONResponse({"id": task_id, "status": "RUNNING"})
        if task["outcome"] == "FAILED":
            return JSONResponse(
                {
                    "id": task_id,
                    "status": "FAILED",
                    "failure": "input rejected",
                    "failureCode": "SAFETY.INPUT.IMAGE",
                }
            )
        return JSONResponse(
            {"id": task_id, "status": "SUCCEEDED", "output": [f"{self.url}/files/{task_id}.mp4"]}
        )

    async def replicate_submit(self, request: Request) -> Response:
        if (denied := await self._check(request)) is not None:
            return denied
        behaviour = self._next("replicate")
        if (failure := await self._failure(behaviour)) is not None:
            return failure
        prediction = f"pred-{next(self._ids)}"
        model = request.path_params["model"]
        extension = "mp4" if "video" in model else "png"
        error = "NSFW content detected. Try a different prompt." if behaviour[0] == "nsfw" else None
        polls = behaviour[1] if behaviour[0] == "slow" else 1
        self.tasks[prediction] = {
            "model": model,
            "input": (await request.json())["input"],
            "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "polls_left": polls,
            "error": error,
            "output": f"{self.url}/files/{prediction}.{extension}",
            "ready_at": time.monotonic() + self.prediction_seconds,
        }
        return JSONResponse(
            {
                "id": prediction,
                "status": "starting",
                "urls": {"get": f"{self.url}/v1/predictions/{prediction}"},
            },
            status_code=201,
        )

    async def replicate_get(self, request: Request) -> Response:
        if (denied := await self._check(request)) is not None:
            return denied
        prediction = request.path_params["prediction"]
        task = self.tasks[prediction]
        task["polls_left"] -= 1
        if task["polls_left"] > 0 or time.monotonic() < task["ready_at"]:
            return JSONResponse({"id": prediction, "status": "processing", "output": None})
        if task["error"]:
            return JSONResponse(
                {"id": prediction, "status": "failed", "error": task["error"], "output": None}
            )
        return JSONResponse({"id": prediction, "status": "succeeded", "output": [task["output"]]})

    async def replicate_list(self, request: Request) -> Response:
        """``GET /v1/predictions``: the account's predictions, newest first, a page at a time."""
        if (denied := await self._check(request)) is not None:
            return denied
        newest = [(pid, task) for pid, task in reversed(self.tasks.items()) if "model" in task]
        start = int(request.query_params.get("cursor", 0))
        page = newest[start : start + self.list_page]
        after = start + self.list_page
        return JSONResponse(
            {
                "previous": None,
                "next": f"{self.url}/v1/predictions?cursor={after}"
                if after < len(newest)
                else None,
                "results": [
                    {
                        "id": pid,
                        "model": task["model"],
                        "input": task["input"],
                        "created_at": task["created_at"],
                        "source": "api",
                        "status": "succeeded" if task["polls_left"] <= 0 else "processing",
                        "urls": {"get": f"{self.url}/v1/predictions/{pid}"},
                    }
                    for pid, task in page
                ],
            }
        )

    async def files(self, request: Request) -> Response:
        name = request.path_params["name"]
        self.requests.append(("GET", request.url.path, None))
        if name.endswith(".mp4"):
            return Response(real_mp4() if self.real_video else FAKE_MP4, media_type="video/mp4")
        return Response(tiny_png(), media_type="image/png")

    async def google_tts(self, request: Request) -> Response:
        body = json.loads(await request.body())
        self.requests.append(("POST", request.url.path, body))
        if request.headers.get("x-goog-api-key") != KEY:
            return JSONResponse(
                {
                    "error": {
                        "code": 403,
                        "message": "API key not valid",
                        "status": "PERMISSION_DENIED",
                    }
                },
                status_code=403,
            )
        behaviour = self._next("google_tts")
        if (failure := await self._failure(behaviour)) is not None:
            return failure
        voice = body["voice"]
        if behaviour[0] == "no_voice" or not voice["name"].startswith(voice["languageCode"]):
            return JSONResponse(
                {
                    "error": {
                        "code": 400,
                        "message": f"Voice '{voice['name']}' does not exist. Is it misspelled?",
                        "status": "INVALID_ARGUMENT",
                    }
                },
                status_code=400,
            )
        audio = _speech(behaviour, body["input"]["text"], voice["languageCode"])
        return JSONResponse({"audioContent": base64.b64encode(audio).decode()})

    async def clova(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))
        self.requests.append(("POST", request.url.path, form))
        if (
            request.headers.get("x-ncp-apigw-api-key-id") != "fake-client-id"
            or request.headers.get("x-ncp-apigw-api-key") != KEY
        ):
            return JSONResponse(
                {"error": {"errorCode": "200", "message": "Authentication Failed"}},
                status_code=401,
            )
        behaviour = self._next("clova")
        if (failure := await self._failure(behaviour)) is not None:
            return failure
        language = "ko" if str(form["speaker"]).startswith(("n", "v")) else "en"
        audio = _speech(behaviour, str(form["text"]), language)
        return Response(audio, media_type="audio/wav")

    async def openai_speech(self, request: Request) -> Response:
        if (denied := await self._check(request)) is not None:
            return denied
        behaviour = self._next("openai_speech")
        if (failure := await self._failure(behaviour)) is not None:
            return failure
        body = self.requests[-1][2]
        audio = _speech(behaviour, body["input"], detect(body["input"]))
        return Response(audio, media_type="audio/wav")

    async def chat(self, request: Request) -> Response:
        if (denied := await self._check(request)) is not None:
            return denied
        behaviour = self.chat_answers.popleft() if self.chat_answers else self.chat_default
        await asyncio.sleep(self.chat_delay)
        if (failure := await self._failure(behaviour)) is not None:
            return failure
        content = behaviour[1] if behaviour[0] == "text" else ""
        return JSONResponse(
            {
                "id": f"chatcmpl-{next(self._ids)}",
                "object": "chat.completion",
                "model": "fake-model",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 120, "completion_tokens": 80, "total_tokens": 200},
            }
        )

    async def moderations(self, request: Request) -> Response:
        """OpenAI's moderation API: one result per input, flagged with its categories (here:
        violence when a text speaks of it, in Korean or English)."""
        if (denied := await self._check(request)) is not None:
            return denied
        if (failure := await self._failure(self._next("moderation"))) is not None:
            return failure
        body = self.requests[-1][2] or {}
        texts = body.get("input", [])
        texts = [texts] if isinstance(texts, str) else texts
        results = []
        for text in texts:
            violent = any(word in text.lower() for word in VIOLENT_WORDS)
            categories = {"violence": violent, "hate": False, "sexual": False}
            scores = {name: 0.97 if hit else 0.01 for name, hit in categories.items()}
            results.append(
                {"flagged": violent, "categories": categories, "category_scores": scores}
            )
        return JSONResponse(
            {"id": f"modr-{next(self._ids)}", "model": body.get("model"), "results": results}
        )

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/generation/{engine}/text-to-image", self.stability, methods=["POST"]),
                Route("/v1/image_to_video", self.runway_submit, methods=["POST"]),
                Route("/v1/tasks/{task_id}", self.runway_task, methods=["GET"]),
                Route(
                    "/v1/models/{model:path}/predictions", self.replicate_submit, methods=["POST"]
                ),
                Route("/v1/predictions", self.replicate_list, methods=["GET"]),
                Route("/v1/predictions/{prediction}", self.replicate_get, methods=["GET"]),
                Route("/v1/chat/completions", self.chat, methods=["POST"]),
                Route("/v1/moderations", self.moderations, methods=["POST"]),
                Route("/v1/text:synthesize", self.google_tts, methods=["POST"]),
                Route("/tts-premium/v1/tts", self.clova, methods=["POST"]),
                Route("/v1/audio/speech", self.openai_speech, methods=["POST"]),
                Route("/files/{name}", self.files, methods=["GET"]),
            ]
        )


@contextlib.asynccontextmanager
async def fake_providers(**options: Any) -> AsyncIterator[FakeProviders]:
    fakes = FakeProviders(**options)
    port = devnats.free_port()
    fakes.url = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(
        uvicorn.Config(fakes.app(), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield fakes
    finally:
        server.should_exit = True
        await task
