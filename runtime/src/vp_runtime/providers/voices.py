"""Every voice the configured providers offer, without calling them: the catalogue the voices
endpoint lists and the built-in voices use. The offline voices are the neural American English
one shipped inside the ``hibari-tts`` wheel and espeak-ng's voices for other languages."""

from __future__ import annotations

from vp_contracts.language import NAMES, primary

from vp_runtime.providers import clova, google_tts, openai_tts
from vp_runtime.providers.base import Voice
from vp_runtime.providers.config import ProviderConfig
from vp_runtime.providers.tts import KnownVoices, voices_from

HIBARI_VOICE = "hibari-heart"
ESPEAK = {
    "ko": "ko",
    "ja": "ja",
    "zh": "cmn",
    "zh-CN": "cmn",
    "zh-TW": "cmn",
    "yue": "yue",
    "en": "en-us",
    "en-US": "en-us",
    "en-GB": "en-gb",
    "es": "es",
    "es-419": "es-419",
    "fr": "fr-fr",
    "de": "de",
    "pt": "pt",
    "pt-BR": "pt-br",
    "it": "it",
    "vi": "vi",
    "th": "th",
    "id": "id",
    "ru": "ru",
    "ar": "ar",
    "hi": "hi",
    "tr": "tr",
    "nl": "nl",
    "pl": "pl",
    "sv": "sv",
    "uk": "uk",
    "ms": "ms",
}
"""BCP 47 tag -> espeak-ng voice, for the languages creators use most (others: the tag itself)."""


def offline_voices(provider: str, language: str | None, english_neural: bool = True) -> list[Voice]:
    """The offline voices for ``language`` (or all), best first."""

    def voice(name: str, tag: str, engine: str) -> Voice:
        return Voice(f"{provider}:{name}", provider, name, tag, None, True, engine=engine)

    everything = [voice(f"espeak-{engine}", tag, "espeak-ng") for tag, engine in ESPEAK.items()]
    if english_neural:
        everything.insert(0, voice(HIBARI_VOICE, "en-US", "hibari"))
    if language is None:
        return everything
    found = [v for v in everything if primary(v.language) == primary(language)]
    return found or [voice(f"espeak-{primary(language)}", primary(language), "espeak-ng")]


TABLES: dict[str, tuple[KnownVoices, str]] = {
    "google_tts": (google_tts.KNOWN, "google-cloud-tts"),
    "clova": (clova.KNOWN, "clova-voice"),
    "openai_tts": ({language: openai_tts.VOICES for language in NAMES}, "openai-speech"),
}


def catalogue(configs: list[ProviderConfig], language: str | None = None) -> list[Voice]:
    """The voices of the active providers, in fallback order; for ``language`` when given."""
    found: list[Voice] = []
    for config in configs:
        if not config.is_active:
            continue
        if config.kind == "offline":
            found += offline_voices(config.name, language)
        elif config.kind in TABLES:
            table, engine = TABLES[config.kind]
            voices = voices_from(config, table, engine)
            found += [
                voice
                for voice in voices
                if language is None or primary(voice.language) == primary(language)
            ]
    return found
