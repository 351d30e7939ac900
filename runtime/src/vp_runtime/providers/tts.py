"""What the text-to-speech adapters share: their voice catalogue, picking a voice for a
language, the speech check, the price per character."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from decimal import Decimal

from vp_contracts.language import primary

from vp_runtime.providers.base import (
    CannotSpeak,
    Capability,
    Generated,
    Provider,
    SpeechRequest,
    Voice,
)
from vp_runtime.providers.config import ProviderConfig
from vp_runtime.providers.speech import check_speech

KnownVoices = Mapping[str, Sequence[tuple[str, str | None]]]
"""Language tag -> (voice name, gender) in order of preference (the first is the default)."""


def voices_from(config: ProviderConfig, known: KnownVoices, engine: str) -> tuple[Voice, ...]:
    """The voices of a configured provider: its ``settings.voices`` first, then the known ones."""
    extra: KnownVoices = {
        str(entry["language"]): [(str(entry["name"]), entry.get("gender"))]
        for entry in config.setting("voices", [])
    }
    return tuple(
        Voice(
            id=f"{config.name}:{name}",
            provider=config.name,
            name=name,
            language=language,
            gender=gender,
            offline=False,
            price_per_1k_characters=config.cost_per_1k_characters,
            engine=engine,
        )
        for table in (extra, known)
        for language, entries in table.items()
        for name, gender in entries
    )


class SpeechProvider(Provider):
    """A cloud voice. Subclasses send one sentence and return WAV bytes."""

    capabilities = frozenset({Capability.NARRATION})

    def __init__(self, config: ProviderConfig, known: KnownVoices, engine: str) -> None:
        self.name = config.name
        self._config = config
        self._voices = voices_from(config, known, engine)

    def voices(self, language: str | None = None) -> list[Voice]:
        if language is None:
            return list(self._voices)
        wanted = primary(language)
        exact = [voice for voice in self._voices if voice.language.lower() == language.lower()]
        same = [v for v in self._voices if primary(v.language) == wanted and v not in exact]
        return exact + same

    def voice_for(self, request: SpeechRequest) -> Voice:
        """The voice asked for, else this provider's first voice of the request's language."""
        if request.voice:
            for voice in self._voices:
                if voice.name == request.voice:
                    return voice
            # A voice name the catalogue does not know yet: trust the caller, the language
            # comes from the request.
            return Voice(f"{self.name}:{request.voice}", self.name, request.voice, request.language)
        found = self.voices(request.language)
        if not found:
            raise CannotSpeak(
                f"{self.name} has no voice for language '{primary(request.language)}'"
            )
        return found[0]

    async def speak(self, request: SpeechRequest, call_key: str) -> Generated:
        voice = self.voice_for(request)
        data = await self._synthesize(request, voice)
        check_speech(data, request.text, request.language, voice.id)
        characters = len(request.text)
        return Generated(
            data, "audio/wav", self.estimate_cost(Capability.NARRATION, characters), characters
        )

    @abstractmethod
    async def _synthesize(self, request: SpeechRequest, voice: Voice) -> bytes:
        """WAV bytes (16-bit mono PCM) of ``request.text`` said by ``voice``."""

    def estimate_cost(self, capability: Capability, units: float) -> Decimal:
        return self._config.cost_per_1k_characters * Decimal(str(units)) / 1000
