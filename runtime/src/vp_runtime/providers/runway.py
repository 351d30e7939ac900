"""Runway: image-to-video tasks (submit, then poll ``/v1/tasks/{id}``)."""

from __future__ import annotations

from decimal import Decimal

from vp_runtime.providers import http
from vp_runtime.providers.base import (
    Capability,
    ContentRefused,
    Generated,
    Provider,
    ProviderRejected,
    ProviderUnavailable,
    VideoRequest,
)
from vp_runtime.providers.config import ProviderConfig
from vp_runtime.providers.journal import CallJournal
from vp_runtime.providers.tasks import submit_or_resume

API_VERSION = "2024-11-06"


def runway_ratio(width: int, height: int) -> str:
    if width > height:
        return "1280:720"
    if height > width:
        return "720:1280"
    return "960:960"


class RunwayProvider(Provider):
    capabilities = frozenset({Capability.VIDEO})

    def __init__(self, config: ProviderConfig, journal: CallJournal) -> None:
        key = config.api_key()
        if key is None:
            raise ProviderRejected(f"{config.name}: set {config.api_key_env or 'RUNWAY_ML_KEY'}")
        self.name = config.name
        self.model = str(config.setting("model", "gen4_turbo"))
        self._config = config
        self._journal = journal
        self._http = http.client(
            str(config.setting("base_url", "https://api.dev.runwayml.com")),
            {"Authorization": f"Bearer {key.get_secret_value()}", "X-Runway-Version": API_VERSION},
        )

    async def generate_video(self, request: VideoRequest, call_key: str) -> Generated:
        # The shortest clip that covers the scene, within the deployment's ``max_duration``
        # (the compositor holds a short clip's last frame).
        longest = int(self._config.setting("max_duration", 10))
        duration = 5 if request.duration <= 5 or longest < 10 else 10

        async def submit() -> str:
            body = {
                "model": self.model,
                "promptImage": http.data_uri(request.image, "image/png"),
                "promptText": request.prompt[:1000],
                "ratio": runway_ratio(request.width, request.height),
                "duration": duration,
                "seed": request.seed,
            }
            response = await http.send(
                self._http, "POST", "/v1/image_to_video", self.name, json=body
            )
            return str(response.json()["id"])

        async def poll(task_id: str) -> str | None:
            task = (await http.send(self._http, "GET", f"/v1/tasks/{task_id}", self.name)).json()
            status = task.get("status")
            if status == "SUCCEEDED":
                return str(task["output"][0])
            if status == "FAILED":
                code = str(task.get("failureCode") or "")
                message = f"{self.name} task {task_id} failed: {task.get('failure') or code}"
                raise (
                    ContentRefused(message)
                    if code.startswith("SAFETY")
                    else ProviderUnavailable(message)
                )
            if status == "CANCELLED":
                raise ProviderUnavailable(f"{self.name} task {task_id} was cancelled")
            if status == "THROTTLED":
                return None
            return None

        task_id, url = await submit_or_resume(
            self._journal,
            call_key,
            self.name,
            submit,
            poll,
            interval=float(self._config.setting("poll_interval", 2.0)),
            timeout=float(self._config.setting("timeout", 600)),
        )
        video = await http.send(self._http, "GET", url, self.name)
        return Generated(
            video.content,
            "video/mp4",
            self.estimate_cost(Capability.VIDEO, duration),
            duration,
            task_id,
        )

    def estimate_cost(self, capability: Capability, units: float) -> Decimal:
        return self._config.cost_per_second_video * Decimal(str(units))

    async def close(self) -> None:
        await self._http.aclose()
