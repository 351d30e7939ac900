"""Replicate: predictions (submit, then poll ``/v1/predictions/{id}``) for images, image-to-video
clips and Real-ESRGAN upscaling."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from vp_runtime.providers import http
from vp_runtime.providers.base import (
    Capability,
    ContentRefused,
    Generated,
    ImageRequest,
    Provider,
    ProviderRejected,
    ProviderUnavailable,
    UpscaleRequest,
    VideoRequest,
)
from vp_runtime.providers.config import ProviderConfig
from vp_runtime.providers.journal import CallJournal
from vp_runtime.providers.tasks import submit_or_resume

MOTION_BUCKET = {"slow": 60, "medium": 127, "fast": 200}
CLOCK_SLACK = 60.0
"""Seconds of difference allowed between our clock and Replicate's when looking for a job."""
LIST_PAGES = 5
"""Pages of recent predictions searched for a job a dead worker submitted."""
_REFUSAL_WORDS = ("nsfw", "safety", "flagged", "sensitive")


class ReplicateProvider(Provider):
    capabilities = frozenset({Capability.IMAGE, Capability.VIDEO, Capability.UPSCALE})

    def __init__(self, config: ProviderConfig, journal: CallJournal) -> None:
        key = config.api_key()
        if key is None:
            raise ProviderRejected(
                f"{config.name}: set {config.api_key_env or 'REPLICATE_API_TOKEN'}"
            )
        self.name = config.name
        self._config = config
        self._journal = journal
        self._models = {
            Capability.IMAGE: str(config.setting("image_model", "black-forest-labs/flux-schnell")),
            Capability.VIDEO: str(
                config.setting("video_model", "stability-ai/stable-video-diffusion")
            ),
            Capability.UPSCALE: str(config.setting("upscale_model", "nightmareai/real-esrgan")),
        }
        self._video_upscaler = str(
            config.setting("video_upscale_model", "lucataco/real-esrgan-video")
        )
        self.model = ",".join(self._models.values())
        self._http = http.client(
            str(config.setting("base_url", "https://api.replicate.com")),
            {"Authorization": f"Bearer {key.get_secret_value()}"},
        )

    async def _predict(
        self,
        capability: Capability,
        payload: dict[str, Any],
        call_key: str,
        model: str | None = None,
    ) -> tuple[str, bytes]:
        model = model or self._models[capability]

        async def submit() -> str:
            response = await http.send(
                self._http,
                "POST",
                f"/v1/models/{model}/predictions",
                self.name,
                json={"input": payload},
            )
            return str(response.json()["id"])

        async def find_submitted(since: float) -> str | None:
            """The prediction of this model with this input made since ``since``: newest first,
            one page after another, until the predictions are older than that."""
            url: str | None = "/v1/predictions"
            for _ in range(LIST_PAGES):
                if url is None:
                    return None
                page = (await http.send(self._http, "GET", url, self.name)).json()
                for prediction in page.get("results", []):
                    made = datetime.fromisoformat(prediction["created_at"]).timestamp()
                    if made < since - CLOCK_SLACK:
                        return None
                    if prediction.get("model") == model and prediction.get("input") == payload:
                        return str(prediction["id"])
                url = page.get("next")
            return None

        async def poll(prediction_id: str) -> str | None:
            prediction = (
                await http.send(self._http, "GET", f"/v1/predictions/{prediction_id}", self.name)
            ).json()
            status = prediction.get("status")
            if status == "succeeded":
                output = prediction.get("output")
                return str(output[0] if isinstance(output, list) else output)
            if status in ("failed", "canceled"):
                error = str(prediction.get("error") or status)
                message = f"{self.name} prediction {prediction_id} {status}: {error}"
                if any(word in error.lower() for word in _REFUSAL_WORDS):
                    raise ContentRefused(message)
                raise ProviderUnavailable(message)
            return None

        prediction_id, url = await submit_or_resume(
            self._journal,
            call_key,
            self.name,
            submit,
            poll,
            interval=float(self._config.setting("poll_interval", 1.0)),
            timeout=float(self._config.setting("timeout", 600)),
            find_submitted=find_submitted,
        )
        return prediction_id, (await http.send(self._http, "GET", url, self.name)).content

    async def generate_image(self, request: ImageRequest, call_key: str) -> Generated:
        job, data = await self._predict(Capability.IMAGE, image_input(request), call_key)
        return Generated(data, "image/png", self.estimate_cost(Capability.IMAGE, 1), 1, job)

    async def generate_video(self, request: VideoRequest, call_key: str) -> Generated:
        payload = {
            "input_image": http.data_uri(request.image, "image/png"),
            "frames_per_second": min(request.fps, 30),
            "motion_bucket_id": MOTION_BUCKET[request.motion.value],
            "seed": request.seed,
        }
        job, data = await self._predict(Capability.VIDEO, payload, call_key)
        return Generated(
            data,
            "video/mp4",
            self.estimate_cost(Capability.VIDEO, request.duration),
            request.duration,
            job,
        )

    async def upscale(self, request: UpscaleRequest, call_key: str) -> Generated:
        if request.content_type.startswith("video/"):
            # Video super-resolution runs a frame model over the clip (e.g. Real-ESRGAN video).
            payload = {
                "video_path": http.data_uri(request.image, request.content_type),
                "scale": request.scale,
            }
            job, data = await self._predict(
                Capability.UPSCALE, payload, call_key, self._video_upscaler
            )
            return Generated(data, "video/mp4", self.estimate_cost(Capability.UPSCALE, 1), 1, job)
        payload = {"image": http.data_uri(request.image, "image/png"), "scale": request.scale}
        job, data = await self._predict(Capability.UPSCALE, payload, call_key)
        return Generated(data, "image/png", self.estimate_cost(Capability.UPSCALE, 1), 1, job)

    def estimate_cost(self, capability: Capability, units: float) -> Decimal:
        price = (
            self._config.cost_per_second_video
            if capability == Capability.VIDEO
            else self._config.cost_per_image
        )
        return price * Decimal(str(units))

    async def close(self) -> None:
        await self._http.aclose()


def image_input(request: ImageRequest) -> dict[str, Any]:
    """The ``input`` of an image prediction (flux-schnell's)."""
    return {
        "prompt": request.prompt,
        "seed": request.seed,
        "width": request.width,
        "height": request.height,
        "output_format": "png",
        "num_outputs": 1,
    }
