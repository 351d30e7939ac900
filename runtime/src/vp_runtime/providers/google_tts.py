"""Google Cloud Text-to-Speech (v1 ``text:synthesize``): Korean Neural2 / WaveNet voices and the
other languages' ones, LINEAR16 (a WAV), an API key in ``X-Goog-Api-Key``."""

from __future__ import annotations

import base64

from vp_runtime.providers import http
from vp_runtime.providers.base import CannotSpeak, ProviderRejected, SpeechRequest, Voice
from vp_runtime.providers.config import ProviderConfig
from vp_runtime.providers.tts import KnownVoices, SpeechProvider

F, M = "female", "male"
KNOWN: KnownVoices = {
    "ko-KR": [
        ("ko-KR-Neural2-A", F),
        ("ko-KR-Neural2-B", F),
        ("ko-KR-Neural2-C", M),
        ("ko-KR-Wavenet-A", F),
        ("ko-KR-Wavenet-B", F),
        ("ko-KR-Wavenet-C", M),
        ("ko-KR-Wavenet-D", M),
        ("ko-KR-Standard-A", F),
        ("ko-KR-Standard-C", M),
    ],
    "ja-JP": [
        ("ja-JP-Neural2-B", F),
        ("ja-JP-Neural2-C", M),
        ("ja-JP-Neural2-D", M),
        ("ja-JP-Wavenet-A", F),
        ("ja-JP-Wavenet-C", M),
    ],
    "zh-CN": [
        ("cmn-CN-Wavenet-A", F),
        ("cmn-CN-Wavenet-B", M),
        ("cmn-CN-Wavenet-C", M),
        ("cmn-CN-Wavenet-D", F),
    ],
    "en-US": [
        ("en-US-Neural2-F", F),
        ("en-US-Neural2-D", M),
        ("en-US-Neural2-C", F),
        ("en-US-Neural2-J", M),
    ],
    "en-GB": [("en-GB-Neural2-A", F), ("en-GB-Neural2-B", M)],
}
SAMPLE_RATE = 24_000


def language_code(voice_name: str) -> str:
    """Google's language code is the start of the voice name: ``cmn-CN-Wavenet-A`` -> ``cmn-CN``."""
    return "-".join(voice_name.split("-")[:2])


class GoogleSpeechProvider(SpeechProvider):
    def __init__(self, config: ProviderConfig) -> None:
        key = config.api_key()
        if key is None:
            raise ProviderRejected(
                f"{config.name}: set {config.api_key_env or 'GOOGLE_TTS_API_KEY'}"
            )
        super().__init__(config, KNOWN, "google-cloud-tts")
        self.model = "texttospeech-v1"
        self._http = http.client(
            str(config.setting("base_url", "https://texttospeech.googleapis.com")),
            {"X-Goog-Api-Key": key.get_secret_value()},
        )

    async def _synthesize(self, request: SpeechRequest, voice: Voice) -> bytes:
        body = {
            "input": {"text": request.text},
            "voice": {"languageCode": language_code(voice.name), "name": voice.name},
            "audioConfig": {
                "audioEncoding": "LINEAR16",
                "sampleRateHertz": SAMPLE_RATE,
                "speakingRate": request.speed,
            },
        }
        try:
            response = await http.send(
                self._http, "POST", "/v1/text:synthesize", self.name, json=body
            )
        except ProviderRejected as error:
            if "voice" in str(error).lower():
                raise CannotSpeak(f"{self.name}: {error}") from error
            raise
        return base64.b64decode(response.json()["audioContent"])

    async def close(self) -> None:
        await self._http.aclose()
