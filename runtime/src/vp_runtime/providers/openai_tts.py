"""An OpenAI-compatible speech endpoint (``/v1/audio/speech``): OpenAI itself or a self-hosted
server speaking the same API. Its voices are multilingual: they speak whatever language the
text is in, so every voice is offered for every language."""

from __future__ import annotations

from vp_contracts.language import NAMES

from vp_runtime.providers import http
from vp_runtime.providers.base import ProviderRejected, SpeechRequest, Voice
from vp_runtime.providers.config import ProviderConfig
from vp_runtime.providers.tts import SpeechProvider

VOICES: tuple[tuple[str, str | None], ...] = (
    ("alloy", None),
    ("nova", "female"),
    ("shimmer", "female"),
    ("coral", "female"),
    ("echo", "male"),
    ("onyx", "male"),
    ("fable", None),
    ("sage", None),
)


class OpenAISpeechProvider(SpeechProvider):
    def __init__(self, config: ProviderConfig) -> None:
        key = config.api_key()
        if key is None:
            raise ProviderRejected(f"{config.name}: set {config.api_key_env or 'OPENAI_API_KEY'}")
        names = config.setting("voice_names", None)
        voices = [(name, None) for name in names] if names else list(VOICES)
        super().__init__(config, {language: voices for language in NAMES}, "openai-speech")
        self.model = str(config.setting("model", "tts-1"))
        self._http = http.client(
            str(config.setting("base_url", "https://api.openai.com")),
            {"Authorization": f"Bearer {key.get_secret_value()}"},
        )

    async def _synthesize(self, request: SpeechRequest, voice: Voice) -> bytes:
        body = {
            "model": self.model,
            "input": request.text,
            "voice": voice.name,
            "response_format": "wav",
            "speed": request.speed,
        }
        response = await http.send(self._http, "POST", "/v1/audio/speech", self.name, json=body)
        return response.content

    async def close(self) -> None:
        await self._http.aclose()
