"""Which installed font can draw a text (fontconfig's ``fc-list``): subtitles are never burned
with a font that would draw boxes for the story's letters, and a creator picks a subtitle font
only from those that draw their language."""

from __future__ import annotations

import logging
import shutil
import subprocess

from vp_contracts.language import primary

log = logging.getLogger(__name__)


SAMPLES = {
    "ko": "다람쥐 헌 쳇바퀴에 타고파. 한국어 자막",
    "ja": "いろはにほへと イロハ 日本語の字幕",
    "zh": "天地玄黄 宇宙洪荒 中文字幕",
    "en": "The quick brown fox jumps over the lazy dog",
}
"""Letters each language's subtitles need, to find the fonts that draw them (others: Latin)."""


def _families_covering(text: str, family: str | None = None) -> list[str] | None:
    """Families that have every letter of ``text`` (only ``family`` when given); None when
    fontconfig is not there to ask."""
    binary = shutil.which("fc-list")
    if binary is None:
        return None
    letters = sorted({char for char in text if not char.isspace()})
    charset = " ".join(f"{ord(char):x}" for char in letters)
    pattern = f":family={family}:charset={charset}" if family else f":charset={charset}"
    found = subprocess.run(
        [binary, pattern, "family"], capture_output=True, text=True, check=False
    ).stdout
    return sorted({line.split(",")[0].strip() for line in found.splitlines() if line.strip()})


def font_for_text(preferred: str, text: str) -> str | None:
    """``preferred`` if it has every letter of ``text``, else an installed font that has,
    else None (no font can draw it)."""
    if not text.strip():
        return preferred
    own = _families_covering(text, preferred)
    if own is None:
        log.warning("fontconfig is missing: cannot check that %s draws the subtitles", preferred)
        return preferred
    if own:
        return preferred
    others = _families_covering(text) or []
    if others:
        log.warning("%s lacks letters of the subtitles; using %s", preferred, others[0])
    return others[0] if others else None


def fonts_for_language(language: str) -> list[str] | None:
    """Installed font families that draw ``language``'s letters, sorted; None without
    fontconfig (nothing can be checked)."""
    return _families_covering(SAMPLES.get(primary(language), SAMPLES["en"]))
