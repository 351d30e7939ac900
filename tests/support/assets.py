"""Files a creator would upload (a real PNG or JPEG, a WAV of silence) and the assets table in
memory, for tests of the assets service."""

from __future__ import annotations

import io
import wave
from datetime import datetime

import numpy as np
from PIL import Image
from vp_gateway.service.assets import Asset, AssetKind


def picture(kind: str = "PNG", size: tuple[int, int] = (320, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, kind)
    return out.getvalue()


def sound(seconds: float = 2.5, rate: int = 16_000, hertz: float = 0.0) -> bytes:
    """A mono WAV: silence, or a steady tone at -10 dB peak when ``hertz`` is given."""
    t = np.arange(int(seconds * rate)) / rate
    samples = 0.3 * np.sin(2 * np.pi * hertz * t) if hertz else np.zeros_like(t)
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes((samples * 32767).astype("<i2").tobytes())
    return out.getvalue()


class AssetRecords:
    """The assets table in a dictionary (service-layer tests)."""

    def __init__(self) -> None:
        self.rows: dict[str, Asset] = {}

    async def add(self, asset: Asset) -> None:
        self.rows[asset.id] = asset

    async def get(self, asset_id: str) -> Asset | None:
        return self.rows.get(asset_id)

    async def update(self, asset: Asset) -> None:
        self.rows[asset.id] = asset

    async def remove(self, asset_id: str) -> None:
        self.rows.pop(asset_id, None)

    async def of_owner(self, owner_id: str | None, kind: AssetKind | None) -> list[Asset]:
        return [
            a
            for a in self.rows.values()
            if (owner_id is None or a.owner_id == owner_id) and (kind is None or a.kind == kind)
        ]

    async def pending_before(self, moment: datetime) -> list[Asset]:
        return [
            a for a in self.rows.values() if a.status.value == "pending" and a.created_at < moment
        ]
