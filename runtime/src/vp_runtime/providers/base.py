"""The provider interface, its requests and results, and how providers fail."""

from __future__ import annotations

import hashlib
import json
from abc import ABC
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from vp_contracts.values import Motion, Style


class Capability(StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    UPSCALE = "upscale"
    NARRATION = "narration"
    CHAT = "chat"


@dataclass(frozen=True)
class ImageRequest:
    """The roadmap's ImageParams plus the prompt; ``transparent`` asks for a cut-out layer."""

    prompt: str
    width: int
    height: int
    style: Style = Style.REALISTIC
    seed: int = 0
    steps: int = 30
    negative_prompt: str = ""
    transparent: bool = False
    action: str = ""
    """What the subject does (used by renderers that draw a pose rather than read a prompt)."""

    def fingerprint(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class VideoRequest:
    """The roadmap's VideoParams: a clip made from one still."""

    image: bytes = field(repr=False)
    prompt: str
    width: int
    height: int
    duration: float
    fps: int
    motion: Motion = Motion.SLOW
    seed: int = 0

    def fingerprint(self) -> dict[str, Any]:
        data = asdict(self)
        data["image"] = hashlib.sha256(self.image).hexdigest()
        return data


@dataclass(frozen=True)
class UpscaleRequest:
    """Make an image or a video ``scale`` times larger (super-resolution)."""

    image: bytes = field(repr=False)
    scale: int = 2
    content_type: str = "image/png"

    def fingerprint(self) -> dict[str, Any]:
        return {
            "image": hashlib.sha256(self.image).hexdigest(),
            "scale": self.scale,
            "type": self.content_type,
        }


@dataclass(frozen=True)
class SpeechRequest:
    """One sentence to speak, in a language, by a voice (the provider's own voice name, or
    None for its default voice of that language)."""

    text: str
    language: str
    """BCP 47 tag of the text, e.g. ``ko``, ``en-US``."""
    voice: str | None = None
    speed: float = 1.0
    seed: int = 0

    def fingerprint(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Voice:
    """A voice a provider can speak with, as the voices endpoint lists them."""

    id: str
    """``<provider>:<name>``: what ``generation_params.voice`` takes."""
    provider: str
    name: str
    language: str
    """BCP 47 tag of what it speaks."""
    gender: str | None = None
    offline: bool = False
    price_per_1k_characters: Decimal = Decimal(0)
    engine: str = ""


Request = ImageRequest | VideoRequest | UpscaleRequest | SpeechRequest


@dataclass(frozen=True)
class Generated:
    """What a provider made and what it cost."""

    data: bytes = field(repr=False)
    content_type: str
    cost: Decimal
    units: float
    provider_job_id: str | None = None


class ProviderError(Exception):
    """Base of every provider failure."""


class RateLimited(ProviderError):
    """429, or our own shared limit: try again after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProviderUnavailable(ProviderError):
    """5xx, timeout, connection refused: worth retrying."""


class ContentRefused(ProviderError):
    """The provider's content filter refused the prompt or the output."""


class ProviderRejected(ProviderError):
    """A request the provider will never accept (bad key, bad parameters)."""


class Unsupported(ProviderError):
    """The provider cannot do this."""


class CannotSpeak(ProviderError):
    """This provider has no usable voice for the text: none for its language, or the voice came
    out silent or far too short. Another provider may speak it; the same one never will."""


TRANSIENT = (RateLimited, ProviderUnavailable)


class Provider(ABC):
    """One provider. Subclasses implement the capabilities they have."""

    name: str
    model: str
    capabilities: frozenset[Capability] = frozenset()
    transparent_layers: bool = False
    """Can return an image with an alpha channel when asked (a cut-out character)."""

    # ``call_key`` identifies a call in the journal, so a restart resumes a paid job.

    async def generate_image(self, request: ImageRequest, call_key: str) -> Generated:
        raise Unsupported(f"{self.name} does not generate images")

    async def generate_video(self, request: VideoRequest, call_key: str) -> Generated:
        raise Unsupported(f"{self.name} does not generate video")

    async def upscale(self, request: UpscaleRequest, call_key: str) -> Generated:
        raise Unsupported(f"{self.name} does not upscale")

    async def speak(self, request: SpeechRequest, call_key: str) -> Generated:
        """Audio of one sentence: WAV, 16-bit mono PCM, any sample rate."""
        raise Unsupported(f"{self.name} does not speak")

    def voices(self, language: str | None = None) -> list[Voice]:
        """The voices it offers (for ``language``, or all)."""
        return []

    def estimate_cost(self, capability: Capability, units: float) -> Decimal:
        """Dollars for ``units`` images (image, upscale) or seconds (video)."""
        return Decimal(0)

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


def call_key(provider: Provider, capability: Capability, request: Request) -> str:
    """Content address of a call: provider, model, what was asked and with which parameters."""
    canonical = json.dumps(
        {
            "provider": provider.name,
            "model": provider.model,
            "capability": capability.value,
            **request.fingerprint(),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
