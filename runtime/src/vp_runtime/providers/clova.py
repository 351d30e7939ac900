"""NAVER CLOVA Voice (Premium, ``tts-premium/v1/tts`` on NAVER Cloud Platform): the Korean
market's voices. Form-encoded request, the client id and secret in the NCP API gateway headers,
WAV back."""

from __future__ import annotations

import os

from vp_runtime.providers import http
from vp_runtime.providers.base import ProviderRejected, SpeechRequest, Voice
from vp_runtime.providers.config import ProviderConfig
from vp_runtime.providers.tts import KnownVoices, SpeechProvider

F, M = "female", "male"
KNOWN: KnownVoices = {
    "ko-KR": [
        ("nara", F),
        ("nminsang", M),
        ("njinho", M),
        ("nsinu", M),
        ("njiyun", F),
        ("nsujin", F),
        ("vara", F),
        ("vdain", F),
    ],
    "ja-JP": [("ntomoko", F), ("nnaomi", F), ("dayumu", M)],
    "zh-CN": [("meimei", F), ("liangliang", M)],
    "zh-TW": [("chiahua", F), ("kuanlin", M)],
    "en-US": [("clara", F), ("matt", M)],
    "es-ES": [("carmen", F), ("jose", M)],
}
SAMPLE_RATE = 24_000


def clova_speed(speed: float) -> int:
    """CLOVA's speed scale: 0 is normal, -5 is 1.5 times as fast, 5 half as fast."""
    return max(-5, min(10, round((1 - speed) * 10)))


class ClovaSpeechProvider(SpeechProvider):
    def __init__(self, config: ProviderConfig) -> None:
        secret = config.api_key()
        id_variable = str(config.setting("client_id_env", "NCP_CLIENT_ID"))
        client_id = os.environ.get(id_variable)
        if secret is None or not client_id:
            raise ProviderRejected(
                f"{config.name}: set {id_variable} and {config.api_key_env or 'NCP_CLIENT_SECRET'}"
            )
        super().__init__(config, KNOWN, "clova-voice")
        self.model = "tts-premium-v1"
        self._http = http.client(
            str(config.setting("base_url", "https://naveropenapi.apigw.ntruss.com")),
            {
                "X-NCP-APIGW-API-KEY-ID": client_id,
                "X-NCP-APIGW-API-KEY": secret.get_secret_value(),
            },
        )

    async def _synthesize(self, request: SpeechRequest, voice: Voice) -> bytes:
        form = {
            "speaker": voice.name,
            "text": request.text,
            "format": "wav",
            "sampling-rate": str(SAMPLE_RATE),
            "speed": str(clova_speed(request.speed)),
            "volume": "0",
            "pitch": "0",
        }
        response = await http.send(self._http, "POST", "/tts-premium/v1/tts", self.name, data=form)
        return response.content

    async def close(self) -> None:
        await self._http.aclose()
