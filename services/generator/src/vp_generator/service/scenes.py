"""One scene job: background, character layer, optional motion clip, narration; every
provider call recorded in the cost ledger; the result recorded as ``scene_generated``.

Work for an attempt that is no longer current (cancelled, superseded) stops between steps,
and a running job is interrupted as soon as its attempt is cancelled (see ``CancelWatch``).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from PIL import Image
from vp_contracts.events import jobs as j
from vp_contracts.events import story as e
from vp_contracts.ids import new_id
from vp_contracts.language import sentences
from vp_contracts.story import commands as c
from vp_contracts.story.rules import story_language
from vp_contracts.story.view import StoryView
from vp_contracts.values import JobKind, SceneAssets, SceneSpec, StorySpec
from vp_runtime.budget import BudgetReached, Budgets, Spender, story_spender
from vp_runtime.media import MediaError, run_ffmpeg, thumbnail
from vp_runtime.media.sniff import CLIPS, IMAGES, SNIFF_BYTES, Unrecognised, sniff
from vp_runtime.messaging.delivery import TransientError
from vp_runtime.providers.base import (
    Capability,
    ImageRequest,
    Provider,
    SpeechRequest,
    VideoRequest,
)
from vp_runtime.providers.router import (
    AllProvidersRefused,
    Call,
    Ledger,
    NoProviderAvailable,
    NoVoice,
    Produced,
    ProviderRouter,
)
from vp_runtime.providers.speech import read_wav, resample, write_wav
from vp_runtime.stage import Job, Worker
from vp_runtime.storage import MissingObject, Storage, asset_key

from vp_generator.domain.jobs import SceneJob
from vp_generator.domain.layers import NotAPicture, character_layer, key_out_background, png
from vp_generator.domain.narration import SAMPLE_RATE, Narration, assemble, recorded
from vp_generator.domain.prompts import background_prompt, character_prompt, motion_prompt
from vp_generator.service.translator import PromptTranslator

log = logging.getLogger(__name__)
NARRATION_MARGIN = 0.3
MAX_SPEED = 1.4


class Stale(Exception):
    """The job's attempt is no longer current: drop the work."""


class UnusableUpload(Exception):
    """The scene's own background is gone from storage or is not a picture or a clip."""


UPLOAD = "upload"
"""The provider named for what the creator uploaded (nothing generated, nothing paid)."""


