"""Voices through the provider layer: the cloud text-to-speech adapters against local servers
that answer as Google Cloud TTS, CLOVA Voice and OpenAI's speech endpoint do (request shape,
auth, errors, 429 with Retry-After, cost per character), the offline voices for Korean,
Japanese and Chinese for real, the speech check, and falling back from a voice that fails."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from vp_generator.adapters.offline.provider import OfflineProvider
from vp_runtime.providers.base import CannotSpeak, Capability, SpeechRequest
from vp_runtime.providers.clova import ClovaSpeechProvider
from vp_runtime.providers.config import OFFLINE, ProviderConfig
from vp_runtime.providers.google_tts import GoogleSpeechProvider
from vp_runtime.providers.openai_tts import OpenAISpeechProvider
from vp_runtime.providers.router import NoVoice, Routed
from vp_runtime.providers.speech import check_speech, read_wav
from vp_runtime.providers.voices import catalogue

from tests.integration.test_providers import Ledger, no_sleep, router
from tests.support.fake_providers import KEY, FakeProviders, fake_providers

pytestmark = pytest.mark.integration
KOREAN = "작은 여우가 안개 낀 숲에서 오래된 등불을 찾습니다."


@pytest.fixture
async def fakes(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeProviders]:
    monkeypatch.setenv("FAKE_PROVIDER_KEY", KEY)
    monkeypatch.setenv("NCP_CLIENT_ID", "fake-client-id")
    async with fake_providers() as running:
        yield running


def speech_config(fakes: FakeProviders, kind: str, name: str | None = None) -> ProviderConfig:
    return ProviderConfig(
        name=name or kind,
        kind=kind,  # type: ignore[arg-type]
        api_key_env="FAKE_PROVIDER_KEY",
        cost_per_1k_characters=Decimal("0.016"),
        settings={"base_url": fakes.url},
    )


async def test_google_speaks_korean_with_a_neural2_voice_and_prices_characters(
    fakes: FakeProviders,
) -> None:
    provider = GoogleSpeechProvider(speech_config(fakes, "google_tts"))
    generated = await provider.speak(SpeechRequest(KOREAN, "ko", speed=1.2), "k")
    _, path, body = fakes.requests[-1]
    assert path == "/v1/text:synthesize"
    assert body["voice"] == {"languageCode": "ko-KR", "name": "ko-KR-Neural2-A"}
    assert body["audioConfig"] == {
        "audioEncoding": "LINEAR16",
        "sampleRateHertz": 24000,
        "speakingRate": 1.2,
    }
    assert body["input"] == {"text": KOREAN}
    assert check_speech(generated.data, KOREAN, "ko", "google") > 1
    assert generated.cost == Decimal("0.016") * len(KOREAN) / 1000
    chinese = await provider.speak(SpeechRequest("一只小狐狸找到了灯笼。", "zh"), "k")
    assert fakes.requests[-1][2]["voice"]["languageCode"] == "cmn-CN"
    assert read_wav(chinese.data)[1] == 24000
    await provider.close()


async def test_google_refuses_a_bad_key_and_an_unknown_voice_clearly(
    fakes: FakeProviders, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = GoogleSpeechProvider(speech_config(fakes, "google_tts"))
    fakes.then("google_tts", ("no_voice",))
    with pytest.raises(CannotSpeak, match="does not exist"):
        await provider.speak(SpeechRequest(KOREAN, "ko", voice="ko-KR-Nope-Z"), "k")
    monkeypatch.setenv("FAKE_PROVIDER_KEY", "wrong")
    wrong = GoogleSpeechProvider(speech_config(fakes, "google_tts"))
    with pytest.raises(Exception, match="403"):
        await wrong.speak(SpeechRequest(KOREAN, "ko"), "k")
    await provider.close()
    await wrong.close()


async def test_clova_speaks_korean_as_naver_cloud_takes_it(fakes: FakeProviders) -> None:
    provider = ClovaSpeechProvider(speech_config(fakes, "clova"))
    generated = await provider.speak(SpeechRequest(KOREAN, "ko-KR", speed=1.5), "k")
    _, path, form = fakes.requests[-1]
    assert path == "/tts-premium/v1/tts"
    assert form == {
        "speaker": "nara",
        "text": KOREAN,
        "format": "wav",
        "sampling-rate": "24000",
        "speed": "-5",  # CLOVA's scale: -5 is 1.5 times as fast
        "volume": "0",
        "pitch": "0",
    }
    assert check_speech(generated.data, KOREAN, "ko", "clova") > 1
    await provider.close()


async def test_an_openai_compatible_server_speaks_any_language(fakes: FakeProviders) -> None:
    provider = OpenAISpeechProvider(speech_config(fakes, "openai_tts"))
    generated = await provider.speak(SpeechRequest(KOREAN, "ko", voice="nova"), "k")
    _, path, body = fakes.requests[-1]
    assert path == "/v1/audio/speech"
    assert body == {
        "model": "tts-1",
        "input": KOREAN,
        "voice": "nova",
        "response_format": "wav",
        "speed": 1.0,
    }
    assert generated.content_type == "audio/wav" and generated.units == len(KOREAN)
    await provider.close()


async def test_429_waits_as_asked_and_the_ledger_counts_the_characters(
    fakes: FakeProviders, tmp_path: Path
) -> None:
    config = speech_config(fakes, "google_tts")
    fakes.then("google_tts", ("status", 429, 2))
    ledger = Ledger()
    speech = router([Routed(config, GoogleSpeechProvider(config))], tmp_path)
    produced = await speech.produce(
        Capability.NARRATION, lambda p: SpeechRequest(KOREAN, "ko"), ledger
    )
    assert no_sleep.waits == [2.0]  # type: ignore[attr-defined]
    assert ledger.outcomes == [("google_tts", "error"), ("google_tts", "ok")]
    assert ledger.calls[-1].amount == Decimal("0.016") * len(KOREAN) / 1000
    again = await speech.produce(
        Capability.NARRATION, lambda p: SpeechRequest(KOREAN, "ko"), ledger
    )
    assert again.cache_hit and again.key == produced.key  # the same sentence is paid once
    assert ledger.outcomes[-1] == ("google_tts", "cache_hit")


@pytest.mark.parametrize("failure", [("silent",), ("blip",)])
async def test_a_voice_that_comes_out_silent_falls_back_to_the_next_one(
    fakes: FakeProviders, tmp_path: Path, failure: tuple[str]
) -> None:
    config = speech_config(fakes, "google_tts")
    fakes.then("google_tts", failure)
    ledger = Ledger()
    chain = router(
        [Routed(config, GoogleSpeechProvider(config)), Routed(OFFLINE, OfflineProvider(OFFLINE))],
        tmp_path,
    )
    produced = await chain.produce(
        Capability.NARRATION, lambda p: SpeechRequest(KOREAN, "ko"), ledger
    )
    assert produced.provider == "offline"
    assert ledger.outcomes == [("google_tts", "error"), ("offline", "ok")]
    assert "silence" in ledger.calls[0].outcome or "far too short" not in ledger.calls[0].outcome


async def test_with_no_voice_for_the_language_the_narration_fails_saying_so(
    tmp_path: Path,
) -> None:
    english_only = OfflineProvider(OFFLINE, engine="hibari")
    chain = router([Routed(OFFLINE, english_only)], tmp_path)
    with pytest.raises(NoVoice, match="English only"):
        await chain.produce(
            Capability.NARRATION,
            lambda p: SpeechRequest(KOREAN, "ko", voice="hibari-heart"),
            Ledger(),
        )
    with pytest.raises(NoVoice, match="no voice for language 'xx'"):
        await chain.produce(
            Capability.NARRATION, lambda p: SpeechRequest("bla bla bla", "xx"), Ledger()
        )


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (KOREAN, "ko"),
        ("小さな狐が霧の森で古いランタンを見つけました。", "ja"),
        ("一只小狐狸在雾蒙蒙的森林里找到了一盏旧灯笼。", "zh"),
        ("A small fox finds an old lantern in the misty forest.", "en"),
        ("로봇이 desert에서 lantern을 찾습니다.", "ko"),
    ],
)
async def test_the_offline_voices_really_speak_each_language(text: str, language: str) -> None:
    provider = OfflineProvider(OFFLINE)
    generated = await provider.speak(SpeechRequest(text, language), "k")
    seconds = check_speech(generated.data, text, language, "offline")
    assert seconds >= 1.0


def test_the_catalogue_lists_voices_per_language_best_first(fakes: FakeProviders) -> None:
    configs = [speech_config(fakes, "google_tts", "google"), OFFLINE]
    korean = catalogue(configs, "ko")
    assert korean[0].id == "google:ko-KR-Neural2-A" and not korean[0].offline
    assert korean[0].price_per_1k_characters == Decimal("0.016")
    assert "offline:espeak-ko" in {voice.id for voice in korean}
    assert catalogue([OFFLINE], "en")[0].id == "offline:hibari-heart"
    assert {voice.language for voice in catalogue(configs, "ja")} == {"ja-JP", "ja"}