@dataclass
class SceneGenerator:
    worker: Worker
    router: ProviderRouter
    storage: Storage
    translator: PromptTranslator
    budgets: Budgets | None = None
    """Paid calls are charged to the story's budgets before they are made (None: uncapped)."""
    budget_zone: str = "UTC"

    async def run(self, job: SceneJob, delivery_attempt: int) -> None:
        """Generate the scene; what can never succeed is recorded as the scene's failure, what
        may succeed later is raised as a :class:`TransientError` (retried)."""
        try:
            await self.generate(job, delivery_attempt)
        except Stale:
            log.info("scene job %s stopped: its attempt is no longer current", job.job_id)
        except AllProvidersRefused as refused:
            await self.fail(
                job,
                delivery_attempt,
                "content_refused",
                f"the content filter refused scene {job.scene_id}: change its prompt ({refused})",
            )
        except NoVoice as error:
            language = (await self.worker.log.view(job.story_id)).language or "en"
            await self.fail(
                job,
                delivery_attempt,
                "no_voice",
                f"no voice can narrate scene {job.scene_id} in language '{language}' ({error}):"
                f" choose another voice (GET /api/ai-video/voices/?language={language}), another"
                " language, or set up a text-to-speech provider that speaks it",
            )
        except NoProviderAvailable as error:
            raise TransientError(f"no provider could generate the scene: {error}") from error
        except UnusableUpload as error:
            await self.fail(job, delivery_attempt, "asset_unusable", str(error))
        except BudgetReached as reached:
            await self.fail(
                job,
                delivery_attempt,
                "budget_reached",
                f"budget reached: scene {job.scene_id} was not finished, {reached}",
            )

    async def retrying(
        self, job: SceneJob, delivery_attempt: int, error: BaseException, delay: float
    ) -> None:
        fact = j.JobRetried(
            story_id=job.story_id,
            job_id=job.job_id,
            kind=JobKind.SCENE,
            attempt_id=job.attempt_id,
            scene_id=job.scene_id,
            attempt=delivery_attempt,
            error=str(error)[:1000],
            retry_in_seconds=delay,
        )
        await self._work(job).record(fact, f"retried-{delivery_attempt}")

    async def give_up(self, job: SceneJob, delivery_attempt: int, error: BaseException) -> None:
        code = "provider_unavailable" if isinstance(error, TransientError) else "internal_error"
        reason = f"scene could not be generated after {delivery_attempt} attempts: {error}. Try again later."
        await self.fail(job, delivery_attempt, code, reason)

    async def fail(self, job: SceneJob, attempts: int, code: str, reason: str) -> None:
        command = c.RecordSceneFailure(
            story_id=job.story_id,
            attempt_id=job.attempt_id,
            scene_id=job.scene_id,
            code=code,
            reason=reason[:2000],
            attempts=attempts,
        )
        await self._work(job).execute(command, "failed")

    def _work(self, job: SceneJob) -> Job:
        return self.worker.job(
            job.story_id, job.attempt_id, JobKind.SCENE, job.job_id, scene_id=job.scene_id
        )

    async def generate(self, job: SceneJob, delivery_attempt: int) -> None:
        view = await self.worker.log.view(job.story_id)
        if not view.scene_job_is_current(job.scene_id, job.attempt_id):
            log.info("scene job %s belongs to a finished or cancelled attempt: dropped", job.job_id)
            return
        if _done(view, job):
            log.info("scene job %s was done by another delivery: dropped", job.job_id)
            return
        scene, spec = _scene_and_spec(view, job)
        started = time.monotonic()
        work = self._work(job)
        await work.start(delivery_attempt)
        spent: list[Decimal] = []
        hits: list[bool] = []
        free: list[e.CostRecorded] = []
        ledger = _ledger(work, spent, hits, free)
        spender = (
            story_spender(self.budgets, view, self.budget_zone, self.worker.clock)
            if self.budgets is not None
            else None
        )
        preferred = spec.generation_params.image_provider
        drawn = await self._in_english(scene, view.language or story_language(spec), ledger)

        uploaded_clip = None
        if scene.background_asset_id:
            await work.tick(10, f"scene {scene.position + 1}: taking your background")
            background, uploaded_clip = await self._uploaded_background(view, scene)
        else:
            await work.tick(10, f"scene {scene.position + 1}: painting the background")
            background = await self.router.produce(
                Capability.IMAGE,
                lambda provider: self._background_request(provider, job, drawn),
                ledger,
                preferred,
                spender,
            )
        await self._still_current(job)
        await work.tick(40, f"scene {scene.position + 1}: drawing the character")
        if spec.character_asset_id:
            character = await self._uploaded_character(view, spec.character_asset_id)
        else:
            character = await self._character(job, drawn, ledger, preferred, spender)
        await self._still_current(job)
        clip_key = uploaded_clip
        if clip_key is None and spec.generation_params.video_provider not in (None, "offline"):
            await work.tick(60, f"scene {scene.position + 1}: animating")
            clip = await self._clip(job, drawn, spec, background.key, character, ledger, spender)
            clip_key = clip.key
            await self._still_current(job)
        narration_key, narration = None, None
        if spec.narration and scene.narration_asset_id:
            await work.tick(80, f"scene {scene.position + 1}: taking your narration")
            narration_key, narration = await self._own_narration(view, scene)
        elif spec.narration and sentences(scene.narration):
            await work.tick(80, f"scene {scene.position + 1}: recording the narration")
            narration_key, narration = await self._narrate(job, view, scene, ledger, spender)
        assets = SceneAssets(
            background_key=background.key,
            character_key=character,
            clip_key=clip_key,
            narration_key=narration_key,
            narration_seconds=narration.seconds if narration else None,
            cues=narration.cues if narration else (),
            width=job.width,
            height=job.height,
        )
        outcome = await work.execute(
            c.RecordSceneGenerated(
                story_id=job.story_id,
                attempt_id=job.attempt_id,
                scene_id=job.scene_id,
                assets=assets,
                provider=background.provider,
                cost=sum(spent, Decimal(0)),
                cache_hit=bool(hits) and all(hits),
                generation_seconds=round(time.monotonic() - started, 3),
            ),
            "generated",
        )
        if outcome.events:  # this delivery's result is the one kept: so are its free calls
            for index, fact in enumerate(free):
                await work.record(fact, f"free-{index}")
        await work.tick(100, f"scene {scene.position + 1}: ready")

    # -- steps -----------------------------------------------------------------------------

    async def _uploaded_background(
        self, view: StoryView, scene: SceneSpec
    ) -> tuple[Produced, str | None]:
        """The creator's own background (no provider call): a picture as it is, or a clip
        (the scene's motion) with its first frame as the still; the clip's key, if a clip."""
        assert scene.background_asset_id is not None and view.owner_id is not None
        key = asset_key(view.owner_id, scene.background_asset_id)
        label = f"scene {scene.position + 1}'s own background"
        try:
            kind = sniff(await self.storage.head(key, SNIFF_BYTES)).content_type
        except MissingObject:
            raise UnusableUpload(f"{label} was deleted: upload it again or remove it") from None
        except Unrecognised as error:
            raise UnusableUpload(f"{label} cannot be used: {error}") from None
        if kind in IMAGES:
            return Produced(key, UPLOAD, Decimal(0), False, kind), None
        if kind not in CLIPS:
            raise UnusableUpload(f"{label} is {kind}: upload a picture or a clip")
        with tempfile.TemporaryDirectory(prefix="vp-upload-") as folder:
            clip, still = Path(folder) / "clip", Path(folder) / "still.jpg"
            await self.storage.download(key, clip)
            try:
                await thumbnail(clip, still, at_seconds=0.0)
            except MediaError as error:
                raise UnusableUpload(f"{label} is not a clip ffmpeg can read: {error}") from None
            first_frame = f"{key}.first-frame.jpg"
            await self.storage.put_file(first_frame, still, "image/jpeg")
        return Produced(first_frame, UPLOAD, Decimal(0), False, "image/jpeg"), key

    async def _in_english(self, scene: SceneSpec, language: str, ledger: Ledger) -> SceneSpec:
        """The scene as image models read it: its prompts in English (narration as written)."""
        prompt = scene.prompt
        parts = {
            name: await self.translator.english(getattr(prompt, name), language, ledger)
            for name in ("character", "background", "action")
        }
        return scene.model_copy(update={"prompt": prompt.model_copy(update=parts)})

    def _background_request(
        self, provider: Provider, job: SceneJob, scene: SceneSpec
    ) -> ImageRequest:
        prompt = (
            scene.prompt.background if provider.transparent_layers else background_prompt(scene)
        )
        return ImageRequest(
            prompt=prompt,
            width=job.width,
            height=job.height,
            style=scene.prompt.style,
            seed=scene.seed,
        )

    async def _character(
        self,
        job: SceneJob,
        scene: SceneSpec,
        ledger: Ledger,
        preferred: str | None,
        spender: Spender | None,
    ) -> str:
        def request(provider: Provider) -> ImageRequest:
            native = provider.transparent_layers
            return ImageRequest(
                prompt=scene.prompt.character if native else character_prompt(scene, cut_out=True),
                action=scene.prompt.action,
                width=job.width,
                height=job.height,
                style=scene.prompt.style,
                seed=scene.seed,
                transparent=native,
            )

        produced = await self.router.produce(Capability.IMAGE, request, ledger, preferred, spender)
        if self._is_native(produced):
            return produced.key
        keyed = f"assets/keyed/{produced.key.rsplit('/', 1)[-1]}"
        if not await self.storage.exists(keyed):
            source = await self.storage.get_bytes(produced.key)
            await self.storage.put_bytes(
                keyed, await asyncio.to_thread(key_out_background, source), "image/png"
            )
        return keyed

    async def _uploaded_character(self, view: StoryView, asset_id: str) -> str:
        """The creator's own character picture as a layer (no provider call): kept as it is
        when it has transparency, else its plain background keyed out; made once per upload
        and shared by every scene."""
        assert view.owner_id is not None
        key = asset_key(view.owner_id, asset_id)
        layer = f"{key}.layer.png"
        if await self.storage.exists(layer):
            return layer
        try:
            source = await self.storage.get_bytes(key)
            cut = await asyncio.to_thread(character_layer, source)
        except MissingObject:
            raise UnusableUpload(
                "the story's character picture was deleted: upload it again"
            ) from None
        except NotAPicture as error:
            raise UnusableUpload(f"the story's character picture cannot be used: {error}") from None
        await self.storage.put_bytes(layer, cut, "image/png")
        return layer

    def _is_native(self, produced: Produced) -> bool:
        return any(
            r.provider.name == produced.provider and r.provider.transparent_layers
            for r in self.router.providers()
        )

    async def _clip(
        self,
        job: SceneJob,
        scene: SceneSpec,
        spec: StorySpec,
        background: str,
        character: str,
        ledger: Ledger,
        spender: Spender | None,
    ) -> Produced:
        still = await self._still(background, character)
        request = VideoRequest(
            image=still,
            prompt=motion_prompt(scene),
            width=job.width,
            height=job.height,
            duration=scene.duration_seconds,
            fps=job.fps,
            motion=scene.prompt.motion,
            seed=scene.seed,
        )
        return await self.router.produce(
            Capability.VIDEO,
            lambda provider: request,
            ledger,
            spec.generation_params.video_provider,
            spender,
        )

    async def _still(self, background: str, character: str) -> bytes:
        back = Image.open(io.BytesIO(await self.storage.get_bytes(background))).convert("RGBA")
        front = (
            Image.open(io.BytesIO(await self.storage.get_bytes(character)))
            .convert("RGBA")
            .resize(back.size)
        )
        back.alpha_composite(front)
        return png(back.convert("RGB"))

    async def _narrate(
        self,
        job: SceneJob,
        view: StoryView,
        scene: SceneSpec,
        ledger: Ledger,
        spender: Spender | None,
    ) -> tuple[str, Narration]:
        """Speak the scene's sentences one by one (each through the providers: cache, ledger,
        fallback to another voice), put them together, and speed up a narration that would
        overrun the scene."""
        spec = view.spec
        language = view.language or (story_language(spec) if spec else "en")
        preferred, voice = _voice(spec.generation_params.voice if spec else None)
        lines = sentences(scene.narration)
        speed = 1.0
        while True:
            spoken = []
            keys = []
            for line in lines:
                produced = await self.router.produce(
                    Capability.NARRATION,
                    _speech_for(line, language, preferred, voice, speed, scene.seed),
                    ledger,
                    preferred,
                    spender,
                )
                samples, rate = read_wav(await self.storage.get_bytes(produced.key))
                spoken.append((line, resample(samples, rate, SAMPLE_RATE)))
                keys.append(produced.key)
            narration = assemble(spoken)
            room = scene.duration_seconds - NARRATION_MARGIN
            if narration.seconds <= room or speed >= MAX_SPEED:
                return await self._store_narration(keys, narration), narration
            speed = min(MAX_SPEED, round(speed * narration.seconds / room + 0.02, 2))

    async def _own_narration(self, view: StoryView, scene: SceneSpec) -> tuple[str, Narration]:
        """The creator's own recording of the scene's lines (any format ffmpeg reads), as the
        scene's narration: cues over its spoken part; its length drives the scene's."""
        assert scene.narration_asset_id is not None and view.owner_id is not None
        key = asset_key(view.owner_id, scene.narration_asset_id)
        label = f"scene {scene.position + 1}'s own narration"
        with tempfile.TemporaryDirectory(prefix="vp-voice-") as folder:
            source, wav = Path(folder) / "recording", Path(folder) / "narration.wav"
            try:
                await self.storage.download(key, source)
                await run_ffmpeg(
                    ["-i", str(source), "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE), str(wav)]
                )
            except MissingObject:
                raise UnusableUpload(f"{label} was deleted: upload it again") from None
            except MediaError as error:
                raise UnusableUpload(f"{label} is no sound ffmpeg can read: {error}") from None
            samples, rate = read_wav(wav.read_bytes())
        narration = recorded(resample(samples, rate, SAMPLE_RATE), sentences(scene.narration))
        stored = f"{key}.narration.wav"
        await self.storage.put_bytes(stored, write_wav(narration.samples, SAMPLE_RATE), "audio/wav")
        return stored, narration

    async def _store_narration(self, parts: list[str], narration: Narration) -> str:
        digest = hashlib.sha256(json.dumps(parts).encode()).hexdigest()
        key = f"assets/narration/{digest[:2]}/{digest}.wav"
        if not await self.storage.exists(key):
            await self.storage.put_bytes(
                key, write_wav(narration.samples, SAMPLE_RATE), "audio/wav"
            )
        return key

    async def _still_current(self, job: SceneJob) -> None:
        view = await self.worker.log.view(job.story_id)
        if not view.scene_job_is_current(job.scene_id, job.attempt_id) or _done(view, job):
            raise Stale(job.attempt_id)


def _ledger(
    work: Job,
    spent: list[Decimal],
    hits: list[bool],
    free: list[e.CostRecorded],
) -> Ledger:
    """One record per call. A call that was made (paid, or failed) is recorded at once: its
    id is the provider's job id when there is one (two deliveries polling one provider job
    record it once), else a fresh one (each such call really happened). Calls that cost
    nothing (cache hits, the offline renderer) are kept until the scene's result is
    recorded, and dropped with it when another delivery's result is kept instead."""

    async def record(call: Call) -> None:
        spent.append(call.amount)
        hits.append(call.cache_hit)
        fact = work.cost(call)
        if call.amount == 0 and not call.outcome.startswith("error"):
            free.append(fact)
            return
        await work.record(fact, f"call-{call.provider_job_id or new_id()}")

    return record


def _done(view: StoryView, job: SceneJob) -> bool:
    """Another delivery of this job already recorded the scene's result."""
    scene = view.scene(job.scene_id)
    return scene is not None and scene.assets_attempt_id == job.attempt_id


def _scene_and_spec(view: StoryView, job: SceneJob) -> tuple[SceneSpec, StorySpec]:
    scene = view.scene(job.scene_id)
    assert scene is not None and view.spec is not None
    return scene.spec, view.spec


def _voice(chosen: str | None) -> tuple[str | None, str | None]:
    """``generation_params.voice`` as (provider, voice name): ``google:ko-KR-Neural2-A`` is that
    provider's voice; a bare name (``heart``) is any provider's."""
    if not chosen:
        return None, None
    provider, _, name = chosen.partition(":")
    return (provider, name) if name else (None, chosen)


def _speech_for(
    line: str, language: str, preferred: str | None, voice: str | None, speed: float, seed: int
) -> Callable[[Provider], SpeechRequest]:
    def request(provider: Provider) -> SpeechRequest:
        # The chosen voice on its own provider; every other provider its best for the language.
        own = voice if preferred is None or provider.name == preferred else None
        return SpeechRequest(line, language, own, speed, seed)

    return request
